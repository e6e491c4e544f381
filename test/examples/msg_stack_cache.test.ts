import t from 'tap';
import { atom, P, tuple } from '../../src/index.js';
import { sameTerm } from '../process/fixtures/harness.js';
import { startExamplesVM } from './start_vm.js';

t.test('the message-stack cache keeps a bounded LIFO stack behind a registered manager', async (t) => {
  const vm = await startExamplesVM(t);
  await vm.spawn('msg_stack_cache', 'start', [3, vm.self]);
  const started = (await vm.receive(P.tuple(atom('msg_stack_cache_started'), P.capture('pid')), 5000))!;
  const script = [
    ['pop', []],
    ['push', 'a'],
    ['push', 'b'],
    ['push', 'c'],
    ['push', 'd'],
    ['size', []],
    ['peek', []],
    ['pop', []],
    ['pop', []],
    ['pop', []],
    ['pop', []],
  ];
  await vm.spawn('msg_stack_cache', 'client', [vm.self, script]);
  const r = (await vm.receive(P.tuple(atom('msg_stack_cache_results'), P.capture('results')), 5000))!;
  const ok = atom('ok');
  sameTerm(
    t,
    r.results as never,
    [atom('empty'), ok, ok, ok, ok, 3, tuple(ok, 'd'), tuple(ok, 'd'), tuple(ok, 'c'), tuple(ok, 'b'), atom('empty')],
    'LIFO, capacity 3 (a was dropped)',
  );
  await vm.spawn('msg_stack_cache', 'client', [vm.self, [['stop', []]]]);
  await vm.receive(P.tuple(atom('msg_stack_cache_results'), P.any), 5000);
  const ref = await vm.monitor(started.pid as never);
  sameTerm(t, await vm.receive(P.tuple(atom('DOWN'), ref, P.any, P.any, P.capture('r')), 5000) as never, { r: atom('noproc') } as never, 'the manager exited');
  t.equal(await vm.whereis(atom('msg_stack_cache')), undefined, 'and its name is free');
});
