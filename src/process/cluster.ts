/**
 * Cluster: what a Runtime needs from the other scheduler threads of its VM. The process layer
 * sees the other threads only through this interface: it allocates pids from a shared id space,
 * asks where a pid lives, hands signals for processes of other threads to their thread, and
 * registers names in a table every thread shares.
 *
 * One VM, one thread (`schedulers: 1`): the Runtime has no Cluster; its own process table
 * allocates ids, `LocalNames` holds the names, and every pid is either local or dead.
 * Many threads: src/vm/ builds a Cluster per thread over shared memory (the process directory,
 * the name table, the scheduler mesh of rings in src/shm). A pid never encodes its thread
 * (DESIGN.md: pids are location-independent); `locate` asks the shared directory.
 *
 * Ordering (DESIGN.md: between any pair of processes, signals arrive in the order sent): a
 * Runtime hands every signal for another thread to `forward` in the order it handles them, and
 * the Cluster carries the signals from one thread to another in one FIFO (a ring per ordered
 * pair of threads, drained in order by the receiver). Since a process lives on one thread at a
 * time, the signals of one sender to one receiver take one path, in order.
 *
 * Threads: a Cluster object belongs to one thread (its Runtime's); what it shares lives in
 * SharedArrayBuffers, whose rules are in the files that own them.
 */
import type { Atom, Pid, Ref, Term } from '../term/index.js';
import type { Signal } from './signals.js';

/** The process-id space and the routes between the threads of one VM. */
export interface Cluster {
  /** This thread's endpoint index (its scheduler index; the main thread has one too). */
  readonly self: number;
  /** A fresh id and serial for a process that will live on this thread; SYSTEM_LIMIT when none is left. */
  allocate(): { readonly id: number; readonly serial: number };
  /** The process with this id and serial now lives on this thread and receives signals. */
  publish(id: number, serial: number): void;
  /** The process exited: signals to it are dropped from now on, and its id may be reused. */
  release(id: number, serial: number): void;
  /** Where `pid` lives: an endpoint index (possibly `self`), or -1 when it is not alive. */
  locate(pid: Pid): number;
  /** Hands a signal to endpoint `endpoint`, which holds the signal's target. */
  forward(signal: Signal, endpoint: number): void;
  /** The names every thread shares. */
  readonly names: NameRegistry;
  /** Pids of every live process of the VM, on every thread. */
  allPids(): Pid[];
  /** Number of live processes of the VM, on every thread. */
  aliveCount(): number;
  /**
   * Asks endpoint `endpoint` for process_info(pid, items) on behalf of process `replyTo`: the
   * answer arrives as the message {'$beamjs_info', Ref, Result} (OTP 21+ does the same: a
   * process_info of another process is a signal and a reply).
   */
  askInfo(endpoint: number, pid: Pid, items: Term, replyTo: Pid, ref: Ref): void;
}

/** register/unregister/whereis/registered, atomically for every thread of a VM. */
export interface NameRegistry {
  /** The pid registered as `name`, or undefined. */
  whereis(name: Atom): Pid | undefined;
  /** Registers `name` for `pid`; false when the name is taken. */
  register(name: Atom, pid: Pid): boolean;
  /** Frees `name`; returns the pid that held it, or undefined when it was not registered. */
  unregister(name: Atom): Pid | undefined;
  /** Frees `name` only if `pid` holds it (a dying process frees its own name, never a successor's). */
  unregisterIfOwner(name: Atom, pid: Pid): void;
  /** The name `pid` is registered as, or undefined. */
  nameOf(pid: Pid): Atom | undefined;
  /** Every registered name. */
  registered(): Atom[];
  /** Drops every name (VM stop). */
  clear(): void;
}

/** The names of a one-thread VM: two maps. */
export class LocalNames implements NameRegistry {
  readonly #byName = new Map<Atom, Pid>();
  readonly #byPid = new Map<Pid, Atom>();

  whereis(name: Atom): Pid | undefined {
    return this.#byName.get(name);
  }

  register(name: Atom, pid: Pid): boolean {
    if (this.#byName.has(name)) return false;
    this.#byName.set(name, pid);
    this.#byPid.set(pid, name);
    return true;
  }

  unregister(name: Atom): Pid | undefined {
    const pid = this.#byName.get(name);
    if (pid === undefined) return undefined;
    this.#byName.delete(name);
    this.#byPid.delete(pid);
    return pid;
  }

  unregisterIfOwner(name: Atom, pid: Pid): void {
    const owner = this.#byName.get(name);
    if (owner !== undefined && owner.equals(pid)) this.unregister(name);
  }

  nameOf(pid: Pid): Atom | undefined {
    const name = this.#byPid.get(pid);
    if (name !== undefined) return name;
    for (const [candidate, owner] of this.#byName) if (owner.equals(pid)) return candidate;
    return undefined;
  }

  registered(): Atom[] {
    return [...this.#byName.keys()];
  }

  clear(): void {
    this.#byName.clear();
    this.#byPid.clear();
  }
}
