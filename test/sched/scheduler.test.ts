// The scheduler (src/sched/scheduler.ts) as processes see it: BEAM priorities, preemption by
// reduction budget, long_schedule reports, and the event loop turning while processes run.
import t from 'tap';
import { atom, P, tuple, type Pid, type Term } from '../../src/index.js';
import { agent, call, next, sameTerm, startVM } from '../process/fixtures/harness.js';

t.test('priorities: high runs before normal; low waits for its turns behind normal', async (t) => {
  const { vm } = await startVM(t);
  await vm.spawn('scenario', 'worker', [vm.self, atom('low'), 5], { priority: 'low' });
  await vm.spawn('scenario', 'worker', [vm.self, atom('normal'), 5], { priority: 'normal' });
  await vm.spawn('scenario', 'worker', [vm.self, atom('high'), 5], { priority: 'high' });
  const got: Term[] = [];
  for (let i = 0; i < 15; i++) got.push(await next(vm));
  const expected = ['high', 'normal', 'low'].flatMap((p) => [1, 2, 3, 4, 5].map((i) => tuple(atom(p), i)));
  sameTerm(t, got, expected, 'all high slices, then normal (low skipped 7 times per turn), then low');
});

t.test('max runs before high, and a priority set by process_flag applies from the next enqueue', async (t) => {
  const { vm } = await startVM(t);
  await vm.spawn('scenario', 'worker', [vm.self, atom('high'), 3], { priority: 'high' });
  await vm.spawn('scenario', 'worker', [vm.self, atom('max'), 3], { priority: 'max' });
  const got: Term[] = [];
  for (let i = 0; i < 6; i++) got.push(await next(vm));
  sameTerm(t, got, [1, 2, 3].map((i) => tuple(atom('max'), i)).concat([1, 2, 3].map((i) => tuple(atom('high'), i))), 'max first');
});

t.test('a process that never waits is preempted when its reduction budget is spent', async (t) => {
  const { vm } = await startVM(t);
  await vm.spawn('scenario', 'selfLooper', [vm.self, atom('a'), 20_000]);
  await vm.spawn('scenario', 'selfLooper', [vm.self, atom('b'), 20_000]);
  const got: Term[] = [];
  for (let i = 0; i < 40; i++) got.push(await next(vm));
  const lastA = got.findLastIndex((m) => (m as { at(i: number): unknown }).at(0) === atom('a'));
  const firstB = got.findIndex((m) => (m as { at(i: number): unknown }).at(0) === atom('b'));
  t.ok(firstB < lastA, `b reported (at ${firstB}) before a finished (at ${lastA}): the two interleaved`);
});

t.test('a slice longer than longScheduleMs is logged and sent to the system monitor', async (t) => {
  const { vm, logs } = await startVM(t, { longScheduleMs: 20 });
  const a = await agent(vm);
  sameTerm(t, await call(vm, a, 'system_monitor', vm.self, 10), undefined, 'no previous system monitor');
  const busy = await vm.spawn('scenario', 'busy', [vm.self, 40]);
  const m = (await vm.receive(P.tuple(atom('monitor'), P.capture('pid'), atom('long_schedule'), P.capture('info')), 5000))!;
  sameTerm(t, m.pid, busy, '{monitor, Pid, long_schedule, Info} names the busy process');
  const info = m.info as unknown as Array<{ at(i: number): unknown }>;
  t.ok(info[0]!.at(0) === atom('timeout') && (info[0]!.at(1) as number) >= 40, 'Info starts with {timeout, Ms}');
  sameTerm(t, info[1] as unknown as Term, tuple(atom('in'), tuple(atom('scenario'), atom('busy'), 2)), '{in, MFA}');
  sameTerm(t, await next(vm), atom('done'), 'the busy process finished normally');
  t.ok(logs.some((l) => l.level === 'warning' && /long_schedule: process <0\.\d+\.\d+> \(\{scenario,busy,2\}\)/.test(l.text)), 'a warning was logged');
});

t.test('the event loop keeps turning while processes are always runnable', async (t) => {
  const { vm } = await startVM(t);
  const looper = (await vm.spawn('scenario', 'worker', [vm.self, atom('tick'), 1_000_000_000])) as Pid;
  const fired = await new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 5));
  t.ok(fired, 'a setTimeout fired while the worker ran');
  const a = await agent(vm);
  sameTerm(t, await call(vm, a, 'self'), a, 'other processes get their turns');
  await vm.exit(looper, atom('kill'));
  sameTerm(t, await vm.isProcessAlive(looper), false, 'the looper was killed');
});
