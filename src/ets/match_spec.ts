/**
 * src/ets/match_spec.ts: ETS match specifications (ets:select, ets:match, ets:match_object,
 * ets:match_spec_run, ets:test_ms), compiled once into closures and run per object.
 *
 * A match specification is a list of clauses `[{Head, Guards, Body}, ...]` (ERTS User's Guide,
 * "Match Specifications in Erlang"). `run(object)` tries the clauses in order: the first whose
 * head matches and whose guards are all `true` gives the value of the last expression of its
 * body; no clause: NO_MATCH.
 *
 *   | part   | what is special in it                                                        |
 *   |--------|------------------------------------------------------------------------------|
 *   | head   | '_' (anything), '$N' (N = 0, 1, 2, ... without leading zeros: a variable;     |
 *   |        | a repeated variable must match an =:= term); tuples, lists, improper lists,   |
 *   |        | maps (a map pattern matches any map holding its keys, =:=, whose values match;|
 *   |        | a key is a literal term, never '_' or '$N'), every other term matches =:=     |
 *   |        | terms only (0.0 and -0.0 are two patterns). '$_', '$$' are atoms in a head.   |
 *   | guards | a list of expressions, each must evaluate to `true`                           |
 *   | body   | a non-empty list of expressions; the last one's value is the result           |
 *
 * Expressions (guards and bodies): '$N' (bound in the head, else the spec is bad), '$_' (the
 * object), '$$' (the head's variables' values in N order), `{const, T}` (T as it is),
 * `{{E1, ..., En}}` (a tuple of the values), lists and maps (elements, keys and values are
 * expressions), `{Function, Arg1, ...}` (match_spec_bifs.ts), every other term (atoms,
 * numbers, binaries, ...) stands for itself. A tuple in expression position is always a call:
 * `{1, 2}` is a bad spec, write `{{1, 2}}` or `{const, {1, 2}}`.
 *
 * Failure, as ERTS: an expression whose Erlang twin raises (badarith, badarg, badmap) makes its
 * guard fail (the next clause is tried); in a body it makes the clause's result the atom 'EXIT'
 * (only the last body expression counts: ERTS ignores the failure of the others, and as they
 * have no effect they are compiled, not run). A bad specification raises error:badarg at
 * compile time (an ErlangException whose message names the clause and what is wrong), never a
 * JS TypeError; so does a JS value that is no term, and a spec nested too deep for the stack.
 *
 * boundKey: a head whose key position holds a map pattern is not bound (a map pattern matches
 * more than one key), as OTP since 26.2.5 (OTP-19070; OTP 25 looked such keys up, so #{} in the
 * key position found only the key #{}). Callers still run() the objects they look up.
 *
 * Performance: each head compiles into a closure tree that writes bindings into one array per
 * clause, allocated at compile time: a failing head allocates nothing. Atom and small-integer
 * constants compare with ===; a call on a variable and a constant reads both without a closure
 * call. About as fast per object as erl's ets:match_spec_run (bench/ets/match_spec.ts).
 *
 * Threads: a CompiledMatchSpec holds closures, so it belongs to the thread that compiled it (it
 * cannot be posted); compile the spec on each thread that runs it. `run` is not reentrant
 * (the binding arrays are shared by the calls of one compiled spec), which is safe because it
 * calls no user code. `self/0` in a spec is the `self` given to `run`, else the calling process
 * (`self()` of src/process), else (the VM main thread, which is no process) the expression fails.
 *
 * Checked against erl 25 (test/ets/match_spec.test.ts). Differences from OTP 25: tuple_size/1,
 * min/2 and max/2 are accepted (OTP 26 added them); boundKey above. Trace-only functions
 * (message, return_trace, is_seq_trace, caller, ...) are bad specs, as in any ets spec.
 */
import { describeValue } from '../errors/index.js';
import { ErlangException, self as processSelf } from '../process/index.js';
import {
  Atom,
  Float,
  ImproperList,
  Tuple,
  adoptTuple,
  atom,
  atomTerm,
  exactEquals,
  format,
  improperList,
  isAtom,
  isPlainObject,
  NOT_A_TERM,
  termKind,
} from '../term/index.js';
import type { Term, TermObject } from '../term/index.js';
import * as bif from './match_spec_bifs.js';
import { FAIL, MISSING, mapLookup } from './match_spec_bifs.js';
import type { Value } from './match_spec_bifs.js';

/** The result of `run` when no clause matches the object. */
export const NO_MATCH: unique symbol = Symbol('ets.match_spec.no_match');

/** What `run` may be told about its caller. */
export interface MatchContext {
  /** The value of `{self}` (the calling process's pid). */
  readonly self?: Term;
}

export interface CompiledMatchSpec {
  /** The result of the first matching clause for `object`, or NO_MATCH. */
  run(object: Term, context?: MatchContext): Term | typeof NO_MATCH;
  /**
   * The key if every clause's head binds the key position to a ground term (lookup instead of
   * scan), else undefined. The objects found by a lookup must still go through `run`: the head's
   * other positions, its guards, and (for an ordered_set, whose keys compare with ==) the
   * key's exact type still decide.
   */
  boundKey(keypos: number): { readonly key: Term } | undefined;
}

// ---------------------------------------------------------------------------------
// Atoms and errors

const A_UNDERSCORE = atom('_');
const A_OBJECT = atom('$_');
const A_ALL = atom('$$');
const A_CONST = atom('const');
const A_EXIT = atom('EXIT');
const A_BADARG = atom('badarg');
const A_OK = atom('ok');
const A_ERROR = atom('error');

const VARIABLE = /^\$(0|[1-9][0-9]*)$/;

/** The number N of a '$N' variable atom, or -1. */
function variableNumber(t: Term): number {
  if (!(t instanceof Atom)) return -1;
  const name = t.name;
  if (name.charCodeAt(0) !== 36 /* $ */ || !VARIABLE.test(name)) return -1;
  return Number(name.slice(1));
}

function badSpec(message: string): never {
  throw new ErlangException('error', A_BADARG, `bad match specification: ${message}`);
}

function show(t: Term): string {
  let text: string;
  try {
    text = format(t);
  } catch {
    text = describeValue(t); // a JS value that is no term
  }
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

/** A leaf of a spec must be a term: a JS function, symbol or class instance is a bad spec. */
function checkTerm(t: Term, where: Where): void {
  if (termKind(t) === NOT_A_TERM) badIn(where, `${describeValue(t)} is not an Erlang term`);
}

/** Where a problem was found, for error messages. */
interface Where {
  readonly clause: number;
  readonly part: 'head' | 'guard' | 'body';
  readonly text: string;
}

function badIn(where: Where, problem: string): never {
  return badSpec(`clause ${where.clause} (${where.text}), ${where.part}: ${problem}`);
}

// ---------------------------------------------------------------------------------
// Heads

/** Matches a term, binding variables into `vars`. Allocation-free on failure. */
type HeadMatcher = (x: Term, vars: Term[]) => boolean;

/** Variables of one head: slot per variable, in order of first occurrence. */
class HeadVariables {
  readonly slotOf = new Map<number, number>();
  readonly numbers: number[] = [];

  /** The slot of '$N' and whether this occurrence binds it (the first one does). */
  use(n: number): { slot: number; first: boolean } {
    const existing = this.slotOf.get(n);
    if (existing !== undefined) return { slot: existing, first: false };
    const slot = this.numbers.length;
    this.slotOf.set(n, slot);
    this.numbers.push(n);
    return { slot, first: true };
  }

  /** The slots in variable-number order (what '$$' lists). */
  slotsInOrder(): number[] {
    return this.numbers
      .map((n, slot) => ({ n, slot }))
      .sort((a, b) => a.n - b.n)
      .map((e) => e.slot);
  }
}

const ANY: HeadMatcher = () => true;

function compileHead(p: Term, vars: HeadVariables, where: Where): HeadMatcher {
  if (p === A_UNDERSCORE) return ANY;
  const n = variableNumber(p);
  if (n >= 0) {
    const { slot, first } = vars.use(n);
    if (first) {
      return (x, v) => {
        v[slot] = x;
        return true;
      };
    }
    return (x, v) => exactEquals(v[slot], x);
  }
  if (p instanceof Tuple) return compileTupleHead(p, vars, where);
  if (Array.isArray(p)) return compileListHead(p as readonly Term[], NO_TAIL, vars, where);
  if (p instanceof ImproperList) return compileListHead(p.head, { term: p.tail }, vars, where);
  if (p instanceof Map || isPlainObject(p)) return compileMapHead(p as ReadonlyMap<Term, Term> | TermObject, vars, where);
  checkTerm(p, where);
  return constantMatcher(p);
}

function constantMatcher(c: Term): HeadMatcher {
  if (c instanceof Float && c.value === 0) {
    // 0.0 and -0.0 are different patterns (erl 25 matches neither against the other in a head).
    const negative = Object.is(c.value, -0);
    return (x) => x instanceof Float && x.value === 0 && Object.is(x.value, -0) === negative;
  }
  if (isAtom(c) || (typeof c === 'number' && !Number.isSafeInteger(c))) {
    // Atoms are interned (or JS primitives); a float number has one representation.
    return (x) => x === c;
  }
  if (typeof c === 'number') return (x) => x === c || (typeof x === 'bigint' && exactEquals(x, c));
  return (x) => exactEquals(x, c);
}

function compileTupleHead(p: Tuple, vars: HeadVariables, where: Where): HeadMatcher {
  const size = p.size;
  const indexes: number[] = [];
  const matchers: HeadMatcher[] = [];
  p.elements.forEach((e, i) => {
    const m = compileHead(e, vars, where);
    if (m !== ANY) {
      indexes.push(i);
      matchers.push(m);
    }
  });
  const count = matchers.length;
  if (count === 0) return (x) => x instanceof Tuple && x.elements.length === size;
  if (count === 1) {
    const i0 = indexes[0];
    const m0 = matchers[0];
    return (x, v) => x instanceof Tuple && x.elements.length === size && m0(x.elements[i0], v);
  }
  if (count === 2) {
    const i0 = indexes[0];
    const m0 = matchers[0];
    const i1 = indexes[1];
    const m1 = matchers[1];
    return (x, v) => x instanceof Tuple && x.elements.length === size && m0(x.elements[i0], v) && m1(x.elements[i1], v);
  }
  if (count === 3) {
    const [i0, i1, i2] = indexes as [number, number, number];
    const [m0, m1, m2] = matchers as [HeadMatcher, HeadMatcher, HeadMatcher];
    return (x, v) => {
      if (!(x instanceof Tuple)) return false;
      const e = x.elements;
      return e.length === size && m0(e[i0], v) && m1(e[i1], v) && m2(e[i2], v);
    };
  }
  return (x, v) => {
    if (!(x instanceof Tuple)) return false;
    const e = x.elements;
    if (e.length !== size) return false;
    for (let k = 0; k < count; k++) if (!matchers[k](e[indexes[k]], v)) return false;
    return true;
  };
}

/** The tail of a proper list pattern (a tail term is boxed: the atom `undefined` is a tail too). */
const NO_TAIL = undefined;

/** A list pattern: `heads` elements, then `tail` (NO_TAIL: the list ends there, a proper list). */
function compileListHead(heads: readonly Term[], tail: { readonly term: Term } | typeof NO_TAIL, vars: HeadVariables, where: Where): HeadMatcher {
  const count = heads.length;
  const matchers = heads.map((e) => compileHead(e, vars, where));
  if (tail === NO_TAIL) {
    return (x, v) => {
      if (!Array.isArray(x) || x.length !== count) return false;
      const l = x as readonly Term[];
      for (let k = 0; k < count; k++) if (!matchers[k](l[k], v)) return false;
      return true;
    };
  }
  const tailMatcher = compileHead(tail.term, vars, where);
  return (x, v) => {
    let elements: readonly Term[];
    if (Array.isArray(x)) elements = x as readonly Term[];
    else if (x instanceof ImproperList) elements = x.head;
    else return false;
    if (elements.length < count) return false;
    for (let k = 0; k < count; k++) if (!matchers[k](elements[k], v)) return false;
    // The tail: what follows the first `count` elements (allocated only for a matching prefix).
    // An improper list's tail may be the atom undefined (JS undefined): test the list's kind.
    let tailTerm: Term;
    if (!(x instanceof ImproperList)) tailTerm = count === 0 ? elements : elements.slice(count);
    else tailTerm = elements.length === count ? x.tail : count === 0 ? x : new ImproperList(elements.slice(count), x.tail);
    return tailMatcher(tailTerm, v);
  };
}


function compileMapHead(p: ReadonlyMap<Term, Term> | TermObject, vars: HeadVariables, where: Where): HeadMatcher {
  const keys: Term[] = [];
  const values: Term[] = [];
  if (p instanceof Map) {
    for (const [k, v] of p as ReadonlyMap<Term, Term>) {
      keys.push(k);
      values.push(v);
    }
  } else {
    const obj = p as TermObject;
    for (const name of Object.keys(obj)) {
      keys.push(atomTerm(name));
      values.push(obj[name]);
    }
  }
  for (const k of keys) {
    // A key is a literal term ({'$1'} as a key is that tuple); only a key that is '_' or '$N' is refused, as by ERTS.
    if (k === A_UNDERSCORE || variableNumber(k) >= 0) badIn(where, `a map key in a head must be a literal term, not '_' or a '$N' variable; received ${show(k)}`);
  }
  const count = keys.length;
  const matchers = values.map((value) => compileHead(value, vars, where));
  return (x, v) => {
    if (!bif.isMap(x)) return false;
    for (let k = 0; k < count; k++) {
      const found = mapLookup(x, keys[k]);
      if (found === MISSING || !matchers[k](found, v)) return false;
    }
    return true;
  };
}

/** True when a head part matches exactly one term (no variables, no '_', no map patterns). */
function isGround(t: Term): boolean {
  if (t === A_UNDERSCORE || variableNumber(t) >= 0) return false;
  if (t instanceof Tuple) return t.elements.every(isGround);
  if (Array.isArray(t)) return (t as readonly Term[]).every(isGround);
  if (t instanceof ImproperList) return t.head.every(isGround) && isGround(t.tail);
  if (t instanceof Map || isPlainObject(t)) return false;
  return true;
}

// ---------------------------------------------------------------------------------
// Expressions

/** Evaluates an expression for the matched object and the head's bindings. */
type Expr = (object: Term, vars: Term[]) => Value;

/** `self` for the run in progress (run is synchronous and calls no user code). */
let currentContext: MatchContext | undefined;

function selfValue(): Value {
  if (currentContext !== undefined && currentContext.self !== undefined) return currentContext.self;
  try {
    return processSelf();
  } catch {
    return FAIL; // not in a process (the VM main thread): no self to give
  }
}

/** What the compiler knows of an expression closure: a constant value, or a variable's slot (to call operands directly). */
const CONSTANT_OF = new WeakMap<Expr, { readonly value: Term }>();
const SLOT_OF = new WeakMap<Expr, number>();

function constantExpr(value: Term): Expr {
  const e: Expr = () => value;
  CONSTANT_OF.set(e, { value });
  return e;
}

function variableExpr(slot: number): Expr {
  const e: Expr = (_o, v) => v[slot];
  SLOT_OF.set(e, slot);
  return e;
}

/** A call of a 2-argument function; a variable first operand and a constant or variable second one skip a closure call each. */
function call2(f: Fn2, a: Expr, b: Expr): Expr {
  const sa = SLOT_OF.get(a);
  const cb = CONSTANT_OF.get(b);
  const sb = SLOT_OF.get(b);
  if (sa !== undefined && cb !== undefined) {
    const value = cb.value;
    return (_o, v) => f(v[sa], value);
  }
  if (sa !== undefined && sb !== undefined) return (_o, v) => f(v[sa], v[sb]);
  if (cb !== undefined) {
    const value = cb.value;
    return (o, v) => {
      const x = a(o, v);
      return x === FAIL ? FAIL : f(x, value);
    };
  }
  return (o, v) => {
    const x = a(o, v);
    if (x === FAIL) return FAIL;
    const y = b(o, v);
    return y === FAIL ? FAIL : f(x, y);
  };
}

interface ExprScope {
  readonly vars: HeadVariables;
  readonly allSlots: readonly number[];
  readonly where: Where;
}

function compileExpr(e: Term, scope: ExprScope): Expr {
  if (e instanceof Atom) {
    if (e === A_OBJECT) return (o) => o;
    if (e === A_ALL) {
      const slots = scope.allSlots;
      return (_o, v) => slots.map((s) => v[s]);
    }
    const n = variableNumber(e);
    if (n >= 0) {
      const slot = scope.vars.slotOf.get(n);
      if (slot === undefined) badIn(scope.where, `the variable '$${n}' is not bound in the head`);
      return variableExpr(slot);
    }
    return constantExpr(e);
  }
  if (e instanceof Tuple) return compileTupleExpr(e, scope);
  if (Array.isArray(e)) {
    const items = (e as readonly Term[]).map((x) => compileExpr(x, scope));
    if (items.length === 0) return constantExpr(e);
    return (o, v) => {
      const out: Term[] = new Array<Term>(items.length);
      for (let k = 0; k < items.length; k++) {
        const x = items[k](o, v);
        if (x === FAIL) return FAIL;
        out[k] = x;
      }
      return out;
    };
  }
  if (e instanceof ImproperList) {
    const items = e.head.map((x) => compileExpr(x, scope));
    const tail = compileExpr(e.tail, scope);
    return (o, v) => {
      const out: Term[] = [];
      for (const item of items) {
        const x = item(o, v);
        if (x === FAIL) return FAIL;
        out.push(x);
      }
      const t = tail(o, v);
      return t === FAIL ? FAIL : improperList(out, t);
    };
  }
  if (e instanceof Map || isPlainObject(e)) {
    const keys: Expr[] = [];
    const values: Expr[] = [];
    if (e instanceof Map) {
      for (const [k, x] of e as ReadonlyMap<Term, Term>) {
        keys.push(compileExpr(k, scope));
        values.push(compileExpr(x, scope));
      }
    } else {
      const obj = e as TermObject;
      for (const name of Object.keys(obj)) {
        keys.push(compileExpr(atomTerm(name), scope)); // a key '$1' is the variable's value
        values.push(compileExpr(obj[name], scope));
      }
    }
    return (o, v) => {
      const ks: Term[] = [];
      const vs: Term[] = [];
      for (let k = 0; k < keys.length; k++) {
        const key = keys[k](o, v);
        if (key === FAIL) return FAIL;
        const value = values[k](o, v);
        if (value === FAIL) return FAIL;
        ks.push(key);
        vs.push(value);
      }
      return bif.buildMap(ks, vs);
    };
  }
  checkTerm(e, scope.where);
  return constantExpr(e);
}

/** Functions of a fixed arity: name -> arity -> implementation. */
type Fn1 = (a: Term) => Value;
type Fn2 = (a: Term, b: Term) => Value;
type Fn3 = (a: Term, b: Term, c: Term) => Value;

const FUNCTIONS_1: Readonly<Record<string, Fn1>> = {
  ...bif.TYPE_TESTS,
  not: bif.not,
  '-': bif.negate,
  '+': bif.plus,
  bnot: bif.bnot,
  abs: bif.abs,
  float: bif.toFloat,
  round: bif.round,
  trunc: bif.trunc,
  hd: bif.hd,
  tl: bif.tl,
  length: bif.length,
  size: bif.size,
  tuple_size: bif.tupleSize,
  map_size: bif.mapSize,
  byte_size: bif.byteSize,
  bit_size: bif.bitSize,
  node: bif.node1,
};

const FUNCTIONS_2: Readonly<Record<string, Fn2>> = {
  '+': bif.add,
  '-': bif.subtract,
  '*': bif.multiply,
  '/': bif.divide,
  div: bif.intDiv,
  rem: bif.rem,
  band: bif.band,
  bor: bif.bor,
  bxor: bif.bxor,
  bsl: bif.bsl,
  bsr: bif.bsr,
  xor: bif.xor,
  '==': bif.eq,
  '/=': bif.ne,
  '=:=': bif.exactEq,
  '=/=': bif.exactNe,
  '<': bif.lt,
  '>': bif.gt,
  '=<': bif.le,
  '>=': bif.ge,
  element: bif.element,
  map_get: bif.mapGet,
  is_map_key: bif.isMapKey,
  min: bif.min,
  max: bif.max,
};

const FUNCTIONS_3: Readonly<Record<string, Fn3>> = {
  is_record: bif.isRecord,
  binary_part: bif.binaryPart,
};

/** Variadic boolean operators: at least one argument. */
const VARIADIC = new Set(['and', 'or', 'andalso', 'orelse']);

/** Functions of trace match specifications only (erlang:trace_pattern), never of ets. */
const TRACE_ONLY = new Set([
  'is_seq_trace', 'set_seq_token', 'get_seq_token', 'message', 'return_trace', 'exception_trace', 'process_dump',
  'enable_trace', 'disable_trace', 'trace', 'display', 'caller', 'caller_line', 'current_stacktrace', 'set_tcw',
  'get_tcw', 'silent',
]);

function arities(name: string): number[] {
  const out: number[] = [];
  if (name === 'self') out.push(0);
  if (name === 'node') out.push(0);
  if (Object.prototype.hasOwnProperty.call(FUNCTIONS_1, name)) out.push(1);
  if (Object.prototype.hasOwnProperty.call(FUNCTIONS_2, name)) out.push(2);
  if (Object.prototype.hasOwnProperty.call(FUNCTIONS_3, name)) out.push(3);
  return out;
}

function compileTupleExpr(e: Tuple, scope: ExprScope): Expr {
  const el = e.elements;
  if (el.length === 0) badIn(scope.where, `{} is not an expression (write {{}} for the empty tuple)`);
  const first = el[0];
  if (el.length === 1 && first instanceof Tuple) {
    // {{E1, ..., En}}: a tuple of the values.
    const items = first.elements.map((x) => compileExpr(x, scope));
    const n = items.length;
    return (o, v) => {
      const out: Term[] = new Array<Term>(n);
      for (let k = 0; k < n; k++) {
        const x = items[k](o, v);
        if (x === FAIL) return FAIL;
        out[k] = x;
      }
      return adoptTuple(out);
    };
  }
  if (!(first instanceof Atom) || variableNumber(first) >= 0 || first === A_OBJECT || first === A_ALL) {
    badIn(
      scope.where,
      `${show(e)} is not an expression: a tuple is a call {Function, Args...} (write {{...}} or {const, ...} for a tuple value)`,
    );
  }
  const name = first.name;
  const args = el.slice(1);
  const arity = args.length;
  if (first === A_CONST) {
    if (arity !== 1) badIn(scope.where, `{const, Term} takes exactly one term; received ${show(e)}`);
    const value = args[0];
    checkTerm(value, scope.where);
    return constantExpr(value);
  }
  if (VARIADIC.has(name)) {
    if (arity === 0) badIn(scope.where, `${name} needs at least one argument; received ${show(e)}`);
    return compileBoolean(name, args.map((x) => compileExpr(x, scope)));
  }
  if (arity === 0) {
    if (name === 'self') return selfValue;
    if (name === 'node') return bif.node0;
  }
  if (arity === 1 && Object.prototype.hasOwnProperty.call(FUNCTIONS_1, name)) {
    const f = FUNCTIONS_1[name];
    const a = compileExpr(args[0], scope);
    return (o, v) => {
      const x = a(o, v);
      return x === FAIL ? FAIL : f(x);
    };
  }
  if (arity === 2 && Object.prototype.hasOwnProperty.call(FUNCTIONS_2, name)) {
    return call2(FUNCTIONS_2[name], compileExpr(args[0], scope), compileExpr(args[1], scope));
  }
  if (arity === 3 && Object.prototype.hasOwnProperty.call(FUNCTIONS_3, name)) {
    const f = FUNCTIONS_3[name];
    const a = compileExpr(args[0], scope);
    const b = compileExpr(args[1], scope);
    const c = compileExpr(args[2], scope);
    return (o, v) => {
      const x = a(o, v);
      if (x === FAIL) return FAIL;
      const y = b(o, v);
      if (y === FAIL) return FAIL;
      const z = c(o, v);
      return z === FAIL ? FAIL : f(x, y, z);
    };
  }
  if (TRACE_ONLY.has(name)) badIn(scope.where, `${name}/${arity} is only allowed in trace match specifications, not in ets`);
  const known = arities(name);
  if (known.length > 0) {
    badIn(scope.where, `${name} takes ${known.join(' or ')} argument${known.length === 1 && known[0] === 1 ? '' : 's'}; received ${show(e)}`);
  }
  return badIn(scope.where, `${name}/${arity} is not a function allowed in a match specification (in ${show(e)})`);
}

function compileBoolean(name: string, args: readonly Expr[]): Expr {
  const n = args.length;
  switch (name) {
    case 'and':
      return (o, v) => {
        let result = true;
        for (let k = 0; k < n; k++) {
          const x = args[k](o, v);
          if (x === false) result = false;
          else if (x !== true) return FAIL;
        }
        return result;
      };
    case 'or':
      return (o, v) => {
        let result = false;
        for (let k = 0; k < n; k++) {
          const x = args[k](o, v);
          if (x === true) result = true;
          else if (x !== false) return FAIL;
        }
        return result;
      };
    case 'andalso':
      return (o, v) => {
        for (let k = 0; k < n - 1; k++) {
          const x = args[k](o, v);
          if (x === false) return false;
          if (x !== true) return FAIL;
        }
        return args[n - 1](o, v);
      };
    default: // orelse
      return (o, v) => {
        for (let k = 0; k < n - 1; k++) {
          const x = args[k](o, v);
          if (x === true) return true;
          if (x !== false) return FAIL;
        }
        return args[n - 1](o, v);
      };
  }
}

// ---------------------------------------------------------------------------------
// Clauses and specs

interface Clause {
  readonly head: Term;
  readonly match: HeadMatcher;
  readonly vars: Term[];
  readonly guards: readonly Expr[];
  /** Runs the body: its result, or FAIL ('EXIT'). */
  readonly body: Expr;
}

function properList(t: Term): readonly Term[] | undefined {
  return Array.isArray(t) ? (t as readonly Term[]) : undefined;
}

function compileClause(c: Term, index: number): Clause {
  const text = show(c);
  if (!(c instanceof Tuple) || c.size !== 3) {
    return badSpec(`clause ${index} (${text}) must be a tuple {Head, Guards, Body}`);
  }
  const [head, guardList, bodyList] = c.elements as readonly [Term, Term, Term];
  const vars = new HeadVariables();
  const match = compileHead(head, vars, { clause: index, part: 'head', text });
  const allSlots = vars.slotsInOrder();
  const guards = properList(guardList);
  if (guards === undefined) badSpec(`clause ${index} (${text}): the guards must be a proper list; received ${show(guardList)}`);
  const body = properList(bodyList);
  if (body === undefined || body.length === 0) {
    badSpec(`clause ${index} (${text}): the body must be a non-empty proper list of expressions; received ${show(bodyList)}`);
  }
  const guardScope: ExprScope = { vars, allSlots, where: { clause: index, part: 'guard', text } };
  const bodyScope: ExprScope = { vars, allSlots, where: { clause: index, part: 'body', text } };
  const compiledGuards = guards.map((g) => compileExpr(g, guardScope));
  const compiledBody = body.map((b) => compileExpr(b, bodyScope));
  return { head, match, vars: new Array<Term>(vars.numbers.length), guards: compiledGuards, body: sequence(compiledBody) };
}

/**
 * A body's value: its last expression's. The others have no effect (ets bodies call no
 * side-effecting function), and ERTS ignores their failure too ([{'+', '$1', a}, ok] gives ok),
 * so they are compiled (a bad one is a bad spec) but not run.
 */
function sequence(exprs: readonly Expr[]): Expr {
  return exprs[exprs.length - 1];
}

class CompiledSpec implements CompiledMatchSpec {
  constructor(private readonly clauses: readonly Clause[]) {}

  run(object: Term, context?: MatchContext): Term | typeof NO_MATCH {
    const clauses = this.clauses;
    const saved = currentContext;
    currentContext = context;
    try {
      for (let c = 0; c < clauses.length; c++) {
        const clause = clauses[c];
        const vars = clause.vars;
        if (!clause.match(object, vars)) continue;
        const guards = clause.guards;
        let pass = true;
        for (let g = 0; g < guards.length; g++) {
          if (guards[g](object, vars) !== true) {
            pass = false;
            break;
          }
        }
        if (!pass) continue;
        const result = clause.body(object, vars);
        return result === FAIL ? A_EXIT : result;
      }
      return NO_MATCH;
    } finally {
      currentContext = saved;
    }
  }

  boundKey(keypos: number): { readonly key: Term } | undefined {
    if (!Number.isSafeInteger(keypos) || keypos < 1) {
      throw new ErlangException('error', A_BADARG, `keypos must be an integer >= 1; received ${String(keypos)}`);
    }
    let key: { readonly key: Term } | undefined;
    for (const clause of this.clauses) {
      const head = clause.head;
      if (!(head instanceof Tuple) || head.size < keypos) return undefined;
      const k = head.elements[keypos - 1];
      if (!isGround(k)) return undefined;
      if (key === undefined) key = { key: k };
      else if (!exactEquals(key.key, k)) return undefined;
    }
    return key;
  }
}

/** Compiles an ets/select match specification [{Head, Guards, Body}, ...]; throws error:badarg (with a readable explanation) for a bad spec. */
export function compileMatchSpec(spec: Term): CompiledMatchSpec {
  const clauses = properList(spec);
  if (clauses === undefined || clauses.length === 0) {
    return badSpec(`a match specification must be a non-empty proper list of {Head, Guards, Body} clauses; received ${show(spec)}`);
  }
  return withinStack(() => new CompiledSpec(clauses.map((c, i) => compileClause(c, i + 1))));
}

/** Compiles, turning a stack overflow (a spec nested tens of thousands deep) into badarg. */
function withinStack<R>(compile: () => R): R {
  try {
    return compile();
  } catch (e) {
    if (e instanceof RangeError) badSpec(`the specification is nested too deeply to compile (${e.message})`);
    throw e;
  }
}

/** ets:match (result 'bindings': the list of '$N' bindings in N order) and ets:match_object (result 'object'). */
export function compileMatchPattern(pattern: Term, result: 'bindings' | 'object'): CompiledMatchSpec {
  if (result !== 'bindings' && result !== 'object') {
    throw new ErlangException('error', A_BADARG, `result must be 'bindings' or 'object'; received ${String(result)}`);
  }
  const text = show(pattern);
  const vars = new HeadVariables();
  const match = withinStack(() => compileHead(pattern, vars, { clause: 1, part: 'head', text: `pattern ${text}` }));
  const allSlots = vars.slotsInOrder();
  const body: Expr = result === 'bindings' ? (_o, v) => allSlots.map((s) => v[s]) : (o) => o;
  return new CompiledSpec([{ head: pattern, match, vars: new Array<Term>(vars.numbers.length), guards: [], body }]);
}

/** ets:match_spec_run(List, CompiledSpec): the results of the objects that match, in order. */
export function matchSpecRun(list: Term, compiled: CompiledMatchSpec, context?: MatchContext): Term[] {
  const objects = properList(list);
  if (objects === undefined) throw new ErlangException('error', A_BADARG, `match_spec_run needs a proper list of terms; received ${show(list)}`);
  const out: Term[] = [];
  for (const o of objects) {
    const r = compiled.run(o, context);
    if (r !== NO_MATCH) out.push(r);
  }
  return out;
}

/** Erlang's string (a list of character codes) of a JS string. */
function charList(s: string): number[] {
  return Array.from(s, (ch) => ch.codePointAt(0) as number);
}

/** ets:test_ms(Tuple, MatchSpec): {ok, Result} (Result false when no clause matches) or {error, [{error, String}]}. */
export function testMs(object: Term, spec: Term, context?: MatchContext): Tuple {
  let compiled: CompiledMatchSpec;
  try {
    compiled = compileMatchSpec(spec);
  } catch (e) {
    if (e instanceof ErlangException && e.reason === A_BADARG) return new Tuple([A_ERROR, [new Tuple([A_ERROR, charList(e.message)])]]);
    throw e;
  }
  const r = compiled.run(object, context);
  return new Tuple([A_OK, r === NO_MATCH ? false : r]);
}
