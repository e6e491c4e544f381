// Differential test of gen_statem against real erl 25: the same code lock (state_functions,
// state_enter, postpone, next_event, state_timeout) written in Erlang
// (test/otp/fixtures/code_lock.erl, compiled with erlc's compiler in a temp dir) and in beamjs
// (`sm_lock`, test/otp/fixtures/statems.ts) is fed the same button scripts; the traces of
// {State, EventType, EventContent}, enter calls included, must be equal. Each script is
// inserted as next_events by one cast, so the trace depends only on gen_statem's ordering
// rules (queue, postpone, state time-out), not on timing. One erl process runs every script.
// Without erl the test fails, unless BEAMJS_NO_ERL=1 says to leave it out.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { atom, P, tuple, Tuple, type Pid, type Term } from '../../src/index.js';
import { binaryToTerm } from '../../src/codec/index.js';
import { erlInstalled, erlWanted, repoRoot } from '../codec/codec_support.js';
import { mulberry32, testSeed } from '../support/prng.js';
import { startOtpVM } from './fixtures/start_vm.js';

const seed = testSeed();
t.comment(`seed ${seed} (set BEAMJS_SEED=${seed} to replay)`);

/** Hand-picked scripts (open, reset, re-open while postponed) and seeded random ones. */
function scripts(): number[][] {
  const fixed = [[1, 2, 3, 9], [1, 2, 3, 9, 1, 2, 3, 1, 2, 3], [4, 1, 2, 1, 2, 3, 3, 2, 1], [], [1, 2, 3], [3, 2, 1, 1, 2, 3, 1, 2, 3, 4]];
  const rnd = mulberry32(seed);
  // Random scripts of chunks: the code, a part of it, a wrong button.
  const chunks = [[1, 2, 3], [1, 2], [1], [2], [3], [4]];
  const random = Array.from({ length: 8 }, () => Array.from({ length: 2 + Math.floor(rnd() * 6) }, () => chunks[Math.floor(rnd() * chunks.length)]!).flat());
  return [...fixed, ...random];
}

/** Runs code_lock:main in erl; returns its traces. */
function erlTraces(list: number[][]): Term[] {
  const dir = mkdtempSync(join(os.tmpdir(), 'beamjs-statem-'));
  try {
    const source = join(repoRoot, 'test', 'otp', 'fixtures', 'code_lock.erl');
    const out = join(dir, 'out.bin');
    const q = (s: string): string => JSON.stringify(s);
    const scriptsLiteral = `[${list.map((s) => `[${s.join(',')}]`).join(',')}]`;
    const driver = `{ok, M} = compile:file(${q(source)}, [{outdir, ${q(dir)}}, return_errors]), code:add_patha(${q(dir)}), M:main(${q(out)}, ${scriptsLiteral}), halt().`;
    const r = spawnSync('erl', ['-noshell', '-eval', driver], { encoding: 'utf8', timeout: 60_000 });
    if (!existsSync(out)) throw new Error(`erl failed: ${String(r.error ?? '')} ${r.stderr} ${r.stdout.slice(-2000)}`);
    return binaryToTerm(readFileSync(out)) as Term[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!erlWanted()) {
  t.pass('BEAMJS_NO_ERL=1: the differential test against erl is left out on purpose');
} else {
  t.test('erl is installed (the differential test needs it; BEAMJS_NO_ERL=1 leaves it out)', async (t) => {
    t.ok(erlInstalled(), 'erl -noshell runs');
  });

  t.test('the code lock: the same traces in erl and in beamjs', async (t) => {
    const list = scripts();
    const expected = erlTraces(list);
    t.equal(expected.length, list.length, 'erl ran every script');
    const vm = await startOtpVM(t, [new URL('./fixtures/statems.js', import.meta.url)]);
    let tag = 0;
    for (const [i, buttons] of list.entries()) {
      await vm.spawn('sm_client', 'run', [vm.self, ++tag, 'start', [tuple([1, 2, 3], vm.self), undefined as unknown as Term, atom('sm_lock')]]);
      const started = await vm.receive(P.tuple(atom('outcome'), tag, P.capture('o')), 5000);
      const pid = (((started!.o as Tuple).at(1) as Tuple).at(1)) as Pid;
      await vm.spawn('sm_client', 'run', [vm.self, ++tag, 'call', [pid, atom('which')]]);
      t.same((await vm.receive(P.tuple(atom('outcome'), tag, P.capture('o')), 5000))?.o, tuple(atom('ok'), atom('locked')), `script ${i}: starts locked`);
      vm.send(pid, tuple(atom('$gen_cast'), tuple(atom('buttons'), buttons)));
      const finished = await vm.receive(P.tuple(atom('finished'), P.capture('trace')), 5000);
      t.same(finished?.trace, expected[i], `script ${i} [${buttons.join(',')}]: the same trace as erl (${(expected[i] as Term[]).length} callbacks)`);
      await vm.exit(pid, atom('kill'));
    }
  });
}
