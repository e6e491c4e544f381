// gen_event (src/otp/gen_event.ts) against OTP 25's behaviour (each expectation was checked in
// erl): manager start variants, add/delete/swap handlers and what init/terminate see, notify,
// sync_notify and call with their results and exits, a crash or bad return removing just that
// handler (with its error report), supervised handlers and gen_event_EXIT, and the manager's
// own stop. The processes run inline, or on 2 scheduler threads (test/otp/multi/).
import t from 'tap';
import { atom, compilePattern, P, Pid, tuple, Tuple, VM, type PatternLike, type Term } from '../../src/index.js';
import { schedulerOptions } from '../support/schedulers.js';
import { startOtpVM } from './fixtures/start_vm.js';

const MODULES = [new URL('./fixtures/event_handlers.js', import.meta.url)];

// One VM for the file (starting scheduler threads costs seconds on a busy machine); each test
// uses its own managers and names. The test that checks reports starts its own (a logger).
let shared: Promise<VM> | undefined;
async function sharedVM(): Promise<VM> {
  if (shared === undefined) shared = startOtpVM(t, MODULES);
  const vm = await shared;
  // What an earlier test left in the mailbox must not match this test's patterns.
  while ((await vm.receive((m: Term) => ({ m }), 20)) !== undefined);
  return vm;
}
const ok = atom('ok');
const a = atom;
let tags = 0;

async function op(vm: VM, name: string, ...args: Term[]): Promise<Term> {
  const tag = ++tags;
  await vm.spawn('ge_client', 'run', [vm.self, tag, name, args]);
  const got = await vm.receive(P.tuple(a('outcome'), tag, P.capture('outcome')), 10_000);
  if (got === undefined) throw new Error(`${name}: no outcome within 10 s`);
  return got.outcome as Term;
}

async function next(vm: VM, pattern: PatternLike, ms = 5000): Promise<Term> {
  const matcher = compilePattern(pattern);
  const got = await vm.receive((m: Term) => (matcher.match(m) !== undefined ? { m } : undefined), ms);
  if (got === undefined) throw new Error(`no matching message within ${ms} ms`);
  return got.m;
}

async function manager(vm: VM, name?: Term): Promise<Pid> {
  const started = (await op(vm, 'start', ...(name === undefined ? [] : [name]))) as Tuple;
  const value = started.at(1) as Tuple;
  if (value.at(0) !== ok) throw new Error(`start failed: ${String(value)}`);
  return value.at(1) as Pid;
}

const args = (vm: VM, tag: string, mode = 'ok'): Term => ({ mode: a(mode), rec: vm.self, tag: a(tag) }) as unknown as Term;
const okv = (v: Term): Tuple => tuple(ok, v);

t.test('start: a named manager, already_started, start_monitor', async (t) => {
  const vm = await sharedVM();
  const mgr = await manager(vm, a('ge_mgr'));
  t.same(await op(vm, 'start', a('ge_mgr')), okv(tuple(a('error'), tuple(a('already_started'), mgr))), 'a taken name: {error, {already_started, Pid}}');
  t.same(await op(vm, 'which', a('ge_mgr')), okv([]), 'no handlers yet, reached by name');
  const mon = (await op(vm, 'start_monitor')) as Tuple;
  const v = mon.at(1) as Tuple;
  t.ok(v.at(0) === ok && (v.at(1) as Tuple).at(0) instanceof Pid, 'start_monitor: {ok, {Pid, Ref}}');
});

t.test('add_handler: init returns, handler ids, which_handlers order', async (t) => {
  const vm = await sharedVM();
  const mgr = await manager(vm);
  const crashed = (await op(vm, 'add', mgr, a('ge_handler'), args(vm, 'c', 'crash'))) as Tuple;
  const exitValue = crashed.at(1) as Tuple;
  t.equal(exitValue.at(0), a('EXIT'), 'init crashing: {EXIT, Reason}');
  t.same((exitValue.at(1) as Tuple).at(0), tuple(a('js_error'), 'TypeError', 'init crashed'), 'the reason is {Reason, Stack}');
  t.same(await op(vm, 'add', mgr, a('ge_handler'), args(vm, 'e', 'error')), okv(tuple(a('error'), a('nope'))), '{error, R} is returned');
  t.same(await op(vm, 'add', mgr, a('ge_handler'), args(vm, 'o', 'other')), okv(a('what')), 'any other value is returned as is');
  t.same(await op(vm, 'which', mgr), okv([]), 'none of those was installed');
  t.same(await op(vm, 'add', mgr, a('ge_handler'), args(vm, 'h1')), okv(ok), 'ok');
  t.same(await op(vm, 'add', mgr, tuple(a('ge_handler'), 2), args(vm, 'h2', 'hibernate')), okv(ok), '{ok, S, hibernate} with {Module, Id}');
  t.same(await op(vm, 'add', mgr, a('ge_minimal'), 0), okv(ok), 'a minimal handler');
  t.same(await op(vm, 'which', mgr), okv([a('ge_minimal'), tuple(a('ge_handler'), 2), a('ge_handler')]), 'most recent first');
  t.same(await op(vm, 'add', mgr, a('ge_nonexistent'), 0), okv(tuple(a('EXIT'), tuple(tuple(a('undef'), [tuple(a('ge_nonexistent'), a('init'), [0], [])]), []))), 'an undefined module: {EXIT, {undef, …}}');
});

t.test('notify, sync_notify, call; delete_handler; exits for a missing manager', async (t) => {
  const vm = await sharedVM();
  const mgr = await manager(vm);
  await op(vm, 'add', mgr, a('ge_handler'), args(vm, 'h1'));
  await op(vm, 'add', mgr, tuple(a('ge_handler'), 2), args(vm, 'h2'));
  t.same(await op(vm, 'notify', mgr, a('hello')), okv(ok), 'notify: ok');
  t.same(await next(vm, P.tuple(a('event'), P.any, a('hello'))), tuple(a('event'), a('h2'), a('hello')), 'the newest handler first');
  t.same(await next(vm, P.tuple(a('event'), P.any, a('hello'))), tuple(a('event'), a('h1'), a('hello')), 'then the older one');
  for (let i = 0; i < 20; i++) vm.send(mgr, tuple(a('notify'), i));
  t.same(await op(vm, 'sync_notify', mgr, a('sync')), okv(ok), 'sync_notify: ok');
  const seen: Term[] = [];
  for (let i = 0; i < 20; i++) seen.push(((await next(vm, P.tuple(a('event'), a('h1'), P.any))) as Tuple).at(2));
  t.same(seen, Array.from({ length: 20 }, (_, i) => i), 'events in the order sent, none lost');
  t.same(await next(vm, P.tuple(a('event'), a('h1'), a('sync'))), tuple(a('event'), a('h1'), a('sync')), 'sync event handled');
  t.same(await op(vm, 'call', mgr, tuple(a('ge_handler'), 2), a('q')), okv(tuple(a('reply'), a('h2'), a('q'))), 'call: the handler reply');
  t.same(await op(vm, 'call', mgr, a('ge_none'), a('q')), okv(tuple(a('error'), a('bad_module'))), 'call to a missing handler: {error, bad_module}');
  vm.send(mgr, a('an_info'));
  t.same(await next(vm, P.tuple(a('info'), a('h2'), P.any)), tuple(a('info'), a('h2'), a('an_info')), 'other messages: handle_info');
  t.same(await op(vm, 'delete', mgr, a('ge_handler'), a('bye')), okv(tuple(a('term_ret'), a('h1'))), "delete_handler: terminate's value");
  t.same(await next(vm, P.tuple(a('terminate'), a('h1'), P.any)), tuple(a('terminate'), a('h1'), a('bye')), 'terminate got the Args');
  t.same(await op(vm, 'delete', mgr, a('ge_handler'), a('bye')), okv(tuple(a('error'), a('module_not_found'))), 'again: {error, module_not_found}');
  t.same(await op(vm, 'stop', mgr), okv(ok), 'stop: ok');
  t.same(await next(vm, P.tuple(a('terminate'), a('h2'), P.any)), tuple(a('terminate'), a('h2'), a('stop')), 'handlers get terminate(stop, S)');
  t.same(await op(vm, 'sync_notify', mgr, a('x')), tuple(a('caught'), a('exit'), a('noproc')), 'sync_notify to a dead manager: exit noproc');
  t.same(await op(vm, 'notify', mgr, a('x')), okv(ok), 'notify to a dead pid: ok');
  t.same(await op(vm, 'notify', a('ge_nobody'), a('x')), tuple(a('caught'), a('error'), a('badarg')), 'notify to an unregistered name: badarg');
  t.same(await op(vm, 'call', mgr, a('ge_handler'), a('x')), tuple(a('caught'), a('exit'), tuple(a('noproc'), tuple(a('gen_event'), a('call'), [mgr, a('ge_handler'), a('x')]))), 'call: {noproc, {gen_event, call, [M, H, Q]}}');
  t.same(await op(vm, 'which', mgr), tuple(a('caught'), a('exit'), a('noproc')), 'which_handlers: noproc');
  t.same(await op(vm, 'stop', mgr), tuple(a('caught'), a('exit'), a('noproc')), 'stop: noproc');
});

t.test('a crash or a bad return removes just that handler; the manager lives on', async (t) => {
  const lines: string[] = [];
  const vm = await VM.start({ ...schedulerOptions(), modules: MODULES, logger: (_level, text) => lines.push(text) });
  t.teardown(() => vm.stop());
  const mgr = await manager(vm, a('ge_crashy'));
  await op(vm, 'add', mgr, a('ge_handler'), args(vm, 'stays'));
  await op(vm, 'add', mgr, tuple(a('ge_handler'), 'goes'), args(vm, 'goes'));
  t.same(await op(vm, 'sync_notify', mgr, a('crash')), okv(ok), 'sync_notify is ok even so');
  const term1 = (await next(vm, P.tuple(a('terminate'), a('goes'), P.any))) as Tuple;
  const arg1 = term1.at(2) as Tuple;
  t.ok(arg1.at(0) === a('error') && (arg1.at(1) as Tuple).at(0) === a('EXIT'), 'terminate({error, {EXIT, Reason}}, S)');
  const term2 = (await next(vm, P.tuple(a('terminate'), a('stays'), P.any))) as Tuple;
  t.equal((term2.at(2) as Tuple).at(0), a('error'), 'every handler that crashes goes');
  t.same(await op(vm, 'which', mgr), okv([]), 'both are gone');
  await op(vm, 'add', mgr, a('ge_handler'), args(vm, 'b1'));
  await op(vm, 'add', mgr, a('ge_minimal'), 0);
  await op(vm, 'sync_notify', mgr, a('bad'));
  t.same(await next(vm, P.tuple(a('terminate'), a('b1'), P.any)), tuple(a('terminate'), a('b1'), tuple(a('error'), a('bad_ret'))), 'a bad value: terminate({error, Value}, S)');
  t.same(await op(vm, 'which', mgr), okv([a('ge_minimal')]), 'the other handler stays');
  await op(vm, 'add', mgr, a('ge_handler'), args(vm, 'c1'));
  const callCrash = (await op(vm, 'call', mgr, a('ge_handler'), a('crash'))) as Tuple;
  const r = (callCrash.at(1) as Tuple);
  t.ok(r.at(0) === a('error') && (r.at(1) as Tuple).at(0) === a('EXIT'), 'a call that crashes: {error, {EXIT, R}}');
  await op(vm, 'add', mgr, a('ge_handler'), args(vm, 'c2'));
  t.same(await op(vm, 'call', mgr, a('ge_handler'), a('bad')), okv(tuple(a('error'), a('bad_ret'))), 'a bad call return: {error, Value}');
  await op(vm, 'add', mgr, a('ge_handler'), args(vm, 'c3'));
  t.same(await op(vm, 'call', mgr, a('ge_handler'), a('remove')), okv(a('removed')), '{remove_handler, Reply}');
  t.same(await next(vm, P.tuple(a('terminate'), a('c3'), P.any)), tuple(a('terminate'), a('c3'), a('remove_handler')), 'terminate(remove_handler, S)');
  t.ok(await vm.isProcessAlive(mgr), 'the manager is alive');
  const report = lines.find((l) => l.includes('** gen_event handler {ge_handler,<<"goes">>} crashed.'));
  t.ok(report !== undefined, 'an error report names the handler');
  t.match(report ?? '', /=ERROR REPORT====.*\n\*\* gen_event handler \{ge_handler,<<"goes">>\} crashed\.\n\*\* Was installed in ge_crashy\n\*\* Last event was: crash\n\*\* When handler state == \{<[0-9.]+>,goes\}\n\*\* Reason == \{\{js_error/, "OTP's wording");
});

t.test('swap_handler, swap_handler returns, and init({Args2, Res})', async (t) => {
  const vm = await sharedVM();
  const mgr = await manager(vm);
  await op(vm, 'add', mgr, a('ge_handler'), args(vm, 'old'));
  const newArgs = args(vm, 'new');
  t.same(await op(vm, 'swap', mgr, tuple(a('ge_handler'), a('a1')), tuple(tuple(a('ge_handler'), 'n'), newArgs)), okv(ok), 'swap_handler: ok');
  t.same(await next(vm, P.tuple(a('terminate'), a('old'), P.any)), tuple(a('terminate'), a('old'), a('a1')), 'the old gets terminate(Args1, S)');
  t.same(await next(vm, P.tuple(a('swap_init'), a('new'), P.any)), tuple(a('swap_init'), a('new'), tuple(a('term_ret'), a('old'))), "the new gets init({Args2, terminate's value})");
  t.same(await op(vm, 'swap', mgr, tuple(a('ge_none'), a('a1')), tuple(tuple(a('ge_handler'), 'm'), args(vm, 'm'))), okv(ok), 'swapping out a missing handler is ok');
  t.same(await next(vm, P.tuple(a('swap_init'), a('m'), P.any)), tuple(a('swap_init'), a('m'), a('error')), 'init({Args2, error})');
  await op(vm, 'sync_notify', mgr, tuple(a('swap'), tuple(a('ge_handler'), 'e'), args(vm, 'e')));
  t.same(await next(vm, P.tuple(a('swap_init'), a('e'), P.any)), tuple(a('swap_init'), a('e'), tuple(a('term_ret'), a('m'))), '{swap_handler, …} from handle_event (the first handler swaps)');
  t.same(await next(vm, P.tuple(a('terminate'), a('new'), P.any)), tuple(a('terminate'), a('new'), a('sw_args1')), 'each handler that returns swap_handler is swapped');
  const reply = await op(vm, 'call', mgr, tuple(a('ge_handler'), 'e'), tuple(a('swap'), tuple(a('ge_handler'), 'f'), args(vm, 'f')));
  t.same(reply, okv(a('swapping')), '{swap_handler, Reply, …} from handle_call replies');
  t.same(await next(vm, P.tuple(a('swap_init'), a('f'), P.any)), tuple(a('swap_init'), a('f'), tuple(a('term_ret'), a('e'))), 'then swaps');
  const which = ((await op(vm, 'which', mgr)) as Tuple).at(1) as Term[];
  t.ok(which.some((h) => h instanceof Tuple && h.at(1) === 'f'), 'the new handler is installed');
  t.same(await op(vm, 'call', mgr, tuple(a('ge_handler'), 'f'), a('q'), 1000), okv(tuple(a('reply'), a('f'), a('q'))), 'call/4 with a timeout');
});

t.test('supervised handlers: gen_event_EXIT, the owner dying, swap_sup_handler, the manager stopping', async (t) => {
  const vm = await sharedVM();
  const mgr = await manager(vm);
  const owner = await vm.spawn('ge_owner', 'run', [vm.self, mgr, tuple(a('ge_handler'), 's1'), args(vm, 's1')]);
  t.same(await next(vm, P.tuple(a('owner'), a('added'), P.any)), tuple(a('owner'), a('added'), ok), 'add_sup_handler: ok');
  t.same(await op(vm, 'delete', mgr, tuple(a('ge_handler'), 's1'), a('d')), okv(tuple(a('term_ret'), a('s1'))), 'deleted');
  t.same(await next(vm, P.tuple(a('owner_got'), P.any)), tuple(a('owner_got'), tuple(a('gen_event_EXIT'), tuple(a('ge_handler'), 's1'), a('normal'))), 'the owner gets {gen_event_EXIT, H, normal}');

  const owner2 = await vm.spawn('ge_owner', 'run', [vm.self, mgr, tuple(a('ge_handler'), 's2'), args(vm, 's2')]);
  await next(vm, P.tuple(a('owner'), a('added'), P.any));
  await op(vm, 'sync_notify', mgr, a('bad'));
  t.same(await next(vm, P.tuple(a('owner_got'), P.any)), tuple(a('owner_got'), tuple(a('gen_event_EXIT'), tuple(a('ge_handler'), 's2'), a('bad_ret'))), 'a bad value: {gen_event_EXIT, H, Value}');
  await op(vm, 'add', mgr, a('ge_handler'), args(vm, 'plain'));
  vm.send(owner2, tuple(a('swap'), tuple(a('ge_handler'), a('sa1')), tuple(tuple(a('ge_handler'), 's3'), args(vm, 's3'))));
  t.same(await next(vm, P.tuple(a('owner'), a('swapped'), P.any)), tuple(a('owner'), a('swapped'), ok), 'swap_sup_handler: ok');
  t.same(await next(vm, P.tuple(a('swap_init'), a('s3'), P.any)), tuple(a('swap_init'), a('s3'), tuple(a('term_ret'), a('plain'))), 'the new handler got the old one’s terminate value');
  await op(vm, 'add', mgr, a('ge_handler'), args(vm, 'watcher'));
  vm.send(owner2, tuple(a('die'), a('owner_gone')));
  t.same(await next(vm, P.tuple(a('terminate'), a('s3'), P.any)), tuple(a('terminate'), a('s3'), tuple(a('stop'), a('owner_gone'))), "the owner's exit: terminate({stop, Reason}, S)");
  t.same(await next(vm, P.tuple(a('info'), P.any, P.any)), tuple(a('info'), a('watcher'), tuple(a('EXIT'), owner2, a('owner_gone'))), 'the EXIT also reaches the other handlers');
  t.same(await op(vm, 'which', mgr), okv([a('ge_handler')]), 'only the unsupervised handler is left');

  vm.send(owner, tuple(a('die'), a('x'))); // the first owner: its handler is gone already
  const owner3 = await vm.spawn('ge_owner', 'run', [vm.self, mgr, tuple(a('ge_handler'), 's4'), args(vm, 's4')]);
  await next(vm, P.tuple(a('owner'), a('added'), P.any));
  await op(vm, 'stop', mgr); // normal: the linked owner lives on to forward what it got
  t.same(await next(vm, P.tuple(a('terminate'), a('s4'), P.any)), tuple(a('terminate'), a('s4'), a('stop')), 'stop: terminate(stop, S)');
  t.same(await next(vm, P.tuple(a('owner_got'), P.any)), tuple(a('owner_got'), tuple(a('gen_event_EXIT'), tuple(a('ge_handler'), 's4'), a('shutdown'))), 'the owner gets {gen_event_EXIT, H, shutdown}');
  void owner3;
});

t.test("stop/3 with a reason; a trapping manager whose parent exits", async (t) => {
  const vm = await sharedVM();
  const mgr = await manager(vm);
  const ref = await vm.monitor(mgr);
  await op(vm, 'add', mgr, a('ge_handler'), args(vm, 'r1'));
  t.same(await op(vm, 'stop', mgr, a('my_reason')), okv(ok), 'stop/3: ok');
  t.same(await next(vm, P.tuple(a('terminate'), a('r1'), P.any)), tuple(a('terminate'), a('r1'), a('stop')), 'terminate(stop, S)');
  t.same(await next(vm, P.tuple(a('DOWN'), ref, P.any, P.any, P.any)), tuple(a('DOWN'), ref, a('process'), mgr, a('my_reason')), 'the manager exits with the reason');
  // vm.self is the parent of a start_link'ed manager: spawn one linked from a client that then exits.
  const linked = await vm.spawn('ge_linker', 'run', [vm.self, args(vm, 'p1')]);
  const got = (await next(vm, P.tuple(a('linked_mgr'), P.any))) as Tuple;
  const mgr2 = got.at(1) as Pid;
  const ref2 = await vm.monitor(mgr2);
  vm.send(linked, a('go'));
  t.same(await next(vm, P.tuple(a('terminate'), a('p1'), P.any)), tuple(a('terminate'), a('p1'), a('stop')), "the parent's exit: terminate(stop, S)");
  t.same(await next(vm, P.tuple(a('DOWN'), ref2, P.any, P.any, P.any)), tuple(a('DOWN'), ref2, a('process'), mgr2, a('parent_left')), "the manager exits with the parent's reason");
});

t.test('events from several senders (several threads when multi): none lost, each sender in order', async (t) => {
  const vm = await sharedVM();
  const mgr = await manager(vm);
  t.same(await op(vm, 'add', mgr, a('ge_counter'), []), okv(ok), 'a counting handler');
  t.same(await op(vm, 'add', mgr, tuple(a('ge_counter'), 2), []), okv(ok), 'and a second one');
  const senders = 6;
  const count = 300;
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < senders; i++) await vm.spawn('ge_sender', 'run', [vm.self, mgr, round * senders + i, count]);
    for (let i = 0; i < senders; i++) await next(vm, P.tuple(a('sender_done'), P.any), 10_000);
  }
  const expected = Array.from({ length: 2 * senders }, (_, i) => tuple(i, count));
  t.same(await op(vm, 'call', mgr, a('ge_counter'), a('counts')), okv(expected), 'every event of every sender, in order (an out-of-order one would have removed the handler)');
  t.same(await op(vm, 'call', mgr, tuple(a('ge_counter'), 2), a('counts')), okv(expected), 'the second handler saw the same');
});
