/**
 * Term order and equality: Erlang's `<`, `==`, `=:=` on JS term values.
 *
 *   | function       | Erlang                    | integer vs float of equal value |
 *   |----------------|---------------------------|---------------------------------|
 *   | `compare`      | `<`, `lists:sort`         | equal (1 == 1.0)                |
 *   | `equals`       | `==`                      | equal                           |
 *   | `compareExact` | map-key order (`=:=` classes) | integer first (1 < 1.0)     |
 *   | `exactEquals`  | `=:=`                     | different                       |
 *
 * The standard order (as erl 25 does it, each rule checked against erl):
 * - Types: number < atom < reference < fun < port < pid < tuple < map < nil < list
 *   < bitstring (`TermKind` numbers them in this order).
 * - Numbers by value, exactly: a bigint and a float compare without rounding (JS's
 *   relational operators between bigint and number compare mathematical values).
 *   OTP 25 has 0.0 == -0.0 and 0.0 =:= -0.0.
 * - Atoms by name, code point by code point (true/false/undefined/null are atoms
 *   named so).
 * - References: node name, then node creation, then the id words from the most
 *   significant (last) one down; missing high words count as zero, so
 *   #Ref<…[1,2,3]> =:= #Ref<…[1,2,3,0]>, as in erl.
 * - Funs: every closure (`ErlClosure`) is below every export fun (`ExportFun`).
 *   Export funs: module, function name, arity. Closures: module, `index`,
 *   `oldUniq`, number of free variables, then the free variables. Erl ignores
 *   `arity`, `uniq`, `oldIndex` and the creator pid, so two closures differing only
 *   there are equal (=:=), here as in erl.
 * - Ports: node name, node creation, then id.
 * - Pids: serial, then id, then node name, then node creation (erl compares the
 *   pid's data word before its node).
 * - Tuples: size, then elements left to right.
 * - Maps: size, then the keys in map-key order (compared with `compareExact`), then
 *   the values in that key order. Map-key order puts every integer below every float
 *   ("in maps key order integers types are considered less than floats types"), so
 *   `compareExact(2, 1.5)` is -1 although 2 > 1.5; that is what erl does
 *   (`maps:keys(#{2 => a, 1.5 => b})` is `[2, 1.5]`).
 * - Lists element by element; when one list ends, its tail (nil, or the non-list
 *   tail of an improper list) is compared with the rest of the other.
 * - Bitstrings (string, Uint8Array, BitString) by bits, then by length in bits.
 *   A string compares as its UTF-8 bytes (see utf8.ts for lone surrogates).
 *
 * Maps given as `Map` must not hold two keys that are `exactEquals` (such as `1`
 * and `1n`, or two equal tuples): that is not a valid Erlang map, and the results
 * are then unspecified.
 *
 * Performance: numbers, atoms and pids compare without allocating. Maps allocate
 * (their entries are sorted per comparison; nothing is cached, because plain objects
 * can be mutated between calls).
 *
 * Thread-safety: pure functions; may be called from any thread.
 *
 * Bad input: a value that is not a term (a function, a symbol, NaN, an unknown class
 * instance, anywhere inside the arguments) throws `BeamError` with code
 * `NOT_A_TERM`, naming what was found. Two plain numbers are compared directly, so
 * NaN is caught there but infinities are not.
 */
import { BeamError, ErrorCode, describeValue } from '../errors/index.js';
import { Atom, atomName, atomTerm } from './atom.js';
import { BitString } from './bitstring.js';
import { Float } from './float.js';
import { ErlClosure, ExportFun } from './fun.js';
import { hashTerm } from './hash.js';
import { ImproperList } from './improper_list.js';
import { Pid } from './pid.js';
import type { Port } from './port.js';
import type { Ref } from './ref.js';
import { NOT_A_TERM, TermKind, termKind } from './term.js';
import type { Term, TermObject } from './term.js';
import { Tuple } from './tuple.js';
import { compareBytes, compareStringToBytes, compareStrings, utf8Bytes } from './utf8.js';

/** The result of a three-way comparison. */
export type Ordering = -1 | 0 | 1;

const NIL: readonly Term[] = Object.freeze([]);

/** Erlang's standard term order (`<`, `lists:sort`): -1, 0 (`==`) or 1. */
export function compare(a: Term, b: Term): Ordering {
  if (a === b) return 0;
  if (typeof a === 'number') {
    if (typeof b === 'number') return compareNumbersFast(a, b);
  } else if (typeof a === 'string' && typeof b === 'string') {
    return compareStrings(a, b);
  }
  return compareSlow(a, b, false);
}

/**
 * The total order of map keys: like `compare`, except that every integer sorts
 * below every float (so 1 < 1.0, and also 2 < 1.5), recursively. 0 iff `exactEquals`.
 */
export function compareExact(a: Term, b: Term): Ordering {
  if (a === b) return 0;
  if (typeof a === 'number' && typeof b === 'number') {
    const ia = Number.isSafeInteger(a);
    if (ia !== Number.isSafeInteger(b)) return integerBeforeFloat(ia, a, b);
    return compareNumbersFast(a, b);
  }
  return compareSlow(a, b, true);
}

/** `=:=`: same type and value (1 =:= 1n, 'abc' =:= bytes of "abc", but not 1 =:= 1.0). */
export function exactEquals(a: Term, b: Term): boolean {
  return a === b || equalSlow(a, b, true);
}

/** `==`: like `=:=`, except that integers and floats compare by value (1 == 1.0). */
export function equals(a: Term, b: Term): boolean {
  return a === b || equalSlow(a, b, false);
}

// ---------------------------------------------------------------------------------
// Ordering

function compareNumbersFast(a: number, b: number): Ordering {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b) return 0;
  throw notATerm(Number.isNaN(a) ? a : b);
}

/** Map-key order of an integer and a float (`aIsInteger` says which is which). */
function integerBeforeFloat(aIsInteger: boolean, a: number, b: number): Ordering {
  if (Number.isNaN(a) || Number.isNaN(b)) throw notATerm(Number.isNaN(a) ? a : b);
  return aIsInteger ? -1 : 1;
}

function cmp(a: Term, b: Term, exact: boolean): Ordering {
  if (a === b) return 0;
  if (typeof a === 'number' && typeof b === 'number') {
    if (exact) {
      const ia = Number.isSafeInteger(a);
      if (ia !== Number.isSafeInteger(b)) return integerBeforeFloat(ia, a, b);
    }
    return compareNumbersFast(a, b);
  }
  return compareSlow(a, b, exact);
}

function compareSlow(a: Term, b: Term, exact: boolean): Ordering {
  // Fast paths for the pairs that dominate sorting and table keys, before the
  // general type dispatch (termKind runs a chain of instanceof checks).
  if (typeof a === 'string') {
    if (typeof b === 'string') return compareStrings(a, b);
  } else if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const ctor = a.constructor;
    if (ctor === b.constructor) {
      if (ctor === Atom) return compareStrings((a as Atom).name, (b as Atom).name);
      if (ctor === Tuple) return compareTuples(a as Tuple, b as Tuple, exact);
      if (ctor === Pid) return comparePids(a as Pid, b as Pid);
    }
  }
  const ka = termKind(a);
  const kb = termKind(b);
  if (ka === NOT_A_TERM) throw notATerm(a);
  if (kb === NOT_A_TERM) throw notATerm(b);
  if (ka !== kb) return ka < kb ? -1 : 1;
  switch (ka) {
    case TermKind.NUMBER:
      return compareNumbers(a as NumberTerm, b as NumberTerm, exact);
    case TermKind.ATOM:
      return compareStrings(atomName(a)!, atomName(b)!);
    case TermKind.REFERENCE:
      return compareRefs(a as Ref, b as Ref);
    case TermKind.FUN:
      return compareFuns(a as ExportFun | ErlClosure, b as ExportFun | ErlClosure, exact);
    case TermKind.PORT:
      return comparePorts(a as Port, b as Port);
    case TermKind.PID:
      return comparePids(a as Pid, b as Pid);
    case TermKind.TUPLE:
      return compareTuples(a as Tuple, b as Tuple, exact);
    case TermKind.MAP:
      return compareMaps(a as MapTerm, b as MapTerm, exact);
    case TermKind.NIL:
      return 0;
    case TermKind.LIST:
      return compareLists(a as ListTerm, b as ListTerm, exact);
    default:
      return compareBitstrings(a as BitstringTerm, b as BitstringTerm);
  }
}

type NumberTerm = number | bigint | Float;
type MapTerm = ReadonlyMap<Term, Term> | TermObject;
type ListTerm = readonly Term[] | ImproperList;
type BitstringTerm = string | Uint8Array | BitString;

function compareNumbers(a: NumberTerm, b: NumberTerm, exact: boolean): Ordering {
  let av: number | bigint;
  let bv: number | bigint;
  let ai: boolean;
  let bi: boolean;
  if (typeof a === 'number') {
    av = a;
    ai = Number.isSafeInteger(a);
  } else if (typeof a === 'bigint') {
    av = a;
    ai = true;
  } else {
    av = a.value;
    ai = false;
  }
  if (typeof b === 'number') {
    bv = b;
    bi = Number.isSafeInteger(b);
  } else if (typeof b === 'bigint') {
    bv = b;
    bi = true;
  } else {
    bv = b.value;
    bi = false;
  }
  if (exact && ai !== bi) return ai ? -1 : 1;
  // Mixed bigint/number relational comparison is exact in JS (mathematical values).
  if (av < bv) return -1;
  if (av > bv) return 1;
  return 0;
}

function compareNodes(na: Atom, ca: number, nb: Atom, cb: number): Ordering {
  if (na !== nb) {
    const c = compareStrings(na.name, nb.name);
    if (c !== 0) return c;
  }
  if (ca !== cb) return ca < cb ? -1 : 1;
  return 0;
}

function compareRefs(a: Ref, b: Ref): Ordering {
  const c = compareNodes(a.node, a.creation, b.node, b.creation);
  if (c !== 0) return c;
  return compareRefIds(a.ids, b.ids);
}

/** Ref words, most significant last; missing high words are zero. */
function compareRefIds(x: readonly number[], y: readonly number[]): Ordering {
  let lx = x.length;
  let ly = y.length;
  while (lx > ly) {
    if (x[lx - 1] !== 0) return 1;
    lx--;
  }
  while (ly > lx) {
    if (y[ly - 1] !== 0) return -1;
    ly--;
  }
  for (let i = lx - 1; i >= 0; i--) {
    const p = x[i]!;
    const q = y[i]!;
    if (p !== q) return p < q ? -1 : 1;
  }
  return 0;
}

function compareFuns(a: ExportFun | ErlClosure, b: ExportFun | ErlClosure, exact: boolean): Ordering {
  if (a instanceof ExportFun) {
    if (!(b instanceof ExportFun)) return 1;
    let c = compareAtomObjects(a.module, b.module);
    if (c !== 0) return c;
    c = compareAtomObjects(a.name, b.name);
    if (c !== 0) return c;
    return a.arity === b.arity ? 0 : a.arity < b.arity ? -1 : 1;
  }
  if (b instanceof ExportFun) return -1;
  const c = compareAtomObjects(a.module, b.module);
  if (c !== 0) return c;
  if (a.index !== b.index) return a.index < b.index ? -1 : 1;
  if (a.oldUniq !== b.oldUniq) return a.oldUniq < b.oldUniq ? -1 : 1;
  const fa = a.freeVars;
  const fb = b.freeVars;
  if (fa.length !== fb.length) return fa.length < fb.length ? -1 : 1;
  for (let i = 0; i < fa.length; i++) {
    const e = cmp(fa[i], fb[i], exact);
    if (e !== 0) return e;
  }
  return 0;
}

function compareAtomObjects(a: Atom, b: Atom): Ordering {
  return a === b ? 0 : compareStrings(a.name, b.name);
}

function comparePorts(a: Port, b: Port): Ordering {
  const c = compareNodes(a.node, a.creation, b.node, b.creation);
  if (c !== 0) return c;
  return a.id === b.id ? 0 : a.id < b.id ? -1 : 1;
}

function comparePids(a: Pid, b: Pid): Ordering {
  if (a.serial !== b.serial) return a.serial < b.serial ? -1 : 1;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  return compareNodes(a.node, a.creation, b.node, b.creation);
}

function compareTuples(a: Tuple, b: Tuple, exact: boolean): Ordering {
  const ea = a.elements;
  const eb = b.elements;
  if (ea.length !== eb.length) return ea.length < eb.length ? -1 : 1;
  for (let i = 0; i < ea.length; i++) {
    const c = cmp(ea[i], eb[i], exact);
    if (c !== 0) return c;
  }
  return 0;
}

function compareLists(a: ListTerm, b: ListTerm, exact: boolean): Ordering {
  let ha: readonly Term[];
  let ta: Term;
  let hb: readonly Term[];
  let tb: Term;
  if (a instanceof ImproperList) {
    ha = a.head;
    ta = a.tail;
  } else {
    ha = a;
    ta = NIL;
  }
  if (b instanceof ImproperList) {
    hb = b.head;
    tb = b.tail;
  } else {
    hb = b;
    tb = NIL;
  }
  const n = ha.length < hb.length ? ha.length : hb.length;
  for (let i = 0; i < n; i++) {
    const c = cmp(ha[i], hb[i], exact);
    if (c !== 0) return c;
  }
  if (ha.length === hb.length) return cmp(ta, tb, exact);
  // One list goes on: its rest is a non-empty list, compared with the other's tail
  // (nil or a non-list term), so only the tail's type decides.
  return ha.length < hb.length ? tailBeforeList(ta) : tailBeforeList(tb) === -1 ? 1 : -1;
}

function tailBeforeList(tail: Term): Ordering {
  const k = termKind(tail);
  if (k === NOT_A_TERM) throw notATerm(tail);
  return k < TermKind.LIST ? -1 : 1;
}

/** Keys in map-key order with their values. Plain-object keys become atoms. */
interface SortedEntries {
  keys: Term[];
  values: Term[];
}

function sortedEntries(m: MapTerm): SortedEntries {
  const keys: Term[] = [];
  const values: Term[] = [];
  if (m instanceof Map) {
    const entries = Array.from(m as ReadonlyMap<Term, Term>);
    entries.sort((x, y) => compareExact(x[0], y[0]));
    for (const [k, v] of entries) {
      keys.push(k);
      values.push(v);
    }
  } else {
    const obj = m as TermObject;
    const names = Object.keys(obj).sort(compareStrings);
    for (const name of names) {
      keys.push(atomTerm(name));
      values.push(obj[name]);
    }
  }
  return { keys, values };
}

function mapSize(m: MapTerm): number {
  return m instanceof Map ? (m as ReadonlyMap<Term, Term>).size : Object.keys(m).length;
}

function compareMaps(a: MapTerm, b: MapTerm, exact: boolean): Ordering {
  if (!(a instanceof Map) && !(b instanceof Map)) return compareObjects(a as TermObject, b as TermObject, exact);
  const sa = mapSize(a);
  const sb = mapSize(b);
  if (sa !== sb) return sa < sb ? -1 : 1;
  const ea = sortedEntries(a);
  const eb = sortedEntries(b);
  for (let i = 0; i < sa; i++) {
    const c = compareExact(ea.keys[i], eb.keys[i]);
    if (c !== 0) return c;
  }
  for (let i = 0; i < sa; i++) {
    const c = cmp(ea.values[i], eb.values[i], exact);
    if (c !== 0) return c;
  }
  return 0;
}

/** Two atom-keyed maps: keys are atom names, so they sort as strings (no interning). */
function compareObjects(a: TermObject, b: TermObject, exact: boolean): Ordering {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return ka.length < kb.length ? -1 : 1;
  ka.sort(compareStrings);
  kb.sort(compareStrings);
  for (let i = 0; i < ka.length; i++) {
    const c = compareStrings(ka[i]!, kb[i]!);
    if (c !== 0) return c;
  }
  for (let i = 0; i < ka.length; i++) {
    const c = cmp(a[ka[i]!], b[kb[i]!], exact);
    if (c !== 0) return c;
  }
  return 0;
}

function compareBitstrings(a: BitstringTerm, b: BitstringTerm): Ordering {
  if (typeof a === 'string') {
    if (typeof b === 'string') return compareStrings(a, b);
    if (b instanceof Uint8Array) return compareStringToBytes(a, b);
    return compareBits(utf8Bytes(a), b);
  }
  if (typeof b === 'string') {
    if (a instanceof Uint8Array) return negate(compareStringToBytes(b, a));
    return compareBits(a, utf8Bytes(b));
  }
  if (a instanceof Uint8Array && b instanceof Uint8Array) return compareBytes(a, b);
  return compareBits(a, b);
}

function negate(c: Ordering): Ordering {
  return c === 0 ? 0 : c === 1 ? -1 : 1;
}

function compareBits(a: Uint8Array | BitString, b: Uint8Array | BitString): Ordering {
  const ba = a instanceof BitString ? a.bytes : a;
  const bb = b instanceof BitString ? b.bytes : b;
  const la = a instanceof BitString ? a.bitLength : a.length * 8;
  const lb = b instanceof BitString ? b.bitLength : b.length * 8;
  const min = la < lb ? la : lb;
  const full = Math.floor(min / 8);
  for (let i = 0; i < full; i++) {
    const x = ba[i]!;
    const y = bb[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  const rest = min % 8;
  if (rest !== 0) {
    const x = ba[full]! >> (8 - rest);
    const y = bb[full]! >> (8 - rest);
    if (x !== y) return x < y ? -1 : 1;
  }
  return la === lb ? 0 : la < lb ? -1 : 1;
}

// ---------------------------------------------------------------------------------
// Equality

function eq(a: Term, b: Term, exact: boolean): boolean {
  return a === b || equalSlow(a, b, exact);
}

function equalSlow(a: Term, b: Term, exact: boolean): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) || Number.isNaN(b)) throw notATerm(Number.isNaN(a) ? a : b);
    return false; // a !== b was checked by the caller
  }
  if (typeof a === 'string' && typeof b === 'string') {
    // Strings with the same UTF-8 bytes have the same UTF-16 length (a lone
    // surrogate and its replacement U+FFFD are one unit each).
    return a.length === b.length && compareStrings(a, b) === 0;
  }
  const ka = termKind(a);
  const kb = termKind(b);
  if (ka === NOT_A_TERM) throw notATerm(a);
  if (kb === NOT_A_TERM) throw notATerm(b);
  if (ka !== kb) return false;
  switch (ka) {
    case TermKind.NUMBER:
      return compareNumbers(a as NumberTerm, b as NumberTerm, exact) === 0;
    case TermKind.ATOM:
      return false; // atoms are interned: equal atoms are the same JS value
    case TermKind.REFERENCE: {
      const x = a as Ref;
      const y = b as Ref;
      return x.node === y.node && x.creation === y.creation && compareRefIds(x.ids, y.ids) === 0;
    }
    case TermKind.FUN:
      return funEquals(a as ExportFun | ErlClosure, b as ExportFun | ErlClosure, exact);
    case TermKind.PORT: {
      const x = a as Port;
      const y = b as Port;
      return x.id === y.id && x.node === y.node && x.creation === y.creation;
    }
    case TermKind.PID: {
      const x = a as Pid;
      const y = b as Pid;
      return x.id === y.id && x.serial === y.serial && x.node === y.node && x.creation === y.creation;
    }
    case TermKind.TUPLE: {
      const ea = (a as Tuple).elements;
      const eb = (b as Tuple).elements;
      if (ea.length !== eb.length) return false;
      for (let i = 0; i < ea.length; i++) if (!eq(ea[i], eb[i], exact)) return false;
      return true;
    }
    case TermKind.MAP:
      return mapEquals(a as MapTerm, b as MapTerm, exact);
    case TermKind.NIL:
      return true;
    case TermKind.LIST:
      return listEquals(a as ListTerm, b as ListTerm, exact);
    default:
      return bitstringEquals(a as BitstringTerm, b as BitstringTerm);
  }
}

function funEquals(a: ExportFun | ErlClosure, b: ExportFun | ErlClosure, exact: boolean): boolean {
  if (a instanceof ExportFun) {
    return b instanceof ExportFun && a.module === b.module && a.name === b.name && a.arity === b.arity;
  }
  if (b instanceof ExportFun) return false;
  if (a.module !== b.module || a.index !== b.index || a.oldUniq !== b.oldUniq) return false;
  const fa = a.freeVars;
  const fb = b.freeVars;
  if (fa.length !== fb.length) return false;
  for (let i = 0; i < fa.length; i++) if (!eq(fa[i], fb[i], exact)) return false;
  return true;
}

function listEquals(a: ListTerm, b: ListTerm, exact: boolean): boolean {
  if (a instanceof ImproperList) {
    if (!(b instanceof ImproperList)) return false;
    return termArrayEquals(a.head, b.head, exact) && eq(a.tail, b.tail, exact);
  }
  if (b instanceof ImproperList) return false;
  return termArrayEquals(a, b, exact);
}

function termArrayEquals(a: readonly Term[], b: readonly Term[], exact: boolean): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!eq(a[i], b[i], exact)) return false;
  return true;
}

function bitstringEquals(a: BitstringTerm, b: BitstringTerm): boolean {
  if (typeof a === 'string') {
    if (b instanceof Uint8Array) return stringEqualsBytes(a, b);
    return false; // string vs BitString (string vs string is handled earlier)
  }
  if (typeof b === 'string') return a instanceof Uint8Array && stringEqualsBytes(b, a);
  if (a instanceof Uint8Array) {
    if (!(b instanceof Uint8Array) || a.length !== b.length) return false;
    return compareBytes(a, b) === 0;
  }
  if (!(b instanceof BitString) || a.bitLength !== b.bitLength) return false;
  return compareBytes(a.bytes, b.bytes) === 0;
}

function stringEqualsBytes(s: string, bytes: Uint8Array): boolean {
  // Each UTF-16 unit becomes 1 to 3 bytes (a pair: 4 bytes for 2 units).
  if (bytes.length < s.length || bytes.length > 3 * s.length) return false;
  return compareStringToBytes(s, bytes) === 0;
}

function mapEquals(a: MapTerm, b: MapTerm, exact: boolean): boolean {
  const aIsMap = a instanceof Map;
  const bIsMap = b instanceof Map;
  if (!aIsMap && !bIsMap) {
    const x = a as TermObject;
    const y = b as TermObject;
    const keys = Object.keys(x);
    if (keys.length !== Object.keys(y).length) return false;
    for (const k of keys) {
      if (!Object.hasOwn(y, k) || !eq(x[k], y[k], exact)) return false;
    }
    return true;
  }
  if (!aIsMap) return objectEqualsMap(a as TermObject, b as ReadonlyMap<Term, Term>, exact);
  if (!bIsMap) return objectEqualsMap(b as TermObject, a as ReadonlyMap<Term, Term>, exact);
  const x = a as ReadonlyMap<Term, Term>;
  const y = b as ReadonlyMap<Term, Term>;
  if (x.size !== y.size) return false;
  let index: KeyIndex | undefined;
  for (const [k, v] of x) {
    let other: Term;
    if (y.has(k)) {
      other = y.get(k);
    } else {
      // Not the same JS key; a structurally equal one (1n for 1, an equal tuple)
      // may still be there. Index y by hash once, then look up.
      index ??= new KeyIndex(y);
      const found = index.find(k);
      if (found === undefined) return false;
      other = found[1];
    }
    if (!eq(v, other, exact)) return false;
  }
  return true;
}

function objectEqualsMap(obj: TermObject, m: ReadonlyMap<Term, Term>, exact: boolean): boolean {
  if (Object.keys(obj).length !== m.size) return false;
  for (const [k, v] of m) {
    const name = atomName(k);
    if (name === undefined || !Object.hasOwn(obj, name)) return false;
    if (!eq(obj[name], v, exact)) return false;
  }
  return true;
}

/** Entries of a Map bucketed by `hashTerm` of the key, for `exactEquals` lookups. */
class KeyIndex {
  private readonly buckets = new Map<number, Array<readonly [Term, Term]>>();

  constructor(m: ReadonlyMap<Term, Term>) {
    for (const entry of m) {
      const h = hashTerm(entry[0]);
      const bucket = this.buckets.get(h);
      if (bucket === undefined) this.buckets.set(h, [entry]);
      else bucket.push(entry);
    }
  }

  find(key: Term): readonly [Term, Term] | undefined {
    const bucket = this.buckets.get(hashTerm(key));
    if (bucket === undefined) return undefined;
    for (const entry of bucket) if (exactEquals(entry[0], key)) return entry;
    return undefined;
  }
}

function notATerm(value: unknown): BeamError {
  return new BeamError(ErrorCode.NOT_A_TERM, `term comparison: expected Erlang terms, found ${describeValue(value)}`);
}
