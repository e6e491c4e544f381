// Busy waiting (src/sched/busy_wait.ts) on a many-thread VM: with every threshold, messages
// between two scheduler threads all arrive, once, in order, whether the receiving thread was
// asleep (woken through its wake word) or busy waiting (its rings polled); and the option is
// checked before any thread starts.
import t from 'tap';
import { atom, P, VM, type Pid, type Term } from '../../src/index.js';
import { InvalidArgumentError } from '../../src/errors/index.js';
import type { BusyWaitThreshold } from '../../src/sched/index.js';

const MODULE = new URL('./fixtures/busy_wait.js', import.meta.url);
const DONE = P.tuple(atom('done'), P.capture('scheduler', P.integer), P.capture('echoOn', P.integer), P.capture('echoed', P.integer), P.capture('errors'));

for (const busyWait of ['none', 'very_short', 'medium', 'very_long', 350] as const satisfies readonly BusyWaitThreshold[]) {
  t.test(`busyWait ${String(busyWait)}: bursts between two scheduler threads arrive whole and in order, after sleeps and during busy waits`, async (t) => {
    const vm = await VM.start({ schedulers: 2, busyWait, modules: [MODULE], workerExecArgv: [], logger: false });
    t.teardown(() => vm.stop());
    const rounds = 3;
    let crossed = 0;
    const pairs = 4;
    const bursts = 20;
    const burst = 50;
    for (let round = 1; round <= rounds; round++) {
      // Pairs both ways: pingers on scheduler 1 with echoes on 2, and the other way round.
      for (let pair = 0; pair < pairs; pair++) {
        const pingerOn = 1 + (pair % 2);
        const echo = (await vm.spawn('busy_wait', 'echo', [], { scheduler: 3 - pingerOn })) as Pid;
        // Pauses of 0 (the echo thread busy waits between bursts) and of 3 ms (past the longest
        // named threshold: it sleeps).
        await vm.spawn('busy_wait', 'pinger', [echo, vm.self, bursts, burst, pair < 2 ? 0 : 3], { scheduler: pingerOn });
      }
      const reports: Array<{ scheduler: number; echoOn: number; echoed: number; errors: Term }> = [];
      for (let pair = 0; pair < pairs; pair++) {
        const done = await vm.receive(DONE, 60_000);
        if (done === undefined) break;
        reports.push({ scheduler: done.scheduler as number, echoOn: done.echoOn as number, echoed: done.echoed as number, errors: done.errors });
      }
      t.equal(reports.length, pairs, `round ${round}: every pinger reported`);
      t.same(
        reports.map((r) => r.echoed),
        new Array<number>(pairs).fill(bursts * burst),
        `round ${round}: every pinger got all ${bursts * burst} echoes`,
      );
      t.same(
        reports.flatMap((r) => r.errors as Term[]),
        [],
        `round ${round}: no echo lost, repeated or out of order`,
      );
      crossed += reports.filter((r) => r.scheduler !== r.echoOn).length;
    }
    // A process that has not started may be stolen by the other thread, so a pair can end up
    // on one thread; most pairs stay where they were spawned, on two.
    t.ok(crossed > 0, `${crossed} of ${rounds * pairs} pairs talked across the two threads`);
  });
}

t.test('a bad busyWait fails VM.start with an error naming the option', async (t) => {
  for (const bad of ['fast', -1, Number.NaN, 1e9, {}, true] as const) {
    const error = await VM.start({ schedulers: 2, busyWait: bad as unknown as BusyWaitThreshold, logger: false }).then(
      (vm) => vm.stop().then(() => undefined),
      (e: unknown) => e,
    );
    t.ok(error instanceof InvalidArgumentError, `${String(bad)}: InvalidArgumentError`);
    t.match((error as Error).message, /options\.busyWait must be one of none, very_short, short, medium, long, very_long or a number of µs/, `${String(bad)}: the message names the option and the choices`);
  }
});
