/**
 * Fuzzing the decoder and skipTerm: seeded random mutations and truncations of valid
 * encodings (20,000+ cases; the seed is printed, BEAMJS_SEED=<n> replays). Every case
 * must either decode or throw BadExternalTermError (never another error, never hang),
 * and whenever the decoder accepts a term, skipTerm must agree on where it ends.
 */
import t from 'tap';
import { BadExternalTermError } from '../../src/errors/index.js';
import { binaryToTerm, decodeTermAt, skipTerm, termToBinary } from '../../src/codec/index.js';
import type { DecodeOptions, EncodeOptions } from '../../src/codec/index.js';
import { TermGen, mulberry32, testSeed } from './codec_support.js';

const CASES = 24_000;

t.test(`${CASES} mutated encodings decode or throw BadExternalTermError`, async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed} (set BEAMJS_SEED=${seed} to replay)`);
  const rand = mulberry32(seed ^ 0x9e3779b9);
  const int = (n: number): number => Math.floor(rand() * n);
  const gen = new TermGen(seed, { jsTypes: true });
  const encodeSets: EncodeOptions[] = [{}, { minorVersion: 0 }, { minorVersion: 2 }, { jsTypes: true, minorVersion: 2 }, { compressed: true }];
  const decodeSets: DecodeOptions[] = [{}, { jsTypes: true }, { binaries: 'string' }, { safe: true }, { copyBinaries: false, binaries: 'bytes' }];
  const corpus: Uint8Array[] = [];
  while (corpus.length < 400) {
    const bytes = termToBinary(gen.term(), encodeSets[int(encodeSets.length)]);
    if (bytes.length <= 4096) corpus.push(bytes);
  }
  const mutate = (input: Uint8Array): Uint8Array => {
    const b = Array.from(input);
    const edits = 1 + int(3);
    for (let e = 0; e < edits; e++) {
      const at = int(b.length);
      switch (int(7)) {
        case 0:
          b[at] = int(256);
          break;
        case 1:
          b[at] = b[at]! ^ (1 << int(8));
          break;
        case 2:
          b.length = at; // truncate
          break;
        case 3:
          b.splice(at, 0, int(256));
          break;
        case 4:
          b.splice(at, 1 + int(4));
          break;
        case 5: // an absurd 32-bit length somewhere
          b.splice(at, 4, 0xff, 0xff, 0xff, int(256));
          break;
        default:
          b.push(...b.slice(at, at + int(16)));
      }
    }
    return new Uint8Array(b);
  };
  const unexpected: string[] = [];
  let decoded = 0;
  let rejected = 0;
  for (let i = 0; i < CASES; i++) {
    const input = mutate(corpus[int(corpus.length)]!);
    const options = decodeSets[int(decodeSets.length)];
    try {
      binaryToTerm(input, options);
      decoded++;
    } catch (error) {
      if (error instanceof BadExternalTermError) rejected++;
      else unexpected.push(`case ${i} binaryToTerm: ${String(error)} input ${Buffer.from(input).toString('hex').slice(0, 120)}`);
    }
    if (input.length > 1 && input[1] !== 80) {
      let skipEnd: number | undefined;
      try {
        skipEnd = skipTerm(input, 1);
      } catch (error) {
        if (!(error instanceof BadExternalTermError)) unexpected.push(`case ${i} skipTerm: ${String(error)}`);
      }
      try {
        const { end } = decodeTermAt(input, 1, { jsTypes: true });
        if (skipEnd !== end) unexpected.push(`case ${i}: decodeTermAt ends at ${end}, skipTerm at ${String(skipEnd)}`);
      } catch (error) {
        if (!(error instanceof BadExternalTermError)) unexpected.push(`case ${i} decodeTermAt: ${String(error)}`);
      }
    }
  }
  t.comment(`${decoded} decoded, ${rejected} rejected`);
  t.ok(rejected > CASES / 10, 'most mutations are caught');
  t.same(unexpected.slice(0, 10), [], `${unexpected.length} unexpected outcomes`);
});
