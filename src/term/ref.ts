/**
 * References (`make_ref()`).
 *
 * `ids` holds the reference's 32-bit words as NEWER_REFERENCE_EXT orders them (least
 * significant first; OTP 25 makes 3 words for ordinary references, up to 5 for others).
 *
 * Invariants: immutable; `ids` has 1 to 5 elements and never changes. `new Ref(…, ids)` keeps
 * a frozen copy; `adoptRef` (make_ref, the decoder) takes an array nobody else holds, without
 * the copy and freeze (see tuple.ts for why).
 *
 * Thread-safety: immutable; references cross threads as encoded terms.
 */
import { Atom } from './atom.js';

let adopting = false;

export class Ref {
  readonly ids: readonly number[];

  constructor(
    readonly node: Atom,
    readonly creation: number,
    ids: readonly number[],
  ) {
    this.ids = adopting || Object.isFrozen(ids) ? ids : Object.freeze(ids.slice());
  }

  /**
   * True when both are the same reference. As in erl, missing high words count as
   * zero: ids [1,2,3] and [1,2,3,0] are the same reference (=:=).
   */
  equals(other: Ref): boolean {
    if (this === other) return true;
    if (this.node !== other.node || this.creation !== other.creation) return false;
    const a = this.ids;
    const b = other.ids;
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return false;
    return true;
  }
}

/** A reference that takes `ids` itself (no copy, no freeze); never mutate the array afterwards. */
export function adoptRef(node: Atom, creation: number, ids: readonly number[]): Ref {
  adopting = true;
  const ref = new Ref(node, creation, ids); // the constructor cannot throw
  adopting = false;
  return ref;
}
