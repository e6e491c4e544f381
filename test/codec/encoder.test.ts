/**
 * Tests of src/codec/encoder.ts through the public API (termToBinary, encodeTermBody,
 * encodedSize, encodeInto).
 *
 * Expected bytes are written out by hand from the External Term Format specification
 * (and checked against erl 25 once, by hand); erl_differential.test.ts compares
 * hundreds more terms with erl directly.
 */
import t from 'tap';
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
  float,
  tuple,
} from '../../src/term/index.js';
import type { Term } from '../../src/term/index.js';
import { BeamError, ErrorCode } from '../../src/errors/index.js';
import { MAX_NESTING, binaryToTerm, encodeInto, encodeTermBody, encodedSize, termToBinary } from '../../src/codec/index.js';
import type { EncodeOptions } from '../../src/codec/index.js';
import { TermGen, testSeed } from './codec_support.js';

const bytes = (...b: number[]): number[] => [131, ...b];
const enc = (term: Term, options?: EncodeOptions): number[] => [...termToBinary(term, options)];
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
const NODE = ascii('nonode@nohost');

t.test('integers take the smallest encoding erl uses for their value', async (t) => {
  t.same(enc(0), bytes(97, 0));
  t.same(enc(255), bytes(97, 255));
  t.same(enc(256), bytes(98, 0, 0, 1, 0));
  t.same(enc(-1), bytes(98, 255, 255, 255, 255));
  t.same(enc(2 ** 31 - 1), bytes(98, 127, 255, 255, 255));
  t.same(enc(-(2 ** 31)), bytes(98, 128, 0, 0, 0));
  t.same(enc(2 ** 31), bytes(110, 4, 0, 0, 0, 0, 128));
  t.same(enc(-(2 ** 31) - 1), bytes(110, 4, 1, 1, 0, 0, 128));
  t.same(enc(2 ** 53 - 1), bytes(110, 7, 0, 255, 255, 255, 255, 255, 255, 31));
  t.same(enc(2n ** 64n), bytes(110, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1));
  t.same(enc(-5n), bytes(98, 255, 255, 255, 251), 'a small bigint is an ordinary integer');
  t.same(enc(-0), bytes(97, 0), '-0 is the integer 0');
  const big = enc(2n ** 2040n);
  t.same(big.slice(0, 7), bytes(111, 0, 0, 1, 0, 0), '2^2040 needs 256 digit bytes: LARGE_BIG_EXT');
  t.equal(big.length, 1 + 1 + 4 + 1 + 256);
  t.same(enc(2n ** 2040n - 1n).slice(0, 4), bytes(110, 255, 0), '2^2040 - 1 fits SMALL_BIG_EXT');
});

t.test('floats are NEW_FLOAT_EXT, or FLOAT_EXT text with minorVersion 0', async (t) => {
  t.same(enc(1.5), bytes(70, 63, 248, 0, 0, 0, 0, 0, 0));
  t.same(enc(float(1)), bytes(70, 63, 240, 0, 0, 0, 0, 0, 0), 'Float(1) is the float 1.0');
  t.same(enc(float(-0)), bytes(70, 128, 0, 0, 0, 0, 0, 0, 0), '-0.0 keeps its sign');
  t.same(enc(2 ** 60), bytes(70, 67, 176, 0, 0, 0, 0, 0, 0), 'a number beyond the safe range is a float');
  const old = enc(1.5, { minorVersion: 0 });
  t.same(old, bytes(99, ...ascii('1.50000000000000000000e+00'), 0, 0, 0, 0, 0));
});

t.test('atoms follow minorVersion: ATOM_EXT for Latin-1 names up to minor 1, UTF-8 tags otherwise', async (t) => {
  t.same(enc(atom('abc')), bytes(100, 0, 3, ...ascii('abc')));
  t.same(enc(atom('abc'), { minorVersion: 0 }), bytes(100, 0, 3, ...ascii('abc')));
  t.same(enc(atom('abc'), { minorVersion: 2 }), bytes(119, 3, ...ascii('abc')));
  t.same(enc(atom('åäö')), bytes(100, 0, 3, 229, 228, 246), 'Latin-1 bytes, not UTF-8');
  t.same(enc(atom('åäö'), { minorVersion: 2 }), bytes(119, 6, 195, 165, 195, 164, 195, 182));
  t.same(enc(atom('αβ')), bytes(119, 4, 206, 177, 206, 178));
  t.same(enc(atom('αβ'), { minorVersion: 0 }), bytes(119, 4, 206, 177, 206, 178));
  t.same(enc(atom('α'.repeat(255))).slice(0, 4), bytes(118, 1, 254), '510 UTF-8 bytes: ATOM_UTF8_EXT');
  t.same(enc(atom('')), bytes(100, 0, 0));
  t.same(enc(true), bytes(100, 0, 4, ...ascii('true')));
  t.same(enc(false, { minorVersion: 2 }), bytes(119, 5, ...ascii('false')));
  t.same(enc(undefined), bytes(100, 0, 9, ...ascii('undefined')));
  t.same(enc(null), bytes(100, 0, 4, ...ascii('null')));
});

t.test('strings and Uint8Arrays are binaries; BitStrings are BIT_BINARY_EXT', async (t) => {
  t.same(enc('hi'), bytes(109, 0, 0, 0, 2, 104, 105));
  t.same(enc('é'), bytes(109, 0, 0, 0, 2, 195, 169), 'UTF-8 bytes');
  t.same(enc('\u{1F600}'), bytes(109, 0, 0, 0, 4, 240, 159, 152, 128), 'a surrogate pair is one code point');
  t.same(enc('\ud800'), bytes(109, 0, 0, 0, 3, 239, 191, 189), 'a lone surrogate becomes U+FFFD');
  t.same(enc(new Uint8Array([1, 2])), bytes(109, 0, 0, 0, 2, 1, 2));
  t.same(enc(Buffer.from([7])), bytes(109, 0, 0, 0, 1, 7), 'a Buffer is a Uint8Array');
  t.same(enc(new BitString(new Uint8Array([1, 2, 0x30]), 20)), bytes(77, 0, 0, 0, 3, 4, 1, 2, 0x30));
  const long = 'x'.repeat(100) + 'é' + 'y'.repeat(50);
  t.same(enc(long).slice(6), [...Buffer.from(long, 'utf8')], 'a long mixed string');
});

t.test('lists of 1..65535 integers 0..255 are STRING_EXT, other lists LIST_EXT', async (t) => {
  t.same(enc([]), bytes(106));
  t.same(enc([1, 2, 3]), bytes(107, 0, 3, 1, 2, 3));
  t.same(enc([1, 2, 300]), bytes(108, 0, 0, 0, 3, 97, 1, 97, 2, 98, 0, 0, 1, 44, 106));
  t.same(enc([1n, 2]), bytes(107, 0, 2, 1, 2), 'bigints 0..255 count as bytes');
  t.same(enc([1.5]), bytes(108, 0, 0, 0, 1, 70, 63, 248, 0, 0, 0, 0, 0, 0, 106));
  t.equal(termToBinary(new Array<number>(65535).fill(1))[1], 107);
  t.equal(termToBinary(new Array<number>(65535).fill(1)).length, 1 + 3 + 65535);
  t.same(enc(new Array<number>(65536).fill(1)).slice(0, 8), bytes(108, 0, 1, 0, 0, 97, 1));
  t.same(enc(new ImproperList([1, 2], 3)), bytes(108, 0, 0, 0, 2, 97, 1, 97, 2, 97, 3), 'improper: no NIL at the end');
  // eslint-disable-next-line no-sparse-arrays
  t.same(enc([1, , 3] as unknown as Term), bytes(108, 0, 0, 0, 3, 97, 1, 100, 0, 9, ...ascii('undefined'), 97, 3, 106), 'a hole reads as undefined');
});

t.test('tuples are SMALL_TUPLE_EXT up to 255 elements, then LARGE_TUPLE_EXT', async (t) => {
  t.same(enc(tuple()), bytes(104, 0));
  t.same(enc(tuple(1, atom('a'))), bytes(104, 2, 97, 1, 100, 0, 1, 97));
  t.same(enc(new Tuple(new Array<number>(255).fill(0))).slice(0, 3), bytes(104, 255));
  t.same(enc(new Tuple(new Array<number>(256).fill(0))).slice(0, 6), bytes(105, 0, 0, 1, 0));
});

t.test('maps of up to 32 keys are written in map-key order', async (t) => {
  t.same(enc({ b: 1, a: 2 }), bytes(116, 0, 0, 0, 2, 100, 0, 1, 97, 97, 2, 100, 0, 1, 98, 97, 1));
  const mixed = new Map<Term, Term>([[atom('a'), 1], [float(1), 2], [1, 3], ['k', 4], [tuple(), 5]]);
  t.same(
    enc(mixed),
    bytes(116, 0, 0, 0, 5, 97, 1, 97, 3, 70, 63, 240, 0, 0, 0, 0, 0, 0, 97, 2, 100, 0, 1, 97, 97, 1, 104, 0, 97, 5, 109, 0, 0, 0, 1, 107, 97, 4),
    'integer 1 before float 1.0, then atom, tuple, binary',
  );
  // U+10000 (a surrogate pair in JS) sorts above U+FFFF in code point order.
  const keys = enc({ '\u{10000}': 1, '\uffff': 2 }, { minorVersion: 2 });
  t.same(keys.slice(6, 6 + 5), [119, 3, 0xef, 0xbf, 0xbf], 'U+FFFF first');
  const big: Record<string, number> = {};
  for (let i = 40; i > 0; i--) big[`k${i}`] = i;
  const encoded = termToBinary(big);
  t.same([...encoded.subarray(6, 6 + 6)], [100, 0, 3, ...ascii('k40')], 'more than 32 keys: insertion order');
});

t.test('the __proto__ own property of a plain object is a map key like any other', async (t) => {
  const o: Record<string, Term> = {};
  Object.defineProperty(o, '__proto__', { value: 1, enumerable: true, writable: true, configurable: true });
  t.same(enc(o), bytes(116, 0, 0, 0, 1, 100, 0, 9, ...ascii('__proto__'), 97, 1));
  const back = binaryToTerm(termToBinary(o)) as Record<string, Term>;
  t.same(Object.keys(back), ['__proto__']);
  t.equal(Object.getPrototypeOf(back), Object.prototype, 'the prototype was not replaced');
});

t.test('pids, refs, ports and funs use the OTP 25 tags', async (t) => {
  const node = atom('nonode@nohost');
  t.same(enc(new Pid(node, 9, 1, 2)), bytes(88, 100, 0, 13, ...NODE, 0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 2));
  t.same(enc(new Ref(node, 1, [5, 6])), bytes(90, 0, 2, 100, 0, 13, ...NODE, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 6));
  t.same(enc(new Port(node, 7n, 3)), bytes(89, 100, 0, 13, ...NODE, 0, 0, 0, 7, 0, 0, 0, 3));
  t.same(enc(new Port(node, 2n ** 28n, 3)), bytes(120, 100, 0, 13, ...NODE, 0, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 3), 'id ≥ 2^28: V4_PORT_EXT');
  t.same(enc(new ExportFun(atom('m'), atom('f'), 2)), bytes(113, 100, 0, 1, 109, 100, 0, 1, 102, 97, 2));
  const uniq = new Uint8Array(16).fill(7);
  const closure = new ErlClosure(1, uniq, 3, atom('m'), 0, 300, new Pid(node, 9, 0, 0), [5]);
  const fun = enc(closure);
  const size = 4 + 1 + 16 + 4 + 4 + 4 + 2 + 5 + (1 + 16 + 12) + 2;
  t.same(fun, bytes(112, 0, 0, 0, size, 1, ...uniq, 0, 0, 0, 3, 0, 0, 0, 1, 100, 0, 1, 109, 97, 0, 98, 0, 0, 1, 44, 88, 100, 0, 13, ...NODE, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 97, 5));
});

t.test('jsTypes adds JS_EXT prefixes exactly where the plain encoding would change the JS type', async (t) => {
  const js = { jsTypes: true, minorVersion: 2 } as const;
  t.same(enc('hi', js), bytes(74, 1, 0, 0, 0, 2, 104, 105), 'strings');
  t.same(enc(new Uint8Array([1]), js), bytes(109, 0, 0, 0, 1, 1), 'Uint8Array stays BINARY_EXT');
  t.same(enc(5n, js), bytes(74, 2, 97, 5), 'a bigint in the safe range');
  t.same(enc(2n ** 64n, js), bytes(110, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), 'a bigint beyond the safe range needs no prefix');
  t.same(enc(5, js), bytes(97, 5));
  t.same(enc([1n], js), bytes(108, 0, 0, 0, 1, 74, 2, 97, 1, 106), 'a bigint element is not a STRING_EXT byte');
  t.same(enc(new Map(), js), bytes(74, 3, 116, 0, 0, 0, 0), 'an empty Map');
  t.same(enc(new Map([[atom('a'), 1]]), js), bytes(74, 3, 116, 0, 0, 0, 1, 119, 1, 97, 97, 1));
  t.same(enc(new Map([[1, 1]]), js), bytes(116, 0, 0, 0, 1, 97, 1, 97, 1), 'a Map with a non-atom key needs no prefix');
  t.same(enc({ a: 1 }, js), bytes(116, 0, 0, 0, 1, 119, 1, 97, 97, 1));
});

t.test('values that are not terms throw NOT_A_TERM naming where they are', async (t) => {
  const notATerm = (term: unknown, message: RegExp): void => {
    t.throws(() => termToBinary(term as Term), { constructor: BeamError, code: ErrorCode.NOT_A_TERM, message }, String(message));
  };
  notATerm(() => 1, /cannot encode the term itself: .*function/);
  notATerm(tuple(1, [2, Symbol('s')] as unknown as Term), /list element 2, in element 2 of a tuple: .*symbol/);
  notATerm({ a: { b: NaN } }, /the value of map key 'b', in the value of map key 'a'.*NaN/);
  notATerm([Infinity], /list element 1/);
  notATerm(new Map([[new Date(0), 1]]), /a key of a map: .*Date/);
  notATerm(new (class Foo {})(), /instance of Foo/);
  notATerm(new Int32Array(2), /Int32Array/);
  notATerm(new Pid(atom('n@h'), -1, 0, 0), /Pid whose id, serial and creation must be 32-bit/);
  notATerm(new Pid('n@h' as unknown as ReturnType<typeof atom>, 1, 0, 0), /node is not an Atom/);
  notATerm(new Ref(atom('n@h'), 0, []), /Ref must have 1 to 5 id words/);
  notATerm(new ExportFun(atom('m'), atom('f'), 256), /arity 0..255/);
  const pid = new Pid(atom('n@h'), 1, 0, 0);
  notATerm(new ErlClosure(0, new Uint8Array(16), 0, atom('m'), 0, 2 ** 31, pid, []), /ErlClosure whose fields do not fit NEW_FUN_EXT/);
  notATerm(new ErlClosure(0, new Uint8Array(15), 0, atom('m'), 0, 0, pid, []), /ErlClosure/);
  notATerm(new ErlClosure(0, new Uint8Array(16), 0, atom('m'), 0, 0, new Pid(atom('n@h'), 1.5, 0, 0), []), /the pid of a closure: a Pid whose id/);
  t.throws(() => termToBinary({ ['x'.repeat(256)]: 1 }), { code: ErrorCode.SYSTEM_LIMIT }, 'a key too long for an atom');
  t.throws(() => encodedSize([() => 1] as unknown as Term), { code: ErrorCode.NOT_A_TERM }, 'encodedSize checks too');
});

t.test('cyclic or too deeply nested structures throw SYSTEM_LIMIT, not a stack overflow', async (t) => {
  const cyclic: Term[] = [];
  cyclic.push(cyclic as Term);
  t.throws(() => termToBinary(cyclic), { code: ErrorCode.SYSTEM_LIMIT, message: /nested deeper than/ });
  t.throws(() => encodedSize(cyclic), { code: ErrorCode.SYSTEM_LIMIT });
  let deep: Term = 1;
  for (let i = 0; i < MAX_NESTING + 5; i++) deep = tuple(deep);
  t.throws(() => termToBinary(deep), { code: ErrorCode.SYSTEM_LIMIT });
  let ok: Term = 1;
  for (let i = 0; i < MAX_NESTING - 5; i++) ok = [ok];
  t.equal(termToBinary(ok).length, encodedSize(ok), 'nesting just below the limit encodes');
});

t.test('encodedSize is the exact length of termToBinary for random terms and every option set', async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed}`);
  const gen = new TermGen(seed, { jsTypes: true });
  const sets: EncodeOptions[] = [{}, { minorVersion: 0 }, { minorVersion: 2 }, { jsTypes: true, minorVersion: 2 }, { jsTypes: true, minorVersion: 1 }];
  let mismatches = 0;
  for (let i = 0; i < 400; i++) {
    const term = gen.term();
    for (const options of sets) if (encodedSize(term, options) !== termToBinary(term, options).length) mismatches++;
  }
  t.equal(mismatches, 0);
});

t.test('encodeTermBody is termToBinary without the version byte', async (t) => {
  const term = tuple(atom('a'), 'b', [1, 2, 3], { k: 1.5 });
  t.same([...encodeTermBody(term)], enc(term).slice(1));
  t.same([...encodeTermBody(term, { jsTypes: true, minorVersion: 2 })], enc(term, { jsTypes: true, minorVersion: 2 }).slice(1));
});

t.test('encodeInto writes in place, returns the end, and reports -1 without writing past the target', async (t) => {
  const term = tuple(atom('ping'), 'héllo wörld, a string longer than the short path', 12345);
  const expected = termToBinary(term);
  const backing = new Uint8Array(expected.length + 20).fill(0xaa);
  const exact = backing.subarray(0, 10 + expected.length);
  t.equal(encodeInto(term, exact, 10), 10 + expected.length, 'fits exactly');
  t.same([...exact.subarray(10)], [...expected]);
  for (let room = 0; room < expected.length; room++) {
    const region = new Uint8Array(backing.buffer, 0, 10 + room);
    backing.fill(0xaa);
    if (encodeInto(term, region, 10) !== -1) t.fail(`fits in ${room} bytes?`);
    if (backing.subarray(10 + room).some((b) => b !== 0xaa)) t.fail(`wrote past the end with ${room} bytes of room`);
  }
  t.pass('every region one byte or more too short gives -1 and leaves the bytes after it alone');
  for (let room = 0; room < expected.length; room++) {
    backing.fill(0xaa);
    if (encodeInto(term, backing, 10, undefined, 10 + room) !== -1) t.fail(`fits before limit ${10 + room}?`);
    if (backing.subarray(10 + room).some((b) => b !== 0xaa)) t.fail(`wrote past the limit with ${room} bytes of room`);
  }
  t.pass('the same with a limit inside a larger target: -1, and nothing written at or past the limit');
  backing.fill(0xaa);
  t.equal(encodeInto(term, backing, 10, undefined, 10 + expected.length), 10 + expected.length, 'a limit that fits exactly');
  t.same([...backing.subarray(10, 10 + expected.length)], [...expected]);
  t.throws(() => encodeInto(term, backing, 10, undefined, 9), { code: ErrorCode.INVALID_ARGUMENT, message: /limit must be an integer/ }, 'a limit before the offset');
  t.throws(() => encodeInto(term, backing, 10, undefined, backing.length + 1), { code: ErrorCode.INVALID_ARGUMENT, message: /limit must be an integer/ }, 'a limit past the target');
  const shared = new Uint8Array(new SharedArrayBuffer(256));
  const end = encodeInto(term, shared, 3, { jsTypes: true, minorVersion: 2 });
  t.equal(end, 3 + encodedSize(term, { jsTypes: true, minorVersion: 2 }), 'into a SharedArrayBuffer');
  t.same(binaryToTerm(shared.subarray(3, end), { jsTypes: true }), term);
  t.equal(encodeInto(term, shared, 256), -1, 'offset at the end: no room');
  t.throws(() => encodeInto(term, shared, 257), { code: ErrorCode.INVALID_ARGUMENT, message: /offset must be an integer/ });
  t.throws(() => encodeInto(term, [] as unknown as Uint8Array, 0), { code: ErrorCode.INVALID_ARGUMENT, message: /target must be a Uint8Array/ });
});

t.test('a getter that encodes while the encoder is busy gets its own writer', async (t) => {
  const inner = tuple(atom('inner'), 1);
  const outer = {
    get a(): Term {
      return termToBinary(inner);
    },
  };
  const decoded = binaryToTerm(termToBinary(outer as unknown as Term), { binaries: 'bytes' }) as Record<string, Uint8Array>;
  t.same(binaryToTerm(decoded.a!), inner);
});

t.test('options are validated', async (t) => {
  t.throws(() => termToBinary(1, { minorVersion: 3 as 2 }), { code: ErrorCode.INVALID_ARGUMENT, message: /minorVersion must be 0, 1 or 2/ });
  t.throws(() => termToBinary(1, { compressed: 10 }), { code: ErrorCode.INVALID_ARGUMENT, message: /zlib level 0..9/ });
  t.throws(() => termToBinary(1, { jsTypes: 'yes' as unknown as boolean }), { code: ErrorCode.INVALID_ARGUMENT });
  t.same(enc([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], { compressed: 0 }).slice(0, 2), [131, 107], 'level 0: not compressed');
});
