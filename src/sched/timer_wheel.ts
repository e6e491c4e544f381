/**
 * TimerWheel: the timers of one scheduler (erlang:send_after/start_timer, `receive ... after`,
 * sleep), kept in a hierarchical timing wheel.
 *
 * The contract
 *   - `add(delayMs, payload)` sets a timer whose deadline is `clock.now() + delayMs` (absolute
 *     clock milliseconds, kept exactly as a float). `delayMs` is a non-negative integer, as in
 *     Erlang; 0 fires on the next `advance`. `addAt(deadline, payload)` takes the absolute
 *     deadline itself (for a caller that has read the clock already).
 *   - `advance(fire)` reads the clock once (`now`) and fires every timer whose deadline <= now,
 *     in deadline order, ties in insertion (id) order. A timer never fires early, whatever
 *     `tickMs` is: the wheel only narrows down where to look, the last bucket is checked
 *     against the exact deadline. Timers added by a fire callback never fire in the same
 *     advance (not even 0 ms ones: that keeps a callback that re-arms itself from looping
 *     forever); a timer cancelled by a fire callback does not fire even if it was due.
 *   - `cancel` / `remaining` answer the milliseconds left, rounded UP to an integer and never
 *     below 0: `max(0, ceil(deadline - now - 1e-6))` (the 1e-6 ms absorbs float noise from
 *     `(t + d) - t`), or `false` once the timer fired or was cancelled (erlang:cancel_timer,
 *     erlang:read_timer). A due timer not yet fired (cancelled from a callback of the same
 *     advance) answers 0.
 *   - `nextDeadline()` is the exact smallest pending deadline: the scheduler arms ONE setTimeout
 *     for it. (setTimeout may fire a little before it by performance.now(); then `advance` fires
 *     nothing and the scheduler arms again.)
 *
 * The design (Varghese & Lauck's hierarchical wheel, with absolute tick digits)
 *   Time is cut into ticks of `tickMs`: tick(x) = max(0, floor((x - origin) / tickMs)), where
 *   origin is the clock at construction. tick() is monotone, so a bucket of an earlier tick
 *   only holds earlier deadlines, and every deadline in a bucket whose tick is below tick(now)
 *   is <= now (no deadline comparison needed for those).
 *   `cur` is the wheel's position: every tick below `cur` has been processed and is empty. A
 *   tick number is read as base-64 digits; level l (0..5) has 64 slots, slot = digit l. A timer
 *   of tick T goes to the lowest level l at which T and `cur` agree on every digit above l; it
 *   sits in slot digit_l(T). So level 0 holds the ticks of the current 64-tick rotation, level
 *   1 those of the current 4096-tick rotation beyond it, and so on; level 5 reaches 2^36 ticks
 *   (2.2 years at 1 ms). Further timers wait in an unsorted overflow list.
 *   Invariants:
 *     (I1) every timer in the wheel has tick >= cur; at level l it agrees with cur on the
 *          digits above l, and its digit l is >= digit_l(cur) (> for l >= 1);
 *     (I2) a slot's bit in its level's 64-bit occupancy mask (two int32 words) is set iff
 *          the slot's list is non-empty;
 *     (I3) a timer is in exactly one place: a slot list, the overflow list, or the `due` list
 *          of the advance that is firing it; `byId` maps every timer not yet fired or
 *          cancelled to its node.
 *   Advancing to tick(now) jumps from event to event: the next occupied level-0 slot (collect
 *   its timers), else the first occupied slot of the lowest level having one (jump to that
 *   slot's first tick and cascade its timers to lower levels, which is where (I1) puts them),
 *   else the overflow (jump to the top rotation of its earliest timer and move that rotation's
 *   timers in). Empty stretches cost nothing, so a long pause (a clock jump) is cheap: the
 *   cost is O(levels) per event, plus at most 5 cascades per timer over its life.
 *   add and cancel are O(1) (doubly linked lists, a Map from id to node). The due timers are
 *   collected bucket by bucket, in tick order, and each bucket is sorted by (deadline, id) only
 *   when it is not already in order (a bucket mixes deadlines only with tickMs > 1, fractional
 *   clocks, or cascaded timers).
 *   Tick numbers can exceed 2^32, so digits are taken with division, not bit shifts; ticks are
 *   capped at 2^52 so they stay exact integers (a cap 142,000 years away at 1 ms).
 *
 * Threads: none. A TimerWheel belongs to the scheduler thread that created it and is never
 * shared; nothing here is atomic.
 * Ownership: the wheel holds each payload until the timer fires or is cancelled, then drops
 * its reference. `fire` receives the payload and may do anything except call `advance` again
 * on the same wheel (that throws). If `fire` throws, the timers of this advance that did not
 * fire yet stay pending (due; the next advance fires them) and the error propagates.
 * Bad input: a delay that is not a non-negative safe integer, a bad tickMs or clock, or a
 * non-function `fire` throw InvalidArgumentError naming the argument. Unknown ids (never
 * issued, fired, cancelled, or not even a number) answer `false`, as Erlang does for a
 * timer that is gone.
 */
import { BeamError, ErrorCode, InvalidArgumentError, describeValue } from '../errors/index.js';

/** A timer's id: a positive integer unique within its wheel (ids are never reused). */
export type TimerId = number & { readonly __brand: 'TimerId' };

/** A monotonic clock in milliseconds (performance.now() by default). */
export interface Clock {
  now(): number;
}

/** Bits per level: 64 slots a level. */
const SLOT_BITS = 6;
const SLOTS = 1 << SLOT_BITS;
const SLOT_MASK = SLOTS - 1;
/** Levels in the wheel; beyond LEVELS digits a timer waits in the overflow list. */
const LEVELS = 6;
/** SPAN[l] = ticks covered by one slot of level l; SPAN[l + 1] = one full rotation of level l. */
const SPAN: readonly number[] = Array.from({ length: LEVELS + 1 }, (_, l) => 2 ** (SLOT_BITS * l));
/** Ticks in one rotation of the top level: timers further than this from `cur`'s rotation overflow. */
const TOP_ROTATION = SPAN[LEVELS]!;
/** List index of the overflow list (slot lists are level * SLOTS + slot). */
const OVERFLOW = LEVELS * SLOTS;
/** Ticks are capped here so that they stay exact integers in a double. */
const MAX_TICK = 2 ** 52;
/** Float noise tolerated when rounding the time left up to whole milliseconds. */
const ROUNDING_SLACK_MS = 1e-6;

/** Where a node is. The values never leave this file. */
const PENDING = 0; // in a slot list or the overflow list
const DUE = 1; // collected by the running advance, not fired yet
const DONE = 2; // fired or cancelled

/** One timer. Monomorphic on purpose: the wheel makes many of them. */
class TimerNode<T> {
  /** List index while PENDING (slot list or OVERFLOW), else -1. */
  list = -1;
  prev: TimerNode<T> | null = null;
  next: TimerNode<T> | null = null;
  state = PENDING;

  constructor(
    readonly id: number,
    readonly deadline: number,
    public tick: number,
    public payload: T | undefined,
  ) {}
}

function byDeadlineThenId<T>(a: TimerNode<T>, b: TimerNode<T>): number {
  return a.deadline - b.deadline || a.id - b.id;
}

/** Index of the lowest set bit of a non-zero int32. */
function lowestBit(word: number): number {
  return 31 - Math.clz32(word & -word);
}

function defaultClock(): Clock {
  return { now: () => performance.now() };
}

export class TimerWheel<T> {
  readonly #clock: Clock;
  readonly #tickMs: number;
  /** Clock reading at construction: tick 0 starts here. */
  readonly #origin: number;
  /** The wheel's position: ticks below it are processed and empty (invariant I1). */
  #cur = 0;
  /** Slot lists (LEVELS × SLOTS) then the overflow list: heads and tails. */
  readonly #heads: Array<TimerNode<T> | null> = new Array<TimerNode<T> | null>(OVERFLOW + 1).fill(null);
  readonly #tails: Array<TimerNode<T> | null> = new Array<TimerNode<T> | null>(OVERFLOW + 1).fill(null);
  /** Occupancy: level l's slots 0..31 in word 2l, 32..63 in word 2l + 1 (invariant I2). */
  readonly #masks = new Int32Array(LEVELS * 2);
  /** Every timer not yet fired or cancelled (invariant I3). */
  readonly #byId = new Map<number, TimerNode<T>>();
  #nextId = 1;
  /** Smallest tick in the overflow list, valid when #overflowMinValid. */
  #overflowMinTick = 0;
  #overflowMinValid = true;
  /** Cached nextDeadline(); undefined value with valid flag means "no timer". */
  #nextDeadline: number | undefined = undefined;
  #nextDeadlineValid = true;
  /** The due list of the advance that is running, and its firing position. */
  #due: Array<TimerNode<T>> = [];
  #dueCursor = 0;
  #advancing = false;

  constructor(options: { clock?: Clock; tickMs?: number } = {}) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError(`TimerWheel: options must be an object; received ${describeValue(options)}`);
    }
    const clock = options.clock ?? defaultClock();
    if (clock === null || typeof clock !== 'object' || typeof clock.now !== 'function') {
      throw new InvalidArgumentError(
        `TimerWheel: options.clock must be an object with a now() method; received ${describeValue(clock)}`,
      );
    }
    const tickMs = options.tickMs ?? 1;
    if (typeof tickMs !== 'number' || !Number.isFinite(tickMs) || tickMs <= 0) {
      throw new InvalidArgumentError(
        `TimerWheel: options.tickMs must be a positive finite number of milliseconds; received ${describeValue(tickMs)}`,
      );
    }
    this.#clock = clock;
    this.#tickMs = tickMs;
    this.#origin = this.#readClock('constructor');
  }

  /** Timers not yet fired or cancelled (including due ones an advance has not fired yet). */
  get size(): number {
    return this.#byId.size;
  }

  /**
   * Schedules `payload` to fire after `delayMs` (a non-negative safe integer; 0 fires on the
   * next advance). O(1). Owner thread only.
   */
  add(delayMs: number, payload: T): TimerId {
    if (typeof delayMs !== 'number' || !Number.isSafeInteger(delayMs) || delayMs < 0) {
      throw new InvalidArgumentError(
        `TimerWheel.add: delayMs must be a non-negative integer number of milliseconds (at most ${Number.MAX_SAFE_INTEGER}); received ${describeValue(delayMs)}`,
      );
    }
    return this.#insert(this.#readClock('add') + delayMs, payload);
  }

  /**
   * Schedules `payload` to fire at the absolute clock time `deadline` (a finite number of clock
   * ms, as `clock.now()` reads; one in the past fires on the next advance). For a caller that
   * already read the clock and keeps the deadline (a process's reused receive timer,
   * src/process/receive.ts): it saves a clock read and knows the exact deadline. O(1).
   */
  addAt(deadline: number, payload: T): TimerId {
    if (typeof deadline !== 'number' || !Number.isFinite(deadline)) {
      throw new InvalidArgumentError(`TimerWheel.addAt: deadline must be a finite number of clock milliseconds; received ${describeValue(deadline)}`);
    }
    return this.#insert(deadline, payload);
  }

  #insert(deadline: number, payload: T): TimerId {
    const id = this.#nextId++;
    const node = new TimerNode<T>(id, deadline, Math.max(this.#cur, this.#tickOf(deadline)), payload);
    this.#place(node);
    this.#byId.set(id, node);
    if (this.#nextDeadlineValid && (this.#nextDeadline === undefined || deadline < this.#nextDeadline)) {
      this.#nextDeadline = deadline;
    }
    return id as TimerId;
  }

  /**
   * Cancels a timer; returns the ms that were left (>= 0, rounded up), or false if the id is
   * unknown, fired or already cancelled (erlang:cancel_timer). O(1). Owner thread only.
   */
  cancel(id: TimerId): number | false {
    const node = this.#byId.get(id);
    if (node === undefined) return false;
    const left = this.#left(node, this.#readClock('cancel'));
    if (node.state === PENDING) this.#unlink(node);
    node.state = DONE;
    node.payload = undefined;
    this.#byId.delete(id);
    if (this.#nextDeadlineValid && node.deadline === this.#nextDeadline) this.#nextDeadlineValid = false;
    return left;
  }

  /** Ms left (>= 0, rounded up), or false if unknown, fired or cancelled (erlang:read_timer). */
  remaining(id: TimerId): number | false {
    const node = this.#byId.get(id);
    if (node === undefined) return false;
    return this.#left(node, this.#readClock('remaining'));
  }

  /**
   * Fires every timer whose deadline <= clock.now() (read once), in deadline order, ties in
   * insertion order; returns how many fired. `fire` may add and cancel timers: added ones wait
   * for a later advance, cancelled ones do not fire. Calling advance from `fire` throws.
   * Amortised O(1) per timer plus O(levels) per occupied slot passed. Owner thread only.
   */
  advance(fire: (payload: T, id: TimerId) => void): number {
    if (typeof fire !== 'function') {
      throw new InvalidArgumentError(`TimerWheel.advance: fire must be a function; received ${describeValue(fire)}`);
    }
    if (this.#advancing) {
      throw new BeamError(
        ErrorCode.INVALID_ARGUMENT,
        'TimerWheel.advance: called from inside a fire callback of the same wheel; return from the callback and advance again instead',
      );
    }
    const now = this.#readClock('advance');
    const due = this.#due;
    this.#collectDue(now, due);
    if (due.length === 0) return 0;

    this.#advancing = true;
    this.#nextDeadlineValid = false;
    let fired = 0;
    let i = 0;
    let finished = false;
    try {
      for (; i < due.length; i++) {
        this.#dueCursor = i;
        const node = due[i]!;
        if (node.state !== DUE) continue; // cancelled by an earlier callback of this advance
        node.state = DONE;
        this.#byId.delete(node.id);
        const payload = node.payload as T;
        node.payload = undefined;
        fired++;
        fire(payload, node.id as TimerId);
      }
      finished = true;
    } finally {
      if (!finished) {
        // `fire` threw at due[i]: the timers after it were due and stay due. They go back into
        // the bucket of `cur`, where the next advance finds and (re)sorts them.
        for (let j = i + 1; j < due.length; j++) {
          const node = due[j]!;
          if (node.state !== DUE) continue;
          node.state = PENDING;
          node.tick = this.#cur;
          this.#place(node);
        }
      }
      due.length = 0;
      this.#dueCursor = 0;
      this.#advancing = false;
      this.#nextDeadlineValid = false;
    }
    return fired;
  }

  /**
   * Absolute time (clock ms) of the earliest pending timer, or undefined when there is none.
   * Exact (not a lower bound). Cached: O(1) unless the earliest timer fired or was cancelled.
   */
  nextDeadline(): number | undefined {
    if (this.#advancing) {
      // Called from a fire callback: the due timers not fired yet come first (they are sorted).
      for (let j = this.#dueCursor + 1; j < this.#due.length; j++) {
        const node = this.#due[j]!;
        if (node.state === DUE) {
          const inWheel = this.#wheelMinDeadline();
          return inWheel === undefined ? node.deadline : Math.min(node.deadline, inWheel);
        }
      }
      return this.#wheelMinDeadline();
    }
    if (!this.#nextDeadlineValid) {
      this.#nextDeadline = this.#wheelMinDeadline();
      this.#nextDeadlineValid = true;
    }
    return this.#nextDeadline;
  }

  /**
   * Drops every timer without firing it (a stopped scheduler); returns how many were dropped.
   * Their ids answer false from then on. From a fire callback it also drops the due timers not
   * fired yet. O(n). Owner thread only.
   */
  clear(): number {
    const dropped = this.#byId.size;
    for (const node of this.#byId.values()) {
      node.state = DONE;
      node.payload = undefined;
      node.prev = null;
      node.next = null;
      node.list = -1;
    }
    this.#byId.clear();
    this.#heads.fill(null);
    this.#tails.fill(null);
    this.#masks.fill(0);
    this.#overflowMinValid = true;
    this.#overflowMinTick = 0;
    this.#nextDeadline = undefined;
    this.#nextDeadlineValid = !this.#advancing;
    return dropped;
  }

  // ---- private -------------------------------------------------------------------------

  #readClock(where: string): number {
    const now = this.#clock.now();
    if (typeof now !== 'number' || !Number.isFinite(now)) {
      throw new InvalidArgumentError(
        `TimerWheel.${where}: clock.now() must return a finite number of milliseconds; received ${describeValue(now)}`,
      );
    }
    return now;
  }

  #tickOf(time: number): number {
    const tick = Math.floor((time - this.#origin) / this.#tickMs);
    return tick <= 0 ? 0 : tick >= MAX_TICK ? MAX_TICK : tick;
  }

  #left(node: TimerNode<T>, now: number): number {
    // Math.max(0, -0) is +0, so a due timer answers a plain 0.
    return Math.max(0, Math.ceil(node.deadline - now - ROUNDING_SLACK_MS));
  }

  /** Puts a PENDING node whose tick is >= cur into its slot (invariant I1) or the overflow. */
  #place(node: TimerNode<T>): void {
    const tick = node.tick;
    const cur = this.#cur;
    for (let level = 0; level < LEVELS; level++) {
      const rotation = SPAN[level + 1]!;
      if (Math.floor(tick / rotation) === Math.floor(cur / rotation)) {
        const slot = Math.floor(tick / SPAN[level]!) & SLOT_MASK;
        this.#link(node, level * SLOTS + slot);
        return;
      }
    }
    this.#link(node, OVERFLOW);
    if (this.#heads[OVERFLOW] === node) {
      this.#overflowMinTick = tick; // the list was empty: this is its minimum
      this.#overflowMinValid = true;
    } else if (this.#overflowMinValid && tick < this.#overflowMinTick) {
      this.#overflowMinTick = tick;
    }
  }

  #link(node: TimerNode<T>, list: number): void {
    const tail: TimerNode<T> | null = this.#tails[list];
    node.list = list;
    node.prev = tail;
    node.next = null;
    if (tail === null) {
      this.#heads[list] = node;
      if (list !== OVERFLOW) this.#setBit(list);
    } else {
      tail.next = node;
    }
    this.#tails[list] = node;
  }

  #unlink(node: TimerNode<T>): void {
    const list = node.list;
    const { prev, next } = node;
    if (prev === null) this.#heads[list] = next;
    else prev.next = next;
    if (next === null) this.#tails[list] = prev;
    else next.prev = prev;
    node.prev = null;
    node.next = null;
    node.list = -1;
    if (list === OVERFLOW) {
      if (node.tick === this.#overflowMinTick) this.#overflowMinValid = false;
    } else if (prev === null && next === null) {
      this.#clearBit(list);
    }
  }

  #setBit(list: number): void {
    const level = list >> SLOT_BITS;
    const slot = list & SLOT_MASK;
    this.#masks[2 * level + (slot >> 5)] |= 1 << (slot & 31);
  }

  #clearBit(list: number): void {
    const level = list >> SLOT_BITS;
    const slot = list & SLOT_MASK;
    this.#masks[2 * level + (slot >> 5)] &= ~(1 << (slot & 31));
  }

  /** First occupied slot >= from at `level`, or -1. */
  #nextOccupied(level: number, from: number): number {
    const low = this.#masks[2 * level]!;
    const high = this.#masks[2 * level + 1]!;
    if (from < 32) {
      const rest = low & (-1 << from);
      if (rest !== 0) return lowestBit(rest);
      return high !== 0 ? 32 + lowestBit(high) : -1;
    }
    const rest = high & (-1 << (from - 32));
    return rest !== 0 ? 32 + lowestBit(rest) : -1;
  }

  /**
   * The earliest occupied slot list (level * SLOTS + slot) from cur on, or -1 when the wheel
   * levels are empty. By (I1) it holds the earliest ticks of the wheel.
   */
  #earliestList(): number {
    const cur = this.#cur;
    for (let level = 0; level < LEVELS; level++) {
      const slot = this.#nextOccupied(level, Math.floor(cur / SPAN[level]!) & SLOT_MASK);
      if (slot >= 0) return level * SLOTS + slot;
    }
    return -1;
  }

  #overflowMin(): number {
    if (!this.#overflowMinValid) {
      let min = MAX_TICK;
      for (let node: TimerNode<T> | null = this.#heads[OVERFLOW]; node !== null; node = node.next) {
        if (node.tick < min) min = node.tick;
      }
      this.#overflowMinTick = min;
      this.#overflowMinValid = true;
    }
    return this.#overflowMinTick;
  }

  #wheelMinDeadline(): number | undefined {
    const list = this.#earliestList();
    let node: TimerNode<T> | null = list >= 0 ? this.#heads[list] : this.#heads[OVERFLOW];
    if (node === null) return undefined;
    let min = node.deadline;
    for (node = node.next; node !== null; node = node.next) {
      if (node.deadline < min) min = node.deadline;
    }
    return min;
  }

  /**
   * Moves the wheel to tick(now), appending every timer with deadline <= now to `due`, sorted
   * by (deadline, id). See the header for the event-to-event walk.
   */
  #collectDue(now: number, due: Array<TimerNode<T>>): void {
    const target = Math.max(this.#cur, this.#tickOf(now));
    for (;;) {
      const list = this.#earliestList();
      let eventTick: number;
      if (list >= 0) {
        const level = list >> SLOT_BITS;
        const rotation = SPAN[level + 1]!;
        eventTick = Math.floor(this.#cur / rotation) * rotation + (list & SLOT_MASK) * SPAN[level]!;
      } else if (this.#heads[OVERFLOW] !== null) {
        const nextRotation = (Math.floor(this.#cur / TOP_ROTATION) + 1) * TOP_ROTATION;
        eventTick = Math.max(nextRotation, Math.floor(this.#overflowMin() / TOP_ROTATION) * TOP_ROTATION);
      } else {
        this.#cur = target;
        return;
      }
      if (eventTick > target) {
        // Nothing occupied between cur and target: jumping keeps (I1), see the header.
        this.#cur = target;
        return;
      }
      this.#cur = eventTick;
      if (list < 0) {
        this.#pullOverflow();
      } else if (list >= SLOTS) {
        this.#cascade(list);
      } else if (eventTick < target) {
        this.#collectWholeBucket(list, due);
      } else {
        this.#collectDueInBucket(list, now, due);
        return; // the bucket of target was the last place a due timer could be
      }
    }
  }

  /** A level-0 bucket of a tick below tick(now): every timer in it is due. */
  #collectWholeBucket(list: number, due: Array<TimerNode<T>>): void {
    const start = due.length;
    let node: TimerNode<T> | null = this.#heads[list];
    this.#heads[list] = null;
    this.#tails[list] = null;
    this.#clearBit(list);
    while (node !== null) {
      const next: TimerNode<T> | null = node.next;
      node.prev = null;
      node.next = null;
      node.list = -1;
      node.state = DUE;
      due.push(node);
      node = next;
    }
    this.#sortFrom(due, start);
  }

  /** The level-0 bucket of tick(now) itself: only timers with deadline <= now are due. */
  #collectDueInBucket(list: number, now: number, due: Array<TimerNode<T>>): void {
    const start = due.length;
    let node: TimerNode<T> | null = this.#heads[list];
    while (node !== null) {
      const next: TimerNode<T> | null = node.next;
      if (node.deadline <= now) {
        this.#unlink(node);
        node.state = DUE;
        due.push(node);
      }
      node = next;
    }
    this.#sortFrom(due, start);
  }

  /** Sorts due[start..] by (deadline, id) unless it already is in that order. */
  #sortFrom(due: Array<TimerNode<T>>, start: number): void {
    for (let i = start + 1; i < due.length; i++) {
      if (byDeadlineThenId(due[i - 1]!, due[i]!) > 0) {
        const chunk = due.slice(start).sort(byDeadlineThenId);
        for (let j = 0; j < chunk.length; j++) due[start + j] = chunk[j]!;
        return;
      }
    }
  }

  /** cur has just reached the first tick of this slot: its timers move to lower levels. */
  #cascade(list: number): void {
    let node: TimerNode<T> | null = this.#heads[list];
    this.#heads[list] = null;
    this.#tails[list] = null;
    this.#clearBit(list);
    while (node !== null) {
      const next: TimerNode<T> | null = node.next;
      this.#place(node);
      node = next;
    }
  }

  /** cur has just reached a new top rotation: the overflow timers of that rotation move in. */
  #pullOverflow(): void {
    const rotation = Math.floor(this.#cur / TOP_ROTATION);
    let node: TimerNode<T> | null = this.#heads[OVERFLOW];
    while (node !== null) {
      const next: TimerNode<T> | null = node.next;
      if (Math.floor(node.tick / TOP_ROTATION) === rotation) {
        this.#unlink(node);
        this.#place(node);
      }
      node = next;
    }
  }
}
