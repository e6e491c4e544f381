/**
 * BusyWait: what a scheduler does when it runs out of work, before it sleeps (BEAM's scheduler
 * busy wait, `erl +sbwt`).
 *
 * Why. A thread that sleeps (epoll_wait or a futex with nothing due) is woken by the kernel
 * when a socket turns readable or another thread notifies it; on a virtual machine that
 * wake-up alone costs tens of microseconds, more than the work of a message. A round trip
 * between two nodes pays it on both sides, every time. BEAM keeps its schedulers spinning for
 * a while after the last piece of work; beamjs does the same, without blocking its thread:
 * while busy waiting, the scheduler keeps one setImmediate pending, so each turn of Node's
 * event loop polls for I/O with a zero timeout (a socket's data is handled at once, nothing
 * sleeps) and then calls `poll` again and again for POLL_BURST_MICROS (a scheduler thread
 * checks its inbound rings there: a memory read per ring). When work
 * arrives, the scheduler's next batch runs from the same loop turn; when the threshold passes
 * with none, `expired` runs (the thread may then sleep) and no handle is left behind.
 *
 * Thresholds (µs of wall time after the last batch, not BEAM's spin counts):
 *   | name       |   µs |
 *   |------------|------|
 *   | none       |    0 |  sleep at once (the behaviour before busy waiting)
 *   | very_short |   50 |
 *   | short      |  100 |
 *   | medium     |  200 |  beamjs's default: covers a loopback round trip to another node
 *   | long       |  500 |
 *   | very_long  | 1000 |
 * A number (µs, 0..100000) is taken as it is. BEAM's default is `very_short` in its own unit;
 * beamjs's default is `medium` because a Node thread's wake-up path (event loop, then JS) is
 * longer than a BEAM scheduler's (README, design notes).
 *
 * Cost: a busy-waiting thread uses its core for at most the threshold after each stretch of
 * work; an idle VM uses none (nothing is pending once the threshold passed).
 *
 * Invariants: at most one setImmediate of a BusyWait is pending; `begin` while waiting only
 * moves the deadline; after `cancel` (or `expired`) no callback of it runs until `begin`.
 * Threads: a BusyWait belongs to its scheduler's thread; nothing is shared.
 * Bad input: `busyWaitMicros` rejects anything but the names above or a number in range,
 * with an InvalidArgumentError naming the option and the value.
 */
import { InvalidArgumentError, describeValue } from '../errors/index.js';

/** The named thresholds of `busyWait` (erl's +sbwt names), in µs. */
export const BUSY_WAIT_THRESHOLDS = {
  none: 0,
  very_short: 50,
  short: 100,
  medium: 200,
  long: 500,
  very_long: 1000,
} as const;

export type BusyWaitName = keyof typeof BUSY_WAIT_THRESHOLDS;

/** The `busyWait` option: a named threshold or µs. */
export type BusyWaitThreshold = BusyWaitName | number;

/** The default threshold (see the header). */
export const DEFAULT_BUSY_WAIT: BusyWaitName = 'medium';

/**
 * How long (µs) one turn of the wait polls without returning to the event loop: the rings of
 * other threads are seen within a fraction of a microsecond, sockets and timers within this.
 */
const POLL_BURST_MICROS = 20;

/** The longest busy wait a number may ask for (µs): 100 ms. */
const MAX_BUSY_WAIT_MICROS = 100_000;

/** The threshold in µs of a `busyWait` option value; throws InvalidArgumentError naming `what`. */
export function busyWaitMicros(value: unknown, what: string): number {
  if (typeof value === 'string' && Object.hasOwn(BUSY_WAIT_THRESHOLDS, value)) return BUSY_WAIT_THRESHOLDS[value as BusyWaitName];
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_BUSY_WAIT_MICROS) return value;
  const names = Object.keys(BUSY_WAIT_THRESHOLDS).join(', ');
  throw new InvalidArgumentError(`${what} must be one of ${names} or a number of µs from 0 to ${MAX_BUSY_WAIT_MICROS}; received ${describeValue(value)}`);
}

export interface BusyWaitHooks {
  /** True when the scheduler has work again (its batch is due): the busy wait ends quietly. */
  readonly hasWork: () => boolean;
  /**
   * Called again and again for up to POLL_BURST_MICROS at every turn of the wait (a scheduler
   * thread looks at its inbound rings); true when it found work (and ran it or queued it).
   */
  readonly poll?: () => boolean;
  /** Called once when the threshold passed with no work. */
  readonly expired: () => void;
}

export class BusyWait {
  readonly micros: number;
  readonly #hooks: BusyWaitHooks;
  #until = 0;
  #immediate: NodeJS.Immediate | undefined;
  readonly #turn = (): void => {
    this.#immediate = undefined;
    if (this.#hooks.hasWork()) return;
    const poll = this.#hooks.poll;
    let now = performance.now();
    if (poll !== undefined) {
      const burstEnd = Math.min(this.#until, now + POLL_BURST_MICROS / 1000);
      do {
        if (poll()) {
          // What it found ran (its batch began a new wait) or is queued (the batch ends it).
          if (this.#immediate === undefined && !this.#hooks.hasWork()) this.#immediate = setImmediate(this.#turn);
          return;
        }
        now = performance.now();
      } while (now < burstEnd);
    }
    if (this.#hooks.hasWork()) return;
    if (now >= this.#until) {
      this.#hooks.expired();
      return;
    }
    this.#immediate = setImmediate(this.#turn);
  };

  constructor(micros: number, hooks: BusyWaitHooks) {
    this.micros = micros;
    this.#hooks = hooks;
  }

  /** True while a turn of the wait is pending. */
  get waiting(): boolean {
    return this.#immediate !== undefined;
  }

  /**
   * The scheduler ran out of work: waits for up to the threshold from now (a wait already
   * under way is extended), or calls `expired` at once when the threshold is 0.
   */
  begin(): void {
    if (this.micros === 0) {
      this.#hooks.expired();
      return;
    }
    this.#until = performance.now() + this.micros / 1000;
    if (this.#immediate === undefined) this.#immediate = setImmediate(this.#turn);
  }

  /** Ends a wait under way without calling `expired` (the scheduler stops). */
  cancel(): void {
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#immediate = undefined;
  }
}
