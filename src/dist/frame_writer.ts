/**
 * FrameWriter: the outgoing half of a distribution connection after the handshake. It
 * encodes each frame (4-byte length, 112, control term, optional payload term; the layout
 * table is in connection.ts) straight into a slab, and writes everything queued during one
 * callback of the event loop to the socket as ONE buffer, from process.nextTick: a scheduler
 * batch that sends to 64 remote processes costs one write(2), not 64.
 *
 * Why nextTick: sends come from a scheduler batch (a setImmediate callback), from a socket
 * 'data' callback (net_kernel replies) or from a promise continuation (the threaded VM's ring
 * drain); a tick queued by the first frame runs when that callback (or that microtask
 * checkpoint) is done, before the event loop polls again. So batching adds no event-loop turn
 * of latency, and a lone frame (one process pair) is written as soon as the code that sent it
 * returns to the loop. (queueMicrotask would do too, but wraps each callback in an
 * AsyncResource: measurably dearer per frame.)
 *
 * Invariants:
 *   - Frames reach the socket in the order `frame` / `tick` were called (one byte stream,
 *     appended in call order; a flush writes the whole queued range, oldest first).
 *   - A frame is either queued whole or not at all: if encoding throws (a value that is not a
 *     term), nothing of it is queued and the exception reaches the caller.
 *   - Bytes handed to `socket.write` are never written again: the slab is a bump allocator;
 *     written ranges stay untouched (Node may still hold them until the kernel took them), and
 *     a full slab is left to the garbage collector once its writes completed.
 *
 * Slab: SLAB_BYTES (64 KiB); a frame too big for what is left moves to a new slab of
 * max(SLAB_BYTES, its exact size) after the queued range is written (order is kept).
 *
 * Threads: owned by the one Connection that feeds it, on the thread owning the socket.
 * Bad input: see the second invariant; a destroyed socket makes flush a no-op.
 */
import type net from 'node:net';
import { encodeInto, encodedSize } from '../codec/index.js';
import type { Term } from '../term/index.js';

/** First byte of a frame body: pass-through (no distribution header). */
export const PASS_THROUGH = 112;
/** Bytes of the length prefix. */
const LENGTH_BYTES = 4;
/** Length prefix + the pass-through byte. */
const FRAME_HEAD_BYTES = LENGTH_BYTES + 1;
const SLAB_BYTES = 64 * 1024;

export class FrameWriter {
  readonly #socket: net.Socket;
  #slab: Buffer = Buffer.allocUnsafe(SLAB_BYTES);
  /** Start of the queued, not yet written range of `#slab`. */
  #queuedFrom = 0;
  /** End of the queued range (next free byte). */
  #end = 0;
  #flushScheduled = false;
  readonly #flushNow = (): void => {
    this.#flushScheduled = false;
    this.flush();
  };

  constructor(socket: net.Socket) {
    this.#socket = socket;
  }

  /** Bytes queued and not yet handed to the socket. */
  get queued(): number {
    return this.#end - this.#queuedFrom;
  }

  /** Queues one frame: `control` and, when given, `payload` (both ETF with 131). */
  frame(control: Term, payload?: Term): void {
    if (!this.#encodeAt(this.#slab, control, payload)) {
      this.#writeQueued();
      const size = FRAME_HEAD_BYTES + encodedSize(control) + (payload === undefined ? 0 : encodedSize(payload));
      this.#slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, size));
      this.#queuedFrom = this.#end = 0;
      if (!this.#encodeAt(this.#slab, control, payload)) throw new Error(`FrameWriter: a frame of ${size} bytes did not fit a slab of its size`);
    }
    this.#schedule();
  }

  /** Queues a tick (a frame of length 0). */
  tick(): void {
    if (this.#slab.length - this.#end < LENGTH_BYTES) this.#newSlab();
    this.#slab.writeUInt32BE(0, this.#end);
    this.#end += LENGTH_BYTES;
    this.#schedule();
  }

  /** Writes the queued range now (one socket.write); a no-op when nothing is queued or the socket is gone. */
  flush(): void {
    if (this.#end === this.#queuedFrom) return;
    this.#writeQueued();
    if (this.#slab.length - this.#end < FRAME_HEAD_BYTES + 16) this.#newSlab();
  }

  #writeQueued(): void {
    if (this.#end === this.#queuedFrom) return;
    const bytes = this.#slab.subarray(this.#queuedFrom, this.#end);
    this.#queuedFrom = this.#end;
    if (!this.#socket.destroyed) this.#socket.write(bytes);
  }

  /** Encodes one frame at `#end` of `slab`; false (nothing queued) when it does not fit. */
  #encodeAt(slab: Buffer, control: Term, payload: Term | undefined): boolean {
    const start = this.#end;
    if (slab.length - start < FRAME_HEAD_BYTES + 1) return false;
    const headEnd = encodeInto(control, slab, start + FRAME_HEAD_BYTES);
    if (headEnd < 0) return false;
    let end = headEnd;
    if (payload !== undefined) {
      end = encodeInto(payload, slab, headEnd);
      if (end < 0) return false;
    }
    slab.writeUInt32BE(end - start - LENGTH_BYTES, start);
    slab[start + LENGTH_BYTES] = PASS_THROUGH;
    this.#end = end;
    return true;
  }

  /** A fresh slab; the queued range (if any) is copied over so that it stays one buffer. */
  #newSlab(): void {
    const queued = this.#slab.subarray(this.#queuedFrom, this.#end);
    const fresh = Buffer.allocUnsafe(Math.max(SLAB_BYTES, queued.length * 2));
    fresh.set(queued, 0);
    this.#slab = fresh;
    this.#queuedFrom = 0;
    this.#end = queued.length;
  }

  #schedule(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    process.nextTick(this.#flushNow);
  }
}
