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
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { atom, exactEquals, P, tuple, Tuple, type Pid, type Term } from '../../src/index.js';
import { binaryToTerm, termToBinary } from '../../src/codec/index.js';
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

/** Runs Module:main(Out, Arg) in one erl process (the module compiled from test/otp/fixtures); returns the term it wrote. */
function runErl(module: string, arg: (dir: string) => string): Term {
  const dir = mkdtempSync(join(os.tmpdir(), 'beamjs-statem-'));
  try {
    const source = join(repoRoot, 'test', 'otp', 'fixtures', `${module}.erl`);
    const out = join(dir, 'out.bin');
    const q = (s: string): string => JSON.stringify(s); // also an Erlang string literal here (ASCII paths)
    const driver = `{ok, M} = compile:file(${q(source)}, [{outdir, ${q(dir)}}, return_errors]), code:add_patha(${q(dir)}), M:main(${q(out)}, ${arg(dir)}), halt().`;
    const r = spawnSync('erl', ['-noshell', '-eval', driver], { encoding: 'utf8', timeout: 60_000 });
    if (!existsSync(out)) throw new Error(`erl failed: ${String(r.error ?? '')} ${r.stderr} ${r.stdout.slice(-2000)}`);
    return binaryToTerm(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A term in Erlang's notation (for the failure comments). */
function show(x: Term): string {
  if (x instanceof Tuple) return `{${x.elements.map(show).join(',')}}`;
  if (Array.isArray(x)) return `[${(x as Term[]).map(show).join(',')}]`;
  if (x !== null && typeof x === 'object' && 'name' in x) return String((x as { name: string }).name);
  return String(x);
}

const erlList = (list: number[][]): string => `[${list.map((s) => `[${s.join(',')}]`).join(',')}]`;

// ---------------------------------------------------------------------------------------------
// Scripts for the interpreter machine (statem_interp.erl / sm_interp): random results and
// actions over every transition and time-out rule that does not depend on a clock (time-outs
// are 0, or so long that they never fire before the script ends).

const A_ = (name: string): Term => atom(name);
const D = A_('$d');
const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const STATES = ['s1', 's2', 'p1', 'z'].map(A_);
const G = (n: string): Term => tuple(A_('timeout'), A_(n));

function simpleAction(rnd: () => number): Term {
  return pick(rnd, [
    () => A_('postpone'),
    () => tuple(A_('postpone'), false),
    () => tuple(A_('next_event'), pick(rnd, [A_('internal'), A_('cast'), A_('info')]), pick(rnd, [A_('a1'), A_('a2')])),
    () => tuple(A_('state_timeout'), 0, A_('stz')),
    () => tuple(A_('state_timeout'), 10_000, A_('stl')),
    () => tuple(A_('state_timeout'), A_('update'), A_('stu')),
    () => tuple(A_('state_timeout'), A_('cancel')),
    () => tuple(A_('state_timeout'), A_('infinity'), A_('sti')),
    () => tuple(G(pick(rnd, ['g1', 'g2'])), 0, A_('g')),
    () => tuple(G('g2'), 10_000, A_('gl')),
    () => tuple(G(pick(rnd, ['g1', 'g2'])), A_('update'), A_('gu')),
    () => tuple(G(pick(rnd, ['g1', 'g2'])), A_('cancel')),
    () => tuple(A_('timeout'), 0, A_('et')),
    () => 0,
    () => tuple(A_('timeout'), A_('update'), A_('etu')),
    () => tuple(A_('timeout'), A_('cancel')),
    () => A_('hibernate'),
  ])();
}

function result(rnd: () => number, depth: number): Term {
  const actions = (): Term[] =>
    Array.from({ length: Math.floor(rnd() * 4) }, () => (depth > 0 && rnd() < 0.25 ? tuple(A_('next_event'), pick(rnd, [A_('internal'), A_('cast')]), tuple(A_('do'), result(rnd, depth - 1))) : simpleAction(rnd)));
  return pick(rnd, [
    () => tuple(A_('next_state'), pick(rnd, STATES), D, actions()),
    () => tuple(A_('next_state'), pick(rnd, STATES), D),
    () => tuple(A_('keep_state'), D, actions()),
    () => A_('keep_state_and_data'),
    () => tuple(A_('keep_state_and_data'), actions()),
    () => tuple(A_('repeat_state'), D, actions()),
    () => A_('repeat_state_and_data'),
    () => tuple(A_('repeat_state_and_data'), actions()),
  ])();
}

const FIN = tuple(A_('internal'), tuple(A_('do'), tuple(A_('keep_state_and_data'), [tuple(G('fin'), 0, A_('fin'))])));
const ev = (type: string, content: Term): Term => tuple(A_(type), content);
const doEv = (type: string, r: Term): Term => ev(type, tuple(A_('do'), r));

export function interpScripts(): Term[][] {
  const fixed: Term[][] = [
    [doEv('cast', tuple(A_('next_state'), A_('p1'), D)), ev('cast', A_('a1')), ev('internal', A_('a2')), doEv('cast', tuple(A_('next_state'), A_('s2'), D, [tuple(A_('next_event'), A_('internal'), A_('n1'))]))],
    [doEv('cast', tuple(A_('keep_state'), D, [tuple(A_('state_timeout'), 0, A_('stz')), tuple(G('g1'), 0, A_('g')), tuple(A_('timeout'), 0, A_('et')), tuple(A_('next_event'), A_('cast'), A_('a1'))]))],
    [doEv('cast', tuple(A_('keep_state_and_data'), [tuple(G('g1'), A_('update'), A_('gu'))]))],
    [doEv('cast', tuple(A_('keep_state_and_data'), [tuple(A_('state_timeout'), 0, A_('stz')), tuple(A_('next_event'), A_('internal'), tuple(A_('do'), tuple(A_('next_state'), A_('s2'), D)))]))],
    [doEv('cast', tuple(A_('next_state'), A_('z'), D)), doEv('cast', A_('repeat_state_and_data')), doEv('info', tuple(A_('next_state'), A_('p1'), D, [A_('postpone')]))],
    [doEv('cast', tuple(A_('next_state'), A_('p1'), D, [tuple(G('g1'), 0, A_('g')), tuple(G('g2'), 0, A_('g'))])), doEv('cast', tuple(A_('keep_state_and_data'), [tuple(G('g1'), 0, A_('again'))]))],
    // Several time-out actions of one type in one transition (probed in erl 25): the last
    // wins, in its place; it applies to the timer running before the transition.
    ...(() => {
      const ksd = (...actions: Term[]): Term => doEv('cast', tuple(A_('keep_state_and_data'), actions));
      const st = (time: Term, content?: Term): Term => (content === undefined ? tuple(A_('state_timeout'), time) : tuple(A_('state_timeout'), time, content));
      const after = ev('cast', A_('a1'));
      return [
        [ksd(st(0, A_('a')), st(10_000, A_('b'))), after],
        [ksd(st(10_000, A_('a'))), ksd(st(A_('cancel')), st(A_('update'), A_('b'))), after],
        [ksd(st(10_000, A_('a'))), ksd(st(0, A_('z')), st(A_('update'), A_('b'))), after],
        [ksd(st(10_000, A_('a')), st(A_('update'), A_('b'))), after],
        [ksd(tuple(A_('timeout'), 10_000, A_('a')), tuple(A_('timeout'), A_('update'), A_('b'))), after],
        [ksd(tuple(G('g1'), 0, A_('a')), tuple(G('g2'), 0, A_('b')), tuple(G('g1'), 0, A_('c'))), after],
        [ksd(tuple(A_('timeout'), 0, A_('et')), tuple(G('g1'), 0, A_('g'))), after],
        [ksd(tuple(G('g1'), 0, A_('g')), tuple(A_('timeout'), 0, A_('et'))), after],
      ];
    })(),
  ];
  const rnd = mulberry32(seed ^ 0x5eed);
  const random = Array.from({ length: 40 }, () =>
    Array.from({ length: 2 + Math.floor(rnd() * 10) }, () => (rnd() < 0.8 ? doEv(pick(rnd, ['cast', 'internal', 'info']), result(rnd, 2)) : ev(pick(rnd, ['cast', 'info']), pick(rnd, [A_('a1'), A_('a2')])))),
  );
  return [...fixed, ...random].map((s) => [...s, FIN]);
}

if (!erlWanted()) {
  t.pass('BEAMJS_NO_ERL=1: the differential test against erl is left out on purpose');
} else {
  t.test('erl is installed (the differential test needs it; BEAMJS_NO_ERL=1 leaves it out)', async (t) => {
    t.ok(erlInstalled(), 'erl -noshell runs');
  });

  t.test('the code lock: the same traces in erl and in beamjs', async (t) => {
    const list = scripts();
    const expected = runErl('code_lock', () => erlList(list)) as Term[];
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

  t.test('the interpreter machine: random results and actions, the same traces in erl and in beamjs', async (t) => {
    const list = interpScripts();
    const expected = runErl('statem_interp', (dir) => {
      const file = join(dir, 'in.bin');
      writeFileSync(file, termToBinary(list));
      return JSON.stringify(file);
    }) as Term[];
    t.equal(expected.length, list.length, 'erl ran every script');
    const vm = await startOtpVM(t, [new URL('./fixtures/statems.js', import.meta.url)]);
    let tag = 0;
    let failures = 0;
    for (const [i, script] of list.entries()) {
      await vm.spawn('sm_client', 'run', [vm.self, ++tag, 'start', [vm.self, undefined as unknown as Term, atom('sm_interp')]]);
      const started = await vm.receive(P.tuple(atom('outcome'), tag, P.capture('o')), 5000);
      const pid = ((started!.o as Tuple).at(1) as Tuple).at(1) as Pid;
      vm.send(pid, tuple(atom('$gen_cast'), tuple(atom('script'), script)));
      if (expected[i] === atom('livelock')) {
        // erl's machine loops for ever (postponed events bouncing between states): so must
        // ours, while its scheduler keeps running the others (this receive's timer fires).
        t.equal(await vm.receive(P.tuple(atom('finished'), P.any), 300), undefined, `script ${i}: loops for ever, as in erl, without holding its scheduler`);
        t.equal(await vm.isProcessAlive(pid), true, 'and is still running');
        await vm.exit(pid, atom('kill'));
        continue;
      }
      const finished = await vm.receive(P.tuple(atom('finished'), P.capture('trace')), 5000);
      const same = t.ok(exactEquals(finished?.trace, expected[i]!), `script ${i} (${script.length} events): the same trace as erl (${(expected[i] as Term[]).length} callbacks)`);
      if (!same) {
        failures++;
        t.comment(`script ${i}: ${show(script)}\n  erl:    ${show(expected[i]!)}\n  beamjs: ${show(finished?.trace)}`);
      }
      await vm.exit(pid, atom('kill'));
    }
    t.equal(failures, 0, 'no script differed');
  });
}
