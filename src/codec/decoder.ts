/**
 * The ETF decoder: External Term Format bytes to JS term values (binary_to_term).
 *
 * Mapping (the inverse of encoder.ts, and src/term/term.ts's table):
 * - integers: a number when in the safe-integer range, else a bigint (JS_EXT bigint
 *   prefix: always a bigint);
 * - floats: a number, or a `Float` when the value is a safe integer (1.0, -0.0);
 *   FLOAT_EXT text is parsed strictly (float_text.ts); non-finite values are rejected;
 * - atoms: `Atom`, or true/false/undefined/null;
 * - binaries: by `DecodeOptions.binaries`; BIT_BINARY_EXT with 8 used bits is a binary;
 * - lists: arrays; a LIST_EXT whose tail is another LIST_EXT/STRING_EXT/NIL_EXT is
 *   joined (as erl does); other tails give an `ImproperList` (a LIST_EXT of 0 elements
 *   with a non-list tail is just the tail, as in erl);
 * - maps: a plain object when every key is an atom (also the empty map), else a `Map`
 *   (JS_EXT Map prefix: always a `Map`). Plain objects are ordinary `{}` objects; a key
 *   named `__proto__` is defined as an own property (never sets the prototype), so
 *   `Object.keys` and re-encoding see it like any other key.
 * - old PID_EXT/PORT_EXT/REFERENCE_EXT/NEW_REFERENCE_EXT decode to the same classes;
 *   re-encoding gives the new tags, as erl 25 does.
 *
 * Not accepted (BadExternalTermError, each with the offset): unknown tags, FUN_EXT
 * (OTP 25 rejects it too), ATOM_CACHE_REF (only meaningful inside distribution
 * headers), LOCAL_EXT (OTP 26+), a compressed term anywhere but right after 131,
 * JS_EXT unless `jsTypes`, truncated input, lengths beyond the end (checked before any
 * allocation: every element needs at least one byte, so a list claiming 2^32 elements
 * fails at once), maps with duplicate keys, invalid UTF-8 in atoms (and in binaries
 * with `binaries: 'string'`), atoms over 255 characters, references of 0 or more than 5
 * words, bit counts outside 1..8, NEW_FUN_EXT whose Size does not match its content,
 * nesting deeper than MAX_NESTING (lists are decoded in a loop, so their length is not
 * nesting), and trailing bytes (for `binaryToTerm`; erl ignores them, beamjs does not).
 *
 * Duplicate map keys: detected for atom keys and primitive keys, and for composite keys
 * (tuples, floats like 1.0, binaries as bytes, …) by comparing them with `compareExact`.
 *
 * Performance: one Reader is reused per thread; atoms come from atom_table.ts's cache;
 * binaries become strings through Buffer's native Latin-1 slicer (short ASCII, checked
 * by a JS scan) or `isUtf8` + the native UTF-8 slicer; integers and floats are read by
 * byte arithmetic (no DataView); error messages are built only when thrown, in small
 * out-of-line methods, so the checks inline. Measured in bench/codec/etf.ts.
 *
 * Thread-safety: the Reader and caches are per thread. The decoder never runs user code,
 * so it is not re-entered while in use (a compressed term gets its own Reader).
 * `bytes` may be a view of a SharedArrayBuffer: the caller must keep the region stable
 * while it is decoded (rings and ETS own that protocol).
 */
import { isUtf8 } from 'node:buffer';
import { BadExternalTermError } from '../errors/index.js';
import {
  Atom,
  BitString,
  ErlClosure,
  ExportFun,
  ImproperList,
  Pid,
  Port,
  Ref,
  Tuple,
  adoptRef,
  adoptTuple,
  atomTerm,
  compareExact,
  float,
} from '../term/index.js';
import type { Term } from '../term/index.js';
import { decodeAtomName } from './atom_table.js';
import type { AtomValue } from './atom_table.js';
import { parseFloatExt } from './float_text.js';
import { BinaryMode } from './options.js';
import { FLOAT_EXT_TEXT_BYTES, FUN_UNIQ_BYTES, JsSubtype, MAX_NESTING, MAX_REF_WORDS, Tag, tagName } from './tags.js';

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Decoding settings resolved from DecodeOptions. */
export interface DecodeSettings {
  readonly binaries: BinaryMode;
  readonly jsTypes: boolean;
  readonly safe: boolean;
  readonly copyBinaries: boolean;
}

function bad(message: string, at: number): BadExternalTermError {
  return new BadExternalTermError(message, at);
}

export class Reader {
  b: Uint8Array = new Uint8Array(0);
  p = 0;
  end = 0;
  binaries: BinaryMode = BinaryMode.UTF8;
  jsTypes = false;
  safe = false;
  copy = true;
  depth = 0;

  reset(bytes: Uint8Array, pos: number, end: number, s: DecodeSettings): void {
    this.b = bytes;
    this.p = pos;
    this.end = end;
    this.binaries = s.binaries;
    this.jsTypes = s.jsTypes;
    this.safe = s.safe;
    this.copy = s.copyBinaries;
    this.depth = 0;
  }

  /**
   * Throws unless `n` more bytes are available at the current position. `what` names
   * the field, or is the tag byte (its name is only looked up for the error).
   */
  private need(n: number, what: string | number): void {
    if (this.p + n > this.end) this.truncated(n, what);
  }

  /** Kept out of `need` so that `need` stays small enough to inline everywhere. */
  private truncated(n: number, what: string | number): never {
    const name = typeof what === 'number' ? tagName(what) : what;
    throw bad(`truncated input: ${name} needs ${n} bytes, only ${this.end - this.p} remain`, this.p);
  }

  private u8(): number {
    return this.b[this.p++]!;
  }

  private u16(): number {
    const b = this.b;
    const p = this.p;
    this.p = p + 2;
    return (b[p]! << 8) | b[p + 1]!;
  }

  private u32(): number {
    const b = this.b;
    const p = this.p;
    this.p = p + 4;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }

  /** Checks that `count` items of at least `min` bytes each can still follow. */
  private room(count: number, min: number, what: string, at: number): void {
    if (count * min > this.end - this.p) this.tooMany(count, what, at);
  }

  private tooMany(count: number, what: string, at: number): never {
    throw bad(`${what} claims ${count} elements but only ${this.end - this.p} bytes remain`, at);
  }

  private enter(at: number): void {
    if (++this.depth > MAX_NESTING) this.tooDeep(at);
  }

  private tooDeep(at: number): never {
    throw bad(`term is nested deeper than ${MAX_NESTING} levels`, at);
  }

  /** Decodes the term whose tag is at the current position. */
  term(): Term {
    const at = this.p;
    if (at >= this.end) throw bad('truncated input: expected a term', at);
    const tag = this.b[this.p++]!;
    switch (tag) {
      case Tag.SMALL_INTEGER_EXT:
        this.need(1, 'SMALL_INTEGER_EXT');
        return this.u8();
      case Tag.INTEGER_EXT:
        this.need(4, 'INTEGER_EXT');
        return this.u32() | 0;
      case Tag.ATOM_EXT:
      case Tag.ATOM_UTF8_EXT: {
        this.need(2, tag);
        const n = this.u16();
        return this.atomBody(n, tag === Tag.ATOM_UTF8_EXT, at);
      }
      case Tag.SMALL_ATOM_UTF8_EXT:
      case Tag.SMALL_ATOM_EXT: {
        this.need(1, tag);
        const n = this.u8();
        return this.atomBody(n, tag === Tag.SMALL_ATOM_UTF8_EXT, at);
      }
      case Tag.SMALL_TUPLE_EXT:
        this.need(1, 'SMALL_TUPLE_EXT');
        return this.tuple(this.u8(), at);
      case Tag.LARGE_TUPLE_EXT:
        this.need(4, 'LARGE_TUPLE_EXT');
        return this.tuple(this.u32(), at);
      case Tag.NIL_EXT:
        return [];
      case Tag.STRING_EXT:
        return this.stringExt([], at);
      case Tag.LIST_EXT:
        return this.list(at);
      case Tag.BINARY_EXT: {
        this.need(4, 'BINARY_EXT');
        const n = this.u32();
        this.need(n, 'BINARY_EXT data');
        return this.binary(n, at);
      }
      case Tag.MAP_EXT:
        return this.map(false, at);
      case Tag.NEW_PID_EXT:
      case Tag.PID_EXT:
        return this.pid(tag, at);
      case Tag.NEWER_REFERENCE_EXT:
      case Tag.NEW_REFERENCE_EXT:
      case Tag.REFERENCE_EXT:
        return this.ref(tag, at);
      case Tag.NEW_FLOAT_EXT: {
        this.need(8, 'NEW_FLOAT_EXT');
        const b = this.b;
        let p = this.p;
        if (LITTLE_ENDIAN) for (let i = 7; i >= 0; i--) f64Bytes[i] = b[p++]!;
        else for (let i = 0; i < 8; i++) f64Bytes[i] = b[p++]!;
        this.p = p;
        return floatTerm(f64[0]!, at);
      }
      case Tag.FLOAT_EXT: {
        this.need(FLOAT_EXT_TEXT_BYTES, 'FLOAT_EXT');
        const value = parseFloatExt(this.b, this.p);
        if (value === undefined) throw bad('FLOAT_EXT does not hold a finite float in printf %e form', at);
        this.p += FLOAT_EXT_TEXT_BYTES;
        return floatTerm(value, at);
      }
      case Tag.SMALL_BIG_EXT: {
        this.need(2, 'SMALL_BIG_EXT');
        const n = this.u8();
        return this.big(n, at);
      }
      case Tag.LARGE_BIG_EXT: {
        this.need(5, 'LARGE_BIG_EXT');
        const n = this.u32();
        return this.big(n, at);
      }
      case Tag.BIT_BINARY_EXT:
        return this.bitBinary(at);
      case Tag.NEW_PORT_EXT:
      case Tag.V4_PORT_EXT:
      case Tag.PORT_EXT:
        return this.port(tag, at);
      case Tag.EXPORT_EXT:
        return this.exportFun(at);
      case Tag.NEW_FUN_EXT:
        return this.closure(at);
      case Tag.JS_EXT:
        return this.jsExt(at);
      case Tag.FUN_EXT:
        throw bad('FUN_EXT (a pre-R16 fun) is not supported; OTP 25 rejects it too', at);
      case Tag.ATOM_CACHE_REF:
        throw bad('ATOM_CACHE_REF is only valid inside a distribution message with an atom cache header', at);
      case Tag.COMPRESSED:
        throw bad('a compressed term (tag 80) may only follow the version byte 131', at);
      case Tag.LOCAL_EXT:
        throw bad('LOCAL_EXT (OTP 26+) is not part of OTP 25 external terms', at);
      default:
        throw bad(`unknown tag ${tag}`, at);
    }
  }

  private atomBody(n: number, utf8: boolean, at: number): AtomValue {
    this.need(n, 'atom name');
    const value = decodeAtomName(this.b, this.p, n, utf8, this.safe, at);
    this.p += n;
    return value;
  }

  /** An atom field (node, module, function name): one of the four atom tags. */
  private atomField(what: string): AtomValue {
    const at = this.p;
    if (at >= this.end) throw bad(`truncated input: expected the ${what} atom`, at);
    const tag = this.b[at]!;
    if (tag !== Tag.ATOM_EXT && tag !== Tag.SMALL_ATOM_UTF8_EXT && tag !== Tag.ATOM_UTF8_EXT && tag !== Tag.SMALL_ATOM_EXT) {
      throw bad(`expected the ${what} as an atom, found ${tagName(tag)}`, at);
    }
    return this.term() as AtomValue;
  }

  /** An atom field that must be an `Atom` object (not one of the JS-valued atoms). */
  private atomObject(what: string): Atom {
    const at = this.p;
    const value = this.atomField(what);
    if (!(value instanceof Atom)) {
      throw bad(`the ${what} '${String(value)}' cannot be represented (beamjs keeps it as the JS value ${String(value)})`, at);
    }
    return value;
  }

  private tuple(n: number, at: number): Tuple {
    this.room(n, 1, 'tuple', at);
    this.enter(at);
    const elements: Term[] = [];
    for (let i = 0; i < n; i++) elements.push(this.term());
    this.depth--;
    return adoptTuple(elements);
  }

  /** STRING_EXT body (tag already read), appended to `out`. */
  private stringExt(out: Term[], at: number): Term[] {
    this.need(2, 'STRING_EXT');
    const n = this.u16();
    this.need(n, 'STRING_EXT data');
    const b = this.b;
    let p = this.p;
    for (let i = 0; i < n; i++) out.push(b[p++]!);
    this.p = p;
    void at;
    return out;
  }

  /** LIST_EXT (tag already read). Chained list tails are joined in a loop, not recursion. */
  private list(at: number): Term {
    const out: Term[] = [];
    this.enter(at);
    for (;;) {
      this.need(4, 'LIST_EXT');
      const n = this.u32();
      this.room(n + 1, 1, 'list', at);
      for (let i = 0; i < n; i++) out.push(this.term());
      if (this.p >= this.end) throw bad('truncated input: expected the tail of a list', this.p);
      const tailTag = this.b[this.p]!;
      if (tailTag === Tag.NIL_EXT) {
        this.p++;
        break;
      }
      if (tailTag === Tag.LIST_EXT) {
        this.p++;
        continue;
      }
      if (tailTag === Tag.STRING_EXT) {
        this.p++;
        this.stringExt(out, this.p - 1);
        break;
      }
      const tail = this.term();
      this.depth--;
      if (out.length === 0) return tail;
      return new ImproperList(Object.freeze(out), tail);
    }
    this.depth--;
    return out;
  }

  private binary(n: number, at: number): string | Uint8Array {
    const b = this.b;
    const start = this.p;
    const stop = start + n;
    this.p = stop;
    if (this.binaries !== BinaryMode.BYTES) {
      const s = utf8String(b, start, stop);
      if (s !== undefined) return s;
      if (this.binaries === BinaryMode.STRING) throw bad('binary is not valid UTF-8 (binaries: "string")', at);
    }
    return this.copy ? b.slice(start, stop) : b.subarray(start, stop);
  }

  private bitBinary(at: number): Uint8Array | string | BitString {
    this.need(5, 'BIT_BINARY_EXT');
    const n = this.u32();
    const bits = this.u8();
    this.need(n, 'BIT_BINARY_EXT data');
    if (n === 0) {
      if (bits !== 0) throw bad(`BIT_BINARY_EXT of 0 bytes must have 0 used bits, found ${bits}`, at);
      return this.binary(0, at);
    }
    if (bits < 1 || bits > 8) throw bad(`BIT_BINARY_EXT used bits must be 1..8, found ${bits}`, at);
    if (bits === 8) return this.binary(n, at);
    const bytes = this.b.slice(this.p, this.p + n);
    this.p += n;
    return new BitString(bytes, (n - 1) * 8 + bits);
  }

  private big(n: number, at: number): number | bigint {
    this.need(n + 1, 'big integer');
    const negative = this.u8() !== 0;
    const b = this.b;
    const start = this.p;
    this.p = start + n;
    let top = n;
    while (top > 0 && b[start + top - 1] === 0) top--;
    // Up to 6 bytes, or 7 with the top byte < 0x20, is below 2^53: exact as a number.
    if (top <= 6 || (top === 7 && b[start + 6]! < 0x20)) {
      let v = 0;
      for (let i = top - 1; i >= 0; i--) v = v * 256 + b[start + i]!;
      return negative ? (v === 0 ? 0 : -v) : v;
    }
    let hex = '';
    for (let i = top - 1; i >= 0; i--) {
      const d = b[start + i]!;
      hex += (d < 16 ? '0' : '') + d.toString(16);
    }
    const v = BigInt('0x' + hex);
    void at;
    return negative ? -v : v;
  }

  private map(forceMap: boolean, at: number): Term {
    this.need(4, 'MAP_EXT');
    const n = this.u32();
    this.room(n, 2, 'map', at);
    this.enter(at);
    let obj: Record<string, Term> | undefined = forceMap ? undefined : {};
    let m: Map<Term, Term> | undefined = forceMap ? new Map() : undefined;
    let composite: Term[] | undefined;
    for (let i = 0; i < n; i++) {
      const keyAt = this.p;
      const k = this.term();
      const v = this.term();
      if (obj !== undefined) {
        const name = atomKeyName(k);
        if (name !== undefined) {
          if (Object.prototype.hasOwnProperty.call(obj, name)) throw bad(`map has the key '${name}' twice`, keyAt);
          if (name === '__proto__') Object.defineProperty(obj, name, { value: v, enumerable: true, writable: true, configurable: true });
          else obj[name] = v;
          continue;
        }
        m = new Map();
        for (const key of Object.keys(obj)) m.set(atomTerm(key), obj[key]!);
        obj = undefined;
      }
      const map = m!;
      if (map.has(k)) throw bad('map has a key twice', keyAt);
      if (typeof k === 'object' && k !== null && !(k instanceof Atom)) (composite ??= []).push(k);
      map.set(k, v);
    }
    this.depth--;
    if (composite !== undefined && composite.length > 1) {
      composite.sort(compareExact);
      for (let i = 1; i < composite.length; i++) {
        if (compareExact(composite[i - 1]!, composite[i]!) === 0) throw bad('map has a key twice', at);
      }
    }
    return obj ?? m!;
  }

  private pid(tag: number, at: number): Pid {
    const node = this.atomObject('pid node');
    if (tag === Tag.NEW_PID_EXT) {
      this.need(12, 'NEW_PID_EXT');
      return new Pid(node, this.u32(), this.u32(), this.u32());
    }
    this.need(9, 'PID_EXT');
    const id = this.u32();
    const serial = this.u32();
    if (id >= 1 << 15 || serial >= 1 << 13) throw bad('PID_EXT id must be < 2^15 and serial < 2^13', at);
    return new Pid(node, id, serial, this.u8());
  }

  private port(tag: number, at: number): Port {
    const node = this.atomObject('port node');
    if (tag === Tag.V4_PORT_EXT) {
      this.need(12, 'V4_PORT_EXT');
      const hi = this.u32();
      const lo = this.u32();
      return new Port(node, (BigInt(hi) << 32n) | BigInt(lo), this.u32());
    }
    if (tag === Tag.NEW_PORT_EXT) {
      this.need(8, 'NEW_PORT_EXT');
      return new Port(node, BigInt(this.u32()), this.u32());
    }
    this.need(5, 'PORT_EXT');
    const id = this.u32();
    if (id >= 1 << 28) throw bad('PORT_EXT id must be < 2^28', at);
    return new Port(node, BigInt(id), this.u8());
  }

  private ref(tag: number, at: number): Ref {
    if (tag === Tag.REFERENCE_EXT) {
      const node = this.atomObject('reference node');
      this.need(5, 'REFERENCE_EXT');
      const id = this.u32();
      if (id >= 1 << 18) throw bad('REFERENCE_EXT id must be < 2^18', at);
      return adoptRef(node, this.u8(), [id]);
    }
    this.need(2, tag);
    const n = this.u16();
    if (n < 1 || n > MAX_REF_WORDS) throw bad(`a reference must have 1 to ${MAX_REF_WORDS} id words, found ${n}`, at);
    const node = this.atomObject('reference node');
    const newer = tag === Tag.NEWER_REFERENCE_EXT;
    this.need((newer ? 4 : 1) + 4 * n, tag);
    const creation = newer ? this.u32() : this.u8();
    const ids: number[] = [];
    for (let i = 0; i < n; i++) ids.push(this.u32());
    if (!newer && ids[0]! >= 1 << 18) throw bad('NEW_REFERENCE_EXT first id word must be < 2^18', at);
    return adoptRef(node, creation, ids);
  }

  private exportFun(at: number): ExportFun {
    const module = this.atomObject('fun module');
    const name = this.atomObject('fun name');
    this.need(2, 'EXPORT_EXT arity');
    const tag = this.u8();
    let arity: number;
    if (tag === Tag.SMALL_INTEGER_EXT) {
      arity = this.u8();
    } else if (tag === Tag.INTEGER_EXT) {
      this.need(4, 'EXPORT_EXT arity');
      arity = this.u32() | 0;
      if (arity < 0 || arity > 255) throw bad(`EXPORT_EXT arity must be 0..255, found ${arity}`, at);
    } else {
      throw bad(`EXPORT_EXT arity must be an integer, found ${tagName(tag)}`, at);
    }
    return new ExportFun(module, name, arity);
  }

  private closure(at: number): ErlClosure {
    this.need(4 + 1 + FUN_UNIQ_BYTES + 8, 'NEW_FUN_EXT');
    const size = this.u32();
    const expectedEnd = at + 1 + size;
    if (expectedEnd > this.end) throw bad(`NEW_FUN_EXT Size ${size} goes beyond the end of the input`, at);
    const arity = this.u8();
    const uniq = this.b.slice(this.p, this.p + FUN_UNIQ_BYTES);
    this.p += FUN_UNIQ_BYTES;
    const index = this.u32();
    const numFree = this.u32();
    this.room(numFree, 1, 'NEW_FUN_EXT free variables', at);
    const module = this.atomObject('fun module');
    const oldIndex = this.smallInt('NEW_FUN_EXT OldIndex');
    const oldUniq = this.smallInt('NEW_FUN_EXT OldUniq');
    const pidAt = this.p;
    if (pidAt >= this.end) throw bad('truncated input: expected the NEW_FUN_EXT pid', pidAt);
    const pidTag = this.b[pidAt]!;
    if (pidTag !== Tag.NEW_PID_EXT && pidTag !== Tag.PID_EXT) throw bad(`expected the fun's pid, found ${tagName(pidTag)}`, pidAt);
    this.p++;
    const pid = this.pid(pidTag, pidAt);
    this.enter(at);
    const free: Term[] = [];
    for (let i = 0; i < numFree; i++) free.push(this.term());
    this.depth--;
    if (this.p !== expectedEnd) {
      throw bad(`NEW_FUN_EXT Size says ${size} bytes but its fields take ${this.p - at - 1}`, at);
    }
    return new ErlClosure(arity, uniq, index, module, oldIndex, oldUniq, pid, Object.freeze(free));
  }

  /** SMALL_INTEGER_EXT or INTEGER_EXT, as NEW_FUN_EXT's OldIndex/OldUniq require. */
  private smallInt(what: string): number {
    const at = this.p;
    this.need(1, what);
    const tag = this.u8();
    if (tag === Tag.SMALL_INTEGER_EXT) {
      this.need(1, what);
      return this.u8();
    }
    if (tag === Tag.INTEGER_EXT) {
      this.need(4, what);
      return this.u32() | 0;
    }
    throw bad(`${what} must be SMALL_INTEGER_EXT or INTEGER_EXT, found ${tagName(tag)}`, at);
  }

  private jsExt(at: number): Term {
    if (!this.jsTypes) {
      throw bad("tag 74 (beamjs's in-VM JS_EXT extension) is only accepted with the jsTypes option", at);
    }
    this.need(1, 'JS_EXT');
    const subtype = this.u8();
    switch (subtype) {
      case JsSubtype.STRING: {
        this.need(4, 'JS_EXT string');
        const n = this.u32();
        this.need(n, 'JS_EXT string data');
        const start = this.p;
        this.p = start + n;
        const s = utf8String(this.b, start, start + n);
        if (s === undefined) throw bad('JS_EXT string is not valid UTF-8', at);
        return s;
      }
      case JsSubtype.BIGINT: {
        const intAt = this.p;
        if (intAt >= this.end) throw bad('truncated input: expected the JS_EXT bigint', intAt);
        const tag = this.b[intAt]!;
        if (tag !== Tag.SMALL_INTEGER_EXT && tag !== Tag.INTEGER_EXT && tag !== Tag.SMALL_BIG_EXT && tag !== Tag.LARGE_BIG_EXT) {
          throw bad(`JS_EXT bigint must hold an integer, found ${tagName(tag)}`, intAt);
        }
        return BigInt(this.term() as number | bigint);
      }
      case JsSubtype.MAP: {
        const mapAt = this.p;
        if (mapAt >= this.end || this.b[mapAt] !== Tag.MAP_EXT) throw bad('JS_EXT Map must be followed by MAP_EXT', mapAt);
        this.p++;
        return this.map(true, mapAt);
      }
      default:
        throw bad(`unknown JS_EXT subtype ${subtype}`, at);
    }
  }
}

// Buffer's native slicers work on any Uint8Array (also over a SharedArrayBuffer) and
// beat TextDecoder on short inputs. They are not in the typings; fall back if absent.
type Slicer = (this: Uint8Array, start: number, end: number) => string;
const nativeSlicers = Buffer.prototype as unknown as { latin1Slice?: Slicer; utf8Slice?: Slicer };
const latin1Slice: Slicer =
  typeof nativeSlicers.latin1Slice === 'function'
    ? nativeSlicers.latin1Slice
    : function (this: Uint8Array, start: number, end: number): string {
        return utf8Decoder.decode(this.subarray(start, end));
      };
const utf8Slice: Slicer =
  typeof nativeSlicers.utf8Slice === 'function'
    ? nativeSlicers.utf8Slice
    : function (this: Uint8Array, start: number, end: number): string {
        return utf8Decoder.decode(this.subarray(start, end));
      };

/** `b[start, stop)` as a string when it is valid UTF-8, else undefined. */
function utf8String(b: Uint8Array, start: number, stop: number): string | undefined {
  if (stop - start <= 64) {
    // Short ASCII (the common case): a scan, then Latin-1 (= ASCII here) slicing.
    let i = start;
    while (i < stop && b[i]! < 0x80) i++;
    if (i === stop) return start === stop ? '' : latin1Slice.call(b, start, stop);
  }
  if (!isUtf8(b.subarray(start, stop))) return undefined;
  return utf8Slice.call(b, start, stop);
}

/** The property name of an atom key, or undefined when the key is not an atom. */
function atomKeyName(k: Term): string | undefined {
  if (k instanceof Atom) return k.name;
  if (k === true) return 'true';
  if (k === false) return 'false';
  if (k === null) return 'null';
  if (k === undefined) return 'undefined';
  return undefined;
}

function floatTerm(value: number, at: number): number | Term {
  if (!Number.isFinite(value)) throw bad('float is not finite (Erlang has no infinities or NaN)', at);
  return Number.isSafeInteger(value) ? float(value) : value;
}

let idle: Reader | undefined;

/** Takes the idle Reader (or a new one if it is in use). */
export function takeReader(): Reader {
  const r = idle ?? new Reader();
  idle = undefined;
  return r;
}

/** Gives a Reader back, dropping its reference to the input. */
export function releaseReader(r: Reader): void {
  r.b = EMPTY;
  idle = r;
}

const EMPTY = new Uint8Array(0);
