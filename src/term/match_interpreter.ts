/**
 * The JS twin of the native match-program runner: `runProgram` runs a match program
 * (match_program.ts defines the instruction set and the program layout) over one
 * encoded message; `scanMailbox` runs it over many messages of a buffer and returns the
 * first that matches. native/match.cc is a line-by-line port of this file: the same
 * checks in the same order, the same results, the same error messages. Change both.
 *
 * Also here: the program validator (run before every run, in both implementations), the
 * bounded term walker (skip a term, compare two encoded terms for `=:=` as far as bytes
 * can tell), and the JS helpers that turn capture spans back into terms
 * (`decodeCaptures`, `matchEncoded`).
 *
 * Encoded messages: the in-VM external term format (src/codec/tags.ts): an optional
 * version byte 131, then one term, filling exactly [start, end). Equality from bytes
 * (`compareEncoded`) normalises what the in-VM encoding writes differently for `=:=`
 * terms: a string (JS_EXT 1) equals a BINARY_EXT with the same bytes; an integer equals
 * any integer encoding of the same value, with or without the JS_EXT 2 (bigint) prefix;
 * a JS_EXT 3 map equals the plain MAP_EXT; 0.0 =:= -0.0 (OTP 25); a reference equals one
 * with extra zero words; atoms in Latin-1 and UTF-8 forms. When bytes cannot decide
 * (maps of more than FLATMAP_MAX_KEYS keys, whose order is not canonical; closures;
 * LIST_EXT against STRING_EXT; FLOAT_EXT text floats) the answer is UNKNOWN and the
 * program hands over to JS (MATCH_NEEDS_GUARD).
 *
 * Robustness: every read is checked against `end` (never past it, never past the
 * array); every loop consumes bytes or instructions, so a run is bounded by the size
 * of the message times the size of the program. Corrupt or truncated message bytes
 * make the match fail (NO_MATCH); they never throw. A malformed program throws
 * `BeamError` BAD_PATTERN ("match program is malformed: …"); bad arguments throw
 * `InvalidArgumentError`.
 *
 * Thread-safety: runs on the calling thread; uses module-level scratch arrays (no user
 * code runs inside, so no re-entrancy). The message buffer may be a view of a
 * SharedArrayBuffer; the region [start, end) must not change during the call.
 */
// The codec imports src/term/index.ts, which imports this file: codec bindings are used
// only inside functions, never while modules are being evaluated.
import { decodeTermAt, FLATMAP_MAX_KEYS, JsSubtype, Tag, VERSION } from '../codec/index.js';
import { BeamError, ErrorCode, InvalidArgumentError, describeValue } from '../errors/index.js';
import { improperList } from './improper_list.js';
import {
  CAPTURE_WORDS,
  CaptureKind,
  Header,
  MATCH,
  MATCH_NEEDS_GUARD,
  NO_MATCH,
  NO_REGISTER,
  Op,
  OP_SIZE,
  PROGRAM_MAGIC,
  PROGRAM_VERSION,
  REGISTER_WORDS,
  TypeCode,
} from './match_program.js';
import type { MatchProgram, MatchResult } from './match_program.js';
import type { Matcher } from './pattern.js';
import type { Term } from './term.js';

/** What runs match programs: this twin, or the native addon (src/native). */
export interface ProgramRunner {
  /** Runs a match program over `message[start, end)`: NO_MATCH 0, MATCH 1, MATCH_NEEDS_GUARD 2. */
  runProgram(program: MatchProgram, message: Uint8Array, start: number, end: number, captures: Int32Array): number;
  /** Index of the first of messages fromIndex..count-1 that matches (or needs a guard), or -1. */
  scanMailbox(
    program: MatchProgram,
    buffer: Uint8Array,
    offsets: Int32Array,
    count: number,
    fromIndex: number,
    captures: Int32Array,
  ): number;
}

// ---------------------------------------------------------------------------------
// Byte readers (ETF fields are big-endian; program operands little-endian)

function be16(b: Uint8Array, p: number): number {
  return (b[p]! << 8) | b[p + 1]!;
}

function be32(b: Uint8Array, p: number): number {
  return b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
}

function le16(b: Uint8Array, p: number): number {
  return b[p]! | (b[p + 1]! << 8);
}

function le32(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)) + b[p + 3]! * 0x1000000;
}

// ---------------------------------------------------------------------------------
// Skipping terms

function isAtomTag(tag: number): boolean {
  return tag === Tag.SMALL_ATOM_UTF8_EXT || tag === Tag.ATOM_UTF8_EXT || tag === Tag.SMALL_ATOM_EXT || tag === Tag.ATOM_EXT;
}

/** End of the atom at `p`, or -1 when `p` is not a complete atom before `end`. */
function atomEnd(b: Uint8Array, p: number, end: number): number {
  if (p >= end) return -1;
  const tag = b[p]!;
  let next: number;
  if (tag === Tag.SMALL_ATOM_UTF8_EXT || tag === Tag.SMALL_ATOM_EXT) {
    if (p + 2 > end) return -1;
    next = p + 2 + b[p + 1]!;
  } else if (tag === Tag.ATOM_UTF8_EXT || tag === Tag.ATOM_EXT) {
    if (p + 3 > end) return -1;
    next = p + 3 + be16(b, p + 1);
  } else {
    return -1;
  }
  return next <= end ? next : -1;
}

/**
 * Skips `count` consecutive terms starting at `p`; returns the offset after them, or -1
 * when the bytes before `end` are not `count` well-formed terms.
 */
export function skipTerms(b: Uint8Array, p: number, end: number, count: number): number {
  let pending = count;
  while (pending > 0) {
    if (p >= end) return -1;
    const tag = b[p]!;
    pending--;
    switch (tag) {
      case Tag.SMALL_INTEGER_EXT:
        p += 2;
        break;
      case Tag.INTEGER_EXT:
        p += 5;
        break;
      case Tag.NEW_FLOAT_EXT:
        p += 9;
        break;
      case Tag.FLOAT_EXT:
        p += 32;
        break;
      case Tag.SMALL_ATOM_UTF8_EXT:
      case Tag.ATOM_UTF8_EXT:
      case Tag.SMALL_ATOM_EXT:
      case Tag.ATOM_EXT:
        p = atomEnd(b, p, end);
        if (p < 0) return -1;
        break;
      case Tag.SMALL_TUPLE_EXT:
        if (p + 2 > end) return -1;
        pending += b[p + 1]!;
        p += 2;
        break;
      case Tag.LARGE_TUPLE_EXT:
        if (p + 5 > end) return -1;
        pending += be32(b, p + 1);
        p += 5;
        break;
      case Tag.NIL_EXT:
        p += 1;
        break;
      case Tag.STRING_EXT:
        if (p + 3 > end) return -1;
        p += 3 + be16(b, p + 1);
        break;
      case Tag.LIST_EXT:
        if (p + 5 > end) return -1;
        pending += be32(b, p + 1) + 1;
        p += 5;
        break;
      case Tag.BINARY_EXT:
        if (p + 5 > end) return -1;
        p += 5 + be32(b, p + 1);
        break;
      case Tag.BIT_BINARY_EXT: {
        if (p + 6 > end) return -1;
        const bits = b[p + 5]!;
        const length = be32(b, p + 1);
        if (bits < 1 || bits > 8 || length === 0) return -1;
        p += 6 + length;
        break;
      }
      case Tag.SMALL_BIG_EXT:
        if (p + 3 > end) return -1;
        p += 3 + b[p + 1]!;
        break;
      case Tag.LARGE_BIG_EXT:
        if (p + 6 > end) return -1;
        p += 6 + be32(b, p + 1);
        break;
      case Tag.MAP_EXT:
        if (p + 5 > end) return -1;
        pending += 2 * be32(b, p + 1);
        p += 5;
        break;
      case Tag.EXPORT_EXT:
        pending += 3;
        p += 1;
        break;
      case Tag.NEW_FUN_EXT: {
        if (p + 5 > end) return -1;
        const size = be32(b, p + 1);
        if (size < 4) return -1;
        p += 1 + size;
        break;
      }
      case Tag.NEW_PID_EXT:
        p = atomEnd(b, p + 1, end);
        if (p < 0) return -1;
        p += 12;
        break;
      case Tag.PID_EXT:
        p = atomEnd(b, p + 1, end);
        if (p < 0) return -1;
        p += 9;
        break;
      case Tag.NEW_PORT_EXT:
        p = atomEnd(b, p + 1, end);
        if (p < 0) return -1;
        p += 8;
        break;
      case Tag.V4_PORT_EXT:
        p = atomEnd(b, p + 1, end);
        if (p < 0) return -1;
        p += 12;
        break;
      case Tag.PORT_EXT:
      case Tag.REFERENCE_EXT:
        p = atomEnd(b, p + 1, end);
        if (p < 0) return -1;
        p += 5;
        break;
      case Tag.NEWER_REFERENCE_EXT:
      case Tag.NEW_REFERENCE_EXT: {
        if (p + 3 > end) return -1;
        const words = be16(b, p + 1);
        p = atomEnd(b, p + 3, end);
        if (p < 0) return -1;
        p += (tag === Tag.NEWER_REFERENCE_EXT ? 4 : 1) + 4 * words;
        break;
      }
      case Tag.JS_EXT: {
        if (p + 2 > end) return -1;
        const subtype = b[p + 1]!;
        if (subtype === JsSubtype.STRING) {
          if (p + 6 > end) return -1;
          p += 6 + be32(b, p + 2);
        } else if (subtype === JsSubtype.BIGINT) {
          if (p + 3 > end) return -1;
          const inner = b[p + 2]!;
          if (!isIntegerTag(inner)) return -1;
          pending += 1;
          p += 2;
        } else if (subtype === JsSubtype.MAP) {
          if (p + 3 > end || b[p + 2] !== Tag.MAP_EXT) return -1;
          pending += 1;
          p += 2;
        } else {
          return -1;
        }
        break;
      }
      default:
        return -1;
    }
    // Each pending term needs at least one byte: this bounds `pending` and catches
    // lengths that run past the end.
    if (pending > end - p) return -1;
  }
  return p <= end ? p : -1;
}

function isIntegerTag(tag: number): boolean {
  return tag === Tag.SMALL_INTEGER_EXT || tag === Tag.INTEGER_EXT || tag === Tag.SMALL_BIG_EXT || tag === Tag.LARGE_BIG_EXT;
}

// ---------------------------------------------------------------------------------
// Type tests

function typeTest(code: number, b: Uint8Array, p: number, end: number): boolean {
  if (p >= end) return false;
  const tag = b[p]!;
  const subtype = tag === Tag.JS_EXT && p + 1 < end ? b[p + 1]! : 0;
  switch (code) {
    case TypeCode.INTEGER:
      return isIntegerTag(tag) || subtype === JsSubtype.BIGINT;
    case TypeCode.FLOAT:
      return tag === Tag.NEW_FLOAT_EXT || tag === Tag.FLOAT_EXT;
    case TypeCode.NUMBER:
      return isIntegerTag(tag) || subtype === JsSubtype.BIGINT || tag === Tag.NEW_FLOAT_EXT || tag === Tag.FLOAT_EXT;
    case TypeCode.ATOM:
      return isAtomTag(tag);
    case TypeCode.BOOLEAN: {
      const next = atomEnd(b, p, end);
      if (next < 0) return false;
      const nameStart = tag === Tag.SMALL_ATOM_UTF8_EXT || tag === Tag.SMALL_ATOM_EXT ? p + 2 : p + 3;
      return nameIs(b, nameStart, next, TRUE_BYTES) || nameIs(b, nameStart, next, FALSE_BYTES);
    }
    case TypeCode.BINARY:
      return tag === Tag.BINARY_EXT || subtype === JsSubtype.STRING;
    case TypeCode.BITSTRING:
      return tag === Tag.BINARY_EXT || subtype === JsSubtype.STRING || tag === Tag.BIT_BINARY_EXT;
    case TypeCode.TUPLE:
      return tag === Tag.SMALL_TUPLE_EXT || tag === Tag.LARGE_TUPLE_EXT;
    case TypeCode.LIST:
      return tag === Tag.NIL_EXT || tag === Tag.STRING_EXT || tag === Tag.LIST_EXT;
    case TypeCode.MAP:
      return tag === Tag.MAP_EXT || subtype === JsSubtype.MAP;
    case TypeCode.PID:
      return tag === Tag.NEW_PID_EXT || tag === Tag.PID_EXT;
    case TypeCode.REF:
      return tag === Tag.NEWER_REFERENCE_EXT || tag === Tag.NEW_REFERENCE_EXT || tag === Tag.REFERENCE_EXT;
    case TypeCode.PORT:
      return tag === Tag.NEW_PORT_EXT || tag === Tag.V4_PORT_EXT || tag === Tag.PORT_EXT;
    case TypeCode.FUN:
      return tag === Tag.NEW_FUN_EXT || tag === Tag.EXPORT_EXT;
    default:
      return false;
  }
}

const TRUE_BYTES = [0x74, 0x72, 0x75, 0x65]; // "true"
const FALSE_BYTES = [0x66, 0x61, 0x6c, 0x73, 0x65]; // "false"

function nameIs(b: Uint8Array, start: number, end: number, name: readonly number[]): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) if (b[start + i] !== name[i]) return false;
  return true;
}

// ---------------------------------------------------------------------------------
// Comparing encoded terms

/** Results of `compareEncoded`. */
export const Cmp = { NOT_EQUAL: 0, EQUAL: 1, UNKNOWN: 2, BAD: 3 } as const;

// Normalised term classes of a header.
const C_BAD = 0;
const C_INT = 1;
const C_FLOAT = 2;
const C_OLD_FLOAT = 3;
const C_ATOM = 4;
const C_BINARY = 5;
const C_BITS = 6;
const C_TUPLE = 7;
const C_NIL = 8;
const C_LIST = 9;
const C_STRING = 10;
const C_MAP = 11;
const C_PID = 12;
const C_PORT = 13;
const C_REF = 14;
const C_EXPORT = 15;
const C_FUN = 16;

/**
 * A decoded term header (one per side; reused). Fields by class:
 * INT: small (when big < 0) or sign/big/bigLen (trimmed magnitude, little-endian);
 * FLOAT/OLD_FLOAT/BINARY/BITS/STRING/FUN: data/length (+ bits);
 * ATOM: data/length/latin1; TUPLE/LIST/MAP: count;
 * PID/PORT/REF: the node atom in data/length/latin1, numbers in n1..n3 (REF: ids at
 * `big`, `bigLen` words). `next` is the offset after the header (containers) or after
 * the whole term (everything else).
 */
class TermHeader {
  cls = C_BAD;
  next = 0;
  small = 0;
  sign = 0;
  big = -1;
  bigLen = 0;
  data = 0;
  length = 0;
  bits = 0;
  latin1 = false;
  count = 0;
  n1 = 0;
  n2 = 0;
  n3 = 0;
}

const headerA = new TermHeader();
const headerB = new TermHeader();

/** Reads the node atom of a pid/port/ref into `h` (data, length, latin1); returns its end or -1. */
function readNodeAtom(b: Uint8Array, p: number, end: number, h: TermHeader): number {
  const next = atomEnd(b, p, end);
  if (next < 0) return -1;
  const tag = b[p]!;
  h.latin1 = tag === Tag.ATOM_EXT || tag === Tag.SMALL_ATOM_EXT;
  h.data = tag === Tag.SMALL_ATOM_UTF8_EXT || tag === Tag.SMALL_ATOM_EXT ? p + 2 : p + 3;
  h.length = next - h.data;
  return next;
}

/** Fills `h` from the term at `p`; returns false (h.cls = C_BAD) when malformed. */
function readHeader(b: Uint8Array, p: number, end: number, h: TermHeader): boolean {
  h.cls = C_BAD;
  if (p >= end) return false;
  let tag = b[p]!;
  if (tag === Tag.JS_EXT) {
    if (p + 2 > end) return false;
    const subtype = b[p + 1]!;
    if (subtype === JsSubtype.STRING) {
      if (p + 6 > end) return false;
      h.length = be32(b, p + 2);
      h.data = p + 6;
      h.next = h.data + h.length;
      if (h.next > end) return false;
      h.cls = C_BINARY;
      return true;
    }
    if (subtype !== JsSubtype.BIGINT && subtype !== JsSubtype.MAP) return false;
    p += 2;
    if (p >= end) return false;
    tag = b[p]!;
    if (subtype === JsSubtype.BIGINT ? !isIntegerTag(tag) : tag !== Tag.MAP_EXT) return false;
  }
  switch (tag) {
    case Tag.SMALL_INTEGER_EXT:
      if (p + 2 > end) return false;
      h.small = b[p + 1]!;
      h.big = -1;
      h.next = p + 2;
      h.cls = C_INT;
      return true;
    case Tag.INTEGER_EXT:
      if (p + 5 > end) return false;
      h.small = be32(b, p + 1) | 0;
      h.big = -1;
      h.next = p + 5;
      h.cls = C_INT;
      return true;
    case Tag.SMALL_BIG_EXT:
    case Tag.LARGE_BIG_EXT: {
      const header = tag === Tag.SMALL_BIG_EXT ? 3 : 6;
      if (p + header > end) return false;
      const n = tag === Tag.SMALL_BIG_EXT ? b[p + 1]! : be32(b, p + 1);
      h.big = p + header;
      h.next = h.big + n;
      if (h.next > end) return false;
      let length = n;
      while (length > 0 && b[h.big + length - 1] === 0) length--;
      h.bigLen = length;
      h.sign = length === 0 ? 0 : b[p + header - 1] === 0 ? 0 : 1;
      h.cls = C_INT;
      return true;
    }
    case Tag.NEW_FLOAT_EXT:
      if (p + 9 > end) return false;
      h.data = p + 1;
      h.length = 8;
      h.next = p + 9;
      h.cls = C_FLOAT;
      return true;
    case Tag.FLOAT_EXT:
      if (p + 32 > end) return false;
      h.data = p + 1;
      h.length = 31;
      h.next = p + 32;
      h.cls = C_OLD_FLOAT;
      return true;
    case Tag.SMALL_ATOM_UTF8_EXT:
    case Tag.ATOM_UTF8_EXT:
    case Tag.SMALL_ATOM_EXT:
    case Tag.ATOM_EXT:
      h.next = readNodeAtom(b, p, end, h);
      if (h.next < 0) return false;
      h.cls = C_ATOM;
      return true;
    case Tag.BINARY_EXT:
      if (p + 5 > end) return false;
      h.length = be32(b, p + 1);
      h.data = p + 5;
      h.next = h.data + h.length;
      if (h.next > end) return false;
      h.cls = C_BINARY;
      return true;
    case Tag.BIT_BINARY_EXT:
      if (p + 6 > end) return false;
      h.length = be32(b, p + 1);
      h.bits = b[p + 5]!;
      h.data = p + 6;
      h.next = h.data + h.length;
      if (h.next > end || h.bits < 1 || h.bits > 8 || h.length === 0) return false;
      h.cls = C_BITS;
      return true;
    case Tag.SMALL_TUPLE_EXT:
      if (p + 2 > end) return false;
      h.count = b[p + 1]!;
      h.next = p + 2;
      h.cls = C_TUPLE;
      return true;
    case Tag.LARGE_TUPLE_EXT:
      if (p + 5 > end) return false;
      h.count = be32(b, p + 1);
      h.next = p + 5;
      h.cls = C_TUPLE;
      return true;
    case Tag.NIL_EXT:
      h.next = p + 1;
      h.cls = C_NIL;
      return true;
    case Tag.STRING_EXT:
      if (p + 3 > end) return false;
      h.length = be16(b, p + 1);
      h.data = p + 3;
      h.next = h.data + h.length;
      if (h.next > end) return false;
      h.cls = C_STRING;
      return true;
    case Tag.LIST_EXT:
      if (p + 5 > end) return false;
      h.count = be32(b, p + 1);
      h.next = p + 5;
      h.cls = C_LIST;
      return true;
    case Tag.MAP_EXT:
      if (p + 5 > end) return false;
      h.count = be32(b, p + 1);
      h.next = p + 5;
      h.cls = C_MAP;
      return true;
    case Tag.EXPORT_EXT:
      h.next = p + 1;
      h.cls = C_EXPORT;
      return true;
    case Tag.NEW_FUN_EXT: {
      if (p + 5 > end) return false;
      const size = be32(b, p + 1);
      if (size < 4) return false;
      h.data = p;
      h.length = 1 + size;
      h.next = p + 1 + size;
      if (h.next > end) return false;
      h.cls = C_FUN;
      return true;
    }
    case Tag.NEW_PID_EXT:
    case Tag.PID_EXT: {
      const q = readNodeAtom(b, p + 1, end, h);
      const size = tag === Tag.NEW_PID_EXT ? 12 : 9;
      if (q < 0 || q + size > end) return false;
      h.n1 = be32(b, q);
      h.n2 = be32(b, q + 4);
      h.n3 = tag === Tag.NEW_PID_EXT ? be32(b, q + 8) : b[q + 8]!;
      h.next = q + size;
      h.cls = C_PID;
      return true;
    }
    case Tag.NEW_PORT_EXT:
    case Tag.V4_PORT_EXT:
    case Tag.PORT_EXT: {
      const q = readNodeAtom(b, p + 1, end, h);
      const size = tag === Tag.V4_PORT_EXT ? 12 : tag === Tag.NEW_PORT_EXT ? 8 : 5;
      if (q < 0 || q + size > end) return false;
      if (tag === Tag.V4_PORT_EXT) {
        h.n1 = be32(b, q);
        h.n2 = be32(b, q + 4);
        h.n3 = be32(b, q + 8);
      } else {
        h.n1 = 0;
        h.n2 = be32(b, q);
        h.n3 = tag === Tag.NEW_PORT_EXT ? be32(b, q + 4) : b[q + 4]!;
      }
      h.next = q + size;
      h.cls = C_PORT;
      return true;
    }
    case Tag.NEWER_REFERENCE_EXT:
    case Tag.NEW_REFERENCE_EXT:
    case Tag.REFERENCE_EXT: {
      let words = 1;
      let q: number;
      if (tag === Tag.REFERENCE_EXT) {
        q = readNodeAtom(b, p + 1, end, h);
        if (q < 0 || q + 5 > end) return false;
        h.big = q;
        h.n3 = b[q + 4]!;
        h.next = q + 5;
      } else {
        if (p + 3 > end) return false;
        words = be16(b, p + 1);
        q = readNodeAtom(b, p + 3, end, h);
        if (q < 0) return false;
        const creation = tag === Tag.NEWER_REFERENCE_EXT ? 4 : 1;
        if (q + creation + 4 * words > end) return false;
        h.n3 = tag === Tag.NEWER_REFERENCE_EXT ? be32(b, q) : b[q]!;
        h.big = q + creation;
        h.next = h.big + 4 * words;
      }
      h.bigLen = words;
      h.cls = C_REF;
      return true;
    }
    default:
      return false;
  }
}

function bytesEqual(a: Uint8Array, ap: number, b: Uint8Array, bp: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (a[ap + i] !== b[bp + i]) return false;
  return true;
}

function allAscii(b: Uint8Array, p: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (b[p + i]! >= 0x80) return false;
  return true;
}

/** Atom names: EQUAL, NOT_EQUAL, or UNKNOWN (Latin-1 against UTF-8 beyond ASCII). */
function compareNames(a: Uint8Array, ha: TermHeader, b: Uint8Array, hb: TermHeader): number {
  if (ha.latin1 !== hb.latin1 && !(allAscii(a, ha.data, ha.length) && allAscii(b, hb.data, hb.length))) return Cmp.UNKNOWN;
  return ha.length === hb.length && bytesEqual(a, ha.data, b, hb.data, ha.length) ? Cmp.EQUAL : Cmp.NOT_EQUAL;
}

function compareIntegers(a: Uint8Array, ha: TermHeader, b: Uint8Array, hb: TermHeader): boolean {
  if (ha.big < 0 && hb.big < 0) return ha.small === hb.small;
  if (ha.big >= 0 && hb.big >= 0) {
    return ha.sign === hb.sign && ha.bigLen === hb.bigLen && bytesEqual(a, ha.big, b, hb.big, ha.bigLen);
  }
  // One small (at most 2^31 in magnitude), one big: the big must fit in 4 bytes.
  const small = ha.big < 0 ? ha : hb;
  const big = ha.big < 0 ? hb : ha;
  const bigBytes = ha.big < 0 ? b : a;
  if (big.bigLen > 4) return false;
  let magnitude = 0;
  for (let i = big.bigLen - 1; i >= 0; i--) magnitude = magnitude * 256 + bigBytes[big.big + i]!;
  return (big.sign === 1 ? -magnitude : magnitude) === small.small;
}

function isZeroFloat(b: Uint8Array, p: number): boolean {
  if ((b[p]! & 0x7f) !== 0) return false;
  for (let i = 1; i < 8; i++) if (b[p + i] !== 0) return false;
  return true;
}

function compareRefIds(a: Uint8Array, ha: TermHeader, b: Uint8Array, hb: TermHeader): boolean {
  const words = Math.max(ha.bigLen, hb.bigLen);
  for (let i = 0; i < words; i++) {
    const wa = i < ha.bigLen ? be32(a, ha.big + 4 * i) : 0;
    const wb = i < hb.bigLen ? be32(b, hb.big + 4 * i) : 0;
    if (wa !== wb) return false;
  }
  return true;
}

/** Offset after term B when `compareEncoded` answered EQUAL. */
let compareEndB = 0;

/**
 * Compares the term at `a[ap]` (before `aEnd`) with the term at `b[bp]` (before `bEnd`)
 * for `=:=` as far as the bytes can tell: EQUAL, NOT_EQUAL, UNKNOWN (bytes cannot
 * decide), or BAD (malformed bytes). After EQUAL, `lastCompareEnd()` is the offset after
 * term B. Walks both terms in pre-order with one pending-terms counter (no recursion).
 */
export function compareEncoded(a: Uint8Array, ap: number, aEnd: number, b: Uint8Array, bp: number, bEnd: number): number {
  let pending = 1;
  // Once a map whose key order is not canonical was entered, a difference may be an
  // order difference: answer UNKNOWN instead of NOT_EQUAL from then on.
  let unordered = false;
  const ha = headerA;
  const hb = headerB;
  while (pending > 0) {
    pending--;
    if (!readHeader(a, ap, aEnd, ha) || !readHeader(b, bp, bEnd, hb)) return Cmp.BAD;
    let same: number = Cmp.EQUAL;
    if (ha.cls !== hb.cls) {
      const listA = ha.cls === C_NIL || ha.cls === C_LIST || ha.cls === C_STRING;
      const listB = hb.cls === C_NIL || hb.cls === C_LIST || hb.cls === C_STRING;
      if (listA && listB) return Cmp.UNKNOWN;
      if ((ha.cls === C_FLOAT && hb.cls === C_OLD_FLOAT) || (ha.cls === C_OLD_FLOAT && hb.cls === C_FLOAT)) return Cmp.UNKNOWN;
      same = Cmp.NOT_EQUAL;
    } else {
      switch (ha.cls) {
        case C_INT:
          if (!compareIntegers(a, ha, b, hb)) same = Cmp.NOT_EQUAL;
          break;
        case C_FLOAT:
          if (!bytesEqual(a, ha.data, b, hb.data, 8) && !(isZeroFloat(a, ha.data) && isZeroFloat(b, hb.data))) {
            same = Cmp.NOT_EQUAL;
          }
          break;
        case C_OLD_FLOAT:
        case C_FUN:
          if (ha.length !== hb.length || !bytesEqual(a, ha.data, b, hb.data, ha.length)) return Cmp.UNKNOWN;
          break;
        case C_ATOM:
          same = compareNames(a, ha, b, hb);
          break;
        case C_BINARY:
        case C_STRING:
          if (ha.length !== hb.length || !bytesEqual(a, ha.data, b, hb.data, ha.length)) same = Cmp.NOT_EQUAL;
          break;
        case C_BITS:
          if (ha.bits !== hb.bits || ha.length !== hb.length || !bytesEqual(a, ha.data, b, hb.data, ha.length)) {
            same = Cmp.NOT_EQUAL;
          }
          break;
        case C_TUPLE:
          if (ha.count !== hb.count) same = Cmp.NOT_EQUAL;
          else pending += ha.count;
          break;
        case C_NIL:
          break;
        case C_LIST:
          // Same length: compare elements and tails. Other lengths may still be equal
          // lists when one is written as LIST_EXT with a list tail (not canonical).
          if (ha.count !== hb.count) return Cmp.UNKNOWN;
          pending += ha.count + 1;
          break;
        case C_MAP:
          if (ha.count !== hb.count) same = Cmp.NOT_EQUAL;
          else {
            if (ha.count > FLATMAP_MAX_KEYS) unordered = true;
            pending += 2 * ha.count;
          }
          break;
        case C_EXPORT:
          pending += 3;
          break;
        case C_PID:
        case C_PORT:
          same = compareNames(a, ha, b, hb);
          if (same === Cmp.EQUAL && (ha.n1 !== hb.n1 || ha.n2 !== hb.n2 || ha.n3 !== hb.n3)) same = Cmp.NOT_EQUAL;
          break;
        case C_REF:
          same = compareNames(a, ha, b, hb);
          if (same === Cmp.EQUAL && (ha.n3 !== hb.n3 || !compareRefIds(a, ha, b, hb))) same = Cmp.NOT_EQUAL;
          break;
        default:
          return Cmp.BAD;
      }
    }
    if (same !== Cmp.EQUAL) return same === Cmp.NOT_EQUAL && unordered ? Cmp.UNKNOWN : same;
    if (pending > aEnd - ha.next || pending > bEnd - hb.next) return Cmp.BAD;
    ap = ha.next;
    bp = hb.next;
  }
  compareEndB = bp;
  return Cmp.EQUAL;
}

/** Offset after term B of the last `compareEncoded` that answered EQUAL. */
export function lastCompareEnd(): number {
  return compareEndB;
}

/** The integer term at `p` (after `readHeader`) against a small integer 0..255. */
function integerIs(b: Uint8Array, h: TermHeader, value: number): boolean {
  if (h.cls !== C_INT) return false;
  if (h.big < 0) return h.small === value;
  if (h.sign === 1 || h.bigLen > 1) return false;
  return (h.bigLen === 0 ? 0 : b[h.big]!) === value;
}

/** Compares two capture spans of the same message (kinds from CaptureKind). */
function compareSpans(m: Uint8Array, kindA: number, a0: number, a1: number, kindB: number, b0: number, b1: number): number {
  if (kindA === CaptureKind.TERM && kindB === CaptureKind.TERM) {
    if (a1 - a0 === b1 - b0 && bytesEqual(m, a0, m, b0, a1 - a0)) return Cmp.EQUAL;
    return compareEncoded(m, a0, a1, m, b0, b1);
  }
  if (kindA === CaptureKind.BYTE && kindB === CaptureKind.BYTE) return m[a0] === m[b0] ? Cmp.EQUAL : Cmp.NOT_EQUAL;
  if ((kindA === CaptureKind.BYTE && kindB === CaptureKind.TERM) || (kindA === CaptureKind.TERM && kindB === CaptureKind.BYTE)) {
    const byteAt = kindA === CaptureKind.BYTE ? a0 : b0;
    const termAt = kindA === CaptureKind.BYTE ? b0 : a0;
    const termEnd = kindA === CaptureKind.BYTE ? b1 : a1;
    if (!readHeader(m, termAt, termEnd, headerA)) return Cmp.BAD;
    return integerIs(m, headerA, m[byteAt]!) ? Cmp.EQUAL : Cmp.NOT_EQUAL;
  }
  if (kindA === CaptureKind.STRING_REST && kindB === CaptureKind.STRING_REST) {
    return a1 - a0 === b1 - b0 && bytesEqual(m, a0, m, b0, a1 - a0) ? Cmp.EQUAL : Cmp.NOT_EQUAL;
  }
  if (kindA === kindB && a1 - a0 === b1 - b0 && bytesEqual(m, a0, m, b0, a1 - a0)) return Cmp.EQUAL;
  return Cmp.UNKNOWN;
}

// ---------------------------------------------------------------------------------
// The validator

function malformed(what: string, at: number): BeamError {
  return new BeamError(ErrorCode.BAD_PATTERN, `match program is malformed: ${what} (at byte ${at})`);
}

interface ProgramInfo {
  readonly slots: number;
  readonly registers: number;
  readonly maxDepth: number;
  readonly codeStart: number;
  readonly codeEnd: number;
}

const validated = new WeakMap<Uint8Array, { readonly copy: Uint8Array; readonly info: ProgramInfo }>();

/**
 * Checks a program (see "Validity" in match_program.ts) and returns its header fields.
 * Throws `BeamError` BAD_PATTERN naming the first problem. Results are cached per
 * program array and re-checked when its bytes changed.
 */
export function validateProgram(program: Uint8Array): ProgramInfo {
  const cached = validated.get(program);
  if (cached !== undefined && cached.copy.length === program.length && bytesEqual(cached.copy, 0, program, 0, program.length)) {
    return cached.info;
  }
  const info = validateUncached(program);
  validated.set(program, { copy: program.slice(), info });
  return info;
}

function validateUncached(program: Uint8Array): ProgramInfo {
  if (program.length < Header.SIZE) throw malformed(`shorter than its ${Header.SIZE}-byte header`, 0);
  for (let i = 0; i < 4; i++) if (program[i] !== PROGRAM_MAGIC[i]) throw malformed('bad magic (expected "BJMP")', 0);
  if (program[Header.VERSION] !== PROGRAM_VERSION) throw malformed(`unsupported version ${program[Header.VERSION]}`, Header.VERSION);
  const slots = le16(program, Header.SLOTS);
  const registers = le16(program, Header.REGISTERS);
  const maxDepth = le16(program, Header.MAX_DEPTH);
  const codeLength = le32(program, Header.CODE_LENGTH);
  const codeStart = Header.SIZE;
  if (codeLength === 0 || codeLength > program.length - codeStart) {
    throw malformed(`code length ${codeLength} does not fit the program (${program.length} bytes)`, Header.CODE_LENGTH);
  }
  const codeEnd = codeStart + codeLength;
  const poolStart = codeEnd;
  const poolLength = program.length - poolStart;
  // Pass 1: instruction boundaries and operands.
  const starts = new Uint8Array(codeLength);
  let pc = 0;
  let last = 0;
  while (pc < codeLength) {
    const at = codeStart + pc;
    const op = program[at]!;
    const size = OP_SIZE[op];
    if (size === undefined) throw malformed(`unknown opcode 0x${op.toString(16).padStart(2, '0')}`, at);
    let length = size;
    if (op === Op.ALT) {
      if (pc + 5 > codeLength) throw malformed('truncated instruction', at);
      const n = le16(program, at + 3);
      if (n === 0) throw malformed('ALT with no alternatives', at);
      length = 5 + 4 * n;
    }
    if (pc + length > codeLength) throw malformed('truncated instruction', at);
    starts[pc] = 1;
    last = op;
    pc += length;
  }
  if (last !== Op.MATCH && last !== Op.FAIL && last !== Op.NEEDS_JS && last !== Op.JUMP && last !== Op.ALT_END) {
    throw malformed('the last instruction falls through the end of the code', codeStart + codeLength - 1);
  }
  // Pass 2: operands.
  const target = (from: number, value: number, at: number): void => {
    if (value <= from || value >= codeLength || starts[value] !== 1) throw malformed(`bad jump target ${value}`, at);
  };
  const register = (value: number, at: number): void => {
    if (value >= registers) throw malformed(`register ${value} out of range (${registers} registers)`, at);
  };
  const literal = (offset: number, length: number, at: number): void => {
    if (length === 0 || offset > poolLength || length > poolLength - offset) {
      throw malformed(`literal (${offset}, ${length}) outside the pool (${poolLength} bytes)`, at);
    }
    if (skipTerms(program, poolStart + offset, poolStart + offset + length, 1) !== poolStart + offset + length) {
      throw malformed(`literal (${offset}, ${length}) is not one well-formed term`, at);
    }
  };
  pc = 0;
  while (pc < codeLength) {
    const at = codeStart + pc;
    const op = program[at]!;
    let length = OP_SIZE[op]!;
    switch (op) {
      case Op.LITERAL:
        literal(le32(program, at + 1), le32(program, at + 5), at);
        break;
      case Op.TYPE: {
        const code = program[at + 1]!;
        if (code < TypeCode.INTEGER || code > TypeCode.BOOLEAN) throw malformed(`unknown type test ${code}`, at);
        break;
      }
      case Op.LIST:
      case Op.REST_SKIP:
      case Op.REST_IS_LIST:
      case Op.MAP:
      case Op.MAP_END:
      case Op.CAPTURE_BEGIN:
      case Op.CAPTURE_BEGIN_BYTE:
        register(le16(program, at + 1), at);
        break;
      case Op.REST_LIST:
        register(le16(program, at + 1), at);
        target(pc, le32(program, at + 7), at);
        break;
      case Op.REST_TERM:
        register(le16(program, at + 1), at);
        if (program[at + 3]! > 1) throw malformed(`bad flag ${program[at + 3]}`, at);
        target(pc, le32(program, at + 4), at);
        break;
      case Op.MAP_GET:
        register(le16(program, at + 1), at);
        literal(le32(program, at + 3), le32(program, at + 7), at);
        break;
      case Op.CAPTURE_BEGIN_REST:
        register(le16(program, at + 1), at);
        register(le16(program, at + 3), at);
        break;
      case Op.CAPTURE_END: {
        const slot = le16(program, at + 1);
        if (slot >= slots) throw malformed(`capture slot ${slot} out of range (${slots} slots)`, at);
        register(le16(program, at + 3), at);
        break;
      }
      case Op.CAPTURE_ANY: {
        const slot = le16(program, at + 1);
        if (slot >= slots) throw malformed(`capture slot ${slot} out of range (${slots} slots)`, at);
        break;
      }
      case Op.ALT: {
        const saved = le16(program, at + 1);
        if (saved !== NO_REGISTER) register(saved, at);
        const n = le16(program, at + 3);
        if (maxDepth === 0) throw malformed('ALT in a program whose maximum nesting is 0', at);
        for (let i = 0; i < n; i++) target(pc, le32(program, at + 5 + 4 * i), at);
        length = 5 + 4 * n;
        break;
      }
      case Op.ALT_END:
      case Op.JUMP:
        target(pc, le32(program, at + 1), at);
        break;
      default:
        break;
    }
    pc += length;
  }
  return { slots, registers, maxDepth, codeStart, codeEnd };
}

// ---------------------------------------------------------------------------------
// The interpreter

// Scratch state, grown on demand (see the thread-safety note in the header).
let regs = new Int32Array(3 * 16);
let trail = new Int32Array(16);
let cpPc = new Int32Array(8);
let cpIndex = new Int32Array(8);
let cpPos = new Int32Array(8);
let cpTrail = new Int32Array(8);
let cpGuard = new Uint8Array(8);
let cpRegs = new Int32Array(3 * 8);

function ensureScratch(info: ProgramInfo): void {
  if (regs.length < REGISTER_WORDS * info.registers) regs = new Int32Array(REGISTER_WORDS * info.registers);
  if (trail.length < info.slots) trail = new Int32Array(info.slots);
  if (cpPc.length < info.maxDepth) {
    const n = info.maxDepth;
    cpPc = new Int32Array(n);
    cpIndex = new Int32Array(n);
    cpPos = new Int32Array(n);
    cpTrail = new Int32Array(n);
    cpGuard = new Uint8Array(n);
    cpRegs = new Int32Array(REGISTER_WORDS * n);
  }
}

const LIST_KIND = 0;
const STRING_KIND = 1;

/** Runs a validated program over the message in [start, end). */
function run(program: Uint8Array, info: ProgramInfo, m: Uint8Array, start: number, end: number, captures: Int32Array): MatchResult {
  const cs = info.codeStart;
  const codeLength = info.codeEnd - cs;
  const poolStart = info.codeEnd;
  for (let i = 0; i < CAPTURE_WORDS * info.slots; i++) captures[i] = 0;
  // Registers start at zero, so that a (valid but odd) program reading a register it
  // never wrote sees the same value in both implementations, whatever ran before.
  regs.fill(0, 0, REGISTER_WORDS * info.registers);
  let pos = start;
  if (pos < end && m[pos] === VERSION) pos++;
  let pc = 0;
  let depth = 0;
  let trailLength = 0;
  let guardPending = false;
  let steps = 0;
  let failed = false;
  for (;;) {
    if (failed) {
      // Backtrack to the innermost open alternative, or give up.
      failed = false;
      let resumed = false;
      while (depth > 0) {
        const top = depth - 1;
        pos = cpPos[top]!;
        guardPending = cpGuard[top] === 1;
        while (trailLength > cpTrail[top]!) captures[CAPTURE_WORDS * trail[--trailLength]!] = CaptureKind.UNBOUND;
        const altAt = cs + cpPc[top]!;
        const saved = le16(program, altAt + 1);
        if (saved !== NO_REGISTER) {
          regs[3 * saved] = cpRegs[3 * top]!;
          regs[3 * saved + 1] = cpRegs[3 * top + 1]!;
          regs[3 * saved + 2] = cpRegs[3 * top + 2]!;
        }
        const next = cpIndex[top]! + 1;
        if (next < le16(program, altAt + 3)) {
          cpIndex[top] = next;
          pc = le32(program, altAt + 5 + 4 * next);
          resumed = true;
          break;
        }
        depth--;
      }
      if (!resumed) return NO_MATCH;
    }
    if (++steps > codeLength) throw malformed('it runs more instructions than it has bytes (a loop)', cs + pc);
    const at = cs + pc;
    const op = program[at]!;
    switch (op) {
      case Op.MATCH:
        if (pos !== end) {
          failed = true;
          break;
        }
        return guardPending ? MATCH_NEEDS_GUARD : MATCH;
      case Op.FAIL:
        failed = true;
        break;
      case Op.SKIP:
        pos = skipTerms(m, pos, end, 1);
        if (pos < 0) failed = true;
        pc += 1;
        break;
      case Op.LITERAL: {
        const offset = poolStart + le32(program, at + 1);
        const result = compareEncoded(program, offset, offset + le32(program, at + 5), m, pos, end);
        if (result === Cmp.UNKNOWN) return MATCH_NEEDS_GUARD;
        if (result !== Cmp.EQUAL) failed = true;
        else pos = compareEndB;
        pc += 9;
        break;
      }
      case Op.TYPE:
        if (!typeTest(program[at + 1]!, m, pos, end)) failed = true;
        else {
          pos = skipTerms(m, pos, end, 1);
          if (pos < 0) failed = true;
        }
        pc += 2;
        break;
      case Op.TUPLE_OF:
      case Op.TUPLE: {
        const arity = le32(program, at + 1);
        let actual = -1;
        let next = 0;
        if (pos < end && m[pos] === Tag.SMALL_TUPLE_EXT && pos + 2 <= end) {
          actual = m[pos + 1]!;
          next = pos + 2;
        } else if (pos < end && m[pos] === Tag.LARGE_TUPLE_EXT && pos + 5 <= end) {
          actual = be32(m, pos + 1);
          next = pos + 5;
        }
        if (actual !== arity) failed = true;
        else if (op === Op.TUPLE) pos = next;
        else {
          pos = skipTerms(m, pos, end, 1);
          if (pos < 0) failed = true;
        }
        pc += 5;
        break;
      }
      case Op.LIST: {
        const r = 3 * le16(program, at + 1);
        const tag = pos < end ? m[pos]! : -1;
        if (tag === Tag.NIL_EXT) {
          regs[r] = 0;
          regs[r + 1] = LIST_KIND;
        } else if (tag === Tag.LIST_EXT && pos + 5 <= end && be32(m, pos + 1) <= end - pos - 5) {
          regs[r] = be32(m, pos + 1);
          regs[r + 1] = LIST_KIND;
          pos += 5;
        } else if (tag === Tag.STRING_EXT && pos + 3 <= end && be16(m, pos + 1) <= end - pos - 3) {
          regs[r] = be16(m, pos + 1);
          regs[r + 1] = STRING_KIND;
          pos += 3;
        } else {
          failed = true;
        }
        pc += 3;
        break;
      }
      case Op.REST_LIST: {
        const r = 3 * le16(program, at + 1);
        const need = le32(program, at + 3);
        const remaining = regs[r]!;
        if (remaining >= need) {
          regs[r] = remaining - need;
          pc = regs[r + 1] === STRING_KIND ? le32(program, at + 7) : pc + 11;
          break;
        }
        if (regs[r + 1] === LIST_KIND) {
          // Too few elements here; a list tail would hold more (not canonical): ask JS.
          const tail = skipTerms(m, pos, end, remaining);
          if (tail >= 0 && tail < end && (m[tail] === Tag.LIST_EXT || m[tail] === Tag.STRING_EXT)) return MATCH_NEEDS_GUARD;
        }
        failed = true;
        break;
      }
      case Op.REST_SKIP: {
        const r = 3 * le16(program, at + 1);
        if (regs[r + 1] === STRING_KIND) {
          pos += regs[r]!;
          if (pos > end) failed = true;
        } else {
          pos = skipTerms(m, pos, end, regs[r]! + 1);
          if (pos < 0) failed = true;
        }
        regs[r] = 0;
        pc += 3;
        break;
      }
      case Op.REST_TERM: {
        const r = 3 * le16(program, at + 1);
        if (regs[r]! > 0) failed = true;
        else if (regs[r + 1] === STRING_KIND) {
          if (program[at + 3] === 1) pc = le32(program, at + 4);
          else failed = true;
        } else pc += 8;
        break;
      }
      case Op.REST_IS_LIST: {
        const r = 3 * le16(program, at + 1);
        if (regs[r + 1] === STRING_KIND) {
          pos += regs[r]!;
          if (pos > end) failed = true;
        } else if (regs[r]! > 0) {
          pos = skipTerms(m, pos, end, regs[r]! + 1);
          if (pos < 0) failed = true;
        } else if (!typeTest(TypeCode.LIST, m, pos, end)) failed = true;
        else {
          pos = skipTerms(m, pos, end, 1);
          if (pos < 0) failed = true;
        }
        regs[r] = 0;
        pc += 3;
        break;
      }
      case Op.MAP: {
        const r = 3 * le16(program, at + 1);
        let p = pos;
        if (p + 2 < end && m[p] === Tag.JS_EXT && m[p + 1] === JsSubtype.MAP) p += 2;
        const mapEnd = p < end && m[p] === Tag.MAP_EXT ? skipTerms(m, pos, end, 1) : -1;
        if (mapEnd < 0) failed = true;
        else {
          regs[r] = p + 5;
          regs[r + 1] = be32(m, p + 1);
          regs[r + 2] = mapEnd;
        }
        pc += 3;
        break;
      }
      case Op.MAP_GET: {
        const r = 3 * le16(program, at + 1);
        const offset = poolStart + le32(program, at + 3);
        const literalEnd = offset + le32(program, at + 7);
        const mapEnd = regs[r + 2]!;
        let p = regs[r]!;
        let found = -1;
        let unknown = false;
        for (let i = regs[r + 1]!; i > 0; i--) {
          const result = compareEncoded(program, offset, literalEnd, m, p, mapEnd);
          if (result === Cmp.EQUAL) {
            found = compareEndB;
            break;
          }
          if (result === Cmp.UNKNOWN) unknown = true;
          p = skipTerms(m, p, mapEnd, 2);
          if (p < 0) break;
        }
        if (found >= 0) pos = found;
        else if (unknown) return MATCH_NEEDS_GUARD;
        else failed = true;
        pc += 11;
        break;
      }
      case Op.MAP_END:
        pos = regs[3 * le16(program, at + 1) + 2]!;
        pc += 3;
        break;
      case Op.CAPTURE_BEGIN:
      case Op.CAPTURE_BEGIN_BYTE: {
        const r = 3 * le16(program, at + 1);
        regs[r] = pos;
        regs[r + 1] = op === Op.CAPTURE_BEGIN ? CaptureKind.TERM : CaptureKind.BYTE;
        pc += 3;
        break;
      }
      case Op.CAPTURE_BEGIN_REST: {
        const r = 3 * le16(program, at + 1);
        const l = 3 * le16(program, at + 3);
        regs[r] = pos;
        regs[r + 1] =
          regs[l + 1] === STRING_KIND ? CaptureKind.STRING_REST : regs[l]! > 0 ? CaptureKind.LIST_REST : CaptureKind.TERM;
        pc += 5;
        break;
      }
      case Op.CAPTURE_END:
      case Op.CAPTURE_ANY: {
        const slot = le16(program, at + 1);
        let kind: number;
        let from: number;
        if (op === Op.CAPTURE_END) {
          const r = 3 * le16(program, at + 3);
          from = regs[r]!;
          kind = regs[r + 1]!;
          pc += 5;
        } else {
          from = pos;
          kind = CaptureKind.TERM;
          pos = skipTerms(m, pos, end, 1);
          pc += 3;
          if (pos < 0) {
            failed = true;
            break;
          }
        }
        const c = CAPTURE_WORDS * slot;
        if (captures[c] === CaptureKind.UNBOUND) {
          captures[c] = kind;
          captures[c + 1] = from;
          captures[c + 2] = pos;
          trail[trailLength++] = slot;
        } else {
          const result = compareSpans(m, captures[c]!, captures[c + 1]!, captures[c + 2]!, kind, from, pos);
          if (result === Cmp.UNKNOWN) return MATCH_NEEDS_GUARD;
          if (result !== Cmp.EQUAL) failed = true;
        }
        break;
      }
      case Op.BYTE_EQ:
        if (pos < end && m[pos] === program[at + 1]) pos++;
        else failed = true;
        pc += 2;
        break;
      case Op.BYTE_SKIP:
        if (pos < end) pos++;
        else failed = true;
        pc += 1;
        break;
      case Op.ALT: {
        if (depth >= info.maxDepth) throw malformed('alternatives nest deeper than the header says', at);
        const saved = le16(program, at + 1);
        cpPc[depth] = pc;
        cpIndex[depth] = 0;
        cpPos[depth] = pos;
        cpTrail[depth] = trailLength;
        cpGuard[depth] = guardPending ? 1 : 0;
        if (saved !== NO_REGISTER) {
          cpRegs[3 * depth] = regs[3 * saved]!;
          cpRegs[3 * depth + 1] = regs[3 * saved + 1]!;
          cpRegs[3 * depth + 2] = regs[3 * saved + 2]!;
        }
        depth++;
        pc = le32(program, at + 5);
        break;
      }
      case Op.ALT_END:
        if (depth === 0) throw malformed('ALT_END outside an alternative', at);
        depth--;
        pc = le32(program, at + 1);
        break;
      case Op.GUARD_MARK:
        guardPending = true;
        pc += 1;
        break;
      case Op.NEEDS_JS:
        return MATCH_NEEDS_GUARD;
      case Op.JUMP:
        pc = le32(program, at + 1);
        break;
      default:
        throw malformed(`unknown opcode 0x${op.toString(16).padStart(2, '0')}`, at);
    }
  }
}

// ---------------------------------------------------------------------------------
// Public entry points (the JS twin)

function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Argument checks. The shape checks (types and ranges, which need no program) are shared
 * by the twin and the native wrapper (src/native/index.ts), so both throw the same
 * errors; the program validation and the captures length check come next, in that
 * order, on each side (native/match.cc repeats them with the same messages).
 */
export function checkRunShape(program: unknown, message: unknown, start: unknown, end: unknown, captures: unknown): void {
  checkProgramArgument(program);
  if (!(message instanceof Uint8Array)) throw new InvalidArgumentError(`message must be a Uint8Array; received ${describeValue(message)}`);
  if (!isIndex(start) || !isIndex(end) || start > end || end > message.length) {
    throw new InvalidArgumentError(
      `start and end must be integers with 0 <= start <= end <= message.length (${message.length}); received start ${String(start)}, end ${String(end)}`,
    );
  }
  checkCapturesType(captures);
}

/** See `checkRunShape`. */
export function checkScanShape(
  program: unknown,
  buffer: unknown,
  offsets: unknown,
  count: unknown,
  fromIndex: unknown,
  captures: unknown,
): void {
  checkProgramArgument(program);
  if (!(buffer instanceof Uint8Array)) throw new InvalidArgumentError(`buffer must be a Uint8Array; received ${describeValue(buffer)}`);
  if (!(offsets instanceof Int32Array)) {
    throw new InvalidArgumentError(`offsets must be an Int32Array of (start, end) pairs; received ${describeValue(offsets)}`);
  }
  if (!isIndex(count) || 2 * count > offsets.length) {
    throw new InvalidArgumentError(
      `count must be an integer with 0 <= count <= offsets.length / 2 (${offsets.length >> 1}); received ${String(count)}`,
    );
  }
  if (!isIndex(fromIndex) || fromIndex > count) {
    throw new InvalidArgumentError(`fromIndex must be an integer with 0 <= fromIndex <= count (${count}); received ${String(fromIndex)}`);
  }
  checkCapturesType(captures);
}

function checkProgramArgument(program: unknown): asserts program is Uint8Array {
  if (!(program instanceof Uint8Array)) {
    throw new InvalidArgumentError(`program must be a Uint8Array (a match program); received ${describeValue(program)}`);
  }
}

function checkCapturesType(captures: unknown): asserts captures is Int32Array {
  if (!(captures instanceof Int32Array)) {
    throw new InvalidArgumentError(`captures must be an Int32Array (${CAPTURE_WORDS} elements per capture slot); received ${describeValue(captures)}`);
  }
}

function checkCapturesLength(captures: Int32Array, slots: number): void {
  if (captures.length < CAPTURE_WORDS * slots) {
    throw new InvalidArgumentError(
      `captures must have at least ${CAPTURE_WORDS * slots} elements (${CAPTURE_WORDS} per capture slot); received an Int32Array of ${captures.length}`,
    );
  }
}

/**
 * Runs `program` over the encoded message in `message[start, end)` (version byte
 * optional); fills `captures` (3 words per slot, see match_program.ts) and returns
 * NO_MATCH (0), MATCH (1) or MATCH_NEEDS_GUARD (2).
 */
export function runProgram(program: MatchProgram, message: Uint8Array, start: number, end: number, captures: Int32Array): number {
  checkRunShape(program, message, start, end, captures);
  const info = validateProgram(program);
  checkCapturesLength(captures, info.slots);
  ensureScratch(info);
  return run(program, info, message, start, end, captures);
}

/**
 * Runs `program` over messages `fromIndex … count - 1` of `buffer`, message i being
 * `buffer[offsets[2i], offsets[2i + 1])`; returns the index of the first that matches
 * or needs a guard (its captures are in `captures`), or -1.
 */
export function scanMailbox(
  program: MatchProgram,
  buffer: Uint8Array,
  offsets: Int32Array,
  count: number,
  fromIndex: number,
  captures: Int32Array,
): number {
  checkScanShape(program, buffer, offsets, count, fromIndex, captures);
  const info = validateProgram(program);
  checkCapturesLength(captures, info.slots);
  ensureScratch(info);
  for (let i = fromIndex; i < count; i++) {
    const start = offsets[2 * i]!;
    const end = offsets[2 * i + 1]!;
    if (start < 0 || start > end || end > buffer.length) {
      throw new InvalidArgumentError(
        `message ${i} (offsets[${2 * i}] = ${start}, offsets[${2 * i + 1}] = ${end}) is outside the buffer (length ${buffer.length})`,
      );
    }
    if (run(program, info, buffer, start, end, captures) !== NO_MATCH) return i;
  }
  return -1;
}

/** The JS twin as a `ProgramRunner`. */
export const jsRunner: ProgramRunner = Object.freeze({ runProgram, scanMailbox });

// ---------------------------------------------------------------------------------
// From spans back to terms

const DECODE_OPTIONS = { jsTypes: true } as const;

function decodeOne(bytes: Uint8Array, offset: number): Term {
  return decodeTermAt(bytes, offset, DECODE_OPTIONS).term;
}

/** The term of one capture span (kind, start, end) of `message`. */
export function decodeSpan(message: Uint8Array, kind: number, start: number, end: number): Term {
  switch (kind) {
    case CaptureKind.TERM:
      return decodeOne(message, start);
    case CaptureKind.BYTE:
      return message[start]!;
    case CaptureKind.STRING_REST:
      return Array.from(message.subarray(start, end));
    case CaptureKind.LIST_REST: {
      const items: Term[] = [];
      let p = start;
      for (;;) {
        const next = skipTerms(message, p, end, 1);
        if (next < 0) throw new InvalidArgumentError(`capture span [${start}, ${end}) is not a list rest`);
        if (next === end) return improperList(items, decodeOne(message, p));
        items.push(decodeOne(message, p));
        p = next;
      }
    }
    default:
      throw new InvalidArgumentError(`unknown capture kind ${kind}`);
  }
}

/** The captures object of a run that returned MATCH (names in slot order). */
export function decodeCaptures(names: readonly string[], message: Uint8Array, captures: Int32Array): Record<string, Term> {
  const result: Record<string, Term> = {};
  for (let slot = 0; slot < names.length; slot++) {
    const c = CAPTURE_WORDS * slot;
    const kind = captures[c]!;
    if (kind !== CaptureKind.UNBOUND) result[names[slot]!] = decodeSpan(message, kind, captures[c + 1]!, captures[c + 2]!);
  }
  return result;
}

/**
 * Matches an encoded message with a compiled pattern through its program: the
 * program answers; on MATCH the capture spans are decoded; on MATCH_NEEDS_GUARD the
 * message is decoded and `matcher.match()` decides. The result equals
 * `matcher.match(decoded message)`.
 */
export function matchEncoded<C>(
  matcher: Matcher<C>,
  message: Uint8Array,
  start = 0,
  end = message.length,
  runner: ProgramRunner = jsRunner,
): C | undefined {
  const captures = new Int32Array(CAPTURE_WORDS * matcher.captureNames.length);
  const result = runner.runProgram(matcher.program, message, start, end, captures);
  if (result === NO_MATCH) return undefined;
  if (result === MATCH) return decodeCaptures(matcher.captureNames, message, captures) as C;
  return matcher.match(decodeOne(message, message[start] === VERSION ? start + 1 : start));
}
