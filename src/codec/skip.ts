/**
 * `skipTerm`: where the encoded term starting at a tag ends, without building it.
 *
 * Used by the pattern byte-program (src/term/match_program.ts) and by anything that
 * walks encoded messages in place (rings, ETS). It walks iteratively with a count of
 * terms still to skip (a tuple of n adds n, a list of n adds n + 1 for its tail, a map
 * of n adds 2n, …), so neither nesting depth nor list length touches the JS stack.
 *
 * It checks structure, not contents: every tag known, every length within the input,
 * counts that cannot possibly fit rejected at once; it does not validate UTF-8 in atom
 * names, map key uniqueness, float values or NEW_FUN_EXT internals (a NEW_FUN_EXT is
 * skipped by its Size field). JS_EXT (tag 74) is always accepted here, because the
 * VM's own encodings use it. `decodeTermAt` validates everything.
 *
 * Thread-safety: pure function over the given bytes (which may be a SharedArrayBuffer
 * view: the caller keeps the region stable). Bad input: BadExternalTermError with the
 * offset; never loops without progress (each step consumes at least one byte).
 */
import { BadExternalTermError } from '../errors/index.js';
import { FLOAT_EXT_TEXT_BYTES, FUN_UNIQ_BYTES, JsSubtype, Tag, tagName } from './tags.js';

function bad(message: string, at: number): BadExternalTermError {
  return new BadExternalTermError(message, at);
}

/** Byte offset just after the term whose tag is at `tagOffset`. */
export function skipTerm(bytes: Uint8Array, tagOffset: number): number {
  const end = bytes.length;
  if (!Number.isSafeInteger(tagOffset) || tagOffset < 0) {
    throw bad(`tagOffset must be a non-negative integer, received ${String(tagOffset)}`, 0);
  }
  let p = tagOffset;
  // `pending` never exceeds the bytes left (each pending term needs one byte at least).
  let pending = 1;
  while (pending > 0) {
    const at = p;
    if (p >= end) throw bad('truncated input: expected a term', p);
    const tag = bytes[p++]!;
    pending--;
    switch (tag) {
      case Tag.SMALL_INTEGER_EXT:
        if (p + 1 > end) throw truncated(p, 1, end, 'SMALL_INTEGER_EXT');
        p += 1;
        break;
      case Tag.INTEGER_EXT:
        if (p + 4 > end) throw truncated(p, 4, end, 'INTEGER_EXT');
        p += 4;
        break;
      case Tag.NEW_FLOAT_EXT:
        if (p + 8 > end) throw truncated(p, 8, end, 'NEW_FLOAT_EXT');
        p += 8;
        break;
      case Tag.FLOAT_EXT:
        if (p + FLOAT_EXT_TEXT_BYTES > end) throw truncated(p, FLOAT_EXT_TEXT_BYTES, end, 'FLOAT_EXT');
        p += FLOAT_EXT_TEXT_BYTES;
        break;
      case Tag.ATOM_EXT:
      case Tag.ATOM_UTF8_EXT:
        if (p + 2 > end) throw truncated(p, 2, end, tagName(tag));
        p = skipBody(p, 2, rd16(bytes, p), end, 'atom name');
        break;
      case Tag.SMALL_ATOM_EXT:
      case Tag.SMALL_ATOM_UTF8_EXT:
        if (p + 1 > end) throw truncated(p, 1, end, tagName(tag));
        p = skipBody(p, 1, bytes[p]!, end, 'atom name');
        break;
      case Tag.NIL_EXT:
        break;
      case Tag.STRING_EXT:
        if (p + 2 > end) throw truncated(p, 2, end, 'STRING_EXT');
        p = skipBody(p, 2, rd16(bytes, p), end, 'STRING_EXT data');
        break;
      case Tag.BINARY_EXT:
        if (p + 4 > end) throw truncated(p, 4, end, 'BINARY_EXT');
        p = skipBody(p, 4, rd32(bytes, p), end, 'BINARY_EXT data');
        break;
      case Tag.BIT_BINARY_EXT:
        if (p + 5 > end) throw truncated(p, 5, end, 'BIT_BINARY_EXT');
        p = skipBody(p, 5, rd32(bytes, p), end, 'BIT_BINARY_EXT data');
        break;
      case Tag.SMALL_BIG_EXT:
        if (p + 2 > end) throw truncated(p, 2, end, 'SMALL_BIG_EXT');
        p = skipBody(p, 2, bytes[p]!, end, 'SMALL_BIG_EXT digits');
        break;
      case Tag.LARGE_BIG_EXT:
        if (p + 5 > end) throw truncated(p, 5, end, 'LARGE_BIG_EXT');
        p = skipBody(p, 5, rd32(bytes, p), end, 'LARGE_BIG_EXT digits');
        break;
      case Tag.SMALL_TUPLE_EXT:
        if (p + 1 > end) throw truncated(p, 1, end, 'SMALL_TUPLE_EXT');
        p += 1;
        pending += bytes[p - 1]!;
        if (pending > end - p) throw tooMany(bytes[p - 1]!, end - p, at, 'tuple');
        break;
      case Tag.LARGE_TUPLE_EXT:
        if (p + 4 > end) throw truncated(p, 4, end, 'LARGE_TUPLE_EXT');
        p += 4;
        pending += rd32(bytes, p - 4);
        if (pending > end - p) throw tooMany(rd32(bytes, p - 4), end - p, at, 'tuple');
        break;
      case Tag.LIST_EXT:
        if (p + 4 > end) throw truncated(p, 4, end, 'LIST_EXT');
        p += 4;
        pending += rd32(bytes, p - 4) + 1;
        if (pending > end - p) throw tooMany(rd32(bytes, p - 4) + 1, end - p, at, 'list');
        break;
      case Tag.MAP_EXT:
        if (p + 4 > end) throw truncated(p, 4, end, 'MAP_EXT');
        p += 4;
        pending += 2 * rd32(bytes, p - 4);
        if (pending > end - p) throw tooMany(2 * rd32(bytes, p - 4), end - p, at, 'map');
        break;
      case Tag.NEW_PID_EXT:
        p = skipAtomAt(bytes, p, 'pid node');
        if (p + 12 > end) throw truncated(p, 12, end, 'NEW_PID_EXT');
        p += 12;
        break;
      case Tag.PID_EXT:
        p = skipAtomAt(bytes, p, 'pid node');
        if (p + 9 > end) throw truncated(p, 9, end, 'PID_EXT');
        p += 9;
        break;
      case Tag.NEW_PORT_EXT:
        p = skipAtomAt(bytes, p, 'port node');
        if (p + 8 > end) throw truncated(p, 8, end, 'NEW_PORT_EXT');
        p += 8;
        break;
      case Tag.V4_PORT_EXT:
        p = skipAtomAt(bytes, p, 'port node');
        if (p + 12 > end) throw truncated(p, 12, end, 'V4_PORT_EXT');
        p += 12;
        break;
      case Tag.PORT_EXT:
      case Tag.REFERENCE_EXT:
        p = skipAtomAt(bytes, p, 'node');
        if (p + 5 > end) throw truncated(p, 5, end, tagName(tag));
        p += 5;
        break;
      case Tag.NEWER_REFERENCE_EXT:
      case Tag.NEW_REFERENCE_EXT: {
        if (p + 2 > end) throw truncated(p, 2, end, tagName(tag));
        const words = rd16(bytes, p);
        p = skipAtomAt(bytes, p + 2, 'reference node');
        const n = (tag === Tag.NEWER_REFERENCE_EXT ? 4 : 1) + 4 * words;
        if (p + n > end) throw truncated(p, n, end, tagName(tag));
        p += n;
        break;
      }
      case Tag.EXPORT_EXT:
        // Module, Function, Arity: three more terms.
        pending += 3;
        if (pending > end - p) throw tooMany(3, end - p, at, 'EXPORT_EXT');
        break;
      case Tag.NEW_FUN_EXT: {
        if (p + 4 > end) throw truncated(p, 4, end, 'NEW_FUN_EXT');
        const size = rd32(bytes, p);
        if (size < 4 + 1 + FUN_UNIQ_BYTES + 8) throw bad(`NEW_FUN_EXT Size ${size} is too small`, at);
        if (p + size > end) throw truncated(p, size, end, 'NEW_FUN_EXT');
        p += size;
        break;
      }
      case Tag.JS_EXT: {
        if (p + 1 > end) throw truncated(p, 1, end, 'JS_EXT');
        const subtype = bytes[p++]!;
        if (subtype === JsSubtype.STRING) {
          if (p + 4 > end) throw truncated(p, 4, end, 'JS_EXT string');
          p = skipBody(p, 4, rd32(bytes, p), end, 'JS_EXT string data');
        } else if (subtype === JsSubtype.BIGINT || subtype === JsSubtype.MAP) {
          pending += 1;
          if (pending > end - p) throw tooMany(1, end - p, at, 'JS_EXT');
        } else {
          throw bad(`unknown JS_EXT subtype ${subtype}`, at);
        }
        break;
      }
      case Tag.FUN_EXT:
        throw bad('FUN_EXT (a pre-R16 fun) is not supported', at);
      case Tag.ATOM_CACHE_REF:
        throw bad('ATOM_CACHE_REF is only valid inside a distribution message with an atom cache header', at);
      case Tag.COMPRESSED:
        throw bad('a compressed term (tag 80) may only follow the version byte 131', at);
      default:
        throw bad(`unknown tag ${tag}`, at);
    }
  }
  return p;
}

function rd16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

function rd32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

/** Skips a length field of `fieldBytes` bytes holding `n`, then `n` bytes of data. */
function skipBody(p: number, fieldBytes: number, n: number, end: number, what: string): number {
  const start = p + fieldBytes;
  if (start + n > end) throw truncated(start, n, end, what);
  return start + n;
}

function truncated(at: number, n: number, end: number, what: string): BadExternalTermError {
  return bad(`truncated input: ${what} needs ${n} bytes, only ${end - at} remain`, at);
}

function tooMany(count: number, left: number, at: number, what: string): BadExternalTermError {
  return bad(`${what} claims ${count} elements but only ${left} bytes remain`, at);
}

/** Skips one atom (the four atom tags only) at `p`; returns the offset after it. */
function skipAtomAt(bytes: Uint8Array, p: number, what: string): number {
  const end = bytes.length;
  if (p >= end) throw bad(`truncated input: expected the ${what} atom`, p);
  const tag = bytes[p]!;
  let q: number;
  if (tag === Tag.ATOM_EXT || tag === Tag.ATOM_UTF8_EXT) {
    if (p + 3 > end) throw bad(`truncated input: ${what} atom`, p);
    q = p + 3 + ((bytes[p + 1]! << 8) | bytes[p + 2]!);
  } else if (tag === Tag.SMALL_ATOM_EXT || tag === Tag.SMALL_ATOM_UTF8_EXT) {
    if (p + 2 > end) throw bad(`truncated input: ${what} atom`, p);
    q = p + 2 + bytes[p + 1]!;
  } else {
    throw bad(`expected the ${what} as an atom, found ${tagName(tag)}`, p);
  }
  if (q > end) throw bad(`truncated input: ${what} atom name goes beyond the end`, p);
  return q;
}
