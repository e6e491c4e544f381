/**
 * Out-of-band records: how a record too large for a ring crosses to the consumer thread.
 *
 * A record larger than a ring's inline limit (see RingSender) cannot be written into the ring
 * contiguously. Its bytes travel instead as an ArrayBuffer transferred (not copied) through a
 * MessagePort dedicated to the ring (the side channel), and the ring carries a small marker
 * record of kind OUT_OF_BAND in the record's place, so the record keeps its place in the order
 * of the ring's records.
 *
 * Marker payload (offsets from the payload start, little-endian like the platform's typed
 * arrays on every platform Node runs on; written with a DataView so endianness is explicit):
 *
 * | offset | bytes | field    | meaning                                                  |
 * |-------:|------:|----------|----------------------------------------------------------|
 * |      0 |     4 | sequence | u32, the n-th out-of-band record of this ring (from 0)   |
 * |      4 |     4 | length   | u32, bytes of the record (the transferred ArrayBuffer)   |
 *
 * Side-channel message: `{ seq: number, bytes: ArrayBuffer }`, with `bytes` in the transfer list.
 *
 * Ordering. The producer posts the message BEFORE it commits the marker, and the marker becomes
 * visible only at the next flush (an Atomics.store). Node's MessagePort.postMessage appends the
 * message to the receiving port's queue before it returns (under that queue's mutex), so when
 * the consumer reads the marker, the message is already in its port's queue and
 * `receiveMessageOnPort` takes it synchronously: no event-loop turn, no await. The port's queue
 * is FIFO and only this ring's producer posts to it, so the message taken is the marker's; the
 * sequence number checks that (a mismatch is reported as corruption, never papered over).
 * Messages posted before the producer's port is closed, or its thread exits, stay receivable on
 * the consumer's port (Node 20), so a producer may finish and go while markers are in flight;
 * the consumer's port must stay open until it has read every marker.
 *
 * Threads: `postOutOfBand` runs on the producer thread, `takeOutOfBand` on the consumer thread.
 * The consumer's port must be read only with `receiveMessageOnPort`: a 'message' listener on it
 * would take messages asynchronously and break the pairing with markers.
 * Ownership: the transferred ArrayBuffer belongs to the consumer after `takeOutOfBand`; the
 * producer's copy is detached by the transfer.
 * Bad input: a missing message or a wrong sequence/length throws BeamError SHM_CORRUPT.
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { BeamError, ErrorCode } from '../errors/index.js';

/** Bytes of a marker's payload. */
export const MARKER_BYTES = 8;
/** Offsets in the marker payload. */
export const MARKER_SEQUENCE_OFFSET = 0;
export const MARKER_LENGTH_OFFSET = 4;
/** Largest out-of-band record (the marker's length field is a u32). */
export const MAX_OUT_OF_BAND_BYTES = 2 ** 32 - 1;

/** The message sent on the side channel. */
export interface OutOfBandMessage {
  readonly seq: number;
  readonly bytes: ArrayBuffer;
}

/** Producer thread: transfers `bytes` (an ArrayBuffer the caller gives up) on the side channel. */
export function postOutOfBand(port: MessagePort, seq: number, bytes: ArrayBuffer): void {
  const message: OutOfBandMessage = { seq, bytes };
  port.postMessage(message, [bytes]);
}

/** Writes a marker payload at `offset` of `view`. */
export function writeMarker(view: Uint8Array, offset: number, seq: number, length: number): void {
  const data = new DataView(view.buffer, view.byteOffset + offset, MARKER_BYTES);
  data.setUint32(MARKER_SEQUENCE_OFFSET, seq >>> 0, true);
  data.setUint32(MARKER_LENGTH_OFFSET, length >>> 0, true);
}

/** How long the consumer keeps polling for a marker's message before calling it corruption. */
const TAKE_PATIENCE_MS = 1000;

/**
 * Consumer thread: takes the message announced by the marker at `offset` of `view` (`length`
 * bytes of marker payload) and returns its bytes. `expectedSeq` is the consumer's count of
 * out-of-band records so far.
 */
export function takeOutOfBand(port: MessagePort, view: Uint8Array, offset: number, length: number, expectedSeq: number): Uint8Array {
  if (length !== MARKER_BYTES) {
    throw new BeamError(ErrorCode.SHM_CORRUPT, `out-of-band marker: expected ${MARKER_BYTES} payload bytes, got ${length}`);
  }
  const data = new DataView(view.buffer, view.byteOffset + offset, MARKER_BYTES);
  const seq = data.getUint32(MARKER_SEQUENCE_OFFSET, true);
  const bytes = data.getUint32(MARKER_LENGTH_OFFSET, true);
  if (seq !== expectedSeq >>> 0) {
    throw new BeamError(ErrorCode.SHM_CORRUPT, `out-of-band marker: expected sequence ${expectedSeq >>> 0}, got ${seq}`);
  }
  let received = receiveMessageOnPort(port);
  if (received === undefined) {
    // Not expected (see "Ordering" in the header); poll briefly rather than misreport a
    // scheduling hiccup as corruption, but never wait forever.
    const deadline = Date.now() + TAKE_PATIENCE_MS;
    while (received === undefined && Date.now() < deadline) received = receiveMessageOnPort(port);
    if (received === undefined) {
      throw new BeamError(ErrorCode.SHM_CORRUPT, `out-of-band record ${seq}: the marker arrived but no message on the side channel within ${TAKE_PATIENCE_MS} ms`);
    }
  }
  const message = received.message as Partial<OutOfBandMessage> | null;
  if (message === null || typeof message !== 'object' || message.seq !== seq || !(message.bytes instanceof ArrayBuffer)) {
    throw new BeamError(ErrorCode.SHM_CORRUPT, `out-of-band record ${seq}: the side channel delivered something else (sequence ${String(message?.seq)})`);
  }
  if (message.bytes.byteLength !== bytes) {
    throw new BeamError(ErrorCode.SHM_CORRUPT, `out-of-band record ${seq}: marker says ${bytes} bytes, the side channel delivered ${message.bytes.byteLength}`);
  }
  return new Uint8Array(message.bytes);
}
