// Erlang timers (src/process/timers.ts): send_after, start_timer, cancel_timer, read_timer.
// Short timers only; no assertion on elapsed time.
import t from 'tap';
import { atom, Ref, tuple, type Pid } from '../../src/index.js';
import { agent, call, castAndAwaitExit, next, sameTerm, startVM } from './fixtures/harness.js';

t.test('send_after delivers the message; start_timer wraps it in {timeout, TRef, Msg}', async (t) => {
  const { vm } = await startVM(t);
  const a = await agent(vm);
  const r1 = await call(vm, a, 'send_after', 5, vm.self, atom('ding'));
  t.ok(r1 instanceof Ref, 'send_after returns a ref');
  sameTerm(t, await next(vm), atom('ding'), 'the message arrived');
  const r2 = await call(vm, a, 'start_timer', 5, vm.self, atom('dong'));
  sameTerm(t, await next(vm), tuple(atom('timeout'), r2, atom('dong')), '{timeout, TRef, Msg}');
});

t.test('cancel_timer returns the time left and stops delivery; false once fired or unknown', async (t) => {
  const { vm } = await startVM(t);
  const a = await agent(vm);
  const ref = await call(vm, a, 'send_after', 60_000, vm.self, atom('never'));
  const left = (await call(vm, a, 'read_timer', ref)) as number;
  t.ok(left > 50_000 && left <= 60_000, `read_timer: ms left (${left})`);
  const cancelled = (await call(vm, a, 'cancel_timer', ref)) as number;
  t.ok(cancelled > 50_000 && cancelled <= 60_000, 'cancel_timer: ms left');
  sameTerm(t, await call(vm, a, 'cancel_timer', ref), false, 'false the second time');
  sameTerm(t, await call(vm, a, 'read_timer', ref), false, 'read_timer false after cancel');
  const fired = await call(vm, a, 'send_after', 1, vm.self, atom('fast'));
  sameTerm(t, await next(vm), atom('fast'), 'it fired');
  sameTerm(t, await call(vm, a, 'cancel_timer', fired), false, 'cancel after firing is false');
  sameTerm(t, await call(vm, a, 'cancel_timer', await call(vm, a, 'make_ref')), false, 'an unknown ref is false');
});

t.test('a timer to a name looks the name up when it fires; a timer to a pid dies with the pid', async (t) => {
  const { vm } = await startVM(t);
  const a = await agent(vm);
  const b = await agent(vm);
  await call(vm, a, 'send_after', 10, atom('timer_target'), atom('by_name'));
  await call(vm, b, 'register', atom('timer_target'));
  sameTerm(t, await call(vm, b, 'recv', 2000), atom('by_name'), 'delivered to whoever holds the name at fire time');
  const ref = await call(vm, a, 'send_after', 60_000, b, atom('never'));
  await castAndAwaitExit(vm, b, 'return');
  sameTerm(t, await call(vm, a, 'read_timer', ref), false, 'the timer of a dead pid is cancelled');
  const [dead] = (await vm.spawnMonitor('scenario', 'returnNormally', [])).elements;
  await next(vm);
  const ref2 = await call(vm, a, 'send_after', 60_000, dead as Pid, atom('never'));
  sameTerm(t, await call(vm, a, 'read_timer', ref2), false, 'a timer to an already dead pid is cancelled at once');
  sameTerm(t, await call(vm, a, 'send_after', -1, vm.self, 1), tuple(atom('error'), atom('error'), atom('badarg')), 'a negative time is badarg');
});

t.test('many timers run on one wheel and fire in deadline order', async (t) => {
  const { vm } = await startVM(t);
  for (let i = 10; i >= 1; i--) vm.sendAfter(i * 10, vm.self, i);
  const got = [];
  for (let i = 0; i < 10; i++) got.push(await next(vm));
  sameTerm(t, got, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'fired in deadline order');
});
