// application (src/otp/application.ts) against OTP 25's behaviour (checked in erl): load/unload,
// start order and dependencies, ensure_all_started, stop (prep_stop, the tree with shutdown,
// stop/1, the "exited: stopped" report), env precedence (spec < VM config < load config <
// set_env) and get_env/1 through the group leader, start failures, and what a top supervisor's
// exit does for temporary, transient and permanent applications. Inline, or on 2 scheduler
// threads (test/otp/multi/).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { atom, compilePattern, P, Pid, tuple, Tuple, VM, type PatternLike, type Term } from '../../src/index.js';
import { schedulerOptions } from '../support/schedulers.js';

const MODULES = [new URL('./fixtures/apps.js', import.meta.url)];
const ok = atom('ok');
const a = atom;
const okv = (v: Term): Tuple => tuple(ok, v);
let tags = 0;

async function startVM(t: Test, lines?: string[]): Promise<VM> {
  const vm = await VM.start({ ...schedulerOptions(), modules: MODULES, logger: lines === undefined ? false : (_l, text) => lines.push(text) });
  t.teardown(() => vm.stop());
  return vm;
}

// The VM config file (sys.config) of the shared VM: BEAMJS_CONFIG must be set before its
// scheduler threads start (they copy the environment).
const configDir = mkdtempSync(join(tmpdir(), 'beamjs-app-'));
const configFile = join(configDir, 'sys.config.json');
writeFileSync(configFile, JSON.stringify({ envapp: { k: 'file', k4: 'file' } }));
const previousConfig = process.env.BEAMJS_CONFIG;
process.env.BEAMJS_CONFIG = configFile; // read by each controller as it starts (inline: in this thread)
t.teardown(() => {
  if (previousConfig === undefined) delete process.env.BEAMJS_CONFIG;
  else process.env.BEAMJS_CONFIG = previousConfig;
  rmSync(configDir, { recursive: true, force: true });
});

// One VM for the tests whose controller survives (starting scheduler threads costs seconds on
// a busy machine); each test uses its own application names and drains the mailbox first.
const sharedLines: string[] = [];
let shared: Promise<VM> | undefined;
async function sharedVM(): Promise<{ vm: VM; lines: string[] }> {
  if (shared === undefined) {
    shared = startVM(t, sharedLines);
  }
  const vm = await shared;
  while ((await vm.receive((m: Term) => ({ m }), 20)) !== undefined);
  return { vm, lines: sharedLines };
}

async function op(vm: VM, name: string, ...args: Term[]): Promise<Term> {
  const tag = ++tags;
  await vm.spawn('app_client', 'run', [vm.self, tag, name, args]);
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

/** An application spec with the app_cb callback module; `tag` names its sup and worker. */
function spec(vm: VM, name: string, deps: string[] = [], mode = 'ok', env: Record<string, Term> = {}): Term {
  return {
    name: a(name),
    description: `the ${name} app`,
    vsn: '1.0',
    applications: [a('kernel'), a('stdlib'), ...deps.map((d) => a(d))],
    mod: tuple(a('app_cb'), tuple(vm.self, a(name), a(mode))),
    env: { rec: vm.self, ...env },
  } as unknown as Term;
}

t.test('env: precedence, get_env/1 through the group leader, set/unset, unload', async (t) => {
  const { vm } = await sharedVM();
  const started = (await op(vm, 'start_controller', [tuple(a('envapp'), [tuple(a('k'), 'vm'), tuple(a('k2'), 'vm')])])) as Tuple;
  t.equal((started.at(1) as Tuple).at(0), ok, 'the controller starts with the VM config');
  const env = { k: 'spec', k2: 'spec', k3: 'spec' };
  t.same(await op(vm, 'load', spec(vm, 'envapp', [], 'ok', env), { k: 'load' } as unknown as Term), okv(ok), 'load with a config');
  t.same(await op(vm, 'get_env', a('envapp'), a('k')), okv(okv('load')), 'load config beats the VM config');
  t.same(await op(vm, 'get_env', a('envapp'), a('k2')), okv(okv('vm')), "the VM config beats the spec's env");
  t.same(await op(vm, 'get_env', a('envapp'), a('k4')), okv(okv('file')), 'the BEAMJS_CONFIG file is read');
  t.same(await op(vm, 'get_env', a('envapp'), a('k3')), okv(okv('spec')), "the spec's env otherwise");
  t.same(await op(vm, 'get_env', a('envapp'), a('none')), okv(undefined), 'a missing key: undefined');
  t.same(await op(vm, 'get_env', a('envapp'), a('none'), 42), okv(42), 'get_env/3: the default');
  t.same(await op(vm, 'get_env', a('envapp'), a('k3'), 42), okv('spec'), 'get_env/3: the value');
  t.same(await op(vm, 'get_env', a('k')), okv(undefined), 'get_env/1 outside every application: undefined');
  t.same(await op(vm, 'get_application'), okv(undefined), 'get_application outside: undefined');
  t.same(await op(vm, 'start', a('envapp')), okv(ok), 'start');
  t.same(await next(vm, P.tuple(a('app_start'), a('envapp'), P.any, P.any)), tuple(a('app_start'), a('envapp'), a('normal'), okv('load')), 'start(normal, Args) sees get_env/1 of its application');
  t.same(await next(vm, P.tuple(a('worker_up'), a('envapp'), P.any, P.any)), tuple(a('worker_up'), a('envapp'), okv('load'), okv(a('envapp'))), 'so does a worker under the top supervisor (group leader inherited)');
  t.same(await op(vm, 'set_env', a('envapp'), a('k'), 'set'), okv(ok), 'set_env');
  t.same(await op(vm, 'get_env', a('envapp'), a('k')), okv(okv('set')), 'set_env beats everything');
  t.same(await op(vm, 'unset_env', a('envapp'), a('k2')), okv(ok), 'unset_env');
  t.same(await op(vm, 'get_env', a('envapp'), a('k2')), okv(undefined), 'gone');
  const all = ((await op(vm, 'get_all_env', a('envapp'))) as Tuple).at(1) as Tuple[];
  t.same(all.map((p) => (p.at(0) as { name: string }).name).sort(), ['k', 'k3', 'k4', 'rec'], 'get_all_env');
  await op(vm, 'stop', a('envapp'));
  t.same(await op(vm, 'unload', a('envapp')), okv(ok), 'unload');
  t.same(await op(vm, 'get_env', a('envapp'), a('k3')), okv(undefined), 'unload forgets the env');
  t.same(await op(vm, 'start', a('envapp'), a('sometimes')), tuple(a('caught'), a('error'), a('badarg')), 'a bad type: badarg in the caller');
});

t.test('load, unload, start with dependencies, ensure_all_started, stop order', async (t) => {
  const { vm } = await sharedVM();
  t.same(await op(vm, 'load', spec(vm, 'base')), okv(ok), 'load');
  t.same(await op(vm, 'load', spec(vm, 'base')), okv(tuple(a('error'), tuple(a('already_loaded'), a('base')))), 'loaded twice: already_loaded');
  t.same(await op(vm, 'load', spec(vm, 'mid', ['base'])), okv(ok), 'load mid');
  t.same(await op(vm, 'load', tuple(a('application'), a('top'), [tuple(a('description'), 'top app'), tuple(a('applications'), [a('kernel'), a('mid'), a('base')]), tuple(a('mod'), tuple(a('app_cb'), tuple(vm.self, a('top'), a('ok')))), tuple(a('env'), [tuple(a('rec'), vm.self)])])), okv(ok), 'load an Erlang-term spec');
  t.same(await op(vm, 'start', a('top')), okv(tuple(a('error'), tuple(a('not_started'), a('mid')))), 'a dependency not started: {error, {not_started, Dep}}');
  t.same(await op(vm, 'start', a('nope')), okv(tuple(a('error'), tuple(a('not_loaded'), a('nope')))), 'an application not loaded');
  t.same(await op(vm, 'ensure', a('top')), okv(tuple(ok, [a('base'), a('mid'), a('top')])), 'ensure_all_started: dependencies first, in order');
  const order: Term[] = [];
  for (let i = 0; i < 3; i++) order.push(((await next(vm, P.tuple(a('app_start'), P.any, P.any, P.any))) as Tuple).at(1));
  t.same(order, [a('base'), a('mid'), a('top')], 'start/2 ran in that order');
  t.same(await op(vm, 'ensure', a('top')), okv(tuple(ok, [])), 'again: nothing to start');
  t.same(await op(vm, 'start', a('top')), okv(tuple(a('error'), tuple(a('already_started'), a('top')))), 'start of a running application');
  const which = ((await op(vm, 'which')) as Tuple).at(1) as Tuple[];
  t.same(which.map((w) => w.at(0)), [a('top'), a('mid'), a('base'), a('stdlib'), a('kernel')], 'which_applications: most recent first');
  t.same(which[0], tuple(a('top'), 'top app', ''), '{Name, Description, Vsn}');
  t.same(await op(vm, 'unload', a('top')), okv(tuple(a('error'), tuple(a('running'), a('top')))), 'unload of a running application');
  for (const name of ['top', 'mid', 'base']) {
    t.same(await op(vm, 'stop', a(name)), okv(ok), `stop ${name}`);
    t.same(await next(vm, P.tuple(a('prep_stop'), a(name), P.any)), tuple(a('prep_stop'), a(name), tuple(a('state'), a(name))), 'prep_stop(State) first');
    t.same(await next(vm, P.tuple(a('worker_terminate'), a(name), P.any)), tuple(a('worker_terminate'), a(name), a('shutdown')), 'then the tree stops with shutdown');
    t.same(await next(vm, P.tuple(a('app_stop'), a(name), P.any)), tuple(a('app_stop'), a(name), tuple(a('prepped'), a(name))), "then stop(prep_stop's value)");
  }
  t.same(await op(vm, 'stop', a('top')), okv(tuple(a('error'), tuple(a('not_started'), a('top')))), 'stop again: not_started');
  t.same(await op(vm, 'unload', a('top')), okv(ok), 'unload');
  t.same(await op(vm, 'unload', a('top')), okv(tuple(a('error'), tuple(a('not_loaded'), a('top')))), 'unload again: not_loaded');
  t.same(await op(vm, 'ensure', a('top')), okv(tuple(a('error'), tuple(a('top'), tuple(a('not_loaded'), a('top'))))), 'ensure_all_started of an unknown application');
});

t.test('start failures: {error, R}, a bad return, a crash', async (t) => {
  const { vm, lines } = await sharedVM();
  const args = (tag: string, mode: string): Tuple => tuple(vm.self, a(tag), a(mode));
  await op(vm, 'load', spec(vm, 'e1', [], 'error'));
  t.same(await op(vm, 'start', a('e1')), okv(tuple(a('error'), tuple(a('nope'), tuple(a('app_cb'), a('start'), [a('normal'), args('e1', 'error')])))), '{error, {R, {M, start, [normal, Args]}}}');
  await op(vm, 'load', spec(vm, 'e2', [], 'bad'));
  t.same(await op(vm, 'start', a('e2')), okv(tuple(a('error'), tuple(a('bad_return'), tuple(tuple(a('app_cb'), a('start'), [a('normal'), args('e2', 'bad')]), a('what'))))), 'a bad value: {bad_return, {MFA, V}}');
  await op(vm, 'load', spec(vm, 'e3', [], 'crash'));
  const crashed = (((await op(vm, 'start', a('e3'))) as Tuple).at(1) as Tuple).at(1) as Tuple;
  t.equal(crashed.at(0), a('bad_return'), 'a crash: {bad_return, …}');
  const [mfa, value] = (crashed.at(1) as Tuple).elements as [Term, Tuple];
  t.same(mfa, tuple(a('app_cb'), a('start'), [a('normal'), args('e3', 'crash')]), '… {MFA, …}');
  t.equal(value.at(0), a('EXIT'), "… {'EXIT', Reason}} (erl's catch)");
  t.same(((await op(vm, 'which')) as Tuple).at(1), [tuple(a('stdlib'), 'beamjs stdlib', '0'), tuple(a('kernel'), 'beamjs kernel', '0')], 'none of them runs');
  await op(vm, 'load', spec(vm, 'e4', ['e1']));
  t.same(await op(vm, 'ensure', a('e4')), okv(tuple(a('error'), tuple(a('e1'), tuple(a('nope'), tuple(a('app_cb'), a('start'), [a('normal'), args('e1', 'error')]))))), 'ensure_all_started: {error, {App, Reason}}');
  t.notOk(lines.some((l) => l.includes('    application: e1\n')), 'a failed start is not reported as an exit (as in erl)');
});

/** Starts `victim` with `type` next to `other` (temporary), then crashes its worker until the top supervisor gives up. */
async function crashStorm(t: Test, type: string, on?: { vm: VM; lines: string[] }): Promise<{ vm: VM; lines: string[]; controller: Pid; ref: Term }> {
  const lines: string[] = on?.lines ?? [];
  const vm = on?.vm ?? (await startVM(t, lines));
  await op(vm, 'load', spec(vm, 'other'));
  await op(vm, 'load', spec(vm, 'victim'));
  await op(vm, 'load', spec(vm, 'last'));
  t.same(await op(vm, 'ensure', a('other')), okv(tuple(ok, [a('other')])), 'other runs');
  t.same(await op(vm, 'start', a('victim'), a(type)), okv(ok), `victim runs (${type})`);
  t.same(await op(vm, 'start', a('last')), okv(ok), 'last runs');
  const controller = (await vm.whereis(a('application_controller')))!;
  const ref = await vm.monitor(controller);
  await next(vm, P.tuple(a('worker_up'), a('victim'), P.any, P.any));
  // intensity 1: two crashes within the period make the supervisor exit with shutdown.
  for (let i = 0; i < 2; i++) {
    vm.send(a('worker_victim'), tuple(a('$gen_cast'), a('crash')));
    await next(vm, P.tuple(a('worker_terminate'), a('victim'), P.any));
    if (i === 0) await next(vm, P.tuple(a('worker_up'), a('victim'), P.any, P.any));
  }
  t.same(await next(vm, P.tuple(a('app_stop'), a('victim'), P.any)), tuple(a('app_stop'), a('victim'), tuple(a('prepped'), a('victim'))), 'the master calls prep_stop and stop after the tree is gone');
  return { vm, lines, controller, ref };
}

const exitedReport = (lines: string[], app: string, reason: string, type: string): boolean =>
  lines.some((l) => l.includes(`=INFO REPORT====`) && l.endsWith(`\n    application: ${app}\n    exited: ${reason}\n    type: ${type}\n`));

t.test('a temporary application whose top supervisor exits: only reported', async (t) => {
  const { vm, lines, ref } = await crashStorm(t, 'temporary', await sharedVM());
  await new Promise((r) => setTimeout(r, 50));
  t.ok(exitedReport(lines, 'victim', 'shutdown', 'temporary'), 'application: victim / exited: shutdown / type: temporary');
  const which = ((await op(vm, 'which')) as Tuple).at(1) as Tuple[];
  t.same(which.map((w) => w.at(0)), [a('last'), a('other'), a('stdlib'), a('kernel')], 'the others keep running');
  t.same(await op(vm, 'stop', a('other')), okv(ok), 'and stop normally');
  t.ok(exitedReport(lines, 'other', 'stopped', 'temporary'), 'exited: stopped');
  void ref;
});

t.test('a transient application: an exit normal is only reported; shutdown stops the node', async (t) => {
  const { vm, lines } = await sharedVM();
  await op(vm, 'load', spec(vm, 'calm'));
  await op(vm, 'start', a('calm'), a('transient'));
  t.same(await op(vm, 'gs_stop', a('sup_calm'), a('normal')), okv(ok), 'the top supervisor exits normal');
  await next(vm, P.tuple(a('app_stop'), a('calm'), P.any));
  await new Promise((r) => setTimeout(r, 50));
  t.ok(exitedReport(lines, 'calm', 'normal', 'transient'), 'exited: normal, type: transient');
  t.ok((await vm.whereis(a('application_controller'))) !== undefined, 'the controller lives on');

  const storm = await crashStorm(t, 'transient');
  const down = (await next(storm.vm, P.tuple(a('DOWN'), storm.ref, P.any, P.any, P.any))) as Tuple;
  t.same(down.at(4), tuple(a('application_terminated'), a('victim'), a('shutdown')), 'the controller exits with {application_terminated, App, shutdown}');
});

t.test('a permanent application whose top supervisor exits stops every other application, then the controller', async (t) => {
  const { vm, lines, ref } = await crashStorm(t, 'permanent');
  t.same(await next(vm, P.tuple(a('app_stop'), P.any, P.any)), tuple(a('app_stop'), a('last'), tuple(a('prepped'), a('last'))), 'the last started stops first');
  t.same(await next(vm, P.tuple(a('app_stop'), P.any, P.any)), tuple(a('app_stop'), a('other'), tuple(a('prepped'), a('other'))), 'then the earlier one');
  const down = (await next(vm, P.tuple(a('DOWN'), ref, P.any, P.any, P.any))) as Tuple;
  t.same(down.at(4), tuple(a('application_terminated'), a('victim'), a('shutdown')), "the embedding API sees the controller's DOWN");
  t.ok(exitedReport(lines, 'victim', 'shutdown', 'permanent'), 'application: victim / exited: shutdown / type: permanent');
  t.ok(lines.some((l) => l.includes('Kernel pid terminated (application_controller) ({application_terminated,victim,shutdown})')), "OTP's last words");
});
