/**
 * Tests of src/codec/decoder.ts through the public API (binaryToTerm, decodeFrom,
 * decodeTermAt): the JS value each tag decodes to, the decode options, and the errors
 * for bad input (each a BadExternalTermError naming the problem and the offset).
 * Inputs are written out by hand from the External Term Format specification.
 */
import t from 'tap';
import {
  Atom,
  BitString,
  ErlClosure,
  ExportFun,
  Float,
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
import { BadExternalTermError, ErrorCode } from '../../src/errors/index.js';
import { MAX_NESTING, binaryToTerm, decodeFrom, decodeTermAt, termToBinary } from '../../src/codec/index.js';
import type { DecodeOptions } from '../../src/codec/index.js';

const dec = (bytes: number[], options?: DecodeOptions): Term => binaryToTerm(new Uint8Array([131, ...bytes]), options);
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
const NODE = [100, 0, 5, ...ascii('a@b.c')];
type T = Pick<typeof t, "throws">;
const bad = (t: T, bytes: number[], message: RegExp, offset?: number, options?: DecodeOptions): void => {
  const expected: Record<string, unknown> = { constructor: BadExternalTermError, code: ErrorCode.BAD_EXTERNAL_TERM, message };
  if (offset !== undefined) expected.offset = offset;
  t.throws(() => binaryToTerm(new Uint8Array(bytes), options), expected as unknown as Error, String(message));
};

t.test('integers decode to numbers in the safe range and to bigints beyond it', async (t) => {
  t.equal(dec([97, 200]), 200);
  t.equal(dec([98, 255, 255, 255, 254]), -2);
  t.equal(dec([110, 4, 1, 0, 0, 0, 128]), -(2 ** 31));
  t.equal(dec([110, 7, 0, 255, 255, 255, 255, 255, 255, 31]), 2 ** 53 - 1);
  t.equal(dec([110, 7, 0, 0, 0, 0, 0, 0, 0, 32]), 2n ** 53n, '2^53 is a bigint');
  t.equal(dec([110, 7, 1, 0, 0, 0, 0, 0, 0, 32]), -(2n ** 53n));
  t.equal(dec([110, 9, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0]), 5, 'leading zero digits are dropped (as erl)');
  t.equal(dec([110, 0, 0]), 0, 'no digits is 0');
  t.ok(Object.is(dec([110, 1, 1, 0]), 0), 'negative zero is 0, not -0');
  t.equal(dec([110, 1, 2, 5]), -5, 'any non-zero sign byte is negative (as erl)');
  t.equal(dec([111, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), 2n ** 64n);
});

t.test('floats decode to numbers, or to Float when the value reads as an integer', async (t) => {
  t.equal(dec([70, 63, 248, 0, 0, 0, 0, 0, 0]), 1.5);
  const one = dec([70, 63, 240, 0, 0, 0, 0, 0, 0]);
  t.ok(one instanceof Float && one.value === 1, '1.0 is Float(1)');
  const negZero = dec([70, 128, 0, 0, 0, 0, 0, 0, 0]);
  t.ok(negZero instanceof Float && Object.is(negZero.value, -0), '-0.0 is Float(-0)');
  t.equal(dec([70, 67, 176, 0, 0, 0, 0, 0, 0]), 2 ** 60, 'an integral value beyond the safe range is a number');
  t.equal(dec([99, ...ascii('1.50000000000000000000e+00'), 0, 0, 0, 0, 0]), 1.5, 'FLOAT_EXT');
  t.equal(dec([99, ...ascii('-2.5e-3'), ...new Array<number>(24).fill(0)]), -0.0025);
  bad(t, [131, 70, 127, 240, 0, 0, 0, 0, 0, 0], /float is not finite/, 1);
  bad(t, [131, 99, ...ascii('15'), ...new Array<number>(29).fill(0)], /FLOAT_EXT does not hold/, 1);
  bad(t, [131, 99, ...ascii(' 1.5'), ...new Array<number>(27).fill(0)], /FLOAT_EXT does not hold/);
  bad(t, [131, 99, ...ascii('1.5e999'), ...new Array<number>(24).fill(0)], /FLOAT_EXT does not hold/);
});

t.test('atoms decode to interned Atoms or to the four JS-valued atoms', async (t) => {
  t.equal(dec([100, 0, 2, 111, 107]), atom('ok'));
  t.equal(dec([115, 2, 111, 107]), atom('ok'), 'SMALL_ATOM_EXT');
  t.equal(dec([119, 2, 111, 107]), atom('ok'));
  t.equal(dec([118, 0, 2, 111, 107]), atom('ok'));
  t.equal(dec([100, 0, 1, 233]), atom('é'), 'ATOM_EXT is Latin-1');
  t.equal(dec([119, 2, 195, 169]), atom('é'), 'the same atom from UTF-8');
  t.equal(dec([100, 0, 4, ...ascii('true')]), true);
  t.equal(dec([119, 5, ...ascii('false')]), false);
  t.equal(dec([100, 0, 9, ...ascii('undefined')]), undefined);
  t.equal(dec([100, 0, 4, ...ascii('null')]), null);
  t.equal(dec([100, 0, 0]), atom(''));
  bad(t, [131, 119, 1, 255], /atom name is not valid UTF-8/, 1);
  bad(t, [131, 100, 1, 0, ...new Array<number>(256).fill(97)], /256 characters long, the limit is 255/, 1);
  bad(t, [131, 118, 2, 0, ...Array.from({ length: 256 }, () => [195, 169]).flat()], /256 characters long/, 1);
  t.equal(dec([118, 1, 254, ...Array.from({ length: 255 }, () => [206, 177]).flat()]), atom('α'.repeat(255)), '255 characters, 510 bytes');
});

t.test('many distinct atoms decode correctly through the atom cache', async (t) => {
  let wrong = 0;
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 10_000; i++) {
      const name = `cache_atom_${i}`;
      const got = dec([119, name.length, ...ascii(name)]);
      if (!(got instanceof Atom) || got.name !== name) wrong++;
      const latin = dec([100, 0, name.length, ...ascii(name)]);
      if (latin !== got) wrong++;
    }
  }
  t.equal(wrong, 0);
  t.equal(dec([100, 0, 2, 195, 169]), atom('Ã©'), 'the same bytes as Latin-1 are another atom');
});

t.test('binaries decode by the binaries option', async (t) => {
  t.equal(dec([109, 0, 0, 0, 2, 104, 105]), 'hi');
  t.equal(dec([109, 0, 0, 0, 0]), '');
  t.same(dec([109, 0, 0, 0, 2, 255, 0]), new Uint8Array([255, 0]), 'invalid UTF-8 stays bytes');
  t.same(dec([109, 0, 0, 0, 2, 104, 105], { binaries: 'bytes' }), new Uint8Array([104, 105]));
  t.same(dec([109, 0, 0, 0, 2, 104, 105], { jsTypes: true }), new Uint8Array([104, 105]), 'jsTypes: BINARY_EXT is bytes by default');
  t.equal(dec([109, 0, 0, 0, 2, 195, 169], { binaries: 'string' }), 'é');
  const long = 'é'.repeat(100) + 'x'.repeat(100);
  t.equal(dec([...termToBinary(long).subarray(1)]), long, 'a long mixed string');
  bad(t, [131, 109, 0, 0, 0, 1, 255], /not valid UTF-8 \(binaries: "string"\)/, 1, { binaries: 'string' });
  const input = new Uint8Array([131, 109, 0, 0, 0, 2, 255, 7]);
  const copy = binaryToTerm(input) as Uint8Array;
  const view = binaryToTerm(input, { copyBinaries: false }) as Uint8Array;
  input[6] = 1;
  t.equal(copy[0], 255, 'a copy by default');
  t.equal(view[0], 1, 'a view with copyBinaries: false');
  t.equal(view.buffer, input.buffer);
  t.throws(() => binaryToTerm(input, { binaries: 'text' as 'utf8' }), { code: ErrorCode.INVALID_ARGUMENT });
});

t.test('BIT_BINARY_EXT decodes to a BitString, or a binary when all 8 bits are used', async (t) => {
  const b = dec([77, 0, 0, 0, 2, 3, 1, 0xff]);
  t.ok(b instanceof BitString && b.bitLength === 11 && b.bytes[1] === 0xe0, 'unused bits are cleared');
  t.equal(dec([77, 0, 0, 0, 1, 8, 65]), 'A');
  t.equal(dec([77, 0, 0, 0, 0, 0]), '');
  bad(t, [131, 77, 0, 0, 0, 1, 0, 1], /used bits must be 1..8, found 0/, 1);
  bad(t, [131, 77, 0, 0, 0, 1, 9, 1], /found 9/);
  bad(t, [131, 77, 0, 0, 0, 0, 3], /0 bytes must have 0 used bits/);
});

t.test('lists: STRING_EXT, LIST_EXT, joined tails, improper lists', async (t) => {
  t.same(dec([106]), []);
  t.same(dec([107, 0, 3, 1, 2, 3]), [1, 2, 3]);
  t.same(dec([107, 0, 0]), []);
  t.same(dec([108, 0, 0, 0, 2, 97, 1, 97, 2, 106]), [1, 2]);
  t.same(dec([108, 0, 0, 0, 1, 97, 1, 108, 0, 0, 0, 1, 97, 2, 106]), [1, 2], 'a list tail is joined');
  t.same(dec([108, 0, 0, 0, 1, 97, 1, 107, 0, 2, 2, 3]), [1, 2, 3], 'a STRING_EXT tail is joined');
  const improper = dec([108, 0, 0, 0, 2, 97, 1, 97, 2, 97, 3]);
  t.ok(improper instanceof ImproperList);
  t.same((improper as ImproperList).head, [1, 2]);
  t.equal((improper as ImproperList).tail, 3);
  t.equal(dec([108, 0, 0, 0, 0, 97, 1]), 1, 'zero elements and a tail is the tail (as erl)');
});

t.test('a list of a million elements decodes (lists are walked in a loop)', async (t) => {
  const n = 1_000_000;
  const bytes = new Uint8Array(1 + 5 + 2 * n + 1);
  bytes.set([131, 108, 0, 15, 66, 64]);
  for (let i = 0; i < n; i++) bytes.set([97, i & 0xff], 6 + 2 * i);
  bytes[bytes.length - 1] = 106;
  const list = binaryToTerm(bytes) as number[];
  t.equal(list.length, n);
  t.equal(list[n - 1], (n - 1) & 0xff);
  // A chain of a million one-element LIST_EXTs, each the tail of the one before.
  const chain = new Uint8Array(1 + 7 * n + 1);
  chain[0] = 131;
  for (let i = 0; i < n; i++) chain.set([108, 0, 0, 0, 1, 97, 7], 1 + 7 * i);
  chain[chain.length - 1] = 106;
  t.equal((binaryToTerm(chain) as number[]).length, n, 'chained tails do not recurse');
});

t.test('nesting deeper than MAX_NESTING is a clear error, not a stack overflow', async (t) => {
  const depth = 100_000;
  const deep = new Uint8Array(1 + 2 * depth + 2);
  deep[0] = 131;
  for (let i = 0; i < depth; i++) deep.set([104, 1], 1 + 2 * i);
  deep.set([97, 1], 1 + 2 * depth);
  t.throws(() => binaryToTerm(deep), { constructor: BadExternalTermError, message: new RegExp(`nested deeper than ${MAX_NESTING}`) });
  let ok: Term = 1;
  for (let i = 0; i < MAX_NESTING - 2; i++) ok = tuple(ok);
  t.ok(binaryToTerm(termToBinary(ok)) instanceof Tuple, 'just below the limit decodes');
});

t.test('tuples and maps', async (t) => {
  const tu = dec([104, 2, 97, 1, 106]);
  t.ok(tu instanceof Tuple);
  t.same((tu as Tuple).elements, [1, []]);
  t.ok(dec([105, 0, 0, 0, 0]) instanceof Tuple, 'LARGE_TUPLE_EXT');
  const obj = dec([116, 0, 0, 0, 2, 100, 0, 1, 97, 97, 1, 100, 0, 4, ...ascii('true'), 97, 2]);
  t.same(obj, { a: 1, true: 2 });
  t.equal(Object.getPrototypeOf(obj), Object.prototype, 'a plain object');
  t.same(dec([116, 0, 0, 0, 0]), {}, 'the empty map is an empty object');
  const mixed = dec([116, 0, 0, 0, 2, 100, 0, 1, 97, 97, 1, 97, 5, 97, 2]) as Map<Term, Term>;
  t.ok(mixed instanceof Map);
  t.equal(mixed.get(atom('a')), 1);
  t.equal(mixed.get(5), 2);
  const proto = dec([116, 0, 0, 0, 1, 100, 0, 9, ...ascii('__proto__'), 97, 1]) as Record<string, Term>;
  t.same(Object.keys(proto), ['__proto__'], '__proto__ is an own key');
  t.equal(Object.getPrototypeOf(proto), Object.prototype);
  t.equal(Object.getOwnPropertyDescriptor(proto, '__proto__')?.value, 1);
  bad(t, [131, 116, 0, 0, 0, 2, 100, 0, 1, 97, 97, 1, 100, 0, 1, 97, 97, 2], /map has the key 'a' twice/, 12);
  bad(t, [131, 116, 0, 0, 0, 2, 97, 1, 97, 1, 97, 1, 97, 2], /map has a key twice/);
  bad(t, [131, 116, 0, 0, 0, 2, 104, 1, 97, 1, 97, 1, 104, 1, 97, 1, 97, 2], /map has a key twice/, 1);
  bad(t, [131, 116, 0, 0, 0, 2, 70, 63, 240, 0, 0, 0, 0, 0, 0, 97, 1, 70, 63, 240, 0, 0, 0, 0, 0, 0, 97, 2], /map has a key twice/);
  const withFloat = dec([116, 0, 0, 0, 2, 97, 1, 97, 1, 70, 63, 240, 0, 0, 0, 0, 0, 0, 97, 2]) as Map<Term, Term>;
  t.equal(withFloat.size, 2, '1 and 1.0 are different keys');
});

t.test('pids, ports, references and funs, old formats included', async (t) => {
  const p = dec([88, ...NODE, 0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 2]) as Pid;
  t.ok(p instanceof Pid && p.node === atom('a@b.c') && p.id === 9 && p.serial === 1 && p.creation === 2);
  const old = dec([103, ...NODE, 0, 0, 0, 9, 0, 0, 0, 1, 3]) as Pid;
  t.ok(old.equals(new Pid(atom('a@b.c'), 9, 1, 3)), 'PID_EXT');
  t.same([...termToBinary(old)], [131, 88, ...NODE, 0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 3], 're-encodes as NEW_PID_EXT, as erl');
  bad(t, [131, 103, ...NODE, 0, 0, 128, 0, 0, 0, 0, 0, 0], /PID_EXT id must be < 2\^15/);
  t.ok((dec([89, ...NODE, 0, 0, 0, 7, 0, 0, 0, 3]) as Port).equals(new Port(atom('a@b.c'), 7n, 3)));
  t.ok((dec([120, ...NODE, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 3]) as Port).equals(new Port(atom('a@b.c'), 2n ** 32n + 5n, 3)));
  t.ok((dec([102, ...NODE, 0, 0, 0, 7, 3]) as Port).equals(new Port(atom('a@b.c'), 7n, 3)), 'PORT_EXT');
  t.ok((dec([90, 0, 2, ...NODE, 0, 0, 0, 3, 0, 0, 0, 5, 0, 0, 0, 6]) as Ref).equals(new Ref(atom('a@b.c'), 3, [5, 6])));
  t.ok((dec([114, 0, 2, ...NODE, 3, 0, 0, 0, 5, 0, 0, 0, 6]) as Ref).equals(new Ref(atom('a@b.c'), 3, [5, 6])), 'NEW_REFERENCE_EXT');
  t.ok((dec([101, ...NODE, 0, 0, 0, 5, 3]) as Ref).equals(new Ref(atom('a@b.c'), 3, [5])), 'REFERENCE_EXT');
  bad(t, [131, 90, 0, 0, ...NODE, 0, 0, 0, 3], /1 to 5 id words, found 0/);
  bad(t, [131, 90, 0, 6, ...NODE, 0, 0, 0, 3, ...new Array<number>(24).fill(0)], /found 6/);
  bad(t, [131, 88, 97, 1, 0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 2], /expected the pid node as an atom, found SMALL_INTEGER_EXT/, 2);
  bad(t, [131, 88, 100, 0, 4, ...ascii('true'), 0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 2], /pid node 'true' cannot be represented/);
  const f = dec([113, 100, 0, 1, 109, 100, 0, 1, 102, 97, 2]) as ExportFun;
  t.ok(f instanceof ExportFun && f.module === atom('m') && f.name === atom('f') && f.arity === 2);
  t.equal((dec([113, 100, 0, 1, 109, 100, 0, 1, 102, 98, 0, 0, 0, 2]) as ExportFun).arity, 2, 'INTEGER_EXT arity');
  const uniq = new Array<number>(16).fill(9);
  const pidBytes = [88, ...NODE, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0];
  const funBody = [1, ...uniq, 0, 0, 0, 3, 0, 0, 0, 1, 100, 0, 1, 109, 97, 0, 98, 0, 0, 1, 44, ...pidBytes, 97, 5];
  const size = 4 + funBody.length;
  const closureBytes = [112, 0, 0, 0, size, ...funBody];
  const closure = dec(closureBytes) as ErlClosure;
  t.ok(closure instanceof ErlClosure && closure.arity === 1 && closure.index === 3 && closure.oldIndex === 0 && closure.oldUniq === 300);
  t.same(closure.freeVars, [5]);
  t.same([...termToBinary(closure)], [131, ...closureBytes], 'a closure re-encodes byte for byte');
  bad(t, [131, 112, 0, 0, 0, size + 1, ...funBody, 106], new RegExp(`Size says ${size + 1} bytes but its fields take ${size}`));
  bad(t, [131, 117, 0, 0, 0, 0, ...pidBytes, 100, 0, 1, 109, 97, 1, 97, 2], /FUN_EXT .* not supported/);
});

t.test('JS_EXT is accepted only with jsTypes', async (t) => {
  bad(t, [131, 74, 1, 0, 0, 0, 1, 65], /tag 74 .* only accepted with the jsTypes option/, 1);
  t.equal(dec([74, 1, 0, 0, 0, 2, 195, 169], { jsTypes: true }), 'é');
  t.equal(dec([74, 2, 97, 5], { jsTypes: true }), 5n);
  t.equal(dec([74, 2, 110, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], { jsTypes: true }), 2n ** 64n);
  const m = dec([74, 3, 116, 0, 0, 0, 1, 100, 0, 1, 97, 97, 1], { jsTypes: true });
  t.ok(m instanceof Map && m.get(atom('a')) === 1, 'a Map even with atom keys');
  bad(t, [131, 74, 2, 70, 63, 240, 0, 0, 0, 0, 0, 0], /JS_EXT bigint must hold an integer/, 3, { jsTypes: true });
  bad(t, [131, 74, 3, 104, 0], /JS_EXT Map must be followed by MAP_EXT/, 3, { jsTypes: true });
  bad(t, [131, 74, 9], /unknown JS_EXT subtype 9/, 1, { jsTypes: true });
  bad(t, [131, 74, 1, 0, 0, 0, 1, 255], /JS_EXT string is not valid UTF-8/, 1, { jsTypes: true });
});

t.test('bad input names what was wrong and where', async (t) => {
  bad(t, [], /expected the version byte 131/, 0);
  bad(t, [130, 97, 1], /expected the version byte 131, found 130/, 0);
  bad(t, [131], /truncated input: expected a term/, 1);
  bad(t, [131, 200], /unknown tag 200/, 1);
  bad(t, [131, 98, 0, 0], /truncated input: INTEGER_EXT needs 4 bytes, only 2 remain/, 2);
  bad(t, [131, 109, 0, 0, 0, 9, 1], /BINARY_EXT data needs 9 bytes, only 1 remain/);
  bad(t, [131, 108, 255, 255, 255, 255, 106], /list claims 4294967296 elements but only 1 bytes remain/, 1);
  bad(t, [131, 105, 255, 255, 255, 255], /tuple claims 4294967295 elements/);
  bad(t, [131, 116, 128, 0, 0, 0], /map claims 2147483648 elements/);
  bad(t, [131, 108, 0, 0, 0, 1, 97, 1], /expected the tail of a list/, 8);
  bad(t, [131, 82, 0], /ATOM_CACHE_REF is only valid inside a distribution message/, 1);
  bad(t, [131, 121, 0], /LOCAL_EXT/, 1);
  bad(t, [131, 104, 1, 80, 0, 0, 0, 1, 0], /compressed term \(tag 80\) may only follow the version byte/, 3);
  bad(t, [131, 97, 1, 0], /1 trailing bytes after the term/, 3);
  bad(t, [131, 100, 0, 5, 97], /atom name needs 5 bytes, only 1 remain/);
});

t.test('safe refuses to create atoms, like binary_to_term(B, [safe])', async (t) => {
  const fresh = `never_seen_before_${Date.now()}`;
  bad(t, [131, 119, fresh.length, ...ascii(fresh)], /does not exist and the safe option forbids creating it/, 1, { safe: true });
  t.equal(dec([119, 2, ...ascii('ok')], { safe: true }), atom('ok'), 'an existing atom is fine');
  t.equal(dec([119, 4, ...ascii('true')], { safe: true }), true);
  const later = `made_later_${Date.now()}`;
  atom(later);
  t.equal(dec([119, later.length, ...ascii(later)], { safe: true }), atom(later), 'an atom created after the first safe decode');
});

t.test('decodeFrom and decodeTermAt decode in place at an offset and report the end', async (t) => {
  const a = termToBinary(tuple(atom('a'), 1));
  const b = termToBinary('second');
  const both = new Uint8Array(3 + a.length + b.length);
  both.set(a, 3);
  both.set(b, 3 + a.length);
  const first = decodeFrom(both, 3);
  t.same(first.term, tuple(atom('a'), 1));
  t.equal(first.end, 3 + a.length);
  const second = decodeFrom(both, first.end);
  t.equal(second.term, 'second');
  t.equal(second.end, both.length);
  const inner = decodeTermAt(both, 3 + 1 + 2);
  t.equal(inner.term, atom('a'));
  t.equal(inner.end, 3 + 1 + 2 + 4);
  t.throws(() => decodeFrom(both, -1), { code: ErrorCode.INVALID_ARGUMENT, message: /offset must be an integer/ });
  t.throws(() => decodeTermAt(both, both.length + 1), { code: ErrorCode.INVALID_ARGUMENT, message: /tagOffset/ });
  t.throws(() => binaryToTerm('nope' as unknown as Uint8Array), { code: ErrorCode.INVALID_ARGUMENT, message: /bytes must be a Uint8Array/ });
  const shared = new Uint8Array(new SharedArrayBuffer(a.length));
  shared.set(a);
  t.same(binaryToTerm(shared), tuple(atom('a'), 1), 'a SharedArrayBuffer view');
  void float;
});
