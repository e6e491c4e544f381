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
  t.equal(vm.processCount, 1, 'every ping and pong process has exited');
});
