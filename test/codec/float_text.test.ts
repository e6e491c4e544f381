/**
 * Tests of src/codec/float_text.ts: FLOAT_EXT's printf("%.20e") text. Expected strings
 * are erl 25's output (term_to_binary(F, [{minor_version, 0}])), copied by hand.
 */
import t from 'tap';
import { formatFloatExt, parseFloatExt } from '../../src/codec/float_text.js';

t.test('formats like glibc printf %.20e', async (t) => {
  t.equal(formatFloatExt(1.5), '1.50000000000000000000e+00');
  t.equal(formatFloatExt(1e300), '1.00000000000000005250e+300');
  t.equal(formatFloatExt(-0), '-0.00000000000000000000e+00');
  t.equal(formatFloatExt(0), '0.00000000000000000000e+00');
  t.equal(formatFloatExt(0.1), '1.00000000000000005551e-01');
  t.equal(formatFloatExt(5e-324), '4.94065645841246544177e-324');
  t.equal(formatFloatExt(1.7976931348623157e308), '1.79769313486231570815e+308');
  t.equal(formatFloatExt(9.999999999999999e22), '9.99999999999999916114e+22');
});

t.test('exact ties at the 22nd digit round half to even, as glibc does', async (t) => {
  // -2662638435140.251953125 has exactly 22 significant digits; erl 25 writes ...312.
  t.equal(formatFloatExt(-2662638435140.251953125), '-2.66263843514025195312e+12');
  t.equal(formatFloatExt(28683924884390.33203125), '2.86839248843903320312e+13');
  t.equal(formatFloatExt(0.5), '5.00000000000000000000e-01');
});

t.test('parses printf-shaped text and rejects anything else', async (t) => {
  const field = (s: string): Uint8Array => {
    const out = new Uint8Array(31);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  };
  t.equal(parseFloatExt(field('1.50000000000000000000e+00'), 0), 1.5);
  t.equal(parseFloatExt(field('-2.5'), 0), -2.5);
  t.equal(parseFloatExt(field('15'), 0), undefined, 'no decimal point');
  t.equal(parseFloatExt(field(' 1.5'), 0), undefined, 'leading space');
  t.equal(parseFloatExt(field('1.5x'), 0), undefined, 'trailing garbage');
  t.equal(parseFloatExt(field('1.0e400'), 0), undefined, 'not finite');
  t.equal(parseFloatExt(field(''), 0), undefined);
});
