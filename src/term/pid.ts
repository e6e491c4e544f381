/**
 * Process identifiers.
 *
 * A pid names a process, not a place: `id` is an index in the node's process table and
 * `serial` tells apart successive processes that reused that index, so a process can
 * move between schedulers without its pid changing. Remote pids are ordinary `Pid`
 * values whose `node` is another node's name.
 *
 * Fields follow NEW_PID_EXT of the External Term Format: `id` and `serial` are 32-bit
 * words (Erlang uses 28 and 3 bits for local pids, but accepts 32 from other nodes),
 * `creation` is the node incarnation (32 bits).
 *
 * Invariants: immutable; two pids are the same process iff all four fields are equal.
 *
 * Thread-safety: immutable; pids cross threads as encoded terms.
 */
import { Atom } from './atom.js';

export class Pid {
  constructor(
    readonly node: Atom,
    readonly id: number,
    readonly serial: number,
    readonly creation: number,
  ) {}

  /** True when both pids name the same process. */
  equals(other: Pid): boolean {
    return (
      this === other ||
      (this.id === other.id && this.serial === other.serial && this.node === other.node && this.creation === other.creation)
    );
  }
}
