/**
 * Tests of src/codec/compression.ts: when termToBinary compresses (erts's rule: only
 * when the zlib stream is at most bodyLength - 5 bytes), and how compressed input is
 * checked (declared size, corrupt or short streams, bytes after the stream).
 */
import t from 'tap';
import { deflateSync } from 'node:zlib';
import { atom } from '../../src/term/index.js';
import { BadExternalTermError, ErrorCode } from '../../src/errors/index.js';
import { binaryToTerm, decodeFrom, termToBinary } from '../../src/codec/index.js';

const u32 = (n: number): number[] => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];

t.test('a compressible term is compressed and decodes back', async (t) => {
  const term = new Array<unknown>(1000).fill(atom('abcdef')) as never[];
  const plain = termToBinary(term);
  const packed = termToBinary(term, { compressed: true });
  t.equal(packed[1], 80, 'tag 80');
  t.same([...packed.subarray(2, 6)], u32(plain.length - 1), 'the uncompressed size of the body');
  t.ok(packed.length < plain.length);
  t.same(binaryToTerm(packed), term);
  const level9 = termToBinary(term, { compressed: 9 });
  t.same(binaryToTerm(level9), term, 'any level decodes');
});

t.test('compression is used only when the result is not longer (erts rule)', async (t) => {
  t.same([...termToBinary(atom('a'), { compressed: true })], [131, 100, 0, 1, 97], 'tiny terms stay plain');
  const random = new Uint8Array(500);
  for (let i = 0; i < random.length; i++) random[i] = (i * 7919 + 13) % 251;
  const noisy = termToBinary(random, { compressed: true });
  const body = random.length + 5;
  const stream = deflateSync(termToBinary(random).subarray(1)).length;
  t.equal(noisy[1] === 80, stream <= body - 5, `compressed iff the stream (${stream}) fits in ${body - 5} bytes`);
  t.equal(termToBinary(new Array<number>(300).fill(1), { compressed: 0 })[1], 107, 'level 0 never compresses');
});

t.test('bad compressed input is rejected with the offset', async (t) => {
  const body = [...termToBinary(new Array<number>(200).fill(5)).subarray(1)];
  const stream = [...deflateSync(new Uint8Array(body))];
  const bad = (bytes: number[], message: RegExp): void => {
    t.throws(() => binaryToTerm(new Uint8Array(bytes)), { constructor: BadExternalTermError, code: ErrorCode.BAD_EXTERNAL_TERM, message } as unknown as Error, String(message));
  };
  t.same(binaryToTerm(new Uint8Array([131, 80, ...u32(body.length), ...stream])), new Array<number>(200).fill(5), 'well formed');
  bad([131, 80, ...u32(body.length + 1), ...stream], /inflates to 203 bytes, but declares 204/);
  bad([131, 80, ...u32(body.length - 1), ...stream], /does not inflate to its declared 202 bytes/);
  bad([131, 80, ...u32(body.length), ...stream.slice(0, stream.length - 3)], /does not inflate/);
  bad([131, 80, ...u32(body.length), 1, 2, 3, 4], /does not inflate/);
  bad([131, 80, 0, 0], /compressed term needs a 4-byte size/);
  bad([131, 80, ...u32(0), ...stream], /declares an uncompressed size of 0/);
  bad([131, 80, ...u32(0xffffffff), ...stream], /inflates to|declares 4294967295 bytes/);
  bad([131, 80, ...u32(body.length), ...stream, 9], /1 trailing bytes/);
  const inner = [...deflateSync(new Uint8Array([97, 1, 0]))];
  bad([131, 80, ...u32(3), ...inner], /compressed term has 1 bytes after the term/);
});

t.test('decodeFrom reports the end of the zlib stream', async (t) => {
  const packed = termToBinary(new Array<unknown>(100).fill(atom('zz')) as never[], { compressed: true });
  const buf = new Uint8Array(packed.length + 4);
  buf.set(packed);
  buf.set([131, 97, 7], packed.length);
  const first = decodeFrom(buf, 0);
  t.equal(first.end, packed.length);
  t.equal(decodeFrom(buf, first.end).term, 7);
});
