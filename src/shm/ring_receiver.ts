/**
 * RingReceiver: the consumer side of a ring as the layers above use it. It reads records in
 * order and resolves out-of-band markers (src/shm/out_of_band.ts) into the bytes that came
 * through the side channel, so every record looks the same to its caller: `view`, `offset`,
 * `length`. `kind` says where the bytes are (DATA: in the ring, valid until `release`;
 * OUT_OF_BAND: in an ArrayBuffer the receiver hands over, which the caller may keep).
 *
 * Threads: consumer thread only; not thread-safe (one receiver per RingConsumer).
 * Ownership: ring bytes belong to the ring (read them before `release`); out-of-band buffers
 * belong to the caller once returned.
 * Bad input: a marker with no side channel configured, or a marker whose message does not
 * match, throws BeamError SHM_CORRUPT.
 */
import type { MessagePort } from 'node:worker_threads';
import { BeamError, ErrorCode } from '../errors/index.js';
import { takeOutOfBand } from './out_of_band.js';
import { RecordKind, type RingConsumer, type RingRecord, type WaitOptions } from './spsc_ring.js';

/** Options of a RingReceiver. */
export interface RingReceiverOptions {
  /** The consumer's end of the ring's side channel; read only through this receiver. */
  outOfBandPort?: MessagePort;
}

class OutOfBandRecord implements RingRecord {
  view: Uint8Array = new Uint8Array(0);
  offset = 0;
  length = 0;
  readonly kind = RecordKind.OUT_OF_BAND;
}

export class RingReceiver {
  readonly consumer: RingConsumer;
  private readonly port: MessagePort | undefined;
  private readonly outOfBandRecord = new OutOfBandRecord();
  private held: RingRecord | null = null;
  private outOfBandSeq = 0;
  /** Out-of-band records received (stats). */
  outOfBand = 0;

  constructor(consumer: RingConsumer, options: RingReceiverOptions = {}) {
    this.consumer = consumer;
    this.port = options.outOfBandPort;
  }

  /** The next record, or null when none is published (can be late). Repeats the held record until `release`. */
  read(): RingRecord | null {
    if (this.held !== null) return this.held;
    const record = this.consumer.read();
    if (record === null || record.kind === RecordKind.DATA) return (this.held = record);
    if (this.port === undefined) {
      throw new BeamError(ErrorCode.SHM_CORRUPT, 'spsc ring: an out-of-band marker arrived but this RingReceiver has no outOfBandPort');
    }
    const bytes = takeOutOfBand(this.port, record.view, record.offset, record.length, this.outOfBandSeq);
    this.outOfBandSeq = (this.outOfBandSeq + 1) >>> 0;
    this.outOfBand++;
    const resolved = this.outOfBandRecord;
    resolved.view = bytes;
    resolved.length = bytes.length;
    return (this.held = resolved);
  }

  /** Releases the record returned by `read`. */
  release(): void {
    this.consumer.release();
    this.held = null;
  }

  /** See RingConsumer.waitForData (blocks the thread). */
  waitForData(options?: WaitOptions): boolean {
    return this.held !== null || this.consumer.waitForData(options);
  }

  /** See RingConsumer.waitForDataAsync (the event loop keeps turning). */
  waitForDataAsync(options?: WaitOptions): Promise<boolean> {
    return this.held !== null ? Promise.resolve(true) : this.consumer.waitForDataAsync(options);
  }
}
