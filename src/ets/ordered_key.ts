/**
 * src/ets/ordered_key.ts: the cached order-preserving key prefix of the ordered_set store
 * (ordered_store.ts). Each stored key carries 64 bits computed from it, so that most key
 * comparisons in a lookup are two unsigned integer comparisons instead of a decode of the
 * stored key and a call of `compare`.
 *
 * Contract (what ordered_store.ts relies on): for any terms a, b
 *   - compare(a, b) < 0  implies  prefix(a) <= prefix(b)   (the prefix is monotone);
 *   - prefix(a) < prefix(b) therefore implies compare(a, b) < 0 (no decode needed);
 *   - equal prefixes decide nothing, unless both keys are `exact` (the prefix determines
 *     the key up to ==): then compare(a, b) === 0 (1 and 1.0 have one exact prefix).
 *
 * The prefix is two unsigned 32-bit words compared high word first:
 *
 * | bits of hi | meaning                                                         |
 * |-----------:|-----------------------------------------------------------------|
 * | 31..28     | the term's kind (TermKind: number 0 < atom 1 < ... < bitstring 10) |
 * | 27..0      | payload bits 59..32 (per kind, below)                           |
 * | lo 31..0   | payload bits 31..0                                              |
 *
 * Payload per kind (60 bits):
 *   - number: the top 60 bits of the 64-bit order key of its float64 value (sign bit
 *     flipped for >= 0, all bits flipped for < 0; -0.0 counts as 0.0). A bigint rounds to
 *     the nearest double, which is monotone. Exact when the value is a double and the 4
 *     dropped bits are zero (every integer up to 2^48 in magnitude, most floats).
 *   - atom, binary (string as UTF-8, Uint8Array), bitstring: the first 60 bits of the
 *     content (atoms: UTF-8 of the name), padded with zero bits. Erlang orders these by
 *     content then length, and a zero-padded bit prefix is monotone in that order. Never
 *     exact ("ab" and "ab\0" share a prefix).
 *   - pid: serial, then id (erl orders pids by serial, then id); a serial of 2^28 or more
 *     is clamped, and then the id is left out.
 *   - tuple: the size (clamped to 28 bits), then the high word of the first element's
 *     prefix (tuples order by size, then elements). Exact for {}.
 *   - list: the first element's prefix shifted right by 4 bits (lists order by their
 *     first element, then the rest).
 *   - nil: 0, exact. map: its size (maps order by size first). reference, fun, port: 0.
 *
 * Threads: pure functions over terms, any thread. Bad input: keys are terms already
 * validated by the encoder; a value that is not a term gives kind 15 and is rejected by
 * the encoder before it is stored.
 */
import { Atom, atomName } from '../term/atom.js';
import { BitString } from '../term/bitstring.js';
import { floatValue } from '../term/float.js';
import type { Float } from '../term/float.js';
import { ImproperList } from '../term/improper_list.js';
import { Pid } from '../term/pid.js';
import { TermKind, termKind } from '../term/term.js';
import type { Term } from '../term/term.js';
import { Tuple } from '../term/tuple.js';
import { utf8Bytes } from '../term/utf8.js';

/** A key's prefix: `hi` and `lo` as unsigned 32-bit integers, and whether it is exact. */
export interface KeyPrefix {
  hi: number;
  lo: number;
  exact: boolean;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = LITTLE_ENDIAN ? 0 : 1;
const MAX28 = 0x0fffffff;

/** Computes the prefix of `key` into `out` (allocation-free) and returns `out`. */
export function keyPrefix(key: Term, out: KeyPrefix): KeyPrefix {
  out.exact = false;
  if (typeof key === 'number') return numberPrefix(key, key, out);
  if (typeof key === 'string') return bytesPrefix(TermKind.BITSTRING, utf8Bytes(head(key)), out);
  const kind = termKind(key);
  switch (kind) {
    case TermKind.NUMBER:
      if (typeof key === 'bigint') return numberPrefix(Number(key), key, out);
      return numberPrefix(floatValue(key as Float), key, out);
    case TermKind.ATOM:
      return bytesPrefix(TermKind.ATOM, utf8Bytes(head(key instanceof Atom ? key.name : atomName(key)!)), out);
    case TermKind.BITSTRING:
      return bytesPrefix(TermKind.BITSTRING, key instanceof BitString ? key.bytes : (key as Uint8Array), out);
    case TermKind.PID: {
      const pid = key as Pid;
      // A clamped serial says nothing about the id: then the low word stays 0.
      const clamped = pid.serial >= MAX28;
      out.hi = ((TermKind.PID << 28) | (clamped ? MAX28 : pid.serial)) >>> 0;
      out.lo = clamped ? 0 : pid.id >>> 0;
      return out;
    }
    case TermKind.TUPLE: {
      const t = key as Tuple;
      const size = t.size;
      let first = 0;
      if (size > 0) first = keyPrefix(t.elements[0]!, out).hi;
      out.hi = ((TermKind.TUPLE << 28) | Math.min(size, MAX28)) >>> 0;
      out.lo = size >= MAX28 ? 0 : first;
      out.exact = size === 0;
      return out;
    }
    case TermKind.LIST: {
      const first = key instanceof ImproperList ? key.head[0]! : (key as readonly Term[])[0]!;
      keyPrefix(first, out);
      const hi = out.hi;
      const lo = out.lo;
      out.hi = ((TermKind.LIST << 28) | (hi >>> 4)) >>> 0;
      out.lo = (((hi & 0xf) << 28) | (lo >>> 4)) >>> 0;
      out.exact = false;
      return out;
    }
    case TermKind.NIL:
      out.hi = (TermKind.NIL << 28) >>> 0;
      out.lo = 0;
      out.exact = true;
      return out;
    case TermKind.MAP: {
      const size = key instanceof Map ? key.size : Object.keys(key as object).length;
      out.hi = ((TermKind.MAP << 28) | Math.min(size, MAX28)) >>> 0;
      out.lo = 0;
      return out;
    }
    case TermKind.REFERENCE:
    case TermKind.FUN:
    case TermKind.PORT:
      out.hi = (kind << 28) >>> 0;
      out.lo = 0;
      return out;
    default:
      out.hi = 0xf0000000;
      out.lo = 0;
      return out;
  }
}

/** The start of `s` whose UTF-8 has at least the 8 bytes the prefix uses, without splitting a surrogate pair. */
function head(s: string): string {
  if (s.length <= 9) return s;
  const cut = s.charCodeAt(8) >= 0xd800 && s.charCodeAt(8) <= 0xdbff ? 8 : 9;
  return s.slice(0, cut);
}

function numberPrefix(value: number, original: Term, out: KeyPrefix): KeyPrefix {
  f64[0] = value === 0 ? 0 : value; // -0.0 == 0.0
  let hi = u32[HI]!;
  let lo = u32[LO]!;
  if (hi & 0x80000000) {
    hi = ~hi >>> 0;
    lo = ~lo >>> 0;
  } else {
    hi = (hi | 0x80000000) >>> 0;
  }
  out.hi = ((TermKind.NUMBER << 28) | (hi >>> 4)) >>> 0;
  out.lo = (((hi & 0xf) << 28) | (lo >>> 4)) >>> 0;
  out.exact = (lo & 0xf) === 0 && (typeof original !== 'bigint' || (Number.isFinite(value) && BigInt(value) === original));
  return out;
}

function bytesPrefix(kind: number, bytes: Uint8Array, out: KeyPrefix): KeyPrefix {
  const n = bytes.length;
  const b0 = n > 0 ? bytes[0]! : 0;
  const b1 = n > 1 ? bytes[1]! : 0;
  const b2 = n > 2 ? bytes[2]! : 0;
  const b3 = n > 3 ? bytes[3]! : 0;
  const b4 = n > 4 ? bytes[4]! : 0;
  const b5 = n > 5 ? bytes[5]! : 0;
  const b6 = n > 6 ? bytes[6]! : 0;
  const b7 = n > 7 ? bytes[7]! : 0;
  out.hi = ((kind << 28) | (b0 << 20) | (b1 << 12) | (b2 << 4) | (b3 >>> 4)) >>> 0;
  out.lo = (((b3 & 0xf) << 28) | (b4 << 20) | (b5 << 12) | (b6 << 4) | (b7 >>> 4)) >>> 0;
  return out;
}

/** Compares two prefixes: -1, 0 (undecided unless both are exact) or 1. */
export function comparePrefix(aHi: number, aLo: number, bHi: number, bLo: number): -1 | 0 | 1 {
  if (aHi !== bHi) return aHi < bHi ? -1 : 1;
  if (aLo !== bLo) return aLo < bLo ? -1 : 1;
  return 0;
}
