/**
 * Term hashing consistent with `exactEquals` (`=:=`), for ETS tables and maps.
 *
 * Contract: `exactEquals(a, b)` implies `hashTerm(a) === hashTerm(b)`. So the
 * integer 1 and the bigint 1n hash alike, a string and a Uint8Array holding its
 * UTF-8 bytes hash alike, a plain object and a `Map` with the same entries hash
 * alike whatever the insertion order, 0.0 and -0.0 hash alike (OTP 25 has
 * 0.0 =:= -0.0), and #Ref<…[1,2,3]> and #Ref<…[1,2,3,0]> hash alike. Terms that
 * are only `==` (1 and 1.0) hash differently.
 *
 * The value is a pure function of the term: the same on every thread and in every
 * run (no random seed, nothing derived from atom intern indexes; a local pid, ref or port
 * hashes without its node's name, which changes at net_kernel:start), so it may be
 * stored in shared memory and compared across threads. It is not erlang:phash2
 * and may change between beamjs versions; never persist it.
 *
 * The mixing is MurmurHash3's (32-bit) step and finaliser. Every term type feeds a
 * distinct tag first. Binaries are hashed as a byte stream packed little-endian in
 * 32-bit words; strings are encoded to UTF-8 on the fly, without allocating.
 * Maps combine per-entry hashes with a sum, which does not depend on order.
 *
 * Performance: small integers, floats, atoms and pids hash without allocating.
 * Atom name hashes are cached per thread by intern index.
 *
 * Thread-safety: pure functions with a thread-local cache and scratch buffer; may
 * be called from any thread. Not re-entrant in the middle of hashing one binary
 * (nothing it calls can re-enter it).
 *
 * Bad input: a value that is not a term, anywhere inside the argument, throws
 * `BeamError` with code `NOT_A_TERM`. `seed` is taken as a 32-bit integer
 * (`seed | 0`); higher bits are ignored.
 */
import { BeamError, ErrorCode, describeValue } from '../errors/index.js';
import { Atom } from './atom.js';
import { BitString } from './bitstring.js';
import { Float } from './float.js';
import { ErlClosure, ExportFun } from './fun.js';
import { ImproperList } from './improper_list.js';
import { localNode } from './node_name.js';
import { Pid } from './pid.js';
import { Port } from './port.js';
import { Ref } from './ref.js';
import { isPlainObject } from './term.js';
import type { Term, TermObject } from './term.js';
import { Tuple } from './tuple.js';
import { codePointAt } from './utf8.js';

const DEFAULT_SEED = 0x9747b28c;
/** What a local identifier's node contributes to its hash (see nodeHash). */
const LOCAL_NODE_HASH = 0x6c6f6361;

// One tag per kind of term, fed before its contents, so that different types with
// the same contents (a tuple and a list of the same elements) hash apart.
const TAG_INTEGER = 0x01;
const TAG_BIG_INTEGER = 0x02;
const TAG_FLOAT = 0x03;
const TAG_ATOM = 0x04;
const TAG_REF = 0x05;
const TAG_EXPORT_FUN = 0x06;
const TAG_CLOSURE = 0x07;
const TAG_PORT = 0x08;
const TAG_PID = 0x09;
const TAG_TUPLE = 0x0a;
const TAG_MAP = 0x0b;
const TAG_NIL = 0x0c;
const TAG_LIST = 0x0d;
const TAG_BINARY = 0x0e;
const TAG_BITSTRING = 0x0f;
const MAP_ENTRY_SEED = 0x3c6ef372;

/** A 32-bit unsigned hash of the term, consistent with `exactEquals`. */
export function hashTerm(t: Term): number {
  return finish(feed(DEFAULT_SEED, t));
}

/** Like `hashTerm`, from another starting state (for tables that want independent hashes). */
export function hashTermWithSeed(t: Term, seed: number): number {
  return finish(feed((seed | 0) ^ DEFAULT_SEED, t));
}

// ---------------------------------------------------------------------------------
// MurmurHash3 x86_32 building blocks (public-domain algorithm, written here).

function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

// ---------------------------------------------------------------------------------

const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);
const atomHashCache: number[] = [];
const HASH_TRUE = nameHash('true');
const HASH_FALSE = nameHash('false');
const HASH_UNDEFINED = nameHash('undefined');
const HASH_NULL = nameHash('null');
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Hash of an atom name (a pure function of the string). */
function nameHash(name: string): number {
  let h = 0x1b873593;
  const n = name.length;
  let i = 0;
  for (; i + 1 < n; i += 2) h = mix(h, name.charCodeAt(i) | (name.charCodeAt(i + 1) << 16));
  if (i < n) h = mix(h, name.charCodeAt(i));
  return finish(mix(h, n));
}

/**
 * The node part of a pid, ref or port's hash. A local identifier (creation 0 of this node)
 * hashes with a constant, not with the node's name: the name changes at net_kernel:start and
 * stop (node_name.ts) and a pid must keep its hash (an ETS key, a map key) across that. Local
 * and remote identifiers are never =:= (their creations differ), so this keeps the contract.
 */
function nodeHash(node: Atom, creation: number): number {
  return creation === 0 && node === localNode() ? LOCAL_NODE_HASH : atomHash(node);
}

function atomHash(a: Atom): number {
  let h = atomHashCache[a.index];
  if (h === undefined) {
    h = nameHash(a.name);
    atomHashCache[a.index] = h;
  }
  return h;
}

function feedInteger(h: number, n: number): number {
  // Two's-complement 64-bit words; exact for every safe integer.
  const lo = n >>> 0;
  const hi = Math.floor(n / 4294967296) | 0;
  return mix(mix(mix(h, TAG_INTEGER), lo), hi);
}

function feedFloat(h: number, v: number): number {
  scratch[0] = v === 0 ? 0 : v; // -0.0 =:= 0.0 in OTP 25
  return mix(mix(mix(h, TAG_FLOAT), scratchWords[0]!), scratchWords[1]!);
}

function feedBigInt(h: number, n: bigint): number {
  if (n >= MIN_SAFE && n <= MAX_SAFE) return feedInteger(h, Number(n));
  h = mix(mix(h, TAG_BIG_INTEGER), n < 0n ? 1 : 0);
  let x = n < 0n ? -n : n;
  while (x > 0n) {
    h = mix(h, Number(x & 0xffffffffn));
    x >>= 32n;
  }
  return h;
}

function feed(h: number, t: Term): number {
  switch (typeof t) {
    case 'number':
      if (Number.isSafeInteger(t)) return feedInteger(h, t);
      if (!Number.isFinite(t)) throw notATerm(t);
      return feedFloat(h, t);
    case 'string':
      return feedString(h, t);
    case 'boolean':
      return mix(mix(h, TAG_ATOM), t ? HASH_TRUE : HASH_FALSE);
    case 'undefined':
      return mix(mix(h, TAG_ATOM), HASH_UNDEFINED);
    case 'bigint':
      return feedBigInt(h, t);
    case 'object':
      break;
    default:
      throw notATerm(t);
  }
  if (t === null) return mix(mix(h, TAG_ATOM), HASH_NULL);
  if (t instanceof Atom) return mix(mix(h, TAG_ATOM), atomHash(t));
  if (Array.isArray(t)) {
    const list = t as readonly Term[];
    if (list.length === 0) return mix(h, TAG_NIL);
    h = mix(mix(h, TAG_LIST), list.length);
    for (let i = 0; i < list.length; i++) h = feed(h, list[i]);
    return mix(h, TAG_NIL);
  }
  if (t instanceof Tuple) {
    const el = t.elements;
    h = mix(mix(h, TAG_TUPLE), el.length);
    for (let i = 0; i < el.length; i++) h = feed(h, el[i]);
    return h;
  }
  if (t instanceof Uint8Array) return feedBytes(mix(h, TAG_BINARY), t, t.length);
  if (t instanceof Pid) {
    h = mix(mix(h, TAG_PID), nodeHash(t.node, t.creation));
    return mix(mix(mix(h, t.id), t.serial), t.creation);
  }
  if (t instanceof Float) return feedFloat(h, t.value);
  if (t instanceof Ref) {
    h = mix(mix(mix(h, TAG_REF), nodeHash(t.node, t.creation)), t.creation);
    // High zero words do not change a ref's identity in erl; leave them out.
    let n = t.ids.length;
    while (n > 0 && t.ids[n - 1] === 0) n--;
    for (let i = 0; i < n; i++) h = mix(h, t.ids[i]!);
    return mix(h, n);
  }
  if (t instanceof Map) return feedMap(h, t as ReadonlyMap<Term, Term>);
  if (t instanceof ImproperList) {
    const head = t.head;
    h = mix(mix(h, TAG_LIST), head.length);
    for (let i = 0; i < head.length; i++) h = feed(h, head[i]);
    return feed(h, t.tail);
  }
  if (t instanceof BitString) return mix(feedBytes(mix(h, TAG_BITSTRING), t.bytes, t.bytes.length), t.bitLength);
  if (t instanceof ExportFun) {
    h = mix(mix(mix(h, TAG_EXPORT_FUN), atomHash(t.module)), atomHash(t.name));
    return mix(h, t.arity);
  }
  if (t instanceof ErlClosure) {
    // Only the fields erl compares: module, index, old uniq, free variables.
    h = mix(mix(mix(mix(h, TAG_CLOSURE), atomHash(t.module)), t.index), t.oldUniq);
    const free = t.freeVars;
    h = mix(h, free.length);
    for (let i = 0; i < free.length; i++) h = feed(h, free[i]);
    return h;
  }
  if (t instanceof Port) {
    h = mix(mix(mix(h, TAG_PORT), nodeHash(t.node, t.creation)), t.creation);
    return mix(mix(h, Number(t.id & 0xffffffffn)), Number((t.id >> 32n) & 0xffffffffn));
  }
  if (isPlainObject(t)) return feedObject(h, t);
  throw notATerm(t);
}

function feedMap(h: number, m: ReadonlyMap<Term, Term>): number {
  let sum = 0;
  for (const [k, v] of m) sum = (sum + finish(feed(feed(MAP_ENTRY_SEED, k), v))) | 0;
  return mix(mix(mix(h, TAG_MAP), m.size), sum);
}

function feedObject(h: number, obj: TermObject): number {
  let sum = 0;
  let size = 0;
  for (const name of Object.keys(obj)) {
    // The key as feed() would hash the atom with this name.
    const keyState = mix(mix(MAP_ENTRY_SEED, TAG_ATOM), nameHashCached(name));
    sum = (sum + finish(feed(keyState, obj[name]))) | 0;
    size++;
  }
  return mix(mix(mix(h, TAG_MAP), size), sum);
}

/** Name hash for a plain-object key: reuse the atom's cached hash when it exists. */
function nameHashCached(name: string): number {
  switch (name) {
    case 'true':
      return HASH_TRUE;
    case 'false':
      return HASH_FALSE;
    case 'undefined':
      return HASH_UNDEFINED;
    case 'null':
      return HASH_NULL;
    default:
      return nameHash(name);
  }
}

/** Bytes packed little-endian into 32-bit words, then the length. */
function feedBytes(h: number, b: Uint8Array, n: number): number {
  let i = 0;
  for (; i + 3 < n; i += 4) h = mix(h, b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24));
  let k = 0;
  let shift = 0;
  for (; i < n; i++, shift += 8) k |= b[i]! << shift;
  if (shift !== 0) h = mix(h, k);
  return mix(h, n);
}

/** Same as feedBytes over the string's UTF-8 bytes, encoded on the fly. */
function feedString(h: number, s: string): number {
  h = mix(h, TAG_BINARY);
  let word = 0;
  let shift = 0;
  let total = 0;
  for (let i = 0; i < s.length; ) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      word |= c << shift;
      shift += 8;
      total++;
      if (shift === 32) {
        h = mix(h, word);
        word = 0;
        shift = 0;
      }
      i++;
      continue;
    }
    const cp = codePointAt(s, i);
    i += cp > 0xffff ? 2 : 1;
    let count: number;
    let bytes: number; // the UTF-8 bytes, first byte lowest
    if (cp < 0x800) {
      bytes = (0xc0 | (cp >> 6)) | ((0x80 | (cp & 0x3f)) << 8);
      count = 2;
    } else if (cp < 0x10000) {
      bytes = (0xe0 | (cp >> 12)) | ((0x80 | ((cp >> 6) & 0x3f)) << 8) | ((0x80 | (cp & 0x3f)) << 16);
      count = 3;
    } else {
      bytes =
        (0xf0 | (cp >> 18)) |
        ((0x80 | ((cp >> 12) & 0x3f)) << 8) |
        ((0x80 | ((cp >> 6) & 0x3f)) << 16) |
        ((0x80 | (cp & 0x3f)) << 24);
      count = 4;
    }
    for (let k = 0; k < count; k++) {
      word |= ((bytes >>> (8 * k)) & 0xff) << shift;
      shift += 8;
      total++;
      if (shift === 32) {
        h = mix(h, word);
        word = 0;
        shift = 0;
      }
    }
  }
  if (shift !== 0) h = mix(h, word);
  return mix(h, total);
}

function notATerm(value: unknown): BeamError {
  return new BeamError(ErrorCode.NOT_A_TERM, `hashTerm: expected an Erlang term, found ${describeValue(value)}`);
}
