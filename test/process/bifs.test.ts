// The process BIFs (src/process/bifs.ts): spawn, send, names, dictionary, flags, process_info,
// process limit, and their badarg cases, as the Erlang docs of each BIF describe them.
import t from 'tap';
import { atom, BeamError, ErrorCode, InvalidArgumentError, P, Pid, self, send, tuple, Tuple, type Term } from '../../src/index.js';
import { agent, call, cast, castAndAwaitExit, next, sameTerm, startVM } from './fixtures/harness.js';

const A = { error: atom('error'), badarg: atom('badarg'), DOWN: atom('DOWN'), process: atom('process') };

t.test('spawn runs the exported function with its args; an unknown export exits with undef', async (t) => {
  const { vm, logs } = await startVM(t);
  await vm.spawn('scenario', 'plain', [vm.self]);
  sameTerm(t, await next(vm), atom('plain_ran'), 'a plain function body runs');
  const [pid, ref] = (await vm.spawnMonitor('nomod', 'nofun', [1, 2])).elements;
  sameTerm(
    t,
    await next(vm),
    tuple(A.DOWN, ref, A.process, pid, tuple(atom('undef'), [tuple(atom('nomod'), atom('nofun'), [1, 2], [])])),
    'undef with [{M, F, Args, []}], as erl reports it',
  );
  t.match(logs.map((l) => l.text).join('\n'), /Error in process <0\.\d+\.\d+> with exit value:\n\{undef,/, 'a crash report was logged');
});

t.test('self, is_process_alive and processes see the process table', async (t) => {
  const { vm } = await startVM(t);
  const a = await agent(vm);
  sameTerm(t, await call(vm, a, 'self'), a, 'self() is the spawned pid');
  sameTerm(t, await call(vm, a, 'is_alive', a), true, 'alive while running');
  const all = (await call(vm, a, 'processes')) as Pid[];
  t.ok(all.some((p) => p.equals(a)) && all.some((p) => p.equals(vm.self)), 'processes() lists the agent and the external mailbox');
  await castAndAwaitExit(vm, a, 'return');
  const b = await agent(vm);
  sameTerm(t, await call(vm, b, 'is_alive', a), false, 'dead after returning');
});

t.test('send: to a dead pid is silent, to an unregistered name is badarg, to {Name, node()} unregistered is silent', async (t) => {
  const { vm } = await startVM(t);
  const a = await agent(vm);
  const [dead] = (await vm.spawnMonitor('scenario', 'returnNormally', [])).elements;
  await next(vm);
  sameTerm(t, await call(vm, a, 'send', dead, atom('hi')), atom('hi'), 'send to a dead pid returns the message');
  sameTerm(t, await call(vm, a, 'send', atom('nobody_here'), atom('hi')), tuple(A.error, A.error, A.badarg), 'unregistered name: error:badarg');
  sameTerm(t, await call(vm, a, 'send', tuple(atom('nobody_here'), vm.node), atom('hi')), atom('hi'), '{Name, Node} unregistered: silent (OTP 25)');
  await call(vm, a, 'register', atom('bifs_named'));
  await call(vm, a, 'send', tuple(atom('bifs_named'), vm.node), atom('via_tuple'));
  await call(vm, a, 'send', atom('bifs_named'), atom('via_name'));
  sameTerm(t, await call(vm, a, 'flush'), [atom('via_tuple'), atom('via_name')], 'sends to {Name, Node} and Name arrive');
  t.throws(() => vm.send(atom('nobody_here'), 1), { constructor: InvalidArgumentError, code: ErrorCode.INVALID_ARGUMENT }, 'vm.send to an unregistered name throws');
  t.throws(() => vm.send(tuple(atom('x'), atom('other@host')), 1), { code: ErrorCode.INVALID_ARGUMENT, message: /is not distributed: start the VM with the `distribution` option/ }, 'a remote node is a clear error');
  t.throws(() => vm.send(42 as unknown as Pid, 1), { code: ErrorCode.INVALID_ARGUMENT, message: /dest must be a pid, a registered name/ }, 'a bad dest names the argument');
});

t.test('register/unregister/whereis/registered follow the badarg rules and names die with their process', async (t) => {
  const { vm } = await startVM(t);
  const a = await agent(vm);
  const b = await agent(vm);
  const name = atom('bifs_reg');
  sameTerm(t, await call(vm, a, 'register', name), true, 'register returns true');
  sameTerm(t, await call(vm, b, 'whereis', name), a, 'whereis finds it');
  t.ok(((await call(vm, b, 'registered')) as Term[]).includes(name), 'registered() lists it');
  sameTerm(t, await call(vm, b, 'register', name), tuple(A.error, A.error, A.badarg), 'a taken name is badarg');
  sameTerm(t, await call(vm, a, 'register', atom('bifs_other')), tuple(A.error, A.error, A.badarg), 'a process with a name cannot take another');
  sameTerm(t, await call(vm, a, 'register', undefined), tuple(A.error, A.error, A.badarg), 'the name undefined is badarg');
  sameTerm(t, await call(vm, b, 'unregister', atom('bifs_never')), tuple(A.error, A.error, A.badarg), 'unregistering an unknown name is badarg');
  sameTerm(t, await call(vm, a, 'info', atom('registered_name')), tuple(atom('registered_name'), name), 'process_info registered_name');
  const down = await vm.monitor(a);
  cast(vm, a, 'exit1', atom('bye'));
  // Wait for the death: a and b may run on two schedulers, where nothing orders a's exit before b's whereis.
  sameTerm(t, await vm.receive(P.tuple(A.DOWN, down, P.any, P.any, P.capture('reason')), 5000).then((m) => m?.reason), atom('bye'), 'the registered process died');
  sameTerm(t, await call(vm, b, 'whereis', name), undefined, 'the name is freed when the process dies');
  sameTerm(t, await call(vm, b, 'register', name), true, 'and can be taken again');
  sameTerm(t, await call(vm, b, 'unregister', name), true, 'unregister returns true');
  sameTerm(t, await call(vm, b, 'info', atom('registered_name')), tuple(atom('registered_name'), []), 'no name: []');
  const [dead] = (await vm.spawnMonitor('scenario', 'returnNormally', [])).elements;
  await next(vm);
  sameTerm(t, await call(vm, b, 'register', atom('bifs_dead'), dead), tuple(A.error, A.error, A.badarg), 'registering a dead pid is badarg');
});

t.test('the process dictionary: put/get/erase/get_keys with term keys compared by =:=', async (t) => {
  const { vm } = await startVM(t);
  const a = await agent(vm);
  sameTerm(t, await call(vm, a, 'put', atom('k'), 1), undefined, 'put of a new key returns undefined');
  sameTerm(t, await call(vm, a, 'put', atom('k'), 2), 1, 'put returns the old value');
  sameTerm(t, await call(vm, a, 'put', tuple(1, 'two'), [3]), undefined, 'a tuple key');
  sameTerm(t, await call(vm, a, 'get', tuple(1, 'two')), [3], 'found by an equal (not identical) tuple');
  sameTerm(t, await call(vm, a, 'get', tuple(1.5, 'two')), undefined, 'a different key is absent');
  sameTerm(t, await call(vm, a, 'put', 'bin', 2), undefined, 'a binary key');
  const keys = (await call(vm, a, 'get_keys', 2)) as Term[];
  t.equal(keys.length, 2, 'get_keys(2) finds the two keys whose value is 2');
  sameTerm(t, await call(vm, a, 'erase', atom('k')), 2, 'erase returns the old value');
  sameTerm(t, await call(vm, a, 'get', atom('k')), undefined, 'and removes it');
  const all = (await call(vm, a, 'info', atom('dictionary'))) as Tuple;
  t.equal((all.at(1) as Term[]).length, 2, 'process_info dictionary lists the remaining entries');
  t.equal(((await call(vm, a, 'erase_all')) as Term[]).length, 2, 'erase() returns everything');
  sameTerm(t, await call(vm, a, 'get_all'), [], 'and empties the dictionary');
});

t.test('process_flag returns the old value and validates its arguments', async (t) => {
  const { vm } = await startVM(t);
  const a = await agent(vm);
  sameTerm(t, await call(vm, a, 'trap_exit', true), false, 'trap_exit old value false');
  sameTerm(t, await call(vm, a, 'trap_exit', false), true, 'trap_exit old value true');
  sameTerm(t, await call(vm, a, 'priority', atom('high')), atom('normal'), 'priority old value normal');
  sameTerm(t, await call(vm, a, 'info', atom('priority')), tuple(atom('priority'), atom('high')), 'process_info priority');
  sameTerm(t, await call(vm, a, 'priority', atom('urgent')), tuple(A.error, A.error, A.badarg), 'an unknown priority is badarg');
  sameTerm(t, await call(vm, a, 'trap_exit', 1), tuple(A.error, A.error, A.badarg), 'a non-boolean trap_exit is badarg');
});

t.test('process_info reports every documented item', async (t) => {
  const { vm } = await startVM(t);
  const a = await agent(vm);
  const watcher = await agent(vm);
  const ref = await call(vm, watcher, 'monitor', a);
  await call(vm, a, 'link', watcher);
  vm.send(a, atom('m1'));
  vm.send(a, tuple(atom('m2'), 2));
  await call(vm, a, 'self'); // the agent ran since the sends: it waits in receive again
  const info = async (item: string): Promise<Term> => ((await vm.processInfo(a, atom(item))) as Tuple).at(1);
  sameTerm(t, await info('status'), atom('waiting'), 'status waiting (in receive)');
  sameTerm(t, await info('message_queue_len'), 2, 'message_queue_len');
  sameTerm(t, await info('messages'), [atom('m1'), tuple(atom('m2'), 2)], 'messages in order');
  sameTerm(t, await info('links'), [watcher], 'links');
  sameTerm(t, await info('monitored_by'), [watcher], 'monitored_by');
  sameTerm(t, await call(vm, watcher, 'info', atom('monitors')), tuple(atom('monitors'), [tuple(A.process, a)]), 'monitors of the watcher');
  t.ok(ref !== undefined, 'monitor made a ref');
  sameTerm(t, await info('current_function'), tuple(atom('agent'), atom('loop'), 0), 'current_function');
  sameTerm(t, await info('initial_call'), tuple(atom('agent'), atom('loop'), 0), 'initial_call');
  sameTerm(t, await info('trap_exit'), false, 'trap_exit');
  sameTerm(t, await info('priority'), atom('normal'), 'priority');
  t.ok(((await info('reductions')) as number) > 0, 'reductions counted');
  sameTerm(t, await call(vm, a, 'info', atom('status')), tuple(atom('status'), atom('running')), 'a process sees itself running');
  const all = (await vm.processInfo(a)) as Tuple[];
  sameTerm(
    t,
    all.map((x) => x.at(0)),
    ['current_function', 'initial_call', 'status', 'message_queue_len', 'links', 'dictionary', 'trap_exit', 'priority', 'reductions'].map((n) => atom(n)),
    'process_info/1 items in Erlang order',
  );
  const list = (await vm.processInfo(a, [atom('status'), atom('trap_exit')])) as Tuple[];
  sameTerm(t, list, [tuple(atom('status'), atom('waiting')), tuple(atom('trap_exit'), false)], 'a list of items gives a list');
  await t.rejects(vm.processInfo(a, atom('bogus')), { code: ErrorCode.INVALID_ARGUMENT, message: /item must be one of/ }, 'an unknown item is badarg');
  // From inside a process (the watcher and `a` are on two schedulers when the suite runs on two).
  sameTerm(t, await call(vm, watcher, 'info_of', a, atom('message_queue_len')), tuple(atom('message_queue_len'), 2), 'another process sees the queue length');
  sameTerm(t, await call(vm, watcher, 'info_of', a, atom('messages')), tuple(atom('messages'), [atom('m1'), tuple(atom('m2'), 2)]), 'and the messages');
  sameTerm(t, await call(vm, watcher, 'info_of', a, atom('bogus')), tuple(A.error, A.error, A.badarg), 'an unknown item is badarg there too');
  await castAndAwaitExit(vm, a, 'return');
  sameTerm(t, await call(vm, watcher, 'info_of', a, atom('status')), undefined, 'a dead process gives undefined');
});

t.test('the process limit makes spawn raise system_limit; the VM keeps running', async (t) => {
  const { vm } = await startVM(t, { processLimit: 50 });
  await vm.spawn('scenario', 'spawnMany', [vm.self, 100]);
  const m = (await vm.receive(P.tuple(atom('spawn_failed'), P.capture('made'), P.capture('reason')), 5000))!;
  t.equal(m.made, 48, 'spawned up to the limit (50 minus the external mailbox and the spawner)');
  sameTerm(t, m.reason, atom('system_limit'), 'then error:system_limit');
  t.ok((await vm.spawn('scenario', 'idle', [])) instanceof Pid, 'the spawner exited: one slot is free again');
  await t.rejects(vm.spawn('scenario', 'idle', []), { constructor: BeamError, code: ErrorCode.SYSTEM_LIMIT }, 'vm.spawn also fails at the limit');
});

t.test('process functions called outside a process throw NOT_IN_PROCESS', async (t) => {
  t.throws(() => self(), { code: ErrorCode.NOT_IN_PROCESS, message: /self\(\) must be called inside a process/ });
  t.throws(() => send(atom('x'), 1), { code: ErrorCode.NOT_IN_PROCESS });
});

t.test('a stopped VM rejects further calls with VM_STOPPED', async (t) => {
  const { vm } = await startVM(t);
  const pending = vm.receive(atom('never'));
  await vm.stop();
  await t.rejects(pending, { code: ErrorCode.VM_STOPPED }, 'a pending receive is rejected');
  t.throws(() => vm.send(vm.self, 1), { code: ErrorCode.VM_STOPPED });
  await t.rejects(vm.spawn('agent', 'loop', []), { code: ErrorCode.VM_STOPPED });
  t.equal(vm.processCount, 0, 'every process ended');
});
