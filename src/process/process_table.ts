/**
 * ProcessTable: pid -> process, and the allocation of pids.
 *
 * A pid is `<0.Id.Serial>`: `id` indexes the table, `serial` tells apart the successive
 * processes that used that slot. Pids do not say where a process runs (DESIGN.md): the next
 * issue turns this table into a shared one that maps a pid to its scheduler.
 * Allocation: fresh ids 0, 1, 2, … up to `limit`; after that, freed ids are reused oldest-freed
 * first (FIFO), each reuse bumping the slot's serial, so a stale pid stays dead for as long as
 * possible (BEAM cycles through its pid space the same way). `limit` is the process limit
 * (erl's +P): allocating beyond it throws SYSTEM_LIMIT (Erlang's system_limit).
 *
 * Invariants: `count` processes are in the table; a slot is in the free queue iff it is empty
 *   and was used before; `lookup(pid)` answers only when node, id and serial all match. The
 *   node is the thread's current name (`localNode()`): pids made here are local pids, which
 *   follow the node's name through net_kernel:start/stop (src/term/pid.ts).
 * Threads: owned by one thread for now (see above); not thread-safe.
 * Ownership: holds each process from `insert` to `remove`.
 * Bad input: lookup of a pid from another node or with a stale serial returns undefined.
 */
import { BeamError, ErrorCode, InvalidArgumentError, describeValue } from '../errors/index.js';
import { localNode, Pid } from '../term/index.js';

/** Largest id and serial a local pid may carry (NEW_PID_EXT words are 32-bit; stay below 2^28 as Erlang does for ids). */
const MAX_ID = 2 ** 28;
const SERIAL_MODULO = 2 ** 31;

/** The default process limit (erl's +P is 262,144 by default; ours is larger since processes are cheap). */
export const DEFAULT_PROCESS_LIMIT = 1_048_576;

export interface TableEntry {
  readonly pid: Pid;
}

/** Where ids come from when several threads share one id space (src/process/cluster.ts). */
export interface IdSource {
  allocate(): { readonly id: number; readonly serial: number };
  release(id: number, serial: number): void;
}

export class ProcessTable<P extends TableEntry> {
  readonly #slots: Array<P | undefined> = [];
  readonly #serials: number[] = [];
  #free: number[] = [];
  #freeHead = 0;
  #nextFresh = 0;
  #count = 0;

  constructor(
    readonly creation: number,
    readonly limit: number = DEFAULT_PROCESS_LIMIT,
    /** A shared id space (many scheduler threads); undefined: this table allocates its own ids. */
    readonly ids: IdSource | undefined = undefined,
  ) {
    if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1 || limit > MAX_ID) {
      throw new InvalidArgumentError(`processLimit must be an integer from 1 to ${MAX_ID}; received ${describeValue(limit)}`);
    }
  }

  /** Processes in the table. */
  get count(): number {
    return this.#count;
  }

  /** A new pid for a process about to be inserted; throws SYSTEM_LIMIT when the table is full. */
  allocate(): Pid {
    if (this.ids !== undefined) {
      const { id, serial } = this.ids.allocate();
      this.#count++;
      return new Pid(localNode(), id, serial, this.creation);
    }
    if (this.#count >= this.limit) {
      throw new BeamError(ErrorCode.SYSTEM_LIMIT, `spawn: the process limit (${this.limit}) is reached; raise the VM's processLimit option`);
    }
    let id: number;
    if (this.#nextFresh < this.limit) {
      id = this.#nextFresh++;
      this.#serials[id] = 0;
    } else {
      id = this.#free[this.#freeHead++]!;
      if (this.#freeHead > 1024 && this.#freeHead * 2 > this.#free.length) {
        this.#free = this.#free.slice(this.#freeHead);
        this.#freeHead = 0;
      }
      this.#serials[id] = (this.#serials[id]! + 1) % SERIAL_MODULO;
    }
    this.#count++;
    return new Pid(localNode(), id, this.#serials[id]!, this.creation);
  }

  /** Puts the process for a pid from `allocate` into its slot. */
  insert(process: P): void {
    this.#slots[process.pid.id] = process;
  }

  /** Frees the slot of an exited process. */
  remove(process: P): void {
    const id = process.pid.id;
    if (this.#slots[id] !== process) return;
    this.#slots[id] = undefined;
    this.#count--;
    if (this.ids !== undefined) this.ids.release(id, process.pid.serial);
    else this.#free.push(id);
  }

  /** Takes a process out without freeing its id: it moves to another thread (migration). */
  detach(process: P): void {
    const id = process.pid.id;
    if (this.#slots[id] !== process) return;
    this.#slots[id] = undefined;
    this.#count--;
  }

  /** Puts in a process that moved here from another thread (its id is already allocated). */
  adopt(process: P): void {
    this.#slots[process.pid.id] = process;
    this.#count++;
  }

  /** The live process with this pid, or undefined. O(1). */
  lookup(pid: Pid): P | undefined {
    const proc = this.#slots[pid.id];
    if (proc === undefined) return undefined;
    const own = proc.pid;
    return own === pid || (own.serial === pid.serial && pid.creation === this.creation && pid.node === localNode()) ? proc : undefined;
  }

  /** Every live process, in id order. */
  *all(): IterableIterator<P> {
    for (const proc of this.#slots) if (proc !== undefined) yield proc;
  }
}
