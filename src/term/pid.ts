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
 * Local pids and the node's name. As in OTP, a local pid has no name of its own: its
 * `node` is whatever this node is called now (node_name.ts `localNode()`), so a pid made
 * before net_kernel:start reports the new name afterwards, and `nonode@nohost` again after
 * net_kernel:stop. The constructor decides: creation 0 with a name `isLocalNodeName` knows
 * makes a local pid (`home` undefined); anything else keeps its name in `home`. The `node`
 * getter is one property read and a fallback; the send path (src/process/signals.ts) reads
 * `home` itself: undefined is a local pid, with no name to compare.
 *
 * Invariants: immutable; two pids are the same process iff id, serial, creation and `node`
 * are equal (`node` as read now: a pid that kept the name X with creation 0, because it was
 * made before X was this node's, equals the local one while this node is X).
 *
 * Thread-safety: immutable; pids cross threads as encoded terms. `node` of a local pid
 * reads the thread-local name: the same pid on two threads reads the same name once both
 * have taken it (src/vm.ts renames every thread before it reports a rename done).
 */
import { Atom } from './atom.js';
import { isLocalNodeName, localNode } from './node_name.js';

export class Pid {
  /** The node's name for a pid of another node; undefined for a local pid (see the header). */
  readonly home: Atom | undefined;

  constructor(
    node: Atom,
    readonly id: number,
    readonly serial: number,
    readonly creation: number,
  ) {
    this.home = creation === 0 && isLocalNodeName(node) ? undefined : node;
  }

  /** The node of the process: this node's current name for a local pid. */
  get node(): Atom {
    return this.home ?? localNode();
  }

  /** True when both pids name the same process. */
  equals(other: Pid): boolean {
    return (
      this === other ||
      (this.id === other.id && this.serial === other.serial && this.creation === other.creation && (this.home === other.home || this.node === other.node))
    );
  }
}
