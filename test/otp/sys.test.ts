// sys (src/otp/sys.ts) on gen_server (and so supervisor): get_state, replace_state,
// get_status with format_status/1 and /2, suspend/resume (a suspended server handles only
// system messages), change_code, statistics, trace (*DBG* lines through the logger hook, from
// every thread) and log. Inline, or on 2 scheduler threads (test/otp/multi/).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { atom, P, Pid, tuple, Tuple, type Term } from '../../src/index.js';
import { next, op, startAppsVM, waitLines } from './fixtures/apps_harness.js';

// One VM for the file (a VM on 2 scheduler threads takes ~1.5 s to start); names differ per test.
const apps = await startAppsVM(t);

const ok = atom('ok');

async function server(vm: Parameters<typeof op>[0], module: string, state: Term, name: string): Promise<Pid> {
  const started = (await op(vm, 'gs_start', atom(module), state, atom(name))) as Tuple;
  return started.at(1) as Pid;
}

t.test('get_state, replace_state (fun M:F/1), a crashing fun leaves the state', async (t) => {
  const { vm } = apps;
  const pid = await server(vm, 'apps_gs', 21, 'sys_a');
  t.equal(await op(vm, 'get_state', atom('sys_a')), 21, 'get_state by name');
  t.equal(await op(vm, 'replace_state', pid), 42, 'replace_state returns the new state');
  t.equal(await op(vm, 'call', pid, atom('get')), 42, 'and the server uses it');
  const failed = (await op(vm, 'replace_state_crash', pid)) as Tuple;
  t.same([failed.at(0), failed.at(1)], [atom('caught'), atom('exit')], 'a crashing fun: the client exits');
  t.same(((failed.at(2) as Tuple).at(0) as Tuple).at(0), atom('callback_failed'), 'with {callback_failed, …}');
  t.equal(await op(vm, 'get_state', pid), 42, 'the state is unchanged');
  const noproc = (await op(vm, 'get_state', atom('sys_nobody'))) as Tuple;
  t.same(noproc, tuple(atom('caught'), atom('exit'), tuple(atom('noproc'), tuple(atom('sys'), atom('get_state'), [atom('sys_nobody')]))), 'noproc as sys exits');
});

t.test('get_status: OTP shape; format_status/1 and format_status/2 shape the state', async (t) => {
  const { vm } = apps;
  const plain = await server(vm, 'apps_gs', 7, 'sys_plain');
  const status = (await op(vm, 'get_status', plain)) as Tuple;
  t.equal(status.at(0), atom('status'));
  t.ok((status.at(1) as Pid).equals(plain), 'the pid');
  t.same(status.at(2), tuple(atom('module'), atom('gen_server')), '{module, gen_server}');
  const [pdict, sysState, parent, debug, misc] = status.at(3) as [Term[], Term, Pid, Term, Term[]];
  t.ok(Array.isArray(pdict) && pdict.some((e) => (e as Tuple).at(0) === atom('$ancestors')), 'the process dictionary');
  t.same([sysState, debug], [atom('running'), []], 'running, no debug options');
  t.ok(parent.equals(plain), 'an unlinked server is its own parent (gen.erl)');
  t.same(misc, [
    tuple(atom('header'), 'Status for generic server sys_plain'),
    tuple(atom('data'), [tuple('Status', atom('running')), tuple('Parent', plain), tuple('Logged events', [])]),
    tuple(atom('data'), [tuple('State', 7)]),
  ]);
  await server(vm, 'apps_gs_fmt1', 7, 'sys_fmt1');
  const fmt1 = (((await op(vm, 'get_status', atom('sys_fmt1'))) as Tuple).at(3) as Term[])[4] as Term[];
  t.same(fmt1[2], tuple(atom('data'), [tuple('State', tuple(atom('fmt1'), 7))]), 'format_status/1 (OTP 25 map form)');
  await server(vm, 'apps_gs_fmt2', 7, 'sys_fmt2');
  const fmt2 = (((await op(vm, 'get_status', atom('sys_fmt2'))) as Tuple).at(3) as Term[])[4] as Term[];
  t.same(fmt2[2], tuple(atom('data'), [tuple('State', tuple(atom('fmt2'), 7))]), 'format_status(normal, [PDict, State])');
});

t.test('suspend: only system messages until resume; change_code while suspended', async (t) => {
  const { vm } = apps;
  const pid = await server(vm, 'apps_gs', 1, 'sys_susp');
  t.same(await op(vm, 'suspend', pid), ok);
  const status = (await op(vm, 'get_status', pid)) as Tuple;
  t.equal((status.at(3) as Term[])[1], atom('suspended'), 'get_status says suspended');
  const timedOut = (await op(vm, 'call', pid, atom('get'), 100)) as Tuple;
  t.same([timedOut.at(0), (timedOut.at(2) as Tuple).at(0)], [atom('caught'), atom('timeout')], 'a call is not handled while suspended');
  t.same(await op(vm, 'cast', pid, tuple(atom('tell'), vm.self)), ok);
  t.equal(await next(vm, P.tuple(atom('told'), P.any), 100), undefined, 'nor a cast');
  t.same(await op(vm, 'change_code', pid, atom('apps_gs'), 'v1', atom('extra')), ok, 'change_code: ok');
  t.same(await op(vm, 'get_state', pid), tuple(atom('migrated'), 'v1', 1, atom('extra')), 'code_change(OldVsn, State, Extra) ran');
  const refused = await op(vm, 'change_code', pid, atom('apps_gs'), 'v2', atom('refuse'));
  t.same(refused, tuple(atom('error'), tuple(atom('error'), atom('refused'))), 'a refusing code_change: {error, Else}, state kept');
  t.same(await op(vm, 'resume', pid), ok);
  t.same(await next(vm, P.tuple(atom('told'), P.any)), tuple(atom('told'), tuple(atom('migrated'), 'v1', 1, atom('extra'))), 'the queued cast runs after resume, in order');
  const running = await op(vm, 'change_code', pid, atom('apps_gs'), 'v3', atom('extra'));
  t.same(running, tuple(atom('error'), tuple(atom('unknown_system_msg'), tuple(atom('change_code'), atom('apps_gs'), 'v3', atom('extra')))), 'change_code of a running server: unknown_system_msg (as sys)');
});

t.test('statistics counts messages in and out; log keeps events; trace prints *DBG* lines', async (t) => {
  const { vm } = apps;
  const pid = await server(vm, 'apps_gs', 0, 'sys_dbg');
  t.same(await op(vm, 'statistics', pid, atom('get')), atom('no_statistics'));
  t.same(await op(vm, 'statistics', pid, true), ok);
  for (let i = 1; i <= 3; i++) await op(vm, 'call', pid, tuple(atom('set'), i));
  await op(vm, 'cast', pid, tuple(atom('set'), 9));
  const stats = (await op(vm, 'statistics', pid, atom('get'))) as Tuple;
  t.equal(stats.at(0), ok);
  const s = new Map((stats.at(1) as Tuple[]).map((e) => [(e.at(0) as { name: string }).name, e.at(1)]));
  t.same([...s.keys()], ['start_time', 'current_time', 'reductions', 'messages_in', 'messages_out'], 'OTP keys');
  t.same([s.get('messages_in'), s.get('messages_out')], [4, 3], '3 calls and a cast in, 3 replies out');
  t.same(await op(vm, 'statistics', pid, false), ok);
  t.same(await op(vm, 'statistics', pid, atom('get')), atom('no_statistics'));

  t.same(await op(vm, 'log', pid, true), ok);
  await op(vm, 'call', pid, atom('get'));
  const log = (await op(vm, 'log', pid, atom('get'))) as Tuple;
  const events = log.at(1) as Tuple[];
  t.same(events.map((e) => (e.at(0) as { name: string }).name), ['in', 'out'], 'log: {in, Msg} then {out, Reply, From, State}');
  t.same(events[1]!.at(1), 9, 'the reply');

  t.same(await op(vm, 'trace', pid, true), ok);
  await op(vm, 'call', pid, tuple(atom('set'), 5));
  await op(vm, 'cast', pid, tuple(atom('set'), 6));
  const texts = await waitLines(apps, (x) => x.some((l) => l.includes('new state 6')));
  const dbg = texts.filter((l) => l.startsWith('*DBG*'));
  t.match(dbg[0], /^\*DBG\* sys_dbg got call \{set,5\} from <[\d.]+>\n$/, 'got call … from Pid');
  t.match(dbg[1], /^\*DBG\* sys_dbg sent ok to <[\d.]+>, new state 5\n$/, 'sent … to Pid, new state');
  t.equal(dbg[2], '*DBG* sys_dbg got cast {set,6}\n', 'got cast');
  t.equal(dbg[3], '*DBG* sys_dbg new state 6\n', 'new state');
  t.same(await op(vm, 'trace', pid, false), ok);
  await op(vm, 'call', pid, atom('get'));
  t.equal((await waitLines(apps, () => false, 100)).filter((l) => l.startsWith('*DBG*')).length, 4, 'trace off: no more lines');
});

t.test('log_to_file writes the *DBG* lines to a file; no_debug turns every option off', async (t) => {
  const { vm } = apps;
  const dir = mkdtempSync(join(os.tmpdir(), 'beamjs-sys-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'dbg.log');
  const pid = await server(vm, 'apps_gs', 0, 'sys_file');
  t.same(await op(vm, 'log_to_file', pid, join(dir, 'no/such/dir/x.log')), tuple(atom('error'), atom('open_file')), 'an unwritable path: {error, open_file}');
  t.same(await op(vm, 'log_to_file', pid, file), ok, 'log_to_file');
  t.equal(readFileSync(file, 'utf8'), '', 'the file is created empty');
  await op(vm, 'call', pid, tuple(atom('set'), 5));
  await op(vm, 'cast', pid, tuple(atom('set'), 6));
  await op(vm, 'call', pid, atom('get'));
  const lines = readFileSync(file, 'utf8').split('\n');
  t.match(lines[0], /^\*DBG\* sys_file got call \{set,5\} from <[\d.]+>$/, 'got call … from Pid');
  t.match(lines[1], /^\*DBG\* sys_file sent ok to <[\d.]+>, new state 5$/, 'sent … new state');
  t.equal(lines[2], '*DBG* sys_file got cast {set,6}', 'got cast');
  t.equal(lines[3], '*DBG* sys_file new state 6', 'new state');
  t.equal(lines.length, 7, 'six lines (the get is two more), each ended by a newline');
  t.same(await op(vm, 'log_to_file', pid, false), ok, 'log_to_file false');
  await op(vm, 'call', pid, atom('get'));
  t.equal(readFileSync(file, 'utf8').split('\n').length, 7, 'no more lines after false');

  t.same(await op(vm, 'log_to_file', pid, file), ok, 'log_to_file again: the file is emptied');
  t.same(await op(vm, 'statistics', pid, true), ok);
  t.same(await op(vm, 'log', pid, true), ok);
  t.same(await op(vm, 'trace', pid, true), ok);
  const status = (await op(vm, 'get_status', pid)) as Tuple;
  const debugList = ((status.at(3) as Term[])[3] as Tuple[]).map((d) => (d instanceof Tuple ? d.at(0) : d));
  t.same(debugList, [atom('trace'), atom('statistics'), atom('log'), atom('log_to_file')], 'get_status lists the four options');
  t.same(await op(vm, 'no_debug', pid), ok, 'no_debug');
  const after = (await op(vm, 'get_status', pid)) as Tuple;
  t.same((after.at(3) as Term[])[3], [], 'get_status: no debug option left');
  t.same(await op(vm, 'statistics', pid, atom('get')), atom('no_statistics'), 'statistics off');
  t.same(await op(vm, 'log', pid, atom('get')), tuple(ok, []), 'log off');
  await op(vm, 'call', pid, tuple(atom('set'), 7));
  t.equal(readFileSync(file, 'utf8'), '', 'nothing more in the file');
  t.equal((await waitLines(apps, () => false, 100)).filter((l) => l.includes('sys_file')).length, 0, 'and no *DBG* line was printed after no_debug');
});

t.test('a supervisor answers sys too (it is a gen_server)', async (t) => {
  const { vm } = apps;
  const sup = ((await op(vm, 'sup_start', atom('sup_diff'), [], atom('sys_sup'))) as Tuple).at(1) as Pid;
  t.same(await op(vm, 'suspend', sup), ok);
  t.same(await op(vm, 'resume', sup), ok);
  const status = (await op(vm, 'get_status', sup)) as Tuple;
  t.same((((status.at(3) as Term[])[4] as Term[])[0] as Tuple).at(1), 'Status for generic server sys_sup');
  t.equal(((await op(vm, 'which_children', sup)) as Term[]).length, 1, 'and serves after resume');
});
