// gen_server (src/otp/gen_server.ts), the gaps closed in this round: {via, Module, Name} names,
// {global, Name} refused with a clear error, multi_call and abcast on the local node, the
// "Generic server terminating" error report with format_status/1 and /2, and the crash report
// proc_lib adds. (sys and code_change: sys.test.ts.) Inline, or on 2 scheduler threads.
import t from 'tap';
import { atom, Pid, tuple, Tuple, type Term } from '../../src/index.js';
import { formatEvent, type LogEvent } from '../../src/otp/index.js';
import { nextLog, op, startAppsVM } from './fixtures/apps_harness.js';

const ok = atom('ok');
const error = atom('error');
const via = (name: string): Tuple => tuple(atom('via'), atom('apps_via'), atom(name));

// One VM for the file (a VM on 2 scheduler threads takes ~1.5 s to start); names differ per test.
const apps = await startAppsVM(t);
const { vm } = apps;

t.test('{via, Module, Name}: register, call/cast by via name, already_started, unregistered after a failed init', async (t) => {
  const started = (await op(vm, 'gs_start', atom('apps_gs'), 5, via('v1'))) as Tuple;
  t.equal(started.at(0), ok);
  const pid = started.at(1) as Pid;
  t.same(await vm.processInfo(pid, 'initial_call'), tuple(atom('initial_call'), tuple(atom('proc_lib'), atom('init_p'), 5)), 'started by proc_lib: initial_call {proc_lib, init_p, 5}, as OTP');
  t.equal(await op(vm, 'call', via('v1'), atom('get')), 5, 'call {via, M, Name}');
  t.same(await op(vm, 'cast', via('v1'), tuple(atom('set'), 6)), ok);
  t.equal(await op(vm, 'call', pid, atom('get')), 6, 'cast {via, M, Name}');
  const again = (await op(vm, 'gs_start', atom('apps_gs'), 0, via('v1'))) as Tuple;
  t.same(again, tuple(error, tuple(atom('already_started'), pid)), 'a taken via name: {error, {already_started, Pid}}');
  t.same(await op(vm, 'gs_start', atom('apps_gs'), atom('stop_me'), via('v2')), tuple(error, atom('no_way')), 'init {stop, R}');
  const retry = (await op(vm, 'gs_start', atom('apps_gs'), 1, via('v2'))) as Tuple;
  t.equal(retry.at(0), ok, 'the via name was unregistered before the starter heard of the failure');
  const status = (await op(vm, 'get_state', via('v2'))) as Term;
  t.equal(status, 1, 'sys by via name');
});

t.test('{global, Name}: registered through the global module, as {via, global, Name}', async (t) => {
  const got = (await op(vm, 'gs_start', atom('apps_gs'), 5, tuple(atom('global'), atom('g1')))) as Tuple;
  t.equal(got.at(0), ok, '{ok, Pid}');
  t.same(await op(vm, 'call', tuple(atom('global'), atom('g1')), atom('get')), 5, 'call by {global, Name}');
  t.same(await op(vm, 'call', tuple(atom('via'), atom('global'), atom('g1')), atom('get')), 5, 'the same server as {via, global, Name}');
  const again = (await op(vm, 'gs_start', atom('apps_gs'), 0, tuple(atom('global'), atom('g1')))) as Tuple;
  t.same(again, tuple(atom('error'), tuple(atom('already_started'), got.at(1))), 'a taken global name: already_started');
});

t.test('multi_call and abcast: the local node answers, other nodes are bad nodes', async (t) => {
  const me = (await vm.spawn('apps_client', 'idle', [])).node;
  const other = atom('nowhere@nohost');
  await op(vm, 'gs_start', atom('apps_gs'), 3, atom('mc1'));
  t.same(await op(vm, 'multi_call', [me, other], atom('mc1'), atom('get')), tuple([tuple(me, 3)], [other]), '{[{Node, Reply}], BadNodes}');
  t.same(await op(vm, 'multi_call', [me], atom('mc_nobody'), atom('get')), tuple([], [me]), 'no such server: a bad node');
  t.same(await op(vm, 'abcast', [me, other], atom('mc1'), tuple(atom('set'), 8)), atom('abcast'), 'abcast returns abcast');
  t.equal(await op(vm, 'call', atom('mc1'), atom('get')), 8, 'and the local server got the cast');
});

t.test('the terminate error report (format_status/1 and /2) and the crash report after it', async (t) => {
  t.same(await op(vm, 'add_handler', atom('gs_capture'), vm.self), ok);
  for (const [module, shaped] of [
    ['apps_gs', 10],
    ['apps_gs_fmt1', tuple(atom('fmt1'), 10)],
    ['apps_gs_fmt2', tuple(atom('fmt2_terminate'), 10)],
  ] as const) {
    const name = `term_${module}`;
    await op(vm, 'gs_start', atom(module), 10, atom(name));
    const crashed = (await op(vm, 'call', atom(name), atom('crash'))) as Tuple;
    t.equal(crashed.at(1), atom('exit'), `${module}: the client exits`);
    const report = (await nextLog(vm)) as Record<string, Term>;
    const r = (report.msg as Tuple).at(1) as Record<string, Term>;
    t.same(r.label, tuple(atom('gen_server'), atom('terminate')), 'label {gen_server, terminate}');
    t.same([r.name, r.last_message, r.state], [atom(name), atom('crash'), shaped], `${module}: name, the last Request, the state as format_status shapes it`);
    t.equal(((r.reason as Tuple).at(0) as Term), atom('boom'), 'reason {boom, Stack}');
    t.ok(r.client_info instanceof Tuple && (r.client_info as Tuple).at(0) instanceof Pid, 'client_info: the caller');
    const text = formatEvent(report as unknown as LogEvent);
    t.match(text, new RegExp(`^=ERROR REPORT==== .* ===\\n\\*\\* Generic server ${name} terminating \\n\\*\\* Last message in was crash\\n\\*\\* When Server state == `), 'OTP text');
    const crash = (await nextLog(vm)) as Record<string, Term>;
    const c = (crash.msg as Tuple).at(1) as Record<string, Term>;
    t.same(c.label, tuple(atom('proc_lib'), atom('crash')), 'then proc_lib crash report');
    const fields = (c.report as Tuple[][])[0]!;
    t.same(fields[0], tuple(atom('initial_call'), tuple(atom(module), atom('init'), 1)), 'initial_call {Module, init, 1} (as gen records it)');
    t.same(fields[2], tuple(atom('registered_name'), atom(name)));
  }
  await op(vm, 'gs_start', atom('apps_gs'), 1, atom('term_quiet'));
  await op(vm, 'stop', atom('term_quiet'), tuple(atom('shutdown'), atom('bye')));
  await op(vm, 'log_event', atom('error'), 'marker');
  t.same(((await nextLog(vm)) as Record<string, Term>).msg, tuple(atom('string'), 'marker'), 'no report for {shutdown, _}');
  await op(vm, 'remove_handler', atom('gs_capture'));
});
