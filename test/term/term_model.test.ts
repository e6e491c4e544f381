/**
 * Tests of the term model classes in src/term (atom.ts, tuple.ts, bitstring.ts,
 * float.ts, improper_list.ts, term.ts, pid.ts, port.ts, ref.ts, fun.ts): interning,
 * validation and its errors, immutability, and which JS value is which Erlang type.
 */
import t from 'tap';
import {
  adoptTuple,
  Atom,
  BitString,
  ErlClosure,
  ExportFun,
  Float,
  ImproperList,
  MAX_ATOM_CHARACTERS,
  NOT_A_TERM,
  Pid,
  Port,
  Ref,
  TermKind,
  Tuple,
  atom,
  atomName,
  atomTerm,
  exportFun,
  float,
  floatValue,
  improperList,
  isAtom,
  isBinary,
  isFloat,
  isInteger,
  isPlainObject,
  isReservedAtomName,
  termKind,
  tuple,
} from '../../src/term/index.js';
import type { Term } from '../../src/term/index.js';
import { BeamError, ErrorCode, InvalidArgumentError } from '../../src/errors/index.js';

t.test('atoms are interned: the same name gives the same object', (t) => {
  const a = atom('interning_test_atom');
  t.equal(atom('interning_test_atom'), a);
  t.equal(Atom.for('interning_test_atom'), a);
  t.equal(a.name, 'interning_test_atom');
  t.equal(String(a), 'interning_test_atom');
  t.equal(Atom.byIndex(a.index), a);
  const b = atom('interning_test_atom_2');
  t.equal(b.index, a.index + 1, 'indexes are dense, in creation order');
  t.not(a, b);
  t.equal(Atom.byIndex(1e9), undefined);
  t.end();
});

t.test('the four reserved atoms are JS values and cannot be made as Atom objects', (t) => {
  for (const name of ['true', 'false', 'undefined', 'null']) {
    t.ok(isReservedAtomName(name));
    t.throws(() => atom(name), { constructor: BeamError, code: ErrorCode.INVALID_ATOM, message: new RegExp(`use ${name} instead`) });
  }
  t.equal(atomTerm('true'), true);
  t.equal(atomTerm('false'), false);
  t.equal(atomTerm('undefined'), undefined);
  t.equal(atomTerm('null'), null);
  t.equal(atomTerm('ok'), atom('ok'));
  t.equal(atomName(true), 'true');
  t.equal(atomName(false), 'false');
  t.equal(atomName(undefined), 'undefined');
  t.equal(atomName(null), 'null');
  t.equal(atomName(atom('x')), 'x');
  t.equal(atomName('x'), undefined, 'a string is a binary, not an atom');
  t.ok(isAtom(null) && isAtom(true) && isAtom(atom('y')));
  t.notOk(isAtom('y'));
  t.notOk(isReservedAtomName('True'));
  t.end();
});

t.test('atom names are limited to 255 characters, counted in code points', (t) => {
  t.equal(MAX_ATOM_CHARACTERS, 255);
  t.equal(atom('a'.repeat(255)).name.length, 255);
  t.equal(atom('😀'.repeat(255)).name.length, 510, '255 emoji are 510 UTF-16 units but 255 characters');
  t.throws(() => atom('a'.repeat(256)), { constructor: BeamError, code: ErrorCode.SYSTEM_LIMIT, message: /256 characters, the limit is 255/ });
  t.throws(() => atom('😀'.repeat(256)), { code: ErrorCode.SYSTEM_LIMIT });
  t.throws(() => Atom.for(42 as unknown as string), { code: ErrorCode.INVALID_ATOM, message: /must be a string; received number 42/ });
  t.end();
});

t.test('new Tuple keeps a frozen copy of its elements; tuple() adopts its argument array', (t) => {
  const source: Term[] = [1, 2];
  const x = new Tuple(source);
  source.push(3);
  t.equal(x.size, 2);
  t.ok(Object.isFrozen(x.elements));
  t.equal(x.at(1), 2);
  t.same([...x], [1, 2]);
  const y = tuple(atom('ok'), 'v');
  t.notOk(Object.isFrozen(y.elements), 'immutable by contract: no freeze on the hot path');
  t.same(y.elements, [atom('ok'), 'v']);
  const owned: Term[] = [1];
  t.equal(adoptTuple(owned).elements, owned, 'adoptTuple takes the array itself');
  t.equal(y.size, 2);
  t.equal(tuple().size, 0);
  t.throws(() => {
    (x.elements as Term[]).push(1);
  }, TypeError, 'the copy new Tuple keeps is frozen');
  t.end();
});

t.test('bitstrings validate their length and clear unused bits', (t) => {
  const bytes = new Uint8Array([0xff, 0xff]);
  const b = new BitString(bytes, 12);
  t.equal(b.bitLength, 12);
  t.equal(b.trailingBits, 4);
  t.same([...b.bytes], [0xff, 0xf0], 'the low 4 bits of the last byte are cleared');
  t.same([...bytes], [0xff, 0xff], 'the caller’s bytes are not changed');
  const clean = new Uint8Array([0x80]);
  t.equal(new BitString(clean, 1).bytes, clean, 'already clean bytes are not copied');
  t.throws(() => new BitString(new Uint8Array(1), 8), { constructor: InvalidArgumentError, code: ErrorCode.INVALID_ARGUMENT, message: /multiple of 8/ });
  t.throws(() => new BitString(new Uint8Array(1), -1), { code: ErrorCode.INVALID_ARGUMENT, message: /non-negative integer/ });
  t.throws(() => new BitString(new Uint8Array(1), 1.5), { code: ErrorCode.INVALID_ARGUMENT });
  t.throws(() => new BitString(new Uint8Array(2), 3), { code: ErrorCode.INVALID_ARGUMENT, message: /1 bytes for 3 bits; received 2 bytes/ });
  t.throws(() => new BitString(new Uint8Array(0), 0), { code: ErrorCode.INVALID_ARGUMENT }, '0 bits is the empty binary');
  t.end();
});

t.test('float() boxes integral values and leaves other numbers as they are', (t) => {
  const one = float(1);
  t.ok(one instanceof Float);
  t.equal(floatValue(one), 1);
  t.equal(Number(one), 1, 'valueOf');
  t.equal(float(1.5), 1.5);
  t.equal(floatValue(1.5), 1.5);
  const negZero = float(-0);
  t.ok(negZero instanceof Float);
  t.ok(Object.is(floatValue(negZero), -0), '-0.0 keeps its sign');
  t.equal(float(2 ** 60), 2 ** 60, 'not a safe integer, so already a float');
  for (const bad of [NaN, Infinity, -Infinity, '1' as unknown as number]) {
    t.throws(() => float(bad), { constructor: InvalidArgumentError, code: ErrorCode.INVALID_ARGUMENT, message: /finite number/ });
  }
  t.end();
});

t.test('improperList joins lists and keeps improper tails canonical', (t) => {
  t.same(improperList([1, 2], [3]), [1, 2, 3]);
  t.same(improperList([], [3]), [3]);
  t.equal(improperList([], atom('a')), atom('a'));
  const x = improperList([1], 2);
  t.ok(x instanceof ImproperList);
  const nested = improperList([0], x);
  t.ok(nested instanceof ImproperList);
  if (nested instanceof ImproperList) {
    t.same(nested.head, [0, 1]);
    t.equal(nested.tail, 2);
    t.ok(Object.isFrozen(nested.head));
  }
  t.throws(() => new ImproperList([], 1), { constructor: InvalidArgumentError, code: ErrorCode.INVALID_ARGUMENT, message: /at least one element/ });
  t.throws(() => new ImproperList([1], [2]), { code: ErrorCode.INVALID_ARGUMENT, message: /must not be a list/ });
  t.throws(() => new ImproperList([1], new ImproperList([2], 3)), { code: ErrorCode.INVALID_ARGUMENT });
  t.end();
});

t.test('termKind names the Erlang type of every kind of JS term value', (t) => {
  const local = atom('nonode@nohost');
  const pid = new Pid(local, 1, 0, 0);
  const cases: Array<[unknown, number]> = [
    [1, TermKind.NUMBER], [1.5, TermKind.NUMBER], [1n, TermKind.NUMBER], [float(1), TermKind.NUMBER],
    [atom('a'), TermKind.ATOM], [true, TermKind.ATOM], [false, TermKind.ATOM], [undefined, TermKind.ATOM], [null, TermKind.ATOM],
    [new Ref(local, 0, [1, 2, 3]), TermKind.REFERENCE],
    [exportFun('m', 'f', 1), TermKind.FUN],
    [new ErlClosure(0, new Uint8Array(16), 0, atom('m'), 0, 0, pid, []), TermKind.FUN],
    [new Port(local, 1n, 0), TermKind.PORT], [pid, TermKind.PID], [tuple(), TermKind.TUPLE],
    [{}, TermKind.MAP], [Object.create(null), TermKind.MAP], [new Map(), TermKind.MAP],
    [[], TermKind.NIL], [[1], TermKind.LIST], [new ImproperList([1], 2), TermKind.LIST],
    ['', TermKind.BITSTRING], [new Uint8Array(1), TermKind.BITSTRING], [Buffer.from('x'), TermKind.BITSTRING],
    [new BitString(new Uint8Array(1), 1), TermKind.BITSTRING],
    [NaN, NOT_A_TERM], [Infinity, NOT_A_TERM], [() => 1, NOT_A_TERM], [Symbol('s'), NOT_A_TERM], [new Date(), NOT_A_TERM],
    [new (class Foo {})(), NOT_A_TERM], [new Set(), NOT_A_TERM],
  ];
  for (const [value, kind] of cases) t.equal(termKind(value), kind, `${String(typeof value)} ${kind}`);
  const order = [TermKind.NUMBER, TermKind.ATOM, TermKind.REFERENCE, TermKind.FUN, TermKind.PORT, TermKind.PID,
    TermKind.TUPLE, TermKind.MAP, TermKind.NIL, TermKind.LIST, TermKind.BITSTRING];
  t.same(order, [...order].sort((a, b) => a - b), 'kinds are numbered in term order');
  t.end();
});

t.test('the type predicates follow the JS-to-Erlang mapping', (t) => {
  t.ok(isPlainObject({}) && isPlainObject(Object.create(null)));
  t.notOk(isPlainObject(new Map()) || isPlainObject([]) || isPlainObject(null) || isPlainObject(new (class X {})()));
  t.ok(isInteger(1) && isInteger(-0) && isInteger(2n ** 80n) && isInteger(Number.MAX_SAFE_INTEGER));
  t.notOk(isInteger(1.5) || isInteger(2 ** 53) || isInteger(float(1)));
  t.ok(isFloat(1.5) && isFloat(2 ** 53) && isFloat(float(1)));
  t.notOk(isFloat(1) || isFloat(NaN) || isFloat(1n));
  t.ok(isBinary('x') && isBinary(new Uint8Array(0)));
  t.notOk(isBinary(new BitString(new Uint8Array(1), 1)) || isBinary([]));
  t.end();
});

t.test('pids, ports and refs are equal when all their fields are', (t) => {
  const a = atom('a@h');
  t.ok(new Pid(a, 1, 2, 3).equals(new Pid(a, 1, 2, 3)));
  t.notOk(new Pid(a, 1, 2, 3).equals(new Pid(a, 1, 2, 4)));
  t.notOk(new Pid(a, 1, 2, 3).equals(new Pid(atom('b@h'), 1, 2, 3)));
  t.ok(new Port(a, 5n, 1).equals(new Port(a, 5n, 1)));
  t.notOk(new Port(a, 5n, 1).equals(new Port(a, 6n, 1)));
  t.ok(new Ref(a, 1, [1, 2, 3]).equals(new Ref(a, 1, [1, 2, 3])));
  t.notOk(new Ref(a, 1, [1, 2, 3]).equals(new Ref(a, 1, [1, 2, 4])));
  t.notOk(new Ref(a, 1, [1, 2, 3]).equals(new Ref(a, 2, [1, 2, 3])));
  t.ok(new Ref(a, 1, [1, 2, 3]).equals(new Ref(a, 1, [1, 2, 3, 0])), 'missing high words are zero, as in erl');
  t.notOk(new Ref(a, 1, [1, 2, 3]).equals(new Ref(a, 1, [1, 2, 3, 1])));
  const ids = [1, 2, 3];
  const r = new Ref(a, 1, ids);
  ids[0] = 9;
  t.same(r.ids, [1, 2, 3], 'a ref keeps a frozen copy of its ids');
  t.ok(Object.isFrozen(r.ids));
  t.end();
});

t.test('funs keep their names as atoms and closures freeze their free variables', (t) => {
  const f = exportFun('lists', 'map', 2);
  t.ok(f instanceof ExportFun);
  t.equal(f.module, atom('lists'));
  t.equal(f.name, atom('map'));
  t.equal(f.arity, 2);
  t.equal(exportFun(atom('m'), atom('g'), 0).name, atom('g'));
  const free: Term[] = [1];
  const c = new ErlClosure(0, new Uint8Array(16), 0, atom('m'), 0, 0, new Pid(atom('a@h'), 1, 0, 1), free);
  free.push(2);
  t.same(c.freeVars, [1]);
  t.ok(Object.isFrozen(c.freeVars));
  t.end();
});
