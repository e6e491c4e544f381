/**
 * Tests of src/term/format.ts: printing terms as erl's `io_lib:format("~9999tp", [T])`.
 *
 * Expected strings in the first tests were copied from erl 25's output. The
 * differential tests print a corpus of hand-picked and seeded random terms in erl
 * (in both printable ranges, `+pc latin1` and `+pc unicode`) and compare line by
 * line, and do the same for a few thousand floats. Remote node numbers differ by
 * design (see format.ts), so both sides are renumbered 1, 2, 3… per line before
 * comparing. The seed is printed; BEAMJS_SEED=<n> replays a run.
 */
import t, { type Test } from 'tap';
import {
  BitString,
  ErlClosure,
  ImproperList,
  Pid,
  Port,
  Ref,
  atom,
  exportFun,
  float,
  format,
  formatAtom,
  formatFloat,
  localNode,
  setLocalNode,
  tuple,
} from '../../src/term/index.js';
import type { Term } from '../../src/term/index.js';
import { BeamError, ErrorCode, InvalidArgumentError } from '../../src/errors/index.js';
import { ERL_PRELUDE, TermGen, erlWanted, mulberry32, runErl, testSeed, toErlangSource } from './erl_support.js';

const seed = testSeed();
t.comment(`seed ${seed} (set BEAMJS_SEED=${seed} to replay)`);

const local = atom('nonode@nohost');
const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);

t.test('numbers print as erl prints them', (t) => {
  const cases: Array<[Term, string]> = [
    [0, '0'], [-1, '-1'], [2n ** 70n, '1180591620717411303424'], [-(2n ** 70n), '-1180591620717411303424'],
    [float(1), '1.0'], [float(0), '0.0'], [float(-0), '-0.0'], [0.1, '0.1'], [1e100, '1.0e100'], [1e-10, '1.0e-10'],
    [float(123456789), '123456789.0'], [1e15 + 0.5, '1000000000000000.5'], [1e16, '1.0e16'], [1.2345678901234568e16, '1.2345678901234568e16'],
    [0.001, '0.001'], [0.0001, '0.0001'], [1.5e-5, '1.5e-5'], [float(100), '100.0'], [1e22, '1.0e22'], [1e23, '1.0e23'],
    [5e-324, '5.0e-324'], [1.7976931348623157e308, '1.7976931348623157e308'], [2.5, '2.5'], [3.14159, '3.14159'],
    [float(1e6), '1.0e6'], [float(1234567), '1234567.0'], [0.3, '0.3'], [2e-7, '2.0e-7'], [float(12), '12.0'],
    [2.2e22, '2.2e22'], [float(1e9), '1.0e9'], [float(1e8), '1.0e8'], [float(1000), '1.0e3'], [-0.5, '-0.5'],
  ];
  for (const [term, text] of cases) t.equal(format(term), text, text);
  t.equal(formatFloat(-1e100), '-1.0e100');
  t.end();
});

t.test('atoms are quoted exactly when erl quotes them', (t) => {
  const cases: Array<[Term, string]> = [
    [atom('ok'), 'ok'], [atom('hello world'), "'hello world'"], [atom('A'), "'A'"], [atom('aB'), 'aB'], [atom('é'), 'é'],
    [atom('日本'), "'日本'"], [atom('a-b'), "'a-b'"], [atom('a@b'), 'a@b'], [atom('a.b'), "'a.b'"], [atom('a_B9'), 'a_B9'],
    [atom(''), "''"], [true, 'true'], [false, 'false'], [undefined, 'undefined'], [null, 'null'], [atom('if'), "'if'"],
    [atom('receive'), "'receive'"], [atom('maybe'), 'maybe'], [atom('ÿ'), 'ÿ'], [atom('ß'), 'ß'], [atom('Élan'), "'Élan'"],
    [atom('\n'), "'\\n'"], [atom("a'b"), "'a\\'b'"], [atom('a\\b'), "'a\\\\b'"], [atom('_a'), "'_a'"], [atom('\x00'), "'\\000'"],
    [atom('\x7f'), "'\\d'"], [atom('\x80'), "'\\200'"], [atom('a×'), "'a×'"], [atom('aÀ'), 'aÀ'], [atom('\x1b'), "'\\e'"],
  ];
  for (const [term, text] of cases) t.equal(format(term), text, text);
  t.equal(formatAtom('EXIT'), "'EXIT'");
  t.end();
});

t.test('binaries and lists print as text only when erl would', (t) => {
  const cases: Array<[Term, string]> = [
    ['héllo', '<<"héllo"/utf8>>'], [bytes(104, 233, 108, 108, 111), '<<"héllo">>'], ['日本', '<<230,151,165,230,156,172>>'],
    ['abc', '<<"abc">>'], [bytes(1, 2, 3), '<<1,2,3>>'], ['a\nb', '<<"a\\nb">>'], [bytes(97, 0), '<<97,0>>'],
    [bytes(200, 201), '<<"ÈÉ">>'], [bytes(127), '<<127>>'], [bytes(194, 160), '<<"\u00a0"/utf8>>'], [bytes(194, 128), '<<194,128>>'],
    [bytes(197, 160, 120), '<<197,160,120>>'], [bytes(197, 160, 200), '<<"Å\u00a0È">>'], [bytes(237, 160, 128), '<<237,160,128>>'],
    ['', '<<>>'], [new BitString(bytes(0), 1), '<<0:1>>'], [new BitString(bytes(1, 2, 0x30), 20), '<<1,2,3:4>>'],
    ['abc"d\'e\\', '<<"abc\\"d\'e\\\\">>'],
    [[104, 233, 108], '"hél"'], [[26085, 26412], '[26085,26412]'], [[1, 2], '[1,2]'], [[97, 10, 98, 9, 34, 92], '"a\\nb\\t\\"\\\\"'],
    [[7, 8, 9], '[7,8,9]'], [[8, 9, 10, 11, 12, 13, 27], '"\\b\\t\\n\\v\\f\\r\\e"'], [[127], '[127]'], [[160], '"\u00a0"'],
    [[], '[]'], [[97n, 98], '"ab"'], [[97, float(98)], '[97,98.0]'], [new ImproperList([97], 98), '[97|98]'],
    [new ImproperList([atom('a')], atom('b')), '[a|b]'], [[[97, 98, 99], 100], '["abc",100]'], [[[]], '[[]]'], [['x'], '[<<"x">>]'],
    [new ImproperList([97, 98], 'c'), '[97,98|<<"c">>]'], [new ImproperList([1], undefined), '[1|undefined]'],
    [new ImproperList([1], null), '[1|null]'],
  ];
  for (const [term, text] of cases) t.equal(format(term), text, text);
  t.equal(format([98, 300], { printableRange: 'unicode' }), '"bĬ"');
  t.equal(format('日本', { printableRange: 'unicode' }), '<<"日本"/utf8>>');
  t.equal(format(bytes(97, 239, 191, 190), { printableRange: 'unicode' }), '<<97,239,191,190>>', 'U+FFFE is not printable');
  t.end();
});

t.test('containers, pids, refs, ports and funs print in erl syntax', (t) => {
  const cases: Array<[Term, string]> = [
    [tuple(atom('ok'), new Pid(local, 42, 0, 0)), '{ok,<0.42.0>}'], [tuple(), '{}'], [{}, '#{}'], [new Map(), '#{}'],
    [{ b: [1, 2], a: 1 }, '#{a => 1,b => [1,2]}'],
    [new Map<Term, Term>([['s', atom('c')], [float(1), atom('b')], [2, atom('g')], [1, atom('a')], [tuple(atom('t')), atom('e')], [[], atom('f')]]),
      '#{1 => a,2 => g,1.0 => b,{t} => e,[] => f,<<"s">> => c}'],
    [exportFun('lists', 'map', 2), 'fun lists:map/2'], [exportFun('a-b', 'A', 1), "fun 'a-b':'A'/1"],
    [exportFun('aB', 'a@b', 2), "fun aB:'a@b'/2"], [exportFun('m', 'if', 0), 'fun m:if/0'], [exportFun('_x', '', 3), "fun '_x':''/3"],
    [new Ref(local, 0, [248995, 1743781890, 4102055611]), '#Ref<0.4102055611.1743781890.248995>'],
    [new Port(local, 5n, 0), '#Port<0.5>'],
    [new ErlClosure(0, new Uint8Array(16), 2, atom('m'), 3, -4, new Pid(local, 1, 0, 0), []), '#Fun<m.3.-4>'],
  ];
  for (const [term, text] of cases) t.equal(format(term), text, text);
  t.end();
});

t.test('local node pids print with node 0, other nodes get 1, 2, 3 in first-seen order', (t) => {
  t.equal(localNode(), local);
  const x = atom('x-node@h');
  const y = atom('y-node@h');
  const px = new Pid(x, 1, 2, 3);
  const py = new Ref(y, 1, [1]);
  const first = format([px, py, new Port(x, 9n, 1)]);
  const m = /^\[<(\d+)\.1\.2>,#Ref<(\d+)\.1>,#Port<(\d+)\.9>\]$/.exec(first);
  t.ok(m, first);
  if (m) {
    t.not(m[1], '0');
    t.not(m[1], m[2], 'two nodes, two numbers');
    t.equal(m[1], m[3], 'one node, one number');
    t.equal(Number(m[2]), Number(m[1]) + 1, 'numbers are handed out in order');
  }
  t.equal(format(px), first.slice(1, first.indexOf('>') + 1), 'a node keeps its number');
  setLocalNode(x);
  try {
    t.equal(format(px), '<0.1.2>');
    const before = new Pid(local, 5, 0, 0);
    t.equal(format(before), '<0.5.0>', 'a local pid (creation 0) made before the rename is still local, as in OTP');
    t.equal(before.node, x, 'and its node is the new name');
    t.equal(format(new Pid(y, 5, 0, 0)).startsWith('<0.'), false, 'another node stays remote');
  } finally {
    setLocalNode(local);
  }
  t.throws(() => setLocalNode('a@b' as unknown as ReturnType<typeof atom>), { constructor: InvalidArgumentError, code: ErrorCode.INVALID_ARGUMENT });
  t.throws(() => setLocalNode(atom('nohost')), { constructor: InvalidArgumentError, message: /name@host/ });
  t.end();
});

t.test('format rejects values that are not terms and unknown options', (t) => {
  t.throws(() => format(tuple(1, (() => 2) as unknown as Term)), { constructor: BeamError, code: ErrorCode.NOT_A_TERM });
  t.throws(() => format(NaN), { code: ErrorCode.NOT_A_TERM });
  t.throws(() => format(new Date() as unknown as Term), { code: ErrorCode.NOT_A_TERM });
  t.throws(() => format(1, { printableRange: 'ascii' as 'latin1' }), { code: ErrorCode.INVALID_ARGUMENT, message: /printableRange/ });
  t.end();
});

// ---------------------------------------------------------------------------------
// Differential tests against erl

/** Renumbers remote node numbers 1, 2, 3… in order of appearance (0 stays 0). */
function renumberNodes(line: string): string {
  const seen = new Map<string, number>();
  return line.replace(/(<|#Ref<|#Port<)(\d+)\./g, (_, prefix: string, n: string) => {
    if (n === '0') return `${prefix}0.`;
    let k = seen.get(n);
    if (k === undefined) {
      k = seen.size + 1;
      seen.set(n, k);
    }
    return `${prefix}N${k}.`;
  });
}

function handCorpus(): Term[] {
  const a = atom('a@h');
  const big: Record<string, Term> = {};
  for (let i = 0; i < 32; i++) big[`k${(i * 7) % 32}`] = i;
  return [
    0, -1, 2n ** 70n, float(1), float(-0), 0.1, 1e100, 1e-10, 123456789.5, atom('hello world'), atom('if'), atom('é'),
    atom('日本'), atom('a😀'), atom("it's"), atom('x\ty'), true, undefined, null,
    'héllo', bytes(104, 233), '日本', 'abc', bytes(1, 2, 3), 'a\nb\u001b', bytes(194, 160), bytes(197, 160, 120),
    bytes(197, 160, 200), new BitString(bytes(1, 2, 0x30), 20), new BitString(bytes(0x80), 1), '😀x', '\uE000',
    [104, 233, 108], [26085, 26412], [1, 2], [97, 10, 98, 9, 34, 92], [7, 8, 9], [127], [160], [], [[]],
    new ImproperList([97], 98), new ImproperList([atom('a'), 1], 'c'), [[97, 98, 99], 100], [0x1f600, 97], [0xfffe],
    tuple(atom('ok'), new Pid(local, 42, 0, 0)), tuple(), {}, { b: [1, 2], a: 1 }, big,
    new Map<Term, Term>([['s', atom('c')], [float(1), atom('b')], [2, atom('g')], [1, atom('a')], [tuple(atom('t')), atom('e')], [[], atom('f')]]),
    exportFun('lists', 'map', 2), exportFun('a-b', 'A', 1), exportFun('aB', 'a@b', 2), exportFun('m', 'if', 0), exportFun('a_b', 'c9', 1),
    new Ref(local, 0, [1, 2, 3]), new Ref(a, 1, [1, 2, 3, 0, 7]), new Port(local, 5n, 0), new Port(a, 2n ** 40n, 1),
    new Pid(a, 0xffffffff, 7, 2), new Pid(local, 3, 1, 9),
    new ErlClosure(0, new Uint8Array(16), 2, atom('m'), 3, 4, new Pid(local, 1, 0, 0), [atom('x')]),
  ];
}

function differential(t: Test, unicode: boolean): void {
  const rnd = mulberry32(seed + (unicode ? 1 : 0));
  const gen = new TermGen(rnd);
  const corpus = handCorpus();
  for (let i = 0; i < 120; i++) corpus.push(gen.term(3));
  const script =
    ERL_PRELUDE +
    `Terms = [\n${corpus.map(toErlangSource).join(',\n')}\n],\n` +
    '[io:format("~ts~n", [io_lib:format("~9999tp", [X])]) || X <- Terms],\nok.';
  const r = runErl(script, { unicodePrintable: unicode });
  t.ok(r.ok, `erl ran (${r.error.slice(0, 2000)})`);
  t.equal(r.lines.length, corpus.length, 'one line per term');
  let mismatches = 0;
  corpus.forEach((term, i) => {
    const mine = renumberNodes(format(term, { printableRange: unicode ? 'unicode' : 'latin1' }));
    const theirs = renumberNodes(r.lines[i] ?? '');
    if (mine !== theirs && mismatches++ < 10) t.fail(`${toErlangSource(term)}: erl ${theirs}, beamjs ${mine}`);
  });
  t.equal(mismatches, 0, `${corpus.length} terms print as erl prints them`);
}

/** Doubles from random bit patterns and from decimal-looking values, near the notation switch points. */
function floatCorpus(rnd: () => number): number[] {
  const out: number[] = [];
  const view = new DataView(new ArrayBuffer(8));
  for (let i = 0; i < 1500; i++) {
    view.setUint32(0, Math.floor(rnd() * 2 ** 32));
    view.setUint32(4, Math.floor(rnd() * 2 ** 32));
    const v = view.getFloat64(0);
    if (Number.isFinite(v)) out.push(v);
  }
  for (let e = -30; e <= 30; e++) {
    for (const m of [1, 1.5, 9.99, 123, 4.25, 1.0000000000000002]) out.push(m * 10 ** e, -m * 10 ** e);
  }
  for (let i = 0; i < 500; i++) out.push(Math.round(rnd() * 10 ** Math.floor(rnd() * 18)) / 10 ** Math.floor(rnd() * 8));
  return out.filter((v) => !Number.isSafeInteger(v) || v === 0).map((v) => (v === 0 ? 0.5 : v));
}

if (erlWanted()) {
  t.test('a corpus of terms prints as in erl with the default printable range (latin1)', (t) => {
    differential(t, false);
    t.end();
  });

  t.test('a corpus of terms prints as in erl +pc unicode', (t) => {
    differential(t, true);
    t.end();
  });

  t.test('floats print with the same digits and notation as in erl', (t) => {
    const floats = floatCorpus(mulberry32(seed ^ 0x5eed));
    const src = floats.map((v) => toErlangSource(v)).join(',\n');
    const r = runErl(ERL_PRELUDE + `Fs = [\n${src}\n],\n[io:format("~p~n", [F]) || F <- Fs],\nok.`);
    t.ok(r.ok, `erl ran (${r.error.slice(0, 2000)})`);
    t.equal(r.lines.length, floats.length);
    let mismatches = 0;
    floats.forEach((v, i) => {
      const mine = format(v);
      if (mine !== r.lines[i] && mismatches++ < 10) t.fail(`${v}: erl ${r.lines[i]}, beamjs ${mine}`);
    });
    t.equal(mismatches, 0, `${floats.length} floats print as erl prints them`);
    t.end();
  });
} else {
  t.comment('BEAMJS_NO_ERL=1: differential tests against erl left out');
}
