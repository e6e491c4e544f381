/**
 * The process directory: the table every thread of a VM shares that maps a pid's id to its
 * home thread and liveness (DESIGN.md: pids are location-independent; a pid never encodes its
 * thread). It also hands out pid ids and serials, so a pid is unique across threads.
 *
 * Shared layout (one SharedArrayBuffer; Int32 words; `capacity` = the VM's process limit):
 *
 * | offset             | bytes        | field          | written by                     | read by     | access |
 * |-------------------:|-------------:|----------------|--------------------------------|-------------|--------|
 * |                  0 |            4 | lock           | allocate/release (any thread)  | same        | Atomics.compareExchange 0->1, Atomics.store 0 |
 * |                  4 |            4 | free top       | under the lock                 | under the lock | plain |
 * |                  8 |            4 | alive count    | publishAlive / release          | anyone      | Atomics.add / sub / load |
 * |                 12 |            4 | capacity       | creator, once                  | anyone      | plain (before sharing) |
 * |                 64 | capacity * 8 | slots          | see below                      | anyone      | |
 * | 64 + capacity * 8  | capacity * 4 | free stack     | under the lock                 | under the lock | plain |
 *
 * Slot of id i (two words at byte 64 + 8 i):
 *
 * | word | field  | meaning                                                        | access |
 * |-----:|--------|----------------------------------------------------------------|--------|
 * |    0 | state  | 0 free; -1 allocated, not alive yet; h + 1: alive, home thread h | Atomics.store / Atomics.load |
 * |    1 | serial | bumped (mod 2^31) each time the id is allocated                 | written under the lock before the state; Atomics.load |
 *
 * Ordering: `allocate` writes the serial, then Atomics.stores the state -1; `publishAlive`
 * Atomics.stores h + 1; `lookup` Atomics.loads the state, then the serial: a reader that sees
 * "alive" also sees the serial written before it (Atomics are sequentially consistent), so a
 * stale pid (an older serial) is never mistaken for the new process. `release` stores 0 under
 * the lock and pushes the id on the free stack; the id's next allocation bumps the serial.
 *
 * Threads: every method may be called from any thread. The lock guards only the free stack and
 * the free/allocated transitions (a few loads and stores): it is a spin lock, which is fine for
 * sections this short; lookups take no lock. At 64 schedulers spawning at once it is the first
 * thing to replace (per-thread id caches), measured by the spawn benchmark when it matters.
 * Bad input: allocation beyond the capacity throws SYSTEM_LIMIT naming the limit; a lookup of
 * an id out of range answers -1.
 */
import { BeamError, ErrorCode, InvalidArgumentError, describeValue } from '../errors/index.js';

const LOCK = 0;
const FREE_TOP = 1;
const ALIVE = 2;
const CAPACITY = 3;
/** Int32 index of slot 0 (byte offset 64). */
const SLOTS = 16;
/** Largest capacity (pid ids are below 2^28, as Erlang's). */
export const MAX_DIRECTORY_CAPACITY = 2 ** 28;

/** Byte length of a directory of `capacity` ids. */
export function directoryByteLength(capacity: number): number {
  return (SLOTS + capacity * 3) * 4;
}

function spinLock(words: Int32Array): void {
  while (Atomics.compareExchange(words, LOCK, 0, 1) !== 0) {
    // A few loads and stores are held under this lock: spinning costs less than sleeping.
  }
}

export class ProcessDirectory {
  readonly buffer: SharedArrayBuffer;
  readonly capacity: number;
  readonly #words: Int32Array;
  readonly #stack: number;

  /** Creates a directory for `capacity` processes (the VM's process limit). */
  static create(capacity: number): ProcessDirectory {
    if (!Number.isSafeInteger(capacity) || capacity < 1 || capacity > MAX_DIRECTORY_CAPACITY) {
      throw new InvalidArgumentError(`process directory: capacity must be an integer from 1 to ${MAX_DIRECTORY_CAPACITY}; received ${describeValue(capacity)}`);
    }
    const buffer = new SharedArrayBuffer(directoryByteLength(capacity));
    const words = new Int32Array(buffer);
    words[CAPACITY] = capacity;
    const stack = SLOTS + capacity * 2;
    for (let i = 0; i < capacity; i++) words[stack + i] = capacity - 1 - i; // lowest ids on top
    words[FREE_TOP] = capacity;
    return new ProcessDirectory(buffer);
  }

  /** Attaches to a directory made by `create` in another thread. */
  constructor(buffer: SharedArrayBuffer) {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < (SLOTS + 3) * 4) {
      throw new InvalidArgumentError(`process directory: expected its SharedArrayBuffer; received ${describeValue(buffer)}`);
    }
    this.buffer = buffer;
    this.#words = new Int32Array(buffer);
    this.capacity = this.#words[CAPACITY]!;
    this.#stack = SLOTS + this.capacity * 2;
  }

  /** A fresh id and serial (state: allocated, not alive). SYSTEM_LIMIT when every id is taken. */
  allocate(): { readonly id: number; readonly serial: number } {
    const w = this.#words;
    spinLock(w);
    const top = w[FREE_TOP]!;
    if (top === 0) {
      Atomics.store(w, LOCK, 0);
      throw new BeamError(ErrorCode.SYSTEM_LIMIT, `spawn: the process limit (${this.capacity}) is reached; raise the VM's processLimit option`);
    }
    const id = w[this.#stack + top - 1]!;
    w[FREE_TOP] = top - 1;
    const slot = SLOTS + id * 2;
    const serial = (w[slot + 1]! + 1) & 0x7fffffff;
    Atomics.store(w, slot + 1, serial);
    Atomics.store(w, slot, -1);
    Atomics.store(w, LOCK, 0);
    return { id, serial };
  }

  /** The allocated process now lives on thread `home` and receives signals. */
  publishAlive(id: number, serial: number, home: number): void {
    const slot = SLOTS + id * 2;
    if (Atomics.load(this.#words, slot + 1) !== serial) return;
    Atomics.store(this.#words, slot, home + 1);
    Atomics.add(this.#words, ALIVE, 1);
  }

  /** The home thread of a live pid, or -1 (never allocated, not alive yet, dead, or stale serial). */
  lookup(id: number, serial: number): number {
    if (!(id >= 0 && id < this.capacity)) return -1;
    const slot = SLOTS + id * 2;
    const state = Atomics.load(this.#words, slot);
    if (state <= 0 || Atomics.load(this.#words, slot + 1) !== serial) return -1;
    return state - 1;
  }

  /** The process exited (or its spawn failed): the id goes back to the free stack. */
  release(id: number, serial: number): void {
    if (!(id >= 0 && id < this.capacity)) return;
    const w = this.#words;
    const slot = SLOTS + id * 2;
    spinLock(w);
    const state = w[slot]!;
    if (w[slot + 1] === serial && state !== 0) {
      if (state > 0) Atomics.sub(w, ALIVE, 1);
      Atomics.store(w, slot, 0);
      w[this.#stack + w[FREE_TOP]!] = id;
      w[FREE_TOP] = w[FREE_TOP]! + 1;
    }
    Atomics.store(w, LOCK, 0);
  }

  /** Every live process (id, serial). O(capacity): for processes() and tools, not hot paths. */
  alive(): Array<{ readonly id: number; readonly serial: number }> {
    const out: Array<{ id: number; serial: number }> = [];
    const w = this.#words;
    for (let id = 0; id < this.capacity; id++) {
      const slot = SLOTS + id * 2;
      if (Atomics.load(w, slot) > 0) out.push({ id, serial: Atomics.load(w, slot + 1) });
    }
    return out;
  }

  /** Live processes. */
  aliveCount(): number {
    return Atomics.load(this.#words, ALIVE);
  }
}
