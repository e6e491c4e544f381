/**
 * src/ets/match_spec.ts: STAND-IN for the match specification engine (written in parallel in
 * worktree mspec; its file replaces this one at merge, with the same export surface). This one
 * supports only what the ETS core's own tests need: clause heads made of literals, '_' and
 * '$N' variables (tuples and proper lists matched element by element, everything else by =:=),
 * no guards (the guard list must be []), and bodies of one element: '$_', '$$', '$N' or a
 * literal (e.g. true for select_count / select_delete).
 *
 * Threads: pure. Bad input: anything else raises error:badarg naming what is unsupported.
 */
import { ErlangException } from '../process/exception.js';
import { atom, Atom, exactEquals, Tuple, type Term } from '../term/index.js';

export interface CompiledMatchSpec {
  /** The result of the first matching clause for `object`, or NO_MATCH. */
  run(object: Term): Term | typeof NO_MATCH;
  /** The key if every clause's head binds the key position to a ground term (lookup instead of scan), else undefined. */
  boundKey(keypos: number): { readonly key: Term } | undefined;
}

export const NO_MATCH: unique symbol = Symbol('beamjs.ets.noMatch');

const A_BADARG = atom('badarg');
const UNDERSCORE = atom('_');
const DOLLAR_UNDERSCORE = atom('$_');
const DOLLAR_DOLLAR = atom('$$');

function badSpec(what: string): never {
  throw new ErlangException('error', A_BADARG, `bad argument: not a valid match specification (${what})`);
}

/** The N of a '$N' atom, or 0. */
function variable(term: Term): number {
  if (!(term instanceof Atom)) return 0;
  const m = /^\$([1-9][0-9]*)$/.exec(term.name);
  return m === null ? 0 : Number(m[1]);
}

function match(pattern: Term, value: Term, bindings: Map<number, Term>): boolean {
  if (pattern === UNDERSCORE) return true;
  const v = variable(pattern);
  if (v !== 0) {
    const bound = bindings.get(v);
    if (bound === undefined && !bindings.has(v)) {
      bindings.set(v, value);
      return true;
    }
    return exactEquals(bound, value);
  }
  if (pattern instanceof Tuple) {
    if (!(value instanceof Tuple) || value.size !== pattern.size) return false;
    for (let i = 0; i < pattern.size; i++) if (!match(pattern.at(i), value.at(i), bindings)) return false;
    return true;
  }
  if (Array.isArray(pattern)) {
    if (!Array.isArray(value) || value.length !== pattern.length) return false;
    for (let i = 0; i < pattern.length; i++) if (!match(pattern[i] as Term, value[i] as Term, bindings)) return false;
    return true;
  }
  return exactEquals(pattern, value);
}

function ground(term: Term): boolean {
  if (term === UNDERSCORE || variable(term) !== 0) return false;
  if (term instanceof Tuple) return term.elements.every(ground);
  if (Array.isArray(term)) return (term as Term[]).every(ground);
  return true;
}

type Body = (object: Term, bindings: Map<number, Term>) => Term;

function orderedBindings(bindings: Map<number, Term>): Term[] {
  return [...bindings.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
}

function compileBody(body: Term): Body {
  if (!Array.isArray(body) || body.length !== 1) badSpec('the stand-in engine takes bodies of one element');
  const expr = body[0] as Term;
  if (expr === DOLLAR_UNDERSCORE) return (object) => object;
  if (expr === DOLLAR_DOLLAR) return (_object, bindings) => orderedBindings(bindings);
  const v = variable(expr);
  if (v !== 0) return (_object, bindings) => (bindings.has(v) ? bindings.get(v) : badSpec(`'$${v}' is unbound`));
  if (expr instanceof Tuple || Array.isArray(expr) || (expr instanceof Atom && expr.name.startsWith('$'))) badSpec('the stand-in engine takes no expressions');
  return () => expr;
}

class Spec implements CompiledMatchSpec {
  constructor(readonly clauses: ReadonlyArray<{ readonly head: Term; readonly body: Body }>) {}

  run(object: Term): Term | typeof NO_MATCH {
    for (const clause of this.clauses) {
      const bindings = new Map<number, Term>();
      if (match(clause.head, object, bindings)) return clause.body(object, bindings);
    }
    return NO_MATCH;
  }

  boundKey(keypos: number): { readonly key: Term } | undefined {
    let key: { readonly key: Term } | undefined;
    for (const { head } of this.clauses) {
      if (!(head instanceof Tuple) || head.size < keypos || !ground(head.at(keypos - 1))) return undefined;
      const k = head.at(keypos - 1);
      if (key !== undefined && !exactEquals(key.key, k)) return undefined;
      key = { key: k };
    }
    return key;
  }
}

export function compileMatchSpec(spec: Term): CompiledMatchSpec {
  if (!Array.isArray(spec)) badSpec('not a list of clauses');
  const clauses = (spec as Term[]).map((clause) => {
    if (!(clause instanceof Tuple) || clause.size !== 3) badSpec('a clause is not {Head, Guards, Body}');
    const guards = clause.at(1);
    if (!Array.isArray(guards) || guards.length !== 0) badSpec('the stand-in engine takes no guards');
    return { head: clause.at(0), body: compileBody(clause.at(2)) };
  });
  return new Spec(clauses);
}

export function compileMatchPattern(pattern: Term, result: 'bindings' | 'object'): CompiledMatchSpec {
  const body: Body = result === 'object' ? (object) => object : (_object, bindings) => orderedBindings(bindings);
  return new Spec([{ head: pattern, body }]);
}
