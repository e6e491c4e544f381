// Match programs (src/term/match_program.ts) run by the JS twin (src/term/match_interpreter.ts):
// the program layout, what the bytes can and cannot decide (MATCH_NEEDS_GUARD), list and
// map encodings, capture spans, scanMailbox, argument errors and the program validator.
// The randomized program-vs-matcher parity, on the twin and the native addon, is in
// test/native/matcher_parity.test.ts.
import t from 'tap';
import { termToBinary } from '../../src/codec/index.js';
import { BeamError, ErrorCode, InvalidArgumentError } from '../../src/errors/index.js';
import {
  CaptureKind,
  ImproperList,
  MATCH,
  MATCH_NEEDS_GUARD,
  NO_MATCH,
  P,
  Pid,
  atom,
  compilePattern,
  decodeCaptures,
  float,
  matchEncoded,
  runProgram,
  scanMailbox,
  tuple,
} from '../../src/term/index.js';
import type { PatternLike, Term } from '../../src/term/index.js';

const enc = (term: Term): Uint8Array => termToBinary(term, { jsTypes: true, minorVersion: 2 });
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const pid = new Pid(atom('nonode@nohost'), 3, 0, 0);
const [a, b] = [atom('a'), atom('b')];

/** Runs the pattern's program over the encoded term: [result, captures]. */
function run(pattern: PatternLike, term: Term): [number, Int32Array] {
  const m = compilePattern(pattern);
  const captures = new Int32Array(3 * m.captureNames.length);
  const message = enc(term);
  return [runProgram(m.program, message, 0, message.length, captures), captures];
}

const result = (pattern: PatternLike, term: Term): number => run(pattern, term)[0];

t.test('a program starts with the documented header', (t) => {
  const m = compilePattern(P.tuple(atom('ping'), P.capture('from', P.pid), P.oneOf(1, P.capture('n'))));
  const p = m.program;
  t.strictSame(Array.from(p.subarray(0, 4)), [0x42, 0x4a, 0x4d, 0x50], 'magic BJMP');
  t.equal(p[4], 1, 'version 1');
  t.equal(p[5], 0, 'no guards');
  t.equal(p[6]! | (p[7]! << 8), 2, 'two capture slots');
  t.equal(p[10]! | (p[11]! << 8), 1, 'alternatives nest one deep');
  const codeLength = p[12]! | (p[13]! << 8) | (p[14]! << 16) | (p[15]! << 24);
  t.equal(p[16 + codeLength - 1], 0x01, 'the code ends with MATCH');
  const pool = p.subarray(16 + codeLength);
  t.ok(Buffer.from(pool).includes(Buffer.from([119, 4, ...bytes('ping')])), 'the pool holds the atom ping as SMALL_ATOM_UTF8_EXT');
  t.equal(compilePattern(P.where(P.any, () => true)).program[5], 1, 'the guard flag');
  t.equal(m.program, p, 'built once');
  t.end();
});

t.test('literals compare across the in-VM encodings of =:= terms', (t) => {
  t.equal(result('abc', bytes('abc')), MATCH, 'a string literal matches a BINARY_EXT');
  t.equal(result(bytes('abc'), 'abc'), MATCH, 'a bytes literal matches a JS_EXT string');
  t.equal(result('abc', 'abd'), NO_MATCH);
  t.equal(result(1, 1n), MATCH, '1 matches 1n (JS_EXT bigint)');
  t.equal(result(2 ** 40, BigInt(2 ** 40)), MATCH, 'a SMALL_BIG number against a JS_EXT bigint');
  t.equal(result(-(2 ** 31), BigInt(-(2 ** 31))), MATCH, 'INTEGER_EXT limits');
  t.equal(result(2 ** 32 - 1, 2n ** 32n - 1n), MATCH);
  t.equal(result(1, float(1)), NO_MATCH, '1 is not 1.0');
  t.equal(result(300, 44), NO_MATCH);
  t.equal(result(-5, 5), NO_MATCH, 'signs');
  t.equal(result(2n ** 70n, 2n ** 70n + 1n), NO_MATCH);
  t.equal(result(float(0), float(-0)), MATCH, '0.0 =:= -0.0 in OTP 25');
  t.equal(result(atom('é'), atom('é')), MATCH);
  t.equal(result(pid, new Pid(atom('nonode@nohost'), 3, 0, 0)), MATCH);
  t.equal(result(pid, new Pid(atom('nonode@nohost'), 4, 0, 0)), NO_MATCH);
  t.equal(result(P.exact({ a: 1, b: 2 }), new Map([[b, 2], [a, 1]])), MATCH, 'a plain object literal and an atom-keyed Map');
  t.equal(result(P.exact({ a: 1 }), { a: 1, b: 2 }), NO_MATCH, 'P.exact is not partial');
  t.end();
});

t.test('lists of small integers (STRING_EXT) match list patterns element by element', (t) => {
  t.equal(enc([1, 2, 3])[1], 107, 'the codec writes [1, 2, 3] as STRING_EXT');
  const [r, c] = run([P.capture('x'), 2, P.integer], [1, 2, 3]);
  t.equal(r, MATCH);
  t.equal(c[0], CaptureKind.BYTE, 'an element of a STRING_EXT is captured as one byte');
  t.equal(result([1, 2], [1, 2, 3]), NO_MATCH, 'exact length');
  t.equal(result([1, P.atom, 3], [1, 2, 3]), NO_MATCH, 'a byte is not an atom');
  t.equal(result([1n, 2, 3], [1, 2, 3]), MATCH, 'a bigint literal against a byte');
  t.equal(result([float(1), 2, 3], [1, 2, 3]), NO_MATCH, 'a float literal against a byte');
  t.equal(result(P.cons([1], P.capture('t')), [1, 2, 3]), MATCH);
  t.equal(run(P.cons([1], P.capture('t')), [1, 2, 3])[1][0], CaptureKind.STRING_REST);
  t.equal(run(P.cons([1], P.capture('t')), [1, a])[1][0], CaptureKind.LIST_REST, 'a LIST_EXT rest');
  t.equal(run(P.cons([1, a], P.capture('t')), [1, a])[1][0], CaptureKind.TERM, 'no element left: the tail itself');
  t.equal(result(P.cons([1], []), [1]), MATCH, 'the implicit [] tail of a STRING_EXT');
  t.equal(result(P.cons([1], P.list), [1, 2]), MATCH);
  t.equal(result(P.cons([1], P.tupleOf()), [1, 2]), NO_MATCH);
  t.equal(result(P.tuple(P.capture('x'), [P.capture('x')]), tuple(7, [7])), MATCH, 'a term capture equals a byte capture');
  t.equal(result(P.tuple(P.capture('x'), [P.capture('x')]), tuple(7n, [7])), MATCH, 'a bigint capture equals a byte capture');
  t.equal(result(P.tuple(P.capture('x'), [P.capture('x')]), tuple(a, [7])), NO_MATCH);
  t.equal(result(P.tuple(P.capture('x'), P.capture('x')), tuple([1, 2], [1, 2])), MATCH, 'equal STRING_EXT terms');
  t.end();
});

t.test('capture spans decode to the captured terms', (t) => {
  const cases: [PatternLike, Term][] = [
    [P.tuple(P.capture('x'), P.any), tuple(tuple(1, 'two', [3]), 0)],
    [P.cons([P.any], P.capture('rest')), [a, b, 2n ** 80n]],
    [P.cons([P.any], P.capture('rest')), new ImproperList([a, b, 1], 2)],
    [P.cons([P.any], P.capture('rest')), [1, 2, 3]],
    [P.cons([1, 2, 3], P.capture('rest')), [1, 2, 3]],
    [[P.any, P.capture('x')], [4, 250]],
    [{ k: P.capture('v') }, new Map<Term, Term>([[atom('k'), new Map<Term, Term>([[1, 2]])]])],
  ];
  for (const [pattern, term] of cases) {
    const m = compilePattern(pattern);
    const message = enc(term);
    const captures = new Int32Array(3 * m.captureNames.length);
    t.equal(runProgram(m.program, message, 0, message.length, captures), MATCH);
    t.strictSame(decodeCaptures(m.captureNames, message, captures), m.match(term), `captures of ${JSON.stringify(m.captureNames)}`);
  }
  t.end();
});

t.test('maps: keys in any order, JS_EXT maps, missing keys, and maps too big to compare by bytes', (t) => {
  t.equal(result({ b: P.capture('v'), a: 1 }, { a: 1, b: 2 }), MATCH, 'keys in another order than the pattern');
  t.equal(result({ a: 1 }, new Map([[a, 1]])), MATCH, 'an atom-keyed Map (JS_EXT map)');
  t.equal(result({ a: 1 }, { b: 1 }), NO_MATCH);
  t.equal(result(P.map([['k', 1]]), new Map<Term, Term>([[bytes('k'), 1]])), MATCH, 'a string key finds a bytes key');
  t.equal(result(P.map([[1, P.any]]), new Map<Term, Term>([[1n, 1]])), MATCH);
  t.equal(result({}, []), NO_MATCH);
  const big1: Record<string, Term> = {};
  const big2: Record<string, Term> = {};
  for (let i = 0; i < 40; i++) big1[`k${i}`] = i;
  for (let i = 39; i >= 0; i--) big2[`k${i}`] = i;
  const m = compilePattern(P.tuple(P.capture('x'), P.capture('x')));
  const message = enc(tuple(big1, big2));
  const r = runProgram(m.program, message, 0, message.length, new Int32Array(3));
  t.ok(r === MATCH || r === MATCH_NEEDS_GUARD, 'equal maps of 40 keys are never reported unequal');
  t.ok(matchEncoded(m, message), 'and matchEncoded settles it in JS');
  big2.k3 = 'changed';
  t.equal(matchEncoded(m, enc(tuple(big1, big2))), undefined, 'unequal big maps do not match');
  t.end();
});

t.test('guards hand over to JS; a guard in an alternative that is not the last hands over at once', (t) => {
  t.equal(result(P.where(P.tuple(P.capture('n')), () => false), tuple(1)), MATCH_NEEDS_GUARD);
  t.equal(result(P.where(P.tuple(P.capture('n')), () => true), tuple(1, 2)), NO_MATCH, 'the structure is still checked');
  const alt = compilePattern(P.tuple(P.oneOf(P.where(1, () => false), 2), 3));
  const msg = enc(tuple(1, 4));
  t.equal(runProgram(alt.program, msg, 0, msg.length, new Int32Array(0)), MATCH_NEEDS_GUARD);
  t.equal(matchEncoded(alt, msg), undefined, 'JS decides: no match');
  const last = compilePattern(P.tuple(P.oneOf(2, P.where(1, () => false)), 3));
  t.equal(runProgram(last.program, msg, 0, msg.length, new Int32Array(0)), NO_MATCH, 'a guard in the last alternative only marks');
  t.end();
});

t.test('alternatives restore the position, the bindings and the list state they started from', (t) => {
  const m = compilePattern(P.oneOf(P.tuple(P.capture('x'), 1), P.tuple(2, P.capture('y'))));
  const message = enc(tuple(2, 5));
  const captures = new Int32Array(6);
  t.equal(runProgram(m.program, message, 0, message.length, captures), MATCH);
  t.equal(captures[0], CaptureKind.UNBOUND, 'x, bound by the failed alternative, is unbound');
  t.strictSame(decodeCaptures(m.captureNames, message, captures), { y: 5 });
  const rest = compilePattern(P.cons([1], P.oneOf([9, 9], P.cons([2], P.capture('t')))));
  t.strictSame(matchEncoded(rest, enc([1, 2, 3])), { t: [3] }, 'in a list rest');
  t.strictSame(matchEncoded(rest, enc([1, a, 3])), undefined);
  t.end();
});

t.test('corrupt, truncated or padded messages do not match; the version byte is optional', (t) => {
  const m = compilePattern(P.tuple(1, P.any));
  const good = enc(tuple(1, [a, 'x']));
  t.equal(runProgram(m.program, good, 0, good.length, new Int32Array(0)), MATCH);
  t.equal(runProgram(m.program, good, 1, good.length, new Int32Array(0)), MATCH, 'without the 131');
  for (let cut = 0; cut < good.length; cut++) {
    t.equal(runProgram(m.program, good, 0, cut, new Int32Array(0)), NO_MATCH, `truncated to ${cut} bytes`);
  }
  const padded = new Uint8Array(good.length + 1);
  padded.set(good);
  t.equal(runProgram(m.program, padded, 0, padded.length, new Int32Array(0)), NO_MATCH, 'a trailing byte');
  const lying = good.slice();
  lying[lying.indexOf(108) + 4] = 200; // LIST_EXT length far beyond the message
  t.equal(runProgram(m.program, lying, 0, lying.length, new Int32Array(0)), NO_MATCH, 'a length past the end');
  t.end();
});

t.test('scanMailbox returns the first matching message from fromIndex, or -1', (t) => {
  const m = compilePattern(P.tuple(atom('ping'), P.capture('n', P.integer)));
  const messages = [tuple(atom('pong'), 1), tuple(atom('ping'), 1.5), tuple(atom('ping'), 7), tuple(atom('ping'), 8)].map(enc);
  const total = messages.reduce((n, msg) => n + msg.length, 0);
  const buffer = new Uint8Array(new SharedArrayBuffer(total + 10));
  const offsets = new Int32Array(2 * messages.length);
  let at = 5;
  messages.forEach((msg, i) => {
    buffer.set(msg, at);
    offsets[2 * i] = at;
    offsets[2 * i + 1] = at + msg.length;
    at += msg.length;
  });
  const captures = new Int32Array(3);
  t.equal(scanMailbox(m.program, buffer, offsets, 4, 0, captures), 2);
  t.strictSame(decodeCaptures(m.captureNames, buffer, captures), { n: 7 }, 'captures are those of the found message');
  t.equal(scanMailbox(m.program, buffer, offsets, 4, 3, captures), 3);
  t.equal(scanMailbox(m.program, buffer, offsets, 2, 0, captures), -1, 'count bounds the scan');
  t.equal(scanMailbox(m.program, buffer, offsets, 4, 4, captures), -1, 'fromIndex = count');
  t.end();
});

t.test('bad arguments throw InvalidArgumentError naming the argument', (t) => {
  const m = compilePattern(P.capture('x'));
  const msg = enc(1);
  const err = (fn: () => unknown, message: RegExp, name: string): void => {
    t.throws(fn, { constructor: InvalidArgumentError, code: ErrorCode.INVALID_ARGUMENT, message }, name);
  };
  err(() => runProgram([1] as unknown as Uint8Array, msg, 0, 1, new Int32Array(3)), /^program must be a Uint8Array .*received an instance of Array/, 'program');
  err(() => runProgram(m.program, 'x' as unknown as Uint8Array, 0, 1, new Int32Array(3)), /^message must be a Uint8Array; received string "x"/, 'message');
  err(() => runProgram(m.program, msg, 0, msg.length + 1, new Int32Array(3)), /end <= message.length \(3\); received start 0, end 4/, 'end');
  err(() => runProgram(m.program, msg, 2, 1, new Int32Array(3)), /received start 2, end 1/, 'start > end');
  err(() => runProgram(m.program, msg, 0.5, 1, new Int32Array(3)), /received start 0.5/, 'fractional start');
  err(() => runProgram(m.program, msg, 0, 1, [] as unknown as Int32Array), /^captures must be an Int32Array/, 'captures type');
  err(() => runProgram(m.program, msg, 0, 1, new Int32Array(2)), /^captures must have at least 3 elements .* received an Int32Array of 2/, 'captures length');
  const offsets = new Int32Array([0, 2, 1, 99]);
  err(() => scanMailbox(m.program, msg, offsets, 3, 0, new Int32Array(3)), /^count must be an integer with 0 <= count <= offsets.length \/ 2 \(2\); received 3/, 'count');
  err(() => scanMailbox(m.program, msg, offsets, 2, 3, new Int32Array(3)), /^fromIndex must be .* received 3/, 'fromIndex');
  err(() => scanMailbox(m.program, msg, offsets, 2, 0, new Int32Array(3)), /^message 1 \(offsets\[2\] = 1, offsets\[3\] = 99\) is outside the buffer \(length 3\)/, 'a bad pair');
  t.end();
});

// ---------------------------------------------------------------------------------
// The validator, with programs assembled by hand

/** Assembles a program: header fields and code bytes (little-endian operands), then the pool. */
function assemble(fields: { slots?: number; registers?: number; depth?: number; code: number[]; pool?: number[] }): Uint8Array {
  const code = fields.code;
  const pool = fields.pool ?? [];
  const p = new Uint8Array(16 + code.length + pool.length);
  p.set([0x42, 0x4a, 0x4d, 0x50, 1, 0]);
  const view = new DataView(p.buffer);
  view.setUint16(6, fields.slots ?? 0, true);
  view.setUint16(8, fields.registers ?? 0, true);
  view.setUint16(10, fields.depth ?? 0, true);
  view.setUint32(12, code.length, true);
  p.set(code, 16);
  p.set(pool, 16 + code.length);
  return p;
}
const u16 = (v: number): number[] => [v & 0xff, v >> 8];
const u32 = (v: number): number[] => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];

t.test('the validator rejects malformed programs with BAD_PATTERN naming the problem and the byte', (t) => {
  const msg = enc(1);
  const bad = (program: Uint8Array, message: string, name: string): void => {
    t.throws(
      () => runProgram(program, msg, 0, msg.length, new Int32Array(30)),
      { constructor: BeamError, code: ErrorCode.BAD_PATTERN, message: `match program is malformed: ${message}` },
      name,
    );
  };
  t.equal(runProgram(assemble({ code: [0x03, 0x01] }), msg, 0, msg.length, new Int32Array(0)), MATCH, 'SKIP; MATCH is valid');
  bad(new Uint8Array(10), 'shorter than its 16-byte header (at byte 0)', 'short');
  const magic = assemble({ code: [0x01] });
  magic[0] = 0;
  bad(magic, 'bad magic (expected "BJMP") (at byte 0)', 'magic');
  const version = assemble({ code: [0x01] });
  version[4] = 9;
  bad(version, 'unsupported version 9 (at byte 4)', 'version');
  const length = assemble({ code: [0x01] });
  length[12] = 5;
  bad(length, 'code length 5 does not fit the program (17 bytes) (at byte 12)', 'code length');
  bad(assemble({ code: [0x77, 0x01] }), 'unknown opcode 0x77 (at byte 16)', 'opcode');
  bad(assemble({ code: [0x01, 0x07, 1, 0] }), 'truncated instruction (at byte 17)', 'truncated');
  bad(assemble({ code: [0x03] }), 'the last instruction falls through the end of the code (at byte 16)', 'fall through');
  bad(assemble({ code: [0x1b, ...u32(0), 0x01] }), 'bad jump target 0 (at byte 16)', 'a jump to itself');
  bad(assemble({ code: [0x03, 0x1b, ...u32(0), 0x01] }), 'bad jump target 0 (at byte 17)', 'a backward jump');
  bad(assemble({ code: [0x1b, ...u32(2), 0x01, 0x01] }), 'bad jump target 2 (at byte 16)', 'into an instruction');
  bad(assemble({ code: [0x08, ...u16(0), 0x01] }), 'register 0 out of range (0 registers) (at byte 16)', 'register');
  bad(assemble({ slots: 1, code: [0x14, ...u16(1), 0x01] }), 'capture slot 1 out of range (1 slots) (at byte 16)', 'slot');
  bad(assemble({ code: [0x04, ...u32(0), ...u32(2), 0x01], pool: [97] }), 'literal (0, 2) outside the pool (1 bytes) (at byte 16)', 'literal range');
  bad(assemble({ code: [0x04, ...u32(1), ...u32(2), 0x01], pool: [97, 1, 2] }), 'literal (1, 2) is not one well-formed term (at byte 16)', 'literal with garbage');
  bad(assemble({ code: [0x04, ...u32(0), ...u32(3), 0x01], pool: [97, 1, 2] }), 'literal (0, 3) is not one well-formed term (at byte 16)', 'literal too long');
  bad(assemble({ code: [0x05, 99, 0x01] }), 'unknown type test 99 (at byte 16)', 'type code');
  bad(assemble({ code: [0x17, ...u16(0xffff), ...u16(0), 0x01] }), 'ALT with no alternatives (at byte 16)', 'empty ALT');
  bad(assemble({ code: [0x17, ...u16(0xffff), ...u16(1), ...u32(9), 0x01] }), 'ALT in a program whose maximum nesting is 0 (at byte 16)', 'depth 0');
  bad(assemble({ code: [0x0b, ...u16(0), 2, ...u32(8), 0x01], registers: 1 }), 'bad flag 2 (at byte 16)', 'REST_TERM flag');
  t.end();
});

t.test('a valid program that misuses the choice stack is stopped with BAD_PATTERN, not run blindly', (t) => {
  const msg = enc(1);
  const stray = assemble({ code: [0x18, ...u32(5), 0x01] });
  t.throws(() => runProgram(stray, msg, 0, msg.length, new Int32Array(0)), {
    code: ErrorCode.BAD_PATTERN,
    message: 'match program is malformed: ALT_END outside an alternative (at byte 16)',
  });
  // ALT { ALT { SKIP } } with a declared depth of 1.
  const alt = (target: number): number[] => [0x17, ...u16(0xffff), ...u16(1), ...u32(target)];
  const deep = assemble({ depth: 1, code: [...alt(9), ...alt(18), 0x03, 0x18, ...u32(24), 0x18, ...u32(29), 0x01] });
  t.throws(() => runProgram(deep, msg, 0, msg.length, new Int32Array(0)), {
    code: ErrorCode.BAD_PATTERN,
    message: 'match program is malformed: alternatives nest deeper than the header says (at byte 25)',
  });
  const fine = deep.slice();
  fine[10] = 2;
  t.equal(runProgram(fine, msg, 0, msg.length, new Int32Array(0)), MATCH, 'with the right depth it runs');
  t.end();
});
