/**
 * The term model: which JS values are Erlang terms, and what each one is.
 *
 *   | Erlang                     | JS value                                            |
 *   |----------------------------|-----------------------------------------------------|
 *   | integer                    | `number` when a safe integer, else `bigint`         |
 *   | float                      | `number` (not a safe integer), or `Float` (1.0)     |
 *   | atom                       | `Atom`; `true`/`false` booleans; `undefined`, `null`|
 *   | binary                     | `Uint8Array`, or `string` (its UTF-8 bytes)         |
 *   | bitstring (not whole bytes)| `BitString`                                         |
 *   | tuple                      | `Tuple`                                             |
 *   | proper list                | array (`[]` is nil)                                 |
 *   | improper list              | `ImproperList`                                      |
 *   | map, atom keys             | plain object (`{ a: 1 }` is `#{a => 1}`)            |
 *   | map, any keys              | `Map`                                               |
 *   | pid / reference / port     | `Pid` / `Ref` / `Port`                              |
 *   | fun M:F/A                  | `ExportFun`                                         |
 *   | fun from an Erlang node    | `ErlClosure`                                        |
 *
 * Not terms: functions, symbols, NaN and infinities, class instances other than the
 * ones above, and objects with symbol keys. `termKind` returns -1 for them.
 *
 * Thread-safety: pure functions.
 */
import { Atom } from './atom.js';
import { BitString } from './bitstring.js';
import { Float } from './float.js';
import { ErlClosure, ExportFun } from './fun.js';
import { ImproperList } from './improper_list.js';
import { Pid } from './pid.js';
import { Port } from './port.js';
import { Ref } from './ref.js';
import { Tuple } from './tuple.js';

/** A plain object as an Erlang map whose keys are atoms (the property names). */
export interface TermObject {
  readonly [key: string]: Term;
}

/** Any Erlang term, as a JS value (see the table at the top of this file). */
export type Term =
  | number
  | bigint
  | string
  | boolean
  | null
  | undefined
  | Atom
  | Float
  | Uint8Array
  | BitString
  | Tuple
  | readonly Term[]
  | ImproperList
  | Pid
  | Ref
  | Port
  | ExportFun
  | ErlClosure
  | ReadonlyMap<Term, Term>
  | TermObject;

/**
 * The Erlang type of a term, numbered in Erlang's term order:
 * number < atom < reference < fun < port < pid < tuple < map < nil < list < bitstring.
 * These values are compared across modules; do not renumber them.
 */
export const TermKind = {
  NUMBER: 0,
  ATOM: 1,
  REFERENCE: 2,
  FUN: 3,
  PORT: 4,
  PID: 5,
  TUPLE: 6,
  MAP: 7,
  NIL: 8,
  LIST: 9,
  BITSTRING: 10,
} as const;
export type TermKind = (typeof TermKind)[keyof typeof TermKind];

/** Sentinel returned by `termKind` for a JS value that is not a term. */
export const NOT_A_TERM = -1;

/** The Erlang type of `value`, or `NOT_A_TERM` (-1). Does not look inside containers. */
export function termKind(value: unknown): TermKind | typeof NOT_A_TERM {
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? TermKind.NUMBER : NOT_A_TERM;
    case 'bigint':
      return TermKind.NUMBER;
    case 'string':
      return TermKind.BITSTRING;
    case 'boolean':
    case 'undefined':
      return TermKind.ATOM;
    case 'object':
      break;
    default:
      return NOT_A_TERM;
  }
  if (value === null) return TermKind.ATOM;
  if (Array.isArray(value)) return value.length === 0 ? TermKind.NIL : TermKind.LIST;
  if (value instanceof Atom) return TermKind.ATOM;
  if (value instanceof Tuple) return TermKind.TUPLE;
  if (value instanceof Uint8Array) return TermKind.BITSTRING;
  if (value instanceof Pid) return TermKind.PID;
  if (value instanceof Ref) return TermKind.REFERENCE;
  if (value instanceof Float) return TermKind.NUMBER;
  if (value instanceof Map) return TermKind.MAP;
  if (value instanceof ImproperList) return TermKind.LIST;
  if (value instanceof BitString) return TermKind.BITSTRING;
  if (value instanceof ExportFun || value instanceof ErlClosure) return TermKind.FUN;
  if (value instanceof Port) return TermKind.PORT;
  if (isPlainObject(value)) return TermKind.MAP;
  return NOT_A_TERM;
}

/** True for `{}`-style objects (prototype `Object.prototype` or `null`). */
export function isPlainObject(value: unknown): value is TermObject {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** True when the value is an Erlang integer (a safe-integer number or a bigint). */
export function isInteger(value: unknown): value is number | bigint {
  return typeof value === 'bigint' || (typeof value === 'number' && Number.isSafeInteger(value));
}

/** True when the value is an Erlang float (a non-integral finite number or a `Float`). */
export function isFloat(value: unknown): value is number | Float {
  return value instanceof Float || (typeof value === 'number' && Number.isFinite(value) && !Number.isSafeInteger(value));
}

/** True when the value is an Erlang binary (whole bytes): a `Uint8Array` or a string. */
export function isBinary(value: unknown): value is Uint8Array | string {
  return typeof value === 'string' || value instanceof Uint8Array;
}
