/**
 * Splits a TCP byte stream into length-prefixed frames: 2-byte lengths during the
 * distribution handshake (and for epmd requests), 4-byte lengths after it.
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
    if (this.#chunks.length > 1 && this.#chunks[0]!.length < n) this.#flatten();
    const head = this.#chunks[0]!;
    const len = n === 2 ? head.readUInt16BE(0) : head.readUInt32BE(0);
    if (len > this.#maxFrame) throw new DistProtocolError(`frame of ${len} bytes is longer than the limit of ${this.#maxFrame}`);
    if (this.#buffered < n + len) return undefined;
    if (head.length < n + len) this.#flatten();
    const first = this.#chunks[0]!;
    const frame = first.subarray(n, n + len);
    if (first.length === n + len) this.#chunks.shift();
    else this.#chunks[0] = first.subarray(n + len);
    this.#buffered -= n + len;
    return frame;
  }

  #flatten(): void {
    this.#chunks = [Buffer.concat(this.#chunks)];
  }
}
