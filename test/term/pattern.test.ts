// Receive patterns (src/term/pattern.ts): what each construct matches and binds, repeated
// captures, guards, alternatives, literal equivalences, requiredRefs, bad patterns, the
// inferred capture types, and a differential run of the same patterns in real erl.
import t from 'tap';
import { BeamError, ErrorCode } from '../../src/errors/index.js';
import { binaryToTerm, termToBinary } from '../../src/codec/index.js';
import {
  Atom,
  BitString,
  ExportFun,
  ImproperList,
  P,
  Pid,
  Port,
  Ref,
  Tuple,
  atom,
  compilePattern,
  exactEquals,
  exportFun,
  float,
  tuple,
} from '../../src/term/index.js';
import type { Term } from '../../src/term/index.js';
import { ERL_PRELUDE, erlWanted, runErl, toErlangSource } from './erl_support.js';

const node = atom('nonode@nohost');
const pid = new Pid(node, 7, 0, 0);
const ref = new Ref(node, 0, [1, 2, 3]);
const otherRef = new Ref(node, 0, [4, 5, 6]);
const port = new Port(node, 3n, 0);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const [ping, pong, a, b] = [atom('ping'), atom('pong'), atom('a'), atom('b')];

t.test('a tuple pattern with typed captures binds them and rejects other shapes', (t) => {
  const m = compilePattern(P.tuple(ping, P.capture('from', P.pid), P.capture('n', P.integer)));
  t.strictSame(m.match(tuple(ping, pid, 5)), { from: pid, n: 5 });
  t.strictSame(m.match(tuple(ping, pid, 5n)), { from: pid, n: 5n }, 'a bigint is an integer');
  t.equal(m.match(tuple(ping, pid, 1.5)), undefined, 'a float is not an integer');
  t.equal(m.match(tuple(pong, pid, 5)), undefined, 'another atom');
  t.equal(m.match(tuple(ping, ref, 5)), undefined, 'a ref is not a pid');
  t.equal(m.match(tuple(ping, pid)), undefined, 'a smaller tuple');
  t.equal(m.match(tuple(ping, pid, 5, 6)), undefined, 'a bigger tuple');
  t.equal(m.match([ping, pid, 5]), undefined, 'a list is not a tuple');
  t.end();
});

t.test('P.any matches every kind of term and binds nothing', (t) => {
  const m = compilePattern(P.any);
  const terms: Term[] = [1, 2n, 1.5, float(1), a, true, null, undefined, 'x', bytes('x'), new BitString(new Uint8Array([0x80]), 1)];
  terms.push(tuple(), [], [1], new ImproperList([1], 2), { k: 1 }, new Map([[1, 2]]), pid, ref, port, exportFun('m', 'f', 1));
  for (const term of terms) t.strictSame(m.match(term), {}, `matches ${String(term)}`);
  t.end();
});

t.test('literals match by =:=: 1 matches 1 and 1n but not float(1); a string matches its bytes', (t) => {
  t.ok(compilePattern(1).match(1));
  t.ok(compilePattern(1).match(1n));
  t.notOk(compilePattern(1).match(float(1)));
  t.ok(compilePattern(1n).match(1));
  t.ok(compilePattern(float(1)).match(float(1)));
  t.notOk(compilePattern(float(1)).match(1));
  t.ok(compilePattern(2n ** 70n).match(2n ** 70n));
  t.ok(compilePattern('abc').match(bytes('abc')));
  t.ok(compilePattern(bytes('abc')).match('abc'));
  t.notOk(compilePattern('abc').match('abd'));
  t.ok(compilePattern(a).match(atom('a')), 'atoms are interned');
  t.notOk(compilePattern(a).match('a'), 'an atom is not a binary');
  t.ok(compilePattern(true).match(true));
  t.notOk(compilePattern(true).match(atom('yes')));
  t.ok(compilePattern(undefined).match(undefined), 'undefined is the atom undefined');
  t.ok(compilePattern(pid).match(new Pid(node, 7, 0, 0)), 'pids by value');
  t.ok(compilePattern(ref).match(new Ref(node, 0, [1, 2, 3])), 'refs by value');
  t.ok(compilePattern(exportFun('m', 'f', 2)).match(exportFun('m', 'f', 2)));
  t.ok(compilePattern([]).match([]));
  t.notOk(compilePattern([]).match(tuple()));
  t.end();
});

t.test('a repeated capture name requires =:= equal terms in both places', (t) => {
  const m = compilePattern(P.tuple(P.capture('x'), P.capture('x')));
  t.strictSame(m.match(tuple(1, 1)), { x: 1 });
  t.strictSame(m.match(tuple(1, 1n)), { x: 1 }, 'the first binding is kept');
  t.equal(m.match(tuple(1, float(1))), undefined, 'not =:=');
  t.equal(m.match(tuple(1, 2)), undefined);
  t.ok(m.match(tuple('ab', bytes('ab'))), 'a string and equal bytes');
  t.ok(m.match(tuple({ k: [1] }, new Map([[atom('k'), [1]]]))), 'a plain object and an equal Map');
  const nested = compilePattern(P.tuple(P.capture('x'), [P.capture('y'), P.capture('x')], P.capture('y')));
  t.strictSame(nested.match(tuple(a, [b, a], b)), { x: a, y: b });
  t.equal(nested.match(tuple(a, [b, a], a)), undefined);
  t.end();
});

t.test('a capture of a sub-pattern binds the whole matched term', (t) => {
  const m = compilePattern(P.capture('whole', P.tuple(P.capture('x', P.atom), 2)));
  const term = tuple(a, 2);
  const c = m.match(term);
  t.ok(c);
  t.equal(c!.whole, term, 'the same object, not a copy');
  t.equal(c!.x, a);
  t.equal(m.match(tuple(1, 2)), undefined, 'the sub-pattern decides');
  t.end();
});

t.test('arrays are exact-length proper lists; P.cons matches a prefix and the rest', (t) => {
  const exact = compilePattern([1, P.capture('x')]);
  t.strictSame(exact.match([1, 2]), { x: 2 });
  t.equal(exact.match([1]), undefined);
  t.equal(exact.match([1, 2, 3]), undefined);
  t.equal(exact.match(new ImproperList([1, 2], 3)), undefined, 'an improper list is not a proper one');
  const cons = compilePattern(P.cons([P.capture('h1'), P.capture('h2')], P.capture('t')));
  t.strictSame(cons.match([1, 2, 3, 4]), { h1: 1, h2: 2, t: [3, 4] });
  t.strictSame(cons.match([1, 2]), { h1: 1, h2: 2, t: [] }, 'the rest may be []');
  t.equal(cons.match([1]), undefined, 'too short');
  t.equal(cons.match([]), undefined);
  const improper = cons.match(new ImproperList([1, 2, 3], a));
  t.ok(improper);
  t.ok(improper!.t instanceof ImproperList && exactEquals(improper!.t, new ImproperList([3], a)), '[3 | a]');
  t.strictSame(cons.match(new ImproperList([1, 2], a)), { h1: 1, h2: 2, t: a }, 'the rest is the tail itself');
  const nestedRest = compilePattern(P.cons([1], P.cons([2], P.capture('t', P.list))));
  t.strictSame(nestedRest.match([1, 2, 3]), { t: [3] }, 'nested conses');
  t.equal(compilePattern(P.cons([1], [2])).match([1, 2, 3]), undefined, 'a list tail pattern makes the length exact');
  t.ok(compilePattern(P.cons([], 5)).match(5), 'an empty head is just the tail');
  t.ok(compilePattern(new ImproperList([1], P.capture('t') as unknown as Term)).match(new ImproperList([1], 2)), 'an ImproperList literal as a cons pattern');
  t.end();
});

t.test('map patterns require their keys, allow extra keys, and work on plain objects and Maps', (t) => {
  const m = compilePattern({ a: P.capture('v'), b: 2 });
  t.strictSame(m.match({ a: 1, b: 2, c: 3 }), { v: 1 }, 'extra keys are allowed');
  t.strictSame(m.match(new Map<Term, Term>([[atom('b'), 2], [atom('a'), 'x'], [5, 5]])), { v: 'x' }, 'a Map with atom keys');
  t.equal(m.match({ a: 1 }), undefined, 'a missing key');
  t.equal(m.match({ a: 1, b: 3 }), undefined, 'a value that does not match');
  t.equal(m.match(tuple(1)), undefined);
  t.ok(compilePattern({}).match({}), '{} matches any map');
  t.ok(compilePattern({}).match(new Map([[1, 2]])));
  t.notOk(compilePattern({}).match([]));
  t.ok(compilePattern({ undefined: undefined }).match({ undefined: undefined }), 'an undefined value is the atom undefined');
  t.ok(compilePattern({ true: 1 }).match(new Map([[true, 1]])), 'the key "true" is the atom true');
  const any = compilePattern(P.map([[1, P.capture('one')], ['k', P.capture('k')], [tuple(a), 3]]));
  const map = new Map<Term, Term>([[1n, 'one'], [bytes('k'), 'kay'], [tuple(a), 3]]);
  t.strictSame(any.match(map), { one: 'one', k: 'kay' }, 'keys are found by =:= (1 for 1n, a string for its bytes, tuples by value)');
  t.equal(any.match({ a: 1 }), undefined, 'a plain object has only atom keys');
  const asMap = compilePattern(new Map<Term, Term>([[1, P.capture('one') as unknown as Term]]));
  t.strictSame(asMap.match(new Map([[1, 9]])), { one: 9 }, 'a Map in a pattern is a map pattern too');
  t.strictSame(
    compilePattern(tuple(a, { k: P.capture('v') as unknown as Term })).match(tuple(a, { k: 1, j: 2 })),
    { v: 1 },
    'a map inside a literal tuple is matched partially, as in Erlang',
  );
  t.end();
});

t.test('P.exact matches a whole term, maps included', (t) => {
  const m = compilePattern(P.exact({ a: 1 }));
  t.ok(m.match({ a: 1 }));
  t.ok(m.match(new Map([[atom('a'), 1n]])));
  t.notOk(m.match({ a: 1, b: 2 }), 'no extra keys');
  t.ok(compilePattern(P.exact([1, 2])).match([1, 2]));
  t.end();
});

t.test('type tests follow the Erlang guard BIFs', (t) => {
  const samples: [string, Term][] = [
    ['int', 5],
    ['big', 2n ** 80n],
    ['float', 1.5],
    ['boxed float', float(2)],
    ['atom', a],
    ['true', true],
    ['null', null],
    ['string', 'abc'],
    ['bytes', bytes('abc')],
    ['bits', new BitString(new Uint8Array([0xc0]), 2)],
    ['tuple2', tuple(1, 2)],
    ['nil', []],
    ['list', [1]],
    ['improper', new ImproperList([1], 2)],
    ['object', { a: 1 }],
    ['Map', new Map([[1, 2]])],
    ['pid', pid],
    ['ref', ref],
    ['port', port],
    ['export', exportFun('m', 'f', 0)],
  ];
  const expected: Record<string, string[]> = {
    integer: ['int', 'big'],
    float: ['float', 'boxed float'],
    number: ['int', 'big', 'float', 'boxed float'],
    atom: ['atom', 'true', 'null'],
    boolean: ['true'],
    binary: ['string', 'bytes'],
    bitstring: ['string', 'bytes', 'bits'],
    tuple: ['tuple2'],
    list: ['nil', 'list', 'improper'],
    map_: ['object', 'Map'],
    pid: ['pid'],
    ref: ['ref'],
    port: ['port'],
    fun: ['export'],
  };
  for (const [test, names] of Object.entries(expected)) {
    const builder = test === 'tuple' ? P.tupleOf() : (P as unknown as Record<string, Term>)[test]!;
    const m = compilePattern(builder as Term);
    const got = samples.filter(([, term]) => m.match(term) !== undefined).map(([name]) => name);
    t.strictSame(got, names, `P.${test}`);
  }
  t.ok(compilePattern(P.tupleOf(2)).match(tuple(1, 2)));
  t.notOk(compilePattern(P.tupleOf(2)).match(tuple(1)));
  t.ok(compilePattern(P.tupleOf(0)).match(tuple()));
  t.end();
});

t.test('a guard sees the captures so far; only true passes; a throwing guard is a non-match', (t) => {
  const seen: unknown[] = [];
  const m = compilePattern(
    P.tuple(
      P.capture('x'),
      P.where(P.capture('y'), (c) => {
        seen.push({ ...c });
        if (c.y === 'boom') throw new Error('guard crashed');
        return c.y === 2;
      }),
    ),
  );
  t.strictSame(m.match(tuple(1, 2)), { x: 1, y: 2 });
  t.strictSame(seen[0], { x: 1, y: 2 }, 'the guard saw x (to its left) and y');
  t.equal(m.match(tuple(1, 3)), undefined);
  t.equal(m.match(tuple(1, 'boom')), undefined, 'the exception is a failed guard');
  const truthy = compilePattern(P.where(P.any, (() => 1) as unknown as () => boolean));
  t.equal(truthy.match(1), undefined, 'a truthy non-true result fails, as in Erlang');
  t.ok(truthy.hasGuards);
  t.end();
});

t.test('a guard may call match() on its own matcher (re-entry keeps the outer bindings)', (t) => {
  const holder: { m?: { match(term: Term): { x: Term } | undefined } } = {};
  const m = compilePattern(P.tuple(P.capture('x'), P.where(P.any, (c) => ((c as { x?: Term }).x === 1 ? holder.m!.match(tuple(2, 0)) !== undefined : true))));
  holder.m = m;
  t.strictSame(m.match(tuple(1, 0)), { x: 1 }, 'the inner match (x = 2, guard true) did not disturb x = 1');
  t.end();
});

t.test('P.oneOf tries alternatives in order, undoes failed bindings and commits to the first match', (t) => {
  const m = compilePattern(P.oneOf(P.tuple(1, P.capture('a')), P.tuple(P.capture('b'), 2)));
  t.strictSame(m.match(tuple(1, 5)), { a: 5 });
  t.strictSame(m.match(tuple(3, 2)), { b: 3 });
  t.strictSame(m.match(tuple(1, 2)), { a: 2 }, 'the first alternative wins');
  t.equal(m.match(tuple(3, 3)), undefined);
  const undo = compilePattern(P.oneOf(P.tuple(P.capture('x'), 1), P.tuple(P.any, P.capture('y'))));
  t.strictSame(undo.match(tuple(9, 2)), { y: 2 }, 'x bound by the failed alternative is gone');
  const committed = compilePattern(P.tuple(P.oneOf(P.capture('x'), P.capture('x', 2)), P.capture('x')));
  t.equal(committed.match(tuple(2, 3)), undefined, 'no backtracking into the choice once it matched');
  const guarded = compilePattern(P.oneOf(P.where(P.capture('n'), (c) => c.n === 1), P.capture('m')));
  t.strictSame(guarded.match(2), { m: 2 }, 'a failing guard moves on to the next alternative');
  t.end();
});

t.test('requiredRefs lists the literal refs every match contains', (t) => {
  t.strictSame(compilePattern(P.tuple(ref, P.any)).requiredRefs, [ref]);
  t.strictSame(compilePattern(P.tuple(ref, { k: ref }, [otherRef])).requiredRefs, [ref, otherRef], 'deduplicated, in order');
  t.strictSame(compilePattern(P.oneOf(P.tuple(ref, 1), P.tuple(ref, otherRef))).requiredRefs, [ref], 'only those in every alternative');
  t.strictSame(compilePattern(P.map([[ref, P.any]])).requiredRefs, [ref], 'map keys count');
  t.strictSame(compilePattern(P.tuple(P.ref, P.any)).requiredRefs, [], 'a type test is not a literal');
  t.end();
});

t.test('bad patterns throw BAD_PATTERN naming the place and what arrived', (t) => {
  const bad = (pattern: unknown, message: RegExp, name: string): void => {
    t.throws(() => compilePattern(pattern as Term), { constructor: BeamError, code: ErrorCode.BAD_PATTERN, message }, name);
  };
  bad(P.tuple(1, (() => 1) as unknown as Term), /^bad pattern at \$\[1\]: expected a pattern .* received function .*P\.where/, 'a function');
  bad({ k: [1, Symbol('s')] }, /^bad pattern at \$\.k\[1\]: expected a pattern .*received symbol Symbol\(s\)/, 'a symbol');
  bad(P.capture(5 as unknown as string), /P\.capture name must be a non-empty string, received number 5/, 'a numeric name');
  bad(P.capture(''), /non-empty string/, 'an empty name');
  bad(P.where(P.any, 3 as unknown as () => boolean), /P\.where guard must be a function, received number 3/, 'a non-function guard');
  bad(P.tupleOf(-2), /P\.tupleOf size must be a non-negative integer, received number -2/, 'a negative size');
  bad(P.tupleOf(1.5), /received number 1\.5/, 'a fractional size');
  bad(P.oneOf(), /P\.oneOf needs at least one alternative/, 'no alternatives');
  bad(P.map([[P.any, 1]] as unknown as [Term, Term][]), /^bad pattern at \$\.entries\[0\]\[0\]: a P\.\* pattern where a literal term is required/, 'a pattern as a map key');
  bad(P.map([1] as unknown as [Term, Term][]), /expected a \[key, pattern\] pair, received number 1/, 'a malformed entry');
  bad(P.cons(1 as unknown as Term[], P.any), /P\.cons head must be an array/, 'a non-array head');
  bad(NaN, /received number NaN/, 'NaN');
  bad(new Date(0), /received an instance of Date/, 'a class instance');
  bad({ [Symbol('k')]: 1 }, /symbol keys/, 'a symbol key');
  t.end();
});

t.test('capture types are inferred from the pattern', (t) => {
  const m = compilePattern(P.tuple(ping, P.capture('from', P.pid), P.capture('n', P.integer)));
  const c = m.match(tuple(ping, pid, 1));
  if (c !== undefined) {
    const from: Pid = c.from;
    const n: number | bigint = c.n;
    // @ts-expect-error there is no capture named nope
    void c.nope;
    // @ts-expect-error n may be a bigint
    const narrow: number = c.n;
    void from, n, narrow;
  }
  const nested = compilePattern({ k: [P.capture('s', P.binary), P.cons([P.capture('h')], P.capture('t', P.list))] });
  const d = nested.match({ k: ['x', [1, 2]] });
  t.ok(d);
  if (d !== undefined) {
    const s: string | Uint8Array = d.s;
    const h: Term = d.h;
    const tail: readonly Term[] | ImproperList = d.t;
    void s, h, tail;
  }
  const whole = compilePattern(P.capture('w', P.tuple(P.capture('p', P.pid), 2)));
  const e = whole.match(tuple(pid, 2));
  if (e !== undefined) {
    const first: Pid = e.w.elements[0];
    void first;
  }
  const alt = compilePattern(P.oneOf(P.tuple(1, P.capture('a', P.atom)), P.tuple(2, P.capture('f', P.float))));
  const f = alt.match(tuple(1, a));
  if (f !== undefined && 'a' in f) {
    const x: Atom | boolean | null | undefined = f.a;
    void x;
  }
  const guard = compilePattern(P.where(P.tuple(P.capture('n', P.integer)), (g) => g.n > 3));
  t.ok(guard.match(tuple(4)));
  t.ok(c && d && e && f, 'the typed matchers also match at run time');
  t.end();
});

t.test('Tuple, ExportFun and other class values given as literals are not mistaken for patterns', (t) => {
  t.ok(compilePattern(tuple(1, tuple(2))).match(tuple(1, tuple(2))));
  t.ok(compilePattern(exportFun('m', 'f', 1)).match(new ExportFun(atom('m'), atom('f'), 1)));
  t.ok(new Tuple([1]).elements.length === 1);
  t.end();
});

// ---------------------------------------------------------------------------------
// The same patterns in real erl

interface ErlCase {
  readonly pattern: unknown;
  /** An Erlang case clause head: a pattern and an optional guard. */
  readonly erl: string;
  /** Capture names (Erlang variables) the clause binds. */
  readonly vars: readonly string[];
  readonly terms: readonly Term[];
}

const kinds: Term[] = [5, 2n ** 70n, 1.5, float(3), a, true, 'abc', bytes('ab'), new BitString(new Uint8Array([0xa0]), 3), tuple(1, 2)];
kinds.push([], [1, 2], new ImproperList([1], 2), { a: 1 }, new Map<Term, Term>([[1, 2]]), pid, ref, port, exportFun('lists', 'map', 2));

const typeCase = (builder: unknown, guard: string): ErlCase => ({ pattern: P.capture('X', builder as Term), erl: `X when ${guard}(X)`, vars: ['X'], terms: kinds });

const ERL_CASES: ErlCase[] = [
  {
    pattern: P.tuple(ping, P.capture('From', P.pid), P.capture('N', P.integer)),
    erl: '{ping, From, N} when is_pid(From), is_integer(N)',
    vars: ['From', 'N'],
    terms: [tuple(ping, pid, 5), tuple(ping, pid, 1.5), tuple(ping, a, 5), tuple(pong, pid, 5), tuple(ping, pid, 2n ** 70n), tuple(ping, pid)],
  },
  {
    pattern: P.tuple(P.capture('X'), P.capture('X')),
    erl: '{X, X}',
    vars: ['X'],
    terms: [tuple(1, 1), tuple(1, 2), tuple(1, float(1)), tuple('a', bytes('a')), tuple([1, 2], [1, 2]), tuple({ a: 1 }, new Map([[a, 1]])), tuple(ref, ref), tuple(float(0), float(-0))],
  },
  {
    pattern: P.cons([P.capture('H')], P.capture('T')),
    erl: '[H | T]',
    vars: ['H', 'T'],
    terms: [[1, 2, 3], [], [a], new ImproperList([1], 2), 'abc', [104, 105]],
  },
  { pattern: [P.capture('A'), P.capture('B')], erl: '[A, B]', vars: ['A', 'B'], terms: [[1, 2], [1], [1, 2, 3], new ImproperList([1, 2], 3), tuple(1, 2)] },
  {
    pattern: { a: P.capture('V') },
    erl: '#{a := V}',
    vars: ['V'],
    terms: [{ a: 1, b: 2 }, { b: 2 }, {}, tuple(a, 1), new Map<Term, Term>([[a, 'x'], [1, 2]])],
  },
  {
    pattern: P.map([[1, P.capture('V')], ['k', P.capture('W')]]),
    erl: '#{1 := V, <<"k">> := W}',
    vars: ['V', 'W'],
    terms: [new Map<Term, Term>([[1, 'one'], ['k', 2]]), new Map<Term, Term>([[float(1), 'one'], ['k', 2]]), new Map<Term, Term>([[1, 'one']])],
  },
  {
    pattern: tuple(1, 2.5, 'abc', true, [a]),
    erl: '{1, 2.5, <<"abc">>, true, [a]}',
    vars: [],
    terms: [tuple(1, 2.5, bytes('abc'), true, [a]), tuple(float(1), 2.5, 'abc', true, [a]), tuple(1, 2.5, 'abc', true, [a, a])],
  },
  {
    pattern: P.cons([P.any, P.any], P.capture('Rest', P.list)),
    erl: '[_, _ | Rest] when is_list(Rest)',
    vars: ['Rest'],
    terms: [[1, 2, 3], [1, 2], [1], new ImproperList([1, 2], a), new ImproperList([1, 2, 3], a)],
  },
  {
    pattern: P.where(P.tuple(P.capture('N', P.integer)), (c) => c.N > 3),
    erl: '{N} when is_integer(N), N > 3',
    vars: ['N'],
    terms: [tuple(5), tuple(2), tuple(a), tuple(2n ** 64n)],
  },
  {
    pattern: P.capture('T', P.tupleOf(2)),
    erl: 'T when tuple_size(T) =:= 2',
    vars: ['T'],
    terms: [tuple(1, 2), tuple(1), tuple(), [1, 2]],
  },
  typeCase(P.integer, 'is_integer'),
  typeCase(P.float, 'is_float'),
  typeCase(P.number, 'is_number'),
  typeCase(P.atom, 'is_atom'),
  typeCase(P.boolean, 'is_boolean'),
  typeCase(P.binary, 'is_binary'),
  typeCase(P.bitstring, 'is_bitstring'),
  typeCase(P.tupleOf(), 'is_tuple'),
  typeCase(P.list, 'is_list'),
  typeCase(P.map_, 'is_map'),
  typeCase(P.pid, 'is_pid'),
  typeCase(P.ref, 'is_reference'),
  typeCase(P.port, 'is_port'),
  typeCase(P.fun, 'is_function'),
];

t.test('the same patterns match the same terms, with the same bindings, in erl', (t) => {
  if (!erlWanted()) {
    t.pass('BEAMJS_NO_ERL=1: the differential half is left out on purpose');
    t.end();
    return;
  }
  const funs = ERL_CASES.map(
    (c) => `fun(Subject__) -> case Subject__ of ${c.erl} -> {match, [${c.vars.join(', ')}]}; _ -> nomatch end end`,
  );
  const pairs: string[] = [];
  ERL_CASES.forEach((c, i) => c.terms.forEach((term) => pairs.push(`{${i + 1}, ${toErlangSource(term)}}`)));
  const script =
    ERL_PRELUDE +
    `Funs = {${funs.join(',\n')}},\n` +
    `Pairs = [${pairs.join(',\n')}],\n` +
    `Results = [(element(I__, Funs))(T__) || {I__, T__} <- Pairs],\n` +
    `io:format("~s~n", [binary:encode_hex(term_to_binary(Results))]).`;
  const result = runErl(script, { timeoutMs: 20000 });
  t.ok(result.ok, `erl ran (${result.error.slice(0, 400)})`);
  if (!result.ok) {
    t.end();
    return;
  }
  const erlResults = binaryToTerm(Buffer.from(result.lines[result.lines.length - 1]!, 'hex')) as Term[];
  let k = 0;
  for (const c of ERL_CASES) {
    const matcher = compilePattern(c.pattern as Term);
    for (const term of c.terms) {
      const erl = erlResults[k++]!;
      const ours = matcher.match(term);
      const label = `${c.erl} against ${toErlangSource(term)}`;
      if (erl instanceof Atom) {
        t.equal(ours, undefined, `${label}: no match, as in erl`);
      } else {
        const values = ((erl as Tuple).elements[1] as Term[]) ?? [];
        t.ok(ours !== undefined, `${label}: matches, as in erl`);
        if (ours === undefined) continue;
        const bound = c.vars.map((name) => (ours as Record<string, Term>)[name]!);
        t.ok(
          bound.every((value, i) => exactEquals(value, values[i]!)),
          `${label}: the bindings are =:= erl's`,
        );
      }
    }
  }
  t.equal(k, erlResults.length, 'one erl result per case and term');
  // Keep the encoder honest: what we sent is what erl matched.
  t.ok(termToBinary(tuple(1)).length > 0);
  t.end();
});
