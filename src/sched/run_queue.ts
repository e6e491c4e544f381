/**
 * RunQueue: the runnable processes of one scheduler, picked by BEAM's priority rules.
 *
 * The rules (erlang:process_flag(priority, Level) and ERTS erl_process.c)
 *   - `max` runs before everything else, `high` before `normal` and `low`: these two levels
 *     are strict, a lower level runs only while the higher queues are empty. Each is FIFO.
 *   - `normal` and `low` are interleaved: they share ONE FIFO queue, and a low item is run
 *     less often. ERTS does it with a per-process `schedule_count` (erl_process.c,
 *     enqueue_process / check_requeue_process): on enqueue a normal process gets 1 and a low
 *     process gets RESCHEDULE_LOW = 8 (erl_process.h). When the queue's head is picked its
 *     count is decremented; if the count is still > 0 and the head is not the last element,
 *     it is moved to the back (skipped) and the next head is looked at; otherwise it runs.
 *     So a low process is skipped 7 times and runs on its 8th turn at the head, i.e. it waits
 *     about 8 passes over the normal queue (1 normal + 1 low, both always runnable: 8 normal
 *     slices per low slice). A low process alone, or last, runs at once. The count is set
 *     again on every enqueue, so a low process that keeps being rescheduled never starves:
 *     each of its visits to the head brings it one step closer (starvation-freedom).
 *     Note the ERTS consequence: with many normal processes, the few low ones get less than
 *     1/8 of the slices; with many low ones and few normal ones, low ones get most of them.
 *   - Shuffle mode (tests; like Go's run-queue randomisation under -race): with `shuffleSeed`,
 *     each pick takes a pseudo-random element of the highest non-empty level (mulberry32 from
 *     the seed) instead of the head. The level rules hold, and a low item still needs
 *     RESCHEDULE_LOW picks to run. Same seed + same operations = same order.
 *
 * Data layout: three growable rings (power-of-two capacity, head index + length, never
 * Array.shift): `max`, `high`, and `normalLow` (the shared queue, which also stores each
 * element's priority code and schedule_count in parallel typed arrays). enqueue and dequeue are
 * O(1) amortised (a dequeue may skip low items, at most RESCHEDULE_LOW - 1 times per low
 * enqueue) and allocate nothing except when a ring doubles. remove and takeForSteal are O(n)
 * (as in ERTS, which walks the queue list to unlink a process).
 *
 * Threads: a RunQueue is owned by one scheduler thread and is not thread-safe; every method,
 * takeForSteal included, is executed only by the owner (a stealing scheduler asks the owner,
 * until a later issue moves the queue into shared memory).
 * Ownership: the queue holds references to the items it contains; a slot is cleared when its
 * item leaves, so a dequeued item is not kept alive. The same item may be enqueued twice (the
 * caller keeps a process queued at most once: ERTS's IN_RUNQ flag lives in the process);
 * remove then removes its oldest occurrence.
 * Bad input: a priority other than the four names, a bad `max`, a non-function `accept` or a
 * non-integer seed throw InvalidArgumentError naming the argument. `accept` must not touch the
 * queue; if it throws, the queue is left unchanged.
 */
import { InvalidArgumentError, describeValue } from '../errors/index.js';

/** An Erlang process priority (process_flag(priority, P)). */
export type Priority = 'low' | 'normal' | 'high' | 'max';

/** How many times a low-priority item reaches the head of the normal queue before it runs (ERTS: RESCHEDULE_LOW). */
export const RESCHEDULE_LOW = 8;

/** ERTS's numbering of priority levels (PRIORITY_MAX = 0 … PRIORITY_LOW = 3); never leaves this file. */
const MAX = 0;
const HIGH = 1;
const NORMAL = 2;
const LOW = 3;
const PRIORITY_NAMES: readonly Priority[] = ['max', 'high', 'normal', 'low'];

function priorityCode(priority: unknown, where: string): number {
  switch (priority) {
    case 'normal':
      return NORMAL;
    case 'low':
      return LOW;
    case 'high':
      return HIGH;
    case 'max':
      return MAX;
    default:
      throw new InvalidArgumentError(
        `RunQueue.${where}: priority must be one of 'low', 'normal', 'high', 'max'; received ${describeValue(priority)}`,
      );
  }
}

/** mulberry32: a tiny seeded PRNG with a 2^32 period; returns a float in [0, 1). */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

const INITIAL_CAPACITY = 16;

/**
 * A growable ring of items with a priority code and a schedule count per slot. Logical
 * position k (0 = front) lives at physical index (head + k) & mask.
 */
class Ring<T> {
  items: Array<T | undefined> = new Array<T | undefined>(INITIAL_CAPACITY).fill(undefined);
  codes = new Uint8Array(INITIAL_CAPACITY);
  counts = new Uint8Array(INITIAL_CAPACITY);
  mask = INITIAL_CAPACITY - 1;
  head = 0;
  length = 0;

  push(item: T, code: number, count: number): void {
    if (this.length > this.mask) this.#grow();
    const at = (this.head + this.length) & this.mask;
    this.items[at] = item;
    this.codes[at] = code;
    this.counts[at] = count;
    this.length++;
  }

  /** Removes and returns the front item; the ring must not be empty. */
  shift(): T {
    const at = this.head;
    const item = this.items[at] as T;
    this.items[at] = undefined;
    this.head = (at + 1) & this.mask;
    this.length--;
    return item;
  }

  /** Moves the front element to the back (the ring must not be empty). */
  rotate(): void {
    const from = this.head;
    const to = (from + this.length) & this.mask;
    if (to !== from) {
      this.items[to] = this.items[from];
      this.codes[to] = this.codes[from]!;
      this.counts[to] = this.counts[from]!;
      this.items[from] = undefined;
    }
    this.head = (from + 1) & this.mask;
  }

  index(k: number): number {
    return (this.head + k) & this.mask;
  }

  /** Swaps the element at logical position k with the front one. */
  swapWithFront(k: number): void {
    if (k === 0) return;
    const a = this.head;
    const b = this.index(k);
    const item = this.items[a];
    this.items[a] = this.items[b];
    this.items[b] = item;
    const code = this.codes[a]!;
    this.codes[a] = this.codes[b]!;
    this.codes[b] = code;
    const count = this.counts[a]!;
    this.counts[a] = this.counts[b]!;
    this.counts[b] = count;
  }

  /** Logical position of the first element equal to item (and of priority code, if given), or -1. */
  find(item: T, code: number): number {
    for (let k = 0; k < this.length; k++) {
      const at = this.index(k);
      if (this.items[at] === item && this.codes[at] === code) return k;
    }
    return -1;
  }

  #move(from: number, to: number): void {
    this.items[to] = this.items[from];
    this.codes[to] = this.codes[from]!;
    this.counts[to] = this.counts[from]!;
  }

  /** Removes the element at logical position k, keeping the order of the others. */
  removeAt(k: number): void {
    if (k < this.length >> 1) {
      // Shift the elements before k one step back, then drop the front.
      for (let j = k; j > 0; j--) this.#move(this.index(j - 1), this.index(j));
      this.items[this.head] = undefined;
      this.head = (this.head + 1) & this.mask;
    } else {
      for (let j = k; j < this.length - 1; j++) this.#move(this.index(j + 1), this.index(j));
      this.items[this.index(this.length - 1)] = undefined;
    }
    this.length--;
  }

  /** Removes the elements at the given ascending logical positions, keeping the others' order. */
  removeSorted(positions: readonly number[]): void {
    if (positions.length === 0) return;
    let write = positions[0]!;
    let next = 0;
    for (let read = write; read < this.length; read++) {
      if (next < positions.length && positions[next] === read) {
        next++;
        continue;
      }
      this.#move(this.index(read), this.index(write));
      write++;
    }
    for (let k = write; k < this.length; k++) this.items[this.index(k)] = undefined;
    this.length = write;
  }

  #grow(): void {
    const capacity = (this.mask + 1) * 2;
    const items = new Array<T | undefined>(capacity).fill(undefined);
    const codes = new Uint8Array(capacity);
    const counts = new Uint8Array(capacity);
    for (let k = 0; k < this.length; k++) {
      const at = this.index(k);
      items[k] = this.items[at];
      codes[k] = this.codes[at]!;
      counts[k] = this.counts[at]!;
    }
    this.items = items;
    this.codes = codes;
    this.counts = counts;
    this.mask = capacity - 1;
    this.head = 0;
  }
}

export class RunQueue<T> {
  readonly #max = new Ring<T>();
  readonly #high = new Ring<T>();
  /** normal and low items, interleaved by schedule_count (see the header). */
  readonly #normalLow = new Ring<T>();
  #lowCount = 0;
  /** The shuffle PRNG, or null in FIFO mode. */
  readonly #random: (() => number) | null;

  constructor(options: { shuffleSeed?: number } = {}) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError(`RunQueue: options must be an object; received ${describeValue(options)}`);
    }
    const seed = options.shuffleSeed;
    if (seed !== undefined && (typeof seed !== 'number' || !Number.isSafeInteger(seed))) {
      throw new InvalidArgumentError(
        `RunQueue: options.shuffleSeed must be an integer (or absent for FIFO order); received ${describeValue(seed)}`,
      );
    }
    this.#random = seed === undefined ? null : mulberry32(seed);
  }

  /** True when the queue picks pseudo-randomly within a priority level (shuffleSeed given). */
  get shuffled(): boolean {
    return this.#random !== null;
  }

  /** Items queued, all priorities. */
  get length(): number {
    return this.#max.length + this.#high.length + this.#normalLow.length;
  }

  /** Items queued at one priority. */
  lengthOf(priority: Priority): number {
    switch (priorityCode(priority, 'lengthOf')) {
      case MAX:
        return this.#max.length;
      case HIGH:
        return this.#high.length;
      case NORMAL:
        return this.#normalLow.length - this.#lowCount;
      default:
        return this.#lowCount;
    }
  }

  /** Queues item at the back of its priority's queue. O(1) amortised. Owner thread only. */
  enqueue(item: T, priority: Priority): void {
    switch (priorityCode(priority, 'enqueue')) {
      case MAX:
        this.#max.push(item, MAX, 1);
        return;
      case HIGH:
        this.#high.push(item, HIGH, 1);
        return;
      case NORMAL:
        this.#normalLow.push(item, NORMAL, 1);
        return;
      default:
        this.#normalLow.push(item, LOW, RESCHEDULE_LOW);
        this.#lowCount++;
    }
  }

  /** Next item to run by BEAM's rules (see the header), or undefined when empty. Owner thread only. */
  dequeue(): T | undefined {
    if (this.#max.length > 0) return this.#takeStrict(this.#max);
    if (this.#high.length > 0) return this.#takeStrict(this.#high);
    const ring = this.#normalLow;
    if (ring.length === 0) return undefined;
    const random = this.#random;
    for (;;) {
      if (random !== null) ring.swapWithFront(Math.floor(random() * ring.length));
      const front = ring.head;
      // ERTS check_requeue_process: a low item is skipped until its count runs out, unless
      // it is the only (last) element.
      const left = --ring.counts[front];
      if (left > 0 && ring.length > 1) {
        ring.rotate();
        continue;
      }
      if (ring.codes[front] === LOW) this.#lowCount--;
      return ring.shift();
    }
  }

  /**
   * Removes the oldest queued occurrence of item at that priority (a process that exited or
   * migrated); returns whether it was found. O(n). Owner thread only.
   */
  remove(item: T, priority: Priority): boolean {
    const code = priorityCode(priority, 'remove');
    const ring = code === MAX ? this.#max : code === HIGH ? this.#high : this.#normalLow;
    const k = ring.find(item, code);
    if (k < 0) return false;
    ring.removeAt(k);
    if (code === LOW) this.#lowCount--;
    return true;
  }

  /**
   * For work stealing: removes and returns up to `max` items, taken from the END (newest first)
   * of the normal/low queue, for which accept(item, priority) is true. The result is in queue
   * order (oldest first), so the thief can enqueue it as is; max/high items are never stolen.
   * `accept` is called before anything is removed; it must not use this queue. O(n).
   * Executed only by the owner thread for now.
   */
  takeForSteal(max: number, accept: (item: T, priority: Priority) => boolean): T[] {
    if (typeof max !== 'number' || !Number.isSafeInteger(max) || max < 0) {
      throw new InvalidArgumentError(
        `RunQueue.takeForSteal: max must be a non-negative integer; received ${describeValue(max)}`,
      );
    }
    if (typeof accept !== 'function') {
      throw new InvalidArgumentError(
        `RunQueue.takeForSteal: accept must be a function; received ${describeValue(accept)}`,
      );
    }
    const ring = this.#normalLow;
    const positions: number[] = [];
    for (let k = ring.length - 1; k >= 0 && positions.length < max; k--) {
      const at = ring.index(k);
      if (accept(ring.items[at] as T, PRIORITY_NAMES[ring.codes[at]!]!)) positions.push(k);
    }
    if (positions.length === 0) return [];
    positions.reverse();
    const taken = new Array<T>(positions.length);
    for (let j = 0; j < positions.length; j++) {
      const at = ring.index(positions[j]!);
      taken[j] = ring.items[at] as T;
      if (ring.codes[at] === LOW) this.#lowCount--;
    }
    ring.removeSorted(positions);
    return taken;
  }

  #takeStrict(ring: Ring<T>): T {
    const random = this.#random;
    if (random !== null) ring.swapWithFront(Math.floor(random() * ring.length));
    return ring.shift();
  }
}
