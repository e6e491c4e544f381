/**
 * src/shm: layouts in SharedArrayBuffers shared between scheduler threads. The public surface.
 *
 * - spsc_ring.ts: the single-producer single-consumer ring of variable-length records
 *   (layout, RingProducer, RingConsumer).
 * - wake_word.ts: the sleep/wake protocol on one Atomics word (no lost wake-ups, no notify
 *   while the consumer is awake).
 * - ring_sender.ts / ring_receiver.ts: the ring as the scheduler uses it: in-order backlog for
 *   a full ring, out-of-band transfer for records larger than the ring.
 * - out_of_band.ts: the marker record and side-channel message of an out-of-band record.
 * - scheduler_mesh.ts: a ring per ordered pair of a VM's threads, batching, sleep and wake-up.
 * - process_directory.ts: pid id -> home thread and liveness, and the pid allocator.
 * - name_table.ts: registered names, atomic across threads.
 */
export {
  CACHE_LINE_BYTES,
  TAIL_OFFSET,
  HEAD_OFFSET,
  WAKE_OFFSET,
  CAPACITY_OFFSET,
  MAGIC_OFFSET,
  DATA_OFFSET,
  RING_HEADER_BYTES,
  RING_MAGIC,
  RECORD_HEADER_BYTES,
  RECORD_ALIGN,
  MIN_CAPACITY,
  MAX_CAPACITY,
  RecordKind,
  ringByteLength,
  createRingBuffer,
  RingProducer,
  RingConsumer,
} from './spsc_ring.js';
export type { RingSlot, RingRecord, RingConsumerOptions, WaitOptions } from './spsc_ring.js';
export { WakeWord, WAKE_AWAKE, WAKE_SLEEPING, SleepResult } from './wake_word.js';
export { RingSender } from './ring_sender.js';
export type { RingSenderOptions } from './ring_sender.js';
export { RingReceiver } from './ring_receiver.js';
export type { RingReceiverOptions } from './ring_receiver.js';
export { MARKER_BYTES, MAX_OUT_OF_BAND_BYTES } from './out_of_band.js';
export type { OutOfBandMessage } from './out_of_band.js';
export { SchedulerMesh, createMeshBuffers, meshRingBytes } from './scheduler_mesh.js';
export type { MeshBuffers } from './scheduler_mesh.js';
export { ProcessDirectory, directoryByteLength, MAX_DIRECTORY_CAPACITY } from './process_directory.js';
export { NameTable, DEFAULT_NAME_CAPACITY } from './name_table.js';
