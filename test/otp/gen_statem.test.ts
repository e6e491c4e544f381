// gen_statem (src/otp/gen_statem.ts, gen_statem_loop.ts) against OTP's documented behaviour:
// start variants and init returns, both callback modes, state enter calls, postpone and
// next_event ordering, every time-out kind (event, state, generic; zero, cancel, update,
// infinity), replies, call/cast exits, stop and terminate, crashes and OTP's error names, and
// the OTP docs' code lock. Time-outs are a few ms; where a test needs "this did not fire", a
// later generic time-out is the fence (gen_statem orders events, not clocks). The processes run
// inline, or on 2 scheduler threads when BEAMJS_TEST_SCHEDULERS is set (test/otp/multi/).
import t, { type Test } from 'tap';
import { atom, compilePattern, P, Pid, Ref, tuple, Tuple, VM, type PatternLike, type Term } from '../../src/index.js';
import { startOtpVM } from './fixtures/start_vm.js';

const MODULES = [new URL('./fixtures/statems.js', import.meta.url)];

// One VM for the file (a VM on 2 threads costs about a second to start): every test uses
// machines of its own and consumes the messages it causes (noMoreTraces checks it).
const shared = await startOtpVM(t, MODULES);

function start(_t: Test): Promise<VM> {
  return Promise.resolve(shared);
}

let tags = 0;

/** Runs one gen_statem operation in a fresh client process; resolves with its outcome term. */
async function op(vm: VM, name: string, ...args: Term[]): Promise<Term> {
  const tag = ++tags;
  await vm.spawn('sm_client', 'run', [vm.self, tag, name, args]);
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

const TRACE = P.tuple(atom('trace'), P.any, P.any, P.any);

/** The next n trace records, as [State, Type, Content] tuples. */
async function traces(vm: VM, n: number): Promise<Term[]> {
  const out: Term[] = [];
  for (let i = 0; i < n; i++) {
    const m = (await next(vm, TRACE)) as Tuple;
    out.push(tuple(m.at(1), m.at(2), m.at(3)));
  }
  return out;
}

/** No trace record is left (checked after a fence). */
async function noMoreTraces(vm: VM): Promise<boolean> {
  const matcher = compilePattern(TRACE);
  return (await vm.receive((m: Term) => (matcher.match(m) !== undefined ? { m } : undefined), 0)) === undefined;
}

function serverOf(outcome: Term): Pid {
  return ((outcome as Tuple).at(1) as Tuple).at(1) as Pid;
}

const ok = atom('ok');
const a = atom('a');
const b = atom('b');
const c = atom('c');
const cast = atom('cast');
const enter = atom('enter');
const keep = atom('keep_state_and_data');
const tr = (s: Term, type: Term, content: Term): Tuple => tuple(s, type, content);
const cmd = (result: Term): Tuple => tuple(atom('cmd'), result);
/** {force, {next_state_keep_data, S, Actions}}: go to S (never postponed). */
const nextState = (s: Term, actions: Term[] = []): Tuple => tuple(atom('force'), tuple(atom('next_state_keep_data'), s, actions));
const keepWith = (actions: Term[]): Tuple => cmd(tuple(keep, actions));
const caughtExit = (reason: Term): Tuple => tuple(atom('caught'), atom('exit'), reason);
const castTo = (vm: VM, pid: Pid, content: Term): void => vm.send(pid, tuple(atom('$gen_cast'), content));

/** Starts an sm_script machine in state `state` (with state_enter unless opts say no_enter); returns its pid. */
async function machine(vm: VM, state: Term = a, actions: Term[] = [], opts: Term[] = []): Promise<Pid> {
  const started = await op(vm, 'start', tuple(vm.self, opts, tuple(ok, state, actions)));
  return serverOf(started);
}

t.test('start, start_link, start_monitor; init returns; a named machine; bad callback modes', async (t) => {
  const vm = await start(t);
  const name = atom('sm_named');
  const started = (await op(vm, 'start', tuple(vm.self, [], tuple(ok, a, [])), name)) as Tuple;
  t.equal((started.at(1) as Tuple).at(0), ok, '{ok, Pid}');
  const pid = serverOf(started);
  t.same(await traces(vm, 1), [tr(a, enter, a)], 'the initial enter call: (enter, State, State)');
  t.same(await op(vm, 'start', tuple(vm.self, [], tuple(ok, a, [])), name), tuple(ok, tuple(atom('error'), tuple(atom('already_started'), pid))), 'a taken name');
  t.same(await op(vm, 'call', name, keepWith([tuple(atom('reply'), atom('$from'), atom('hi'))])), tuple(ok, atom('hi')), 'call by name');
  t.same(await traces(vm, 1), [tr(a, atom('call'), keepWith([tuple(atom('reply'), atom('$from'), atom('hi'))]))], 'a {call, From} event');
  t.same(await op(vm, 'start', tuple(vm.self, [], atom('ignore'))), tuple(ok, atom('ignore')), 'ignore');
  t.same(await op(vm, 'start', tuple(vm.self, [], tuple(atom('stop'), atom('no_way')))), tuple(ok, tuple(atom('error'), atom('no_way'))), '{stop, R} -> {error, R}');
  t.same(await op(vm, 'start', tuple(vm.self, [], atom('bad'))), tuple(ok, tuple(atom('error'), tuple(atom('bad_return_from_init'), atom('what')))), 'a bad init return');
  const crash = ((await op(vm, 'start', tuple(vm.self, [], atom('crash')))) as Tuple).at(1) as Tuple;
  t.same(((crash.at(1) as Tuple).at(0) as Term), tuple(atom('js_error'), 'TypeError', 'init crashed'), 'a crash in init: {error, {Reason, Stack}}');
  // A bad callback mode: start returns {ok, Pid}, then the machine crashes (OTP 25 reads the mode after the ack).
  const badMode = serverOf(await op(vm, 'start', tuple(vm.self, [atom('bad_mode')], tuple(ok, a, [atom('postpone')]))));
  t.same(await next(vm, P.tuple(atom('terminated'), P.any, P.any)), tuple(atom('terminated'), tuple(atom('bad_return_from_callback_mode'), atom('bad_mode')), a), 'a bad callback mode: {ok, Pid}, then terminate({bad_return_from_callback_mode, M})');
  const badRef = await vm.monitor(badMode);
  t.equal(((await next(vm, P.tuple(atom('DOWN'), badRef, P.any, P.any, P.any))) as Tuple).at(2), atom('process'), 'and the machine exits');
  const monitored = (await op(vm, 'start_monitor', tuple(vm.self, [atom('no_enter')], tuple(ok, a, [])))) as Tuple;
  const [mpid, mref] = ((monitored.at(1) as Tuple).at(1) as Tuple).elements;
  t.ok(mpid instanceof Pid, 'start_monitor: {ok, {Pid, Ref}}');
  t.ok(await noMoreTraces(vm), 'no enter call without state_enter');
  t.same(await op(vm, 'stop', mpid as Pid), tuple(ok, ok), 'stop');
  t.same(await next(vm, P.tuple(atom('terminated'), P.any, P.any)), tuple(atom('terminated'), atom('normal'), a), 'terminate(normal, State, Data)');
  t.ok(mref instanceof Ref, "start_monitor's second element is the monitor's ref");
});

t.test('state enter calls: on every state change, not on keep_state, again on repeat_state', async (t) => {
  const vm = await start(t);
  const pid = await machine(vm);
  await traces(vm, 1);
  castTo(vm, pid, nextState(b));
  castTo(vm, pid, atom('x'));
  castTo(vm, pid, cmd(atom('repeat_state_and_data')));
  castTo(vm, pid, nextState(b));
  castTo(vm, pid, nextState(a));
  t.same(
    await traces(vm, 8),
    [
      tr(a, cast, nextState(b)),
      tr(b, enter, a),
      tr(b, cast, atom('x')),
      tr(b, cast, cmd(atom('repeat_state_and_data'))),
      tr(b, enter, b),
      tr(b, cast, nextState(b)),
      tr(b, cast, nextState(a)),
      tr(a, enter, b),
    ],
    'enter(OldState) after next_state to another state; repeat_state re-runs it; next_state to the same state does not',
  );
  // An enter call may not change the state, postpone, or insert events.
  for (const [spec, reason] of [
    [tuple(atom('next_state'), c, 0), tuple(atom('bad_state_enter_return_from_state_function'), tuple(atom('next_state'), c, 0))],
    [tuple(keep, [atom('postpone')]), tuple(atom('bad_state_enter_action_from_state_function'), atom('postpone'))],
    [tuple(keep, [tuple(atom('next_event'), atom('internal'), 1)]), tuple(atom('bad_state_enter_action_from_state_function'), tuple(atom('next_event'), atom('internal'), 1))],
  ] as const) {
    const m = await machine(vm);
    await traces(vm, 1);
    const ref = await vm.monitor(m);
    castTo(vm, m, tuple(atom('set_enter'), b, spec));
    castTo(vm, m, nextState(b));
    const down = (await next(vm, P.tuple(atom('DOWN'), ref, P.any, P.any, P.any))) as Tuple;
    t.same((down.at(4) as Tuple).at(0), reason, `exit {${(reason.at(0) as { name: string }).name}, …}`);
    t.same(await next(vm, P.tuple(atom('terminated'), P.any, P.any)), tuple(atom('terminated'), reason, b), 'terminate got the bare reason');
    await traces(vm, 3);
  }
});

t.test('postpone: retried after a state change (oldest first, before later events), not after keep_state', async (t) => {
  const vm = await start(t);
  const pid = await machine(vm, a, [], [atom('no_enter')]);
  castTo(vm, pid, tuple(atom('set_postpone'), [a]));
  for (const e of ['e1', 'e2', 'e3']) castTo(vm, pid, atom(e));
  castTo(vm, pid, tuple(atom('force'), atom('keep_state_and_data')));
  castTo(vm, pid, nextState(b));
  castTo(vm, pid, atom('e4'));
  const got = await traces(vm, 10);
  t.same(
    got,
    [
      tr(a, cast, tuple(atom('set_postpone'), [a])),
      tr(a, cast, atom('e1')),
      tr(a, cast, atom('e2')),
      tr(a, cast, atom('e3')),
      tr(a, cast, tuple(atom('force'), atom('keep_state_and_data'))),
      tr(a, cast, nextState(b)),
      tr(b, cast, atom('e1')),
      tr(b, cast, atom('e2')),
      tr(b, cast, atom('e3')),
      tr(b, cast, atom('e4')),
    ],
    'e1..e3 postponed in a, kept over keep_state, retried in b in order before e4',
  );
  // A postponed event of a state change is retried at once in the new state (there it is
  // postponed again, without a state change, so it stays).
  const again = nextState(a, [atom('postpone')]);
  castTo(vm, pid, again);
  const fence = tuple(atom('force'), tuple(keep, [tuple(tuple(atom('timeout'), atom('fence')), 20, atom('f'))]));
  castTo(vm, pid, fence);
  t.same(
    await traces(vm, 4),
    [tr(b, cast, again), tr(a, cast, again), tr(a, cast, fence), tr(a, tuple(atom('timeout'), atom('fence')), atom('f'))],
    'postpone with a state change: the event is handled again in the new state, and only once',
  );
  t.ok(await noMoreTraces(vm));
});

t.test('next_event: inserted in order before queued events; before retried postponed events', async (t) => {
  const vm = await start(t);
  const pid = await machine(vm, a, [], [atom('no_enter')]);
  castTo(vm, pid, tuple(atom('set_postpone'), [a]));
  castTo(vm, pid, atom('p1'));
  castTo(vm, pid, nextState(b, [tuple(atom('next_event'), atom('internal'), atom('n1')), tuple(atom('next_event'), cast, atom('n2'))]));
  castTo(vm, pid, atom('m'));
  t.same(
    await traces(vm, 6),
    [
      tr(a, cast, tuple(atom('set_postpone'), [a])),
      tr(a, cast, atom('p1')),
      tr(a, cast, nextState(b, [tuple(atom('next_event'), atom('internal'), atom('n1')), tuple(atom('next_event'), cast, atom('n2'))])),
      tr(b, atom('internal'), atom('n1')),
      tr(b, cast, atom('n2')),
      tr(b, cast, atom('p1')),
    ],
    'next_events first, in order, then the retried postponed event',
  );
  t.same(await traces(vm, 1), [tr(b, cast, atom('m'))], 'then the mailbox');
  // init actions can insert events too: they come before any message.
  const other = await machine(vm, a, [tuple(atom('next_event'), atom('internal'), atom('boot'))]);
  t.same(await traces(vm, 2), [tr(a, enter, a), tr(a, atom('internal'), atom('boot'))], 'the enter call, then the inserted event');
  t.ok(other instanceof Pid);
});

t.test('event time-out: fires when idle, with its content; cancelled by any event; integer and update forms', async (t) => {
  const vm = await start(t);
  const pid = await machine(vm, a, [], [atom('no_enter')]);
  castTo(vm, pid, keepWith([tuple(atom('timeout'), 5, atom('idle'))]));
  t.same((await traces(vm, 2))[1], tr(a, atom('timeout'), atom('idle')), '{timeout, T, Msg} delivers (timeout, Msg)');
  castTo(vm, pid, keepWith([5]));
  t.same((await traces(vm, 2))[1], tr(a, atom('timeout'), 5), 'an integer T is {timeout, T, T}');
  // Set a long event time-out and a fence; an event in between cancels the event time-out.
  castTo(vm, pid, keepWith([tuple(atom('timeout'), 200, atom('never')), tuple(tuple(atom('timeout'), atom('fence')), 300, atom('f'))]));
  castTo(vm, pid, atom('interrupt'));
  const got = await traces(vm, 3);
  t.same(got.slice(1), [tr(a, cast, atom('interrupt')), tr(a, tuple(atom('timeout'), atom('fence')), atom('f'))], 'the event cancelled the event time-out: only the fence fired');
  castTo(vm, pid, cmd(tuple(keep, [tuple(atom('timeout'), 0, atom('zero')), tuple(atom('next_event'), cast, atom('queued'))])));
  castTo(vm, pid, keepWith([tuple(atom('timeout'), 0, atom('zero2'))]));
  const zero = await traces(vm, 4);
  t.same(zero.slice(1), [tr(a, cast, atom('queued')), tr(a, cast, keepWith([tuple(atom('timeout'), 0, atom('zero2'))])), tr(a, atom('timeout'), atom('zero2'))], 'an event time-out is not started when events are queued; 0 fires at once');
  // Zero time-outs are delivered in the order set (erl 25 does the same): an event time-out
  // before a generic one fires; after it, the generic one's event cancels it.
  const g = tuple(atom('timeout'), atom('g'));
  castTo(vm, pid, keepWith([tuple(atom('timeout'), 0, atom('et')), tuple(g, 0, atom('g'))]));
  t.same((await traces(vm, 3)).slice(1), [tr(a, atom('timeout'), atom('et')), tr(a, g, atom('g'))], 'event time-out 0, then generic 0: both, in order');
  castTo(vm, pid, keepWith([tuple(g, 0, atom('g')), tuple(atom('timeout'), 0, atom('et'))]));
  castTo(vm, pid, atom('after'));
  t.same((await traces(vm, 3)).slice(1), [tr(a, g, atom('g')), tr(a, cast, atom('after'))], 'generic 0, then event time-out 0: the generic event cancels the event time-out');
  castTo(vm, pid, keepWith([tuple(atom('timeout'), atom('update'), atom('u'))]));
  t.same((await traces(vm, 2))[1], tr(a, atom('timeout'), atom('u')), 'update of no running event time-out fires at once');
  t.ok(await noMoreTraces(vm));
});

t.test('state time-out: fires in its state, survives keep_state, cancelled by a state change; zero, update, cancel, infinity', async (t) => {
  const vm = await start(t);
  const pid = await machine(vm, a, [], [atom('no_enter')]);
  const st = atom('state_timeout');
  castTo(vm, pid, keepWith([tuple(st, 20, atom('t1'))]));
  castTo(vm, pid, atom('x'));
  t.same((await traces(vm, 3)).slice(1), [tr(a, cast, atom('x')), tr(a, st, atom('t1'))], 'keep_state keeps it');
  castTo(vm, pid, keepWith([tuple(st, 100, atom('gone')), tuple(tuple(atom('timeout'), atom('fence')), 200, atom('f'))]));
  castTo(vm, pid, nextState(b));
  t.same((await traces(vm, 3)).slice(1), [tr(a, cast, nextState(b)), tr(b, tuple(atom('timeout'), atom('fence')), atom('f'))], 'a state change cancelled it');
  castTo(vm, pid, keepWith([tuple(st, 100, atom('old')), tuple(tuple(atom('timeout'), atom('g')), 10, atom('g'))]));
  castTo(vm, pid, keepWith([tuple(st, atom('update'), atom('new'))]));
  t.same((await traces(vm, 4)).slice(2), [tr(b, tuple(atom('timeout'), atom('g')), atom('g')), tr(b, st, atom('new'))], 'update changes the content of the running timer, not its time');
  castTo(vm, pid, keepWith([tuple(st, 30, atom('c1')), tuple(tuple(atom('timeout'), atom('fence')), 60, atom('f'))]));
  castTo(vm, pid, keepWith([tuple(st, atom('cancel'))]));
  castTo(vm, pid, keepWith([tuple(st, 40, atom('i1'))]));
  castTo(vm, pid, keepWith([tuple(st, atom('infinity'), atom('i2'))]));
  t.same((await traces(vm, 5))[4], tr(b, tuple(atom('timeout'), atom('fence')), atom('f')), 'cancel and infinity cancel it');
  // A zero state time-out set with a state change and an inserted event: the inserted event
  // first, then the time-out (before the mailbox); a state change before it is delivered cancels it.
  castTo(vm, pid, nextState(a, [tuple(st, 0, atom('z')), tuple(atom('next_event'), atom('internal'), atom('i'))]));
  castTo(vm, pid, atom('m'));
  t.same((await traces(vm, 4)).slice(1), [tr(a, atom('internal'), atom('i')), tr(a, st, atom('z')), tr(a, cast, atom('m'))], 'queue, then zero time-outs, then the mailbox');
  castTo(vm, pid, nextState(b, [tuple(st, 0, atom('lost')), tuple(atom('next_event'), atom('internal'), nextState(a))]));
  castTo(vm, pid, atom('m2'));
  t.same((await traces(vm, 3)).slice(1), [tr(b, atom('internal'), nextState(a)), tr(a, cast, atom('m2'))], 'the queued zero state time-out was cancelled by the state change');
  t.ok(await noMoreTraces(vm));
});

t.test('generic time-outs: named, survive state changes, restart, cancel, update', async (t) => {
  const vm = await start(t);
  const pid = await machine(vm, a, [], [atom('no_enter')]);
  const g = (n: string): Tuple => tuple(atom('timeout'), atom(n));
  castTo(vm, pid, keepWith([tuple(g('one'), 10, 1), tuple(g('two'), 30, 2), tuple(g('three'), 20, 3)]));
  castTo(vm, pid, nextState(b));
  castTo(vm, pid, keepWith([tuple(g('three'), atom('cancel')), tuple(g('two'), atom('update'), 22)]));
  const got = await traces(vm, 5);
  t.same(got.slice(3), [tr(b, g('one'), 1), tr(b, g('two'), 22)], 'one fired in the new state; three was cancelled; two fired with its new content');
  castTo(vm, pid, keepWith([tuple(g('r'), 100, atom('first')), tuple(g('r'), 5, atom('second'))]));
  castTo(vm, pid, keepWith([tuple(g('late'), 150, atom('fence'))]));
  const restarted = await traces(vm, 4);
  t.same(restarted.slice(2), [tr(b, g('r'), atom('second')), tr(b, g('late'), atom('fence'))], 'the same name again restarts the timer (the last one wins)');
  t.ok(await noMoreTraces(vm));
});

t.test('calls: reply actions, a reply from a later state, exits; stop_and_reply', async (t) => {
  const vm = await start(t);
  const pid = await machine(vm, a, [], [atom('no_enter')]);
  t.same(await op(vm, 'call', pid, keepWith([tuple(atom('reply'), atom('$from'), 42)])), tuple(ok, 42), '{reply, From, R}');
  await traces(vm, 1);
  // A call postponed in a, answered in b.
  castTo(vm, pid, tuple(atom('set_postpone'), [a]));
  const later = keepWith([tuple(atom('reply'), atom('$from'), atom('late'))]);
  const waiting = op(vm, 'call', pid, later);
  t.same(await traces(vm, 2), [tr(a, cast, tuple(atom('set_postpone'), [a])), tr(a, atom('call'), later)], 'the call is postponed in a');
  castTo(vm, pid, nextState(b));
  t.same(await traces(vm, 2), [tr(a, cast, nextState(b)), tr(b, atom('call'), later)], 'and retried in b');
  t.same(await waiting, tuple(ok, atom('late')), 'which replies');
  t.same(await op(vm, 'call', pid, tuple(atom('reply_api'), atom('api'))), tuple(ok, atom('api')), 'GenStatem.reply([{reply, From, R}])');
  await traces(vm, 1);
  t.same(
    await op(vm, 'call', pid, 1, 50),
    caughtExit(tuple(atom('timeout'), tuple(atom('gen_statem'), atom('call'), [pid, 1, 50]))),
    'no reply within the timeout: exit {timeout, {gen_statem, call, [S, Req, T]}}',
  );
  await traces(vm, 1);
  const hanging = op(vm, 'call', pid, atom('unanswered'));
  await traces(vm, 1);
  t.same(await op(vm, 'call', atom('sm_nobody'), 1), caughtExit(tuple(atom('noproc'), tuple(atom('gen_statem'), atom('call'), [atom('sm_nobody'), 1, atom('infinity')]))), 'noproc');
  t.same(await op(vm, 'call', pid, cmd(tuple(atom('stop_and_reply'), atom('normal'), [tuple(atom('reply'), atom('$from'), atom('bye'))]))), tuple(ok, atom('bye')), 'stop_and_reply replies, then stops');
  t.same(await next(vm, P.tuple(atom('terminated'), P.any, P.any)), tuple(atom('terminated'), atom('normal'), b), 'terminate(normal)');
  t.same(await hanging, caughtExit(tuple(atom('normal'), tuple(atom('gen_statem'), atom('call'), [pid, atom('unanswered'), atom('infinity')]))), 'an unanswered call exits with the server: {normal, {gen_statem, call, …}}');
});

t.test('crashes and stops: error class, exit, throw, bad returns and actions, stop/3, a trapping machine whose parent exits', async (t) => {
  const vm = await start(t);
  const watch = async (pid: Pid): Promise<() => Promise<Term>> => {
    const ref = await vm.monitor(pid);
    return async () => ((await next(vm, P.tuple(atom('DOWN'), ref, P.any, P.any, P.any))) as Tuple).at(4);
  };
  const terminated = async (): Promise<Term> => ((await next(vm, P.tuple(atom('terminated'), P.any, P.any))) as Tuple).at(1);

  let pid = await machine(vm, a, [], [atom('no_enter')]);
  let down = await watch(pid);
  castTo(vm, pid, tuple(atom('crash')));
  const jsError = tuple(atom('js_error'), 'TypeError', 'state crashed');
  t.same(await terminated(), jsError, 'error class: terminate gets the bare reason');
  const reason = (await down()) as Tuple;
  t.same(reason.at(0), jsError, 'and the machine exits with {Reason, Stack}');
  t.ok(Array.isArray(reason.at(1)), 'a stack');

  pid = await machine(vm, a, [], [atom('no_enter')]);
  down = await watch(pid);
  castTo(vm, pid, tuple(atom('exit'), atom('bye')));
  t.same(await terminated(), atom('bye'), 'exit class: terminate(R)');
  t.same(await down(), atom('bye'), 'exits R');

  pid = await machine(vm, a, [], [atom('no_enter')]);
  down = await watch(pid);
  castTo(vm, pid, tuple(atom('throw'), tuple(atom('stop'), atom('thrown'))));
  t.same(await terminated(), atom('thrown'), 'a throw is a return value ({stop, R})');
  t.same(await down(), atom('thrown'));

  for (const [result, expected] of [
    [atom('garbage'), tuple(atom('bad_return_from_state_function'), atom('garbage'))],
    [tuple(keep, [atom('nonsense')]), tuple(atom('bad_action_from_state_function'), atom('nonsense'))],
    [tuple(keep, [tuple(atom('state_timeout'), -1, atom('x'))]), tuple(atom('bad_action_from_state_function'), tuple(atom('state_timeout'), -1, atom('x')))],
  ] as const) {
    pid = await machine(vm, a, [], [atom('no_enter')]);
    down = await watch(pid);
    castTo(vm, pid, cmd(result as Term));
    t.same(await terminated(), expected, `terminate(${(expected.at(0) as { name: string }).name})`);
    t.same(((await down()) as Tuple).at(0), expected, 'exit {Reason, Stack}');
  }

  pid = await machine(vm, a, [], [atom('no_enter')]);
  t.same(await op(vm, 'stop', pid, atom('shutdown')), tuple(ok, ok), 'stop/2 returns ok');
  t.same(await terminated(), atom('shutdown'), 'after terminate(shutdown)');
  t.same(await op(vm, 'stop', pid), caughtExit(atom('noproc')), 'stopping a dead machine: noproc');

  const linked = await op(vm, 'start_link_then_exit', tuple(vm.self, [atom('trap'), atom('no_enter')], tuple(ok, a, [])), atom('going'));
  t.same(await terminated(), atom('going'), "a trapping machine terminates with its parent's reason");
  const linkedRef = await vm.monitor(serverOf(linked));
  t.ok((await next(vm, P.tuple(atom('DOWN'), linkedRef, P.any, P.any, P.any))) instanceof Tuple, 'and exits');
  await traces(vm, 0);
});

t.test('state_functions: the OTP docs code lock (postpone, state_timeout, state enter), calls in each state', async (t) => {
  const vm = await start(t);
  const started = await op(vm, 'start', tuple([1, 2, 3], vm.self), undefined as unknown as Term, atom('sm_lock'));
  const lock = serverOf(started);
  t.same(await op(vm, 'call', lock, atom('which')), tuple(ok, atom('locked')), 'locked');
  // All buttons as next_events: 1, 2, 3 open it; 9 and done are postponed in open until the
  // state time-out (5 ms) locks it again; then they are retried in locked.
  castTo(vm, lock, tuple(atom('buttons'), [1, 2, 3, 9]));
  const finished = (await next(vm, P.tuple(atom('finished'), P.any))) as Tuple;
  const button = (n: number): Tuple => tuple(atom('button'), n);
  const [L, O] = [atom('locked'), atom('open')];
  t.same(
    finished.at(1),
    [
      tr(L, enter, L),
      tr(L, atom('call'), atom('which')),
      tr(L, cast, tuple(atom('buttons'), [1, 2, 3, 9])),
      tr(L, cast, button(1)),
      tr(L, cast, button(2)),
      tr(L, cast, button(3)),
      tr(O, enter, L),
      tr(O, cast, button(9)),
      tr(O, atom('internal'), atom('done')),
      tr(O, atom('state_timeout'), atom('lock')),
      tr(L, enter, O),
      tr(L, cast, button(9)),
      tr(L, atom('internal'), atom('done')),
    ],
    'the whole trace: enter calls, next_events in order, postponed events retried after the state time-out',
  );
  t.same(await op(vm, 'call', lock, atom('which')), tuple(ok, atom('locked')), 'locked again');
  // A state without its function: error undef, as calling Module:State/3 in OTP.
  const ref = await vm.monitor(lock);
  castTo(vm, lock, tuple(atom('goto'), atom('nowhere')));
  t.same(await next(vm, P.tuple(atom('lock_terminated'), P.any, P.any)), tuple(atom('lock_terminated'), atom('undef'), atom('nowhere')), 'terminate(undef, nowhere, Data)');
  const down = ((await next(vm, P.tuple(atom('DOWN'), ref, P.any, P.any, P.any))) as Tuple).at(4) as Tuple;
  const frame = (down.at(1) as Term[])[0] as Tuple;
  t.same([down.at(0), frame.at(0), frame.at(1), ((frame.at(2) as Term[]).slice(0, 2))], [atom('undef'), atom('sm_lock'), atom('nowhere'), [enter, L]], 'exit {undef, [{sm_lock, nowhere, [enter, locked, Data], []}]}');
});

t.test('many clients on every scheduler: no event lost or reordered, next_event right after its event', async (t) => {
  const vm = await start(t);
  const server = serverOf(await op(vm, 'start', [], undefined as unknown as Term, atom('sm_counter')));
  const clients = 6;
  const n = 300;
  for (let round = 0; round < 3; round++) {
    const outcomes = await Promise.all(Array.from({ length: clients }, () => op(vm, 'flood', server, n)));
    t.same(outcomes, outcomes.map(() => tuple(ok, tuple(n, 0))), `round ${round}: each of ${clients} clients: ${n} casts counted in order, then its call`);
  }
});
