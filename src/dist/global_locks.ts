/**
 * The lock table of this node's global_name_server: global:set_lock/del_lock as global.erl
 * keeps them (its ETS table global_locks), for the locks other nodes' processes — and this
 * node's global server and locker — take on this node.
 *
 * A lock is {ResourceId, LockRequesterId}. A resource is held by one requester id at a time,
 * by any number of pids that asked with that same id (global.erl can_set_lock/insert_lock):
 *
 * | resource state                      | set_lock({R, Id}) by Pid | del_lock({R, Id}) by Pid     |
 * |-------------------------------------|--------------------------|------------------------------|
 * | free                                | true: held by Id, [Pid]  | nothing                      |
 * | held by Id                          | true: Pid added (once)   | Pid removed; free when none  |
 * | held by another requester id        | false                    | nothing                      |
 *
 * Holders that die release their locks: the owner (global.ts) calls dropHolder when a monitor
 * of a remote holder fires and dropNode when a node goes down.
 *
 * Threads: main thread only (the bridge's); no shared memory.
 */
import { Pid, equals, type Term } from '../term/index.js';

interface Lock {
  readonly resource: Term;
  readonly requester: Term;
  readonly holders: Pid[];
}

export class GlobalLocks {
  /** Locks by a key of the resource id (Term keys compared with equals inside a bucket). */
  readonly #locks: Lock[] = [];

  #find(resource: Term): Lock | undefined {
    for (const lock of this.#locks) if (equals(lock.resource, resource)) return lock;
    return undefined;
  }

  /** can_set_lock: could {resource, requester} be set now (free, or held by the same requester id)? */
  canSet(resource: Term, requester: Term): boolean {
    const lock = this.#find(resource);
    return lock === undefined || equals(lock.requester, requester);
  }

  /** set_lock on this node for `holder`: true when set (or already held by it), false when held by another requester. */
  set(resource: Term, requester: Term, holder: Pid): boolean {
    const lock = this.#find(resource);
    if (lock === undefined) {
      this.#locks.push({ resource, requester, holders: [holder] });
      return true;
    }
    if (!equals(lock.requester, requester)) return false;
    if (!lock.holders.some((p) => p.equals(holder))) lock.holders.push(holder);
    return true;
  }

  /** del_lock on this node for `holder` (a lock of another requester id is left alone). */
  delete(resource: Term, requester: Term, holder: Pid): void {
    const lock = this.#find(resource);
    if (lock === undefined || !equals(lock.requester, requester)) return;
    const at = lock.holders.findIndex((p) => p.equals(holder));
    if (at >= 0) lock.holders.splice(at, 1);
    if (lock.holders.length === 0) this.#locks.splice(this.#locks.indexOf(lock), 1);
  }

  /** A holder died: every lock it held loses it. */
  dropHolder(holder: Pid): void {
    for (const lock of [...this.#locks]) {
      const at = lock.holders.findIndex((p) => p.equals(holder));
      if (at < 0) continue;
      lock.holders.splice(at, 1);
      if (lock.holders.length === 0) this.#locks.splice(this.#locks.indexOf(lock), 1);
    }
  }

  /** A node went down: its processes' locks go. */
  dropNode(node: Term): void {
    for (const lock of [...this.#locks]) {
      for (let i = lock.holders.length - 1; i >= 0; i--) if (lock.holders[i]!.node === node) lock.holders.splice(i, 1);
      if (lock.holders.length === 0) this.#locks.splice(this.#locks.indexOf(lock), 1);
    }
  }

  /** True when `resource` is locked (is_lock_set). */
  isSet(resource: Term): boolean {
    return this.#find(resource) !== undefined;
  }

  /** Whether `holder` holds some lock (so its monitor is still needed). */
  holds(holder: Pid): boolean {
    return this.#locks.some((lock) => lock.holders.some((p) => p.equals(holder)));
  }

  /** For tests and info: [resource, requester, holders] of every lock. */
  list(): [Term, Term, Pid[]][] {
    return this.#locks.map((l) => [l.resource, l.requester, [...l.holders]]);
  }
}
