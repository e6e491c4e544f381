// The scheduler's busy wait (src/sched/busy_wait.ts): when it runs out of work it keeps the
// event loop turning for its threshold, runs work that arrives meanwhile without going idle,
// calls onIdle once the threshold passed with nothing to do, and leaves no handle behind.
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { InvalidArgumentError } from '../../src/errors/index.js';
import { BUSY_WAIT_THRESHOLDS, busyWaitMicros, DEFAULT_BUSY_WAIT, Scheduler, type Schedulable } from '../../src/sched/index.js';

/** A schedulable that counts its slices and notes when each ended. */
function counter(): Schedulable & { runs: number; endedAt: number[] } {
  return {
    priority: 'normal',
    queued: false,
    runs: 0,
    endedAt: [],
    runSlice() {
      this.runs++;
      this.endedAt.push(performance.now());
    },
  };
}

function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (condition()) resolve();
      else if (performance.now() - start > timeoutMs) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(check, 1);
    };
    check();
  });
}

t.test('the named thresholds, numbers, and what is refused', async (t) => {
  t.same(
    Object.keys(BUSY_WAIT_THRESHOLDS),
    ['none', 'very_short', 'short', 'medium', 'long', 'very_long'],
    "erl's +sbwt names",
  );
  const micros = Object.values(BUSY_WAIT_THRESHOLDS);
  t.ok(micros.every((m, i) => i === 0 || m > micros[i - 1]!), 'each name waits longer than the one before');
  t.equal(busyWaitMicros('none', 'x'), 0, 'none is 0');
  t.equal(DEFAULT_BUSY_WAIT, 'medium', 'the default is medium');
  t.equal(busyWaitMicros(250, 'x'), 250, 'a number is µs');
  for (const bad of ['fast', 'MEDIUM', -1, Number.NaN, Number.POSITIVE_INFINITY, 100_001, null, [], '200']) {
    t.throws(() => busyWaitMicros(bad, 'Scheduler: options.busyWait'), InvalidArgumentError, `${JSON.stringify(bad)} is refused`);
    t.throws(() => new Scheduler({ busyWait: bad as unknown as number }), /Scheduler: options\.busyWait must be one of none, very_short/, `${JSON.stringify(bad)}: the Scheduler names the option`);
  }
  t.throws(() => new Scheduler({ busyWaitPoll: 1 as unknown as () => boolean }), /options\.busyWaitPoll must be a function/, 'a poll that is not a function is refused');
});

t.test("busyWait 'none': onIdle runs as the batch ends, and nothing busy waits", async (t) => {
  let idle = 0;
  let runsAtIdle = -1;
  const item = counter();
  const scheduler = new Scheduler({ busyWait: 'none', onIdle: () => ((idle++), (runsAtIdle = item.runs)) });
  t.teardown(() => scheduler.stop());
  scheduler.enqueue(item);
  await until(() => idle === 1, 'onIdle');
  t.equal(runsAtIdle, 1, 'onIdle came after the slice');
  t.equal(scheduler.busyWaiting, false, 'not busy waiting');
  t.equal(scheduler.busyWaitMicros, 0, 'threshold 0');
});

t.test('onIdle comes only once the threshold passed after the last batch', async (t) => {
  const micros = 5000;
  const idleAt: number[] = [];
  const item = counter();
  const scheduler = new Scheduler({ busyWait: micros, onIdle: () => idleAt.push(performance.now()) });
  t.teardown(() => scheduler.stop());
  scheduler.enqueue(item);
  await until(() => item.runs === 1, 'the slice');
  t.equal(scheduler.busyWaiting, true, 'busy waiting after the batch');
  await until(() => idleAt.length === 1, 'onIdle');
  t.ok(idleAt[0]! - item.endedAt[0]! >= micros / 1000, `onIdle ${(idleAt[0]! - item.endedAt[0]!).toFixed(2)} ms after the slice (threshold ${micros / 1000} ms)`);
  t.equal(scheduler.busyWaiting, false, 'no longer busy waiting');
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.equal(idleAt.length, 1, 'onIdle once');
});

t.test('work that arrives during the wait runs from it, and the wait starts again after it', async (t) => {
  // The longest threshold a number may give (100 ms), so that the work sent 1 ms in arrives
  // during the wait even on a loaded machine.
  const micros = 100_000;
  const idleAt: number[] = [];
  const item = counter();
  const scheduler = new Scheduler({ busyWait: micros, onIdle: () => idleAt.push(performance.now()) });
  t.teardown(() => scheduler.stop());
  scheduler.enqueue(item);
  await until(() => item.runs === 1, 'the first slice');
  setTimeout(() => scheduler.enqueue(item), 1);
  await until(() => item.runs === 2, 'the second slice');
  t.equal(idleAt.length, 0, 'not idle in between');
  await until(() => idleAt.length === 1, 'onIdle', 20_000);
  t.ok(idleAt[0]! - item.endedAt[1]! >= micros / 1000, 'the threshold counts from the second batch');
});

t.test('poll is called during the wait; work it finds runs, and the wait goes on afterwards', async (t) => {
  let polls = 0;
  let idle = 0;
  const item = counter();
  let scheduler: Scheduler | undefined = undefined;
  scheduler = new Scheduler({
    busyWait: 3000,
    onIdle: () => idle++,
    busyWaitPoll: () => {
      polls++;
      if (polls !== 50) return false;
      scheduler!.enqueue(item);
      scheduler!.runNow();
      return true;
    },
  });
  t.teardown(() => scheduler!.stop());
  scheduler.enqueue(item);
  await until(() => idle === 1, 'onIdle');
  t.equal(item.runs, 2, 'the work found by the 50th poll ran');
  t.ok(polls > 50, `polling went on after it (${polls} polls)`);
  t.equal(scheduler.busyWaiting, false, 'the wait ended');
});

t.test('a poll that throws is reported, and the wait goes on to onIdle', async (t) => {
  const errors: unknown[] = [];
  let idle = 0;
  const scheduler = new Scheduler({
    busyWait: 1000,
    onIdle: () => idle++,
    onInternalError: (e) => errors.push(e),
    busyWaitPoll: () => {
      throw new Error('poll broke');
    },
  });
  t.teardown(() => scheduler.stop());
  scheduler.enqueue(counter());
  await until(() => idle === 1, 'onIdle');
  t.ok(errors.length > 0 && errors.every((e) => e instanceof Error && e.message === 'poll broke'), 'each throw was reported');
});

t.test('stop during the wait: no onIdle, no busy waiting', async (t) => {
  let idle = 0;
  const item = counter();
  const scheduler = new Scheduler({ busyWait: 100_000, onIdle: () => idle++ });
  scheduler.enqueue(item);
  await until(() => item.runs === 1, 'the slice');
  t.equal(scheduler.busyWaiting, true, 'busy waiting');
  scheduler.stop();
  t.equal(scheduler.busyWaiting, false, 'stopped waiting');
  await new Promise((resolve) => setTimeout(resolve, 150));
  t.equal(idle, 0, 'onIdle never ran');
});

t.test('after the longest named wait, nothing keeps Node alive', async (t) => {
  // A child process: it runs one slice with busyWait 'very_long' and must exit by itself.
  const url = new URL('../../src/sched/index.js', import.meta.url).href;
  const script = `
    import { Scheduler } from ${JSON.stringify(url)};
    let idle = 0;
    const s = new Scheduler({ busyWait: 'very_long', onIdle: () => idle++ });
    s.enqueue({ priority: 'normal', queued: false, runSlice() {} });
    process.on('exit', () => console.log('idle ' + idle + ' waiting ' + s.busyWaiting));
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  t.equal(child.status, 0, `the child exited by itself (${child.stderr})`);
  t.equal(child.stdout.trim(), 'idle 1 waiting false', 'after one onIdle, with no wait pending');
});

t.test('busyWaitNow: work done outside a batch starts a wait; with none it is onIdle at once', async (t) => {
  let idle = 0;
  const waiting = new Scheduler({ busyWait: 100_000, onIdle: () => idle++ });
  t.teardown(() => waiting.stop());
  t.equal(waiting.busyWaiting, false, 'a new scheduler does not wait');
  waiting.busyWaitNow();
  t.equal(waiting.busyWaiting, true, 'busyWaitNow starts a wait');
  t.equal(idle, 0, 'not idle yet');
  const none = new Scheduler({ busyWait: 'none', onIdle: () => idle++ });
  t.teardown(() => none.stop());
  none.busyWaitNow();
  t.equal(idle, 1, "with 'none', onIdle ran at once");
  t.equal(none.busyWaiting, false, 'and nothing waits');
  const busy = new Scheduler({ busyWait: 'none', onIdle: () => idle++ });
  t.teardown(() => busy.stop());
  busy.enqueue(counter());
  busy.busyWaitNow();
  t.equal(idle, 1, 'no-op while work is queued');
  await until(() => idle === 2, 'the batch, then onIdle');
});
