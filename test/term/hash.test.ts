/**
 * Tests of src/term/hash.ts: hashTerm is consistent with exactEquals, spreads
 * distinct terms well, and is the same function on every thread.
 *
 * Property tests rewrite seeded random terms into other JS representations of the
 * same Erlang term (1 ↔ 1n, string ↔ bytes, plain object ↔ Map in another order,
 * 0.0 ↔ -0.0, refs with extra zero words, closures differing only in fields erl
 * ignores) and check that the hash does not change. The seed is printed;
 * BEAMJS_SEED=<n> replays a run.
 */
import t from 'tap';
import { Worker } from 'node:worker_threads';
import {
  Atom,
  BitString,
  ErlClosure,
  Float,
  ImproperList,
  Pid,
  Ref,
  Tuple,
  atom,
  atomTerm,
  compare,
  exactEquals,
  float,
  hashTerm,
  hashTermWithSeed,
  isPlainObject,
  tuple,
} from '../../src/term/index.js';
import type { Term, TermObject } from '../../src/term/index.js';
import { BeamError, ErrorCode } from '../../src/errors/index.js';
import { TermGen, mulberry32, testSeed } from './erl_support.js';

const seed = testSeed();
t.comment(`seed ${seed} (set BEAMJS_SEED=${seed} to replay)`);

/** Another JS representation of the same Erlang term, chosen at random. */
function rewrite(x: Term, rnd: () => number): Term {
  const flip = (): boolean => rnd() < 0.5;
  switch (typeof x) {
    case 'number':
      return Number.isSafeInteger(x) && flip() ? BigInt(x) : x;
    case 'bigint':
      return x >= BigInt(Number.MIN_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER) && flip() ? Number(x) : x;
    case 'string':
      return flip() ? new Uint8Array(Buffer.from(x, 'utf8')) : x;
    default:
      break;
  }
  if (x instanceof Float) return x.value === 0 ? float(flip() ? -0 : 0) : float(x.value);
  if (x instanceof Uint8Array) {
    // Valid UTF-8 bytes can also be written as the string they encode.
    if (flip()) {
      try {
        return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(x);
      } catch {
        // not UTF-8: keep bytes
      }
    }
    return new Uint8Array(x);
  }
  if (x instanceof BitString) return new BitString(x.bytes.slice(), x.bitLength);
  if (Array.isArray(x)) return (x as readonly Term[]).map((e) => rewrite(e, rnd));
  if (x instanceof Tuple) return new Tuple(x.elements.map((e) => rewrite(e, rnd)));
  if (x instanceof ImproperList) return new ImproperList(x.head.map((e) => rewrite(e, rnd)), rewrite(x.tail, rnd));
  if (x instanceof Ref) return new Ref(x.node, x.creation, x.ids.length < 5 && flip() ? [...x.ids, 0] : x.ids.slice());
  if (x instanceof Pid) return new Pid(x.node, x.id, x.serial, x.creation);
  if (x instanceof ErlClosure) {
    // arity, uniq, old index and pid are not part of a closure's identity in erl.
    return new ErlClosure(x.arity + 1, new Uint8Array(16).fill(7), x.index, x.module, x.oldIndex + 1, x.oldUniq,
      new Pid(atom('nonode@nohost'), 99, 0, 0), x.freeVars.map((e) => rewrite(e, rnd)));
  }
  if (x instanceof Map) {
    const entries = Array.from(x as ReadonlyMap<Term, Term>).reverse();
    const allAtoms = entries.every(([k]) => k instanceof Atom || k === true || k === false || k === undefined || k === null);
    if (allAtoms && flip()) {
      const obj: Record<string, Term> = {};
      for (const [k, v] of entries) obj[k instanceof Atom ? k.name : String(k)] = rewrite(v, rnd);
      return obj;
    }
    return new Map(entries.map(([k, v]) => [rewrite(k, rnd), rewrite(v, rnd)] as [Term, Term]));
  }
  if (isPlainObject(x)) {
    const obj = x as TermObject;
    const names = Object.keys(obj).reverse();
    if (flip()) return new Map(names.map((n) => [atomTerm(n), rewrite(obj[n], rnd)] as [Term, Term]));
    const out: Record<string, Term> = {};
    for (const n of names) out[n] = rewrite(obj[n], rnd);
    return out;
  }
  return x;
}

t.test('terms that are =:= hash alike whatever their JS representation', (t) => {
  const rnd = mulberry32(seed);
  const gen = new TermGen(rnd);
  let checked = 0;
  for (let i = 0; i < 3000; i++) {
    const a = gen.term(3);
    const b = rewrite(a, rnd);
    if (!exactEquals(a, b) || compare(a, b) !== 0) {
      t.fail(`rewrite changed the term: ${String(a)}`);
      continue;
    }
    const ha = hashTerm(a);
    const hb = hashTerm(b);
    if (ha !== hb) t.fail(`hash differs for equal terms (${i}): ${ha} vs ${hb}`);
    else checked++;
    if (hashTermWithSeed(a, 12345) !== hashTermWithSeed(b, 12345)) t.fail(`seeded hash differs for equal terms (${i})`);
  }
  t.equal(checked, 3000);
  t.end();
});

t.test('the documented equal pairs hash alike', (t) => {
  const pairs: Array<[Term, Term]> = [
    [1, 1n],
    [-(2 ** 53) + 1, BigInt(-(2 ** 53) + 1)],
    ['abc', new Uint8Array([97, 98, 99])],
    ['héllo 😀', new Uint8Array(Buffer.from('héllo 😀'))],
    ['a\uD800', new Uint8Array([0x61, 0xef, 0xbf, 0xbd])],
    [{ a: 1, b: 2 }, new Map<Term, Term>([[atom('b'), 2], [atom('a'), 1]])],
    [{ true: 1, null: 2 }, new Map<Term, Term>([[null, 2], [true, 1]])],
    [new Map<Term, Term>([[1, 'x'], [tuple(1), 'y']]), new Map<Term, Term>([[tuple(1n), 'y'], [1n, 'x']])],
    [float(0), float(-0)],
    [new Ref(atom('a@h'), 1, [1, 2, 3]), new Ref(atom('a@h'), 1, [1, 2, 3, 0, 0])],
    [[1, [2, 'x']], [1n, [2n, new Uint8Array([120])]]],
    [new BitString(new Uint8Array([0xff]), 3), new BitString(new Uint8Array([0xe0]), 3)],
  ];
  for (const [a, b] of pairs) {
    t.ok(exactEquals(a, b), 'the pair is =:=');
    t.equal(hashTerm(a), hashTerm(b));
  }
  t.end();
});

t.test('hashes are 32-bit unsigned integers and the seed changes them', (t) => {
  const rnd = mulberry32(seed ^ 0xabc);
  const gen = new TermGen(rnd);
  let changed = 0;
  for (let i = 0; i < 500; i++) {
    const x = gen.term(2);
    const h = hashTerm(x);
    t.ok(Number.isInteger(h) && h >= 0 && h < 2 ** 32, `hash ${h} is a uint32`);
    t.equal(hashTermWithSeed(x, 0), h, 'seed 0 is hashTerm');
    if (hashTermWithSeed(x, 1) !== h) changed++;
  }
  t.ok(changed >= 495, `seed 1 changed ${changed} of 500 hashes`);
  t.end();
});

t.test('terms that are only == (not =:=) are told apart by the hash', (t) => {
  t.not(hashTerm(1), hashTerm(float(1)));
  t.not(hashTerm(tuple(1, 2)), hashTerm([1, 2]));
  t.not(hashTerm(atom('abc')), hashTerm('abc'));
  t.not(hashTerm([]), hashTerm(''));
  t.not(hashTerm({}), hashTerm([]));
  t.not(hashTerm(new BitString(new Uint8Array([0x80]), 1)), hashTerm(new BitString(new Uint8Array([0x80]), 2)));
  t.not(hashTerm(2n ** 64n), hashTerm(-(2n ** 64n)));
  t.end();
});

t.test('100k distinct small terms hash with few collisions and an even spread', (t) => {
  const hashes = new Uint32Array(100_000);
  let n = 0;
  for (let i = 0; i < 30_000; i++) hashes[n++] = hashTerm(i);
  for (let i = 0; i < 30_000; i++) hashes[n++] = hashTerm(tuple(atom('user'), i));
  for (let i = 0; i < 20_000; i++) hashes[n++] = hashTerm(`key${i}`);
  for (let i = 0; i < 20_000; i++) hashes[n++] = hashTerm([i, i + 1]);
  t.equal(n, 100_000);
  const sorted = hashes.slice().sort();
  let collisions = 0;
  for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) collisions++;
  // About 1.2 expected for 100k random 32-bit values.
  t.ok(collisions <= 10, `${collisions} full 32-bit collisions`);
  // Low 10 bits: chi-square over 1024 buckets stays near its mean 1023.
  const buckets = new Array<number>(1024).fill(0);
  for (const h of hashes) buckets[h & 1023]!++;
  const expected = 100_000 / 1024;
  const chi = buckets.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
  t.ok(chi < 1300, `chi-square of the low 10 bits is ${chi.toFixed(0)}`);
  // High bits too (tables may index by the top bits).
  const high = new Array<number>(1024).fill(0);
  for (const h of hashes) high[h >>> 22]!++;
  const chiHigh = high.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
  t.ok(chiHigh < 1300, `chi-square of the high 10 bits is ${chiHigh.toFixed(0)}`);
  t.end();
});

t.test('a worker thread that interned atoms in another order computes the same hashes', async (t) => {
  const rnd = mulberry32(seed ^ 0x77);
  const gen = new TermGen(rnd);
  const terms: Term[] = [];
  for (let i = 0; i < 300; i++) terms.push(gen.term(3));
  const mine = terms.map(hashTerm);
  const termUrl = new URL('../../src/term/index.js', import.meta.url).href;
  const supportUrl = new URL('./erl_support.js', import.meta.url).href;
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    (async () => {
      const term = await import(workerData.termUrl);
      // Intern unrelated atoms first, so intern indexes differ from the main thread's.
      for (let i = 0; i < 50; i++) term.atom('worker_only_' + i);
      const support = await import(workerData.supportUrl);
      const gen = new support.TermGen(support.mulberry32(workerData.seed));
      const out = [];
      for (let i = 0; i < 300; i++) out.push(term.hashTerm(gen.term(3)));
      parentPort.postMessage(out);
    })().catch((e) => parentPort.postMessage(String(e && e.stack || e)));
  `;
  const worker = new Worker(code, { eval: true, workerData: { termUrl, supportUrl, seed: seed ^ 0x77 } });
  const theirs = await new Promise<unknown>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  t.same(theirs, mine);
});

t.test('hashTerm rejects values that are not terms', (t) => {
  const bad: unknown[] = [() => 1, Symbol('s'), NaN, Infinity, new Date(0)];
  for (const v of bad) {
    t.throws(() => hashTerm([1, v as Term]), { constructor: BeamError, code: ErrorCode.NOT_A_TERM });
  }
  t.end();
});
