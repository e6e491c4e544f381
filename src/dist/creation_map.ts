/**
 * Creation translation at the node boundary.
 *
 * Inside a VM every local pid, ref and port has creation 0 (src/process/runtime.ts: the
 * thread-to-thread fast path rebuilds local pids with creation 0). On the wire a node's
 * identifiers carry the creation epmd gave it, so that a peer tells this incarnation from
 * an earlier one: `toWire` rewrites local identifiers of creation 0 to the node's creation,
 * `fromWire` rewrites identifiers of this node with its creation back to 0. An identifier
 * of this node with another creation (an earlier incarnation) is kept as it is: it names
 * no live process here (sends to it are dropped, links and monitors get noproc), as in OTP.
 *
 * Invariants: a term with nothing to rewrite is returned as the same object (no copy); a
 * rewritten term is a new structure sharing the unchanged parts. Closures (ErlClosure) are
 * not rewritten (their creator pid is informative only).
 *
 * Threads: pure; any thread.
 */
import { Atom, ImproperList, Pid, Port, Ref, Tuple, isPlainObject, adoptTuple, type Term } from '../term/index.js';

type Rewrite = (value: Pid | Ref | Port) => Pid | Ref | Port;

function walk(term: Term, f: Rewrite): Term {
  if (typeof term !== 'object' || term === null || term instanceof Atom || term instanceof Uint8Array) return term;
  if (term instanceof Pid || term instanceof Ref || term instanceof Port) return f(term);
  if (term instanceof Tuple) {
    let out: Term[] | undefined;
    for (let i = 0; i < term.size; i++) {
      const v = term.at(i);
      const w = walk(v, f);
      if (w !== v && out === undefined) {
        out = [];
        for (let j = 0; j < i; j++) out.push(term.at(j));
      }
      if (out !== undefined) out.push(w);
    }
    return out === undefined ? term : adoptTuple(out);
  }
  if (Array.isArray(term)) {
    let out: Term[] | undefined;
    for (let i = 0; i < term.length; i++) {
      const v = term[i] as Term;
      const w = walk(v, f);
      if (w !== v && out === undefined) out = term.slice(0, i) as Term[];
      if (out !== undefined) out.push(w);
    }
    return out === undefined ? term : out;
  }
  if (term instanceof ImproperList) {
    const head = walk(term.head as Term[], f) as Term[];
    const tail = walk(term.tail, f);
    return head === term.head && tail === term.tail ? term : new ImproperList(head, tail);
  }
  if (term instanceof Map) {
    let changed = false;
    const out = new Map<Term, Term>();
    for (const [k, v] of term as Map<Term, Term>) {
      const k2 = walk(k, f);
      const v2 = walk(v, f);
      if (k2 !== k || v2 !== v) changed = true;
      out.set(k2, v2);
    }
    return changed ? out : term;
  }
  if (isPlainObject(term)) {
    let out: Record<string, Term> | undefined;
    for (const key of Object.keys(term)) {
      const v = (term as Record<string, Term>)[key]!;
      const w = walk(v, f);
      if (w !== v) out ??= { ...(term as Record<string, Term>) };
      if (out !== undefined) out[key] = w;
    }
    return out ?? term;
  }
  return term;
}

/** Local identifiers (creation 0) of `node` get `creation`. */
export function toWire(term: Term, node: Atom, creation: number): Term {
  if (creation === 0) return term;
  return walk(term, (v) => {
    if (v.node !== node || v.creation !== 0) return v;
    if (v instanceof Pid) return new Pid(node, v.id, v.serial, creation);
    if (v instanceof Ref) return new Ref(node, creation, v.ids);
    return new Port(node, (v as Port).id, creation);
  });
}

/** Identifiers of `node` with `creation` become local ones (creation 0). */
export function fromWire(term: Term, node: Atom, creation: number): Term {
  if (creation === 0) return term;
  return walk(term, (v) => {
    if (v.node !== node || v.creation !== creation) return v;
    if (v instanceof Pid) return new Pid(node, v.id, v.serial, 0);
    if (v instanceof Ref) return new Ref(node, 0, v.ids);
    return new Port(node, (v as Port).id, 0);
  });
}
