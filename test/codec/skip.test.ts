/**
 * Tests of src/codec/skip.ts (skipTerm): it finds the end of an encoded term without
 * building it, agrees with the decoder on every valid input, and rejects truncated or
 * impossible input with BadExternalTermError without walking past the end.
 */
import t from 'tap';
import { atom, tuple } from '../../src/term/index.js';
import { BadExternalTermError, ErrorCode } from '../../src/errors/index.js';
import { decodeTermAt, encodeTermBody, skipTerm, termToBinary } from '../../src/codec/index.js';
import type { EncodeOptions } from '../../src/codec/index.js';
import { TermGen, testSeed } from './codec_support.js';

t.test('skipTerm ends where the decoder ends, for random terms and every option set', async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed}`);
  const gen = new TermGen(seed, { jsTypes: true });
  const sets: EncodeOptions[] = [{}, { minorVersion: 0 }, { minorVersion: 2 }, { jsTypes: true, minorVersion: 2 }];
  let wrong = 0;
  for (let i = 0; i < 500; i++) {
    const term = gen.term();
    for (const options of sets) {
      const bytes = termToBinary(term, options);
      if (skipTerm(bytes, 1) !== bytes.length) wrong++;
      if (decodeTermAt(bytes, 1, { jsTypes: true }).end !== bytes.length) wrong++;
    }
  }
  t.equal(wrong, 0);
});

t.test('skipTerm skips one term among several, at any offset', async (t) => {
  const a = encodeTermBody(tuple(atom('a'), [1, 2, 3], 'x'));
  const b = encodeTermBody({ k: 2n ** 80n });
  const buf = new Uint8Array(2 + a.length + b.length);
  buf.set(a, 2);
  buf.set(b, 2 + a.length);
  t.equal(skipTerm(buf, 2), 2 + a.length);
  t.equal(skipTerm(buf, 2 + a.length), buf.length);
  t.equal(skipTerm(buf, 2 + 2), 2 + 2 + 4, 'the atom inside the tuple');
});

t.test('skipTerm handles deep nesting and long lists without recursion', async (t) => {
  const depth = 200_000;
  const deep = new Uint8Array(2 * depth + 2);
  for (let i = 0; i < depth; i++) deep.set([104, 1], 2 * i);
  deep.set([97, 1], 2 * depth);
  t.equal(skipTerm(deep, 0), deep.length, 'a 200,000-deep tuple');
  const n = 1_000_000;
  const list = new Uint8Array(5 + n + 1);
  list.set([108, 0, 15, 66, 64]);
  list.fill(106, 5);
  t.equal(skipTerm(list, 0), list.length, 'a list of a million []');
});

t.test('skipTerm rejects truncated and impossible input with the offset', async (t) => {
  const bad = (bytes: number[], message: RegExp, offset?: number): void => {
    const expected: Record<string, unknown> = { constructor: BadExternalTermError, code: ErrorCode.BAD_EXTERNAL_TERM, message };
    if (offset !== undefined) expected.offset = offset;
    t.throws(() => skipTerm(new Uint8Array(bytes), 0), expected as unknown as Error, String(message));
  };
  bad([], /expected a term/, 0);
  bad([98, 0, 0], /INTEGER_EXT needs 4 bytes/, 1);
  bad([109, 0, 0, 0, 5, 1], /BINARY_EXT data needs 5 bytes, only 1 remain/, 5);
  bad([100, 0, 3, 97], /atom name needs 3 bytes/);
  bad([108, 255, 255, 255, 255, 106], /list claims 4294967296 elements but only 1 bytes remain/, 0);
  bad([104, 3, 97, 1], /tuple claims 3 elements/, 0);
  bad([116, 0, 0, 0, 9, 97], /map claims 18 elements/);
  bad([104, 2, 97, 1], /expected a term/, 4);
  bad([88, 97, 1], /expected the pid node as an atom, found SMALL_INTEGER_EXT/, 1);
  bad([112, 0, 0, 0, 3], /NEW_FUN_EXT Size 3 is too small/);
  bad([200], /unknown tag 200/, 0);
  bad([80, 0, 0, 0, 1], /compressed term \(tag 80\) may only follow/);
  bad([82, 1], /ATOM_CACHE_REF/);
  bad([74, 7], /unknown JS_EXT subtype 7/);
  bad([74, 1, 0, 0, 0, 9], /JS_EXT string data needs 9 bytes/);
  t.throws(() => skipTerm(new Uint8Array(1), -1), { code: ErrorCode.BAD_EXTERNAL_TERM, message: /tagOffset must be a non-negative integer/ });
});
