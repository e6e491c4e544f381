/**
 * Differential test of src/codec against real erl 25 (one erl process for the file).
 *
 * Direction 1: ~300 terms made here (hand-picked edge cases and seeded random terms)
 * are encoded by beamjs with minor_version 0, 1, 2 and compressed; erl decodes each and
 * re-encodes it with the same options; the bytes must be identical. Exceptions, said
 * here once: (a) terms holding a map of more than 32 keys are compared by value (erl
 * writes those in its internal hash order, beamjs in insertion order; encoder.ts);
 * (b) compressed encodings are compared after inflating (Node's zlib and erl's zlib
 * produce different, equally valid, deflate streams; compression.ts).
 *
 * Direction 2: erl encodes its own corpus (test/codec/codec_diff.erl: integers and
 * floats at the edges, unicode atoms, binaries, bitstrings, STRING_EXT boundaries,
 * improper lists, tuples, small and big maps, pids, refs, ports and closures made in
 * erl, plus seeded random terms) with the same four option sets; beamjs decodes and
 * re-encodes with the matching options; bytes identical, with the same two exceptions.
 *
 * The seed is printed; BEAMJS_SEED=<n> replays a run. Without erl the test fails,
 * unless BEAMJS_NO_ERL=1 says to leave it out.
 */
import t from 'tap';
import { inflateSync } from 'node:zlib';
import {
  BitString,
  ErlClosure,
  ExportFun,
  ImproperList,
  Pid,
  Port,
  Ref,
  Tuple,
  atom,
  exactEquals,
  float,
  tuple,
} from '../../src/term/index.js';
import type { Term } from '../../src/term/index.js';
import { binaryToTerm, termToBinary } from '../../src/codec/index.js';
import type { EncodeOptions } from '../../src/codec/index.js';
import { TermGen, erlInstalled, erlWanted, hex, runErlModule, testSeed, unhex } from './codec_support.js';

const seed = testSeed();
t.comment(`seed ${seed} (set BEAMJS_SEED=${seed} to replay)`);

const OPTS: Record<string, EncodeOptions> = {
  m0: { minorVersion: 0 },
  m1: { minorVersion: 1 },
  m2: { minorVersion: 2 },
  c: { compressed: true },
};

/** The plain body of an encoding (inflated when compressed). */
function body(bytes: Uint8Array): string {
  if (bytes[1] === 80) return inflateSync(bytes.subarray(6)).toString('hex');
  return hex(bytes.subarray(1));
}

function hasBigMap(x: unknown): boolean {
  if (x instanceof Map) return x.size > 32 || [...x].some(([k, v]) => hasBigMap(k) || hasBigMap(v));
  if (Array.isArray(x)) return x.some(hasBigMap);
  if (x instanceof Tuple) return x.elements.some(hasBigMap);
  if (x instanceof ImproperList) return x.head.some(hasBigMap) || hasBigMap(x.tail);
  if (x instanceof ErlClosure) return x.freeVars.some(hasBigMap);
  if (typeof x === 'object' && x !== null && (Object.getPrototypeOf(x) === Object.prototype || Object.getPrototypeOf(x) === null)) {
    const values = Object.values(x as object);
    return values.length > 32 || values.some(hasBigMap);
  }
  return false;
}

function handPicked(): Term[] {
  const local = atom('nonode@nohost');
  const remote = atom('a@host.x');
  const ints: Term[] = [0, 1, 127, 128, 255, 256, -1, -128, -129, -256, 2 ** 27 - 1, 2 ** 27, -(2 ** 27), -(2 ** 27) - 1,
    2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 32, 2 ** 53 - 1, -(2 ** 53 - 1), 2n ** 53n, 2n ** 53n + 1n,
    -(2n ** 53n), 2n ** 63n, 2n ** 64n - 1n, 2n ** 64n, -(2n ** 64n), 2n ** 100n, 2n ** 2040n - 1n, 2n ** 2040n, -(2n ** 3000n), 5n, -7n];
  const floats: Term[] = [float(0), float(-0), float(1), float(-1), 1.5, 0.1, -0.1, 1e300, -1e-300, 5e-324, 1.7976931348623157e308,
    2.2250738585072014e-308, 2 ** 53, float(2 ** 53 - 1), float(123456789), Math.PI, 1e21, 1e-7, 2.5e-5, 0.3, 2 / 3, 1 / 3, 1e22, 123.456,
    // exact ties at printf's 22nd digit (FLOAT_EXT rounds them half to even)
    -2662638435140.251953125, 28683924884390.33203125, -1334893371614.025390625];
  const atoms: Term[] = [atom('a'), atom(''), atom('hello world'), atom('åäö'), atom('ÿ'), atom('αβγ'), atom('日本語'), atom('😀'),
    true, false, undefined, null, atom('x'.repeat(255)), atom('α'.repeat(255)), atom('é'.repeat(200)), atom('\u{10000}\uffff')];
  const bins: Term[] = ['', 'hello', 'héllo', '日本', '😀', new Uint8Array([255, 254]), new Uint8Array(0), 'abc'.repeat(40000),
    new BitString(new Uint8Array([0x80]), 1), new BitString(new Uint8Array([1, 2, 0x18]), 21), new BitString(new Uint8Array([0]), 7)];
  const lists: Term[] = [[], [1, 2, 3], [97, 98, 99], Array.from({ length: 256 }, (_, i) => i), new Array<number>(65535).fill(7),
    new Array<number>(65536).fill(7), [256], [-1], new ImproperList([1], 2), new ImproperList([atom('a')], atom('b')),
    new ImproperList([1, 2], ''), [[]], ['a', [atom('b')]], [float(1)], new ImproperList([1, 2], 3), [1000, 2000], [1, 2.5], [5n]];
  const tuples: Term[] = [tuple(), tuple(atom('a')), tuple(atom('a'), atom('b'), atom('c')), tuple(tuple(tuple(tuple(atom('nested'))))),
    new Tuple(Array.from({ length: 255 }, (_, i) => i + 1)), new Tuple(Array.from({ length: 256 }, (_, i) => i + 1))];
  const big: Record<string, Term> = {};
  for (let i = 1; i <= 40; i++) big[`k${i}`] = i;
  const small32: Record<string, Term> = {};
  for (let i = 32; i >= 1; i--) small32[`k${i}`] = i;
  const maps: Term[] = [{}, { a: 1 }, { b: 1, a: 2 }, small32, big,
    new Map<Term, Term>([[1, atom('a')], [float(1), atom('b')], [atom('a'), atom('c')], ['k', atom('d')], [tuple(atom('t')), atom('e')],
      [[atom('l')], atom('f')], [{}, atom('g')], [2, atom('h')], [1.5, atom('i')], [2n ** 70n, 1], [-5, 2]]),
    new Map<Term, Term>(Array.from({ length: 100 }, (_, i) => [i, i * 2] as [Term, Term])),
    { true: 1, false: 2, undefined: 3, null: 4 }, { 'x\u{10000}': 1, 'x\uffff': 2, 'x\u00e9': 3, x: 4 }, { constructor: 1, toString: 2 },
    (() => {
      const o: Record<string, Term> = { a: 2 };
      Object.defineProperty(o, '__proto__', { value: 1, enumerable: true, writable: true, configurable: true });
      return o;
    })(), Object.assign(Object.create(null) as Record<string, Term>, { z: 1, y: 2 })];
  const pids: Term[] = [new Pid(local, 80, 0, 0), new Pid(local, 2 ** 15 - 1, 7, 0), new Pid(remote, 2 ** 32 - 1, 2 ** 32 - 1, 2 ** 32 - 1), new Pid(remote, 256, 0, 3)];
  const refs: Term[] = [new Ref(remote, 3, [1, 2, 3]), new Ref(remote, 0, [1]), new Ref(remote, 2 ** 32 - 1, [1, 2, 3, 4, 5]), new Ref(local, 0, [9, 8, 7])];
  const ports: Term[] = [new Port(remote, 5n, 3), new Port(remote, 2n ** 28n - 1n, 3), new Port(remote, 2n ** 28n, 3), new Port(remote, 2n ** 64n - 1n, 0)];
  const funs: Term[] = [new ExportFun(atom('lists'), atom('map'), 2), new ExportFun(atom('erlang'), atom('length'), 1), new ExportFun(atom('m'), atom('åäö'), 255)];
  return [...ints, ...floats, ...atoms, ...bins, ...lists, ...tuples, ...maps, ...pids, ...refs, ...ports, ...funs,
    tuple(atom('ok'), new Pid(local, 80, 0, 0), 42), [tuple(atom('k'), 'v'), { a: [1, 2, tuple()] }]];
}

if (!erlWanted()) {
  t.pass('BEAMJS_NO_ERL=1: the differential test against erl is left out on purpose');
} else {
  t.test('erl is installed (the differential test needs it; BEAMJS_NO_ERL=1 leaves it out)', async (t) => {
    t.ok(erlInstalled(), 'erl -noshell runs');
  });

  const gen = new TermGen(seed);
  const corpus: Term[] = [...handPicked()];
  const handCount = corpus.length;
  while (corpus.length < handCount + 220) corpus.push(gen.term());

  const lines: string[] = [String(seed % 1_000_000_007)];
  const ours = new Map<string, Uint8Array>();
  corpus.forEach((term, i) => {
    for (const [name, opts] of Object.entries(OPTS)) {
      const bytes = termToBinary(term, opts);
      const id = `${i}_${name}`;
      ours.set(id, bytes);
      lines.push(`R ${id} ${name} ${hex(bytes)}`);
    }
  });

  const erl = runErlModule('codec_diff', lines.join('\n') + '\n', 120_000);

  t.test('erl ran the corpus', async (t) => {
    t.ok(erl.ok, `erl finished and wrote its results ${erl.ok ? '' : erl.error}`);
  });

  const results = new Map<string, string>();
  const encoded: { name: string; opt: string; big: boolean; hex: string }[] = [];
  for (const line of erl.output.split('\n')) {
    const parts = line.split(' ');
    if (parts[0] === 'R') results.set(parts[1]!, parts.slice(2).join(' '));
    else if (parts[0] === 'E') encoded.push({ name: parts[1]!, opt: parts[2]!, big: parts[3] === '1', hex: parts[4]! });
  }

  t.test(`direction 1: erl re-encodes ${corpus.length} beamjs terms (x4 option sets) to the same bytes`, async (t) => {
    t.ok(corpus.length >= 200, `corpus of ${corpus.length} terms`);
    const failures: string[] = [];
    let byValue = 0;
    corpus.forEach((term, i) => {
      const big = hasBigMap(term);
      for (const name of Object.keys(OPTS)) {
        const id = `${i}_${name}`;
        const mine = ours.get(id)!;
        const theirs = results.get(id);
        if (theirs === undefined || theirs.startsWith('ERR')) {
          failures.push(`${id}: erl could not decode ${hex(mine).slice(0, 200)}: ${theirs ?? 'no result'}`);
          continue;
        }
        const theirBytes = unhex(theirs);
        if (big) {
          byValue++;
          if (!exactEquals(binaryToTerm(theirBytes), binaryToTerm(mine))) failures.push(`${id}: big map differs by value`);
        } else if (name === 'c' ? body(theirBytes) !== body(mine) : theirs.toLowerCase() !== hex(mine)) {
          failures.push(`${id}: ours ${hex(mine).slice(0, 300)} erl ${theirs.toLowerCase().slice(0, 300)}`);
        }
      }
    });
    t.comment(`${byValue} encodings with maps of more than 32 keys compared by value`);
    t.same(failures.slice(0, 15), [], `all ${corpus.length * 4} encodings agree (${failures.length} failures)`);
  });

  t.test(`direction 2: beamjs decodes and re-encodes erl's own terms to the same bytes`, async (t) => {
    t.ok(encoded.length >= 4 * 200, `erl sent ${encoded.length} encodings`);
    const failures: string[] = [];
    for (const e of encoded) {
      const bytes = unhex(e.hex);
      let term: Term;
      try {
        term = binaryToTerm(bytes);
      } catch (error) {
        failures.push(`${e.name}/${e.opt}: decode failed: ${(error as Error).message}`);
        continue;
      }
      let again: Uint8Array;
      try {
        again = termToBinary(term, OPTS[e.opt]);
      } catch (error) {
        failures.push(`${e.name}/${e.opt}: re-encode failed: ${(error as Error).message}`);
        continue;
      }
      if (e.big) {
        if (!exactEquals(binaryToTerm(again), term)) failures.push(`${e.name}/${e.opt}: big map differs by value`);
      } else if (e.opt === 'c' ? body(again) !== body(bytes) : hex(again) !== e.hex.toLowerCase()) {
        failures.push(`${e.name}/${e.opt}: erl ${e.hex.toLowerCase().slice(0, 300)} ours ${hex(again).slice(0, 300)}`);
      }
    }
    t.same(failures.slice(0, 15), [], `all ${encoded.length} encodings agree (${failures.length} failures)`);
  });
}
