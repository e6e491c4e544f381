/**
 * The ETF encoder: JS term values to External Term Format bytes, as erl 25's
 * term_to_binary writes them (and, with `jsTypes`, beamjs's in-VM extension).
 *
 * Which encoding each JS value gets (erl chooses the same by value):
 *
 *   | JS value                         | encoding                                                  |
 *   |----------------------------------|-----------------------------------------------------------|
 *   | safe integer 0..255              | SMALL_INTEGER_EXT                                         |
 *   | safe integer in int32            | INTEGER_EXT                                               |
 *   | other safe integers, bigints     | SMALL_BIG_EXT (≤ 255 bytes) / LARGE_BIG_EXT               |
 *   | other finite numbers, `Float`    | NEW_FLOAT_EXT (FLOAT_EXT text with minorVersion 0)        |
 *   | Atom, true/false/undefined/null  | see atom_table.ts (by minorVersion)                       |
 *   | string                           | BINARY_EXT of its UTF-8 (lone surrogates → EF BF BD)      |
 *   | Uint8Array (and Buffer)          | BINARY_EXT                                                |
 *   | BitString                        | BIT_BINARY_EXT                                            |
 *   | [] / array of 1..65535 integers 0..255 / other arrays | NIL_EXT / STRING_EXT / LIST_EXT … NIL_EXT |
 *   | ImproperList                     | LIST_EXT, elements, tail                                  |
 *   | Tuple                            | SMALL_TUPLE_EXT (≤ 255) / LARGE_TUPLE_EXT                 |
 *   | plain object / Map               | MAP_EXT                                                   |
 *   | Pid / Ref / Port                 | NEW_PID_EXT / NEWER_REFERENCE_EXT / NEW_PORT_EXT (id < 2^28) or V4_PORT_EXT |
 *   | ExportFun / ErlClosure           | EXPORT_EXT / NEW_FUN_EXT (every field kept, so a closure received from erl re-encodes byte for byte) |
 *
 * With `jsTypes` (tags.ts, JS_EXT): strings are JS_EXT strings, bigints in the safe
 * range get the bigint prefix, Maps whose keys are all atoms get the Map prefix.
 *
 * Map key order: maps of at most 32 keys are written in map-key order (erl's flatmaps
 * are sorted by `compareExact`: integers before floats, then term order; a plain
 * object's keys are atoms, sorted by name in code point order). Larger maps are written
 * in JS iteration order: erl writes them in the order of its internal hash (HAMT), which
 * beamjs does not reproduce, so a FRESH map of more than 32 keys differs from erl's
 * encoding in byte order only (erl decodes it to the same map). A big map decoded from
 * erl keeps erl's order as insertion order and therefore re-encodes byte for byte, except
 * for a plain object whose keys look like array indices ('1', '2'): JS always lists
 * those first.
 *
 * Holes in sparse arrays encode as the atom `undefined` (the value JS reads there).
 *
 * Performance: one `Writer` is reused (no allocation per call except the result);
 * atom encodings are cached (atom_table.ts); short ASCII strings are copied by a JS
 * loop, others by Buffer's native UTF-8 writer (no subarray allocation); no closures or
 * per-term allocation on the hot path except `Object.keys` for plain objects (and the
 * sorted entries of Maps). `encodedSize` walks the term without writing. Measured in
 * bench/codec/etf.ts.
 *
 * Thread-safety: module state (the idle Writer, the float scratch) is per thread.
 * Re-entrancy: a getter on a plain object may itself call the encoder; a Writer is
 * taken from the idle slot for the duration of a call, so a nested call gets its own.
 *
 * Bad input: a value that is not a term throws BeamError NOT_A_TERM naming where it is
 * (term_path.ts); nesting deeper than MAX_NESTING (or a cyclic structure) throws
 * BeamError SYSTEM_LIMIT; over-long atom names throw SYSTEM_LIMIT.
 */
import { BeamError, ErrorCode } from '../errors/index.js';
import {
  Atom,
  BitString,
  ErlClosure,
  ExportFun,
  Float,
  ImproperList,
  Pid,
  Port,
  Ref,
  Tuple,
  compareExact,
  isAtom,
} from '../term/index.js';
import type { Term } from '../term/index.js';
import { AtomStyle, encodedAtom, encodedAtomForKey, encodedReservedAtom } from './atom_table.js';
import { writeFloatExt } from './float_text.js';
import { FLATMAP_MAX_KEYS, FUN_UNIQ_BYTES, JsSubtype, MAX_NESTING, MAX_REF_WORDS, STRING_EXT_MAX, Tag, VERSION } from './tags.js';
import { NotATermSignal } from './term_path.js';

/** Thrown by a fixed-size Writer that runs out of room; caught by `encodeInto`. */
export const NO_ROOM: unique symbol = Symbol('beamjs.codec.noRoom');

const textEncoder = new TextEncoder();

/** Strings up to this many UTF-16 units are copied by a JS loop when ASCII. */
const SHORT_STRING = 24;

// Buffer's native UTF-8 writer works on any Uint8Array (also over a SharedArrayBuffer)
// without allocating a subarray, unlike TextEncoder.encodeInto. It is not in the
// typings; fall back to encodeInto if it is ever absent. Lone surrogates become EF BF BD
// in both.
type Utf8Writer = (this: Uint8Array, s: string, offset: number, length: number) => number;
const nativeWriter = (Buffer.prototype as unknown as { utf8Write?: Utf8Writer }).utf8Write;
const utf8Write: Utf8Writer =
  typeof nativeWriter === 'function'
    ? nativeWriter
    : function (this: Uint8Array, s: string, offset: number, length: number): number {
        return textEncoder.encodeInto(s, this.subarray(offset, offset + length)).written;
      };

// Float bytes: a Float64Array over 8 bytes, read in big-endian order.
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const MIN_INT32 = -2147483648;
const MAX_INT32 = 2147483647;
const MIN_SAFE_BIG = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_INT32_BIG = BigInt(MIN_INT32);
const MAX_INT32_BIG = BigInt(MAX_INT32);
const PORT_NEW_LIMIT = 1n << 28n;
const PORT_V4_LIMIT = 1n << 64n;

/** Encoding settings resolved from EncodeOptions. */
export interface EncodeSettings {
  readonly style: AtomStyle;
  readonly oldFloats: boolean;
  readonly jsTypes: boolean;
}

/** Writes terms into a byte buffer; growable (scratch) or fixed (a caller's region). */
export class Writer {
  /** The Writer's own growable buffer, kept between calls (termToBinary's scratch). */
  scratch: Uint8Array = new Uint8Array(4096);
  /** Where terms are written now: `scratch` (or its grown copy), or a caller's region. */
  buf: Uint8Array = this.scratch;
  pos = 0;
  limit = 0;
  growable = true;
  style: AtomStyle = AtomStyle.LATIN1;
  oldFloats = false;
  jsTypes = false;
  depth = 0;

  /** Prepares to write into `buf[pos..limit)`. */
  reset(buf: Uint8Array, pos: number, limit: number, growable: boolean, settings: EncodeSettings): void {
    this.buf = buf;
    this.pos = pos;
    this.limit = limit;
    this.growable = growable;
    this.style = settings.style;
    this.oldFloats = settings.oldFloats;
    this.jsTypes = settings.jsTypes;
    this.depth = 0;
  }

  private ensure(n: number): void {
    if (this.pos + n > this.limit) this.grow(n);
  }

  private grow(n: number): void {
    if (!this.growable) throw NO_ROOM;
    let size = this.buf.length * 2;
    if (size < this.pos + n) size = this.pos + n + 256;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.limit = size;
  }

  private raw(bytes: Uint8Array): void {
    const n = bytes.length;
    this.ensure(n);
    const buf = this.buf;
    let p = this.pos;
    if (n <= 24) {
      for (let i = 0; i < n; i++) buf[p++] = bytes[i]!;
    } else {
      buf.set(bytes, p);
      p += n;
    }
    this.pos = p;
  }

  private u32(value: number): void {
    const buf = this.buf;
    const p = this.pos;
    buf[p] = value >>> 24;
    buf[p + 1] = (value >>> 16) & 0xff;
    buf[p + 2] = (value >>> 8) & 0xff;
    buf[p + 3] = value & 0xff;
    this.pos = p + 4;
  }

  /** Writes one term. */
  term(t: unknown): void {
    switch (typeof t) {
      case 'number':
        if (Number.isSafeInteger(t)) this.integer(t);
        else if (Number.isFinite(t)) this.float(t);
        else throw new NotATermSignal(t, undefined);
        return;
      case 'string':
        this.string(t);
        return;
      case 'object':
        if (t === null) this.raw(encodedReservedAtom(null, this.style));
        else this.object(t);
        return;
      case 'boolean':
      case 'undefined':
        this.raw(encodedReservedAtom(t, this.style));
        return;
      case 'bigint':
        this.bigint(t);
        return;
      default:
        throw new NotATermSignal(t, undefined);
    }
  }

  private object(t: object): void {
    if (t instanceof Tuple) return this.tuple(t.elements);
    if (t instanceof Atom) return this.raw(encodedAtom(t, this.style));
    if (Array.isArray(t)) return this.list(t as readonly unknown[]);
    if (t instanceof Pid) return this.pid(t);
    if (t instanceof Uint8Array) return this.binary(t);
    const proto = Object.getPrototypeOf(t) as unknown;
    if (proto === Object.prototype || proto === null) return this.plainMap(t as Record<string, unknown>);
    if (t instanceof Ref) return this.ref(t);
    if (t instanceof Map) return this.map(t as Map<unknown, unknown>);
    if (t instanceof Float) return this.float(t.value);
    if (t instanceof ImproperList) return this.improperList(t);
    if (t instanceof BitString) return this.bitString(t);
    if (t instanceof ExportFun) return this.exportFun(t);
    if (t instanceof ErlClosure) return this.closure(t);
    if (t instanceof Port) return this.port(t);
    throw new NotATermSignal(t, undefined);
  }

  private enter(): void {
    if (++this.depth > MAX_NESTING) {
      throw new BeamError(
        ErrorCode.SYSTEM_LIMIT,
        `cannot encode a term nested deeper than ${MAX_NESTING} levels (is the structure cyclic?)`,
      );
    }
  }

  integer(n: number): void {
    if (n >= 0 && n <= 255) {
      this.ensure(2);
      this.buf[this.pos] = Tag.SMALL_INTEGER_EXT;
      this.buf[this.pos + 1] = n;
      this.pos += 2;
    } else if (n >= MIN_INT32 && n <= MAX_INT32) {
      this.ensure(5);
      this.buf[this.pos++] = Tag.INTEGER_EXT;
      this.u32(n >>> 0);
    } else {
      // |n| < 2^53: at most 7 digit bytes.
      this.ensure(10);
      const buf = this.buf;
      let a = n < 0 ? -n : n;
      const start = this.pos;
      let p = start + 3;
      while (a > 0) {
        const d = a % 256;
        buf[p++] = d;
        a = (a - d) / 256;
      }
      buf[start] = Tag.SMALL_BIG_EXT;
      buf[start + 1] = p - start - 3;
      buf[start + 2] = n < 0 ? 1 : 0;
      this.pos = p;
    }
  }

  private bigint(v: bigint): void {
    if (this.jsTypes && v >= MIN_SAFE_BIG && v <= MAX_SAFE_BIG) {
      this.ensure(2);
      this.buf[this.pos++] = Tag.JS_EXT;
      this.buf[this.pos++] = JsSubtype.BIGINT;
    }
    if (v >= MIN_INT32_BIG && v <= MAX_INT32_BIG) {
      this.integer(Number(v));
      return;
    }
    const negative = v < 0n;
    const hex = (negative ? -v : v).toString(16);
    const n = (hex.length + 1) >> 1;
    const small = n <= 255;
    this.ensure((small ? 3 : 6) + n);
    const buf = this.buf;
    if (small) {
      buf[this.pos++] = Tag.SMALL_BIG_EXT;
      buf[this.pos++] = n;
    } else {
      buf[this.pos++] = Tag.LARGE_BIG_EXT;
      this.u32(n);
    }
    buf[this.pos++] = negative ? 1 : 0;
    // Little-endian digits: the last two hex characters are the first byte.
    let p = this.pos;
    for (let i = hex.length; i > 0; i -= 2) {
      const lo = hexValue(hex.charCodeAt(i - 1));
      const hi = i >= 2 ? hexValue(hex.charCodeAt(i - 2)) : 0;
      buf[p++] = (hi << 4) | lo;
    }
    this.pos = p;
  }

  private float(x: number): void {
    if (this.oldFloats) {
      this.ensure(32);
      this.buf[this.pos] = Tag.FLOAT_EXT;
      writeFloatExt(x, this.buf, this.pos + 1);
      this.pos += 32;
      return;
    }
    this.ensure(9);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = Tag.NEW_FLOAT_EXT;
    f64[0] = x;
    if (LITTLE_ENDIAN) for (let i = 7; i >= 0; i--) buf[p++] = f64Bytes[i]!;
    else for (let i = 0; i < 8; i++) buf[p++] = f64Bytes[i]!;
    this.pos = p;
  }

  private string(s: string): void {
    const n = s.length;
    const header = this.jsTypes ? 6 : 5;
    // Worst case 3 UTF-8 bytes per UTF-16 unit. A fixed region that cannot take the worst
    // case is checked against the exact length.
    if (this.pos + header + 3 * n > this.limit) {
      if (this.growable) this.ensure(header + 3 * n);
      else if (this.pos + header + Buffer.byteLength(s, 'utf8') > this.limit) throw NO_ROOM;
    }
    const buf = this.buf;
    const start = this.pos;
    if (this.jsTypes) {
      buf[start] = Tag.JS_EXT;
      buf[start + 1] = JsSubtype.STRING;
    } else {
      buf[start] = Tag.BINARY_EXT;
    }
    let p = start + header;
    if (n <= SHORT_STRING) {
      // Short strings: a JS loop beats a native call; stop at the first non-ASCII unit.
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[p++] = c;
      }
      if (i < n) p += utf8Write.call(buf, i === 0 ? s : s.slice(i), p, this.limit - p);
    } else {
      p += utf8Write.call(buf, s, p, this.limit - p);
    }
    const length = p - start - header;
    this.pos = start + header - 4;
    this.u32(length);
    this.pos = p;
  }

  private binary(b: Uint8Array): void {
    if (b.length > 0xffffffff) throw tooBig('binary', b.length);
    this.ensure(5);
    this.buf[this.pos++] = Tag.BINARY_EXT;
    this.u32(b.length);
    this.raw(b);
  }

  private bitString(b: BitString): void {
    const bytes = b.bytes;
    this.ensure(6);
    this.buf[this.pos++] = Tag.BIT_BINARY_EXT;
    this.u32(bytes.length);
    this.buf[this.pos++] = b.bitLength % 8;
    this.raw(bytes);
  }

  private list(a: readonly unknown[]): void {
    const n = a.length;
    if (n === 0) {
      this.ensure(1);
      this.buf[this.pos++] = Tag.NIL_EXT;
      return;
    }
    if (n <= STRING_EXT_MAX && isByteList(a, this.jsTypes)) {
      this.ensure(3 + n);
      const buf = this.buf;
      let p = this.pos;
      buf[p++] = Tag.STRING_EXT;
      buf[p++] = n >>> 8;
      buf[p++] = n & 0xff;
      for (let i = 0; i < n; i++) buf[p++] = Number(a[i] as number | bigint);
      this.pos = p;
      return;
    }
    this.ensure(5);
    this.buf[this.pos++] = Tag.LIST_EXT;
    this.u32(n);
    this.enter();
    for (let i = 0; i < n; i++) this.term(a[i]);
    this.depth--;
    this.ensure(1);
    this.buf[this.pos++] = Tag.NIL_EXT;
  }

  private improperList(l: ImproperList): void {
    const head = l.head;
    this.ensure(5);
    this.buf[this.pos++] = Tag.LIST_EXT;
    this.u32(head.length);
    this.enter();
    for (let i = 0; i < head.length; i++) this.term(head[i]);
    this.term(l.tail);
    this.depth--;
  }

  private tuple(elements: readonly unknown[]): void {
    const n = elements.length;
    if (n <= 255) {
      this.ensure(2);
      this.buf[this.pos++] = Tag.SMALL_TUPLE_EXT;
      this.buf[this.pos++] = n;
    } else {
      this.ensure(5);
      this.buf[this.pos++] = Tag.LARGE_TUPLE_EXT;
      this.u32(n);
    }
    this.enter();
    for (let i = 0; i < n; i++) this.term(elements[i]);
    this.depth--;
  }

  private plainMap(o: Record<string, unknown>): void {
    const keys = Object.keys(o);
    const n = keys.length;
    if (n > 1 && n <= FLATMAP_MAX_KEYS) sortNames(keys);
    this.ensure(5);
    this.buf[this.pos++] = Tag.MAP_EXT;
    this.u32(n);
    this.enter();
    const style = this.style;
    for (let i = 0; i < n; i++) {
      const key = keys[i]!;
      this.raw(encodedAtomForKey(key, style));
      this.term(o[key]);
    }
    this.depth--;
  }

  private map(m: Map<unknown, unknown>): void {
    const n = m.size;
    if (this.jsTypes && allAtomKeys(m)) {
      this.ensure(2);
      this.buf[this.pos++] = Tag.JS_EXT;
      this.buf[this.pos++] = JsSubtype.MAP;
    }
    this.ensure(5);
    this.buf[this.pos++] = Tag.MAP_EXT;
    this.u32(n);
    this.enter();
    if (n > 1 && n <= FLATMAP_MAX_KEYS) {
      const entries = sortedEntries(m);
      for (let i = 0; i < n; i++) {
        const e = entries[i]!;
        this.term(e[0]);
        this.term(e[1]);
      }
    } else {
      for (const [k, v] of m) {
        this.term(k);
        this.term(v);
      }
    }
    this.depth--;
  }

  private node(node: unknown, owner: object, what: string): void {
    if (!(node instanceof Atom)) throw new NotATermSignal(owner, `a ${what} whose node is not an Atom`);
    this.raw(encodedAtom(node, this.style));
  }

  private pid(pid: Pid): void {
    const { id, serial, creation } = pid;
    if (!isU32(id) || !isU32(serial) || !isU32(creation)) {
      throw new NotATermSignal(pid, 'a Pid whose id, serial and creation must be 32-bit unsigned integers');
    }
    this.ensure(1);
    this.buf[this.pos++] = Tag.NEW_PID_EXT;
    this.node(pid.node, pid, 'Pid');
    this.ensure(12);
    this.u32(id);
    this.u32(serial);
    this.u32(creation);
  }

  private ref(ref: Ref): void {
    const ids = ref.ids;
    const n = ids.length;
    if (n < 1 || n > MAX_REF_WORDS || !isU32(ref.creation)) {
      throw new NotATermSignal(ref, `a Ref must have 1 to ${MAX_REF_WORDS} id words and a 32-bit creation`);
    }
    for (let i = 0; i < n; i++) {
      if (!isU32(ids[i])) throw new NotATermSignal(ref, 'a Ref whose id words must be 32-bit unsigned integers');
    }
    this.ensure(3);
    this.buf[this.pos++] = Tag.NEWER_REFERENCE_EXT;
    this.buf[this.pos++] = 0;
    this.buf[this.pos++] = n;
    this.node(ref.node, ref, 'Ref');
    this.ensure(4 + 4 * n);
    this.u32(ref.creation);
    for (let i = 0; i < n; i++) this.u32(ids[i]!);
  }

  private port(port: Port): void {
    const id = port.id;
    if (typeof id !== 'bigint' || id < 0n || id >= PORT_V4_LIMIT || !isU32(port.creation)) {
      throw new NotATermSignal(port, 'a Port needs a 64-bit unsigned bigint id and a 32-bit creation');
    }
    const v4 = id >= PORT_NEW_LIMIT;
    this.ensure(1);
    this.buf[this.pos++] = v4 ? Tag.V4_PORT_EXT : Tag.NEW_PORT_EXT;
    this.node(port.node, port, 'Port');
    this.ensure(12);
    if (v4) {
      this.u32(Number(id >> 32n));
      this.u32(Number(id & 0xffffffffn));
    } else {
      this.u32(Number(id));
    }
    this.u32(port.creation);
  }

  private exportFun(f: ExportFun): void {
    if (!(f.module instanceof Atom) || !(f.name instanceof Atom) || !isByte(f.arity)) {
      throw new NotATermSignal(f, 'an ExportFun needs Atom module and name and an arity 0..255');
    }
    this.ensure(1);
    this.buf[this.pos++] = Tag.EXPORT_EXT;
    this.raw(encodedAtom(f.module, this.style));
    this.raw(encodedAtom(f.name, this.style));
    this.ensure(2);
    this.buf[this.pos++] = Tag.SMALL_INTEGER_EXT;
    this.buf[this.pos++] = f.arity;
  }

  private closure(f: ErlClosure): void {
    if (
      !isByte(f.arity) ||
      !(f.uniq instanceof Uint8Array) ||
      f.uniq.length !== FUN_UNIQ_BYTES ||
      !isU32(f.index) ||
      !(f.module instanceof Atom) ||
      !isInt32(f.oldIndex) ||
      !isInt32(f.oldUniq) ||
      !(f.pid instanceof Pid)
    ) {
      throw new NotATermSignal(f, 'an ErlClosure whose fields do not fit NEW_FUN_EXT');
    }
    const free = f.freeVars;
    this.ensure(1 + 4 + 1 + FUN_UNIQ_BYTES + 8);
    const start = this.pos;
    const buf = this.buf;
    buf[start] = Tag.NEW_FUN_EXT;
    this.pos = start + 5; // Size is written at the end
    buf[this.pos++] = f.arity;
    for (let i = 0; i < FUN_UNIQ_BYTES; i++) buf[this.pos++] = f.uniq[i]!;
    this.u32(f.index);
    this.u32(free.length);
    this.raw(encodedAtom(f.module, this.style));
    this.integer(f.oldIndex);
    this.integer(f.oldUniq);
    this.pid(f.pid);
    this.enter();
    for (let i = 0; i < free.length; i++) this.term(free[i]);
    this.depth--;
    const end = this.pos;
    this.pos = start + 1;
    this.u32(end - start - 1);
    this.pos = end;
  }
}

function hexValue(c: number): number {
  return c <= 57 ? c - 48 : c - 87; // '0'..'9', 'a'..'f'
}

function isU32(v: unknown): v is number {
  return typeof v === 'number' && v >>> 0 === v;
}

/** NEW_FUN_EXT's OldIndex and OldUniq must be SMALL_INTEGER_EXT or INTEGER_EXT. */
function isInt32(v: unknown): v is number {
  return typeof v === 'number' && (v | 0) === v;
}

function isByte(v: unknown): v is number {
  return typeof v === 'number' && (v & 0xff) === v;
}

function tooBig(what: string, n: number): BeamError {
  return new BeamError(ErrorCode.SYSTEM_LIMIT, `cannot encode a ${what} of ${n} bytes: the limit is 2^32 - 1`);
}

/**
 * True when every element is an integer 0..255 (a list erl writes as STRING_EXT).
 * A bigint element counts too, except with jsTypes (where it carries the bigint prefix).
 */
function isByteList(a: readonly unknown[], jsTypes: boolean): boolean {
  for (let i = 0; i < a.length; i++) {
    const e = a[i];
    // -0 is the integer 0 (Number.isSafeInteger(-0)); (-0 & 0xff) is +0, which === -0.
    if (typeof e === 'number' && (e & 0xff) === e) continue;
    if (!jsTypes && typeof e === 'bigint' && e >= 0n && e <= 255n) continue;
    return false;
  }
  return true;
}

function allAtomKeys(m: Map<unknown, unknown>): boolean {
  for (const k of m.keys()) if (!isAtom(k)) return false;
  return true;
}

/** Sorts atom names in code point order (not UTF-16 order: U+10000 sorts above U+FFFF). */
function sortNames(keys: string[]): void {
  // JS's native string order is UTF-16 order, which is code point order unless a name
  // holds a surrogate (D800..DFFF); only then is the slower comparison needed.
  let native = true;
  for (let i = 0; i < keys.length; i++) {
    if (HAS_SURROGATE.test(keys[i]!)) {
      native = false;
      break;
    }
  }
  // Insertion sort: maps here have at most 32 keys, and are often already sorted.
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!;
    let j = i - 1;
    while (j >= 0 && (native ? keys[j]! > k : compareNames(keys[j]!, k) > 0)) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = k;
  }
}

const HAS_SURROGATE = /[\ud800-\udfff]/;

/** Compares two strings by code point (what comparing their UTF-8 bytes gives). */
export function compareNames(a: string, b: string): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (D800..DFFF) encode code points above FFFF: move them above E000..FFFF.
    if (x >= 0xd800) x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
    if (y >= 0xd800) y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    return x - y;
  }
  return a.length - b.length;
}

function sortedEntries(m: Map<unknown, unknown>): [unknown, unknown][] {
  const entries = Array.from(m);
  entries.sort((x, y) => mapKeyOrder(x[0], y[0]));
  return entries;
}

/**
 * Map-key order (erl's flatmap order). The one place that decides it: `compareExact`
 * from src/term, with a fast path for atom keys.
 */
export function mapKeyOrder(a: unknown, b: unknown): number {
  if (a instanceof Atom && b instanceof Atom) return compareNames(a.name, b.name);
  return compareExact(a as Term, b as Term);
}

// ---------------------------------------------------------------------------------
// encodedSize: the same decisions as Writer, counting instead of writing.

/** Exact number of bytes `Writer.term` writes for `t`. */
export function sizeOfTerm(t: unknown, s: EncodeSettings, depth: number): number {
  switch (typeof t) {
    case 'number':
      if (Number.isSafeInteger(t)) return sizeOfInteger(t);
      if (Number.isFinite(t)) return s.oldFloats ? 32 : 9;
      throw new NotATermSignal(t, undefined);
    case 'string':
      return (s.jsTypes ? 6 : 5) + utf8Length(t);
    case 'boolean':
    case 'undefined':
      return encodedReservedAtom(t, s.style).length;
    case 'bigint':
      return sizeOfBigint(t, s.jsTypes);
    case 'object':
      break;
    default:
      throw new NotATermSignal(t, undefined);
  }
  if (t === null) return encodedReservedAtom(null, s.style).length;
  if (depth > MAX_NESTING) {
    throw new BeamError(ErrorCode.SYSTEM_LIMIT, `cannot encode a term nested deeper than ${MAX_NESTING} levels (is the structure cyclic?)`);
  }
  if (t instanceof Tuple) {
    const el = t.elements;
    let size = el.length <= 255 ? 2 : 5;
    for (let i = 0; i < el.length; i++) size += sizeOfTerm(el[i], s, depth + 1);
    return size;
  }
  if (t instanceof Atom) return encodedAtom(t, s.style).length;
  if (Array.isArray(t)) {
    const a = t as readonly unknown[];
    if (a.length === 0) return 1;
    if (a.length <= STRING_EXT_MAX && isByteList(a, s.jsTypes)) return 3 + a.length;
    let size = 6;
    for (let i = 0; i < a.length; i++) size += sizeOfTerm(a[i], s, depth + 1);
    return size;
  }
  if (t instanceof Pid) return 13 + sizeOfNode(t.node, t, s);
  if (t instanceof Uint8Array) return 5 + t.length;
  const proto = Object.getPrototypeOf(t) as unknown;
  if (proto === Object.prototype || proto === null) {
    const o = t as Record<string, unknown>;
    let size = 5;
    for (const key of Object.keys(o)) size += encodedAtomForKey(key, s.style).length + sizeOfTerm(o[key], s, depth + 1);
    return size;
  }
  if (t instanceof Ref) return 7 + 4 * t.ids.length + sizeOfNode(t.node, t, s);
  if (t instanceof Map) {
    let size = s.jsTypes && allAtomKeys(t) ? 7 : 5;
    for (const [k, v] of t as Map<unknown, unknown>) size += sizeOfTerm(k, s, depth + 1) + sizeOfTerm(v, s, depth + 1);
    return size;
  }
  if (t instanceof Float) return s.oldFloats ? 32 : 9;
  if (t instanceof ImproperList) {
    let size = 5 + sizeOfTerm(t.tail, s, depth + 1);
    for (let i = 0; i < t.head.length; i++) size += sizeOfTerm(t.head[i], s, depth + 1);
    return size;
  }
  if (t instanceof BitString) return 6 + t.bytes.length;
  if (t instanceof ExportFun) {
    if (!(t.module instanceof Atom) || !(t.name instanceof Atom)) throw new NotATermSignal(t, 'an ExportFun needs Atom module and name');
    return 3 + encodedAtom(t.module, s.style).length + encodedAtom(t.name, s.style).length;
  }
  if (t instanceof ErlClosure) {
    if (!(t.module instanceof Atom)) throw new NotATermSignal(t, 'an ErlClosure whose fields do not fit NEW_FUN_EXT');
    let size = 1 + 4 + 1 + FUN_UNIQ_BYTES + 8 + encodedAtom(t.module, s.style).length;
    size += sizeOfInteger(t.oldIndex) + sizeOfInteger(t.oldUniq) + 13 + sizeOfNode(t.pid.node, t.pid, s);
    for (let i = 0; i < t.freeVars.length; i++) size += sizeOfTerm(t.freeVars[i], s, depth + 1);
    return size;
  }
  if (t instanceof Port) return (t.id >= PORT_NEW_LIMIT ? 13 : 9) + sizeOfNode(t.node, t, s);
  throw new NotATermSignal(t, undefined);
}

function sizeOfNode(node: unknown, owner: object, s: EncodeSettings): number {
  if (!(node instanceof Atom)) throw new NotATermSignal(owner, 'a node that is not an Atom');
  return encodedAtom(node, s.style).length;
}

function sizeOfInteger(n: number): number {
  if (n >= 0 && n <= 255) return 2;
  if (n >= MIN_INT32 && n <= MAX_INT32) return 5;
  let a = n < 0 ? -n : n;
  let digits = 0;
  while (a > 0) {
    a = Math.floor(a / 256);
    digits++;
  }
  return 3 + digits;
}

function sizeOfBigint(v: bigint, jsTypes: boolean): number {
  const prefix = jsTypes && v >= MIN_SAFE_BIG && v <= MAX_SAFE_BIG ? 2 : 0;
  if (v >= MIN_INT32_BIG && v <= MAX_INT32_BIG) return prefix + sizeOfInteger(Number(v));
  const hexLength = (v < 0n ? -v : v).toString(16).length;
  const n = (hexLength + 1) >> 1;
  return prefix + (n <= 255 ? 3 : 6) + n;
}

/** UTF-8 byte length of a string (lone surrogates count 3, as TextEncoder writes them). */
function utf8Length(s: string): number {
  const n = s.length;
  if (n <= 64) {
    let i = 0;
    while (i < n && s.charCodeAt(i) < 0x80) i++;
    if (i === n) return n;
  }
  return Buffer.byteLength(s, 'utf8');
}

// ---------------------------------------------------------------------------------
// Writer reuse

let idle: Writer | undefined;

/** Takes the idle Writer (or a new one when a call is already using it). */
export function takeWriter(): Writer {
  const w = idle ?? new Writer();
  idle = undefined;
  return w;
}

/**
 * Gives a Writer back. A grown scratch buffer is kept unless it grew past 1 MiB, so one
 * big term does not pin memory; a caller's region is never kept.
 */
export function releaseWriter(w: Writer): void {
  if (w.growable && w.buf.length <= 1 << 20) w.scratch = w.buf;
  w.buf = w.scratch;
  idle = w;
}

export { VERSION };
