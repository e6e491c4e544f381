/**
 * Compressed external terms: `131, 80, UncompressedSize:32, zlib stream`.
 *
 * Compressing follows erts's rule exactly (checked against erl 25 on 2,000 binaries of
 * varied compressibility): with a level from 1 to 9, deflate the term body (everything
 * after the 131); use the compressed form iff the zlib stream is at most
 * `bodyLength - 5` bytes long, i.e. iff the compressed encoding is not longer than the
 * plain one. Level 0 means no compression, as `{compressed, 0}` in erl.
 *
 * Byte identity: Node bundles Chromium's zlib, whose deflate output differs from the
 * zlib erl links (same format and parameters, different matcher), so a compressed
 * encoding is a valid term erl reads back, but its bytes, and near the threshold even
 * the choice to compress, can differ from erl's. Decompressed contents are identical.
 *
 * Decompressing checks the declared size: the stream must inflate to exactly that many
 * bytes (inflation is capped there, so a lying size cannot make it allocate more), and
 * a size too large for a buffer, a corrupt stream or a short one is a
 * BadExternalTermError with the offset.
 *
 * Thread-safety: stateless (node:zlib's synchronous calls).
 */
import { constants as bufferConstants } from 'node:buffer';
import { deflateSync, inflateSync } from 'node:zlib';
import { BadExternalTermError } from '../errors/index.js';
import { Tag, VERSION } from './tags.js';

/**
 * `encoded` is a whole plain encoding (starting with 131). Returns the compressed
 * encoding when it is not longer, else `encoded` itself.
 */
export function compressEncoded(encoded: Uint8Array, level: number): Uint8Array {
  const bodyLength = encoded.length - 1;
  if (level === 0 || bodyLength <= 5) return encoded;
  const deflated = deflateSync(encoded.subarray(1), { level });
  if (deflated.length > bodyLength - 5) return encoded;
  const out = new Uint8Array(6 + deflated.length);
  out[0] = VERSION;
  out[1] = Tag.COMPRESSED;
  out[2] = bodyLength >>> 24;
  out[3] = (bodyLength >>> 16) & 0xff;
  out[4] = (bodyLength >>> 8) & 0xff;
  out[5] = bodyLength & 0xff;
  out.set(deflated, 6);
  return out;
}

/**
 * Inflates the compressed term whose tag (80) is at `tagOffset`, reading no further than
 * `end`. Returns the term body and the offset just after the zlib stream.
 */
export function inflateTerm(bytes: Uint8Array, tagOffset: number, end: number): { body: Uint8Array; end: number } {
  const sizeAt = tagOffset + 1;
  if (sizeAt + 4 > end) throw new BadExternalTermError('truncated input: compressed term needs a 4-byte size', sizeAt);
  const size = ((bytes[sizeAt]! << 24) | (bytes[sizeAt + 1]! << 16) | (bytes[sizeAt + 2]! << 8) | bytes[sizeAt + 3]!) >>> 0;
  if (size === 0) throw new BadExternalTermError('compressed term declares an uncompressed size of 0', sizeAt);
  if (size > bufferConstants.MAX_LENGTH) {
    throw new BadExternalTermError(`compressed term declares ${size} bytes, more than a buffer can hold`, sizeAt);
  }
  const streamAt = sizeAt + 4;
  let result: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    // A copy: node:zlib does not accept every view (e.g. of a SharedArrayBuffer).
    const input = bytes.slice(streamAt, end);
    result = inflateSync(input, { info: true, maxOutputLength: size }) as unknown as typeof result;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new BadExternalTermError(`compressed term does not inflate to its declared ${size} bytes: ${reason}`, streamAt);
  }
  if (result.buffer.length !== size) {
    throw new BadExternalTermError(
      `compressed term inflates to ${result.buffer.length} bytes, but declares ${size}`,
      streamAt,
    );
  }
  const body = new Uint8Array(result.buffer.buffer, result.buffer.byteOffset, result.buffer.length);
  return { body, end: streamAt + result.engine.bytesWritten };
}
