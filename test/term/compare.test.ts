/**
 * Tests of src/term/compare.ts: Erlang's term order and equality.
 *
 * The first tests pin single rules with expected values taken from erl 25 (written
 * by hand here, not computed by the code under test). The differential tests then
 * build a corpus of a few hundred varied terms (hand-picked edge cases plus seeded
 * random terms), write them as Erlang source, and compare with real erl:
 * `lists:sort` of the whole corpus, and `==`, `=:=`, `<` and map-key order on
 * random pairs. The seed is printed; BEAMJS_SEED=<n> replays a run.
 */
import t from 'tap';
import {
  BitString,
  ErlClosure,
  ImproperList,
  Pid,
  Port,
  Ref,
  atom,
  compare,
  compareExact,
  equals,
  exactEquals,
  exportFun,
  float,
  tuple,
} from '../../src/term/index.js';
import type { Term } from '../../src/term/index.js';
import { BeamError, ErrorCode } from '../../src/errors/index.js';
import { ERL_PRELUDE, TermGen, erlWanted, mulberry32, runErl, testSeed, toErlangSource } from './erl_support.js';

const seed = testSeed();
t.comment(`seed ${seed} (set BEAMJS_SEED=${seed} to replay)`);

const local = atom('nonode@nohost');
const pid = (id: number, serial = 0, node = local, creation = 0): Pid => new Pid(node, id, serial, creation);
const closure = (module: string, index: number, oldUniq: number, free: Term[] = [], extra = 0): ErlClosure =>
  new ErlClosure(extra, new Uint8Array(16).fill(extra), index, atom(module), extra, oldUniq, pid(1 + extra), free);

t.test('types follow number < atom < reference < fun < port < pid < tuple < map < nil < list < bitstring', (t) => {
  const ordered: Term[] = [
    2n ** 80n,
    atom('a'),
    new Ref(local, 0, [1, 2, 3]),
    exportFun('m', 'f', 0),
    new Port(local, 1n, 0),
    pid(1),
    tuple(),
    {},
    [],
    [1],
    new Uint8Array(0),
  ];
  for (let i = 0; i < ordered.length; i++) {
    for (let j = 0; j < ordered.length; j++) {
      t.equal(compare(ordered[i], ordered[j]), i < j ? -1 : i > j ? 1 : 0, `${i} vs ${j}`);
    }
  }
  t.end();
});

t.test('integers and floats compare by value, exactly, also between bigints and floats', (t) => {
  t.equal(compare(1, float(1)), 0);
  t.equal(compare(1n, 1), 0);
  t.equal(compare(2, 1.5), 1);
  t.equal(compare(-0.5, float(0)), -1);
  t.equal(compare(float(-0), float(0)), 0, 'OTP 25: -0.0 == 0.0');
  // 2^53 + 1 is not a double; the float 2^53 is just below it.
  t.equal(compare(2n ** 53n + 1n, 2 ** 53), 1);
  t.equal(compare(2 ** 53, 2n ** 53n + 1n), -1);
  t.equal(compare(2n ** 53n, 2 ** 53), 0);
  t.equal(compare(10n ** 400n, 1.7976931348623157e308), 1);
  t.equal(compare(-(10n ** 400n), -1.7976931348623157e308), -1);
  t.equal(compare(3n, 2.5), 1);
  t.equal(compare(-3n, -2.5), -1);
  t.end();
});

t.test('map-key order puts every integer before every float', (t) => {
  t.equal(compareExact(1, float(1)), -1);
  t.equal(compareExact(float(1), 1), 1);
  t.equal(compareExact(2, 1.5), -1, 'erl: maps:keys(#{2 => a, 1.5 => b}) is [2,1.5]');
  t.equal(compareExact(2n ** 70n, 0.5), -1);
  t.equal(compareExact(1, 1n), 0);
  t.equal(compareExact(float(0), float(-0)), 0);
  t.equal(compareExact(tuple(1), tuple(float(1))), -1, 'recursively');
  t.equal(compare(tuple(1), tuple(float(1))), 0);
  t.end();
});

t.test('atoms compare by code point, not by UTF-16 unit', (t) => {
  t.equal(compare(atom('Z'), atom('a')), -1);
  t.equal(compare(atom('a'), atom('aa')), -1);
  t.equal(compare(true, atom('undefined_')), -1);
  t.equal(compare(undefined, atom('undefined_')), -1);
  t.equal(compare(false, null), -1);
  t.equal(compare(null, true), -1);
  // U+E000 is below U+1F600, although its UTF-16 unit is above the surrogates.
  t.equal(compare(atom('\uE000'), atom('😀')), -1);
  t.equal(compare(atom('😀'), atom('\uFFFD')), 1);
  t.end();
});

t.test('binaries compare by UTF-8 bytes whatever their JS type, then by length', (t) => {
  const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);
  t.equal(compare('abc', bytes(97, 98, 99)), 0);
  t.equal(compare('abc', bytes(97, 98, 100)), -1);
  t.equal(compare(bytes(97, 98, 100), 'abc'), 1);
  t.equal(compare('ab', 'abc'), -1);
  t.equal(compare('\uE000', '😀'), -1, 'EE 80 80 < F0 9F 98 80');
  t.equal(compare('\uE000', Buffer.from('😀')), -1);
  t.equal(compare('é', bytes(0xc3, 0xa9)), 0);
  t.equal(compare('é', bytes(0xe9)), -1);
  t.equal(compare('', bytes()), 0);
  // <<1:1>> is above <<0>> and below <<128>>; a prefix is smaller.
  t.equal(compare(new BitString(bytes(0x80), 1), bytes(0)), 1);
  t.equal(compare(new BitString(bytes(0x80), 1), bytes(0x80)), -1);
  t.equal(compare(new BitString(bytes(0x80), 1), bytes(0x7f)), 1);
  t.equal(compare(new BitString(bytes(0xff, 0x80), 9), bytes(0xff, 0x80)), -1);
  t.equal(compare(new BitString(bytes(0xff, 0x80), 9), 'ÿ'), 1);
  t.equal(compare('a'.repeat(100) + 'b', 'a'.repeat(100) + 'c'), -1);
  t.equal(compare(Buffer.from('a'.repeat(100) + 'b'), Buffer.from('a'.repeat(100) + 'c')), -1, 'long byte arrays');
  t.end();
});

t.test('a lone surrogate is the binary of U+FFFD, as TextEncoder encodes it', (t) => {
  t.ok(exactEquals('a\uD800', 'a\uFFFD'));
  t.ok(exactEquals('a\uD800', new Uint8Array([0x61, 0xef, 0xbf, 0xbd])));
  t.equal(compare('x\uDC00', 'x\uD83D\uDE00'), -1);
  t.equal(compare('x\uD83D', 'x\uD83D\uDE00'), -1);
  t.end();
});

t.test('lists compare element-wise, then tails as Erlang does', (t) => {
  t.equal(compare([1, 2], [1, 2, 3]), -1);
  t.equal(compare([1, 3], [1, 2, 3]), 1);
  t.equal(compare(new ImproperList([1], 2), [1, 2]), -1, '[1|2] < [1,2]: 2 is a number, [2] a list');
  t.equal(compare(new ImproperList([1], 'bin'), [1, 2]), 1, '[1|<<"bin">>] > [1,2]: a bitstring is above a list');
  t.equal(compare(new ImproperList([1], atom('a')), [1]), -1, '[1|a] < [1]: an atom is below nil');
  t.equal(compare(new ImproperList([1, 2], 3), new ImproperList([1, 2], 4)), -1);
  t.equal(compare([], [0]), -1);
  t.end();
});

t.test('pids order by serial, then id, then node name, then creation', (t) => {
  const a = atom('a@h');
  t.equal(compare(pid(2, 0), pid(1, 1)), -1);
  t.equal(compare(pid(0xffffffff, 0, a, 1), pid(1, 1)), -1);
  t.equal(compare(pid(1, 0, a, 1), pid(1, 0)), -1, "'a@h' < 'nonode@nohost'");
  t.equal(compare(pid(1, 0, a, 1), pid(1, 0, a, 2)), -1);
  t.equal(compare(pid(3, 0), pid(3, 0)), 0);
  t.end();
});

t.test('references and ports order by node, creation, then number; refs ignore high zero words', (t) => {
  const a = atom('a@h');
  const b = atom('b@h');
  t.equal(compare(new Ref(a, 2, [0, 0, 0]), new Ref(b, 1, [0, 0, 0])), -1);
  t.equal(compare(new Ref(a, 1, [9, 9, 9]), new Ref(a, 2, [0, 0, 0])), -1);
  t.equal(compare(new Ref(a, 1, [9, 0, 0]), new Ref(a, 1, [0, 0, 1])), -1, 'the last word is the most significant');
  t.equal(compare(new Ref(a, 1, [1, 2, 3]), new Ref(a, 1, [1, 2, 3, 0, 0])), 0);
  t.equal(compare(new Ref(a, 1, [1, 2, 3]), new Ref(a, 1, [1, 2, 3, 0, 1])), -1);
  t.ok(exactEquals(new Ref(a, 1, [1, 2, 3]), new Ref(a, 1, [1, 2, 3, 0])));
  t.ok(new Ref(a, 1, [1, 2, 3, 0]).equals(new Ref(a, 1, [1, 2, 3])));
  t.equal(compare(new Port(a, 2n ** 32n, 1), new Port(a, 1n, 2)), -1);
  t.equal(compare(new Port(a, 7n, 1), new Port(b, 0n, 1)), -1);
  t.end();
});

t.test('closures sort below export funs and compare by module, index, old uniq, free variables', (t) => {
  t.equal(compare(closure('z', 9, 9), exportFun('a', 'a', 0)), -1);
  t.equal(compare(exportFun('lists', 'map', 2), exportFun('lists', 'map', 3)), -1);
  t.equal(compare(exportFun('lists', 'foldl', 3), exportFun('lists', 'map', 2)), -1);
  t.equal(compare(closure('a', 5, 5), closure('m', 0, 0)), -1);
  t.equal(compare(closure('m', 1, 0), closure('m', 0, 2)), 1, 'index before old uniq');
  t.equal(compare(closure('m', 0, 1), closure('m', 0, 2)), -1);
  t.equal(compare(closure('m', 0, 0, [atom('x')]), closure('m', 0, 0, [atom('y')])), -1);
  t.equal(compare(closure('m', 0, 0, [atom('y')]), closure('m', 0, 0, [atom('a'), atom('b')])), -1);
  t.ok(exactEquals(closure('m', 0, 0, [], 0), closure('m', 0, 0, [], 1)), 'arity, uniq, old index and pid are not compared');
  t.end();
});

t.test('maps compare by size, then keys in map-key order, then values', (t) => {
  t.equal(compare({ z: 1 }, { a: 1, b: 1 }), -1);
  t.equal(compare({ a: 2 }, { b: 1 }), -1);
  t.equal(compare({ a: 2, b: 1 }, { a: 1, b: 2 }), 1);
  t.equal(compare(new Map<Term, Term>([[2, 0]]), new Map<Term, Term>([[float(1), 0]])), -1, 'key 2 < key 1.0');
  t.equal(compare(new Map<Term, Term>([[1, 1]]), new Map<Term, Term>([[1, float(1)]])), 0);
  t.equal(compareExact(new Map<Term, Term>([[1, 1]]), new Map<Term, Term>([[1, float(1)]])), -1);
  t.equal(compare({ a: 1 }, new Map<Term, Term>([[atom('a'), 1]])), 0);
  t.equal(compare({ b: 1 }, new Map<Term, Term>([[atom('a'), 1]])), 1);
  t.equal(compare(new Map<Term, Term>([[1, 0], [atom('a'), 0]]), new Map<Term, Term>([[atom('a'), 0], [1, 0]])), 0);
  t.equal(compare({}, new Map()), 0);
  t.end();
});

t.test('exactEquals is =:= and equals is == across JS representations', (t) => {
  t.ok(exactEquals(1, 1n));
  t.notOk(exactEquals(1, float(1)));
  t.ok(equals(1, float(1)));
  t.ok(exactEquals(float(0), float(-0)), 'OTP 25: 0.0 =:= -0.0');
  t.ok(exactEquals('abc', new Uint8Array([97, 98, 99])));
  t.notOk(exactEquals('abc', new Uint8Array([97, 98])));
  t.ok(exactEquals({ a: 1 }, new Map([[atom('a'), 1]])));
  t.ok(exactEquals(new Map([[atom('a'), 1]]), { a: 1 }));
  t.notOk(exactEquals({ a: 1 }, new Map<Term, Term>([['a', 1]])), 'a binary key is not an atom key');
  t.ok(exactEquals({ true: 1, undefined: 2 }, new Map<Term, Term>([[true, 1], [undefined, 2]])));
  const k1 = tuple(atom('k'), 1);
  const k2 = tuple(atom('k'), 1n);
  t.ok(exactEquals(new Map<Term, Term>([[k1, 'v'], [2, 'w']]), new Map<Term, Term>([[2, 'w'], [k2, 'v']])), 'structural keys');
  t.notOk(exactEquals(new Map<Term, Term>([[k1, 'v']]), new Map<Term, Term>([[tuple(atom('k'), float(1)), 'v']])));
  t.ok(equals(new Map<Term, Term>([[atom('a'), 1]]), { a: float(1) }), '== compares values arithmetically');
  t.notOk(equals(new Map<Term, Term>([[1, atom('a')]]), new Map<Term, Term>([[float(1), atom('a')]])), 'but keys exactly');
  t.ok(equals([1, tuple(2, [3])], [float(1), tuple(2n, [float(3)])]));
  t.notOk(exactEquals([1, tuple(2, [3])], [float(1), tuple(2n, [float(3)])]));
  t.notOk(exactEquals([1, 2], new ImproperList([1], 2)));
  t.ok(exactEquals(new ImproperList([1], 2), new ImproperList([1n], 2n)));
  t.ok(exactEquals(new BitString(new Uint8Array([0xf0]), 4), new BitString(new Uint8Array([0xff]), 4)), 'unused bits are ignored');
  t.notOk(exactEquals(new BitString(new Uint8Array([0xf0]), 4), new BitString(new Uint8Array([0xf0]), 5)));
  t.notOk(exactEquals(atom('a'), 'a'));
  t.end();
});

t.test('a value that is not a term is rejected with NOT_A_TERM', (t) => {
  const bad: unknown[] = [() => 1, Symbol('s'), NaN, new Date(0), new (class Foo {})()];
  for (const v of bad) {
    for (const fn of [compare, compareExact, exactEquals, equals]) {
      t.throws(() => fn(tuple(1, v as Term), tuple(1, 2)), { constructor: BeamError, code: ErrorCode.NOT_A_TERM });
    }
  }
  t.throws(() => compare(1, NaN), { code: ErrorCode.NOT_A_TERM, message: /NaN/ });
  t.throws(() => compare([1], new ImproperList([1], (() => 0) as unknown as Term)), { code: ErrorCode.NOT_A_TERM });
  t.end();
});

// ---------------------------------------------------------------------------------
// Differential tests against erl

/** Hand-picked edge cases for the corpus. */
function handCorpus(): Term[] {
  const a = atom('a@h');
  const b = atom('b@h');
  const bigMap = (n: number, bump: number): Map<Term, Term> => {
    const m = new Map<Term, Term>();
    for (let i = 1; i <= n; i++) m.set(i === bump ? 1000 : i, i);
    return m;
  };
  const bigObj = (n: number, valueOf: (i: number) => Term): Record<string, Term> => {
    const o: Record<string, Term> = {};
    for (let i = 0; i < n; i++) o[`k${i}`] = valueOf(i);
    return o;
  };
  return [
    0, -1, 1, 1n, -1n, float(0), float(-0), float(1), float(-1), 0.5, -0.5, 1.5, 2, 2n ** 53n, 2 ** 53,
    2n ** 53n + 1n, 2 ** 53 + 2, -(2n ** 53n) - 1n, -(2 ** 53), 2n ** 64n, -(2n ** 64n), 10n ** 30n, 1e30, 1.0000000000000002,
    0.9999999999999999, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1e308, -1e308, 5e-324, -5e-324, 10n ** 309n,
    atom('a'), atom('A'), atom('aa'), atom('Z'), atom(''), atom('é'), atom('日本'), atom('\uE000'), atom('😀'), true, false,
    undefined, null, atom('nonode@nohost'),
    new Ref(local, 0, [1, 2, 3]), new Ref(local, 0, [2, 1, 3]), new Ref(local, 0, [1, 2, 4]), new Ref(a, 1, [1, 2, 3]),
    new Ref(a, 1, [1, 2, 3, 0]), new Ref(a, 1, [1, 2, 3, 0, 1]), new Ref(a, 2, [0, 0, 0]), new Ref(b, 1, [0]), new Ref(a, 1, [0, 0, 9]),
    exportFun('lists', 'map', 2), exportFun('lists', 'map', 3), exportFun('lists', 'foldl', 3), exportFun('a', 'b', 0),
    closure('m', 0, 0), closure('m', 1, 0), closure('m', 0, 1), closure('m', 0, 0, [atom('x')]), closure('a', 3, 3),
    closure('m', 0, 0, [1, 2]), closure('m', 0, 0, [], 2),
    new Port(local, 3n, 0), new Port(local, 5n, 0), new Port(a, 1n, 1), new Port(a, 2n ** 32n, 1), new Port(b, 0n, 2),
    pid(1), pid(2), pid(1, 1), pid(0, 2), new Pid(a, 1, 0, 1), new Pid(a, 1, 0, 2), new Pid(b, 0, 5, 1),
    new Pid(a, 0xffffffff, 0, 1), new Pid(local, 1, 0, 5),
    tuple(), tuple(1), tuple(float(1)), tuple(1, 2), tuple(2), tuple(atom('ok'), pid(3)), tuple(tuple(), []),
    {}, { a: 1 }, { a: float(1) }, { b: 0 }, { a: 1, b: 2 }, { a: 2, b: 1 }, new Map<Term, Term>([[1, 0]]),
    new Map<Term, Term>([[float(1), 0]]), new Map<Term, Term>([[2, 0]]), new Map<Term, Term>([[1, 0], [float(1), 0]]),
    new Map<Term, Term>([[atom('a'), 1]]), new Map<Term, Term>([[tuple(1), 0], ['k', 1]]),
    bigMap(33, 0), bigMap(33, 5), bigMap(34, 0), bigMap(40, 40), bigObj(33, (i) => i), bigObj(33, (i) => (i === 20 ? float(20) : i)),
    bigObj(33, (i) => (i === 32 ? 0 : i)), bigObj(32, (i) => i),
    [], [[]], [1], [float(1)], [1, 2], [1, 2, 3], [2], new ImproperList([1], 2), new ImproperList([1], atom('a')),
    new ImproperList([1], 'bin'), new ImproperList([1, 2], 3), [97, 98, 99], [atom('a'), 'b'],
    '', 'a', 'abc', 'abd', 'ab', new Uint8Array([97, 98, 99, 0]), new Uint8Array([0]), new Uint8Array([255]), 'é', 'ÿ', '\uE000',
    '😀', new BitString(new Uint8Array([0x80]), 1), new BitString(new Uint8Array([0]), 1), new BitString(new Uint8Array([0xff, 0x80]), 9),
    new BitString(new Uint8Array([97, 0x60]), 11),
  ];
}

function buildCorpus(rnd: () => number): Term[] {
  const gen = new TermGen(rnd);
  const corpus = handCorpus();
  for (let i = 0; i < 150; i++) corpus.push(gen.term(3));
  // Shuffle so that erl's sort does real work; ties are broken by position on both sides.
  for (let i = corpus.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [corpus[i], corpus[j]] = [corpus[j]!, corpus[i]!];
  }
  return corpus;
}

if (erlWanted()) {
  t.test('lists:sort in erl and compare here order a corpus of varied terms identically', (t) => {
    const rnd = mulberry32(seed);
    const corpus = buildCorpus(rnd);
    t.ok(corpus.length >= 150, `corpus has ${corpus.length} terms`);
    const pairs: Array<[number, number]> = [];
    for (let i = 0; i < 400; i++) pairs.push([Math.floor(rnd() * corpus.length), Math.floor(rnd() * corpus.length)]);
    // Pairs of near neighbours in JS order, where differences are subtle.
    const jsOrder = corpus.map((_, i) => i).sort((x, y) => compare(corpus[x], corpus[y]) || x - y);
    for (let i = 0; i + 1 < jsOrder.length; i += 2) pairs.push([jsOrder[i]!, jsOrder[i + 1]!]);

    const script =
      ERL_PRELUDE +
      `Terms = [\n${corpus.map(toErlangSource).join(',\n')}\n],\n` +
      'T = list_to_tuple(Terms),\n' +
      'Sorted = lists:sort(lists:zip(Terms, lists:seq(0, length(Terms) - 1))),\n' +
      'io:format("S ~w~n", [[I || {_, I} <- Sorted]]),\n' +
      `Pairs = [${pairs.map(([i, j]) => `{${i + 1},${j + 1}}`).join(',')}],\n` +
      'B = fun(true) -> $t; (false) -> $f end,\n' +
      'Exact = fun(X, Y) -> if X =:= Y -> $0; true -> case hd(maps:keys(#{X => 0, Y => 1})) =:= X of true -> $-; false -> $+ end end end,\n' +
      'io:format("P ~s~n", [[[B(element(I, T) == element(J, T)), B(element(I, T) =:= element(J, T)), B(element(I, T) < element(J, T)), Exact(element(I, T), element(J, T))] || {I, J} <- Pairs]]),\n' +
      'ok.';
    const r = runErl(script);
    t.ok(r.ok, `erl ran (${r.error.slice(0, 2000)})`);
    if (!r.ok) return t.end();
    const sLine = r.lines.find((l) => l.startsWith('S '));
    const pLine = r.lines.find((l) => l.startsWith('P '));
    t.ok(sLine !== undefined && pLine !== undefined, 'erl printed its results');
    if (sLine === undefined || pLine === undefined) return t.end();
    const erlOrder = JSON.parse(sLine.slice(2)) as number[];
    const firstDiff = erlOrder.findIndex((v, i) => v !== jsOrder[i]);
    t.same(jsOrder, erlOrder, 'same sorted order' + (firstDiff >= 0 ? `; first difference at ${firstDiff}: erl has ${toErlangSource(corpus[erlOrder[firstDiff]!])}, beamjs has ${toErlangSource(corpus[jsOrder[firstDiff]!])}` : ''));

    const codes = pLine.slice(2);
    t.equal(codes.length, pairs.length * 4, 'one result per pair');
    let mismatches = 0;
    pairs.forEach(([i, j], n) => {
      const x = corpus[i];
      const y = corpus[j];
      const exact = compareExact(x, y);
      const mine =
        (equals(x, y) ? 't' : 'f') +
        (exactEquals(x, y) ? 't' : 'f') +
        (compare(x, y) < 0 ? 't' : 'f') +
        (exact === 0 ? '0' : exact < 0 ? '-' : '+');
      const theirs = codes.slice(n * 4, n * 4 + 4);
      if (mine !== theirs && mismatches++ < 10) {
        t.fail(`pair ${toErlangSource(x)} vs ${toErlangSource(y)}: erl ==,=:=,<,key-order ${theirs}, beamjs ${mine}`);
      }
    });
    t.equal(mismatches, 0, `==, =:=, < and map-key order agree with erl on ${pairs.length} pairs`);
    t.end();
  });
} else {
  t.comment('BEAMJS_NO_ERL=1: differential tests against erl left out');
}
