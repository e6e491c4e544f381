import t from 'tap';
import { atom, P } from '../../src/index.js';
import { startExamplesVM } from './start_vm.js';

t.test('ping and pong exchange N round trips, then ping reports N and pong stops', async (t) => {
  const vm = await startExamplesVM(t);
  for (const n of [0, 1, 10_000]) {
    await vm.spawn('ping_pong', 'start', [n, vm.self]);
    const done = await vm.receive(P.tuple(atom('ping_pong_done'), P.capture('n')), 10_000);
    t.same(done, { n }, `${n} round trips`);
  }
  // pong handles its stop after ping's report may already have reached us: give it a moment.
  for (let i = 0; i < 200 && vm.processCount > 1; i++) await new Promise((r) => setTimeout(r, 5));
  t.equal(vm.processCount, 1, 'every ping and pong process has exited');
});
