/**
 * The in-VM extension (jsTypes, tags.ts JS_EXT): with { jsTypes: true, minorVersion: 2 }
 * every supported JS value decodes to the same JS type and value, and the encoding is
 * canonical (re-encoding the decoded value gives the same bytes). Checked on seeded
 * random terms; the seed is printed (BEAMJS_SEED=<n> replays).
 */
import t from 'tap';
import { Float, atom, float, tuple } from '../../src/term/index.js';
import type { Term } from '../../src/term/index.js';
import { binaryToTerm, termToBinary } from '../../src/codec/index.js';
import { TermGen, sameJs, testSeed } from './codec_support.js';

const IN_VM = { jsTypes: true, minorVersion: 2 } as const;

t.test('random terms round-trip to the same JS types and values, canonically', async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed} (set BEAMJS_SEED=${seed} to replay)`);
  const gen = new TermGen(seed, { jsTypes: true });
  const failures: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const term = gen.term();
    const bytes = termToBinary(term, IN_VM);
    const back = binaryToTerm(bytes, { jsTypes: true });
    const difference = sameJs(term, back);
    if (difference !== undefined) failures.push(`#${i}: ${difference}`);
    else if (Buffer.compare(termToBinary(back, IN_VM), bytes) !== 0) failures.push(`#${i}: re-encoding differs`);
  }
  t.same(failures.slice(0, 10), [], `${failures.length} failures`);
});

t.test('the values the plain encoding would change keep their JS type', async (t) => {
  const cases: [string, Term][] = [
    ['a string', 'text é😀'],
    ['an empty string', ''],
    ['a Uint8Array that is valid UTF-8', new Uint8Array([104, 105])],
    ['an empty Uint8Array', new Uint8Array(0)],
    ['a small bigint', 5n],
    ['a negative small bigint', -(2n ** 40n)],
    ['a huge bigint', 2n ** 100n],
    ['an empty Map', new Map()],
    ['a Map with atom keys', new Map<Term, Term>([[atom('a'), 1], [true, 2]])],
    ['a plain object', { a: 1 }],
    ['a Float', float(2)],
    ['a list of small bigints', [1n, 2n]],
    ['a tuple of all of them', tuple('s', new Uint8Array([1]), 1n, new Map(), { x: 'y' })],
  ];
  for (const [what, term] of cases) {
    const back = binaryToTerm(termToBinary(term, IN_VM), { jsTypes: true });
    t.equal(sameJs(term, back), undefined, what);
  }
  t.ok(binaryToTerm(termToBinary(float(-0), IN_VM), { jsTypes: true }) instanceof Float);
});
