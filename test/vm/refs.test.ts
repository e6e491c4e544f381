// References are unique across the threads of a VM: each thread counts its own, so a ref names
// its thread too (a collision once made a monitor of one thread replace another's, and a 'DOWN'
// was lost).
import t from 'tap';
import { atom, P, Ref, VM } from '../../src/index.js';

t.test('refs made on every scheduler and on the main thread are all distinct', async (t) => {
  const vm = await VM.start({ schedulers: 2, modules: [new URL('./fixtures/refs.js', import.meta.url)], workerExecArgv: [], logger: false });
  t.teardown(() => vm.stop());
  const all: Ref[] = [];
  for (const scheduler of [1, 2]) {
    await vm.spawn('refs', 'make', [vm.self, 1000], { scheduler });
    const got = await vm.receive(P.tuple(atom('refs'), scheduler, P.capture('refs')), 5000);
    all.push(...(got!.refs as Ref[]));
  }
  for (let i = 0; i < 1000; i++) all.push(vm.makeRef());
  const keys = new Set(all.map((r) => r.ids.join('.')));
  t.equal(keys.size, all.length, `${all.length} refs, all distinct`);
  t.ok(all.slice(0, 1000).every((r, i) => !r.equals(all[1000 + i]!)), 'the two schedulers count separately yet never collide');
});
