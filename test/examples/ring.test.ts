import t from 'tap';
import { atom, P } from '../../src/index.js';
import { startExamplesVM } from './start_vm.js';

t.test('a token goes around a ring of N processes M times: N * M messages, then the ring stops', async (t) => {
  const vm = await startExamplesVM(t);
  for (const [n, m] of [[1, 5], [2, 3], [1000, 10]] as const) {
    await vm.spawn('ring', 'start', [n, m, vm.self]);
    const done = await vm.receive(P.tuple(atom('ring_done'), P.capture('passed')), 10_000);
    t.same(done, { passed: n * m }, `ring of ${n}, ${m} laps`);
  }
  t.equal(vm.processCount, 1, 'every ring process has exited');
});
