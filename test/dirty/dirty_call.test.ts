// Dirty calls (src/process/dirty_call.ts, src/dirty): a process runs a long blocking function
// on the piscina pool while the other processes of its scheduler keep running; results, errors
// and crashes reach the right process. Run with the VM inline and on 2 scheduler threads.
import t from 'tap';
import { atom, P, tuple, VM, type Pid, type Term } from '../../src/index.js';

const MODULES = [new URL('./fixtures/dirty_modules.js', import.meta.url)];

function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

for (const setting of [{ inline: true } as const, { schedulers: 2 } as const]) {
  const label = 'inline' in setting ? 'one scheduler inline' : '2 scheduler threads';

  t.test(`${label}: a dirty call returns its result while the caller's neighbours keep running`, async (t) => {
    const vm = await VM.start({ ...setting, modules: MODULES, workerExecArgv: [], logger: false, dirtyThreads: 2 });
    t.teardown(() => vm.stop());
    // The chatter and the caller start on the same scheduler (the first one).
    const chatter = await vm.spawn('dirty_caller', 'chatter', [vm.self], 'inline' in setting ? {} : { scheduler: 1 });
    await vm.spawn('dirty_caller', 'call', [vm.self, atom('blocked'), 'dirty_fixture', 'block', [300]], 'inline' in setting ? {} : { scheduler: 1 });
    const result = await vm.receive(P.tuple(atom('dirty_result'), atom('blocked'), P.capture('value')), 10_000);
    t.equal(result?.value, atom('unblocked'), 'the blocking function returned through the pool');
    vm.send(chatter, tuple(atom('stop'), vm.self));
    const { n } = (await vm.receive(P.tuple(atom('trips'), P.capture('n')), 5000))!;
    t.ok((n as number) > 100, `the neighbours made ${String(n)} round trips during the 300 ms dirty call`);
  });

  t.test(`${label}: many concurrent dirty calls answer the right processes`, async (t) => {
    const vm = await VM.start({ ...setting, modules: MODULES, workerExecArgv: [], logger: false, dirtyThreads: 2 });
    t.teardown(() => vm.stop());
    const count = 40;
    for (let i = 0; i < count; i++) await vm.spawn('dirty_caller', 'call', [vm.self, i, 'dirty_fixture', 'fib', [10 + (i % 12)]]);
    const seen = new Map<number, Term>();
    for (let i = 0; i < count; i++) {
      const m = (await vm.receive(P.tuple(atom('dirty_result'), P.capture('tag'), P.capture('value')), 10_000))!;
      seen.set(m.tag as number, m.value as Term);
    }
    t.equal(seen.size, count, 'every caller got an answer');
    t.ok([...seen].every(([i, v]) => v === fib(10 + (i % 12))), "each answer is that caller's own result");
    const echoed = tuple(atom('x'), 'text', 2n ** 80n, new Map<Term, Term>([[1, [2]]]));
    await vm.spawn('dirty_caller', 'call', [vm.self, atom('echo'), 'dirty_fixture', 'echo', [echoed]]);
    const back = (await vm.receive(P.tuple(atom('dirty_result'), atom('echo'), P.capture('value')), 10_000))!;
    t.same(back.value, echoed, 'terms cross the pool with their JS types');
  });

  t.test(`${label}: errors in dirty functions reach only the caller, with Erlang's reasons`, async (t) => {
    const vm = await VM.start({ ...setting, modules: MODULES, workerExecArgv: [], logger: false, dirtyThreads: 1 });
    t.teardown(() => vm.stop());
    await vm.spawn('dirty_caller', 'call', [vm.self, atom('boom'), 'dirty_fixture', 'boom', []]);
    const boom = (await vm.receive(P.tuple(atom('dirty_error'), atom('boom'), P.capture('reason')), 10_000))!;
    t.same(boom.reason, tuple(atom('js_error'), 'TypeError', 'dirty boom'), 'a JS error becomes {js_error, Name, Message}');
    await vm.spawn('dirty_caller', 'call', [vm.self, atom('undef'), 'dirty_fixture', 'nothing', [1]]);
    const undef = (await vm.receive(P.tuple(atom('dirty_error'), atom('undef'), P.capture('reason')), 10_000))!;
    t.same(undef.reason, tuple(atom('undef'), [tuple(atom('dirty_fixture'), atom('nothing'), [1], [])]), 'an unknown function is undef');
    const [crasher, ref] = (await vm.spawnMonitor('dirty_caller', 'crash', ['dirty_fixture', 'boom', []])).elements as [Pid, Term];
    const down = (await vm.receive(P.tuple(atom('DOWN'), ref, atom('process'), crasher, P.capture('reason')), 10_000))!;
    t.same((down.reason as { elements: readonly Term[] }).elements[0], tuple(atom('js_error'), 'TypeError', 'dirty boom'), 'uncaught, the caller exits with {Reason, Stack}');
    await vm.spawn('dirty_caller', 'call', [vm.self, atom('after'), 'dirty_fixture', 'fib', [15]]);
    const after = (await vm.receive(P.tuple(atom('dirty_result'), atom('after'), P.capture('value')), 10_000))!;
    t.equal(after.value, fib(15), 'the pool keeps working after errors');
  });
}
