/**
 * The tag bytes of the Erlang External Term Format (ETF), plus beamjs's one in-VM
 * extension tag. Exported from src/codec for the pattern byte-program compiler.
 *
 * Every encoded term starts with the version byte 131 (`VERSION`), then one term. A term
 * is a tag byte followed by the fields below (all multi-byte integers big-endian).
 * Layouts as erts 13 (OTP 25) reads and writes them (erts "External Term Format"):
 *
 *   | tag | name                | fields after the tag                                   | encoded by beamjs        |
 *   |----:|---------------------|--------------------------------------------------------|--------------------------|
 *   |  70 | NEW_FLOAT_EXT       | 8 IEEE-754 double                                      | floats, minorVersion ≥ 1 |
 *   |  74 | JS_EXT (beamjs)     | 1 subtype, then see the table below                    | only with `jsTypes`      |
 *   |  77 | BIT_BINARY_EXT      | 4 Len, 1 Bits (1..8 used bits of the last byte), Len data | `BitString`           |
 *   |  80 | COMPRESSED          | 4 uncompressed size, zlib stream (only right after 131)| `compressed` option      |
 *   |  82 | ATOM_CACHE_REF      | 1 index (distribution headers only; rejected here)     | never                    |
 *   |  88 | NEW_PID_EXT         | Node atom, 4 ID, 4 Serial, 4 Creation                  | `Pid`                    |
 *   |  89 | NEW_PORT_EXT        | Node atom, 4 ID, 4 Creation                            | `Port`, id < 2^28        |
 *   |  90 | NEWER_REFERENCE_EXT | 2 Len (words), Node atom, 4 Creation, Len × 4 ID       | `Ref`                    |
 *   |  97 | SMALL_INTEGER_EXT   | 1 unsigned                                             | 0..255                   |
 *   |  98 | INTEGER_EXT         | 4 signed                                               | -2^31..2^31-1            |
 *   |  99 | FLOAT_EXT           | 31 bytes: printf "%.20e", NUL padded                   | floats, minorVersion 0   |
 *   | 100 | ATOM_EXT            | 2 Len, Len Latin-1 bytes                               | Latin-1 atoms, minor 0/1 |
 *   | 101 | REFERENCE_EXT       | Node atom, 4 ID (18 bits), 1 Creation                  | never (decoded)          |
 *   | 102 | PORT_EXT            | Node atom, 4 ID (28 bits), 1 Creation                  | never (decoded)          |
 *   | 103 | PID_EXT             | Node atom, 4 ID (15 bits), 4 Serial (13 bits), 1 Creation | never (decoded)       |
 *   | 104 | SMALL_TUPLE_EXT     | 1 Arity, elements                                      | tuples of ≤ 255          |
 *   | 105 | LARGE_TUPLE_EXT     | 4 Arity, elements                                      | bigger tuples            |
 *   | 106 | NIL_EXT             | —                                                      | `[]`                     |
 *   | 107 | STRING_EXT          | 2 Len, Len bytes (a list of integers 0..255)           | such lists of 1..65535   |
 *   | 108 | LIST_EXT            | 4 Len, Len elements, then the tail term                | other lists              |
 *   | 109 | BINARY_EXT          | 4 Len, Len bytes                                       | strings, `Uint8Array`    |
 *   | 110 | SMALL_BIG_EXT       | 1 n, 1 Sign (0 = +, else −), n bytes little-endian     | |i| < 2^2040             |
 *   | 111 | LARGE_BIG_EXT       | 4 n, 1 Sign, n bytes little-endian                     | bigger integers          |
 *   | 112 | NEW_FUN_EXT         | 4 Size (incl. itself), 1 Arity, 16 Uniq, 4 Index, 4 NumFree, Module atom, OldIndex int, OldUniq int, Pid, NumFree terms | `ErlClosure` |
 *   | 113 | EXPORT_EXT          | Module atom, Function atom, Arity (SMALL_INTEGER_EXT)  | `ExportFun`              |
 *   | 114 | NEW_REFERENCE_EXT   | 2 Len, Node atom, 1 Creation, Len × 4 ID               | never (decoded)          |
 *   | 115 | SMALL_ATOM_EXT      | 1 Len, Len Latin-1 bytes                               | never (decoded)          |
 *   | 116 | MAP_EXT             | 4 Arity, Arity × (key, value)                          | plain objects, `Map`     |
 *   | 117 | FUN_EXT             | (pre-R16 funs; OTP 25 rejects it, and so do we)        | never                    |
 *   | 118 | ATOM_UTF8_EXT       | 2 Len, Len UTF-8 bytes                                 | atoms > 255 bytes        |
 *   | 119 | SMALL_ATOM_UTF8_EXT | 1 Len, Len UTF-8 bytes                                 | other atoms (see encoder)|
 *   | 120 | V4_PORT_EXT         | Node atom, 8 ID, 4 Creation                            | `Port`, id ≥ 2^28        |
 *   | 121 | LOCAL_EXT           | (OTP 26+, not produced or accepted by OTP 25; rejected)| never                    |
 *
 * beamjs's in-VM extension, JS_EXT (74, ASCII 'J'). No ETF tag uses 74. It exists so that
 * inside the VM (`jsTypes: true`) every JS value comes back as the same JS type; it is
 * never sent to an Erlang node, and decoders reject it unless `jsTypes` is set:
 *
 *   | subtype | JS value | fields after the subtype byte               | used when                          |
 *   |--------:|----------|---------------------------------------------|------------------------------------|
 *   |       1 | string   | 4 Len, Len UTF-8 bytes                      | every string (Uint8Array stays BINARY_EXT) |
 *   |       2 | bigint   | one integer term (97, 98, 110 or 111)       | a bigint in the safe-integer range |
 *   |       3 | Map      | one MAP_EXT term                            | a `Map` whose keys are all atoms (also an empty Map) |
 *
 * The extension is canonical: a subtype prefix appears exactly when the plain encoding
 * would decode to another JS type, so one value has one encoding (byte comparison of
 * encodings is term equality for the pattern compiler).
 *
 * Thread-safety: constants only.
 */

/** The version byte that starts every external term. */
export const VERSION = 131;

/** ETF tag bytes (see the table above). Values are fixed by the format: never change them. */
export const Tag = {
  NEW_FLOAT_EXT: 70,
  /** beamjs in-VM extension; see `JsSubtype`. */
  JS_EXT: 74,
  BIT_BINARY_EXT: 77,
  COMPRESSED: 80,
  ATOM_CACHE_REF: 82,
  NEW_PID_EXT: 88,
  NEW_PORT_EXT: 89,
  NEWER_REFERENCE_EXT: 90,
  SMALL_INTEGER_EXT: 97,
  INTEGER_EXT: 98,
  FLOAT_EXT: 99,
  ATOM_EXT: 100,
  REFERENCE_EXT: 101,
  PORT_EXT: 102,
  PID_EXT: 103,
  SMALL_TUPLE_EXT: 104,
  LARGE_TUPLE_EXT: 105,
  NIL_EXT: 106,
  STRING_EXT: 107,
  LIST_EXT: 108,
  BINARY_EXT: 109,
  SMALL_BIG_EXT: 110,
  LARGE_BIG_EXT: 111,
  NEW_FUN_EXT: 112,
  EXPORT_EXT: 113,
  NEW_REFERENCE_EXT: 114,
  SMALL_ATOM_EXT: 115,
  MAP_EXT: 116,
  FUN_EXT: 117,
  ATOM_UTF8_EXT: 118,
  SMALL_ATOM_UTF8_EXT: 119,
  V4_PORT_EXT: 120,
  LOCAL_EXT: 121,
} as const;
export type Tag = (typeof Tag)[keyof typeof Tag];

/** Subtype byte after `Tag.JS_EXT` (see the second table above). */
export const JsSubtype = {
  STRING: 1,
  BIGINT: 2,
  MAP: 3,
} as const;
export type JsSubtype = (typeof JsSubtype)[keyof typeof JsSubtype];

/** Length of FLOAT_EXT's text field (printf "%.20e", NUL padded). */
export const FLOAT_EXT_TEXT_BYTES = 31;

/** Length of NEW_FUN_EXT's Uniq field (an MD5). */
export const FUN_UNIQ_BYTES = 16;

/** Maps with at most this many keys are written in map-key order (erl's flatmap limit). */
export const FLATMAP_MAX_KEYS = 32;

/** Longest list erl writes as STRING_EXT. */
export const STRING_EXT_MAX = 0xffff;

/** Most words a reference may have (OTP 25 makes 3, or up to 5 for pid references). */
export const MAX_REF_WORDS = 5;

/**
 * Deepest nesting of containers (tuples, lists as elements, maps, funs) the codec
 * encodes or decodes. Long lists are not nesting: list elements are walked in a loop,
 * so a list of a million elements is fine. A term nested deeper (or a cyclic JS
 * structure) is rejected with a clear error instead of overflowing the JS stack.
 *
 * Why 1000: the encoder and decoder recurse (2 to 3 JS frames per level), and Node's
 * default main-thread stack (~1 MB) runs out between 2,000 and 3,000 levels; 1000 leaves
 * room for the caller's own frames. (erl has no such limit; a deeper term from an Erlang
 * node is rejected here with a clear error.) Should the stack still run out (a caller
 * already deep in its stack), the overflow is reported with the same error codes.
 */
export const MAX_NESTING = 1000;

/** The name of a tag byte, for error messages ("tag 255" if unknown). */
export function tagName(tag: number): string {
  for (const [name, value] of Object.entries(Tag)) if (value === tag) return name;
  return `unknown tag ${tag}`;
}
