// Signals between processes: links, exit signals, trap_exit, monitors and their orderings,
// following the Erlang documentation of link/1, unlink/1, exit/2, process_flag(trap_exit),
// monitor/2 and demonitor/2 (OTP 25 behaviour checked with erl where the docs are vague).
import t from 'tap';
import { atom, P, Pid, Ref, Tuple, tuple, type Term } from '../../src/index.js';
import { agent, call, cast, castAndAwaitExit, next, sameTerm, startVM } from './fixtures/harness.js';

const A = {
  EXIT: atom('EXIT'),
  DOWN: atom('DOWN'),
  process: atom('process'),
  normal: atom('normal'),
  kill: atom('kill'),
  killed: atom('killed'),
  noproc: atom('noproc'),
  boom: atom('boom'),
  msg: atom('msg'),
  shutdown: atom('shutdown'),
};

t.test("a monitor's 'DOWN' arrives after every message the dead process sent before dying", async (t) => {
  const { vm } = await startVM(t);
  const [pid, ref] = (await vm.spawnMonitor('scenario', 'burstAndExit', [vm.self, 1000, A.boom])).elements;
  const got: Term[] = [];
  for (let i = 1; i <= 1000; i++) got.push(await next(vm));
  sameTerm(t, got, Array.from({ length: 1000 }, (_, i) => tuple(A.msg, i + 1)), 'the 1000 messages, in send order');
  sameTerm(t, await next(vm), tuple(A.DOWN, ref, A.process, pid, A.boom), "then the 'DOWN' with the exit reason");
});

t.test("monitoring a dead process gives 'DOWN' with noproc at once", async (t) => {
  const { vm } = await startVM(t);
  const [dead, ref0] = (await vm.spawnMonitor('scenario', 'returnNormally', [])).elements;
  sameTerm(t, await next(vm), tuple(A.DOWN, ref0, A.process, dead, A.normal), 'a normal exit gives DOWN normal');
  const ref = await vm.monitor(dead);
  sameTerm(t, await next(vm), tuple(A.DOWN, ref, A.process, dead, A.noproc), 'DOWN noproc for the dead pid');
});

t.test("monitoring by registered name names {Name, Node} in the 'DOWN'", async (t) => {
  const { vm } = await startVM(t);
  const a = await agent(vm);
  const name = atom('sig_named');
  await call(vm, a, 'register', name);
  const ref = await vm.monitor(name);
  cast(vm, a, 'exit1', A.boom);
  sameTerm(t, await next(vm), tuple(A.DOWN, ref, A.process, tuple(name, vm.node), A.boom), 'DOWN names the name and node');
  const ref2 = await vm.monitor(atom('sig_nobody'));
  sameTerm(t, await next(vm), tuple(A.DOWN, ref2, A.process, tuple(atom('sig_nobody'), vm.node), A.noproc), 'unregistered name: DOWN noproc');
});

t.test('demonitor removes the monitor; flush drops a queued DOWN; info tells whether it was active', async (t) => {
  const { vm } = await startVM(t);
  const watcher = await agent(vm);
  const target = await agent(vm);
  const ref = (await call(vm, watcher, 'monitor', target)) as Ref;
  t.ok(ref instanceof Ref, 'monitor returns a ref');
  sameTerm(t, await call(vm, watcher, 'demonitor', ref, false, true), true, 'info: true while the monitor was active');
  sameTerm(t, await call(vm, watcher, 'demonitor', ref, false, true), false, 'info: false the second time');
  const ref2 = (await call(vm, watcher, 'monitor', target)) as Ref;
  cast(vm, target, 'exit1', A.boom);
  // Wait until the watcher has the DOWN queued. On one scheduler it is there by the next call;
  // on two, nothing orders the target's death before that call, so look a few times.
  let info = (await call(vm, watcher, 'info', atom('message_queue_len'))) as Tuple;
  for (let i = 0; i < 200 && info.at(1) !== 1; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    info = (await call(vm, watcher, 'info', atom('message_queue_len'))) as Tuple;
  }
  sameTerm(t, info, tuple(atom('message_queue_len'), 1), "the 'DOWN' is queued");
  sameTerm(t, await call(vm, watcher, 'is_alive', target), false, 'target is dead');
  sameTerm(t, await call(vm, watcher, 'demonitor', ref2, true, true), false, 'info: false, it already fired');
  sameTerm(t, await call(vm, watcher, 'flush'), [], "flush removed the queued 'DOWN'");
});

t.test('a link chain A-B-C: killing A kills B and C; reasons are killed on the link', async (t) => {
  const { vm } = await startVM(t);
  const a = await agent(vm);
  const b = (await call(vm, a, 'spawn_link', atom('agent'), atom('loop'), [])) as Pid;
  const c = (await call(vm, b, 'spawn_link', atom('agent'), atom('loop'), [])) as Pid;
  const refs = [await vm.monitor(a), await vm.monitor(b), await vm.monitor(c)];
  await vm.exit(a, A.kill);
  const downs = [await next(vm), await next(vm), await next(vm)];
  sameTerm(t, downs[0]!, tuple(A.DOWN, refs[0]!, A.process, a, A.killed), 'A dies with killed (exit(A, kill))');
  sameTerm(t, downs[1]!, tuple(A.DOWN, refs[1]!, A.process, b, A.killed), 'B gets the link exit killed and dies with killed');
  sameTerm(t, downs[2]!, tuple(A.DOWN, refs[2]!, A.process, c, A.killed), 'C too');
});

t.test('a trapping process in the middle of a chain stops the propagation and gets the EXIT message', async (t) => {
  const { vm } = await startVM(t);
  const a = await agent(vm);
  const b = (await call(vm, a, 'spawn_link', atom('agent'), atom('loop'), [])) as Pid;
  const c = (await call(vm, b, 'spawn_link', atom('agent'), atom('loop'), [])) as Pid;
  sameTerm(t, await call(vm, b, 'trap_exit', true), false, 'process_flag returns the old value');
  const refA = await vm.monitor(a);
  cast(vm, a, 'error', A.boom);
  const down = (await next(vm)) as Tuple;
  sameTerm(t, down.at(4), tuple(A.boom, [tuple(atom('agent'), atom('loop'), 0, [])]), "A's reason is {boom, Stack}");
  sameTerm(t, down.at(1), refA, 'DOWN of A');
  const exitMsg = await call(vm, b, 'recv', 1000);
  sameTerm(t, exitMsg, tuple(A.EXIT, a, down.at(4) as Term), "B got {'EXIT', A, Reason}");
  sameTerm(t, await vm.isProcessAlive(b), true, 'B is alive');
  sameTerm(t, await vm.isProcessAlive(c), true, 'C is alive (B did not die)');
  sameTerm(t, await call(vm, b, 'info', atom('links')), tuple(atom('links'), [c]), 'the link to A is gone from B');
});

t.test('a normal exit does not propagate over links, but a trapping process hears of it', async (t) => {
  const { vm } = await startVM(t);
  const a = await agent(vm);
  const b = (await call(vm, a, 'spawn_link', atom('agent'), atom('loop'), [])) as Pid;
  const trapping = await agent(vm);
  await call(vm, trapping, 'trap_exit', true);
  await call(vm, trapping, 'link', a);
  const ref = await vm.monitor(a);
  cast(vm, a, 'return');
  sameTerm(t, await next(vm), tuple(A.DOWN, ref, A.process, a, A.normal), 'A ended normally');
  sameTerm(t, await vm.isProcessAlive(b), true, 'B survives a normal exit');
  sameTerm(t, await call(vm, trapping, 'recv', 1000), tuple(A.EXIT, a, A.normal), "the trapping process gets {'EXIT', A, normal}");
});

t.test('exit/2 rules: normal is ignored, kill is untrappable, other reasons kill or become messages', async (t) => {
  const { vm } = await startVM(t);
  const plain = await agent(vm);
  await vm.exit(plain, A.normal);
  sameTerm(t, await vm.isProcessAlive(plain), true, 'exit(P, normal) leaves a non-trapping P alive');
  const trapping = await agent(vm);
  await call(vm, trapping, 'trap_exit', true);
  await vm.exit(trapping, A.normal);
  sameTerm(t, await call(vm, trapping, 'recv', 1000), tuple(A.EXIT, vm.self, A.normal), "a trapping P gets {'EXIT', From, normal}");
  await vm.exit(trapping, A.boom);
  sameTerm(t, await call(vm, trapping, 'recv', 1000), tuple(A.EXIT, vm.self, A.boom), 'and other reasons as messages too');
  const ref = await vm.monitor(trapping);
  await vm.exit(trapping, A.kill);
  sameTerm(t, await next(vm), tuple(A.DOWN, ref, A.process, trapping, A.killed), 'kill kills a trapping process with reason killed');
  const ref2 = await vm.monitor(plain);
  await vm.exit(plain, A.boom);
  sameTerm(t, await next(vm), tuple(A.DOWN, ref2, A.process, plain, A.boom), 'another reason kills a non-trapping process with that reason');
});

t.test('exit(self(), normal) ends the caller; exit(self(), R) does not return', async (t) => {
  const { vm } = await startVM(t);
  const a = await agent(vm);
  const ref = await vm.monitor(a);
  cast(vm, a, 'exit2', a, A.normal);
  sameTerm(t, await next(vm), tuple(A.DOWN, ref, A.process, a, A.normal), 'the process exited with normal');
  const b = await agent(vm);
  const refB = await vm.monitor(b);
  const result = await Promise.race([call(vm, b, 'exit2', b, A.kill), next(vm)]);
  sameTerm(t, result, tuple(A.DOWN, refB, A.process, b, A.killed), 'exit(self(), kill): killed, and no reply came');
});

t.test('a link exit with reason kill is not special: the linked process dies with reason kill', async (t) => {
  const { vm } = await startVM(t);
  const a = await agent(vm);
  const b = (await call(vm, a, 'spawn_link', atom('agent'), atom('loop'), [])) as Pid;
  const refB = await vm.monitor(b);
  cast(vm, a, 'exit1', A.kill);
  sameTerm(t, await next(vm), tuple(A.DOWN, refB, A.process, b, A.kill), 'B died with kill, not killed');
});

t.test('unlink: after it returns the link has no effect on the caller', async (t) => {
  const { vm } = await startVM(t);
  const a = await agent(vm);
  const b = (await call(vm, a, 'spawn_link', atom('agent'), atom('loop'), [])) as Pid;
  await call(vm, b, 'unlink', a);
  sameTerm(t, await call(vm, a, 'info', atom('links')), tuple(atom('links'), []), 'A no longer lists B');
  await castAndAwaitExit(vm, a, 'exit1', A.boom);
  await call(vm, b, 'sleep', 5);
  sameTerm(t, await vm.isProcessAlive(b), true, 'B survives A');
  sameTerm(t, await vm.isProcessAlive(a), false, 'A is dead');
});

t.test('link to a dead process: a trapping caller gets noproc as a message, a non-trapping one dies with noproc', async (t) => {
  const { vm } = await startVM(t);
  const [dead] = (await vm.spawnMonitor('scenario', 'returnNormally', [])).elements;
  await next(vm);
  const trapping = await agent(vm);
  await call(vm, trapping, 'trap_exit', true);
  sameTerm(t, await call(vm, trapping, 'link', dead), true, 'link returns true');
  sameTerm(t, await call(vm, trapping, 'recv', 1000), tuple(A.EXIT, dead, A.noproc), "{'EXIT', Dead, noproc}");
  const plain = await agent(vm);
  const ref = await vm.monitor(plain);
  cast(vm, plain, 'link', dead);
  sameTerm(t, await next(vm), tuple(A.DOWN, ref, A.process, plain, A.noproc), 'the non-trapping caller exits with noproc');
});

t.test('spawn_link from the external mailbox delivers the child exit as an EXIT message', async (t) => {
  const { vm } = await startVM(t);
  const pid = await vm.spawn('scenario', 'exitWith', [A.boom], { link: true });
  sameTerm(t, await next(vm), tuple(A.EXIT, pid, A.boom), "{'EXIT', Pid, boom} reached vm.receive");
});

t.test('a chain of 20,000 linked processes dies without overflowing the JS stack', async (t) => {
  const { vm } = await startVM(t);
  const first = await vm.spawn('scenario', 'chainRoot', [vm.self, 20000]);
  let last: Pid = first;
  for (let i = 0; i < 20000; i++) {
    const m = (await vm.receive(P.tuple(atom('chain'), P.any, P.capture('pid'), P.any), 10000))!;
    last = m.pid as Pid;
  }
  const ref = await vm.monitor(last);
  await vm.exit(first, A.shutdown);
  sameTerm(t, await next(vm, 10000), tuple(A.DOWN, ref, A.process, last, A.shutdown), 'the deepest process died with shutdown');
  t.equal(vm.processCount, 1, 'only the external mailbox is left');
});
