// sys, names and code_change for gen_statem and gen_event (src/otp/gen_statem.ts,
// gen_event.ts, gen_names.ts): get_state / replace_state / get_status (with format_status/1,2),
// suspend + change_code, statistics, trace (*DBG* lines) and log, {via, M, N} and {global, N}
// names, proc_lib's '$initial_call', and the error reports. The expected lines and terms are what
// erl 25 prints for the twin scenario (test/otp/behav_sys_erl/: the trace lines are compared live
// in the last test; the reports and terms were taken from erl 25 runs of the same modules); pids
// are masked. Without erl the differential test fails, unless BEAMJS_NO_ERL=1 leaves it out.
// Inline, or on 2 scheduler threads (test/otp/multi/behav_sys.test.ts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { atom, format, P, Pid, tuple, Tuple, VM, type LogLevel, type Term } from '../../src/index.js';
import { schedulerOptions } from '../support/schedulers.js';

const lines: Array<{ level: LogLevel; text: string }> = [];
const vm = await VM.start({
  ...schedulerOptions(),
  modules: [new URL('./fixtures/behav_sys.js', import.meta.url)],
  logger: (level, text) => lines.push({ level, text }),
});
t.teardown(() => vm.stop());

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const a = atom;
const ok = a('ok');
let tags = 0;

async function op(name: string, ...args: Term[]): Promise<Term> {
  const tag = ++tags;
  await vm.spawn('bs_client', 'run', [vm.self, tag, name, args]);
  const got = await vm.receive(P.tuple(a('bs_outcome'), tag, P.capture('value'), P.any), 10_000);
  if (got === undefined) throw new Error(`${name}: no outcome within 10 s`);
  return got.value as Term;
}

const mask = (s: string): string => s.replace(/<\d+\.\d+\.\d+>/g, '<PID>');

/** The *DBG* lines of `name` logged so far (masked), waiting until there are `n` of them. */
async function dbgLines(name: string, n: number): Promise<string[]> {
  const end = Date.now() + 5000;
  for (;;) {
    const got = lines.flatMap((l) => l.text.split('\n')).filter((l) => l.startsWith(`*DBG* ${name} `) || l.startsWith(`*DBG* ${name}(`)).map(mask);
    if (got.length >= n || Date.now() > end) return got;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The first logged text containing `needle` (waiting for it). */
async function report(needle: string): Promise<string> {
  const end = Date.now() + 5000;
  for (;;) {
    const found = lines.find((l) => l.text.includes(needle));
    if (found !== undefined || Date.now() > end) return mask(found?.text ?? '');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function startSm(module: string, data: Term, name: Term, debug?: Term): Promise<Pid> {
  const got = (await op('sm_start', a(module), data, name, debug)) as Tuple;
  if (!(got instanceof Tuple) || got.at(0) !== ok) throw new Error(`sm_start: ${format(got)}`);
  return got.at(1) as Pid;
}

const via = (n: string): Tuple => tuple(a('via'), a('bs_via'), a(n));

t.test('gen_statem: get_state {State, Data}, get_status as OTP 25, trace lines as erl prints them', async (t) => {
  const pid = await startSm('bs_sm', 5, a('bs1'));
  t.same(await op('get_state', a('bs1')), tuple(a('idle'), 5), 'get_state is {State, Data}');
  const status = (await op('get_status', pid)) as Tuple;
  t.same(status.at(2), tuple(a('module'), a('gen_statem')), '{module, gen_statem}');
  const [pdict, sysState, parent, debug, misc] = status.at(3) as [Tuple[], Term, Pid, Term, Term[]];
  t.same(pdict.find((e) => e.at(0) === a('$initial_call')), tuple(a('$initial_call'), tuple(a('bs_sm'), a('init'), 1)), "proc_lib's '$initial_call' {Module, init, 1}");
  t.ok(pdict.some((e) => e.at(0) === a('$ancestors')), "and '$ancestors'");
  t.same([sysState, debug], [a('running'), []]);
  t.ok(parent.equals(pid), 'an unlinked machine is its own parent (gen.erl)');
  t.same(misc, [
    tuple(a('header'), 'Status for state machine bs1'),
    tuple(a('data'), [tuple('Status', a('running')), tuple('Parent', pid), tuple('Modules', [a('bs_sm')]), tuple('Time-outs', tuple(0, [])), tuple('Logged Events', []), tuple('Postponed', [])]),
    tuple(a('data'), [tuple('State', tuple(a('idle'), 5))]),
  ]);
  t.same(await op('trace', pid, true), ok);
  await op('sm_cast', pid, a('later'));
  t.same(await op('sm_call', pid, a('go')), ok);
  const timeouts = ((((await op('get_status', pid)) as Tuple).at(3) as Term[])[4] as Tuple[])[1]!.at(1) as Tuple[];
  t.same(timeouts[3], tuple('Time-outs', tuple(1, [tuple(a('state_timeout'), a('tick'))])), 'the running state_timeout in get_status');
  t.same(await op('sm_call', pid, a('back')), 16);
  t.same(await dbgLines('bs1', 10), [
    '*DBG* bs1 receive cast later in state idle',
    '*DBG* bs1 postpone cast later in state idle',
    '*DBG* bs1 receive call go from <PID> in state idle',
    '*DBG* bs1 send ok to <PID>',
    '*DBG* bs1 consume call go from <PID> in state idle => busy',
    '*DBG* bs1 start_timer {state_timeout,1000,tick,[]} in state busy',
    '*DBG* bs1 consume cast later in state busy',
    '*DBG* bs1 receive call back from <PID> in state busy',
    '*DBG* bs1 send 16 to <PID>',
    '*DBG* bs1 consume call back from <PID> in state busy => idle',
  ], "erl 25's *DBG* lines, in its order (a retried postponed event is not received again)");
  t.same(await op('trace', pid, false), ok);
  t.same(await op('statistics', pid, true), ok);
  await op('sm_cast', pid, a('x1'));
  const stats = (await op('statistics', pid, a('get'))) as Tuple;
  t.same((stats.at(1) as Tuple[]).slice(3), [tuple(a('messages_in'), 1), tuple(a('messages_out'), 0)], 'statistics count the cast in');
});

t.test('gen_statem: suspend, code_change/4 while suspended, resume; replace_state', async (t) => {
  const pid = await startSm('bs_sm', 16, a('bs2'));
  t.same(await op('suspend', pid), ok);
  t.same(await op('sm_call', pid, a('back'), 100), tuple(a('caught'), a('exit'), tuple(a('timeout'), tuple(a('gen_statem'), a('call'), [pid, a('back'), 100]))), 'a suspended machine handles no event');
  t.same(await op('change_code', pid, a('bs_sm'), a('v1'), a('ex')), ok, 'change_code: ok');
  t.same(await op('change_code', pid, a('bs_sm'), a('v2'), a('refuse')), tuple(a('error'), a('refused')), 'code_change returning Reason: {error, Reason}, data kept');
  t.same(await op('resume', pid), ok);
  t.same(await op('get_state', pid), tuple(a('idle'), tuple(a('v1'), 16, a('ex'))), 'code_change(OldVsn, State, Data, Extra) -> {ok, State, Data} ran');
  t.same(await op('replace_state', pid, a('wrap_data')), tuple(a('idle'), tuple(a('r'), tuple(a('v1'), 16, a('ex')))), 'replace_state: the fun gets {State, Data}');
  const bad = (await op('replace_state', pid, a('bad'))) as Tuple;
  t.same([bad.at(0), ((bad.at(2) as Tuple).at(0) as Tuple).at(0)], [a('caught'), a('callback_failed')], 'a fun that does not return {S, D}: callback_failed');
  t.same(await op('get_state', pid), tuple(a('idle'), tuple(a('r'), tuple(a('v1'), 16, a('ex')))), 'and the state is kept');
  t.same(await op('change_code', pid, a('bs_sm'), a('v3'), a('ex')), tuple(a('error'), tuple(a('unknown_system_msg'), tuple(a('change_code'), a('bs_sm'), a('v3'), a('ex')))), 'change_code of a running machine: unknown_system_msg');
});

t.test('gen_statem without code_change/4: {error, {EXIT, {undef, …}}}, as erl 25', async (t) => {
  const pid = await startSm('bs_sm_nocc', 1, a('bs_nocc'));
  t.same(await op('suspend', pid), ok);
  const got = (await op('change_code', pid, a('bs_sm_nocc'), a('v1'), a('x'))) as Tuple;
  const exitTerm = got.at(1) as Tuple;
  t.same([got.at(0), exitTerm.at(0), ((exitTerm.at(1) as Tuple).at(0))], [a('error'), a('EXIT'), a('undef')]);
  t.same(((exitTerm.at(1) as Tuple).at(1) as Tuple[])[0], tuple(a('bs_sm_nocc'), a('code_change'), [a('v1'), a('idle'), 1, a('x')], []), 'the undef names code_change(OldVsn, State, Data, Extra)');
  t.same(await op('resume', pid), ok);
  t.same(await op('get_state', pid), tuple(a('idle'), 1), 'the state is kept');
});

t.test('gen_event: statistics and log of a manager', async (t) => {
  const mgr = ((await op('ge_start', a('be_stats'))) as Tuple).at(1) as Pid;
  t.same(await op('ge_add', mgr, a('bs_eh'), []), ok);
  t.same(await op('statistics', mgr, true), ok);
  t.same(await op('log', mgr, true), ok);
  await op('ge_notify', mgr, a('n1'));
  await op('ge_sync_notify', mgr, a('n2'));
  const stats = (await op('statistics', mgr, a('get'))) as Tuple;
  t.same((stats.at(1) as Tuple[]).slice(3), [tuple(a('messages_in'), 2), tuple(a('messages_out'), 0)], 'two messages in');
  const log = (await op('log', mgr, a('get'))) as Tuple;
  t.same(((log.at(1) as Tuple[])[0] as Tuple), tuple(a('in'), tuple(a('notify'), a('n1'))), 'the log holds {in, Msg}');
});

t.test('gen_statem: log, time-outs and the error report of a crash, as erl 25 prints them', async (t) => {
  const pid = await startSm('bs_sm', 1, a('bs3'));
  t.same(await op('log', pid, true), ok);
  await op('send', pid, a('hello'));
  const status = (await op('get_status', pid)) as Tuple;
  const data = ((status.at(3) as Term[])[4] as Tuple[])[1]!.at(1) as Tuple[];
  t.same(data[3], tuple('Time-outs', tuple(1, [tuple(tuple(a('timeout'), a('g')), a('gen'))])), 'the generic time-out runs; the event time-out was cancelled by the inserted event');
  t.same(data[4], tuple('Logged Events', [
    tuple(a('in'), tuple(a('info'), a('hello')), a('idle')),
    tuple(a('in'), tuple(a('internal'), a('hello')), a('busy')),
    tuple(a('consume'), tuple(a('info'), a('hello')), a('idle'), a('busy')),
    tuple(a('start_timer'), tuple(tuple(a('timeout'), a('g')), 700, a('gen'), []), a('busy')),
    tuple(a('start_timer'), tuple(a('timeout'), 500, a('ev'), []), a('busy')),
    tuple(a('consume'), tuple(a('internal'), a('hello')), a('busy'), a('busy')),
  ]), "the log holds erl 25's events");
  const ref = await vm.monitor(pid);
  const crashed = (await op('sm_call', pid, a('crash'))) as Tuple;
  t.equal(crashed.at(0), a('caught'), 'the caller exits');
  const down = (await vm.receive(P.tuple(a('DOWN'), ref, P.any, P.any, P.capture('reason')), 5000)) as { reason: Tuple } | undefined;
  t.same(down?.reason.at(0), tuple(a('boom'), tuple(a('hello'), 1)), 'the machine exits with {Reason, Stack}');
  const text = await report('** State machine bs3 terminating');
  const body = text.split('\n').slice(1);
  t.same(body.slice(0, 6), [
    '** State machine bs3 terminating',
    '** Last event = {{call,{<PID>,#Ref<0.0.0.0>}},crash}'.replace('#Ref<0.0.0.0>', body[1]?.match(/#Ref<[^>]+>/)?.[0] ?? '?'),
    '** When server state  = {busy,{hello,1}}',
    '** Reason for termination = error:{boom,{hello,1}}',
    '** Callback modules = [bs_sm]',
    '** Callback mode = [state_functions,state_enter]',
  ], "erl 25's header lines");
  t.ok(body.includes('** Time-outs: {1,[{{timeout,g},gen}]}'), 'the time-outs');
  const logAt = body.indexOf('** Log =');
  t.ok(logAt > 0 && body[logAt + 1]!.startsWith('**  [{in,{info,hello},idle},{in,{internal,hello},busy},'), 'the log');
  t.ok(body.some((l) => /^\*\* Client <PID> (stacktrace|is dead)$/.test(l)), 'the client');
  const crash = await report('CRASH REPORT');
  t.match(crash, /initial call: bs_sm:init\/1/, "proc_lib's crash report follows, with the machine's initial call");
});

t.test('gen_statem: stop {stop, bad} logs "exit:bad"; a normal stop logs the terminate event', async (t) => {
  const pid = await startSm('bs_sm', 1, a('bs4'));
  await op('sm_cast', pid, tuple(a('stop'), a('bad')));
  const text = await report('** State machine bs4 terminating');
  t.match(text, /\*\* Last event = \{cast,\{stop,bad\}\}\n\*\* When server state {2}= \{idle,1\}\n\*\* Reason for termination = exit:bad\n/, 'exit:Reason, no stack');
  t.notMatch(text, /Stacktrace/, 'no stacktrace for a stop');
  await startSm('bs_sm', 1, a('bs5'), [a('trace')]);
  await op('sm_cast', a('bs5'), tuple(a('stop'), a('normal')));
  t.same(await dbgLines('bs5', 4), [
    '*DBG* bs5 enter bs_sm in state idle',
    '*DBG* bs5 consume internal init_state in state idle',
    '*DBG* bs5 receive cast {stop,normal} in state idle',
    '*DBG* bs5 terminate normal in state idle',
  ], "the debug start option: erl 25's lines from init to terminate");
  t.equal(lines.filter((l) => l.text.includes('State machine bs5')).length, 0, 'no error report for normal');
});

t.test('gen_statem: format_status/1 and /2 shape get_status and the report', async (t) => {
  await startSm('bs_sm_fmt1', 3, a('bs_f1'));
  const misc1 = (((await op('get_status', a('bs_f1'))) as Tuple).at(3) as Term[])[4] as Term[];
  t.same(misc1[2], tuple(a('data'), [tuple('State', tuple(tuple(a('fmt1'), a('idle')), tuple(a('fmt1'), 3)))]), 'format_status/1: the map state and data');
  await startSm('bs_sm_fmt2', 3, a('bs_f2'));
  const misc2 = (((await op('get_status', a('bs_f2'))) as Tuple).at(3) as Term[])[4] as Term[];
  t.same(misc2[2], tuple(a('fmt2'), a('normal'), a('idle'), 3), 'format_status(normal, [PDict, State, Data]): its value (a non-list) is the last status item');
  await op('sm_cast', a('bs_f2'), tuple(a('stop'), a('bad')));
  t.match(await report('** State machine bs_f2 terminating'), /\*\* When server state {2}= \{fmt2,terminate,idle,3\}/, 'format_status(terminate, …) in the report');
});

t.test('gen_statem: {via, M, N} and {global, N} names', async (t) => {
  const pid = await startSm('bs_sm', 2, via('bsv'));
  t.same(await op('sm_call', via('bsv'), a('go')), ok, 'call by via name');
  t.same(await op('get_state', via('bsv')), tuple(a('busy'), 3), 'sys by via name');
  const again = (await op('sm_start', a('bs_sm'), 2, via('bsv'))) as Tuple;
  t.same(again, tuple(a('error'), tuple(a('already_started'), pid)), '{error, {already_started, Pid}}');
  t.same(await op('sm_stop', via('bsv')), ok, 'stop by via name');
  t.same(await op('sm_call', via('bsv'), a('go')), tuple(a('caught'), a('exit'), tuple(a('noproc'), tuple(a('gen_statem'), a('call'), [via('bsv'), a('go'), a('infinity')]))), 'unregistered when it stopped');
  const global = (await op('sm_start', a('bs_sm'), 2, tuple(a('global'), a('gsm')))) as Tuple;
  t.equal(global.at(0), ok, '{global, N}: started');
  t.same(await op('sm_call', tuple(a('global'), a('gsm')), a('go')), ok, 'call by {global, N}');
});

t.test('gen_event: get_state [{M, Id, S}], get_status with format_status/2, trace, code_change/3, replace_state', async (t) => {
  const started = (await op('ge_start', a('be1'))) as Tuple;
  const mgr = started.at(1) as Pid;
  t.same(await op('ge_add', a('be1'), a('bs_eh'), [a('a')]), ok);
  t.same(await op('ge_add', a('be1'), tuple(a('bs_eh'), 2), [a('b')]), ok);
  t.same(await op('get_state', a('be1')), [tuple(a('bs_eh'), 2, [a('b')]), tuple(a('bs_eh'), false, [a('a')])], 'erl 25: [{Module, Id, State}], Id false for a plain module');
  const status = (await op('get_status', mgr)) as Tuple;
  t.same(status.at(2), tuple(a('module'), a('gen_event')));
  const [pdict, , parent, , misc] = status.at(3) as [Tuple[], Term, Pid, Term, Term[]];
  t.same(pdict.find((e) => e.at(0) === a('$initial_call')), tuple(a('$initial_call'), tuple(a('gen_event'), a('init_it'), 6)), "'$initial_call' {gen_event, init_it, 6}, as erl");
  t.same(misc, [
    tuple(a('header'), 'Status for event handler be1'),
    tuple(a('data'), [tuple('Status', a('running')), tuple('Logged Events', []), tuple('Parent', parent)]),
    tuple(a('items'), tuple('Installed handlers', [
      tuple(a('handler'), a('bs_eh'), 2, tuple(a('fmt'), a('normal'), [a('b')]), false),
      tuple(a('handler'), a('bs_eh'), false, tuple(a('fmt'), a('normal'), [a('a')]), false),
    ])),
  ], "erl 25's status of a manager");
  t.same(await op('trace', mgr, true), ok);
  await op('ge_notify', mgr, a('hi'));
  await op('ge_sync_notify', mgr, a('ho'));
  await op('ge_call', mgr, a('bs_eh'), a('get'));
  await op('send', mgr, a('info1'));
  const dbg = await dbgLines('be1', 4);
  t.same([dbg[0], dbg[1]?.replace(/#Ref<[^>]+>/, '#Ref'), dbg[2], dbg[3]], [
    '*DBG* be1 got event hi',
    '*DBG* be1 got {<PID>,{<PID>,#Ref},{sync_notify,ho}}',
    '*DBG* be1(bs_eh) got call get',
    '*DBG* be1 got info1',
  ], "erl 25's *DBG* lines of a manager");
  t.same(await op('trace', mgr, false), ok);
  t.same(await op('suspend', mgr), ok);
  t.same(await op('change_code', mgr, a('bs_eh'), a('v1'), a('ex')), ok);
  t.same(await op('change_code', mgr, a('bs_eh'), a('v2'), a('refuse')), tuple(a('error'), tuple(a('EXIT'), tuple(tuple(a('badmatch'), a('refused')), []))), 'a refusing code_change: {error, {EXIT, badmatch}}, every state kept');
  t.same(await op('change_code', mgr, a('other_mod'), a('v2'), a('ex')), ok, 'a module without handlers here: ok, nothing changes');
  t.same(await op('resume', mgr), ok);
  t.same(await op('get_state', mgr), [tuple(a('bs_eh'), 2, tuple(a('v1'), [a('ho'), a('hi'), a('b')], a('ex'))), tuple(a('bs_eh'), false, tuple(a('v1'), [a('ho'), a('hi'), a('a')], a('ex')))], 'code_change/3 ran for each handler of the module');
  t.same(await op('replace_state', mgr, a('wrap_handler')), [tuple(a('bs_eh'), 2, tuple(a('r'), tuple(a('v1'), [a('ho'), a('hi'), a('b')], a('ex')))), tuple(a('bs_eh'), false, tuple(a('r'), tuple(a('v1'), [a('ho'), a('hi'), a('a')], a('ex'))))], 'replace_state applies the fun to each {M, Id, S}');
  await op('ge_notify', mgr, a('crash'));
  const text = await report('** gen_event handler {bs_eh,2} crashed.');
  t.match(text, /^=ERROR REPORT==== .* ===\n\*\* gen_event handler \{bs_eh,2\} crashed\.\n\*\* Was installed in be1\n\*\* Last event was: crash\n\*\* When handler state == \{fmt,terminate,\{r,\{v1,\[ho,hi,b\],ex\}\}\}\n\*\* Reason == \{\{boom,\{r,\{v1,\[ho,hi,b\],ex\}\}\},/, "erl 25's report, the state through format_status(terminate, …)");
  t.same(await op('ge_which', mgr), [], 'both handlers crashed and left, as in erl');
});

t.test('gen_event: {via, M, N} and {global, N} names', async (t) => {
  const started = (await op('ge_start', via('bev'))) as Tuple;
  t.equal(started.at(0), ok);
  t.same(await op('ge_add', via('bev'), a('bs_eh'), []), ok, 'add_handler by via name');
  t.same(await op('ge_notify', via('bev'), a('e1')), ok, 'notify by via name (Module:send/2)');
  t.same(await op('ge_call', via('bev'), a('bs_eh'), a('get')), [a('e1')], 'call by via name');
  t.same(await op('get_state', via('bev')), [tuple(a('bs_eh'), false, [a('e1')])], 'sys by via name');
  t.same(await op('ge_start', via('bev')), tuple(a('error'), tuple(a('already_started'), started.at(1))), 'already_started');
  const global = (await op('ge_start', tuple(a('global'), a('gev')))) as Tuple;
  t.equal(global.at(0), ok, '{global, N}: started');
  t.same(await op('ge_add', tuple(a('global'), a('gev')), a('bs_eh'), []), ok, 'add_handler by {global, N}');
});

/** The *DBG* lines erl 25 prints for the same scenarios (test/otp/behav_sys_erl/), wrapped lines joined. */
function erlDbgLines(): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'beamjs-bsys-'));
  try {
    const src = (f: string): string => join(repoRoot, 'test', 'otp', 'behav_sys_erl', f);
    const c = spawnSync('erlc', ['-o', dir, src('bs_sm.erl'), src('bs_eh.erl'), src('behav_sys.erl')], { encoding: 'utf8', timeout: 60_000 });
    if (c.status !== 0) throw new Error(`erlc failed: ${String(c.error ?? '')} ${c.stderr} ${c.stdout}`);
    const r = spawnSync('erl', ['-noshell', '-pa', dir, '-eval', 'behav_sys:main(), halt().'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`erl failed: ${String(r.error ?? '')} ${r.stderr} ${r.stdout}`);
    return r.stdout.replace(/\n\s+/g, '').split('\n').filter((l) => l.startsWith('*DBG* '));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

t.test('differential: the *DBG* lines of bs1, bs5 and be1 are the lines erl 25 prints', { skip: process.env.BEAMJS_NO_ERL === '1' ? 'BEAMJS_NO_ERL=1' : false }, async (t) => {
  const norm = (l: string): string => mask(l).replace(/#Ref<[^>]+>/g, '#Ref');
  const expected = erlDbgLines().map(norm);
  t.equal(expected.length, 18, 'erl printed the scenario (10 + 4 + 4 lines)');
  const ours = [...(await dbgLines('bs1', 10)), ...(await dbgLines('bs5', 4)), ...(await dbgLines('be1', 4))].map(norm);
  t.same(ours, expected, 'line by line');
});
