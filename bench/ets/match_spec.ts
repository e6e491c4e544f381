/**
 * The match-specification engine alone (src/ets/match_spec.ts): objects/s through
 * matchSpecRun over 100,000 objects {I, even | odd, I * 3}, against erl's ets:match_spec_run/2
 * on the same objects and specs in the same run (bench/erl/ets_bench.erl, match_spec/1, +S 1).
 * This is the per-object cost an ets:select scan pays on top of reading the objects.
 *
 *   ets.match_spec.head     [{{'$1', even, '_'}, [], ['$1']}]                      (half match)
 *   ets.match_spec.guard    [{{'$1', even, '$2'}, [{'>', '$2', 150000}], ['$1']}]
 *   ets.match_spec.body     [{{'$1', '_', '$2'}, [{'=:=', {rem, '$1', 10}, 0}], [{{'$1', {'+', '$2', 1}}}]}]
 *   ets.match_spec.nomatch  [{{'_', zzz, '_'}, [], ['$_']}]                        (no object matches)
 *
 * Each run checks its result count.
 */
import { atom, tuple, type Term } from '../../src/index.js';
import { compileMatchSpec, matchSpecRun } from '../../src/ets/match_spec.js';
import { beamFigure, check, measureOps, reportVersusBeam, runErl } from '../harness.js';
import { KEYS } from '../support/ets_keys.js';

const A = atom;

const SPECS: ReadonlyArray<{ readonly name: string; readonly spec: Term; readonly expected: number }> = [
  { name: 'head', spec: [tuple(tuple(A('$1'), A('even'), A('_')), [], [A('$1')])], expected: 50_000 },
  { name: 'guard', spec: [tuple(tuple(A('$1'), A('even'), A('$2')), [tuple(A('>'), A('$2'), 150_000)], [A('$1')])], expected: 24_999 },
  {
    name: 'body',
    spec: [tuple(tuple(A('$1'), A('_'), A('$2')), [tuple(A('=:='), tuple(A('rem'), A('$1'), 10), 0)], [tuple(tuple(A('$1'), tuple(A('+'), A('$2'), 1)))])],
    expected: 10_000,
  },
  { name: 'nomatch', spec: [tuple(tuple(A('_'), A('zzz'), A('_')), [], [A('$_')])], expected: 0 },
];

export default async function run(): Promise<void> {
  const erl = runErl('ets_bench', 'match_spec', ['10'], { schedulers: 1 });
  const objects: Term[] = [];
  for (let i = 0; i < KEYS; i++) objects.push(tuple(i, A(i % 2 === 0 ? 'even' : 'odd'), i * 3));
  for (const { name, spec, expected } of SPECS) {
    const compiled = compileMatchSpec(spec);
    check(matchSpecRun(objects, compiled).length === expected, `${name}: ${expected} results`);
    let count = 0;
    const rate = measureOps(`ets.match_spec.${name}`, () => {
      count = matchSpecRun(objects, compiled).length;
    }, { opsPerCall: KEYS, maxTime: 1 });
    check(count === expected, `${name}: ${count} results, expected ${expected}`);
    reportVersusBeam(`ets.match_spec.${name}`, rate, beamFigure(erl, `ets.match_spec.${name}`), 'objects/s');
  }
}
