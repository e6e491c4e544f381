/**
 * Tuples.
 *
 * A `Tuple` wraps a JS array of its elements. Arrays are Erlang lists, so a tuple needs
 * its own class; `tuple(a, b, c)` is the short way to make one and keeps the element types
 * (`Tuple<[Atom, Pid, number]>`).
 *
 * Invariants: `elements` never changes after construction (messages are immutable by
 * contract, and a tuple may be shared between processes on one thread).
 *   - `new Tuple(array)` keeps a frozen copy: the caller may go on using its array.
 *   - `tuple(a, b)` and `adoptTuple(array)` (the decoder's path) take the array they are
 *     given, without copying or freezing it: nobody else holds the rest-argument array, and
 *     the decoder drops its own. Freezing costs 40-70 ns a tuple, a large share of a local
 *     message send (bench/process), so immutability here is by contract, as DESIGN.md says of
 *     messages; `elements` is typed readonly, and the VM's debug option deep-freezes messages.
 *
 * Thread-safety: immutable; tuples cross threads only as encoded terms.
 */
import type { Term } from './term.js';

/** True only inside adoptTuple: the constructor takes the array as it is. */
let adopting = false;

export class Tuple<T extends readonly Term[] = readonly Term[]> {
  readonly elements: T;

  constructor(elements: T) {
    this.elements = adopting || Object.isFrozen(elements) ? elements : (Object.freeze(elements.slice()) as unknown as T);
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
  return adoptTuple(elements);
}

/**
 * Makes a tuple that takes `elements` itself (no copy, no freeze): for code that built the
 * array for this tuple and drops it (the decoder, `tuple()`). Never mutate it afterwards.
 */
export function adoptTuple<T extends readonly Term[]>(elements: T): Tuple<T> {
  adopting = true;
  const result = new Tuple<T>(elements); // the constructor cannot throw
  adopting = false;
  return result;
}
