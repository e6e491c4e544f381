/**
 * Scheduler: runs the runnable processes of one thread, slice by slice, and keeps the Node
 * event loop turning.
 *
 * What a scheduler owns
 *   - a RunQueue of `Schedulable`s (BEAM's priority rules, see run_queue.ts);
 *   - a TimerWheel of `TimerTask`s (receive timeouts, sleep, send_after, start_timer), armed
 *     on the event loop with ONE setTimeout for the earliest deadline, never one per timer;
 *   - the loop itself, which never runs synchronously for long.
 * It knows nothing of mailboxes, links or pids: a `Schedulable` is "something that can run one
 * slice". src/process implements it for processes (the slice = resume the generator until it
 * suspends or spends its reduction budget).
 *
 * The loop (one "batch")
 *   1. fire due timers (they may make processes runnable);
 *   2. dequeue and run slices until the queue is empty or `batchMs` of wall time has passed;
 *      after each slice the scheduler reads the shared coarse clock (a memory read, see
 *      coarse_clock.ts) and reads the real clock only when the coarse one moved (or every
 *      REAL_CLOCK_EVERY slices, a safety net); until the ticker thread runs, it reads its own
 *      clock after every slice. A slice longer than `longScheduleMs` is reported to
 *      `onLongSchedule` (BEAM's system_monitor long_schedule);
 *   3. if work is left, continue with setImmediate (I/O callbacks, promise continuations and
 *      other VMs get their turn between batches); else arm the single setTimeout for the next
 *      timer deadline (or nothing at all) and busy wait (busy_wait.ts: the event loop keeps
 *      turning without sleeping for up to `busyWait` µs, so work that arrives soon runs without
 *      a wake-up), then `onIdle`: an idle scheduler costs no CPU.
 *   A process made runnable while the scheduler is idle (a promise settled, the embedding API
 *   sent a message) wakes it with one setImmediate; `#wakeScheduled` keeps that to one.
 *
 * Fairness: JS cannot preempt. A process gives up the thread at its yield points; its reduction
 * budget (src/process/process.ts, cost model in its header) makes a process that is always
 * ready yield after about `REDUCTION_BUDGET` reductions, and `batchMs` bounds how long the
 * event loop waits. A process that computes without yielding holds the thread; it is reported
 * as a long schedule, it is not stopped.
 *
 * Invariants: an item is in the run queue at most once (`item.queued` is the IN_RUNQ flag,
 * owned by this file); `run` is never re-entered (a Schedulable must not call `runPending`).
 * Threads: a Scheduler belongs to the thread that made it (the next issue starts one per worker
 * thread); nothing here is shared or atomic. Every method is executed only by the owner thread.
 * Ownership: the scheduler holds references to queued items and timer payloads until they run
 * or are cancelled; `stop()` drops them all and clears the event-loop handles so Node can exit.
 * Bad input: invalid options throw InvalidArgumentError naming the option; a slice that throws
 * is a bug of the Schedulable (src/process catches everything a process throws): the error is
 * reported to `onInternalError` and the loop goes on.
 */
import { BeamError, ErrorCode, InvalidArgumentError, describeValue } from '../errors/index.js';
import { RunQueue, type Priority } from './run_queue.js';
import { BusyWait, busyWaitMicros, DEFAULT_BUSY_WAIT, type BusyWaitThreshold } from './busy_wait.js';
import { absoluteMs, advanceTo, coarseClockWords, enterBusy, leaveBusy, NOW_MS, TICKING } from './coarse_clock.js';
import { TimerWheel, type Clock, type TimerId } from './timer_wheel.js';

/** Every this many slices, the batch deadline is also checked with the real clock (a safety net). */
const REAL_CLOCK_EVERY = 1024;

/** Something the scheduler can run for one slice (a process). */
export interface Schedulable {
  /** Current priority; read at enqueue time. */
  readonly priority: Priority;
  /** IN_RUNQ flag: true while the item sits in the run queue. Written only by the Scheduler. */
  queued: boolean;
  /** Runs one slice. Must not throw (a throw is reported as an internal error). */
  runSlice(): void;
}

/** A timer's payload: `fire` runs on the scheduler thread when the timer is due. */
export interface TimerTask {
  fire(): void;
}

export interface SchedulerOptions {
  /** Seeded shuffle of the run queue (tests: replayable interleavings). */
  readonly shuffleSeed?: number;
  /** Wall time in ms after which a batch of slices returns to the event loop. Default 4. */
  readonly batchMs?: number;
  /** A slice longer than this (ms) is reported to onLongSchedule. Default 100. */
  readonly longScheduleMs?: number;
  /** Called for each long slice, after the slice ended. */
  readonly onLongSchedule?: (item: Schedulable, durationMs: number) => void;
  /** Called when a slice or a timer task throws (a bug: processes catch their own errors). */
  readonly onInternalError?: (error: unknown) => void;
  /**
   * Called at the start of every batch, before timers and slices (a scheduler thread drains
   * the signals other threads sent it here).
   */
  readonly beforeBatch?: () => void;
  /**
   * Called at the end of every batch (a scheduler thread publishes what it sent to other
   * threads here); `idle` is true when no process is runnable any more.
   */
  readonly afterBatch?: (idle: boolean) => void;
  /**
   * Called between slices about once a millisecond during a long batch (a scheduler thread
   * drains what other threads sent and publishes what it sent, so that nothing waits for the
   * end of the batch).
   */
  readonly duringBatch?: () => void;
  /** Clock for the timer wheel and slice timing (default performance.now()). */
  readonly clock?: Clock;
  /** How long the scheduler busy waits when it runs out of work (busy_wait.ts). Default 'medium'. */
  readonly busyWait?: BusyWaitThreshold;
  /**
   * Polled during a busy wait (a scheduler thread looks at its inbound rings); true when it
   * found work (busy_wait.ts).
   */
  readonly busyWaitPoll?: () => boolean;
  /**
   * Called when the scheduler has run out of work and stopped busy waiting (at once after
   * `afterBatch` when the threshold is 0); a scheduler thread goes to sleep here.
   */
  readonly onIdle?: () => void;
}

export class Scheduler {
  readonly #runQueue: RunQueue<Schedulable>;
  readonly #timers: TimerWheel<TimerTask>;
  readonly #clock: Clock;
  /** The shared coarse clock (coarse_clock.ts): index 0 = busy ms. */
  readonly #coarse: Int32Array = coarseClockWords();
  readonly #batchMs: number;
  #longScheduleMs: number;
  readonly #onLongSchedule: ((item: Schedulable, durationMs: number) => void) | undefined;
  readonly #onInternalError: (error: unknown) => void;
  readonly #beforeBatch: (() => void) | undefined;
  readonly #afterBatch: ((idle: boolean) => void) | undefined;
  readonly #duringBatch: (() => void) | undefined;
  readonly #onIdle: (() => void) | undefined;
  readonly #busyWait: BusyWait;

  /** A setImmediate for the loop is pending. */
  #wakeScheduled = false;
  #immediate: NodeJS.Immediate | undefined;
  /** Pending timers that only wait to be dropped (idleTimers). */
  #idleTimers = 0;
  /** The single setTimeout for the earliest timer, and the deadline it was armed for. */
  #timeout: NodeJS.Timeout | undefined;
  #timeoutDeadline = Number.POSITIVE_INFINITY;
  /** The loop is running (between the start and the end of a batch). */
  #inBatch = false;
  #stopped = false;
  /** The item whose slice is running, for diagnostics. */
  #current: Schedulable | undefined;
  /** Slices run since the scheduler started (a figure for benchmarks and tests). */
  #slices = 0;

  readonly #loop = (): void => this.#runBatch();
  readonly #fire = (task: TimerTask): void => {
    try {
      task.fire();
    } catch (error) {
      this.#onInternalError(error);
    }
  };

  constructor(options: SchedulerOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError(`Scheduler: options must be an object; received ${describeValue(options)}`);
    }
    const batchMs = options.batchMs ?? 4;
    if (typeof batchMs !== 'number' || !(batchMs > 0)) {
      throw new InvalidArgumentError(`Scheduler: options.batchMs must be a positive number; received ${describeValue(batchMs)}`);
    }
    const longScheduleMs = options.longScheduleMs ?? 100;
    if (typeof longScheduleMs !== 'number' || !(longScheduleMs > 0)) {
      throw new InvalidArgumentError(
        `Scheduler: options.longScheduleMs must be a positive number; received ${describeValue(longScheduleMs)}`,
      );
    }
    this.#clock = options.clock ?? { now: () => performance.now() };
    this.#runQueue = new RunQueue<Schedulable>(options.shuffleSeed === undefined ? {} : { shuffleSeed: options.shuffleSeed });
    this.#timers = new TimerWheel<TimerTask>({ clock: this.#clock });
    this.#batchMs = batchMs;
    this.#longScheduleMs = longScheduleMs;
    this.#onLongSchedule = options.onLongSchedule;
    this.#beforeBatch = options.beforeBatch;
    this.#afterBatch = options.afterBatch;
    this.#duringBatch = options.duringBatch;
    this.#onIdle = options.onIdle;
    const busyWait = busyWaitMicros(options.busyWait === undefined ? DEFAULT_BUSY_WAIT : options.busyWait, 'Scheduler: options.busyWait');
    if (options.busyWaitPoll !== undefined && typeof options.busyWaitPoll !== 'function') {
      throw new InvalidArgumentError(`Scheduler: options.busyWaitPoll must be a function; received ${describeValue(options.busyWaitPoll)}`);
    }
    const poll = options.busyWaitPoll;
    this.#busyWait = new BusyWait(busyWait, {
      hasWork: () => this.#hasWork(),
      ...(poll === undefined ? {} : { poll: () => this.#poll(poll) }),
      expired: () => {
        if (this.#onIdle !== undefined) this.#hook(this.#onIdle);
      },
    });
    this.#onInternalError =
      options.onInternalError ??
      ((error: unknown) => {
        process.stderr.write(`beamjs scheduler: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      });
  }

  /** The item whose slice is running, if any. Owner thread only. */
  get current(): Schedulable | undefined {
    return this.#current;
  }

  /** Items in the run queue. */
  get runQueueLength(): number {
    return this.#runQueue.length;
  }

  /** Pending timers. */
  get timerCount(): number {
    return this.#timers.size;
  }

  /** Slices run so far. */
  get slices(): number {
    return this.#slices;
  }

  /** Slices longer than this (ms) are reported to onLongSchedule. */
  get longScheduleMs(): number {
    return this.#longScheduleMs;
  }

  set longScheduleMs(ms: number) {
    if (typeof ms !== 'number' || !(ms > 0)) {
      throw new InvalidArgumentError(`Scheduler.longScheduleMs must be a positive number; received ${describeValue(ms)}`);
    }
    this.#longScheduleMs = ms;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** True while the scheduler busy waits (it ran out of work and has not gone idle yet). */
  get busyWaiting(): boolean {
    return this.#busyWait.waiting;
  }

  /**
   * Busy waits now, as after a batch that left nothing runnable (work done outside a batch:
   * records a scheduler thread handled without a process to run); no-op while there is work.
   * With the threshold 0, `onIdle` runs at once. Owner thread only.
   */
  busyWaitNow(): void {
    if (!this.#hasWork()) this.#busyWait.begin();
  }

  /** The busy wait threshold in µs (busy_wait.ts). */
  get busyWaitMicros(): number {
    return this.#busyWait.micros;
  }

  /** Makes an item runnable (no-op if it is already queued). Owner thread only. */
  enqueue(item: Schedulable): void {
    if (item.queued || this.#stopped) return;
    item.queued = true;
    this.#runQueue.enqueue(item, item.priority);
    if (!this.#inBatch && !this.#wakeScheduled) this.#wake();
  }

  /**
   * Work stealing (the owner thread answers a thief): removes up to `max` queued items that
   * `accept` approves, newest first from the normal/low queue (run_queue.ts), and returns them
   * no longer queued. Owner thread only.
   */
  takeForSteal(max: number, accept: (item: Schedulable) => boolean): Schedulable[] {
    const taken = this.#runQueue.takeForSteal(max, (item) => accept(item));
    for (const item of taken) item.queued = false;
    return taken;
  }

  /**
   * Runs a batch now if something is runnable and no batch is running (a thread woken by another
   * thread's message runs the woken process at once instead of going round the event loop once
   * more). Owner thread only; never re-entrant.
   */
  runNow(): void {
    if (this.#inBatch || this.#stopped || this.#runQueue.length === 0) return;
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#runBatch();
  }

  /** Sets a timer; `task.fire()` runs after `delayMs` (non-negative integer). Owner thread only. */
  addTimer(delayMs: number, task: TimerTask): TimerId {
    if (this.#stopped) throw new BeamError(ErrorCode.VM_STOPPED, 'Scheduler.addTimer: the scheduler is stopped');
    const id = this.#timers.add(delayMs, task);
    if (!this.#inBatch && !this.#wakeScheduled) this.#armTimeout();
    return id;
  }

  /**
   * Sets a timer for the absolute clock time `deadline` (ms as `now()` reads them; a past one
   * fires at the next batch). Owner thread only.
   */
  addTimerAt(deadline: number, task: TimerTask): TimerId {
    if (this.#stopped) throw new BeamError(ErrorCode.VM_STOPPED, 'Scheduler.addTimerAt: the scheduler is stopped');
    const id = this.#timers.addAt(deadline, task);
    if (!this.#inBatch && !this.#wakeScheduled) this.#armTimeout();
    return id;
  }

  /**
   * Counts timers whose task has nothing left to do and only waits to be dropped when it fires
   * (a process's lazily cancelled receive timer, src/process/receive.ts): +1 when one becomes
   * idle, -1 when it becomes useful again or leaves the wheel. When every pending timer is idle,
   * the single setTimeout does not keep Node's event loop alive (as if they were cancelled).
   * Owner thread only.
   */
  idleTimers(delta: 1 | -1): void {
    this.#idleTimers += delta;
  }

  /** Cancels a timer: ms that were left, or false when it already fired or was cancelled. */
  cancelTimer(id: TimerId): number | false {
    return this.#timers.cancel(id);
    // The armed setTimeout may now be early; it fires, advances nothing, and re-arms.
  }

  /** Ms left on a timer, or false when it fired or was cancelled. */
  readTimer(id: TimerId): number | false {
    return this.#timers.remaining(id);
  }

  /** Current clock reading (ms). */
  now(): number {
    return this.#clock.now();
  }

  /**
   * Stops the loop: clears the setImmediate/setTimeout handles and drops queued items and
   * timers, so Node can exit. Idempotent. Owner thread only.
   */
  stop(): void {
    this.#stopped = true;
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    if (this.#timeout !== undefined) clearTimeout(this.#timeout);
    this.#busyWait.cancel();
    this.#immediate = undefined;
    this.#timeout = undefined;
    this.#wakeScheduled = false;
    for (let item = this.#runQueue.dequeue(); item !== undefined; item = this.#runQueue.dequeue()) item.queued = false;
    // The wheel has no clear(): its remaining timers never fire, because a stopped scheduler
    // never advances it again, and they are freed with the scheduler.
  }

  #wake(): void {
    this.#wakeScheduled = true;
    this.#immediate = setImmediate(this.#loop);
  }

  #armTimeout(): void {
    if (this.#stopped) return;
    const next = this.#timers.nextDeadline();
    if (next === undefined) {
      if (this.#timeout !== undefined) clearTimeout(this.#timeout);
      this.#timeout = undefined;
      this.#timeoutDeadline = Number.POSITIVE_INFINITY;
      return;
    }
    if (this.#timeout === undefined || this.#timeoutDeadline !== next) {
      if (this.#timeout !== undefined) clearTimeout(this.#timeout);
      this.#timeoutDeadline = next;
      // setTimeout may fire slightly early by our clock: the batch then fires nothing and re-arms.
      const delay = Math.max(0, Math.ceil(next - this.#clock.now()));
      this.#timeout = setTimeout(this.#onTimeout, delay);
    }
    // Only timers with work to do keep the event loop alive (idleTimers).
    const keepsAlive = this.#timers.size > this.#idleTimers;
    if (this.#timeout.hasRef() !== keepsAlive) {
      if (keepsAlive) this.#timeout.ref();
      else this.#timeout.unref();
    }
  }

  readonly #onTimeout = (): void => {
    this.#timeout = undefined;
    this.#timeoutDeadline = Number.POSITIVE_INFINITY;
    if (!this.#wakeScheduled && !this.#inBatch) this.#runBatch();
  };

  /** Runs one slice of `item`. */
  #runOne(item: Schedulable): void {
    item.queued = false;
    this.#current = item;
    try {
      item.runSlice();
    } catch (error) {
      this.#onInternalError(error);
    }
    this.#current = undefined;
    this.#slices++;
  }

  #reportLong(item: Schedulable, took: number): void {
    if (took > this.#longScheduleMs && this.#onLongSchedule !== undefined) {
      try {
        this.#onLongSchedule(item, took);
      } catch (error) {
        this.#onInternalError(error);
      }
    }
  }

  /**
   * The batch loop timed by the coarse clock: a memory read per slice; the real clock is read
   * only when the coarse reading moved during a slice (at most about once a millisecond), to
   * measure that slice and check the deadline. `sliceStart` is a real reading or an earlier
   * time, so a slice is never measured short (coarse_clock.ts).
   */
  #runSlicesCoarse(coarse: Int32Array, batchStart: number): void {
    const queue = this.#runQueue;
    const deadline = batchStart + this.#batchMs;
    let sliceStart = batchStart;
    let tick = coarse[NOW_MS]!;
    for (let n = 1; ; n++) {
      const item = queue.dequeue();
      if (item === undefined) return;
      this.#runOne(item);
      if (coarse[NOW_MS] !== tick || n % REAL_CLOCK_EVERY === 0) {
        const end = absoluteMs();
        this.#reportLong(item, end - sliceStart);
        sliceStart = end;
        tick = coarse[NOW_MS]!;
        if (end >= deadline) return;
        if (this.#duringBatch !== undefined) this.#hook(this.#duringBatch);
      }
      if (this.#stopped) return;
    }
  }

  /** The batch loop timed by the scheduler's clock, until the coarse clock ticks. */
  #runSlicesPrecise(): void {
    const queue = this.#runQueue;
    const clock = this.#clock;
    let start = clock.now();
    const deadline = start + this.#batchMs;
    for (;;) {
      const item = queue.dequeue();
      if (item === undefined) return;
      this.#runOne(item);
      const end = clock.now();
      this.#reportLong(item, end - start);
      start = end;
      if (end >= deadline || this.#stopped) return;
    }
  }

  #runBatch(): void {
    this.#wakeScheduled = false;
    this.#immediate = undefined;
    if (this.#stopped) return;
    this.#inBatch = true;
    const coarse = this.#coarse;
    enterBusy(coarse);
    try {
      if (this.#beforeBatch !== undefined) this.#hook(this.#beforeBatch);
      if (this.#timers.size > 0) this.#timers.advance(this.#fire);
      if (coarse[TICKING] === 1) {
        const start = absoluteMs();
        advanceTo(coarse, start);
        this.#runSlicesCoarse(coarse, start);
      } else {
        this.#runSlicesPrecise();
      }
    } finally {
      leaveBusy(coarse);
      this.#inBatch = false;
      this.#current = undefined;
    }
    if (this.#stopped) return;
    const idle = this.#runQueue.length === 0;
    if (idle) this.#armTimeout();
    else this.#wake();
    if (this.#afterBatch !== undefined) {
      const afterBatch = this.#afterBatch;
      this.#hook(() => afterBatch(idle && this.#runQueue.length === 0));
    }
    if (idle && !this.#hasWork()) this.#busyWait.begin();
  }

  /** A batch is running or due, or the scheduler stopped: no busy wait now. */
  #hasWork(): boolean {
    return this.#stopped || this.#inBatch || this.#wakeScheduled || this.#runQueue.length > 0;
  }

  #poll(poll: () => boolean): boolean {
    try {
      return poll();
    } catch (error) {
      this.#onInternalError(error);
      return false;
    }
  }

  #hook(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.#onInternalError(error);
    }
  }
}
