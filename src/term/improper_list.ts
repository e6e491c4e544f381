/**
 * Improper lists: `[a, b | Tail]` where `Tail` is not a list.
 *
 * Proper lists are JS arrays. An `ImproperList` holds the elements before the bar
 * (at least one) and the tail, which is never an array (a list tail would make the
 * list proper or longer: `improperList` flattens it).
 *
 * Invariants: `head.length >= 1`; `tail` is not an array and not an `ImproperList`.
 *
 * Thread-safety: immutable.
 */
import { InvalidArgumentError } from '../errors/index.js';
import type { Term } from './term.js';

export class ImproperList {
  readonly head: readonly Term[];

  constructor(head: readonly Term[], readonly tail: Term) {
    if (head.length === 0) {
      throw new InvalidArgumentError('an improper list needs at least one element before its tail');
    }
    if (Array.isArray(tail) || tail instanceof ImproperList) {
      throw new InvalidArgumentError('an improper list tail must not be a list; use improperList() to join lists');
    }
    this.head = Object.isFrozen(head) ? head : Object.freeze(head.slice());
  }
}

/**
 * `[...head | tail]`: a proper list (an array) when `tail` is a list, else an
 * `ImproperList`. `improperList([], x)` is just `x`.
 */
export function improperList(head: readonly Term[], tail: Term): Term {
  if (Array.isArray(tail)) return [...head, ...(tail as readonly Term[])];
  if (tail instanceof ImproperList) return new ImproperList([...head, ...tail.head], tail.tail);
  if (head.length === 0) return tail;
  return new ImproperList(head, tail);
}
