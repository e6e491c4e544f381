/**
 * Splits a TCP byte stream into length-prefixed frames: 2-byte lengths during the
 * distribution handshake (and for epmd requests), 4-byte lengths after it.
 *
 * Copies: a frame lying in one chunk is returned as a view of it (no copy); a frame spanning
 * chunks is copied once into a buffer of its own size, and only the chunks it spans are
 * touched (no concatenation of everything buffered).
 *
 * Invariants: `push` never loses bytes: whatever follows the last complete frame stays
 * buffered, and `switchTo(4)` keeps it (a peer may send its first 4-byte frame in the same
 * TCP segment as its last handshake frame). A frame longer than `maxFrame` is a
 * DistProtocolError (the connection is then closed by the owner).
 *
 * Threads: owned by the one connection that feeds it.
 */
import { DistProtocolError } from './errors.js';

export class FrameReader {
  #chunks: Buffer[] = [];
  #buffered = 0;
  #lengthBytes: 2 | 4;
  readonly #maxFrame: number;

  constructor(lengthBytes: 2 | 4, maxFrame = 0x7fffffff) {
    this.#lengthBytes = lengthBytes;
    this.#maxFrame = maxFrame;
  }

  /** Changes the length prefix for the frames still to come. */
  switchTo(lengthBytes: 2 | 4): void {
    this.#lengthBytes = lengthBytes;
  }

  /** Bytes buffered and not yet returned as a frame. */
  get buffered(): number {
    return this.#buffered;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /** The next complete frame (without its length), or undefined if more bytes are needed. */
  next(): Buffer | undefined {
    const n = this.#lengthBytes;
    if (this.#buffered < n) return undefined;
    const len = this.#peekLength(n);
    if (len > this.#maxFrame) throw new DistProtocolError(`frame of ${len} bytes is longer than the limit of ${this.#maxFrame}`);
    if (this.#buffered < n + len) return undefined;
    const first = this.#chunks[0]!;
    if (first.length >= n + len) {
      // The common case: the whole frame lies in the first chunk; no copy.
      const frame = first.subarray(n, n + len);
      if (first.length === n + len) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n + len);
      this.#buffered -= n + len;
      return frame;
    }
    this.#skip(n);
    return this.#take(len);
  }

  /** The length prefix at the front (the caller checked that `n` bytes are buffered). */
  #peekLength(n: 2 | 4): number {
    const head = this.#chunks[0]!;
    if (head.length >= n) return n === 2 ? head.readUInt16BE(0) : head.readUInt32BE(0);
    let value = 0;
    let got = 0;
    for (const chunk of this.#chunks) {
      for (let i = 0; i < chunk.length && got < n; i++, got++) value = value * 256 + chunk[i]!;
      if (got === n) break;
    }
    return value;
  }

  /** Drops `count` buffered bytes from the front (count <= buffered). */
  #skip(count: number): void {
    this.#buffered -= count;
    while (count > 0) {
      const head = this.#chunks[0]!;
      if (head.length <= count) {
        count -= head.length;
        this.#chunks.shift();
      } else {
        this.#chunks[0] = head.subarray(count);
        count = 0;
      }
    }
  }

  /**
   * The first `count` buffered bytes as one buffer (count <= buffered). Only the chunks the
   * frame spans are copied, once; the rest stays as it came.
   */
  #take(count: number): Buffer {
    const head = this.#chunks[0];
    if (head !== undefined && head.length >= count) {
      const frame = head.subarray(0, count);
      this.#skip(count);
      return frame;
    }
    const frame = Buffer.allocUnsafe(count);
    let filled = 0;
    while (filled < count) {
      const chunk = this.#chunks[0]!;
      const part = Math.min(chunk.length, count - filled);
      frame.set(part === chunk.length ? chunk : chunk.subarray(0, part), filled);
      filled += part;
      if (part === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(part);
    }
    this.#buffered -= count;
    return frame;
  }
}
