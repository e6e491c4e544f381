/**
 * Atom caches of the codec: the encoded bytes of each atom (encode side) and the atom
 * of each encoded name (decode side), so that the hot path of message passing neither
 * re-encodes atom names nor allocates strings for atoms it has seen before.
 *
 * Encode side. An atom's encoding depends only on its name and on the atom style:
 *
 *   | style              | name all Latin-1 (≤ U+00FF)     | other names                              |
 *   |--------------------|---------------------------------|------------------------------------------|
 *   | LATIN1 (minor 0/1) | ATOM_EXT, Latin-1 bytes         | SMALL_ATOM_UTF8_EXT, or ATOM_UTF8_EXT when the UTF-8 name is > 255 bytes |
 *   | UTF8 (minor 2)     | SMALL_ATOM_UTF8_EXT / ATOM_UTF8_EXT by UTF-8 length | same                  |
 *
 * (checked against erl 25: `term_to_binary('åäö')` is ATOM_EXT with bytes E5 E4 F6,
 * `term_to_binary('αβ')` is SMALL_ATOM_UTF8_EXT, both for minor_version 0 and 1.)
 * The whole encoding (tag, length, name) is cached: per `Atom` in arrays indexed by
 * `atom.index`, for the four JS-valued atoms in constants, and for plain-object keys
 * (strings) in a bounded Map.
 *
 * Decode side. Two direct-mapped tables hold the atom decoded from some bytes (and
 * whether they were Latin-1 or UTF-8): a "recent" table indexed by (length, last byte),
 * which needs no hashing and catches the atoms a stream of messages repeats, and a
 * hash table over all the bytes. A hit costs a byte comparison (plus the hash on the
 * second table), never a string. A miss decodes the name, interns it and fills both.
 *
 * Invariants: cached arrays are never handed out for writing (callers copy them into
 * their output); a decode-cache entry's bytes are a private copy.
 *
 * Thread-safety: all state is module-level and therefore per thread, like the atom
 * intern table itself (src/term/atom.ts): atoms never cross threads as objects.
 *
 * Bad input: `decodeAtomName` throws BadExternalTermError for invalid UTF-8, for names
 * over 255 characters, and (in safe mode) for atoms that do not exist yet; atom names
 * too long to encode throw BeamError SYSTEM_LIMIT from `encodedAtomForKey`.
 */
import { isUtf8 } from 'node:buffer';
import { BadExternalTermError, BeamError, ErrorCode } from '../errors/index.js';
import { Atom, atomTerm, MAX_ATOM_CHARACTERS } from '../term/index.js';
import type { ReservedAtomValue } from '../term/index.js';
import { Tag } from './tags.js';

/** The JS value of an Erlang atom. */
export type AtomValue = Atom | ReservedAtomValue;

/** Atom styles: 0 = minor versions 0 and 1 (Latin-1 names as ATOM_EXT), 1 = minor 2 (all UTF-8). */
export const AtomStyle = { LATIN1: 0, UTF8: 1 } as const;
export type AtomStyle = (typeof AtomStyle)[keyof typeof AtomStyle];

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** The full encoding (tag + length + name) of an atom named `name` in `style`. */
export function encodeAtomName(name: string, style: AtomStyle): Uint8Array {
  if (style === AtomStyle.LATIN1) {
    let latin1 = true;
    for (let i = 0; i < name.length; i++) {
      if (name.charCodeAt(i) > 0xff) {
        latin1 = false;
        break;
      }
    }
    if (latin1) {
      if (name.length > MAX_ATOM_CHARACTERS) throw atomTooLong(name.length);
      const out = new Uint8Array(3 + name.length);
      out[0] = Tag.ATOM_EXT;
      out[1] = 0;
      out[2] = name.length;
      for (let i = 0; i < name.length; i++) out[3 + i] = name.charCodeAt(i);
      return out;
    }
  }
  const bytes = utf8Encoder.encode(name);
  const characters = countCodePoints(name);
  if (characters > MAX_ATOM_CHARACTERS) throw atomTooLong(characters);
  if (bytes.length <= 0xff) {
    const out = new Uint8Array(2 + bytes.length);
    out[0] = Tag.SMALL_ATOM_UTF8_EXT;
    out[1] = bytes.length;
    out.set(bytes, 2);
    return out;
  }
  const out = new Uint8Array(3 + bytes.length);
  out[0] = Tag.ATOM_UTF8_EXT;
  out[1] = bytes.length >>> 8;
  out[2] = bytes.length & 0xff;
  out.set(bytes, 3);
  return out;
}

function countCodePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

function atomTooLong(characters: number): BeamError {
  return new BeamError(
    ErrorCode.SYSTEM_LIMIT,
    `atom name is too long to encode: ${characters} characters, the limit is ${MAX_ATOM_CHARACTERS}`,
  );
}

// ---------------------------------------------------------------------------------
// Encode caches

const byIndex: [(Uint8Array | undefined)[], (Uint8Array | undefined)[]] = [[], []];

/** Encoded bytes of an `Atom` object (cached by `atom.index`). */
export function encodedAtom(atom: Atom, style: AtomStyle): Uint8Array {
  const table = byIndex[style];
  const cached = table[atom.index];
  if (cached !== undefined) return cached;
  const bytes = encodeAtomName(atom.name, style);
  table[atom.index] = bytes;
  return bytes;
}

// The four JS-valued atoms: their names are ASCII, so ATOM_EXT (LATIN1) or
// SMALL_ATOM_UTF8_EXT (UTF8). Built without the term module, which may still be
// loading when this module is evaluated (src/term's pattern compiler imports the codec).
function asciiAtomPair(name: string): readonly [Uint8Array, Uint8Array] {
  const latin1 = new Uint8Array(3 + name.length);
  const utf8 = new Uint8Array(2 + name.length);
  latin1[0] = Tag.ATOM_EXT;
  latin1[2] = name.length;
  utf8[0] = Tag.SMALL_ATOM_UTF8_EXT;
  utf8[1] = name.length;
  for (let i = 0; i < name.length; i++) latin1[3 + i] = utf8[2 + i] = name.charCodeAt(i);
  return [latin1, utf8];
}
const TRUE_BYTES = asciiAtomPair('true');
const FALSE_BYTES = asciiAtomPair('false');
const UNDEFINED_BYTES = asciiAtomPair('undefined');
const NULL_BYTES = asciiAtomPair('null');

/** Encoded bytes of `true`, `false`, `undefined` or `null`. */
export function encodedReservedAtom(value: boolean | null | undefined, style: AtomStyle): Uint8Array {
  if (value === true) return TRUE_BYTES[style];
  if (value === false) return FALSE_BYTES[style];
  if (value === null) return NULL_BYTES[style];
  return UNDEFINED_BYTES[style];
}

/** Bounded so that objects with ever-new keys cannot grow the cache without end. */
const KEY_CACHE_LIMIT = 16_384;
const byKey: [Map<string, Uint8Array>, Map<string, Uint8Array>] = [new Map(), new Map()];

/** Encoded bytes of the atom named `key` (a plain-object property name). */
export function encodedAtomForKey(key: string, style: AtomStyle): Uint8Array {
  const table = byKey[style];
  const cached = table.get(key);
  if (cached !== undefined) return cached;
  const bytes = encodeAtomName(key, style);
  if (table.size < KEY_CACHE_LIMIT) table.set(key, bytes);
  return bytes;
}

// ---------------------------------------------------------------------------------
// Decode cache

/** One decode-cache slot: the name's bytes (a private copy), its encoding and its atom. */
class AtomSlot {
  constructor(
    readonly bytes: Uint8Array,
    readonly utf8: boolean,
    readonly value: AtomValue,
  ) {}
}

const DECODE_SLOTS = 4096; // power of two
const EMPTY_SLOT = new AtomSlot(new Uint8Array(0), false, undefined);
// Pre-filled so the array stays packed and holds one class only (monomorphic loads).
const slots: AtomSlot[] = new Array<AtomSlot>(DECODE_SLOTS).fill(EMPTY_SLOT);
/** Most recently used entry per (name length, last byte of the name). */
const RECENT_SLOTS = 4096; // power of two
const recent1: AtomSlot[] = new Array<AtomSlot>(RECENT_SLOTS).fill(EMPTY_SLOT);

function slotOf(bytes: Uint8Array, start: number, length: number, utf8: boolean): number {
  let h = utf8 ? length + 0x1000 : length;
  for (let i = 0; i < length; i++) h = (h * 31 + bytes[start + i]!) | 0;
  return (h ^ (h >>> 12)) & (DECODE_SLOTS - 1);
}

/**
 * The atom whose name is `bytes[start, start + length)`, Latin-1 (`utf8` false) or
 * UTF-8. `at` is the offset reported in errors. In safe mode an atom that does not
 * exist yet is an error (as binary_to_term's `safe` option). Small on purpose, so that
 * it inlines into the decoder; misses go to `decodeAtomSlow`.
 */
export function decodeAtomName(
  bytes: Uint8Array,
  start: number,
  length: number,
  utf8: boolean,
  safe: boolean,
  at: number,
): AtomValue {
  // First the atom seen last with this length and last byte (messages repeat their
  // atoms: the node name in every pid, the tag atom of a protocol; no hashing needed),
  // then the hash table.
  const quick = length === 0 ? 0 : ((length << 8) | bytes[start + length - 1]!) & (RECENT_SLOTS - 1);
  const recent = recent1[quick]!;
  if (recent.utf8 === utf8 && sameName(recent.bytes, bytes, start, length)) return recent.value;
  const slot = slotOf(bytes, start, length, utf8);
  const entry = slots[slot]!;
  if (entry.utf8 === utf8 && sameName(entry.bytes, bytes, start, length)) {
    recent1[quick] = entry;
    return entry.value;
  }
  return decodeAtomSlow(bytes, start, length, utf8, safe, at, slot, quick);
}

function sameName(cached: Uint8Array, bytes: Uint8Array, start: number, length: number): boolean {
  if (cached.length !== length || length === 0) return false;
  let i = 0;
  while (i < length && cached[i] === bytes[start + i]) i++;
  return i === length;
}

function decodeAtomSlow(
  bytes: Uint8Array,
  start: number,
  length: number,
  utf8: boolean,
  safe: boolean,
  at: number,
  slot: number,
  quick: number,
): AtomValue {
  const name = utf8 ? decodeUtf8Name(bytes, start, length, at) : decodeLatin1Name(bytes, start, length, at);
  if (safe && !atomExists(name)) {
    throw new BadExternalTermError(`the atom '${name}' does not exist and the safe option forbids creating it`, at);
  }
  const value = atomTerm(name);
  const entry = new AtomSlot(bytes.slice(start, start + length), utf8, value);
  slots[slot] = entry;
  recent1[quick] = entry;
  return value;
}

function decodeLatin1Name(bytes: Uint8Array, start: number, length: number, at: number): string {
  if (length > MAX_ATOM_CHARACTERS) {
    throw new BadExternalTermError(`atom name is ${length} characters long, the limit is ${MAX_ATOM_CHARACTERS}`, at);
  }
  let name = '';
  for (let i = 0; i < length; i++) name += String.fromCharCode(bytes[start + i]!);
  return name;
}

function decodeUtf8Name(bytes: Uint8Array, start: number, length: number, at: number): string {
  const view = bytes.subarray(start, start + length);
  if (!isUtf8(view)) throw new BadExternalTermError('atom name is not valid UTF-8', at);
  const name = utf8Decoder.decode(view);
  if (name.length > MAX_ATOM_CHARACTERS) {
    const characters = countCodePoints(name);
    if (characters > MAX_ATOM_CHARACTERS) {
      throw new BadExternalTermError(`atom name is ${characters} characters long, the limit is ${MAX_ATOM_CHARACTERS}`, at);
    }
  }
  return name;
}

// Atoms are only ever added, with dense indices, so the set of existing names can be
// kept up to date incrementally from Atom.byIndex.
const knownNames = new Set<string>(['true', 'false', 'undefined', 'null']);
let scannedAtoms = 0;

/** True when an atom with this name exists on this thread. */
export function atomExists(name: string): boolean {
  if (knownNames.has(name)) return true;
  for (;;) {
    const atom = Atom.byIndex(scannedAtoms);
    if (atom === undefined) break;
    knownNames.add(atom.name);
    scannedAtoms++;
  }
  return knownNames.has(name);
}
