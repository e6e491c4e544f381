/**
 * src/ets/match_spec_bifs.ts: the functions a match specification may call in its guards and
 * bodies (ERTS User's Guide, "Match Specifications in Erlang", GuardFunction), as plain JS
 * functions over terms. match_spec.ts compiles a call `{Name, Arg1, ...}` into a closure that
 * evaluates the arguments and calls the function found here by name and arity.
 *
 * Failure: a function whose Erlang twin would raise (badarg, badarith, badmap, system_limit)
 * returns FAIL instead of throwing. A guard that evaluates to FAIL makes its clause fail; a body
 * that does makes the clause's result the atom 'EXIT', as ERTS does. No function here throws
 * on any term input, so a bad object can never crash the caller (a select over a table).
 *
 * Numbers keep Erlang's integer/float distinction (README "Terms"): an integer is a safe-integer
 * number or a bigint, a float is a non-safe-integer number or a `Float`. Integer results are
 * normalised (a bigint in the safe range becomes a number; -0 becomes 0); float results go
 * through `float()` (integral values become `Float`); a non-finite float result is badarith.
 *
 * Threads: pure functions, callable on any thread. `self/0` is supplied by the caller (see
 * match_spec.ts); nothing here reads process state.
 */
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
  adoptTuple,
  atomName,
  compare,
  equals,
  exactEquals,
  float,
  isAtom,
  isBinary,
  isFloat,
  isInteger,
  isPlainObject,
  localNode,
} from '../term/index.js';
import type { Term, TermObject } from '../term/index.js';

/** The value of an expression whose Erlang twin raised: the clause fails (guard) or yields 'EXIT' (body). */
export const FAIL: unique symbol = Symbol('ets.match_spec.fail');
export type Fail = typeof FAIL;
export type Value = Term | Fail;

type Num = number | bigint | Float;
type Int = number | bigint;

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/** Largest shift accepted by bsl/bsr; beyond it ERTS raises system_limit (a result of 2^(2^24) bits is absurd here too). */
const MAX_SHIFT = 1 << 24;

export function isNumber(x: Term): x is Num {
  return isInteger(x) || isFloat(x);
}

/** A bigint as an Erlang integer term: a number when it is safe. */
export function normalizeBig(b: bigint): Int {
  return b >= MIN_SAFE && b <= MAX_SAFE ? Number(b) : b;
}

function toBig(x: Int): bigint {
  return typeof x === 'bigint' ? x : BigInt(x);
}

const TWO_64 = 2 ** 64;
const DIGIT_MASK = (1n << 64n) - 1n;
const BIG_LIMIT = 1n << 64n;

/**
 * The double ERTS makes of an integer in arithmetic and float/1 (big.c, big_to_double): a
 * bignum's 64-bit digits are folded from the most significant, `d = d * 2^64 + digit`, which
 * rounds at every step and can differ in the last bit from the correctly rounded Number(b).
 * Below 2^64 (one digit, or a small integer) both agree. May return an infinity: callers check.
 */
export function bigToDouble(b: bigint): number {
  const negative = b < 0n;
  let m = negative ? -b : b;
  if (m < BIG_LIMIT) return Number(b);
  const digits: bigint[] = [];
  while (m > 0n) {
    digits.push(m & DIGIT_MASK);
    m >>= 64n;
  }
  let d = 0;
  for (let i = digits.length - 1; i >= 0; i--) {
    d = d * TWO_64 + Number(digits[i]);
    if (!Number.isFinite(d)) return negative ? -Infinity : Infinity;
  }
  return negative ? -d : d;
}

/** The double an Erlang number stands for (a big integer may become Infinity: callers check). */
function floatOf(x: Num): number {
  if (typeof x === 'number') return x;
  if (typeof x === 'bigint') return bigToDouble(x);
  return x.value;
}

function floatResult(v: number): Value {
  return Number.isFinite(v) ? float(v) : FAIL;
}

/** The integer with the value of an integral double. */
function integerOfDouble(v: number): Int {
  return Number.isSafeInteger(v) ? v + 0 : BigInt(v);
}

function isSmall(x: Term): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x);
}

// ---------------------------------------------------------------------------------
// Arithmetic

export function add(a: Term, b: Term): Value {
  if (isSmall(a) && isSmall(b)) {
    const r = a + b;
    return Number.isSafeInteger(r) ? r : normalizeBig(BigInt(a) + BigInt(b));
  }
  if (!isNumber(a) || !isNumber(b)) return FAIL;
  if (isInteger(a) && isInteger(b)) return normalizeBig(toBig(a) + toBig(b));
  return floatResult(floatOf(a) + floatOf(b));
}

export function subtract(a: Term, b: Term): Value {
  if (isSmall(a) && isSmall(b)) {
    const r = a - b;
    return Number.isSafeInteger(r) ? r + 0 : normalizeBig(BigInt(a) - BigInt(b));
  }
  if (!isNumber(a) || !isNumber(b)) return FAIL;
  if (isInteger(a) && isInteger(b)) return normalizeBig(toBig(a) - toBig(b));
  return floatResult(floatOf(a) - floatOf(b));
}

export function multiply(a: Term, b: Term): Value {
  if (isSmall(a) && isSmall(b)) {
    const r = a * b;
    return Number.isSafeInteger(r) ? r + 0 : normalizeBig(BigInt(a) * BigInt(b));
  }
  if (!isNumber(a) || !isNumber(b)) return FAIL;
  if (isInteger(a) && isInteger(b)) return normalizeBig(toBig(a) * toBig(b));
  return floatResult(floatOf(a) * floatOf(b));
}

/** `/`: always a float; division by zero (0 or 0.0) is badarith. */
export function divide(a: Term, b: Term): Value {
  if (!isNumber(a) || !isNumber(b)) return FAIL;
  const x = floatOf(a);
  const y = floatOf(b);
  if (y === 0 || !Number.isFinite(x) || !Number.isFinite(y)) return FAIL;
  return floatResult(x / y);
}

/** `div`: integer division truncating toward zero. */
export function intDiv(a: Term, b: Term): Value {
  if (isSmall(a) && isSmall(b)) {
    if (b === 0) return FAIL;
    return (a - (a % b)) / b + 0; // exact: a - a % b is a multiple of b
  }
  if (!isInteger(a) || !isInteger(b)) return FAIL;
  const y = toBig(b);
  if (y === 0n) return FAIL;
  return normalizeBig(toBig(a) / y);
}

/** `rem`: the remainder with the sign of the dividend. */
export function rem(a: Term, b: Term): Value {
  if (isSmall(a) && isSmall(b)) {
    if (b === 0) return FAIL;
    return (a % b) + 0;
  }
  if (!isInteger(a) || !isInteger(b)) return FAIL;
  const y = toBig(b);
  if (y === 0n) return FAIL;
  return normalizeBig(toBig(a) % y);
}

function isInt32(x: number): boolean {
  return (x | 0) === x;
}

export function band(a: Term, b: Term): Value {
  if (isSmall(a) && isSmall(b) && isInt32(a) && isInt32(b)) return a & b;
  if (!isInteger(a) || !isInteger(b)) return FAIL;
  return normalizeBig(toBig(a) & toBig(b));
}

export function bor(a: Term, b: Term): Value {
  if (isSmall(a) && isSmall(b) && isInt32(a) && isInt32(b)) return a | b;
  if (!isInteger(a) || !isInteger(b)) return FAIL;
  return normalizeBig(toBig(a) | toBig(b));
}

export function bxor(a: Term, b: Term): Value {
  if (isSmall(a) && isSmall(b) && isInt32(a) && isInt32(b)) return a ^ b;
  if (!isInteger(a) || !isInteger(b)) return FAIL;
  return normalizeBig(toBig(a) ^ toBig(b));
}

export function bnot(a: Term): Value {
  if (isSmall(a) && isInt32(a)) return ~a;
  if (!isInteger(a)) return FAIL;
  return normalizeBig(~toBig(a));
}

/** `bsl`: a negative count shifts right (arithmetically), as in Erlang. */
export function bsl(a: Term, b: Term): Value {
  if (!isInteger(a) || !isInteger(b)) return FAIL;
  const shift = toBig(b);
  const x = toBig(a);
  if (shift > BigInt(MAX_SHIFT)) return x === 0n ? 0 : FAIL;
  if (shift < -BigInt(MAX_SHIFT)) return x < 0n ? -1 : 0;
  return normalizeBig(x << shift);
}

export function bsr(a: Term, b: Term): Value {
  if (!isInteger(b)) return FAIL;
  const negated = subtract(0, b);
  return negated === FAIL ? FAIL : bsl(a, negated);
}

export function negate(a: Term): Value {
  if (isSmall(a)) return 0 - a;
  if (typeof a === 'bigint') return normalizeBig(-a);
  if (isFloat(a)) return float(-floatOf(a));
  return FAIL;
}

export function plus(a: Term): Value {
  return isNumber(a) ? a : FAIL;
}

export function abs(a: Term): Value {
  if (isSmall(a)) return Math.abs(a);
  if (typeof a === 'bigint') return normalizeBig(a < 0n ? -a : a);
  if (isFloat(a)) return float(Math.abs(floatOf(a)));
  return FAIL;
}

export function toFloat(a: Term): Value {
  if (!isNumber(a)) return FAIL;
  return floatResult(floatOf(a));
}

/** `round`: half away from zero (round(2.5) is 3, round(-2.5) is -3). */
export function round(a: Term): Value {
  if (isInteger(a)) return a;
  if (!isFloat(a)) return FAIL;
  const v = floatOf(a);
  return integerOfDouble(v < 0 ? -Math.round(-v) : Math.round(v));
}

export function trunc(a: Term): Value {
  if (isInteger(a)) return a;
  if (!isFloat(a)) return FAIL;
  return integerOfDouble(Math.trunc(floatOf(a)));
}

/** min/max (OTP 26 allows them in match specifications): equal terms give the first argument. */
export function min(a: Term, b: Term): Value {
  return compare(a, b) <= 0 ? a : b;
}

export function max(a: Term, b: Term): Value {
  return compare(a, b) >= 0 ? a : b;
}

// ---------------------------------------------------------------------------------
// Comparisons

// Two plain JS numbers compare as doubles exactly as Erlang compares them: a plain number is a
// safe integer or a non-integral float, so no integer equals a float among them (1.0 is a Float).
export const eq = (a: Term, b: Term): Value => (typeof a === 'number' && typeof b === 'number' ? a === b : equals(a, b));
export const ne = (a: Term, b: Term): Value => (typeof a === 'number' && typeof b === 'number' ? a !== b : !equals(a, b));
export const exactEq = (a: Term, b: Term): Value => exactEquals(a, b);
export const exactNe = (a: Term, b: Term): Value => !exactEquals(a, b);
export const lt = (a: Term, b: Term): Value => (typeof a === 'number' && typeof b === 'number' ? a < b : compare(a, b) < 0);
export const gt = (a: Term, b: Term): Value => (typeof a === 'number' && typeof b === 'number' ? a > b : compare(a, b) > 0);
export const le = (a: Term, b: Term): Value => (typeof a === 'number' && typeof b === 'number' ? a <= b : compare(a, b) <= 0);
export const ge = (a: Term, b: Term): Value => (typeof a === 'number' && typeof b === 'number' ? a >= b : compare(a, b) >= 0);

// ---------------------------------------------------------------------------------
// Booleans (and/or/andalso/orelse are variadic in match specifications: match_spec.ts)

export function not(a: Term): Value {
  return a === true ? false : a === false ? true : FAIL;
}

export function xor(a: Term, b: Term): Value {
  if (typeof a !== 'boolean' || typeof b !== 'boolean') return FAIL;
  return a !== b;
}

// ---------------------------------------------------------------------------------
// Type tests

export function isList(x: Term): boolean {
  return Array.isArray(x) || x instanceof ImproperList;
}

export function isMap(x: Term): x is ReadonlyMap<Term, Term> | TermObject {
  return x instanceof Map || isPlainObject(x);
}

export const TYPE_TESTS: Readonly<Record<string, (x: Term) => boolean>> = {
  is_atom: isAtom,
  is_float: isFloat,
  is_integer: isInteger,
  is_list: isList,
  is_number: isNumber,
  is_pid: (x) => x instanceof Pid,
  is_port: (x) => x instanceof Port,
  is_reference: (x) => x instanceof Ref,
  is_tuple: (x) => x instanceof Tuple,
  is_map: isMap,
  is_binary: isBinary,
  is_function: (x) => x instanceof ExportFun || x instanceof ErlClosure,
};

/** is_record(Term, Name, Arity): a tuple of Arity elements whose first is the atom Name. */
export function isRecord(x: Term, name: Term, arity: Term): Value {
  if (!isAtom(name) || !isInteger(arity)) return FAIL;
  return x instanceof Tuple && x.size > 0 && BigInt(x.size) === toBig(arity) && x.elements[0] === name;
}

// ---------------------------------------------------------------------------------
// Terms

export function element(n: Term, t: Term): Value {
  if (!(t instanceof Tuple) || !isInteger(n)) return FAIL;
  const i = Number(n);
  return i >= 1 && i <= t.size ? t.elements[i - 1] : FAIL;
}

export function hd(l: Term): Value {
  if (Array.isArray(l)) return l.length > 0 ? (l as readonly Term[])[0] : FAIL;
  if (l instanceof ImproperList) return l.head[0];
  return FAIL;
}

export function tl(l: Term): Value {
  if (Array.isArray(l)) return l.length > 0 ? (l as readonly Term[]).slice(1) : FAIL;
  if (l instanceof ImproperList) return l.head.length > 1 ? new ImproperList(l.head.slice(1), l.tail) : l.tail;
  return FAIL;
}

export function length(l: Term): Value {
  return Array.isArray(l) ? l.length : FAIL;
}

function bitSizeOf(b: Term): number | undefined {
  if (typeof b === 'string') return Buffer.byteLength(b, 'utf8') * 8;
  if (b instanceof Uint8Array) return b.length * 8;
  if (b instanceof BitString) return b.bitLength;
  return undefined;
}

/** size/1: a tuple's arity or a bitstring's whole bytes (rounded down). */
export function size(x: Term): Value {
  if (x instanceof Tuple) return x.size;
  const bits = bitSizeOf(x);
  return bits === undefined ? FAIL : Math.floor(bits / 8);
}

export function tupleSize(x: Term): Value {
  return x instanceof Tuple ? x.size : FAIL;
}

/** byte_size/1: bytes rounded up. */
export function byteSize(x: Term): Value {
  const bits = bitSizeOf(x);
  return bits === undefined ? FAIL : Math.ceil(bits / 8);
}

export function bitSize(x: Term): Value {
  const bits = bitSizeOf(x);
  return bits === undefined ? FAIL : bits;
}

/** binary_part(Bin, Start, Length): Length may be negative (the bytes before Start). */
export function binaryPart(b: Term, start: Term, len: Term): Value {
  if (!isSmall(start) || !isSmall(len)) return FAIL;
  let bytes: Uint8Array;
  if (typeof b === 'string') bytes = Buffer.from(b, 'utf8');
  else if (b instanceof Uint8Array) bytes = b;
  else if (b instanceof BitString) bytes = b.bytes; // its whole bytes only, as ERTS's match specs do
  else return FAIL;
  const size = b instanceof BitString ? Math.floor(b.bitLength / 8) : bytes.length;
  const from = len < 0 ? start + len : start;
  const to = len < 0 ? start : start + len;
  if (from < 0 || to > size) return FAIL;
  return Uint8Array.prototype.slice.call(bytes, from, to);
}

const MISSING: unique symbol = Symbol('ets.match_spec.missing');

/** The value of `key` in a map term, or MISSING (=:= on keys, as maps do). */
export function mapLookup(m: ReadonlyMap<Term, Term> | TermObject, key: Term): Term | typeof MISSING {
  if (m instanceof Map) {
    const map = m as ReadonlyMap<Term, Term>;
    if (map.has(key)) return map.get(key) as Term;
    if (isAtom(key)) {
      // Atom keys are interned: identity is equality.
      return MISSING;
    }
    for (const [candidate, value] of map) if (exactEquals(candidate, key)) return value;
    return MISSING;
  }
  const name = atomName(key);
  const obj = m as TermObject;
  return name !== undefined && Object.prototype.hasOwnProperty.call(obj, name) ? obj[name] : MISSING;
}

export { MISSING };

export function mapGet(key: Term, m: Term): Value {
  if (!isMap(m)) return FAIL;
  const v = mapLookup(m, key);
  return v === MISSING ? FAIL : v;
}

export function isMapKey(key: Term, m: Term): Value {
  if (!isMap(m)) return FAIL;
  return mapLookup(m, key) !== MISSING;
}

export function mapSize(m: Term): Value {
  if (m instanceof Map) return m.size;
  if (isPlainObject(m)) return Object.keys(m).length;
  return FAIL;
}

export function node0(): Value {
  return localNode();
}

/** node/1: the node of a pid, reference or port. */
export function node1(x: Term): Value {
  if (x instanceof Pid || x instanceof Ref || x instanceof Port) return x.node;
  return FAIL;
}

/** A map term built by a body: a plain object when every key is an atom (later keys win, as in #{K => V}). */
export function buildMap(keys: readonly Term[], values: readonly Term[]): Term {
  let allAtoms = true;
  for (const k of keys) if (!isAtom(k)) allAtoms = false;
  if (allAtoms) {
    const obj: Record<string, Term> = {};
    for (let i = 0; i < keys.length; i++) {
      const name = atomName(keys[i]) as string;
      // An own property even for '__proto__' (an assignment would set the prototype instead).
      Object.defineProperty(obj, name, { value: values[i], enumerable: true, writable: true, configurable: true });
    }
    return obj;
  }
  const out = new Map<Term, Term>();
  for (let i = 0; i < keys.length; i++) {
    let key = keys[i];
    for (const existing of out.keys()) {
      if (exactEquals(existing, key)) {
        key = existing;
        break;
      }
    }
    out.set(key, values[i]);
  }
  return out;
}

export { adoptTuple, Atom };
