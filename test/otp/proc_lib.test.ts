// proc_lib (src/otp/proc_lib.ts) against OTP 25's behaviour: '$ancestors' and '$initial_call';
// start/start_link/start_monitor with init_ack, a child dying before the ack, init_fail, the
// timeout; crash reports (fields, and none for normal / {shutdown, _}). Inline, or on 2
// scheduler threads (test/otp/multi/).
import t from 'tap';
import { atom, format, P, Pid, Ref, tuple, Tuple, type Term } from '../../src/index.js';
import { formatEvent, type LogEvent } from '../../src/otp/index.js';
import { next, nextLog, op, opFull, startAppsVM } from './fixtures/apps_harness.js';

// One VM for the file (a VM on 2 scheduler threads takes ~1.5 s to start); names differ per test.
const apps = await startAppsVM(t);

const ok = atom('ok');
const error = atom('error');

t.test("'$ancestors' and '$initial_call' as OTP sets them (a registered spawner by name)", async (t) => {
  const { vm } = apps;
  t.same(await op(vm, 'pl_spawn_info'), ok);
  const child = (await next(vm, P.tuple(atom('pl_info'), P.any, P.any, P.any))) as Tuple;
  t.same(child.at(2), [atom('apps_named_client')], 'the child: [the spawner\'s name]');
  t.same(child.at(3), tuple(atom('pl_child'), atom('info'), 2), "'$initial_call' is {M, F, Arity}");
  const grandchild = (await next(vm, P.tuple(atom('pl_info'), P.any, P.any, P.any))) as Tuple;
  t.same(grandchild.at(2), [child.at(1), atom('apps_named_client')], 'the grandchild: [its parent pid | the parent\'s ancestors]');
});

t.test('start, start_link, start_monitor: the ack, a death before it, init_fail, the timeout', async (t) => {
  const { vm } = apps;
  for (const linkage of ['none', 'link', 'monitor']) {
    const got = await op(vm, 'pl_start', atom('ack'), atom(linkage));
    const ret = linkage === 'monitor' ? ((got as Tuple).at(0) as Tuple) : (got as Tuple);
    t.equal(ret.at(0), ok, `${linkage}: {ok, Pid} from init_ack`);
    t.ok(ret.at(1) instanceof Pid && (await vm.isProcessAlive(ret.at(1) as Pid)), `${linkage}: the child lives on`);
    if (linkage === 'monitor') t.ok((got as Tuple).at(1) instanceof Ref, 'start_monitor: {Ret, MonitorRef}');
  }
  // A crash before the ack.
  const crashed = (await op(vm, 'pl_start', atom('crash'), atom('none'))) as Tuple;
  t.equal(crashed.at(0), error, 'start: a crash before the ack is {error, Reason}');
  t.same(((crashed.at(1) as Tuple).at(0) as Tuple).at(0), atom('js_error'), 'Reason is the exit reason {{js_error, …}, Stack}');
  // start_link, a trapping caller: {error, Reason}, and the 'EXIT' is consumed.
  const trapped = await opFull(vm, 'pl_start', [atom('exit'), atom('link')], true);
  t.same(trapped.value, tuple(error, atom('bad_init')), 'start_link: {error, bad_init}');
  t.same(trapped.mailbox, [], "and the child's 'EXIT' is not left in the mailbox");
  // A normal exit before the ack (OTP 25's start_link would hang here).
  t.same(await op(vm, 'pl_start', atom('normal'), atom('link')), tuple(error, atom('normal')), 'start_link: {error, normal}');
  // start_monitor: {{error, R}, Ref}, and the 'DOWN' stays for the caller.
  const mon = await opFull(vm, 'pl_start', [atom('exit'), atom('monitor')]);
  const [ret, ref] = (mon.value as Tuple).elements as [Term, Ref];
  t.same(ret, tuple(error, atom('bad_init')), 'start_monitor: {{error, bad_init}, Ref}');
  t.ok(mon.mailbox.length === 1 && (mon.mailbox[0] as Tuple).at(0) === atom('DOWN') && ((mon.mailbox[0] as Tuple).at(1) as Ref).equals(ref), "the 'DOWN' is put back");
  // init_fail (OTP 26): the start returns Ret once the child is gone.
  t.same(await op(vm, 'pl_start', atom('fail'), atom('none')), tuple(error, atom('failed')), 'init_fail: Ret');
  // The timeout: {error, timeout}, the child killed.
  t.same(await op(vm, 'pl_start', atom('slow'), atom('link'), 50), tuple(error, atom('timeout')), 'timeout: {error, timeout}');
  const slow = ((await next(vm, P.tuple(atom('slow_child'), P.any))) as Tuple).at(1) as Pid;
  let alive = true;
  for (let i = 0; i < 100 && alive; i++) {
    alive = await vm.isProcessAlive(slow);
    if (alive) await new Promise((r) => setTimeout(r, 10));
  }
  t.equal(alive, false, 'and the child was killed');
});

t.test('a crash report for an abnormal exit, with OTP 25 field names; none for {shutdown, _}', async (t) => {
  const { vm } = apps;
  t.same(await op(vm, 'add_handler', atom('capture'), vm.self), ok);
  // {shutdown, done}: no report (checked by a marker logged after it).
  const quiet = ((await op(vm, 'pl_start', atom('ack_then_shutdown'), atom('none'))) as Tuple).at(1) as Pid;
  vm.send(quiet, atom('go'));
  while (await vm.isProcessAlive(quiet)) await new Promise((r) => setTimeout(r, 5));
  await op(vm, 'log_event', atom('error'), 'marker');
  const first = (await nextLog(vm)) as Record<string, Term>;
  t.same(first.msg, tuple(atom('string'), 'marker'), 'no crash report for {shutdown, _}');

  const crasher = ((await op(vm, 'pl_start', atom('ack_then_crash'), atom('none'))) as Tuple).at(1) as Pid;
  vm.send(crasher, atom('go'));
  const event = (await nextLog(vm)) as Record<string, Term>;
  t.equal(event.level, atom('error'), 'level error');
  const report = (event.msg as Tuple).at(1) as Record<string, Term>;
  t.same(report.label, tuple(atom('proc_lib'), atom('crash')), 'label {proc_lib, crash}');
  const [crash, neighbours] = report.report as [Tuple[], Term];
  t.same(neighbours, [], 'neighbours: none known');
  // OTP 25's order of the fields beamjs knows (heap_size and stack_size are not known).
  t.same(
    crash.map((f) => (f.at(0) as { name: string }).name),
    ['initial_call', 'pid', 'registered_name', 'error_info', 'ancestors', 'message_queue_len', 'messages', 'links', 'dictionary', 'trap_exit', 'status', 'reductions'],
    'the fields, in OTP order',
  );
  const field = (k: string): Term => crash.find((f) => (f.at(0) as { name: string }).name === k)!.at(1);
  t.same(field('initial_call'), tuple(atom('pl_child'), atom('init'), 2));
  t.ok((field('pid') as Pid).equals(crasher), 'pid');
  t.same(field('registered_name'), []);
  const info = field('error_info') as Tuple;
  t.same([info.at(0), info.at(1)], [atom('error'), atom('boom')], 'error_info {error, boom, Stack}');
  t.equal((field('ancestors') as Term[]).length, 1, 'ancestors: the client');
  t.same(field('dictionary'), [tuple(atom('mykey'), 42)], "dictionary, without '$ancestors' / '$initial_call'");
  t.same([field('message_queue_len'), field('messages'), field('trap_exit'), field('status')], [0, [], false, atom('running')]);
  const text = formatEvent(event as unknown as LogEvent);
  t.match(text, /^=CRASH REPORT==== \d+-[A-Z][a-z]{2}-\d{4}::\d\d:\d\d:\d\d\.\d{6} ===\n  crasher:\n    initial call: pl_child:init\/2\n    pid: <[\d.]+>\n    registered_name: \[\]\n    exception error: boom\n      in function  pl_child:init\/2\n    ancestors: \[<[\d.]+>\]\n/, 'printed as OTP prints it');
  t.match(text, /    dictionary: \[\{mykey,42\}\]\n    trap_exit: false\n    status: running\n    reductions: \d+\n  neighbours:\n$/, 'to the end');
  t.equal(format(field('links')), '[]', 'links: none (started with start/3)');
});
