// supervisor (src/otp/supervisor.ts), the gaps closed in this round: supervisor reports
// (start_error, child_terminated, shutdown, shutdown_error) and progress reports, compared field
// by field with what erl 25 reports for the same scenario (test/otp/sup_diff.erl), and the
// restart retry ({try_again_restart, Id}, counted toward the intensity). Inline, or on 2
// scheduler threads (test/otp/multi/). Without erl the differential test fails, unless
// BEAMJS_NO_ERL=1 says to leave it out.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { atom, P, Pid, tuple, Tuple, type Term } from '../../src/index.js';
import { binaryToTerm } from '../../src/codec/index.js';
import { nextLog, op, startAppsVM, waitLines } from './fixtures/apps_harness.js';

const ok = atom('ok');

// One VM for the file (a VM on 2 scheduler threads takes ~1.5 s to start); names differ per test.
const apps = await startAppsVM(t);
const { vm } = apps;

/** Every pid (and nothing else) becomes the atom pid, as sup_diff.erl's mask/1. */
function mask(term: Term): Term {
  if (term instanceof Pid) return atom('pid');
  if (Array.isArray(term)) return term.map(mask);
  if (term instanceof Tuple) return tuple(...term.elements.map(mask));
  return term;
}

async function waitNewPid(name: string, old: Pid | undefined): Promise<Pid> {
  for (let i = 0; i < 500; i++) {
    const pid = await vm.whereis(atom(name));
    if (pid !== undefined && (old === undefined || !pid.equals(old))) return pid;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`${name} was not (re)started`);
}

/** The supervisor reports captured so far, as [{Label, Report}] (other events skipped). */
async function supervisorReports(ms = 300): Promise<Term[]> {
  const out: Term[] = [];
  for (;;) {
    const e = await nextLog(vm, ms);
    if (e === undefined) return out;
    const r = (e.msg as Tuple).at(1) as Record<string, Term>;
    if (r.label instanceof Tuple && r.label.at(0) === atom('supervisor')) out.push(tuple(r.label, r.report));
  }
}

t.test('at the default level (notice) progress reports are not printed; supervisor reports are', async (t) => {
  const sup = ((await op(vm, 'sup_start', atom('sup_diff'), [], atom('sd_quiet'))) as Tuple).at(1) as Pid;
  // Kill its child once (a child_terminated report), then the supervisor.
  const w = await waitNewPid('sd_w', undefined);
  await vm.exit(w, atom('kill'));
  const texts = await waitLines(apps, (x) => x.some((l) => l.includes('errorContext: child_terminated')));
  const report = texts.find((l) => l.includes('errorContext: child_terminated'))!;
  t.match(report, /^=SUPERVISOR REPORT==== .* ===\n    supervisor: \{local,sd_quiet\}\n    errorContext: child_terminated\n    reason: killed\n    offender: \[\{pid,<[\d.]+>\},\{id,sd_w\},\{mfargs,\{sup_diff,start_worker,\[sd_w\]\}\},\{restart_type,permanent\},\{significant,false\},\{shutdown,1000\},\{child_type,worker\}\]\n$/, "OTP's text (one line per field)");
  t.notOk(texts.some((l) => l.includes('PROGRESS REPORT')), 'no progress report at notice');
  await waitNewPid('sd_w', w);
  await vm.exit(sup, atom('kill'));
  while (await vm.whereis(atom('sd_w'))) await new Promise((r) => setTimeout(r, 5));
});

t.test('a failed restart is retried by try_again_restart and may then succeed', async (t) => {
  t.same(await op(vm, 'add_handler', atom('sup_capture'), vm.self), ok);
  t.same(await op(vm, 'set_primary', atom('info')), ok);
  const sup = ((await op(vm, 'sup_start', atom('sup_diff'), [], atom('sd_once'))) as Tuple).at(1) as Pid;
  const w1 = await waitNewPid('sd_w', undefined);
  await op(vm, 'set_fail_once');
  await vm.exit(w1, atom('kill'));
  const w2 = await waitNewPid('sd_w', w1);
  const labels = (await supervisorReports()).map((r) => ((r as Tuple).at(0) as Tuple).at(1));
  t.same(labels, [atom('progress'), atom('child_terminated'), atom('start_error'), atom('progress')], 'terminated, start_error, then started by the retry');
  const children = (await op(vm, 'which_children', sup)) as Tuple[];
  t.ok((children[0]!.at(1) as Pid).equals(w2), 'which_children: the new pid');
  await vm.exit(sup, atom('kill'));
  while (await vm.whereis(atom('sd_w'))) await new Promise((r) => setTimeout(r, 5));
});

t.test('shutdown_error: a child that ignores shutdown is killed after its shutdown time', async (t) => {
  const sup = ((await op(vm, 'sup_start', atom('sup_stubborn'), [], atom('sd_stubborn'))) as Tuple).at(1) as Pid;
  await supervisorReports(100); // its progress report
  t.same(await op(vm, 'terminate_child', sup, atom('st')), ok);
  const reports = (await supervisorReports()) as Tuple[];
  t.equal(reports.length, 1, 'one report');
  const [label, body] = reports[0]!.elements as [Tuple, Tuple[]];
  t.same(label, tuple(atom('supervisor'), atom('shutdown_error')));
  t.same(mask(body.slice(0, 3)), [tuple(atom('supervisor'), tuple(atom('local'), atom('sd_stubborn'))), tuple(atom('errorContext'), atom('shutdown_error')), tuple(atom('reason'), atom('killed'))], 'reason killed');
  await vm.exit(sup, atom('kill'));
});

const erlWanted = process.env.BEAMJS_NO_ERL !== '1';

/** Runs test/otp/sup_diff.erl in erl; the decoded [{Label, Report}]. */
function erlReports(): Term {
  const source = fileURLToPath(new URL('../../../test/otp/sup_diff.erl', import.meta.url));
  const dir = mkdtempSync(join(os.tmpdir(), 'beamjs-sup-diff-'));
  try {
    const out = join(dir, 'out.hex');
    const q = (s: string): string => JSON.stringify(s);
    const driver = `{ok, M} = compile:file(${q(source)}, [{outdir, ${q(dir)}}, return_errors]), code:add_patha(${q(dir)}), M:main(${q(out)}), halt().`;
    const r = spawnSync('erl', ['-noshell', '-eval', driver], { encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) throw new Error(`erl failed: ${String(r.error ?? '')} ${r.stderr} ${r.stdout}`);
    return binaryToTerm(Buffer.from(readFileSync(out, 'utf8'), 'hex')) as Term;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

t.test('the same crash in erl 25 and beamjs: the same supervisor reports, field by field', { skip: erlWanted ? false : 'BEAMJS_NO_ERL=1' }, async (t) => {
  const expected = erlReports() as Tuple[];
  // beamjs: the scenario of sup_diff.erl's main/1 (the handler and level are set above).
  const sup = ((await op(vm, 'sup_start', atom('sup_diff'), [], atom('sd_sup'))) as Tuple).at(1) as Pid;
  const down = await vm.monitor(sup);
  const w1 = await waitNewPid('sd_w', undefined);
  await vm.exit(w1, atom('kill'));
  const w2 = await waitNewPid('sd_w', w1);
  await op(vm, 'set_fail_flag');
  await vm.exit(w2, atom('kill'));
  t.ok(await vm.receive(P.tuple(atom('DOWN'), down, P.any, P.any, P.any), 5000), 'the supervisor stopped at the intensity');
  const actual = (await supervisorReports()).map(mask) as Tuple[];
  t.equal(actual.length, expected.length, `${expected.length} reports, as erl`);
  for (let i = 0; i < expected.length; i++) {
    const [eLabel, eBody] = expected[i]!.elements as [Tuple, Tuple[]];
    const [aLabel, aBody] = (actual[i]?.elements ?? []) as [Tuple, Tuple[]];
    t.same(aLabel, eLabel, `report ${i + 1}: label ${(eLabel.at(1) as { name: string }).name}`);
    for (let j = 0; j < eBody.length; j++) t.same(aBody?.[j], eBody[j], `report ${i + 1}, field ${(eBody[j]!.at(0) as { name: string }).name}`);
  }
});
