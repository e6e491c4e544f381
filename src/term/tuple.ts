/**
 * Tuples.
 *
 * A `Tuple` wraps a frozen JS array of its elements. Arrays are Erlang lists, so a
 * tuple needs its own class; `tuple(a, b, c)` is the short way to make one and keeps
 * the element types (`Tuple<[Atom, Pid, number]>`).
 *
 * Invariants: `elements` is frozen and never changes after construction (messages are
 * immutable by contract, and a tuple may be shared between processes on one thread).
 *
 * Thread-safety: immutable; tuples cross threads only as encoded terms.
 */
import type { Term } from './term.js';

export class Tuple<T extends readonly Term[] = readonly Term[]> {
  readonly elements: T;

  constructor(elements: T) {
    this.elements = Object.isFrozen(elements) ? elements : (Object.freeze(elements.slice()) as unknown as T);
  }

  /** Number of elements (Erlang's `tuple_size/1`). */
  get size(): number {
    return this.elements.length;
  }

  /** The element at a 0-based index (Erlang's `element/2` is 1-based). */
  at<I extends number>(index: I): T[I] {
    return this.elements[index] as T[I];
  }

  [Symbol.iterator](): Iterator<T[number]> {
    return this.elements[Symbol.iterator]();
  }
}

/** Makes a tuple of the arguments: `tuple(ok, 42)` is `{ok, 42}`. */
export function tuple<T extends readonly Term[]>(...elements: T): Tuple<T> {
  return new Tuple<T>(Object.freeze(elements) as T);
}
