/**
 * Bitstrings whose length is not a whole number of bytes.
 *
 * Binaries (whole bytes) are `Uint8Array` or, for UTF-8 text, `string`. A `BitString`
 * is only for the rest: `bitLength` is not a multiple of 8. The last byte holds
 * `bitLength % 8` significant bits in its high end; the unused low bits are zero.
 *
 * Invariants: `bytes.length === Math.ceil(bitLength / 8)`; `bitLength % 8 !== 0`;
 * unused bits are zero (the constructor clears them), so equal bitstrings have equal bytes.
 *
 * Thread-safety: immutable by contract (the bytes are not copied on read).
 */
import { InvalidArgumentError } from '../errors/index.js';

export class BitString {
  readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array, readonly bitLength: number) {
    if (!Number.isSafeInteger(bitLength) || bitLength < 0) {
      throw new InvalidArgumentError(`bitLength must be a non-negative integer; received ${bitLength}`);
    }
    if (bitLength % 8 === 0) {
      throw new InvalidArgumentError(
        `bitLength must not be a multiple of 8 (received ${bitLength}); a whole-byte bitstring is a Uint8Array`,
      );
    }
    const byteLength = Math.ceil(bitLength / 8);
    if (bytes.length !== byteLength) {
      throw new InvalidArgumentError(
        `bytes must have ${byteLength} bytes for ${bitLength} bits; received ${bytes.length} bytes`,
      );
    }
    const usedBits = bitLength % 8;
    const last = bytes[byteLength - 1]!;
    const masked = last & ((0xff << (8 - usedBits)) & 0xff);
    if (masked !== last) {
      const copy = bytes.slice();
      copy[byteLength - 1] = masked;
      this.bytes = copy;
    } else {
      this.bytes = bytes;
    }
  }

  /** Bits used in the last byte (1..7), as BIT_BINARY_EXT's `Bits` field. */
  get trailingBits(): number {
    return this.bitLength % 8;
  }
}
