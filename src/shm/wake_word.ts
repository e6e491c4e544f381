/**
 * WakeWord: the sleep/wake protocol between a thread that waits for work (the sleeper, e.g. a
 * scheduler whose inbound rings are empty) and a thread that hands it work (the waker, e.g.
 * the producer of one of those rings), on one 32-bit word of a SharedArrayBuffer.
 *
 * The problem. Waking a thread that sleeps in `Atomics.wait` costs tens of microseconds;
 * `Atomics.notify` itself is a system call even when nobody waits. A producer that notified on
 * every publication would pay that on every message. So the sleeper announces that it is about
 * to sleep, and the waker notifies only when it sees the announcement: an awake consumer costs
 * the producer one `Atomics.load` of a cache line that is rarely written.
 *
 * The word's values (explicit numbers: both threads read them):
 *   AWAKE    = 0  the sleeper is running (or spinning); wakers do nothing.
 *   SLEEPING = 1  the sleeper has announced that it will block in `Atomics.wait` (or is blocked).
 *
 * The protocol (every access is an Atomics operation; in JavaScript Atomics operations are
 * sequentially consistent, which is what makes the two halves below meet):
 *   sleeper                                    waker
 *   S1 store(word, SLEEPING)                   W1 publish the work (Atomics.store of a ring tail)
 *   S2 re-check for work (Atomics.load)        W2 load(word)
 *      - found: store(word, AWAKE), run it      - SLEEPING: compareExchange(word, SLEEPING, AWAKE);
 *   S3 Atomics.wait(word, SLEEPING, timeout)      if it was the one to change it, notify(word, 1)
 *   S4 store(word, AWAKE), look for work        - AWAKE: nothing
 *
 * Why no wake-up is lost (the race). S1→S2 is a store then a load on the sleeper; W1→W2 is a
 * store then a load on the waker. In the single total order of sequentially consistent
 * operations one of S1 and W1 comes first. If S1 comes first, W2 (after W1) reads SLEEPING
 * and the waker notifies; the sleeper either has not reached S3 yet (then its wait finds the
 * word is no longer SLEEPING, because the waker's compareExchange set it to AWAKE, and returns
 * at once) or is blocked in it (then notify wakes it). If W1 comes first, S2 (after S1) sees
 * the published work and the sleeper does not sleep. The re-check at S2 is therefore not an
 * optimisation: without it a publication made between the sleeper's last look and S1 would be
 * seen by nobody, and the sleeper would sleep until its timeout with work waiting.
 * A notify that arrives while the sleeper is already awake (it woke by timeout, or found work
 * at S2 just before the waker's W2) wakes nobody and costs one system call; that is the only
 * waste, and it needs the two threads to cross within a few instructions.
 *
 * Threads: exactly one sleeper thread per word (the methods `prepareSleep`, `cancelSleep`,
 * `sleep`, `sleepAsync`); any number of wakers (`wake`, `wakeIfSleeping`) on any thread.
 * Ownership: the word lives in memory owned by whoever laid out the SharedArrayBuffer (for a
 * ring, src/shm/spsc_ring.ts); this class holds a view and an index, nothing else.
 * Bad input: the constructor checks that the view is an Int32Array on a SharedArrayBuffer and
 * the index is inside it (InvalidArgumentError); the hot methods check nothing more.
 */
import { InvalidArgumentError, describeValue } from '../errors/index.js';

/** The sleeper is running; wakers do nothing. */
export const WAKE_AWAKE = 0;
/** The sleeper announced it blocks (or will block) in Atomics.wait; a waker must notify. */
export const WAKE_SLEEPING = 1;

/** How a `sleep` ended. Explicit values: they are plain numbers in stats and test output. */
export const SleepResult = {
  /** A waker changed the word before the sleeper blocked (Atomics.wait said "not-equal"). */
  NOT_EQUAL: 0,
  /** The sleeper blocked and was woken by a notify (or the word changed while it blocked). */
  WOKEN: 1,
  /** The sleeper blocked until its timeout. */
  TIMED_OUT: 2,
} as const;
export type SleepResult = (typeof SleepResult)[keyof typeof SleepResult];

/** Atomics.waitAsync (Node >= 16); typed here because the ES2023 lib does not declare it. */
type WaitAsync = (
  view: Int32Array,
  index: number,
  value: number,
  timeout?: number,
) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };

const waitAsync: WaitAsync | undefined = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;

/** One wake word: a 32-bit slot of a SharedArrayBuffer holding WAKE_AWAKE or WAKE_SLEEPING. */
export class WakeWord {
  /** The Int32Array over the shared memory (Atomics.wait needs an Int32Array). */
  readonly view: Int32Array;
  /** The element index of the word in `view`. */
  readonly index: number;

  constructor(view: Int32Array, index: number) {
    if (!(view instanceof Int32Array) || !(view.buffer instanceof SharedArrayBuffer)) {
      throw new InvalidArgumentError(`view: expected an Int32Array over a SharedArrayBuffer, got ${describeValue(view)}`);
    }
    if (!Number.isInteger(index) || index < 0 || index >= view.length) {
      throw new InvalidArgumentError(`index: expected an integer in 0..${view.length - 1}, got ${describeValue(index)}`);
    }
    this.view = view;
    this.index = index;
  }

  /**
   * Sleeper only, step S1: announce the intention to sleep. The caller MUST then re-check for
   * work (step S2) and either `cancelSleep()` or `sleep()`.
   */
  prepareSleep(): void {
    // Atomics.store (seq-cst): ordered before the sleeper's re-check load of the ring tail, so a
    // waker that published before this store is seen by the re-check, and one that publishes
    // after it sees SLEEPING (see the header's proof).
    Atomics.store(this.view, this.index, WAKE_SLEEPING);
  }

  /** Sleeper only: withdraw the announcement (step S2 found work, or after waking, S4). */
  cancelSleep(): void {
    // Atomics.store (seq-cst): after this, wakers skip the notify. A waker that already read
    // SLEEPING may still notify once; that notify finds no waiter and is harmless.
    Atomics.store(this.view, this.index, WAKE_AWAKE);
  }

  /**
   * Sleeper only, steps S3+S4: block until woken or `timeoutMs` passed (Infinity: no timeout),
   * then mark the word AWAKE. Blocks the calling thread, its event loop included: a scheduler
   * that must keep timers and sockets turning uses `sleepAsync`.
   */
  sleep(timeoutMs: number): SleepResult {
    // Atomics.wait compares the word with SLEEPING atomically with going to sleep: a waker's
    // compareExchange to AWAKE before this point makes it return 'not-equal' at once.
    const outcome = Atomics.wait(this.view, this.index, WAKE_SLEEPING, timeoutMs);
    this.cancelSleep();
    return outcome === 'ok' ? SleepResult.WOKEN : outcome === 'timed-out' ? SleepResult.TIMED_OUT : SleepResult.NOT_EQUAL;
  }

  /**
   * Sleeper only: as `sleep`, without blocking the thread (Atomics.waitAsync): the event loop
   * keeps turning, timers and sockets progress, and the promise resolves when woken.
   */
  async sleepAsync(timeoutMs: number): Promise<SleepResult> {
    if (waitAsync === undefined) {
      // Node 20 always has Atomics.waitAsync; say so rather than fall back silently.
      throw new InvalidArgumentError('sleepAsync: this runtime has no Atomics.waitAsync (Node >= 16 required)');
    }
    const pending = waitAsync(this.view, this.index, WAKE_SLEEPING, timeoutMs);
    const outcome = pending.async ? await pending.value : pending.value;
    this.cancelSleep();
    return outcome === 'ok' ? SleepResult.WOKEN : outcome === 'timed-out' ? SleepResult.TIMED_OUT : SleepResult.NOT_EQUAL;
  }

  /** Any thread: is the sleeper announced as sleeping? Can be late either way by the time it returns. */
  isSleeping(): boolean {
    // Atomics.load (seq-cst): read after the caller's publication store, step W2.
    return Atomics.load(this.view, this.index) === WAKE_SLEEPING;
  }

  /**
   * Waker, step W2: wake the sleeper if (and only if) it announced that it sleeps. Call it after
   * publishing the work with an Atomics store. Returns true when this call notified.
   * Costs one Atomics.load when the sleeper is awake.
   */
  wakeIfSleeping(): boolean {
    // Atomics.load (seq-cst): ordered after the publication store W1 (see the header).
    if (Atomics.load(this.view, this.index) !== WAKE_SLEEPING) return false;
    // compareExchange (seq-cst): of several wakers only one pays for the notify, and a sleeper
    // that has not blocked yet finds AWAKE in Atomics.wait and returns immediately.
    if (Atomics.compareExchange(this.view, this.index, WAKE_SLEEPING, WAKE_AWAKE) !== WAKE_SLEEPING) return false;
    Atomics.notify(this.view, this.index, 1);
    return true;
  }
}
