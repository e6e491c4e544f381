// gen_server (src/otp/gen_server.ts) against OTP's documented behaviour: start variants and
// init returns, call/cast/info, deferred replies, call exits (timeout, noproc, the server's
// death), stop and terminate, crashes in callbacks, continue and timeouts. The processes run
// inline, or on 2 scheduler threads when BEAMJS_TEST_SCHEDULERS is set (test/otp/multi/).
import t, { type Test } from 'tap';
import { atom, compilePattern, P, Pid, tuple, Tuple, VM, type PatternLike, type Term } from '../../src/index.js';
import { startOtpVM } from './fixtures/start_vm.js';

const MODULES = [new URL('./fixtures/servers.js', import.meta.url)];

function start(t: Test): Promise<VM> {
  return startOtpVM(t, MODULES);
}

let tags = 0;

/** Runs one gen_server operation in a fresh client process; resolves with its outcome term. */
async function op(vm: VM, name: string, ...args: Term[]): Promise<Term> {
  const tag = ++tags;
  await vm.spawn('gs_client', 'run', [vm.self, tag, name, args]);
  const got = await vm.receive(P.tuple(atom('outcome'), tag, P.capture('outcome')), 10_000);
  if (got === undefined) throw new Error(`${name}: no outcome within 10 s`);
  return got.outcome as Term;
}

/** The next message of the VM's mailbox that `pattern` matches (the whole message). */
async function next(vm: VM, pattern: PatternLike): Promise<Term> {
  const matcher = compilePattern(pattern);
  const got = await vm.receive((m: Term) => (matcher.match(m) !== undefined ? { m } : undefined), 5000);
  if (got === undefined) throw new Error('no message within 5 s');
  return got.m;
}

function serverOf(outcome: Term): Pid {
  const value = (outcome as Tuple).at(1) as Tuple;
  return value.at(1) as Pid;
}

const ok = atom('ok');
const caughtExit = (reason: Term): Tuple => tuple(atom('caught'), atom('exit'), reason);

t.test('start_link, call, cast and info; a named server; already_started', async (t) => {
  const vm = await start(t);
  const name = atom('gs_named');
  const started = await op(vm, 'start', tuple(atom('ok'), vm.self), name);
  t.ok(started instanceof Tuple && started.at(0) === ok && ((started.at(1) as Tuple).at(0) as Term) === ok, '{ok, {ok, Pid}}');
  const server = serverOf(started);
  t.same(await next(vm, P.tuple(atom('init'), P.any)), tuple(atom('init'), server), 'init ran in the server process');
  t.same(await op(vm, 'call', name, atom('get')), tuple(ok, 0), 'call by name');
  t.same(await op(vm, 'call', server, atom('inc')), tuple(ok, ok), 'call by pid');
  t.same(await op(vm, 'cast', name, tuple(atom('add'), 10)), tuple(ok, ok), 'cast returns ok');
  t.same(await op(vm, 'call', name, atom('get')), tuple(ok, 11), 'the cast was handled before the next call');
  vm.send(server, atom('hello'));
  t.same(await next(vm, P.tuple(atom('info'), P.any)), tuple(atom('info'), atom('hello')), 'other messages go to handle_info');
  t.same(await op(vm, 'start', tuple(atom('ok'), vm.self), name), tuple(ok, tuple(atom('error'), tuple(atom('already_started'), server))), 'a taken name: {error, {already_started, Pid}}');
  t.same(await op(vm, 'cast', atom('gs_nobody'), atom('x')), tuple(ok, ok), 'a cast to an unregistered name is ok');
});

t.test('each call removes its monitor on both sides (the monitor fast path leaves nothing behind)', async (t) => {
  const vm = await start(t);
  const server = serverOf(await op(vm, 'start', tuple(atom('ok'), vm.self)));
  t.same(await op(vm, 'calls_then_monitors', server, 50), tuple(ok, [[], [], 50]), '50 calls, then no monitor held by the client nor on the server');
  t.same(await op(vm, 'call', server, atom('get')), tuple(ok, 50), 'every call was handled once');
});

t.test('a short call timeout after many calls fires on time (the receive timer the earlier calls left armed is not waited for)', async (t) => {
  const vm = await start(t);
  const server = serverOf(await op(vm, 'start', tuple(atom('ok'), vm.self)));
  const got = (await op(vm, 'calls_then_timeout', server, 20, 40)) as Tuple;
  const [elapsed, reason] = got.at(1) as [number, Term];
  t.equal(reason, atom('timeout'), 'the slow call exits with {timeout, _}');
  t.ok(elapsed >= 40 && elapsed < 2000, `after ${elapsed} ms (asked: 40 ms; the earlier calls' timers were due in 5 s)`);
});

t.test('init returns: ignore, {stop, R}, a bad value, a crash; continue and timeout', async (t) => {
  const vm = await start(t);
  t.same(await op(vm, 'start', tuple(atom('ignore'), vm.self)), tuple(ok, atom('ignore')), 'ignore');
  t.same(await op(vm, 'start', tuple(atom('stop'), vm.self)), tuple(ok, tuple(atom('error'), atom('no_way'))), '{stop, R} gives {error, R}');
  t.same(await op(vm, 'start', tuple(atom('bad'), vm.self)), tuple(ok, tuple(atom('error'), tuple(atom('bad_return_value'), atom('what')))), 'a bad value');
  const crash = (await op(vm, 'start', tuple(atom('crash'), vm.self))) as Tuple;
  const reason = ((crash.at(1) as Tuple).at(1) as Tuple).at(0);
  t.same(reason, tuple(atom('js_error'), 'TypeError', 'init crashed'), 'a crash in init: {error, {{js_error, …}, Stack}}');
  const continued = await op(vm, 'start', tuple(atom('continue'), vm.self));
  const server = serverOf(continued);
  vm.send(server, atom('first'));
  t.same(await next(vm, P.tuple(atom('continued'), P.any)), tuple(atom('continued'), atom('hello')), 'handle_continue runs first');
  t.same(await next(vm, P.tuple(atom('info'), P.any)), tuple(atom('info'), atom('first')), 'then the message');
  await op(vm, 'start', tuple(atom('timeout'), vm.self));
  t.same(await next(vm, P.tuple(atom('info'), atom('timeout'))), tuple(atom('info'), atom('timeout')), 'an idle timeout delivers the info timeout');
  t.same(await op(vm, 'call', server, atom('then_continue')), tuple(ok, ok), 'a reply with {continue, C}');
  t.same(await next(vm, P.tuple(atom('continued'), P.any)), tuple(atom('continued'), atom('after_call')), 'continues after the reply');
});

t.test('call exits: timeout, noproc, the server dying; deferred replies', async (t) => {
  const vm = await start(t);
  const server = serverOf(await op(vm, 'start', tuple(atom('ok'), vm.self)));
  t.same(
    await op(vm, 'call', server, atom('slow'), 50),
    caughtExit(tuple(atom('timeout'), tuple(atom('gen_server'), atom('call'), [server, atom('slow'), 50]))),
    'no reply within the timeout: exit {timeout, {gen_server, call, [S, Req, T]}}',
  );
  t.same(await op(vm, 'call', atom('gs_nobody'), atom('get')), caughtExit(tuple(atom('noproc'), tuple(atom('gen_server'), atom('call'), [atom('gs_nobody'), atom('get'), 5000]))), 'no such server: noproc');
  // A deferred reply: one client waits while another releases it.
  const waiting = op(vm, 'call', server, atom('defer'));
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.same(await op(vm, 'call', server, atom('release')), tuple(ok, ok), 'the releasing call');
  t.same(await waiting, tuple(ok, atom('released')), 'the deferred call got reply/2');
  t.same(await op(vm, 'call', server, atom('stop_me')), tuple(ok, atom('stopped')), '{stop, normal, Reply, S} replies first');
  t.same(await next(vm, P.tuple(atom('terminated'), P.any)), tuple(atom('terminated'), atom('normal')), 'then terminate(normal)');
  const other = serverOf(await op(vm, 'start', tuple(atom('ok'), vm.self)));
  t.same(
    await op(vm, 'call', other, atom('die')),
    caughtExit(tuple(atom('died_in_call'), tuple(atom('gen_server'), atom('call'), [other, atom('die'), 5000]))),
    'the server dies during the call: exit {Reason, {gen_server, call, …}}',
  );
  t.same(await next(vm, P.tuple(atom('terminated'), P.any)), tuple(atom('terminated'), atom('died_in_call')), 'terminate saw the exit reason');
});

t.test('crashes in callbacks, stop/3, and a trapping server whose parent exits', async (t) => {
  const vm = await start(t);
  const server = serverOf(await op(vm, 'start', tuple(atom('ok'), vm.self)));
  const [, ref] = [server, await vm.monitor(server)];
  const crashed = (await op(vm, 'call', server, atom('boom'))) as Tuple;
  t.equal(crashed.at(1), atom('exit'), 'the caller exits');
  const down = (await next(vm, P.tuple(atom('DOWN'), ref, P.any, P.any, P.any))) as Tuple;
  t.same(((down.at(4) as Tuple).at(0) as Term), tuple(atom('js_error'), 'TypeError', 'boom'), 'the server exits with {Reason, Stack}');
  const terminated = (await next(vm, P.tuple(atom('terminated'), P.any))) as Tuple;
  t.same(((terminated.at(1) as Tuple).at(0) as Term), tuple(atom('js_error'), 'TypeError', 'boom'), 'terminate got the same reason');

  const second = serverOf(await op(vm, 'start', tuple(atom('ok'), vm.self)));
  t.same(await op(vm, 'stop', second, atom('shutdown')), tuple(ok, ok), 'stop returns ok');
  t.same(await next(vm, P.tuple(atom('terminated'), P.any)), tuple(atom('terminated'), atom('shutdown')), 'terminate(shutdown) before stop returned');
  t.same(await op(vm, 'stop', second), caughtExit(atom('noproc')), 'stopping a dead server: exit noproc');

  const parentExit = await op(vm, 'start_link_then_exit', tuple(atom('trap'), vm.self), atom('going'));
  const trapping = serverOf(parentExit);
  t.same(await next(vm, P.tuple(atom('terminated'), P.any)), tuple(atom('terminated'), atom('going')), "a trapping server terminates with its parent's reason");
  t.equal(await vm.isProcessAlive(trapping), false, 'and exits');
});
