/**
 * The single-producer single-consumer ring of variable-length records in a SharedArrayBuffer:
 * the transport that carries encoded messages and signals from one scheduler thread to another.
 *
 * Records. A record is a 4-byte header followed by its payload, padded so that the next record
 * starts on a 4-byte boundary. A record is always contiguous in memory: when it does not fit
 * between the write position and the end of the data region, the producer writes a padding
 * record there (a header of kind PAD, which means "skip to the end of the data region") and
 * starts the record at offset 0. So a codec can encode straight into the ring
 * (`reserve` → write into `slot.view` between `slot.offset` and `slot.limit` → `commit`), and
 * the consumer reads the bytes in place (`read` → `record.view`, `.offset`, `.length` →
 * `release`), with no copy on either side.
 *
 * Positions. `tail` (where the producer writes next) and `head` (where the consumer reads
 * next) are free-running unsigned 32-bit byte counters; the byte offset in the data region is
 * `position & (capacity - 1)`. The capacity is a power of two, at most 2^30, so
 * `(tail - head) >>> 0` is the number of bytes in use even after the counters wrap around 2^32,
 * and tail === head means empty: full and empty look different with no slot left unused.
 *
 * Shared layout (byte offsets in the SharedArrayBuffer; one 64-byte cache line per writer so
 * that the producer's and consumer's stores do not bounce one line between two cores):
 *
 * | offset | bytes    | field      | written by              | read by        | access                                   |
 * |-------:|---------:|------------|-------------------------|----------------|------------------------------------------|
 * |      0 |        4 | tail       | producer only           | consumer       | Atomics.store (publish) / Atomics.load   |
 * |     64 |        4 | head       | consumer only           | producer       | Atomics.store (release) / Atomics.load   |
 * |    128 |        4 | wake word  | consumer; producer (CAS)| both           | see src/shm/wake_word.ts                 |
 * |    192 |        4 | capacity   | creator, once           | both           | plain; written before the buffer is shared |
 * |    196 |        4 | magic      | creator, once           | both           | plain; identifies a ring (RING_MAGIC)    |
 * |    256 | capacity | data       | producer (free region)  | consumer (used region) | plain; ordered by tail and head   |
 *
 * Record layout (offsets from the record's start, which is 4-byte aligned in the data region):
 *
 * | offset | bytes  | field   | meaning                                                             |
 * |-------:|-------:|---------|---------------------------------------------------------------------|
 * |      0 |      4 | header  | bits 30-31: kind (DATA 0, PAD 1, OUT_OF_BAND 2); bits 0-29: length  |
 * |      4 | length | payload | the bytes; for OUT_OF_BAND see src/shm/out_of_band.ts               |
 * | 4+len  | 0..3   | padding | up to the next multiple of RECORD_ALIGN                             |
 *
 * Memory ordering. JavaScript's Atomics operations are sequentially consistent, and a plain
 * write that comes before an Atomics.store in one thread is visible to another thread after an
 * Atomics.load that reads the stored value (the store synchronizes-with the load). Hence:
 *   - the producer writes headers and payloads with plain stores, then publishes the tail with
 *     Atomics.store: a consumer that Atomics.loads that tail sees every byte before it;
 *   - the consumer reads records with plain loads, then releases with Atomics.store of head:
 *     a producer that Atomics.loads that head may overwrite every byte before it, because the
 *     consumer's reads are ordered before its store.
 * Each side caches the other's counter and re-reads it only when the cached value says the
 * ring is full (producer) or empty (consumer), so the hot path touches the other line rarely.
 *
 * Batching. `commit` only advances the producer's private tail; `flush` publishes it (one
 * Atomics.store and one look at the wake word for any number of records). The consumer
 * publishes its head every `releaseEvery` records, and always when it finds the ring empty (so
 * a producer waiting for room cannot wait forever on space that the consumer has freed but not
 * published). `reserve` flushes by itself when the ring is full, for the same reason.
 * bench/shm/ring.ts measures per-record against batched publication.
 *
 * Threads: a ring has exactly one producer thread and one consumer thread. `RingProducer`'s
 * methods are executed only by the producer thread, `RingConsumer`'s only by the consumer
 * thread; neither class is thread-safe. Either role can move to another thread with external
 * synchronization: flush (producer) or `releaseAll` (consumer), stop using the old object, hand
 * the SharedArrayBuffer over, attach a new object there; it starts from the shared counters.
 * Ownership: `createRingBuffer` allocates the SharedArrayBuffer; it lives as long as any thread
 * holds it. Records are owned by the producer between `reserve` and `flush`, by the consumer
 * between its `read` and `release`.
 * Bad input: bad capacities and buffers that are not rings throw InvalidArgumentError; bad
 * arguments to reserve/commit/release (too large, nothing reserved) throw InvalidArgumentError;
 * a header that cannot be valid (length beyond the data region, unknown kind) throws a
 * BeamError with code SHM_CORRUPT and leaves the ring where it was.
 */
import { BeamError, ErrorCode, InvalidArgumentError, describeValue } from '../errors/index.js';
import { SleepResult, WakeWord } from './wake_word.js';

/** Size of a cache line, the unit that separates the producer's and consumer's words. */
export const CACHE_LINE_BYTES = 64;
/** Byte offset of `tail` (producer's line). */
export const TAIL_OFFSET = 0;
/** Byte offset of `head` (consumer's line). */
export const HEAD_OFFSET = TAIL_OFFSET + CACHE_LINE_BYTES;
/** Byte offset of the wake word (its own line: written when the consumer sleeps and wakes). */
export const WAKE_OFFSET = HEAD_OFFSET + CACHE_LINE_BYTES;
/** Byte offset of the capacity (read-only line, with the magic). */
export const CAPACITY_OFFSET = WAKE_OFFSET + CACHE_LINE_BYTES;
/** Byte offset of the magic number. */
export const MAGIC_OFFSET = CAPACITY_OFFSET + 4;
/** Byte offset of the data region (cache-line aligned). */
export const DATA_OFFSET = CAPACITY_OFFSET + CACHE_LINE_BYTES;
/** Bytes of header before the data region. */
export const RING_HEADER_BYTES = DATA_OFFSET;
/** Identifies a SharedArrayBuffer laid out by this file ("BRNG" read as a little-endian u32). */
export const RING_MAGIC = 0x474e5242;

/** Index of each header word in an Int32Array over the whole buffer. */
const TAIL_INDEX = TAIL_OFFSET / 4;
const HEAD_INDEX = HEAD_OFFSET / 4;
const WAKE_INDEX = WAKE_OFFSET / 4;
const CAPACITY_INDEX = CAPACITY_OFFSET / 4;
const MAGIC_INDEX = MAGIC_OFFSET / 4;

/** Bytes of a record header. */
export const RECORD_HEADER_BYTES = 4;
/** Records start on multiples of this many bytes (so headers are aligned u32 words). */
export const RECORD_ALIGN = 4;
/** Smallest and largest data region. */
export const MIN_CAPACITY = 64;
export const MAX_CAPACITY = 2 ** 30;

/** Header bits. */
const KIND_SHIFT = 30;
const LENGTH_MASK = (1 << KIND_SHIFT) - 1;

/** Record kinds (the header's top two bits). Explicit values: both threads read them. */
export const RecordKind = {
  /** A payload for the consumer. */
  DATA: 0,
  /** Skip to the end of the data region (the next record starts at offset 0). Never returned by `read`. */
  PAD: 1,
  /** A marker for a record sent out of band (payload laid out in src/shm/out_of_band.ts). */
  OUT_OF_BAND: 2,
} as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

/** Rounds a byte count up to RECORD_ALIGN. */
function alignRecord(bytes: number): number {
  return (bytes + (RECORD_ALIGN - 1)) & ~(RECORD_ALIGN - 1);
}

/** Total SharedArrayBuffer size for a ring whose data region holds `capacity` bytes. */
export function ringByteLength(capacity: number): number {
  checkCapacity(capacity);
  return DATA_OFFSET + capacity;
}

function checkCapacity(capacity: unknown): asserts capacity is number {
  if (
    typeof capacity !== 'number' ||
    !Number.isInteger(capacity) ||
    capacity < MIN_CAPACITY ||
    capacity > MAX_CAPACITY ||
    (capacity & (capacity - 1)) !== 0
  ) {
    throw new InvalidArgumentError(
      `capacity: expected a power of two from ${MIN_CAPACITY} to ${MAX_CAPACITY} (bytes of data), got ${describeValue(capacity)}`,
    );
  }
}

/** Allocates and initialises a ring whose data region holds `capacity` bytes (a power of two). */
export function createRingBuffer(capacity: number): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(ringByteLength(capacity));
  const words = new Int32Array(sab, 0, RING_HEADER_BYTES / 4);
  // Plain writes: nobody else holds the buffer yet; handing it to another thread
  // (postMessage / workerData) orders these writes before that thread's first read.
  words[CAPACITY_INDEX] = capacity;
  words[MAGIC_INDEX] = RING_MAGIC;
  return sab;
}

/** Checks that `sab` is a ring laid out by `createRingBuffer`; returns its capacity. */
function attachCapacity(sab: unknown): number {
  if (!(sab instanceof SharedArrayBuffer)) {
    throw new InvalidArgumentError(`buffer: expected a SharedArrayBuffer made by createRingBuffer, got ${describeValue(sab)}`);
  }
  if (sab.byteLength < DATA_OFFSET + MIN_CAPACITY) {
    throw new InvalidArgumentError(`buffer: expected a ring of at least ${DATA_OFFSET + MIN_CAPACITY} bytes, got ${sab.byteLength} bytes`);
  }
  const words = new Int32Array(sab, 0, RING_HEADER_BYTES / 4);
  if (words[MAGIC_INDEX] !== RING_MAGIC) {
    throw new InvalidArgumentError(`buffer: expected a ring made by createRingBuffer (magic ${RING_MAGIC.toString(16)}), got magic ${(words[MAGIC_INDEX]! >>> 0).toString(16)}`);
  }
  const capacity = words[CAPACITY_INDEX]!;
  if (sab.byteLength !== DATA_OFFSET + capacity) {
    throw new InvalidArgumentError(`buffer: ring header says capacity ${capacity} but the buffer holds ${sab.byteLength - DATA_OFFSET} data bytes`);
  }
  checkCapacity(capacity);
  return capacity;
}

/**
 * Where the producer may write one record: bytes `offset` up to (not including) `limit` of
 * `view`. `limit - offset` is at least the `maxBytes` asked for, and may be more (the whole
 * contiguous free region), so a codec can try to encode into it and learn whether it fits.
 * The object is reused by every `reserve` of its producer: valid until `commit` or the next
 * `reserve`. Bytes of `view` at or past `limit` may be records the consumer has not read yet:
 * an encoder that bounds itself by its target's length (src/codec's `encodeInto`) gets
 * `view.subarray(0, limit)`:
 *
 *   const slot = producer.reserve(estimate);
 *   const end = slot && encodeInto(term, slot.view.subarray(0, slot.limit), slot.offset);
 *   if (end > 0) producer.commit(end - slot.offset); // else: encode elsewhere, RingSender.send
 */
export interface RingSlot {
  /** The ring's data region (always the same object for one producer). */
  readonly view: Uint8Array;
  /** Where the payload starts. */
  readonly offset: number;
  /** One past the last byte that may be written. */
  readonly limit: number;
}

/**
 * One record as the consumer sees it: bytes `offset` to `offset + length` of `view`. The object
 * is reused by every `read` of its consumer: valid until `release`.
 */
export interface RingRecord {
  /** The bytes (for a ring record, the ring's data region; for an out-of-band record, its own buffer). */
  readonly view: Uint8Array;
  readonly offset: number;
  readonly length: number;
  /**
   * DATA: the bytes are in the ring. OUT_OF_BAND: from a RingConsumer, the bytes are the marker
   * (src/shm/out_of_band.ts); from a RingReceiver, the marker is resolved and `view` is the
   * record's own transferred buffer.
   */
  readonly kind: RecordKind;
}

class MutableSlot implements RingSlot {
  offset = 0;
  limit = 0;
  constructor(readonly view: Uint8Array) {}
}

class MutableRecord implements RingRecord {
  offset = 0;
  length = 0;
  kind: RecordKind = RecordKind.DATA;
  constructor(public view: Uint8Array) {}
}

/** State both endpoints derive from the buffer. */
abstract class RingEndpoint {
  /** The shared buffer. */
  readonly buffer: SharedArrayBuffer;
  /** Bytes in the data region (a power of two). */
  readonly capacity: number;
  /** The largest payload a single record can carry (capacity minus one header). */
  readonly maxPayload: number;
  /** Atomics view over the header words. */
  protected readonly words: Int32Array;
  /** The data region as bytes (payloads). */
  protected readonly bytes: Uint8Array;
  /** The data region as u32 words (record headers; index = byte offset / 4). */
  protected readonly headers: Uint32Array;
  protected readonly mask: number;
  readonly wake: WakeWord;

  constructor(sab: SharedArrayBuffer) {
    this.capacity = attachCapacity(sab);
    this.buffer = sab;
    this.maxPayload = this.capacity - RECORD_HEADER_BYTES;
    this.words = new Int32Array(sab, 0, RING_HEADER_BYTES / 4);
    this.bytes = new Uint8Array(sab, DATA_OFFSET, this.capacity);
    this.headers = new Uint32Array(sab, DATA_OFFSET, this.capacity / 4);
    this.mask = this.capacity - 1;
    this.wake = new WakeWord(this.words, WAKE_INDEX);
  }

  protected corrupt(what: string, position: number): never {
    throw new BeamError(ErrorCode.SHM_CORRUPT, `spsc ring: ${what} at data offset ${position & this.mask} (position ${position})`);
  }
}

/**
 * The producer end of a ring. Executed only by the producer thread.
 *
 * Usage: `reserve(n)` → write into the slot → `commit(written)`, repeat, then `flush()` to
 * publish the batch (or `tryWrite(bytes)` for a ready byte array). `flush` also wakes the
 * consumer if it announced that it sleeps.
 */
export class RingProducer extends RingEndpoint {
  /** Private tail: end of the committed records (published or not). */
  private tail: number;
  /** The tail the consumer can see (last value stored). */
  private publishedTail: number;
  /** Last head read from shared memory; the real head is at or after it. */
  private cachedHead: number;
  /** Start of the reserved record, or -1 when nothing is reserved. */
  private reservedAt = -1;
  private readonly slot: MutableSlot;
  /** Records committed (stats; producer-local). */
  records = 0;
  /** How many times `flush` notified a sleeping consumer. */
  notifications = 0;

  constructor(sab: SharedArrayBuffer) {
    super(sab);
    // Atomics.load (seq-cst): start from the shared counters (see "Threads" in the header).
    this.tail = Atomics.load(this.words, TAIL_INDEX) >>> 0;
    this.publishedTail = this.tail;
    this.cachedHead = Atomics.load(this.words, HEAD_INDEX) >>> 0;
    this.slot = new MutableSlot(this.bytes);
  }

  /**
   * True when the consumer has released every record committed so far (published or not).
   * Atomics.load (seq-cst) of head, which the consumer stores after handling a record: can be
   * late (false while the consumer is releasing), never early.
   */
  consumed(): boolean {
    return (Atomics.load(this.words, HEAD_INDEX) >>> 0) === this.tail;
  }

  /** Free bytes as far as this producer knows (can be late: the consumer may have released more). */
  private freeBytes(): number {
    return this.capacity - ((this.tail - this.cachedHead) >>> 0);
  }

  /** True when `need` bytes are free, re-reading the consumer's head only if the cache says no. */
  private hasRoom(need: number): boolean {
    if (this.freeBytes() >= need) return true;
    // Atomics.load (seq-cst) of head: synchronizes with the consumer's release store, so the
    // bytes before it have been read and may be overwritten.
    this.cachedHead = Atomics.load(this.words, HEAD_INDEX) >>> 0;
    return this.freeBytes() >= need;
  }

  /**
   * Reserves room for one record of up to `maxBytes` payload bytes. Returns the slot to write
   * into, or null when the ring has no room now (the caller keeps the record and retries later;
   * a RingSender does this with its backlog). A null return flushes what was committed, so the
   * consumer can make room. Throws InvalidArgumentError when `maxBytes` exceeds `maxPayload`
   * (such a record can never fit: send it out of band).
   */
  reserve(maxBytes: number): RingSlot | null {
    if (!(maxBytes >= 0 && maxBytes <= this.maxPayload && Number.isInteger(maxBytes))) {
      throw new InvalidArgumentError(
        `maxBytes: expected an integer from 0 to ${this.maxPayload} (the ring's largest payload), got ${describeValue(maxBytes)}`,
      );
    }
    const need = alignRecord(RECORD_HEADER_BYTES + maxBytes);
    let at = this.tail & this.mask;
    const toEnd = this.capacity - at;
    if (need > toEnd) {
      // The record does not fit before the end of the data region: pad to the end, so the
      // record starts at offset 0 and stays contiguous. The padding is written as soon as
      // there is room for it, even if the record itself does not fit yet: then an empty ring
      // can always take any record up to maxPayload (at offset 0), whatever the position.
      if (!this.hasRoom(toEnd)) {
        this.reservedAt = -1;
        this.flush();
        return null;
      }
      this.headers[at >>> 2] = (RecordKind.PAD << KIND_SHIFT) >>> 0;
      this.tail = (this.tail + toEnd) >>> 0;
      at = 0;
    }
    if (!this.hasRoom(need)) {
      this.reservedAt = -1;
      this.flush();
      return null;
    }
    this.reservedAt = at;
    this.slot.offset = at + RECORD_HEADER_BYTES;
    // Everything up to the end of the free region or of the data region, whichever is first.
    this.slot.limit = at + Math.min(this.capacity - at, this.freeBytes());
    return this.slot;
  }

  /**
   * Commits the reserved record with `bytesWritten` payload bytes (the payload must start at
   * `slot.offset`). Not visible to the consumer until `flush`.
   */
  commit(bytesWritten: number): void {
    const at = this.reservedAt;
    if (at < 0) throw new InvalidArgumentError('commit: expected a record reserved with reserve(), got none');
    if (!(bytesWritten >= 0 && Number.isInteger(bytesWritten) && at + RECORD_HEADER_BYTES + bytesWritten <= this.slot.limit)) {
      throw new InvalidArgumentError(
        `bytesWritten: expected an integer from 0 to ${this.slot.limit - at - RECORD_HEADER_BYTES} (the reserved slot), got ${describeValue(bytesWritten)}`,
      );
    }
    this.commitAs(RecordKind.DATA, bytesWritten);
  }

  /** @internal Commits the reserved record with a kind (used for out-of-band markers). */
  commitAs(kind: RecordKind, bytesWritten: number): void {
    const at = this.reservedAt;
    this.reservedAt = -1;
    // Plain store: published by the next flush's Atomics.store of tail.
    this.headers[at >>> 2] = ((kind << KIND_SHIFT) | bytesWritten) >>> 0;
    this.tail = (this.tail + alignRecord(RECORD_HEADER_BYTES + bytesWritten)) >>> 0;
    this.records++;
  }

  /**
   * Copies `bytes` (or `length` bytes of it from `offset`) into one record. Returns false when
   * the ring has no room now. Does not flush.
   */
  tryWrite(bytes: Uint8Array, offset = 0, length = bytes.length - offset): boolean {
    const slot = this.reserve(length);
    if (slot === null) return false;
    this.bytes.set(length === bytes.length ? bytes : bytes.subarray(offset, offset + length), slot.offset);
    this.commitAs(RecordKind.DATA, length);
    return true;
  }

  /**
   * Publishes every committed record to the consumer, and wakes the consumer if it announced
   * that it sleeps. Costs one Atomics.store and one Atomics.load when there is something new.
   */
  flush(): void {
    if (this.tail === this.publishedTail) return;
    this.publishedTail = this.tail;
    // Atomics.store (seq-cst) of tail: publishes the plain writes of every record before it
    // (release), and is step W1 of the wake protocol: it comes before the wake word load below.
    Atomics.store(this.words, TAIL_INDEX, this.tail | 0);
    if (this.wake.wakeIfSleeping()) this.notifications++;
  }

  /** Bytes committed but not yet published by `flush`. */
  get unpublishedBytes(): number {
    return (this.tail - this.publishedTail) >>> 0;
  }
}

/** Options of a RingConsumer. */
export interface RingConsumerOptions {
  /** Publish the head after this many released records (1 = every record). Default 32. */
  releaseEvery?: number;
}

/** Options of an idle wait. */
export interface WaitOptions {
  /** Polls of the tail before announcing sleep. Default 1000 (a few microseconds). */
  spin?: number;
  /** Longest sleep in milliseconds (Infinity: none). Default Infinity. */
  timeoutMs?: number;
}

const DEFAULT_SPIN = 1000;

/**
 * The consumer end of a ring. Executed only by the consumer thread.
 *
 * Usage: `read()` → use `record.view` from `record.offset`, `record.length` bytes → `release()`.
 * `read()` without a `release()` returns the same record again. When `read()` returns null,
 * `waitForData()` (blocking) or `waitForDataAsync()` spins briefly and then sleeps on the wake word.
 */
export class RingConsumer extends RingEndpoint {
  /** Private head: start of the next record to read. */
  private head: number;
  /** The head the producer can see. */
  private publishedHead: number;
  /** Last tail read from shared memory; the real tail is at or after it. */
  private cachedTail: number;
  private releasedSincePublish = 0;
  private readonly releaseEvery: number;
  private readonly record: MutableRecord;
  /** Bytes of the record returned by `read`, or -1 when none is held. */
  private heldBytes = -1;
  /** Records released (consumer-local stats). */
  records = 0;
  /** Times the consumer blocked in Atomics.wait (announced sleep and did not find data on re-check). */
  sleeps = 0;
  /** Times a sleep ended by timeout (with data present that would be a lost wake-up). */
  timeouts = 0;

  constructor(sab: SharedArrayBuffer, options: RingConsumerOptions = {}) {
    super(sab);
    const releaseEvery = options.releaseEvery ?? 32;
    if (!Number.isInteger(releaseEvery) || releaseEvery < 1) {
      throw new InvalidArgumentError(`options.releaseEvery: expected a positive integer, got ${describeValue(releaseEvery)}`);
    }
    this.releaseEvery = releaseEvery;
    // Atomics.load (seq-cst): start from the shared counters.
    this.head = Atomics.load(this.words, HEAD_INDEX) >>> 0;
    this.publishedHead = this.head;
    this.cachedTail = Atomics.load(this.words, TAIL_INDEX) >>> 0;
    this.record = new MutableRecord(this.bytes);
  }

  /**
   * The next record, or null when the ring is empty (as far as the published tail says: can be
   * late, a record published right now may be missed until the next call). Finding the ring
   * empty publishes the head, so the producer sees all the room there is.
   */
  read(): RingRecord | null {
    for (;;) {
      if (this.head === this.cachedTail) {
        // Atomics.load (seq-cst) of tail: synchronizes with the producer's flush, so every
        // record before it is fully written (acquire).
        this.cachedTail = Atomics.load(this.words, TAIL_INDEX) >>> 0;
        if (this.head === this.cachedTail) {
          this.publishHead();
          return null;
        }
      }
      const at = this.head & this.mask;
      const header = this.headers[at >>> 2]!;
      const kind = header >>> KIND_SHIFT;
      if (kind === RecordKind.PAD) {
        // Skip to the start of the data region; counts as released space.
        this.head = (this.head + (this.capacity - at)) >>> 0;
        continue;
      }
      const length = header & LENGTH_MASK;
      const size = alignRecord(RECORD_HEADER_BYTES + length);
      if (kind > RecordKind.OUT_OF_BAND) this.corrupt(`record header 0x${header.toString(16)} has an unknown kind ${kind}`, this.head);
      if (size > this.capacity - at || size > ((this.cachedTail - this.head) >>> 0)) {
        this.corrupt(`record of ${length} bytes runs past the data region or the published tail`, this.head);
      }
      this.heldBytes = size;
      const record = this.record;
      record.offset = at + RECORD_HEADER_BYTES;
      record.length = length;
      record.kind = kind as RecordKind;
      return record;
    }
  }

  /** Releases the record returned by the last `read`; its bytes may be overwritten after this. */
  release(): void {
    if (this.heldBytes < 0) throw new InvalidArgumentError('release: expected a record obtained by read(), got none');
    this.head = (this.head + this.heldBytes) >>> 0;
    this.heldBytes = -1;
    this.records++;
    if (++this.releasedSincePublish >= this.releaseEvery) this.publishHead();
  }

  /** Publishes every released record's space to the producer now. */
  releaseAll(): void {
    this.publishHead();
  }

  private publishHead(): void {
    this.releasedSincePublish = 0;
    if (this.head === this.publishedHead) return;
    this.publishedHead = this.head;
    // Atomics.store (seq-cst) of head: ordered after the plain reads of every released record,
    // so the producer that loads it may overwrite them (release).
    Atomics.store(this.words, HEAD_INDEX, this.head | 0);
  }

  /** True when a record is published and not yet read (can be late; never wrongly true). */
  hasData(): boolean {
    if (this.head !== this.cachedTail) return true;
    // Atomics.load (seq-cst) of tail: also step S2 of the wake protocol (the re-check).
    this.cachedTail = Atomics.load(this.words, TAIL_INDEX) >>> 0;
    return this.head !== this.cachedTail;
  }

  /**
   * Waits until a record is published: polls `spin` times, then announces sleep on the wake
   * word, re-checks, and blocks in Atomics.wait (blocking the thread's event loop too) until the
   * producer's flush wakes it or `timeoutMs` passes. Returns true when a record is there.
   */
  waitForData(options: WaitOptions = {}): boolean {
    if (this.spinFor(options.spin ?? DEFAULT_SPIN)) return true;
    this.publishHead();
    this.wake.prepareSleep(); // S1
    if (this.hasData()) {
      // S2: the producer published between our last poll and S1; do not sleep.
      this.wake.cancelSleep();
      return true;
    }
    this.sleeps++;
    if (this.wake.sleep(options.timeoutMs ?? Infinity) === SleepResult.TIMED_OUT) this.timeouts++;
    return this.hasData();
  }

  /**
   * As `waitForData`, but sleeps with Atomics.waitAsync, so the thread's event loop keeps
   * turning (timers, sockets, promises) while it waits.
   */
  async waitForDataAsync(options: WaitOptions = {}): Promise<boolean> {
    if (this.spinFor(options.spin ?? DEFAULT_SPIN)) return true;
    this.publishHead();
    this.wake.prepareSleep(); // S1
    if (this.hasData()) {
      this.wake.cancelSleep(); // S2 found data
      return true;
    }
    this.sleeps++;
    if ((await this.wake.sleepAsync(options.timeoutMs ?? Infinity)) === SleepResult.TIMED_OUT) this.timeouts++;
    return this.hasData();
  }

  private spinFor(polls: number): boolean {
    for (let i = 0; i < polls; i++) if (this.hasData()) return true;
    return this.hasData();
  }
}
