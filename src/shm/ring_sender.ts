/**
 * RingSender: the producer side of a ring as the layers above use it. It never drops and never
 * reorders a record: a record that finds the ring full waits in a local backlog, and a record
 * too large for the ring travels out of band (src/shm/out_of_band.ts) with a marker in its place.
 *
 * Order (the invariant). Records reach the consumer in the order `send`/`commit` accepted them:
 *   - while the backlog is non-empty, every new record goes to the backlog's end (even one that
 *     would fit the ring now), and `reserve` returns null so the caller encodes elsewhere and
 *     calls `send`;
 *   - `pump` (and `flush`, which pumps first) moves backlog records into the ring from the
 *     front, stopping at the first that does not fit;
 *   - an out-of-band record is just another backlog entry: its marker takes its place in the ring
 *     when its turn comes, and the bytes are posted on the side channel at that moment.
 *
 * The caller's duty: call `flush()` at the end of a batch (the scheduler does it at the end of a
 * slice), and `pump()` or `flush()` again later while `backlogLength > 0`; nothing drains the
 * backlog by itself (a sender owns no timer and no thread). The consumer makes room as it reads.
 *
 * Direct encoding: `reserve(maxBytes)` gives a slot in the ring (see RingSlot) only when the
 * backlog is empty and the record may go inline; otherwise it returns null and the caller
 * encodes into its own buffer and calls `send(bytes)`, which copies it.
 *
 * Inline limit: records whose payload exceeds `maxInlineBytes` (default: a quarter of the ring's
 * capacity) go out of band even when they would fit the ring: a record that takes most of the
 * ring serialises producer and consumer, and a copy through a transferred ArrayBuffer is cheaper
 * than waiting for the ring to empty.
 *
 * Threads: producer thread only; not thread-safe (one sender per RingProducer).
 * Ownership: `send` copies the caller's bytes (the caller may reuse them at once); the backlog
 * owns its copies (inline records packed into 256 KiB chunks, see Chunk; an out-of-band record
 * as its own buffer) until they are written to the ring or transferred out of band.
 * Bad input: a record above the inline limit with no side channel throws BeamError SYSTEM_LIMIT
 * (synchronously, from `send`); bad options throw InvalidArgumentError.
 */
import type { MessagePort } from 'node:worker_threads';
import { BeamError, ErrorCode, InvalidArgumentError, describeValue } from '../errors/index.js';
import { MARKER_BYTES, MAX_OUT_OF_BAND_BYTES, postOutOfBand, writeMarker } from './out_of_band.js';
import { RecordKind, type RingProducer, type RingSlot } from './spsc_ring.js';

/** Options of a RingSender. */
export interface RingSenderOptions {
  /** The producer's end of the ring's side channel (see src/shm/out_of_band.ts). */
  outOfBandPort?: MessagePort;
  /** Largest payload written into the ring; larger ones go out of band. Default capacity / 4. */
  maxInlineBytes?: number;
}

/** Bytes of one backlog chunk (a record larger than this gets a chunk of its own size). */
const CHUNK_BYTES = 256 * 1024;

/**
 * A run of inline records packed into one buffer: [u32 length][payload] each, 4-byte aligned.
 * The backlog keeps records this way rather than one Uint8Array each: a sender that outruns its
 * receiver can spill hundreds of thousands of small records, and an object per record made the
 * garbage collector the main cost of a fan-in (bench/sched/multicore.ts).
 */
class Chunk {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Where the next record is appended / read. */
  write = 0;
  read = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  room(length: number): boolean {
    return this.write + 4 + length <= this.bytes.length;
  }

  append(bytes: Uint8Array): void {
    this.view.setUint32(this.write, bytes.length, true);
    this.bytes.set(bytes, this.write + 4);
    this.write = (this.write + 4 + bytes.length + 3) & ~3;
  }
}

/** A backlog entry: packed inline records, or one record that goes out of band (its own copy). */
type BacklogEntry = Chunk | Uint8Array;

export class RingSender {
  readonly producer: RingProducer;
  readonly maxInlineBytes: number;
  private readonly port: MessagePort | undefined;
  /** Entries waiting, oldest first, from index `backlogStart` (no Array.shift on the hot path). */
  private backlog: BacklogEntry[] = [];
  private backlogStart = 0;
  /** Records waiting in the backlog. */
  private waiting = 0;
  private outOfBandSeq = 0;
  /** Records that went through the backlog (stats). */
  backlogged = 0;
  /** Records sent out of band (stats). */
  outOfBand = 0;

  constructor(producer: RingProducer, options: RingSenderOptions = {}) {
    this.producer = producer;
    this.port = options.outOfBandPort;
    const maxInline = options.maxInlineBytes ?? producer.capacity / 4;
    if (!Number.isInteger(maxInline) || maxInline < 0 || maxInline > producer.maxPayload) {
      throw new InvalidArgumentError(
        `options.maxInlineBytes: expected an integer from 0 to ${producer.maxPayload}, got ${describeValue(maxInline)}`,
      );
    }
    this.maxInlineBytes = maxInline;
  }

  /** Records waiting in the backlog. */
  get backlogLength(): number {
    return this.waiting;
  }

  /**
   * A slot to encode one record of up to `maxBytes` straight into the ring, or null: the
   * backlog is not empty (after trying to drain it), the record must go out of band, or the
   * ring is full. After a null, encode elsewhere and `send` the bytes.
   */
  reserve(maxBytes: number): RingSlot | null {
    if (this.waiting !== 0 && !this.pump()) return null;
    if (maxBytes > this.maxInlineBytes) return null;
    return this.producer.reserve(maxBytes);
  }

  /** Commits the record reserved with `reserve` (see RingProducer.commit). */
  commit(bytesWritten: number): void {
    this.producer.commit(bytesWritten);
  }

  /** Sends a copy of `bytes` as one record: into the ring, or the backlog, or out of band. */
  send(bytes: Uint8Array): void {
    const backlogEmpty = this.waiting === 0;
    if (bytes.length <= this.maxInlineBytes) {
      if (backlogEmpty && this.producer.tryWrite(bytes)) return;
      const last = this.backlog.length > this.backlogStart ? this.backlog[this.backlog.length - 1] : undefined;
      if (last instanceof Chunk && last.room(bytes.length)) {
        last.append(bytes);
      } else {
        const chunk = new Chunk(Math.max(CHUNK_BYTES, bytes.length + 8));
        chunk.append(bytes);
        this.backlog.push(chunk);
      }
    } else {
      this.checkOutOfBand(bytes.length);
      // slice() copies into a fresh, exactly-sized ArrayBuffer that can be transferred.
      const copy = bytes.slice();
      if (backlogEmpty && this.trySendOutOfBand(copy)) return;
      this.backlog.push(copy);
    }
    this.waiting++;
    this.backlogged++;
  }

  /** Moves backlog records into the ring, oldest first; true when the backlog is empty. */
  pump(): boolean {
    const backlog = this.backlog;
    let start = this.backlogStart;
    while (start < backlog.length) {
      const entry = backlog[start]!;
      if (entry instanceof Chunk) {
        while (entry.read < entry.write) {
          const length = entry.view.getUint32(entry.read, true);
          if (!this.producer.tryWrite(entry.bytes, entry.read + 4, length)) break;
          entry.read = (entry.read + 4 + length + 3) & ~3;
          this.waiting--;
        }
        if (entry.read < entry.write) break;
      } else {
        if (!this.trySendOutOfBand(entry)) break;
        this.waiting--;
      }
      backlog[start++] = EMPTY;
    }
    if (start === backlog.length) {
      this.backlog = [];
      this.backlogStart = 0;
      return true;
    }
    if (start >= 64 && start * 2 >= backlog.length) {
      this.backlog = backlog.slice(start);
      start = 0;
    }
    this.backlogStart = start;
    return false;
  }

  /** Drains what the backlog can into the ring, then publishes the ring's tail (and wakes the consumer if it sleeps). */
  flush(): void {
    if (this.waiting !== 0) this.pump();
    this.producer.flush();
  }

  private checkOutOfBand(length: number): void {
    if (this.port === undefined) {
      throw new BeamError(
        ErrorCode.SYSTEM_LIMIT,
        `bytes: a record of ${length} bytes exceeds the ring's inline limit of ${this.maxInlineBytes} bytes and this RingSender has no outOfBandPort`,
      );
    }
    if (length > MAX_OUT_OF_BAND_BYTES) {
      throw new BeamError(ErrorCode.SYSTEM_LIMIT, `bytes: a record of ${length} bytes exceeds the out-of-band limit of ${MAX_OUT_OF_BAND_BYTES} bytes`);
    }
  }

  /** Writes the marker and posts `copy` (a fresh Uint8Array owning its whole buffer); false if the ring has no room for the marker. */
  private trySendOutOfBand(copy: Uint8Array): boolean {
    const slot = this.producer.reserve(MARKER_BYTES);
    if (slot === null) return false;
    const seq = this.outOfBandSeq;
    // The marker first: the transfer below detaches `copy` (its length reads 0 afterwards).
    writeMarker(slot.view, slot.offset, seq, copy.length);
    // Post before the marker is committed (and long before it is published): see out_of_band.ts.
    postOutOfBand(this.port!, seq, copy.buffer as ArrayBuffer);
    this.producer.commitAs(RecordKind.OUT_OF_BAND, MARKER_BYTES);
    this.outOfBandSeq = (seq + 1) >>> 0;
    this.outOfBand++;
    return true;
  }
}

const EMPTY = new Uint8Array(0);
