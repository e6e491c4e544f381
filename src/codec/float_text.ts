/**
 * FLOAT_EXT's text form: the 31-byte field holding C's `printf("%.20e", x)`, NUL
 * padded, used by `term_to_binary(F, [{minor_version, 0}])` and by old nodes.
 *
 * Writing: 21 significant digits of the exact binary value, rounded to nearest with
 * ties to even, as glibc's printf does. (`toExponential(20)` is not enough: it rounds
 * ties up, and ties do occur, e.g. -2662638435140.251953125 has exactly 22 digits.)
 * The exponent has at least two digits (`e+00`); -0.0 keeps its sign, as in printf.
 *
 * Reading: the text up to the first NUL must look like what printf writes (sign,
 * digits, '.', digits, optional exponent); erl 25 rejects "15" or " 1.5", and so do we.
 * The value must be finite.
 *
 * Thread-safety: pure functions.
 */
import { FLOAT_EXT_TEXT_BYTES } from './tags.js';

/** The printf "%.20e" text of a finite number (ASCII, at most 27 characters). */
export function formatFloatExt(x: number): string {
  const negative = x < 0 || (x === 0 && 1 / x < 0);
  if (x === 0) return `${negative ? '-' : ''}0.${'0'.repeat(SIGNIFICANT - 1)}e+00`;
  // The exact value is m × 2^e; its decimal digits are those of m × 2^e (e ≥ 0) or of
  // m × 5^-e scaled by 10^e (e < 0): exact, so that ties can be seen and rounded half
  // to even as glibc does (JS's toExponential rounds ties up).
  bits.setFloat64(0, negative ? -x : x);
  const hi = bits.getUint32(0);
  const lo = bits.getUint32(4);
  const biased = hi >>> 20;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (biased === 0) {
    e = -1074;
  } else {
    m |= 1n << 52n;
    e = biased - 1075;
  }
  let digits: string;
  let exp10: number;
  if (e >= 0) {
    digits = (m << BigInt(e)).toString();
    exp10 = digits.length - 1;
  } else {
    digits = (m * 5n ** BigInt(-e)).toString();
    exp10 = digits.length - 1 + e;
  }
  let head: string;
  if (digits.length <= SIGNIFICANT) {
    head = digits.padEnd(SIGNIFICANT, '0');
  } else {
    head = digits.slice(0, SIGNIFICANT);
    const next = digits.charCodeAt(SIGNIFICANT) - 48;
    let up = next > 5;
    if (next === 5) {
      let beyond = false;
      for (let i = SIGNIFICANT + 1; i < digits.length; i++) {
        if (digits.charCodeAt(i) !== 48) {
          beyond = true;
          break;
        }
      }
      up = beyond || (head.charCodeAt(SIGNIFICANT - 1) - 48) % 2 === 1;
    }
    if (up) {
      head = (BigInt(head) + 1n).toString();
      if (head.length > SIGNIFICANT) {
        head = head.slice(0, SIGNIFICANT);
        exp10++;
      }
    }
  }
  const expText = String(Math.abs(exp10)).padStart(2, '0');
  return `${negative ? '-' : ''}${head[0]}.${head.slice(1)}e${exp10 < 0 ? '-' : '+'}${expText}`;
}

/** printf's "%.20e" shows 21 significant digits. */
const SIGNIFICANT = 21;
const bits = new DataView(new ArrayBuffer(8));

/** Writes the 31-byte FLOAT_EXT field of `x` at `out[at..]`. */
export function writeFloatExt(x: number, out: Uint8Array, at: number): void {
  const text = formatFloatExt(x);
  let i = 0;
  for (; i < text.length; i++) out[at + i] = text.charCodeAt(i);
  for (; i < FLOAT_EXT_TEXT_BYTES; i++) out[at + i] = 0;
}

const FLOAT_TEXT = /^[+-]?[0-9]+\.[0-9]+(?:[eE][+-]?[0-9]+)?$/;

/** The value of a FLOAT_EXT field at `bytes[at..at + 31)`, or undefined if it is not a float. */
export function parseFloatExt(bytes: Uint8Array, at: number): number | undefined {
  let text = '';
  for (let i = 0; i < FLOAT_EXT_TEXT_BYTES; i++) {
    const c = bytes[at + i]!;
    if (c === 0) break;
    text += String.fromCharCode(c);
  }
  if (!FLOAT_TEXT.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}
