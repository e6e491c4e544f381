/**
 * CoarseClock: a millisecond clock in shared memory that a ticker thread advances while some
 * scheduler is busy, so that timing a slice costs a memory read instead of a clock call.
 *
 * Why: the scheduler times every slice (long_schedule) and bounds every batch (batchMs).
 * `performance.now()` costs 40-50 ns here (`Date.now()` 40 ns, `process.hrtime` 60 ns), and a
 * local message round trip is two slices of ~150 ns each: reading the clock per slice was a
 * tenth of ping-pong (bench/process). BEAM itself reads the clock per schedule only when a
 * long_schedule monitor is set; we need the reading always (the warning is always on), so we
 * make it cheap instead: one thread ticks, every scheduler reads.
 *
 * Shared layout (one SharedArrayBuffer of CLOCK_BYTES):
 *
 * | offset | bytes | field      | written by                               | read by     | access                                      |
 * |-------:|------:|------------|------------------------------------------|-------------|---------------------------------------------|
 * |      0 |     4 | now ms     | ticker each tick; a scheduler at the start of each batch | schedulers | advanceTo (CAS loop, never backwards); plain read |
 * |      4 |     4 | busy count | schedulers (enter/leave a batch)         | ticker      | Atomics.add/sub; the ticker waits on it while 0 |
 * |      8 |     4 | sleep word | nobody (stays 0)                         | ticker      | Atomics.wait with a TICK_MS timeout = the tick |
 * |     12 |     4 | ticking    | ticker, once, when it has started        | schedulers  | Atomics.store / plain read                  |
 * |     16 |     8 | epoch      | creator, once, before sharing            | everyone    | plain Float64 (performance.timeOrigin of the creator) |
 * |     24 |     4 | parked     | ticker: 1 just before it waits on the busy count, 0 after | schedulers | Atomics.store / Atomics.load |
 *
 * `now ms` is whole milliseconds since `epoch`, as an int32 that wraps (compare readings with
 * `(b - a) | 0`; good for 24 days between two readings). It is fresh only while some scheduler
 * is in a batch: the ticker goes on ticking for LINGER_TICKS after the busy count drops to 0,
 * then parks on the busy count (an idle VM costs no CPU), and a scheduler advances it to the
 * real time when its batch starts. So a reading inside a batch is at most about a tick old, and
 * never ahead of the real time.
 *
 * Waking the ticker: a scheduler whose enterBusy takes the count from 0 notifies only when the
 * ticker is parked. Message ping-pong enters and leaves a batch per message; notifying on every
 * batch was a futex call and a thread wake-up per round trip (distribution one-pair profile).
 * The ticker stores `parked = 1` and then reads the busy count before it waits; a scheduler adds
 * to the count and then reads `parked` (all sequentially consistent atomics): either the
 * scheduler sees parked and notifies, or the ticker sees the count and does not wait (and a
 * wait that starts after the add returns at once, the count no longer being 0).
 *
 * How the scheduler uses it (scheduler.ts): it reads `now ms` after each slice; only when the
 * value moved since the slice started (the slice may have been long) does it read the real
 * clock (`absoluteMs()`, same epoch) to measure it. Since a reading is never ahead, the
 * measured time is never short of the truth, and at most one tick long.
 *
 * Threads: the ticker is one worker thread per OS process (started lazily, unref'd: it never
 * keeps Node alive). Scheduler threads attach to the same buffer (`attachCoarseClock`, given
 * the buffer from `coarseClockBuffer()` of the thread that started the ticker), so there is one
 * ticker however many schedulers run. Every function here may be called from any thread.
 * Cost while busy (and for LINGER_TICKS ms after): TICK_MS = 1, ~1,000 wake-ups/s of a few µs
 * each on some core (< 1% of one).
 */
import { Worker } from 'node:worker_threads';

/** Byte length of the shared clock. */
export const CLOCK_BYTES = 32;
/** Int32 index of `now ms` (byte offset 0). */
export const NOW_MS = 0;
/** Int32 index of the busy count (byte offset 4). */
const BUSY_COUNT = 1;
/** Int32 index of the ticker's sleep word (byte offset 8). */
const SLEEP_WORD = 2;
/** Int32 index of the ticking flag (byte offset 12). */
export const TICKING = 3;
/** Float64 index of the epoch (byte offset 16). */
const EPOCH = 2;
/** Int32 index of the parked flag (byte offset 24). */
export const PARKED = 6;
/** The tick, in ms. */
const TICK_MS = 1;
/** Ticks the ticker goes on after the last batch ended, before it parks. */
const LINGER_TICKS = 50;

/** The ticker's code (a CommonJS string: it must load in any thread, whatever loader the app uses). */
const TICKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const words = new Int32Array(workerData);
const epoch = new Float64Array(workerData)[${EPOCH}];
function advance() {
  const ms = Math.floor(performance.timeOrigin + performance.now() - epoch) | 0;
  for (;;) {
    const old = Atomics.load(words, ${NOW_MS});
    if (((ms - old) | 0) <= 0 || Atomics.compareExchange(words, ${NOW_MS}, old, ms) === old) return;
  }
}
Atomics.store(words, ${TICKING}, 1);
let idleTicks = 0;
for (;;) {
  if (Atomics.load(words, ${BUSY_COUNT}) !== 0) idleTicks = 0;
  else if (++idleTicks > ${LINGER_TICKS}) {
    Atomics.store(words, ${PARKED}, 1);
    if (Atomics.load(words, ${BUSY_COUNT}) === 0) Atomics.wait(words, ${BUSY_COUNT}, 0);
    Atomics.store(words, ${PARKED}, 0);
    idleTicks = 0;
  }
  advance();
  Atomics.wait(words, ${SLEEP_WORD}, 0, ${TICK_MS});
}
`;

let words: Int32Array | undefined;
let epochMs = 0;

function started(): Int32Array {
  if (words !== undefined) return words;
  const buffer = new SharedArrayBuffer(CLOCK_BYTES);
  epochMs = performance.timeOrigin;
  new Float64Array(buffer)[EPOCH] = epochMs;
  words = new Int32Array(buffer);
  const ticker = new Worker(TICKER_SOURCE, { eval: true, workerData: buffer, execArgv: [], stdout: false, stderr: false });
  ticker.unref();
  return words;
}

/** The shared buffer of this thread's clock (starting the ticker if none runs), for other threads. */
export function coarseClockBuffer(): SharedArrayBuffer {
  return started().buffer as SharedArrayBuffer;
}

/** Makes this thread use the clock of `buffer` (from coarseClockBuffer() in another thread). */
export function attachCoarseClock(buffer: SharedArrayBuffer): void {
  words = new Int32Array(buffer);
  epochMs = new Float64Array(buffer)[EPOCH]!;
}

/** The words of the clock, for a scheduler's hot loop (index NOW_MS, TICKING). */
export function coarseClockWords(): Int32Array {
  return started();
}

/** The real time in ms since the clock's epoch (a clock call: not for hot loops). */
export function absoluteMs(): number {
  started();
  return performance.timeOrigin + performance.now() - epochMs;
}

/** Moves `now ms` forward to `ms` (never backwards; several threads may race). */
export function advanceTo(clock: Int32Array, ms: number): void {
  const value = Math.floor(ms) | 0;
  for (;;) {
    const old = Atomics.load(clock, NOW_MS);
    if (((value - old) | 0) <= 0 || Atomics.compareExchange(clock, NOW_MS, old, value) === old) return;
  }
}

/** A scheduler enters a batch: the clock ticks while any scheduler is inside one. */
export function enterBusy(clock: Int32Array): void {
  if (Atomics.add(clock, BUSY_COUNT, 1) === 0 && Atomics.load(clock, PARKED) === 1) Atomics.notify(clock, BUSY_COUNT);
}

/** A scheduler leaves its batch. */
export function leaveBusy(clock: Int32Array): void {
  Atomics.sub(clock, BUSY_COUNT, 1);
}
