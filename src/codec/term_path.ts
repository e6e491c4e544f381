/**
 * Error messages for values the encoder cannot encode: where in the term the bad
 * value sits ("element 2 of a tuple, in list element 1") and what it is.
 *
 * The encoder's hot path does not track a path (that would cost every message). When
 * it meets a bad value it throws `NotATermSignal` with the value; the public function
 * catches it and calls `notATermError`, which searches the term again, slowly, for the
 * first place holding that value (by `Object.is`) and words the path.
 *
 * Thread-safety: pure functions. Bad input: the search is depth-limited and cycle-safe.
 */
import { BeamError, ErrorCode, describeValue } from '../errors/index.js';
import { ErlClosure, ImproperList, Tuple, isPlainObject } from '../term/index.js';
import { MAX_NESTING } from './tags.js';

/** Thrown inside the encoder; never escapes the codec. */
export class NotATermSignal {
  constructor(
    readonly value: unknown,
    /** Why the value is not a term, when it looks like one (e.g. a Pid with a bad id). */
    readonly reason: string | undefined,
  ) {}
}

/** The public error for a NotATermSignal raised while encoding `root`. */
export function notATermError(root: unknown, signal: NotATermSignal): BeamError {
  const path = findPath(root, signal.value, 0, new Set());
  const where = path === undefined || path.length === 0 ? 'the term itself' : path.join(', in ');
  const what = signal.reason ?? `expected an Erlang term (see src/term/term.ts), received ${describeValue(signal.value)}`;
  return new BeamError(ErrorCode.NOT_A_TERM, `cannot encode ${where}: ${what}`);
}

/** Segments from the bad value outwards; undefined when not found. */
function findPath(node: unknown, bad: unknown, depth: number, seen: Set<object>): string[] | undefined {
  if (Object.is(node, bad)) return [];
  if (typeof node !== 'object' || node === null || depth > MAX_NESTING) return undefined;
  if (seen.has(node)) return undefined;
  seen.add(node);
  const inside = (child: unknown, segment: string): string[] | undefined => {
    const found = findPath(child, bad, depth + 1, seen);
    if (found !== undefined) found.push(segment);
    return found;
  };
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const r = inside(node[i], `list element ${i + 1}`);
      if (r) return r;
    }
    return undefined;
  }
  if (node instanceof Tuple) {
    for (let i = 0; i < node.elements.length; i++) {
      const r = inside(node.elements[i], `element ${i + 1} of a tuple`);
      if (r) return r;
    }
    return undefined;
  }
  if (node instanceof ImproperList) {
    for (let i = 0; i < node.head.length; i++) {
      const r = inside(node.head[i], `list element ${i + 1} of an improper list`);
      if (r) return r;
    }
    return inside(node.tail, 'the tail of an improper list');
  }
  if (node instanceof Map) {
    for (const [k, v] of node) {
      const rk = inside(k, 'a key of a map');
      if (rk) return rk;
      const rv = inside(v, 'a value of a map');
      if (rv) return rv;
    }
    return undefined;
  }
  if (node instanceof ErlClosure) {
    const rp = inside(node.pid, 'the pid of a closure');
    if (rp) return rp;
    for (let i = 0; i < node.freeVars.length; i++) {
      const r = inside(node.freeVars[i], `free variable ${i + 1} of a closure`);
      if (r) return r;
    }
    return undefined;
  }
  if (isPlainObject(node)) {
    for (const key of Object.keys(node)) {
      const r = inside((node as Record<string, unknown>)[key], `the value of map key '${key}'`);
      if (r) return r;
    }
  }
  return undefined;
}
