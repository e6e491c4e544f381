// The match-program runners (src/native/index.ts): the JS twin and the native addon run one
// randomized suite each, and are checked against each other byte for byte.
//
// - Program vs JS matcher: random terms (seeded mulberry32; the seed is printed, replay
//   with BEAMJS_SEED=<seed>) and patterns derived from them (subterms replaced by
//   wildcards, captures, type tests, guards, alternatives, equivalent or foreign
//   literals): the program's answer, completed by the guard step (`matchEncoded`), equals
//   `matcher.match(term)`, and MATCH captures decode to the same terms.
// - Twin vs native: the same raw result and the same capture words, for good, corrupted
//   and truncated messages, for scans of whole mailboxes, and for corrupted programs
//   (the same error class, code and message, or the same result).
//
// Without the addon built, the native half FAILS (build it with `npx node-gyp rebuild`),
// unless BEAMJS_NATIVE=0 says to test the twin alone.
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import t from 'tap';
import { termToBinary } from '../../src/codec/index.js';
import { jsMatcher, nativeAddon, nativeMatcher, nativeReason, nativeStatus } from '../../src/native/index.js';
import type { NativeMatcher } from '../../src/native/index.js';
import {
  BitString,
  ImproperList,
  MATCH,
  NO_MATCH,
  P,
  Tuple,
  atomTerm,
  compilePattern,
  exactEquals,
  format,
  isPlainObject,
  matchEncoded,
  tuple,
} from '../../src/term/index.js';
import type { Matcher, PatternLike, Term } from '../../src/term/index.js';
import { TermGen, mulberry32, testSeed } from '../term/erl_support.js';

const seed = testSeed();
t.comment(`seed ${seed} (replay with BEAMJS_SEED=${seed})`);
const rnd = mulberry32(seed);
const gen = new TermGen(rnd);

const enc = (term: Term): Uint8Array => termToBinary(term, { jsTypes: true, minorVersion: 2 });
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const chance = (p: number): boolean => rnd() < p;

const wantNative = process.env.BEAMJS_NATIVE !== '0';
const implementations: [string, NativeMatcher][] = [['JS twin', jsMatcher]];
if (wantNative && nativeMatcher !== undefined) implementations.push(['native addon', nativeMatcher]);

t.test('the native addon is loaded unless BEAMJS_NATIVE=0 asks for the twin', (t) => {
  if (wantNative) {
    t.equal(nativeStatus, 'native', `nativeStatus (${nativeReason}); build it with \`npx node-gyp rebuild\` or set BEAMJS_NATIVE=0`);
    t.ok(nativeAddon !== undefined && nativeMatcher !== undefined, 'the addon exports runProgram and scanMailbox');
  } else {
    t.equal(nativeStatus, 'js');
    t.equal(nativeReason, 'BEAMJS_NATIVE=0');
  }
  t.end();
});

t.test('BEAMJS_NATIVE=0 chooses the twin quietly in a fresh process', (t) => {
  const script = `import('${new URL('../../src/native/index.js', import.meta.url).href}').then((m) => console.log(m.nativeStatus))`;
  const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, BEAMJS_NATIVE: '0' }, encoding: 'utf8', timeout: 10000 });
  t.equal(r.stdout.trim(), 'js');
  t.equal(r.stderr, '', 'no notice: the twin was asked for');
  t.end();
});

// ---------------------------------------------------------------------------------
// Random patterns derived from terms

const NAMES = ['a', 'b', 'c', 'd', 'e'];
const TYPE_TESTS = ['integer', 'float', 'number', 'atom', 'binary', 'bitstring', 'list', 'map_', 'pid', 'ref', 'port', 'fun', 'boolean'];

type Guard = (c: Record<string, Term>) => boolean;
const GUARDS: Guard[] = [
  () => true,
  () => false,
  () => {
    throw new Error('guard crashed');
  },
  (c) => Object.keys(c).length % 2 === 0,
];

function typeTest(): unknown {
  if (chance(0.15)) return chance(0.5) ? P.tupleOf() : P.tupleOf(Math.floor(rnd() * 4));
  return (P as unknown as Record<string, unknown>)[pick(TYPE_TESTS)];
}

/** A term =:= to `term` but written with other JS types where the model has two. */
function variant(term: Term): Term {
  if (typeof term === 'number' && Number.isSafeInteger(term)) return chance(0.5) ? BigInt(term) : term;
  if (typeof term === 'bigint' && term >= -(2n ** 53n) + 1n && term <= 2n ** 53n - 1n) return chance(0.5) ? Number(term) : term;
  if (typeof term === 'string') return chance(0.5) ? new TextEncoder().encode(term) : term;
  if (Array.isArray(term)) return (term as readonly Term[]).map(variant);
  if (term instanceof Tuple) return tuple(...term.elements.map(variant));
  if (term instanceof ImproperList) return new ImproperList(term.head.map(variant), variant(term.tail));
  if (isPlainObject(term) && chance(0.5)) {
    const map = new Map<Term, Term>();
    for (const key of Object.keys(term)) map.set(atomTerm(key), variant(term[key]!));
    return map;
  }
  return term;
}

function derive(term: Term, depth: number): unknown {
  const r = rnd();
  if (r < 0.07) return P.any;
  if (r < 0.17) return P.capture(pick(NAMES), (chance(0.4) || depth > 4 ? P.any : derive(term, depth + 1)) as PatternLike);
  if (r < 0.24) return typeTest();
  if (r < 0.28 && depth < 4) return P.where(derive(term, depth + 1) as PatternLike, pick(GUARDS) as () => boolean);
  if (r < 0.33 && depth < 4) {
    const alternatives = [derive(term, depth + 1), derive(gen.term(1), depth + 1)] as PatternLike[];
    if (chance(0.5)) alternatives.reverse();
    return P.oneOf(...alternatives);
  }
  if (r < 0.37) return P.exact(gen.term(1));
  if (r < 0.42) return P.exact(variant(term));
  if (depth > 6) return P.any;
  if (term instanceof Tuple) return P.tuple(...(term.elements.map((e) => derive(e, depth + 1)) as PatternLike[]));
  if (Array.isArray(term) && term.length > 0) {
    const items = term as readonly Term[];
    if (chance(0.5)) return items.map((e) => derive(e, depth + 1));
    const k = 1 + Math.floor(rnd() * items.length);
    return P.cons(items.slice(0, k).map((e) => derive(e, depth + 1)) as PatternLike[], derive(items.slice(k), depth + 1) as PatternLike);
  }
  if (term instanceof ImproperList) {
    const k = 1 + Math.floor(rnd() * term.head.length);
    const rest = k === term.head.length ? term.tail : new ImproperList(term.head.slice(k), term.tail);
    return P.cons(term.head.slice(0, k).map((e) => derive(e, depth + 1)) as PatternLike[], derive(rest, depth + 1) as PatternLike);
  }
  if (isPlainObject(term)) {
    const pattern: Record<string, unknown> = {};
    for (const key of Object.keys(term)) if (chance(0.6)) pattern[key] = derive(term[key]!, depth + 1);
    if (chance(0.1)) pattern[pick(['zz', 'a', 'ok'])] = P.any;
    return pattern;
  }
  if (term instanceof Map) {
    const entries: [Term, unknown][] = [];
    for (const [key, value] of term as ReadonlyMap<Term, Term>) if (chance(0.6)) entries.push([chance(0.3) ? variant(key) : key, derive(value, depth + 1)]);
    if (chance(0.1)) entries.push([gen.term(0), P.any]);
    return P.map(entries as [Term, PatternLike][]);
  }
  return chance(0.5) ? P.exact(term) : variant(term);
}

/** A random message and a pattern derived from it (sometimes with a repeated capture of equal parts). */
function sample(): [Term, Matcher<Record<string, Term>>] {
  let term = gen.term(3);
  let pattern: unknown;
  if (chance(0.15)) {
    const part = gen.term(2);
    term = tuple(part, variant(part), gen.term(1));
    const name = pick(NAMES);
    pattern = P.tuple(P.capture(name, derive(part, 3) as PatternLike), P.capture(name), derive(term.elements[2]!, 3) as PatternLike);
  } else {
    pattern = derive(term, 0);
  }
  return [term, compilePattern(pattern as PatternLike) as Matcher<Record<string, Term>>];
}

/** =:= and the same JS types all the way down (a string stays a string, 1n stays a bigint). */
function sameTerm(a: Term, b: Term): boolean {
  if (!exactEquals(a, b)) return false;
  if (typeof a !== typeof b) return false;
  if (a === null || typeof a !== 'object') return b === a || typeof a !== 'object';
  if (a instanceof Uint8Array || b instanceof Uint8Array) return a instanceof Uint8Array && b instanceof Uint8Array;
  if (Array.isArray(a)) return Array.isArray(b) && a.every((x, i) => sameTerm(x, (b as readonly Term[])[i]!));
  if (a instanceof Tuple) return b instanceof Tuple && a.elements.every((x, i) => sameTerm(x, b.elements[i]!));
  if (a instanceof ImproperList) {
    return b instanceof ImproperList && sameTerm(a.head, b.head) && sameTerm(a.tail, b.tail);
  }
  if (a instanceof Map) {
    if (!(b instanceof Map)) return false;
    for (const [k, v] of a as ReadonlyMap<Term, Term>) {
      let found = false;
      for (const [k2, v2] of b as ReadonlyMap<Term, Term>) if (exactEquals(k, k2) && sameTerm(k, k2) && sameTerm(v, v2)) found = true;
      if (!found) return false;
    }
    return true;
  }
  if (isPlainObject(a)) return isPlainObject(b) && Object.keys(a).every((k) => sameTerm(a[k]!, b[k]!));
  return Object.getPrototypeOf(a) === Object.getPrototypeOf(b);
}

function sameCaptures(a: Record<string, Term>, b: Record<string, Term>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => k in b && sameTerm(a[k]!, b[k]!));
}

const ITERATIONS = 2500;
const MAX_CAPTURES = 3 * NAMES.length;

function runRaw(impl: NativeMatcher, m: Matcher<unknown>, message: Uint8Array, end = message.length): [number, Int32Array] {
  const captures = new Int32Array(MAX_CAPTURES);
  return [impl.runProgram(m.program, message, 0, end, captures), captures];
}

for (const [name, impl] of implementations) {
  t.test(`${name}: program results, completed by the guard step, equal match() on random terms and patterns`, (t) => {
    const counts = [0, 0, 0];
    let failures = 0;
    for (let i = 0; i < ITERATIONS && failures < 5; i++) {
      const [term, m] = sample();
      const message = enc(term);
      const expected = m.match(term);
      const [raw] = runRaw(impl, m, message);
      counts[raw]!++;
      const got = matchEncoded(m, message, 0, message.length, impl);
      let ok = true;
      if (raw === NO_MATCH && expected !== undefined) ok = false;
      if (raw === MATCH && expected === undefined) ok = false;
      if ((got === undefined) !== (expected === undefined)) ok = false;
      if (!ok) {
        failures++;
        t.fail(`iteration ${i}: raw ${raw}, program ${JSON.stringify(got !== undefined)}, match() ${JSON.stringify(expected !== undefined)}`, {
          message: Buffer.from(message).toString('hex'),
        });
        continue;
      }
      if (expected !== undefined && !sameCaptures(got!, expected)) {
        failures++;
        t.fail(`iteration ${i}: the captures decode to other terms`, { got: format(got!), expected: format(expected) });
      }
    }
    t.comment(`${name}: NO_MATCH ${counts[0]}, MATCH ${counts[1]}, MATCH_NEEDS_GUARD ${counts[2]}`);
    t.ok(counts[0]! > ITERATIONS / 20 && counts[1]! > ITERATIONS / 20 && counts[2]! > 0, 'every result occurs (the sample is not degenerate)');
    t.end();
  });
}

// ---------------------------------------------------------------------------------
// Twin against native

const twinAndNative = implementations.length === 2 ? implementations.map(([, impl]) => impl) : undefined;

function mutate(message: Uint8Array): Uint8Array {
  const m = message.slice();
  if (m.length < 2) return m;
  switch (Math.floor(rnd() * 5)) {
    case 0:
      m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
      return m;
    case 1:
      return m.subarray(0, Math.floor(rnd() * m.length));
    case 2: {
      const at = Math.floor(rnd() * m.length);
      const out = new Uint8Array(m.length + 1);
      out.set(m.subarray(0, at));
      out[at] = pick([0, 1, 104, 106, 107, 108, 116, 255, 74]);
      out.set(m.subarray(at), at + 1);
      return out;
    }
    case 3:
      for (let k = 0; k < 4; k++) m[Math.floor(rnd() * m.length)] ^= 1 << Math.floor(rnd() * 8);
      return m;
    default: {
      const at = Math.floor(rnd() * m.length);
      const out = new Uint8Array(m.length - 1);
      out.set(m.subarray(0, at));
      out.set(m.subarray(at + 1), at);
      return out;
    }
  }
}

t.test('the twin and the native addon give the same raw results and capture words, on good and corrupted messages', (t) => {
  if (twinAndNative === undefined) {
    if (wantNative) t.fail(`the native addon is not loaded (${nativeReason})`);
    else t.pass('BEAMJS_NATIVE=0: only the twin is tested');
    t.end();
    return;
  }
  const [twin, native] = twinAndNative as [NativeMatcher, NativeMatcher];
  let differences = 0;
  let corruptedMatches = 0;
  for (let i = 0; i < ITERATIONS && differences < 5; i++) {
    const [term, m] = sample();
    const good = enc(term);
    for (const message of [good, mutate(good), mutate(mutate(good))]) {
      const [rTwin, cTwin] = runRaw(twin, m, message);
      const [rNative, cNative] = runRaw(native, m, message);
      if (message !== good && rTwin !== NO_MATCH) corruptedMatches++;
      if (rTwin !== rNative || Buffer.compare(Buffer.from(cTwin.buffer), Buffer.from(cNative.buffer)) !== 0) {
        differences++;
        t.fail(`iteration ${i}: twin ${rTwin} [${cTwin.join(',')}], native ${rNative} [${cNative.join(',')}]`, {
          message: Buffer.from(message).toString('hex'),
          program: Buffer.from(m.program).toString('hex'),
        });
      }
    }
  }
  t.equal(differences, 0, 'no difference');
  t.comment(`corrupted messages that still matched or needed JS: ${corruptedMatches}`);
  t.end();
});

t.test('scanMailbox finds the same sequence of messages on both, over a SharedArrayBuffer mailbox', (t) => {
  if (twinAndNative === undefined) {
    if (wantNative) t.fail(`the native addon is not loaded (${nativeReason})`);
    else t.pass('BEAMJS_NATIVE=0: only the twin is tested');
    t.end();
    return;
  }
  for (let round = 0; round < 40; round++) {
    const [term, m] = sample();
    const messages: Uint8Array[] = [];
    for (let i = 0; i < 60; i++) {
      const choice = rnd();
      const message = choice < 0.3 ? enc(term) : choice < 0.4 ? mutate(enc(term)) : enc(chance(0.5) ? variant(term) : gen.term(3));
      messages.push(message);
    }
    const total = messages.reduce((n, msg) => n + msg.length, 0);
    const buffer = new Uint8Array(new SharedArrayBuffer(total));
    const offsets = new Int32Array(2 * messages.length);
    let at = 0;
    messages.forEach((msg, i) => {
      buffer.set(msg, at);
      offsets[2 * i] = at;
      offsets[2 * i + 1] = at + msg.length;
      at += msg.length;
    });
    const expected = messages.map((_, i) => i).filter((i) => runRaw(jsMatcher, m, messages[i]!)[0] !== NO_MATCH);
    const scans = twinAndNative.map((impl) => {
      const found: number[] = [];
      const captures = new Int32Array(MAX_CAPTURES);
      for (let from = 0; ; ) {
        const index = impl.scanMailbox(m.program, buffer, offsets, messages.length, from, captures);
        if (index < 0) break;
        found.push(index);
        from = index + 1;
      }
      return found;
    });
    t.strictSame(scans[0], expected, `round ${round}: the twin finds every message runProgram accepts, in order`);
    t.strictSame(scans[1], expected, `round ${round}: so does the native addon`);
  }
  t.end();
});

t.test('corrupted programs are rejected (or run) the same way by both: error class, code, message', (t) => {
  if (twinAndNative === undefined || nativeAddon === undefined) {
    if (wantNative) t.fail(`the native addon is not loaded (${nativeReason})`);
    else t.pass('BEAMJS_NATIVE=0: only the twin is tested');
    t.end();
    return;
  }
  const [twin, native] = twinAndNative as [NativeMatcher, NativeMatcher];
  const outcome = (impl: NativeMatcher, program: Uint8Array, message: Uint8Array): string => {
    const captures = new Int32Array(3 * 0x10000);
    try {
      const r = impl.runProgram(program, message, 0, message.length, captures);
      return `result ${r} ${Buffer.from(captures.buffer, 0, 64).toString('hex')}`;
    } catch (error) {
      const e = error as Error & { code?: string };
      return `${e.constructor.name} ${e.code} ${e.message}`;
    }
  };
  let rejected = 0;
  let differences = 0;
  for (let i = 0; i < 1500 && differences < 5; i++) {
    const [term, m] = sample();
    const message = enc(term);
    const program = m.program.slice();
    const flips = 1 + Math.floor(rnd() * 3);
    for (let k = 0; k < flips; k++) {
      const at = chance(0.3) ? Math.floor(rnd() * 16) : Math.floor(rnd() * program.length);
      program[at] = chance(0.5) ? Math.floor(rnd() * 256) : program[at]! ^ (1 << Math.floor(rnd() * 8));
    }
    const a = outcome(twin, program, message);
    const b = outcome(native, program, message);
    const raw = outcome(nativeAddon, program, message);
    if (a.startsWith('BeamError')) rejected++;
    if (a !== b || (a.startsWith('BeamError') && !raw.endsWith(a.slice(a.indexOf(' ') + 1)))) {
      differences++;
      t.fail(`program ${Buffer.from(program).toString('hex')}: twin "${a}", native "${b}", raw "${raw}"`);
    }
  }
  t.equal(differences, 0, 'no difference');
  t.ok(rejected > 100, `the validator rejected ${rejected} corrupted programs`);
  t.end();
});

t.test('arguments are checked before the addon runs, with the twin’s errors', (t) => {
  for (const [name, impl] of implementations) {
    t.throws(() => impl.runProgram(new Uint8Array(4), new Uint8Array(1), 0, 2, new Int32Array(0)), { code: 'BEAMJS_ERR_INVALID_ARGUMENT', message: /start and end/ }, name);
    t.throws(() => impl.runProgram(new Uint8Array(4), new Uint8Array(1), 0, 1, new Int32Array(0)), { code: 'BEAMJS_ERR_BAD_PATTERN', message: /shorter than its 16-byte header/ }, name);
    t.throws(() => impl.scanMailbox(new Uint8Array(4), new Uint8Array(1), new Int32Array(2), 2, 0, new Int32Array(0)), { code: 'BEAMJS_ERR_INVALID_ARGUMENT', message: /^count must be/ }, name);
  }
  t.end();
});

// Terms with features the generator rarely makes, for both implementations.
t.test('edge terms: bitstrings, big maps, deep nesting, atoms beyond 255 bytes', (t) => {
  const bigMap = new Map<Term, Term>();
  for (let i = 0; i < 40; i++) bigMap.set(i, tuple(i));
  let deep: Term = [1];
  for (let i = 0; i < 200; i++) deep = tuple(deep);
  const cases: [unknown, Term][] = [
    [P.capture('x', P.bitstring), new BitString(new Uint8Array([0xf0]), 4)],
    [P.map([[39, P.capture('v')]]), bigMap],
    [P.tuple(P.capture('m'), P.capture('m')), tuple(bigMap, new Map([...bigMap].reverse()))],
    [P.capture('d'), deep],
    [P.tuple(P.capture('a', P.atom), 1), tuple(atomTerm('é'.repeat(200)), 1)],
  ];
  for (const [pattern, term] of cases) {
    const m = compilePattern(pattern as PatternLike);
    for (const [name, impl] of implementations) {
      t.strictSame(matchEncoded(m, enc(term), 0, undefined, impl), m.match(term), `${name}: ${String(Object.keys(m.match(term) ?? {}))}`);
    }
  }
  t.end();
});

t.test('worker threads scan one shared mailbox at the same time and find the same messages', async (t) => {
  // Each worker loads the addon (or the twin) for itself and scans with its own scratch.
  const term = tuple(atomTerm('job'), 42, [1, 2, 3], 'payload');
  const m = compilePattern(P.tuple(atomTerm('job'), P.capture('n', P.integer), P.cons([1], P.capture('rest')), P.binary));
  const messages = Array.from({ length: 400 }, (_, i) => enc(i % 7 === 0 ? term : tuple(atomTerm('job'), i, 'no')));
  const total = messages.reduce((n, msg) => n + msg.length, 0);
  const buffer = new Uint8Array(new SharedArrayBuffer(total));
  const offsets = new Int32Array(new SharedArrayBuffer(8 * messages.length));
  let at = 0;
  messages.forEach((msg, i) => {
    buffer.set(msg, at);
    offsets[2 * i] = at;
    offsets[2 * i + 1] = at + msg.length;
    at += msg.length;
  });
  const expected = messages.map((_, i) => i).filter((i) => i % 7 === 0);
  const nativeUrl = new URL('../../src/native/index.js', import.meta.url).href;
  const source = `
    const { parentPort, workerData } = await import('node:worker_threads');
    const native = await import(${JSON.stringify(nativeUrl)});
    const { program, buffer, offsets, count, rounds } = workerData;
    const captures = new Int32Array(6);
    let found;
    for (let r = 0; r < rounds; r++) {
      found = [];
      for (let from = 0; ; ) {
        const i = native.matcher.scanMailbox(program, buffer, offsets, count, from, captures);
        if (i < 0) break;
        found.push(i);
        from = i + 1;
      }
    }
    parentPort.postMessage({ status: native.nativeStatus, found });
  `;
  const run = (): Promise<{ status: string; found: number[] }> =>
    new Promise((resolve, reject) => {
      const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(source)}`), {
        workerData: { program: m.program, buffer, offsets, count: messages.length, rounds: 50 },
      });
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  const results = await Promise.all([run(), run(), run()]);
  t.plan(6);
  for (const r of results) {
    t.equal(r.status, nativeStatus, 'the worker chose the same implementation');
    t.strictSame(r.found, expected, 'and found every seventh message');
  }
});
