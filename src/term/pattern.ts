/**
 * Receive patterns: a small pattern language over terms (`P.*` builders plus plain
 * terms, arrays and objects), compiled once into a specialised matcher.
 *
 *   const ping = compilePattern(P.tuple(atom('ping'), P.capture('from', P.pid), P.capture('n', P.integer)));
 *   const c = ping.match(msg); // { from: Pid; n: number | bigint } | undefined
 *
 * What each value in a pattern position means:
 *
 *   | pattern                         | matches                                             |
 *   |---------------------------------|-----------------------------------------------------|
 *   | a term that is not a container  | a term `=:=` to it (`exactEquals`): 1 matches 1 and |
 *   | (number, atom, string, Pid, …)  | 1n but not float(1); 'abc' matches the bytes "abc"  |
 *   | `P.exact(term)`                 | a term `=:=` to `term`, maps included (no partial)  |
 *   | `P.any`                         | anything (Erlang's `_`)                             |
 *   | `P.capture(name, p = P.any)`    | what `p` matches, binding it to `name`; a name used |
 *   |                                 | twice must bind `=:=` terms (a repeated variable)   |
 *   | `P.tuple(p1, …)`, `tuple(…)`    | a tuple of that size, element by element            |
 *   | `[p1, p2]`                      | a proper list of exactly that length                |
 *   | `P.cons([p1, p2], t)`           | `[H1, H2 | T]`: at least 2 elements, rest against t |
 *   | `{ a: p }`                      | a map with atom key `a` whose value matches `p`;    |
 *   |                                 | extra keys allowed (Erlang's `#{a := P}`)           |
 *   | `P.map([[k, p], …])`, `new Map` | the same with any literal keys                      |
 *   | `P.integer`, `P.float`, …       | a type test (`is_integer/1` …); `P.tupleOf(n?)`     |
 *   | `P.where(p, guard)`             | what `p` matches when `guard(captures) === true`;   |
 *   |                                 | a guard that throws is a non-match, as in Erlang    |
 *   | `P.oneOf(p1, p2, …)`            | the first alternative that matches                  |
 *
 * Containers given as terms (arrays, `Tuple`, `ImproperList`, plain objects, `Map`) are
 * read as patterns of their elements, so a map anywhere in a pattern matches partially,
 * as a map does in an Erlang pattern; use `P.exact` for a whole-map equality.
 *
 * Semantics worth knowing:
 * - Matching goes depth first, left to right (map entries in the order the pattern lists
 *   them). A capture binds after its sub-pattern matched. A guard sees every capture
 *   bound so far (its own sub-pattern's, and those to its left).
 * - `P.oneOf` is an ordered, committed choice: the first alternative that matches is
 *   kept; when something to its right then fails, the next alternative is NOT tried
 *   (there is no backtracking into a `P.oneOf`). Bindings made by a failed alternative
 *   are undone. `src/term/match_program.ts` implements exactly the same rule.
 * - A guard passes only when it returns `true` (Erlang: a guard that is not `true`
 *   fails); one that throws is a failed match and the exception is swallowed.
 * - Captures that were not bound (inside an alternative that was not taken) are absent
 *   from the result.
 *
 * Compilation: `compilePattern` normalises the pattern into a small tree (`PatternNode`,
 * shared with the byte-program compiler) and builds a tree of closures, one per node,
 * specialised by node kind (atom literals compare by identity, lists with a wildcard
 * tail skip the rest, …). Closures were chosen over `new Function` code generation:
 * V8 inlines these small monomorphic closures well, they work under a
 * Content-Security-Policy without `unsafe-eval`, and guards stay real closures.
 *
 * Types: the captures object type is inferred from the pattern (`CapturesOf`), e.g.
 * `P.capture('n', P.integer)` gives `{ n: number | bigint }`. The type-level work is a
 * fold over tuple positions and object keys, so it stays cheap for the compiler.
 *
 * Thread-safety: a compiled `Matcher` has no mutable state beyond a lazily built
 * `program`; use it from one thread (each thread compiles its own: closures cannot be
 * sent between threads, the `program` bytes can).
 *
 * Bad input: a malformed pattern (a function or symbol where a pattern is expected, a
 * capture name that is not a non-empty string, a guard that is not a function, a
 * `P.tupleOf` size that is not a non-negative integer, …) throws `BeamError` with code
 * `BAD_PATTERN` and a message naming the place in the pattern (`$` is the root, `$[1]`
 * the second element, `$.from` a map key) and what arrived. `match()` of a value that is
 * not a term may throw `NOT_A_TERM` from `exactEquals`.
 */
import { BeamError, ErrorCode, describeValue } from '../errors/index.js';
import { Atom, atomName, atomTerm, isAtom } from './atom.js';
import { BitString } from './bitstring.js';
import { exactEquals } from './compare.js';
import { Float } from './float.js';
import { ErlClosure, ExportFun } from './fun.js';
import { ImproperList } from './improper_list.js';
import { Pid } from './pid.js';
import { Port } from './port.js';
import { Ref } from './ref.js';
import { isBinary, isFloat, isInteger, isPlainObject, NOT_A_TERM, termKind } from './term.js';
import type { Term, TermObject } from './term.js';
import { Tuple } from './tuple.js';

// ---------------------------------------------------------------------------------
// Public types

declare const PATTERN_TYPES: unique symbol;

/**
 * A pattern built by a `P.*` builder. `T` is the type of the terms it matches, `C` the
 * captures it binds. Only `P` makes these; treat them as opaque.
 */
export class Pattern<T = Term, C = {}> {
  declare readonly [PATTERN_TYPES]: { readonly value: T; readonly captures: C };
  /** @internal The builder's description, normalised by `compilePattern`. */
  readonly def: PatternDef;

  /** @internal */
  constructor(def: PatternDef) {
    this.def = def;
    Object.freeze(this);
  }
}

/** Anything that may stand in a pattern position. */
export type PatternLike =
  | Pattern<unknown, object>
  | Term
  | readonly PatternLike[]
  | { readonly [key: string]: PatternLike };

/** The names of the type tests, as in `P.integer` (`map` is `P.map_`). */
export type TypeTest =
  | 'integer'
  | 'float'
  | 'number'
  | 'atom'
  | 'binary'
  | 'bitstring'
  | 'tuple'
  | 'list'
  | 'map'
  | 'pid'
  | 'ref'
  | 'port'
  | 'fun'
  | 'boolean';

/** The captures object that a pattern binds (see the header). */
export type CapturesOf<P> =
  P extends Pattern<unknown, infer C>
    ? C
    : P extends Term
      ? {} // checked before arrays and objects: a plain term (even the wide `Term` type) binds nothing
      : P extends readonly unknown[]
        ? CapturesOfAll<P>
        : P extends object
          ? CapturesOfObject<P>
          : {};

/** The type of the terms a pattern matches. */
export type ValueOf<P> =
  P extends Pattern<infer T, unknown>
    ? T
    : P extends string
      ? string | Uint8Array
      : P extends number | bigint
        ? number | bigint
        : P extends readonly unknown[]
          ? readonly Term[]
          : P extends Tuple
            ? Tuple
            : P extends ImproperList
              ? ImproperList
              : P extends Pid | Ref | Port | Atom | Float | Uint8Array | BitString | ExportFun | ErlClosure | boolean | null | undefined
                ? P
                : TermObject | ReadonlyMap<Term, Term>;

/** Flattens an intersection for display (`{ a: 1 } & { b: 2 }` shows as `{ a: 1; b: 2 }`). */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

// Arrays whose length is not known (`PatternLike[]`) and objects with an index
// signature bind captures that cannot be named statically: they give `{}`, which also
// stops the recursion on the wide `PatternLike` type.
type CapturesOfAll<Ps extends readonly unknown[]> = Ps extends readonly [infer H, ...infer R]
  ? CapturesOf<H> & CapturesOfAll<R>
  : {};

type Unbox<B> = B extends { c: infer C } ? C : {};
type CapturesOfEach<U> = U extends unknown ? CapturesOf<U> : never;

type CapturesOfObject<O> = [keyof O] extends [never]
  ? {}
  : string extends keyof O
    ? {}
    : Unbox<UnionToIntersection<{ [K in keyof O]-?: { c: CapturesOf<O[K]> } }[keyof O]>>;

type UnionToIntersection<U> = (U extends unknown ? (k: U) => void : never) extends (k: infer I) => void
  ? I
  : never;

type AsTerms<X> = X extends readonly Term[] ? X : readonly Term[];
type ValuesOf<Ps extends readonly unknown[]> = AsTerms<{ -readonly [I in keyof Ps]: ValueOf<Ps[I]> }>;

/** A guard: receives the captures bound so far and returns true to accept. */
export type Guard<C> = (captures: Simplify<C>) => boolean;

/** A compiled pattern. */
export interface Matcher<C> {
  /** The captures when `term` matches, else undefined. */
  match(term: Term): C | undefined;
  /**
   * The pattern as a byte program over an encoded message (see match_program.ts).
   * Built on first access (it needs the codec to encode the literals).
   */
  readonly program: Uint8Array;
  /**
   * Literal references that every matching message contains (not those inside only
   * some `P.oneOf` alternatives). A receive uses them to skip the messages that were
   * queued before the reference was made (see src/process/mailbox.ts).
   */
  readonly requiredRefs: readonly Ref[];
  /** Capture names in slot order: slot i of a program's capture spans is `captureNames[i]`. */
  readonly captureNames: readonly string[];
  /** True when the pattern has a `P.where` guard. */
  readonly hasGuards: boolean;
  /** @internal The normalised pattern (used by the byte-program compiler). */
  readonly root: PatternNode;
}

// ---------------------------------------------------------------------------------
// Builder descriptions (un-normalised) and the normalised tree

/** @internal What a `P.*` builder recorded (children are still `PatternLike`). */
export type PatternDef =
  | { readonly kind: 'any' }
  | { readonly kind: 'exact'; readonly value: unknown }
  | { readonly kind: 'capture'; readonly name: unknown; readonly sub: unknown }
  | { readonly kind: 'tuple'; readonly elements: readonly unknown[] }
  | { readonly kind: 'cons'; readonly head: unknown; readonly tail: unknown }
  | { readonly kind: 'map'; readonly entries: unknown }
  | { readonly kind: 'type'; readonly test: TypeTest; readonly size: unknown }
  | { readonly kind: 'where'; readonly sub: unknown; readonly guard: unknown }
  | { readonly kind: 'oneOf'; readonly alternatives: readonly unknown[] };

/** The normalised pattern tree, shared by the JS matcher and the byte-program compiler. */
export type PatternNode =
  | AnyNode
  | LiteralNode
  | CaptureNode
  | TupleNode
  | ListNode
  | MapNode
  | TypeNode
  | WhereNode
  | OneOfNode;

export interface AnyNode {
  readonly kind: 'any';
}
/** Matches a term `=:=` to `value`. */
export interface LiteralNode {
  readonly kind: 'literal';
  readonly value: Term;
}
export interface CaptureNode {
  readonly kind: 'capture';
  readonly name: string;
  /** Index of the name in `captureNames` (the same for every use of the name). */
  readonly slot: number;
  readonly sub: PatternNode;
}
export interface TupleNode {
  readonly kind: 'tuple';
  readonly elements: readonly PatternNode[];
}
/**
 * `[e1, …, ek | tail]` with k >= 1. `tail` is never a list node (nested conses are
 * flattened); a proper list of exactly k elements has the literal `[]` as its tail.
 */
export interface ListNode {
  readonly kind: 'list';
  readonly elements: readonly PatternNode[];
  readonly tail: PatternNode;
}
/** Keys are literal terms; each must be present and its value match. */
export interface MapNode {
  readonly kind: 'map';
  readonly entries: readonly (readonly [Term, PatternNode])[];
}
export interface TypeNode {
  readonly kind: 'type';
  readonly test: TypeTest;
  /** Tuple size for `P.tupleOf(n)`; -1 = any size (and for every other test). */
  readonly size: number;
}
export interface WhereNode {
  readonly kind: 'where';
  readonly sub: PatternNode;
  readonly guard: (captures: Record<string, Term>) => unknown;
}
export interface OneOfNode {
  readonly kind: 'oneOf';
  readonly alternatives: readonly PatternNode[];
}

// ---------------------------------------------------------------------------------
// Builders

const ANY = new Pattern<Term, {}>({ kind: 'any' });

function typeTest<T>(test: TypeTest): Pattern<T, {}> {
  return new Pattern<T, {}>({ kind: 'type', test, size: -1 });
}

/** The pattern builders. See the table in the file header. */
export const P = Object.freeze({
  /** Matches anything (Erlang's `_`). */
  any: ANY,
  /** Binds the term matched by `sub` (default `P.any`) to `name`. */
  capture: capture as CaptureBuilder,
  /** A tuple of exactly these element patterns. */
  tuple<const Ps extends readonly PatternLike[]>(...elements: Ps): Pattern<Tuple<ValuesOf<Ps>>, CapturesOfAll<Ps>> {
    return new Pattern({ kind: 'tuple', elements });
  },
  /** `[H1, …, Hk | T]`: a list of at least `head.length` elements whose rest matches `tail`. */
  cons<const H extends readonly PatternLike[], const T extends PatternLike>(
    head: H,
    tail: T,
  ): Pattern<readonly Term[] | ImproperList, CapturesOfAll<H> & CapturesOf<T>> {
    return new Pattern({ kind: 'cons', head, tail });
  },
  /** A map with these literal keys (extra keys allowed); values are patterns. */
  map<const E extends readonly (readonly [Term, PatternLike])[]>(
    entries: E,
  ): Pattern<TermObject | ReadonlyMap<Term, Term>, CapturesOfAll<{ -readonly [I in keyof E]: E[I][1] }>> {
    return new Pattern({ kind: 'map', entries });
  },
  /** A term `=:=` to `value`, containers included (a map here must match whole). */
  exact<const V extends Term>(value: V): Pattern<ValueOf<V>, {}> {
    return new Pattern({ kind: 'exact', value });
  },
  /** `is_integer/1`: a safe-integer number or a bigint. */
  integer: typeTest<number | bigint>('integer'),
  /** `is_float/1`: a non-integral number or a `Float`. */
  float: typeTest<number | Float>('float'),
  /** `is_number/1`. */
  number: typeTest<number | bigint | Float>('number'),
  /** `is_atom/1`: an `Atom`, a boolean, `null` or `undefined`. */
  atom: typeTest<Atom | boolean | null | undefined>('atom'),
  /** `is_binary/1`: a string or a `Uint8Array`. */
  binary: typeTest<string | Uint8Array>('binary'),
  /** `is_bitstring/1`: a binary or a `BitString`. */
  bitstring: typeTest<string | Uint8Array | BitString>('bitstring'),
  /** `is_tuple/1`, or a tuple of exactly `size` elements. */
  tupleOf(size?: number): Pattern<Tuple, {}> {
    return new Pattern({ kind: 'type', test: 'tuple', size: size === undefined ? -1 : size });
  },
  /** `is_list/1`: a proper or improper list, `[]` included. */
  list: typeTest<readonly Term[] | ImproperList>('list'),
  /** `is_map/1`: a plain object or a `Map`. */
  map_: typeTest<TermObject | ReadonlyMap<Term, Term>>('map'),
  /** `is_pid/1`. */
  pid: typeTest<Pid>('pid'),
  /** `is_reference/1`. */
  ref: typeTest<Ref>('ref'),
  /** `is_port/1`. */
  port: typeTest<Port>('port'),
  /** `is_function/1`: an `ExportFun` or an `ErlClosure`. */
  fun: typeTest<ExportFun | ErlClosure>('fun'),
  /** `is_boolean/1`. */
  boolean: typeTest<boolean>('boolean'),
  /** What `sub` matches, when `guard` (given the captures so far) returns `true`. */
  where<const S extends PatternLike>(sub: S, guard: Guard<CapturesOf<S>>): Pattern<ValueOf<S>, CapturesOf<S>> {
    return new Pattern({ kind: 'where', sub, guard });
  },
  /** The first of the alternatives that matches (committed choice, see the header). */
  oneOf<const Ps extends readonly PatternLike[]>(
    ...alternatives: Ps
  ): Pattern<ValueOf<Ps[number]>, CapturesOfEach<Ps[number]>> {
    return new Pattern({ kind: 'oneOf', alternatives });
  },
});

interface CaptureBuilder {
  <const N extends string>(name: N): Pattern<Term, { [K in N]: Term }>;
  <const N extends string, const S extends PatternLike>(
    name: N,
    sub: S,
  ): Pattern<ValueOf<S>, CapturesOf<S> & { [K in N]: ValueOf<S> }>;
}

function capture(name: string, sub: unknown = ANY): Pattern<unknown, object> {
  return new Pattern({ kind: 'capture', name, sub });
}

// ---------------------------------------------------------------------------------
// Normalisation

function badPattern(path: string, message: string, cause?: unknown): BeamError {
  return new BeamError(ErrorCode.BAD_PATTERN, `bad pattern at ${path}: ${message}`, cause === undefined ? undefined : { cause });
}

const NIL_LITERAL: LiteralNode = Object.freeze({ kind: 'literal', value: Object.freeze([]) as readonly Term[] });

class Normaliser {
  readonly names: string[] = [];
  hasGuards = false;

  slotOf(name: string): number {
    let slot = this.names.indexOf(name);
    if (slot < 0) {
      slot = this.names.length;
      this.names.push(name);
    }
    return slot;
  }

  node(value: unknown, path: string): PatternNode {
    if (value instanceof Pattern) return this.builder(value.def, path);
    if (Array.isArray(value)) {
      if (value.length === 0) return NIL_LITERAL;
      return this.list(
        value.map((element, i) => this.node(element, `${path}[${i}]`)),
        NIL_LITERAL,
      );
    }
    if (value instanceof Tuple) {
      const elements: readonly Term[] = (value as Tuple).elements;
      return { kind: 'tuple', elements: elements.map((element, i) => this.node(element, `${path}[${i}]`)) };
    }
    if (value instanceof ImproperList) {
      return this.list(
        value.head.map((element, i) => this.node(element, `${path}[${i}]`)),
        this.node(value.tail, `${path}.tail`),
      );
    }
    if (value instanceof Map) {
      const entries: (readonly [Term, PatternNode])[] = [];
      let i = 0;
      for (const [key, sub] of value as Map<unknown, unknown>) {
        entries.push([literalKey(key, `${path}.keys[${i}]`), this.node(sub, `${path}.get(${i})`)]);
        i++;
      }
      return { kind: 'map', entries };
    }
    if (isPlainObject(value)) {
      if (Object.getOwnPropertySymbols(value).length > 0) {
        throw badPattern(path, 'a map pattern (plain object) must not have symbol keys');
      }
      const entries: (readonly [Term, PatternNode])[] = [];
      for (const name of Object.keys(value)) {
        entries.push([atomKey(name, `${path}.${name}`), this.node(value[name], `${path}.${name}`)]);
      }
      return { kind: 'map', entries };
    }
    if (typeof value === 'function') {
      throw badPattern(
        path,
        `expected a pattern (a term or a P.* builder), received ${describeValue(value)} (a guard goes in P.where(pattern, guard))`,
      );
    }
    if (termKind(value) === NOT_A_TERM) {
      throw badPattern(path, `expected a pattern (a term or a P.* builder), received ${describeValue(value)}`);
    }
    if (value instanceof ErlClosure) assertTerm(value.freeVars, `${path}.freeVars`);
    return { kind: 'literal', value: value as Term };
  }

  list(elements: PatternNode[], tail: PatternNode): PatternNode {
    if (elements.length === 0) return tail;
    if (tail.kind === 'list') return { kind: 'list', elements: [...elements, ...tail.elements], tail: tail.tail };
    return { kind: 'list', elements, tail };
  }

  builder(def: PatternDef, path: string): PatternNode {
    switch (def.kind) {
      case 'any':
        return { kind: 'any' };
      case 'exact':
        assertTerm(def.value, `${path}(P.exact)`);
        return { kind: 'literal', value: def.value as Term };
      case 'capture': {
        if (typeof def.name !== 'string' || def.name.length === 0) {
          throw badPattern(path, `P.capture name must be a non-empty string, received ${describeValue(def.name)}`);
        }
        const slot = this.slotOf(def.name);
        return { kind: 'capture', name: def.name, slot, sub: this.node(def.sub, `${path}(P.capture '${def.name}')`) };
      }
      case 'tuple':
        return { kind: 'tuple', elements: def.elements.map((element, i) => this.node(element, `${path}[${i}]`)) };
      case 'cons': {
        if (!Array.isArray(def.head)) {
          throw badPattern(path, `P.cons head must be an array of patterns, received ${describeValue(def.head)}`);
        }
        const head = (def.head as unknown[]).map((element, i) => this.node(element, `${path}[${i}]`));
        return this.list(head, this.node(def.tail, `${path}.tail`));
      }
      case 'map': {
        if (!Array.isArray(def.entries)) {
          throw badPattern(path, `P.map expects an array of [key, pattern] pairs, received ${describeValue(def.entries)}`);
        }
        const entries = (def.entries as unknown[]).map((entry, i): readonly [Term, PatternNode] => {
          if (!Array.isArray(entry) || entry.length !== 2) {
            throw badPattern(`${path}.entries[${i}]`, `expected a [key, pattern] pair, received ${describeValue(entry)}`);
          }
          const key = literalKey(entry[0], `${path}.entries[${i}][0]`);
          return [key, this.node(entry[1], `${path}.entries[${i}][1]`)];
        });
        return { kind: 'map', entries };
      }
      case 'type': {
        const size = def.size;
        if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < -1 || size > 0xffffffff) {
          throw badPattern(path, `P.tupleOf size must be a non-negative integer, received ${describeValue(size)}`);
        }
        return { kind: 'type', test: def.test, size };
      }
      case 'where': {
        if (typeof def.guard !== 'function') {
          throw badPattern(path, `P.where guard must be a function, received ${describeValue(def.guard)}`);
        }
        this.hasGuards = true;
        return { kind: 'where', sub: this.node(def.sub, path), guard: def.guard as WhereNode['guard'] };
      }
      case 'oneOf': {
        if (def.alternatives.length === 0) throw badPattern(path, 'P.oneOf needs at least one alternative');
        const alternatives = def.alternatives.map((alt, i) => this.node(alt, `${path}(P.oneOf #${i})`));
        return alternatives.length === 1 ? alternatives[0]! : { kind: 'oneOf', alternatives };
      }
    }
  }
}

function atomKey(name: string, path: string): Term {
  try {
    return atomTerm(name);
  } catch (error) {
    throw badPattern(path, `map key ${JSON.stringify(name)} is not a valid atom name`, error);
  }
}

function literalKey(key: unknown, path: string): Term {
  assertTerm(key, path);
  return key as Term;
}

/** Checks that a literal (a map key, a `P.exact` value) is a term with no pattern inside. */
function assertTerm(value: unknown, path: string): void {
  if (value instanceof Pattern) {
    throw badPattern(path, 'a P.* pattern where a literal term is required (map keys and P.exact values are literals)');
  }
  const kind = termKind(value);
  if (kind === NOT_A_TERM) {
    throw badPattern(path, `expected a literal term, received ${describeValue(value)}`);
  }
  if (Array.isArray(value)) value.forEach((element, i) => assertTerm(element, `${path}[${i}]`));
  else if (value instanceof Tuple) (value as Tuple).elements.forEach((element, i) => assertTerm(element, `${path}[${i}]`));
  else if (value instanceof ImproperList) {
    value.head.forEach((element, i) => assertTerm(element, `${path}[${i}]`));
    assertTerm(value.tail, `${path}.tail`);
  } else if (value instanceof Map) {
    let i = 0;
    for (const [k, v] of value as Map<unknown, unknown>) {
      assertTerm(k, `${path}.keys[${i}]`);
      assertTerm(v, `${path}.get(${i})`);
      i++;
    }
  } else if (value instanceof ErlClosure) {
    assertTerm(value.freeVars, `${path}.freeVars`);
  } else if (isPlainObject(value)) {
    if (Object.getOwnPropertySymbols(value).length > 0) throw badPattern(path, 'a map (plain object) must not have symbol keys');
    for (const name of Object.keys(value)) assertTerm(value[name], `${path}.${name}`);
  }
}

/** Normalises a pattern; exported for the byte-program compiler's tests and tools. */
export function normalizePattern(pattern: PatternLike): { root: PatternNode; captureNames: readonly string[]; hasGuards: boolean } {
  const normaliser = new Normaliser();
  const root = normaliser.node(pattern, '$');
  return { root, captureNames: Object.freeze(normaliser.names.slice()), hasGuards: normaliser.hasGuards };
}

// ---------------------------------------------------------------------------------
// requiredRefs

function refsIn(term: Term, out: Ref[]): void {
  if (term instanceof Ref) addRef(out, term);
  else if (Array.isArray(term)) for (const element of term as readonly Term[]) refsIn(element, out);
  else if (term instanceof Tuple) for (const element of term.elements) refsIn(element, out);
  else if (term instanceof ImproperList) {
    for (const element of term.head) refsIn(element, out);
    refsIn(term.tail, out);
  } else if (term instanceof Map) {
    for (const [k, v] of term as ReadonlyMap<Term, Term>) {
      refsIn(k, out);
      refsIn(v, out);
    }
  } else if (term instanceof ErlClosure) for (const element of term.freeVars) refsIn(element, out);
  else if (isPlainObject(term)) for (const name of Object.keys(term)) refsIn(term[name]!, out);
}

function addRef(out: Ref[], ref: Ref): void {
  if (!out.some((seen) => seen.equals(ref))) out.push(ref);
}

function requiredRefsOf(node: PatternNode, out: Ref[]): void {
  switch (node.kind) {
    case 'literal':
      refsIn(node.value, out);
      return;
    case 'capture':
    case 'where':
      requiredRefsOf(node.sub, out);
      return;
    case 'tuple':
      for (const element of node.elements) requiredRefsOf(element, out);
      return;
    case 'list':
      for (const element of node.elements) requiredRefsOf(element, out);
      requiredRefsOf(node.tail, out);
      return;
    case 'map':
      for (const [key, value] of node.entries) {
        refsIn(key, out);
        requiredRefsOf(value, out);
      }
      return;
    case 'oneOf': {
      // Only refs that every alternative requires.
      let common: Ref[] | undefined;
      for (const alternative of node.alternatives) {
        const refs: Ref[] = [];
        requiredRefsOf(alternative, refs);
        common = common === undefined ? refs : common.filter((ref) => refs.some((other) => other.equals(ref)));
      }
      for (const ref of common ?? []) addRef(out, ref);
      return;
    }
    case 'any':
    case 'type':
      return;
  }
}

// ---------------------------------------------------------------------------------
// The JS matcher: a closure per node

/** Slot value of a capture that is not bound. */
const UNBOUND: unique symbol = Symbol('unbound');
type Slots = (Term | typeof UNBOUND)[];
type Test = (value: Term, slots: Slots) => boolean;

const hasOwn = Object.prototype.hasOwnProperty;
const MISSING: unique symbol = Symbol('missing');

/** The slots of a pattern without captures, and its (shared, frozen) match result. */
const NO_SLOTS: Slots = [];
const NO_CAPTURES: Readonly<Record<string, never>> = Object.freeze({});

type CapturesFromSlots = (slots: Slots) => Record<string, Term>;
const captureBuilders = new Map<string, CapturesFromSlots>();

/**
 * The function that turns bound slots into the captures object, per list of capture names.
 * When every slot is bound (the usual case) it builds an object literal whose keys are the
 * names in slot order: one hidden class per name list and no keyed stores, which is most of
 * the cost of a match that captures (bench/process). The literal is generated once per name
 * list with `new Function`; the names enter it only as JSON string literals, so no name can
 * inject code. With a slot unbound (a `P.oneOf` alternative that did not match) it falls back
 * to capturesObject, which leaves unbound names out.
 */
function captureBuilder(names: readonly string[]): CapturesFromSlots {
  if (names.length === 0) return () => ({});
  const key = JSON.stringify(names);
  let builder = captureBuilders.get(key);
  if (builder === undefined) {
    const allBound = names.map((_, i) => `s[${i}] !== U`).join(' && ');
    const literal = names.map((name, i) => `${JSON.stringify(name)}: s[${i}]`).join(', ');
    const make = new Function('U', 'slow', 'names', `return (s) => (${allBound}) ? { ${literal} } : slow(names, s);`) as (
      unbound: typeof UNBOUND,
      slow: typeof capturesObject,
      names: readonly string[],
    ) => CapturesFromSlots;
    builder = make(UNBOUND, capturesObject, names.slice());
    captureBuilders.set(key, builder);
  }
  return builder;
}

function capturesObject(names: readonly string[], slots: Slots): Record<string, Term> {
  const result: Record<string, Term> = {};
  for (let i = 0; i < names.length; i++) {
    const value = slots[i]!;
    if (value !== UNBOUND) result[names[i]!] = value;
  }
  return result;
}

/** Slots that a subtree may bind (used to undo a failed alternative). */
function slotsIn(node: PatternNode, out: Set<number>): Set<number> {
  switch (node.kind) {
    case 'capture':
      out.add(node.slot);
      slotsIn(node.sub, out);
      break;
    case 'where':
      slotsIn(node.sub, out);
      break;
    case 'tuple':
      for (const element of node.elements) slotsIn(element, out);
      break;
    case 'list':
      for (const element of node.elements) slotsIn(element, out);
      slotsIn(node.tail, out);
      break;
    case 'map':
      for (const [, value] of node.entries) slotsIn(value, out);
      break;
    case 'oneOf':
      for (const alternative of node.alternatives) slotsIn(alternative, out);
      break;
    default:
      break;
  }
  return out;
}

function isNil(node: PatternNode): boolean {
  return node.kind === 'literal' && Array.isArray(node.value) && node.value.length === 0;
}

function lookupMapKey(map: ReadonlyMap<Term, Term>, key: Term): Term | typeof MISSING {
  if (map.has(key)) return map.get(key) as Term;
  if (isAtom(key)) return MISSING; // atoms are interned: identity is the only equality
  for (const [candidate, value] of map) if (exactEquals(candidate, key)) return value;
  return MISSING;
}

function typeTestFn(test: TypeTest, size: number): (value: Term) => boolean {
  switch (test) {
    case 'integer':
      return isInteger;
    case 'float':
      return isFloat;
    case 'number':
      return (v) => isInteger(v) || isFloat(v);
    case 'atom':
      return isAtom;
    case 'binary':
      return isBinary;
    case 'bitstring':
      return (v) => isBinary(v) || v instanceof BitString;
    case 'tuple':
      return size < 0 ? (v) => v instanceof Tuple : (v) => v instanceof Tuple && v.elements.length === size;
    case 'list':
      return (v) => Array.isArray(v) || v instanceof ImproperList;
    case 'map':
      return (v) => v instanceof Map || isPlainObject(v);
    case 'pid':
      return (v) => v instanceof Pid;
    case 'ref':
      return (v) => v instanceof Ref;
    case 'port':
      return (v) => v instanceof Port;
    case 'fun':
      return (v) => v instanceof ExportFun || v instanceof ErlClosure;
    case 'boolean':
      return (v) => v === true || v === false;
  }
}

function literalTest(literal: Term): Test {
  if (isAtom(literal)) return (v) => v === literal;
  if (typeof literal === 'number' && Number.isSafeInteger(literal)) {
    const big = BigInt(literal);
    return (v) => v === literal || v === big;
  }
  if (typeof literal === 'string') return (v) => v === literal || (v instanceof Uint8Array && exactEquals(literal, v));
  return (v) => exactEquals(literal, v);
}

function compileNode(node: PatternNode, names: readonly string[]): Test {
  switch (node.kind) {
    case 'any':
      return () => true;
    case 'literal':
      return literalTest(node.value);
    case 'type': {
      const test = typeTestFn(node.test, node.size);
      return (v) => test(v);
    }
    case 'capture': {
      const slot = node.slot;
      const sub = node.sub.kind === 'any' ? undefined : compileNode(node.sub, names);
      return (v, slots) => {
        if (sub !== undefined && !sub(v, slots)) return false;
        const bound = slots[slot]!;
        if (bound === UNBOUND) {
          slots[slot] = v;
          return true;
        }
        return exactEquals(bound, v);
      };
    }
    case 'tuple': {
      const elements = node.elements.map((element) => compileNode(element, names));
      const size = elements.length;
      return (v, slots) => {
        if (!(v instanceof Tuple)) return false;
        const items = v.elements;
        if (items.length !== size) return false;
        for (let i = 0; i < size; i++) if (!elements[i]!(items[i]!, slots)) return false;
        return true;
      };
    }
    case 'list':
      return compileList(node, names);
    case 'map':
      return compileMap(node, names);
    case 'where': {
      const sub = compileNode(node.sub, names);
      const guard = node.guard;
      return (v, slots) => {
        if (!sub(v, slots)) return false;
        try {
          return guard(capturesObject(names, slots)) === true;
        } catch {
          return false; // Erlang: an exception in a guard is a failed guard
        }
      };
    }
    case 'oneOf': {
      const alternatives = node.alternatives.map((alternative) => ({
        test: compileNode(alternative, names),
        slots: [...slotsIn(alternative, new Set<number>())],
      }));
      // A failed alternative may only have bound slots that were unbound when it started (a
      // bound slot is compared, never overwritten), so undoing it means unbinding those: a
      // bit mask in a local remembers which (no allocation per match, and re-entrant).
      if (alternatives.every((alternative) => alternative.slots.length <= 31)) {
        return (v, slots) => {
          for (let a = 0; a < alternatives.length; a++) {
            const alternative = alternatives[a]!;
            const touched = alternative.slots;
            let unbound = 0;
            for (let i = 0; i < touched.length; i++) if (slots[touched[i]!] === UNBOUND) unbound |= 1 << i;
            if (alternative.test(v, slots)) return true;
            for (let i = 0; i < touched.length; i++) if ((unbound & (1 << i)) !== 0) slots[touched[i]!] = UNBOUND;
          }
          return false;
        };
      }
      return (v, slots) => {
        for (const alternative of alternatives) {
          const touched = alternative.slots;
          const saved = touched.map((slot) => slots[slot]!);
          if (alternative.test(v, slots)) return true;
          for (let i = 0; i < touched.length; i++) slots[touched[i]!] = saved[i]!;
        }
        return false;
      };
    }
  }
}

function compileList(node: ListNode, names: readonly string[]): Test {
  const elements = node.elements.map((element) => compileNode(element, names));
  const count = elements.length;
  const exact = isNil(node.tail);
  const tailAny = node.tail.kind === 'any';
  const tail = exact || tailAny ? undefined : compileNode(node.tail, names);
  return (v, slots) => {
    let items: readonly Term[];
    let improperTail: Term | typeof MISSING = MISSING;
    if (Array.isArray(v)) {
      items = v as readonly Term[];
      if (exact ? items.length !== count : items.length < count) return false;
    } else if (v instanceof ImproperList) {
      if (exact) return false;
      items = v.head;
      if (items.length < count) return false;
      improperTail = v.tail;
    } else {
      return false;
    }
    for (let i = 0; i < count; i++) if (!elements[i]!(items[i]!, slots)) return false;
    if (tail === undefined) return true;
    let rest: Term;
    if (improperTail === MISSING) rest = items.length === count ? [] : items.slice(count);
    else rest = items.length === count ? improperTail : new ImproperList(items.slice(count), improperTail);
    return tail(rest, slots);
  };
}

function compileMap(node: MapNode, names: readonly string[]): Test {
  const entries = node.entries.map(([key, value]) => ({
    key,
    name: atomName(key),
    test: compileNode(value, names),
  }));
  return (v, slots) => {
    if (v instanceof Map) {
      for (const entry of entries) {
        const value = lookupMapKey(v as ReadonlyMap<Term, Term>, entry.key);
        if (value === MISSING || !entry.test(value, slots)) return false;
      }
      return true;
    }
    if (!isPlainObject(v)) return false;
    for (const entry of entries) {
      const name = entry.name;
      if (name === undefined || !hasOwn.call(v, name)) return false;
      if (!entry.test(v[name]!, slots)) return false;
    }
    return true;
  };
}

// ---------------------------------------------------------------------------------
// compilePattern

/**
 * The byte-program compiler, installed by match_program.ts when it loads (it depends on
 * the codec; keeping the dependency one-way lets this file load without it).
 * @internal
 */
let programCompiler: ((matcher: Matcher<unknown>) => Uint8Array) | undefined;

/** @internal Installs the byte-program compiler (called once by match_program.ts). */
export function setProgramCompiler(compiler: (matcher: Matcher<unknown>) => Uint8Array): void {
  programCompiler = compiler;
}

class CompiledMatcher<C> implements Matcher<C> {
  readonly root: PatternNode;
  readonly captureNames: readonly string[];
  readonly requiredRefs: readonly Ref[];
  readonly hasGuards: boolean;
  readonly #test: Test;
  readonly #captures: CapturesFromSlots;
  #program: Uint8Array | undefined;
  #slots: Slots | undefined;

  constructor(root: PatternNode, captureNames: readonly string[], hasGuards: boolean) {
    this.root = root;
    this.captureNames = captureNames;
    this.hasGuards = hasGuards;
    const refs: Ref[] = [];
    requiredRefsOf(root, refs);
    this.requiredRefs = Object.freeze(refs);
    this.#test = compileNode(root, captureNames);
    this.#captures = captureBuilder(captureNames);
  }

  match(term: Term): C | undefined {
    const names = this.captureNames;
    if (names.length === 0) return this.#test(term, NO_SLOTS) ? (NO_CAPTURES as C) : undefined;
    // The slots array is reused between calls (cleared after each, so it keeps no
    // message alive); a guard that calls match() on the same matcher gets a fresh one.
    let slots = this.#slots;
    if (slots === undefined) slots = new Array<Term | typeof UNBOUND>(names.length).fill(UNBOUND);
    else this.#slots = undefined;
    try {
      if (!this.#test(term, slots)) return undefined;
      return this.#captures(slots) as C;
    } finally {
      slots.fill(UNBOUND);
      this.#slots = slots;
    }
  }

  get program(): Uint8Array {
    if (this.#program === undefined) {
      if (programCompiler === undefined) {
        throw new BeamError(
          ErrorCode.BAD_PATTERN,
          'the match-program compiler is not loaded; import the pattern API from src/term/index.ts',
        );
      }
      this.#program = programCompiler(this as Matcher<unknown>);
    }
    return this.#program;
  }
}

/**
 * Compiles a pattern (see the file header) into a `Matcher`. Throws `BeamError`
 * `BAD_PATTERN` for a malformed pattern.
 */
export function compilePattern<const Pt extends PatternLike>(pattern: Pt): Matcher<Simplify<CapturesOf<Pt>>> {
  const { root, captureNames, hasGuards } = normalizePattern(pattern);
  return new CompiledMatcher<Simplify<CapturesOf<Pt>>>(root, captureNames, hasGuards);
}
