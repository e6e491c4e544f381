// Tests of src/sched/coarse_clock.ts: the shared millisecond clock that the scheduler reads per
// slice. It must tick while a scheduler is busy, stand still while none is, never run ahead of
// the real time or backwards, and be the same clock in every thread that attaches to it.
import t from 'tap';
import { Worker } from 'node:worker_threads';
import { absoluteMs, advanceTo, coarseClockBuffer, coarseClockWords, enterBusy, leaveBusy, NOW_MS, PARKED, TICKING } from '../../src/sched/coarse_clock.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function ticking(words: Int32Array): Promise<void> {
  for (let i = 0; i < 500 && words[TICKING] !== 1; i++) await sleep(5);
}

t.test('the clock ticks while a scheduler is busy, and never runs ahead of the real time', async (t) => {
  const words = coarseClockWords();
  await ticking(words);
  t.equal(words[TICKING], 1, 'the ticker thread started');
  enterBusy(words);
  try {
    const first = words[NOW_MS]!;
    await sleep(30);
    const second = words[NOW_MS]!;
    t.ok(((second - first) | 0) >= 15, `it advanced by ${(second - first) | 0} ms over 30 ms of busy time`);
    t.ok(((second - Math.floor(absoluteMs())) | 0) <= 0, 'a reading is never ahead of the real time');
  } finally {
    leaveBusy(words);
  }
});

async function parked(words: Int32Array): Promise<boolean> {
  for (let i = 0; i < 1000 && words[PARKED] !== 1; i++) await sleep(5);
  return words[PARKED] === 1;
}

t.test('while no scheduler is busy the ticker parks (after lingering) and the clock stands still', async (t) => {
  const words = coarseClockWords();
  await ticking(words);
  t.ok(await parked(words), 'the ticker parks once no scheduler has been busy for a while');
  const before = words[NOW_MS]!;
  await sleep(40);
  t.equal(words[NOW_MS], before, 'no tick in 40 ms of idleness');
});

t.test('a batch wakes a parked ticker; a batch while it lingers needs no wake-up', async (t) => {
  const words = coarseClockWords();
  await ticking(words);
  t.ok(await parked(words), 'parked');
  enterBusy(words);
  const first = words[NOW_MS]!;
  await sleep(30);
  t.ok(((words[NOW_MS]! - first) | 0) >= 10, 'ticking again after enterBusy woke it');
  t.equal(words[PARKED], 0, 'no longer parked');
  leaveBusy(words);
  // Within the linger time a new batch finds it ticking (not parked): no notify is needed.
  enterBusy(words);
  const again = words[NOW_MS]!;
  await sleep(30);
  t.ok(((words[NOW_MS]! - again) | 0) >= 10, 'ticking through a second batch');
  leaveBusy(words);
});

t.test('advanceTo moves the clock forward only', async (t) => {
  const words = coarseClockWords();
  const now = Math.floor(absoluteMs());
  advanceTo(words, now);
  const value = words[NOW_MS]!;
  advanceTo(words, now - 1000);
  t.equal(words[NOW_MS], value, 'an older time does not move it back');
  advanceTo(words, now + 1);
  t.equal(words[NOW_MS], (now + 1) | 0, 'a newer time moves it');
});

t.test('another thread attached to the buffer reads the same clock and the same epoch', async (t) => {
  const buffer = coarseClockBuffer();
  const words = coarseClockWords();
  advanceTo(words, absoluteMs());
  const url = new URL('./fixtures/coarse_clock_reader.js', import.meta.url);
  const worker = new Worker(url, { workerData: buffer, execArgv: [] });
  const reply = await new Promise<{ reading: number; absolute: number }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  const here = absoluteMs();
  t.ok(Math.abs(reply.absolute - here) < 1000, 'absoluteMs() agrees across threads (same epoch)');
  t.ok(((reply.reading - words[NOW_MS]!) | 0) <= 0 && ((words[NOW_MS]! - reply.reading) | 0) < 1000, 'the worker read the shared value');
});
