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
 * Local references have no node name of their own, as local pids (see pid.ts): `home` is
 * undefined and `node` reads this node's current name, so a ref made before net_kernel:start
 * (a monitor's, a timer's) is still this node's after it.
 *
 * Thread-safety: immutable; references cross threads as encoded terms.
 */
import { Atom } from './atom.js';
import { isLocalNodeName, localNode } from './node_name.js';

let adopting = false;

export class Ref {
  readonly ids: readonly number[];
  /** The node's name for a ref of another node; undefined for a local ref (see pid.ts). */
  readonly home: Atom | undefined;

  constructor(
    node: Atom,
    readonly creation: number,
    ids: readonly number[],
  ) {
    this.home = creation === 0 && isLocalNodeName(node) ? undefined : node;
    this.ids = adopting || Object.isFrozen(ids) ? ids : Object.freeze(ids.slice());
  }

  /** The node that made the reference: this node's current name for a local ref. */
  get node(): Atom {
    return this.home ?? localNode();
  }

  /**
   * True when both are the same reference. As in erl, missing high words count as
   * zero: ids [1,2,3] and [1,2,3,0] are the same reference (=:=).
   */
  equals(other: Ref): boolean {
    if (this === other) return true;
    if (this.creation !== other.creation || (this.home !== other.home && this.node !== other.node)) return false;
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
