// Differential test of gen_event against erl 25: test/otp/gen_event_diff.erl runs a scenario of
// add/delete/swap/notify/sync_notify/call/which/stop with a tracing handler in erl, and
// test/otp/fixtures/gen_event_diff.ts runs the same in beamjs; the results and the traces of
// every callback (normalized: {'EXIT', _} -> 'EXIT', pids -> pid) must be identical, line by
// line. Without erl the test fails, unless BEAMJS_NO_ERL=1 says to leave it out.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { atom, P, VM, type Term } from '../../src/index.js';
import { schedulerOptions } from '../support/schedulers.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

function erlLines(): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'beamjs-ged-'));
  try {
    const source = join(repoRoot, 'test', 'otp', 'gen_event_diff.erl');
    const out = join(dir, 'out.txt');
    const q = (s: string): string => JSON.stringify(s);
    const driver = `{ok, M} = compile:file(${q(source)}, [{outdir, ${q(dir)}}, return_errors]), code:add_patha(${q(dir)}), M:main(${q(out)}), halt().`;
    const r = spawnSync('erl', ['-noshell', '-eval', driver], { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`erl failed: ${String(r.error ?? '')} ${r.stderr} ${r.stdout}`);
    return readFileSync(out, 'utf8').trim().split('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

t.test('the same gen_event scenario gives the same results and callback traces in erl and beamjs', { skip: process.env.BEAMJS_NO_ERL === '1' ? 'BEAMJS_NO_ERL=1' : false }, async (t) => {
  const expected = erlLines();
  const vm = await VM.start({ ...schedulerOptions(), modules: [new URL('./fixtures/gen_event_diff.js', import.meta.url)], logger: false });
  t.teardown(() => vm.stop());
  await vm.spawn('gen_event_diff_run', 'run', [vm.self]);
  const got = await vm.receive(P.tuple(atom('ged_lines'), P.capture('lines')), 10_000);
  t.ok(got !== undefined, 'beamjs ran the scenario');
  const lines = (got?.lines ?? []) as Term[] as string[];
  t.equal(lines.length, expected.length, `${expected.length} operations on both sides`);
  for (let i = 0; i < expected.length; i++) t.equal(lines[i], expected[i], `operation ${i + 1}`);
});
