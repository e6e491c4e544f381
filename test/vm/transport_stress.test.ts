// Stress of the transport between scheduler threads (issue 4: "never lose a message"): senders
// on every scheduler and on the main thread send hundreds of thousands of messages of mixed
// sizes (some larger than a ring can hold inline) to receivers on every scheduler; every
// message is checked for loss, duplication, reordering per sender, and every byte.
import t from 'tap';
import { atom, P, tuple, VM, type Pid, type Term } from '../../src/index.js';
import { payload } from './fixtures/stress.js';
import { testSeed } from '../support/prng.js';

const SCHEDULERS = 3;
const PER_TARGET = 80_000; // (3 + 1) senders x 3 receivers x 80,000 = 960,000 messages
const FROM_MAIN = 5_000;

t.test('every message between every pair of threads arrives once, in order, intact', async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed} (replay: BEAMJS_SEED=${seed})`);
  const vm = await VM.start({ schedulers: SCHEDULERS, modules: [new URL('./fixtures/stress.js', import.meta.url)], workerExecArgv: [], logger: false });
  t.teardown(() => vm.stop());
  const senders = SCHEDULERS + 1; // one per scheduler, and the main thread (index SCHEDULERS)
  const receivers: Pid[] = [];
  for (let s = 1; s <= SCHEDULERS; s++) {
    // The main thread sends fewer: its receivers expect PER_TARGET from each scheduler sender and FROM_MAIN from it.
    receivers.push(await vm.spawn('stress', 'receiver', [vm.self, senders, PER_TARGET], { scheduler: s }));
  }
  for (let s = 1; s <= SCHEDULERS; s++) await vm.spawn('stress', 'sender', [s - 1, receivers, PER_TARGET, seed], { scheduler: s });
  for (let k = 0; k < PER_TARGET; k++) {
    if (k < FROM_MAIN) for (const r of receivers) vm.send(r, tuple(atom('seq'), SCHEDULERS, k, payload(SCHEDULERS, k, 1 + ((k * 37) % 900))));
    if (k % 1000 === 999) await new Promise((resolve) => setImmediate(resolve));
  }
  // The main thread's stream is shorter: top it up with numbers the receivers expect.
  for (let k = FROM_MAIN; k < PER_TARGET; k++) for (const r of receivers) vm.send(r, tuple(atom('seq'), SCHEDULERS, k, payload(SCHEDULERS, k, 1)));
  for (let i = 0; i < SCHEDULERS; i++) {
    const m = await vm.receive(P.tuple(atom('received'), P.capture('scheduler'), P.capture('next'), P.capture('errors')), 60_000);
    t.ok(m !== undefined, `receiver ${i + 1} finished`);
    if (m === undefined) return;
    t.same(m.next, new Array<number>(senders).fill(PER_TARGET), `scheduler ${String(m.scheduler)}: every sender's stream complete`);
    t.same(m.errors as Term[], [], `scheduler ${String(m.scheduler)}: no message out of order or damaged`);
  }
});
