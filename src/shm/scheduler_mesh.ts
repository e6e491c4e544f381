/**
 * The scheduler mesh: how N schedulers (one per worker thread) send each other records (encoded
 * messages and signals) through shared memory, how a receiver drains everything sent to it, and
 * how a sleeping receiver is woken. It is the transport under src/sched; it knows nothing of
 * terms or processes: a record is bytes from one scheduler index to another.
 *
 *   main thread:  const mesh = SchedulerMesh.create({ schedulers: n });   // postMessage(mesh.descriptor)
 *   worker i:     const port = SchedulerMesh.attach(descriptor, i);
 *                 port.send(j, (view, offset, limit) => encodeInto(...)); port.flush();
 *                 port.drain((from, view, offset, length) => ...); await port.sleep();
 *
 * ## The choice: one SPSC ring per ordered pair, allocated lazily by its sender
 *
 * Two designs were measured (bench/shm/mesh.ts, 2 vCPUs, Node 20; figures in the report of the
 * change that added this file and re-measured by `npm run bench -- shm/mesh`):
 *   (a) one single-producer ring per ordered pair (src/shm/spsc_ring.ts), N*(N-1) rings;
 *   (b) one multi-producer ring per receiver: senders reserve space with a compareExchange on
 *       a shared tail, write, then set a per-record ready flag; the consumer reads in order and
 *       waits at a record whose flag is not yet set.
 * (b) needs one read-modify-write on a contended line per record (per batch at best, but a
 * batch must then be reserved before it is encoded, and encoded sizes are not known in
 * advance), and one slow or descheduled sender stalls the whole ring at its unready record:
 * on a machine with more threads than cores (these 2 vCPUs run 4 schedulers in the tests) a
 * sender preempted between reserve and ready blocks every other sender's records to that
 * receiver for a whole time slice. (a) is wait-free per pair, keeps the ring's batching (one
 * Atomics.store per flush, not per record), keeps per-pair order for free, and reuses the tested
 * ring, backlog and out-of-band pieces. Its costs are memory and the receiver's scan, answered by:
 *   - memory: rings are allocated LAZILY, by the sender, at its first send to a receiver, and
 *     handed to the receiver once over the side channel (src/shm/mesh_side_channel.ts). Pairs
 *     that never talk cost nothing. At 64 schedulers with 64 KiB rings, every pair active would
 *     be 64*63 = 4032 rings * 64.25 KiB = 253 MiB (measured: SharedArrayBuffers of 64 KiB are
 *     committed at once by V8/glibc), so eager allocation was rejected; the shared control block
 *     is 64 * 256 B = 16 KiB. BEAM's own affinity advice applies: processes that talk stay on one
 *     scheduler, so few pairs are hot. (b) would need only 64 rings (4 MiB) at any load.
 *   - the scan: a receiver does not poll N-1 rings. Each receiver has a doorbell bitmap (one bit
 *     per sender); a sender sets its bit after publishing, and the receiver takes the whole bitmap
 *     with one Atomics.exchange per 32 senders and drains only the rings whose bits were set.
 *
 * ## Shared layout (the control SharedArrayBuffer of the descriptor)
 *
 * Mesh header, then one block per scheduler j (W = ceil(N / 32) bitmap words, D = W*4 rounded
 * up to a cache line; every field that a different thread writes sits on its own 64-byte line):
 *
 * | offset           | bytes | field      | written by                      | read by        | access                                   |
 * |-----------------:|------:|------------|---------------------------------|----------------|------------------------------------------|
 * | 0                |     4 | magic      | creator, once                   | attach         | plain, before the buffer is shared       |
 * | 4                |     4 | schedulers | creator, once                   | attach         | plain                                    |
 * | 8                |     4 | ringBytes  | creator, once                   | attach         | plain                                    |
 * | 12               |     4 | maxInline  | creator, once                   | attach         | plain                                    |
 * | 64 + j*B + 0     |     4 | wake word  | receiver j; senders (CAS)       | both           | src/shm/wake_word.ts protocol            |
 * | 64 + j*B + 64    |     4 | attached   | receiver j, once (CAS 0 -> 1)   | senders        | compareExchange / Atomics.load           |
 * | 64 + j*B + 128   |   4*W | doorbell   | senders: bit i after publishing; anyone: bit j = "wake j" | receiver j | Atomics.or / Atomics.exchange |
 * | 64 + j*B + 128+D |   4*W | wantsRoom  | sender i: bit i (backlog for j) | receiver j     | Atomics.or / Atomics.load, Atomics.and   |
 *
 * B = 128 + 2*D (256 bytes up to 512 schedulers... for N <= 512, W <= 16, D <= 64).
 * Rings are not in this buffer: each is its own SharedArrayBuffer laid out by spsc_ring.ts (its
 * own wake word is unused here: the mesh wakes per receiver, not per ring).
 *
 * ## Sending, in order, nothing lost
 * Per destination the sender keeps a lane: the ring's producer (once allocated) and a backlog.
 * A record goes (1) straight into the ring (the caller's `write` encodes in place), or (2) when
 * the ring is full, not allocated yet, or a backlog exists, into the backlog's end, or (3) when
 * larger than `maxInlineBytes`, out of band: its bytes in a fresh SharedArrayBuffer posted on the
 * side channel, a marker in the ring in its place (or in the backlog, in turn). `flush` moves
 * backlogs into rings, publishes each touched ring once, rings each receiver's doorbell once and
 * notifies it only if it announced sleep. Order per (sender, receiver) pair is the ring's order,
 * and the backlog is FIFO and always drained before the ring takes a new record.
 *
 * ## Wake-up protocol (and the lost-wake-up race)
 * Receiver j sleeping:  S1 store(wake_j, SLEEPING); S2 load every doorbell word of j (and its
 * local "pending" set); if anything: cancel, return; S3 Atomics.waitAsync(wake_j, SLEEPING).
 * Sender i flushing:    W1 store(ring tail) [publish]; W1' set bit i of doorbell_j (skipped when
 * a load shows it set); W2 load(wake_j): if SLEEPING, compareExchange to AWAKE and notify.
 * The race: a receiver that checked its rings (empty), then a sender that publishes and sees
 * AWAKE, then the receiver that sleeps, would sleep with a record waiting: a lost wake-up. S1
 * before S2 and W1' before W2 are each a store then a load of sequentially consistent Atomics:
 * in their single total order either S1 precedes W2 (the sender sees SLEEPING and notifies; a
 * notify before S3 makes waitAsync return 'not-equal' because the CAS set AWAKE) or W1' precedes
 * S2 (the re-check sees the bit and the receiver does not sleep). If W1' was skipped because the
 * bit was already set, the receiver has not exchanged it since, so S2 sees it, or it exchanged it
 * after W1 and its drain sees the record. test/shm/scheduler_mesh.test.ts repeats the race
 * thousands of times with random pauses; the sleep's timeout count must stay 0.
 * The same argument covers the two other waits:
 *   - a sender with a backlog (ring full): it sets its wantsRoom bit in the receiver's block, then
 *     pumps again; the receiver, after publishing its ring head (releaseAll), loads the bit and,
 *     if set, clears it and wakes the sender (bit i of doorbell_i, then wake_i). Either the second
 *     pump sees the room, or the receiver sees the bit;
 *   - a receiver not yet attached: senders keep records in the backlog and set wantsRoom; attach
 *     opens the side channel, sets `attached`, then takes its wantsRoom bits and wakes them.
 * Bit j of j's own doorbell means "wake j" (wakeSelf, or a receiver that made room for j's
 * backlog); `drain` folds it into a local flag and `sleep` consumes it.
 *
 * Idle cost: `sleep` spins for `spinMicros` (default 50 us, about one sleep/wake round trip on
 * this machine: spinning longer than a wake-up costs cannot save more than it burns), then waits
 * in Atomics.waitAsync, so the worker's event loop keeps turning (timers, sockets, promises) and
 * the thread costs no CPU. A ref'd timer keeps the loop alive during the sleep (waitAsync alone
 * does not).
 *
 * Threads: `SchedulerMesh.create` on any thread (the main thread, usually); a MeshEndpoint is
 * used only by the thread that attached it (not thread-safe). Each index attaches once.
 * Ownership: the creator allocates the control block; each sender allocates its rings and
 * out-of-band buffers; both live while any thread holds them. `drain` hands the handler a view
 * valid only during the call (ring bytes are reused after it returns).
 * Bad input: bad options, a bad descriptor, a scheduler index out of range (or the endpoint's
 * own index, for `send`) and a `write` that returns something other than -1 or a byte count
 * inside its limit throw InvalidArgumentError naming the argument; a record beyond
 * MAX_RECORD_BYTES throws BeamError SYSTEM_LIMIT; inconsistent shared state throws SHM_CORRUPT.
 */
import { randomUUID } from 'node:crypto';
import { BeamError, ErrorCode, InvalidArgumentError, describeValue } from '../errors/index.js';
import { MARKER_BYTES, MARKER_LENGTH_OFFSET, MARKER_SEQUENCE_OFFSET, writeMarker } from './out_of_band.js';
import { MeshSideChannelInbox, MeshSideChannelSender, SideChannelKind } from './mesh_side_channel.js';
import { CACHE_LINE_BYTES, MAX_CAPACITY, MIN_CAPACITY, RecordKind, RingConsumer, RingProducer, createRingBuffer } from './spsc_ring.js';
import { SleepResult, WakeWord } from './wake_word.js';

/** "BMSH" read as a little-endian u32: identifies a mesh control block. */
export const MESH_MAGIC = 0x48534d42;
/** Most schedulers a mesh holds (bitmaps grow by one word per 32; 1024 keeps blocks small). */
export const MAX_SCHEDULERS = 1024;
/** Default bytes of a ring's data region. */
export const DEFAULT_RING_BYTES = 64 * 1024;
/** Default spin before sleeping, in microseconds (see "Idle cost"). */
export const DEFAULT_SPIN_MICROS = 50;
/** Largest record (encoded bytes) the mesh carries: 1 GiB. */
export const MAX_RECORD_BYTES = 2 ** 30;

/** Mesh header fields (byte offsets). */
export const MESH_MAGIC_OFFSET = 0;
export const MESH_SCHEDULERS_OFFSET = 4;
export const MESH_RING_BYTES_OFFSET = 8;
export const MESH_MAX_INLINE_OFFSET = 12;
export const MESH_HEADER_BYTES = CACHE_LINE_BYTES;
/** Endpoint block fields (byte offsets inside a block). */
export const ENDPOINT_WAKE_OFFSET = 0;
export const ENDPOINT_ATTACHED_OFFSET = CACHE_LINE_BYTES;
export const ENDPOINT_DOORBELL_OFFSET = 2 * CACHE_LINE_BYTES;

/** Bitmap words for `schedulers` senders. */
export function bitmapWords(schedulers: number): number {
  return Math.ceil(schedulers / 32);
}

/** Bytes of one bitmap, rounded up to whole cache lines. */
function bitmapBytes(schedulers: number): number {
  return Math.ceil((bitmapWords(schedulers) * 4) / CACHE_LINE_BYTES) * CACHE_LINE_BYTES;
}

/** Bytes of one endpoint block. */
export function endpointBlockBytes(schedulers: number): number {
  return ENDPOINT_DOORBELL_OFFSET + 2 * bitmapBytes(schedulers);
}

/** Byte offset of the wantsRoom bitmap inside a block. */
export function endpointWantsRoomOffset(schedulers: number): number {
  return ENDPOINT_DOORBELL_OFFSET + bitmapBytes(schedulers);
}

/** Total bytes of the control block of a mesh of `schedulers`. */
export function meshControlBytes(schedulers: number): number {
  return MESH_HEADER_BYTES + schedulers * endpointBlockBytes(schedulers);
}

/** Options of `SchedulerMesh.create`. */
export interface MeshOptions {
  /** Number of schedulers, 1 to MAX_SCHEDULERS. */
  schedulers: number;
  /** Bytes of each ring's data region: a power of two from 1024 to 2^30. Default 64 KiB. */
  ringBytes?: number;
  /** Largest record written into a ring; larger ones go out of band. Default ringBytes / 4. */
  maxInlineBytes?: number;
}

/** What a worker needs to attach (structured-cloneable: plain data and one SharedArrayBuffer). */
export interface MeshDescriptor {
  readonly kind: 'beamjs.scheduler_mesh';
  /** Names the side channels of this mesh (distinct meshes in one process never mix). */
  readonly meshId: string;
  readonly schedulers: number;
  readonly ringBytes: number;
  readonly maxInlineBytes: number;
  readonly control: SharedArrayBuffer;
}

/** Options of `SchedulerMesh.attach`. */
export interface AttachOptions {
  /** Spin this long (microseconds) before announcing sleep. Default DEFAULT_SPIN_MICROS. */
  spinMicros?: number;
  /** Inbound rings publish their head every this many records (see RingConsumer). Default 32. */
  releaseEvery?: number;
  /** Keep the event loop alive while sleeping (a ref'd timer). Default true. */
  keepAlive?: boolean;
}

/** Encodes one record into `view` from `offset`, up to (not including) `limit`; returns the bytes written, or -1 if it does not fit. */
export type MeshWrite = (view: Uint8Array, offset: number, limit: number) => number;
/** Receives one record: bytes `offset` to `offset + length` of `view`, valid only during the call. */
export type MeshHandler = (from: number, view: Uint8Array, offset: number, length: number) => void;

/** Counters of one endpoint (thread-local; for tests, benches and observability). */
export interface MeshEndpointStats {
  sent: number;
  received: number;
  /** Records that went through a backlog. */
  backlogged: number;
  outOfBandSent: number;
  outOfBandReceived: number;
  /** Sleeping receivers this endpoint notified. */
  notifications: number;
  /** Times this endpoint blocked in waitAsync. */
  sleeps: number;
  /** Sleeps that ended by timeout with nothing to do. */
  timeouts: number;
  /** Rings this endpoint allocated (as sender). */
  ringsOpened: number;
}

const MESH_KIND = 'beamjs.scheduler_mesh';
const DEFAULT_SIZE_HINT = 256;
const MIN_SCRATCH_BYTES = 1024;
/** setInterval's longest delay; keeps the loop alive during an unbounded sleep. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const EMPTY = new Uint8Array(0);
const noop = (): void => {};

function checkInteger(name: string, value: unknown, min: number, max: number, extra = ''): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`${name}: expected an integer from ${min} to ${max}${extra}, got ${describeValue(value)}`);
  }
  return value;
}

/** Word index helpers over an Int32Array of the control block. */
class ControlLayout {
  readonly words: Int32Array;
  readonly schedulers: number;
  readonly bitmapWords: number;
  private readonly blockWords: number;
  private readonly wantsRoomWord: number;

  constructor(control: SharedArrayBuffer, schedulers: number) {
    this.words = new Int32Array(control);
    this.schedulers = schedulers;
    this.bitmapWords = bitmapWords(schedulers);
    this.blockWords = endpointBlockBytes(schedulers) / 4;
    this.wantsRoomWord = endpointWantsRoomOffset(schedulers) / 4;
  }

  private base(j: number): number {
    return MESH_HEADER_BYTES / 4 + j * this.blockWords;
  }
  wake(j: number): number {
    return this.base(j) + ENDPOINT_WAKE_OFFSET / 4;
  }
  attached(j: number): number {
    return this.base(j) + ENDPOINT_ATTACHED_OFFSET / 4;
  }
  doorbell(j: number, word: number): number {
    return this.base(j) + ENDPOINT_DOORBELL_OFFSET / 4 + word;
  }
  wantsRoom(j: number, word: number): number {
    return this.base(j) + this.wantsRoomWord + word;
  }
}

/** The sending side towards one receiver. */
class OutboundLane {
  producer: RingProducer | null = null;
  /** Records waiting, oldest first, from `backlogStart`. */
  backlog: Uint8Array[] = [];
  backlogStart = 0;
  outOfBandSeq = 0;
  /** In the endpoint's touched list (flush must visit it). */
  touched = false;
  /** producer.records when the doorbell was last rung. */
  recordsAtDoorbell = 0;
  side: MeshSideChannelSender | null = null;
  constructor(readonly to: number) {}
  get backlogLength(): number {
    return this.backlog.length - this.backlogStart;
  }
}

/** The receiving side from one sender. */
class InboundLane {
  outOfBandSeq = 0;
  constructor(readonly consumer: RingConsumer) {}
}

/** The mesh as created on the main thread: owns the control block, hands out the descriptor. */
export class SchedulerMesh {
  readonly descriptor: MeshDescriptor;

  private constructor(descriptor: MeshDescriptor) {
    this.descriptor = descriptor;
  }

  /** Allocates the control block of a mesh of `options.schedulers` schedulers. Any thread. */
  static create(options: MeshOptions): SchedulerMesh {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError(`options: expected an object with a schedulers count, got ${describeValue(options)}`);
    }
    const schedulers = checkInteger('options.schedulers', options.schedulers, 1, MAX_SCHEDULERS);
    const ringBytes = options.ringBytes ?? DEFAULT_RING_BYTES;
    if (typeof ringBytes !== 'number' || !Number.isInteger(ringBytes) || ringBytes < MIN_CAPACITY || ringBytes > MAX_CAPACITY || (ringBytes & (ringBytes - 1)) !== 0) {
      throw new InvalidArgumentError(`options.ringBytes: expected a power of two from ${MIN_CAPACITY} to ${MAX_CAPACITY}, got ${describeValue(ringBytes)}`);
    }
    const maxInlineBytes = checkInteger('options.maxInlineBytes', options.maxInlineBytes ?? ringBytes / 4, 0, ringBytes - 4 - MARKER_BYTES, ' (bytes; below the ring size)');
    const control = new SharedArrayBuffer(meshControlBytes(schedulers));
    const view = new DataView(control);
    // Plain writes: nobody else holds the buffer yet; postMessage orders them before any reader.
    view.setUint32(MESH_MAGIC_OFFSET, MESH_MAGIC, true);
    view.setUint32(MESH_SCHEDULERS_OFFSET, schedulers, true);
    view.setUint32(MESH_RING_BYTES_OFFSET, ringBytes, true);
    view.setUint32(MESH_MAX_INLINE_OFFSET, maxInlineBytes, true);
    return new SchedulerMesh({ kind: MESH_KIND, meshId: randomUUID(), schedulers, ringBytes, maxInlineBytes, control });
  }

  /** Attaches scheduler `index`'s endpoint in the calling thread (once per index per mesh). */
  static attach(descriptor: MeshDescriptor, index: number, options: AttachOptions = {}): MeshEndpoint {
    const d = checkDescriptor(descriptor);
    checkInteger('index', index, 0, d.schedulers - 1, ` (a scheduler of this mesh of ${d.schedulers})`);
    return new MeshEndpoint(d, index, options);
  }
}

function checkDescriptor(descriptor: unknown): MeshDescriptor {
  const d = descriptor as Partial<MeshDescriptor> | null;
  if (typeof d !== 'object' || d === null || d.kind !== MESH_KIND || !(d.control instanceof SharedArrayBuffer) || typeof d.meshId !== 'string') {
    throw new InvalidArgumentError(`descriptor: expected a MeshDescriptor (SchedulerMesh.create(...).descriptor), got ${describeValue(descriptor)}`);
  }
  const schedulers = d.schedulers;
  if (typeof schedulers !== 'number' || !Number.isInteger(schedulers) || schedulers < 1 || schedulers > MAX_SCHEDULERS || d.control.byteLength !== meshControlBytes(schedulers)) {
    throw new InvalidArgumentError(`descriptor: its control block does not match ${describeValue(schedulers)} schedulers`);
  }
  const view = new DataView(d.control);
  if (view.getUint32(MESH_MAGIC_OFFSET, true) !== MESH_MAGIC || view.getUint32(MESH_SCHEDULERS_OFFSET, true) !== schedulers) {
    throw new InvalidArgumentError('descriptor: its control block is not a scheduler mesh (wrong magic or scheduler count)');
  }
  return d as MeshDescriptor;
}

/** One scheduler's end of the mesh. Used only by the thread that attached it. */
export class MeshEndpoint {
  /** This scheduler's index. */
  readonly index: number;
  readonly schedulers: number;
  readonly ringBytes: number;
  readonly maxInlineBytes: number;
  readonly stats: MeshEndpointStats = {
    sent: 0,
    received: 0,
    backlogged: 0,
    outOfBandSent: 0,
    outOfBandReceived: 0,
    notifications: 0,
    sleeps: 0,
    timeouts: 0,
    ringsOpened: 0,
  };

  private readonly meshId: string;
  private readonly layout: ControlLayout;
  private readonly words: Int32Array;
  private readonly wake: WakeWord;
  /** Wake words of the other schedulers (as receivers), made on first use. */
  private readonly peerWake: (WakeWord | undefined)[];
  private readonly outbound: (OutboundLane | undefined)[];
  private readonly inbound: (InboundLane | undefined)[];
  /** Lanes flush must visit. */
  private touched: OutboundLane[] = [];
  /** Senders whose rings may hold records not yet drained (local copy of taken doorbell bits). */
  private readonly pending: Uint32Array;
  private readonly selfWord: number;
  private readonly selfBit: number;
  /** A "wake j" bit was taken by drain and not yet consumed by sleep. */
  private selfSignalled = false;
  private cursor = 0;
  private scratch = new Uint8Array(MIN_SCRATCH_BYTES);
  private readonly inbox: MeshSideChannelInbox;
  private readonly spinMicros: number;
  private readonly releaseEvery: number;
  private readonly keepAlive: boolean;
  private sleeping = false;
  private closed = false;

  /** @internal Use SchedulerMesh.attach. */
  constructor(descriptor: MeshDescriptor, index: number, options: AttachOptions) {
    this.spinMicros = options.spinMicros ?? DEFAULT_SPIN_MICROS;
    if (typeof this.spinMicros !== 'number' || !(this.spinMicros >= 0) || !Number.isFinite(this.spinMicros)) {
      throw new InvalidArgumentError(`options.spinMicros: expected a finite number of microseconds >= 0, got ${describeValue(options.spinMicros)}`);
    }
    this.releaseEvery = checkInteger('options.releaseEvery', options.releaseEvery ?? 32, 1, 2 ** 30);
    this.keepAlive = options.keepAlive ?? true;
    this.index = index;
    this.schedulers = descriptor.schedulers;
    this.ringBytes = descriptor.ringBytes;
    this.maxInlineBytes = descriptor.maxInlineBytes;
    this.meshId = descriptor.meshId;
    this.layout = new ControlLayout(descriptor.control, this.schedulers);
    this.words = this.layout.words;
    this.wake = new WakeWord(this.words, this.layout.wake(index));
    this.peerWake = new Array<WakeWord | undefined>(this.schedulers).fill(undefined);
    this.outbound = new Array<OutboundLane | undefined>(this.schedulers).fill(undefined);
    this.inbound = new Array<InboundLane | undefined>(this.schedulers).fill(undefined);
    this.pending = new Uint32Array(this.layout.bitmapWords);
    this.selfWord = index >>> 5;
    this.selfBit = 1 << (index & 31);
    // The side channel must listen before senders can see `attached` (they post right after).
    this.inbox = new MeshSideChannelInbox(this.meshId, index);
    // compareExchange (seq-cst): exactly one endpoint per index; ordered before the wantsRoom
    // exchange below (the Dekker pair with a sender's "set wantsRoom, re-check attached").
    if (Atomics.compareExchange(this.words, this.layout.attached(index), 0, 1) !== 0) {
      this.inbox.close();
      throw new InvalidArgumentError(`index: scheduler ${index} of this mesh is already attached (attach each index once)`);
    }
    for (let w = 0; w < this.layout.bitmapWords; w++) {
      const waiting = Atomics.exchange(this.words, this.layout.wantsRoom(index, w), 0) >>> 0;
      if (waiting !== 0) this.wakeSenders(w, waiting);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Sending

  private checkTo(to: unknown): number {
    if (typeof to !== 'number' || !Number.isInteger(to) || to < 0 || to >= this.schedulers || to === this.index) {
      throw new InvalidArgumentError(
        `to: expected a scheduler index from 0 to ${this.schedulers - 1} other than this endpoint's own (${this.index}), got ${describeValue(to)}`,
      );
    }
    return to;
  }

  private lane(to: unknown): OutboundLane {
    if (this.closed) throw new BeamError(ErrorCode.VM_STOPPED, `scheduler mesh: endpoint ${this.index} is closed`);
    const index = this.checkTo(to);
    let lane = this.outbound[index];
    if (lane === undefined) lane = this.outbound[index] = new OutboundLane(index);
    return lane;
  }

  /**
   * Sends one record to scheduler `to`, encoded by `write` straight into the ring when there is
   * room (`sizeHint`: the bytes it probably needs, default 256), else into a scratch buffer
   * (grown until `write` fits) and then to the backlog or out of band. Not visible to `to`
   * before `flush`.
   */
  send(to: number, write: MeshWrite, sizeHint = DEFAULT_SIZE_HINT): void {
    const lane = this.lane(to);
    if (lane.producer === null && lane.backlogLength === 0) this.openRing(lane);
    const producer = lane.producer;
    if (producer !== null && lane.backlogLength === 0) {
      const hint = sizeHint >= 0 && sizeHint <= this.maxInlineBytes ? sizeHint | 0 : sizeHint > 0 ? this.maxInlineBytes : 0;
      const slot = producer.reserve(hint);
      if (slot !== null) {
        const written = write(slot.view, slot.offset, slot.limit);
        if (written !== -1) {
          this.checkWritten(written, slot.limit - slot.offset);
          producer.commit(written);
          this.stats.sent++;
          this.touch(lane);
          return;
        }
      }
    }
    this.enqueue(lane, this.encodeElsewhere(write, sizeHint));
  }

  /** Sends a copy of `bytes` as one record to scheduler `to`. */
  sendBytes(to: number, bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError(`bytes: expected a Uint8Array, got ${describeValue(bytes)}`);
    const lane = this.lane(to);
    if (lane.producer === null && lane.backlogLength === 0) this.openRing(lane);
    this.enqueue(lane, bytes);
  }

  private checkWritten(written: unknown, room: number): void {
    if (typeof written !== 'number' || !Number.isInteger(written) || written < 0 || written > room) {
      throw new InvalidArgumentError(`write: expected it to return -1 or the bytes written, from 0 to ${room}, got ${describeValue(written)}`);
    }
  }

  /** Runs `write` into the scratch buffer, growing it until the record fits; returns a view of it. */
  private encodeElsewhere(write: MeshWrite, sizeHint: number): Uint8Array {
    if (this.scratch.length < sizeHint && sizeHint <= MAX_RECORD_BYTES) this.scratch = new Uint8Array(Math.max(sizeHint, MIN_SCRATCH_BYTES));
    for (;;) {
      const scratch = this.scratch;
      const written = write(scratch, 0, scratch.length);
      if (written !== -1) {
        this.checkWritten(written, scratch.length);
        return scratch.subarray(0, written);
      }
      if (scratch.length >= MAX_RECORD_BYTES) {
        throw new BeamError(ErrorCode.SYSTEM_LIMIT, `write: the record does not fit in ${MAX_RECORD_BYTES} bytes, the largest record the scheduler mesh carries`);
      }
      this.scratch = new Uint8Array(Math.min(scratch.length * 4, MAX_RECORD_BYTES));
    }
  }

  /** Places one record (copied) into the ring, the backlog, or out of band. */
  private enqueue(lane: OutboundLane, bytes: Uint8Array): void {
    const direct = lane.backlogLength === 0 && lane.producer !== null;
    if (bytes.length <= this.maxInlineBytes) {
      if (!(direct && lane.producer!.tryWrite(bytes))) {
        lane.backlog.push(bytes.slice());
        this.stats.backlogged++;
      }
    } else {
      if (bytes.length > MAX_RECORD_BYTES) {
        throw new BeamError(ErrorCode.SYSTEM_LIMIT, `bytes: a record of ${bytes.length} bytes exceeds ${MAX_RECORD_BYTES}, the largest record the scheduler mesh carries`);
      }
      // One copy into shared memory: posting a SharedArrayBuffer shares it, no further copy.
      const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
      shared.set(bytes);
      if (!(direct && this.trySendOutOfBand(lane, shared))) {
        lane.backlog.push(shared);
        this.stats.backlogged++;
      }
    }
    this.stats.sent++;
    this.touch(lane);
  }

  private touch(lane: OutboundLane): void {
    if (lane.touched) return;
    lane.touched = true;
    this.touched.push(lane);
  }

  /** Allocates the lane's ring and hands it over, if the receiver is attached. */
  private openRing(lane: OutboundLane): boolean {
    // Atomics.load (seq-cst): the receiver's inbox listens before it sets `attached`.
    if (Atomics.load(this.words, this.layout.attached(lane.to)) === 0) return false;
    const ring = createRingBuffer(this.ringBytes);
    lane.side ??= new MeshSideChannelSender(this.meshId, lane.to);
    // Posted before anything is published on the ring or the doorbell (see mesh_side_channel.ts).
    lane.side.post(SideChannelKind.RING, this.index, 0, ring);
    lane.producer = new RingProducer(ring);
    this.stats.ringsOpened++;
    return true;
  }

  /** Writes the marker of an out-of-band record and posts its bytes; false if the ring has no room for the marker. */
  private trySendOutOfBand(lane: OutboundLane, shared: Uint8Array): boolean {
    const producer = lane.producer!;
    const slot = producer.reserve(MARKER_BYTES);
    if (slot === null) return false;
    const seq = lane.outOfBandSeq;
    writeMarker(slot.view, slot.offset, seq, shared.length);
    lane.side ??= new MeshSideChannelSender(this.meshId, lane.to);
    // Posted before the marker is committed (and long before it is published).
    lane.side.post(SideChannelKind.OUT_OF_BAND, this.index, seq, shared.buffer as SharedArrayBuffer);
    producer.commitAs(RecordKind.OUT_OF_BAND, MARKER_BYTES);
    lane.outOfBandSeq = (seq + 1) >>> 0;
    this.stats.outOfBandSent++;
    return true;
  }

  /** Moves backlog records into the ring, oldest first; true when the backlog is empty. */
  private pump(lane: OutboundLane): boolean {
    if (lane.producer === null && !this.openRing(lane)) return lane.backlogLength === 0;
    const producer = lane.producer!;
    const backlog = lane.backlog;
    let start = lane.backlogStart;
    while (start < backlog.length) {
      const entry = backlog[start]!;
      const ok = entry.length <= this.maxInlineBytes ? producer.tryWrite(entry) : this.trySendOutOfBand(lane, entry);
      if (!ok) break;
      backlog[start++] = EMPTY;
    }
    if (start === backlog.length) {
      lane.backlog = [];
      lane.backlogStart = 0;
      return true;
    }
    if (start >= 1024 && start * 2 >= backlog.length) {
      lane.backlog = backlog.slice(start);
      start = 0;
    }
    lane.backlogStart = start;
    return false;
  }

  /** Publishes the lane's ring and rings the receiver's doorbell if records were added since the last time. */
  private publish(lane: OutboundLane): void {
    const producer = lane.producer;
    if (producer === null) return;
    producer.flush(); // W1: Atomics.store of the tail (may already have happened inside reserve)
    if (producer.records === lane.recordsAtDoorbell) return;
    lane.recordsAtDoorbell = producer.records;
    const bell = this.layout.doorbell(lane.to, this.selfWord);
    // W1': Atomics.load first, so a receiver that has not taken our bit yet costs no write.
    if ((Atomics.load(this.words, bell) & this.selfBit) === 0) Atomics.or(this.words, bell, this.selfBit);
    // W2: notify only a receiver that announced sleep.
    if (this.peerWakeWord(lane.to).wakeIfSleeping()) this.stats.notifications++;
  }

  private peerWakeWord(j: number): WakeWord {
    let wake = this.peerWake[j];
    if (wake === undefined) wake = this.peerWake[j] = new WakeWord(this.words, this.layout.wake(j));
    return wake;
  }

  /**
   * Publishes every ring written since the last flush (moving backlogs in first) and wakes each
   * sleeping receiver once. Lanes whose backlog could not drain stay on the list; their receiver
   * wakes this endpoint when it makes room, and the next flush continues.
   */
  flush(): void {
    const lanes = this.touched;
    if (lanes.length === 0) return;
    let kept = 0;
    for (let k = 0; k < lanes.length; k++) {
      const lane = lanes[k]!;
      if (lane.backlogLength > 0) this.pump(lane);
      this.publish(lane);
      if (lane.backlogLength > 0) {
        // Ask the receiver to wake us when it makes room (or attaches), then look once more:
        // the receiver publishes its head before it looks at this bit (see the header).
        Atomics.or(this.words, this.layout.wantsRoom(lane.to, this.selfWord), this.selfBit);
        this.pump(lane);
        this.publish(lane);
      }
      if (lane.backlogLength > 0) lanes[kept++] = lane;
      else lane.touched = false;
    }
    lanes.length = kept;
  }

  /** Records waiting in this endpoint's backlogs (not yet in any ring). */
  get outboundBacklog(): number {
    let total = 0;
    for (const lane of this.touched) total += lane.backlogLength;
    return total;
  }

  // ---------------------------------------------------------------------------------------
  // Receiving

  /** Takes the doorbell bits into `pending` (one Atomics.exchange per word that has any). */
  private takeDoorbell(): void {
    const words = this.words;
    for (let w = 0; w < this.pending.length; w++) {
      const index = this.layout.doorbell(this.index, w);
      // Atomics.load first: an idle word costs no write to a line senders use.
      if (Atomics.load(words, index) === 0) continue;
      this.pending[w]! |= Atomics.exchange(words, index, 0);
    }
    if ((this.pending[this.selfWord]! & this.selfBit) !== 0) {
      this.pending[this.selfWord]! &= ~this.selfBit;
      this.selfSignalled = true;
    }
  }

  /**
   * Calls `handler` for up to `max` records sent to this scheduler, per sender in the order
   * sent, senders taken round-robin. Returns how many records it delivered. The handler's view
   * is valid only during the call. If the handler throws, its record counts as delivered and
   * the error propagates (the next drain continues after it).
   */
  drain(handler: MeshHandler, max = Infinity): number {
    if (!(max >= 0)) throw new InvalidArgumentError(`max: expected a number of records >= 0, got ${describeValue(max)}`);
    this.takeDoorbell();
    const n = this.schedulers;
    let delivered = 0;
    for (let step = 0; step < n && delivered < max; step++) {
      const from = (this.cursor + step) % n;
      if ((this.pending[from >>> 5]! & (1 << (from & 31))) === 0) continue;
      delivered += this.drainFrom(from, handler, max - delivered);
      if (delivered >= max) {
        // Start the next drain after this sender, so one busy sender cannot starve the others.
        this.cursor = (from + 1) % n;
      }
    }
    return delivered;
  }

  private openInbound(from: number): InboundLane {
    const ring = this.inbox.take(SideChannelKind.RING, from, 0);
    const lane = new InboundLane(new RingConsumer(ring, { releaseEvery: this.releaseEvery }));
    this.inbound[from] = lane;
    return lane;
  }

  private drainFrom(from: number, handler: MeshHandler, budget: number): number {
    const lane = this.inbound[from] ?? this.openInbound(from);
    const consumer = lane.consumer;
    let delivered = 0;
    try {
      while (delivered < budget) {
        const record = consumer.read();
        if (record === null) {
          this.pending[from >>> 5]! &= ~(1 << (from & 31));
          break;
        }
        delivered++;
        this.stats.received++;
        try {
          if (record.kind === RecordKind.DATA) handler(from, record.view, record.offset, record.length);
          else this.deliverOutOfBand(lane, from, record.view, record.offset, record.length, handler);
        } finally {
          consumer.release();
        }
      }
    } finally {
      // Publish the head, THEN look at the sender's wantsRoom bit (the Dekker pair of flush).
      consumer.releaseAll();
      const word = this.layout.wantsRoom(this.index, from >>> 5);
      const bit = 1 << (from & 31);
      if ((Atomics.load(this.words, word) & bit) !== 0) {
        Atomics.and(this.words, word, ~bit);
        this.wakeSenders(from >>> 5, bit >>> 0);
      }
    }
    return delivered;
  }

  private deliverOutOfBand(lane: InboundLane, from: number, view: Uint8Array, offset: number, length: number, handler: MeshHandler): void {
    if (length !== MARKER_BYTES) {
      throw new BeamError(ErrorCode.SHM_CORRUPT, `scheduler mesh: out-of-band marker from scheduler ${from} has ${length} bytes, expected ${MARKER_BYTES}`);
    }
    const marker = new DataView(view.buffer, view.byteOffset + offset, MARKER_BYTES);
    const seq = marker.getUint32(MARKER_SEQUENCE_OFFSET, true);
    const bytes = marker.getUint32(MARKER_LENGTH_OFFSET, true);
    if (seq !== lane.outOfBandSeq) {
      throw new BeamError(ErrorCode.SHM_CORRUPT, `scheduler mesh: out-of-band marker from scheduler ${from} has sequence ${seq}, expected ${lane.outOfBandSeq}`);
    }
    const buffer = this.inbox.take(SideChannelKind.OUT_OF_BAND, from, seq);
    if (buffer.byteLength !== bytes) {
      throw new BeamError(ErrorCode.SHM_CORRUPT, `scheduler mesh: out-of-band record ${seq} from scheduler ${from}: marker says ${bytes} bytes, the side channel delivered ${buffer.byteLength}`);
    }
    lane.outOfBandSeq = (seq + 1) >>> 0;
    this.stats.outOfBandReceived++;
    handler(from, new Uint8Array(buffer), 0, bytes);
  }

  /** Sets the "wake" bit of each sender in `bits` (bitmap word `word`) and notifies it if it sleeps. */
  private wakeSenders(word: number, bits: number): void {
    for (let b = 0; b < 32; b++) {
      if ((bits & (1 << b)) === 0) continue;
      const sender = word * 32 + b;
      if (sender >= this.schedulers) break;
      Atomics.or(this.words, this.layout.doorbell(sender, word), 1 << b);
      if (this.peerWakeWord(sender).wakeIfSleeping()) this.stats.notifications++;
    }
  }

  /**
   * True when a sender has announced records not yet drained. Cheap: one Atomics.load per 32
   * schedulers. Can be late (a flush in flight is not seen) and can be wrongly true (the records
   * it announces may have been drained already by the previous drain).
   */
  hasInbound(): boolean {
    for (let w = 0; w < this.pending.length; w++) {
      let bits = this.pending[w]! | Atomics.load(this.words, this.layout.doorbell(this.index, w));
      if (w === this.selfWord) bits &= ~this.selfBit;
      if (bits !== 0) return true;
    }
    return false;
  }

  /** Inbound records announced, or a "wake" signal (wakeSelf, room freed) not yet consumed. */
  private hasWork(): boolean {
    if (this.selfSignalled) return true;
    for (let w = 0; w < this.pending.length; w++) {
      // Atomics.load (seq-cst): step S2 of the wake protocol when called after prepareSleep.
      if ((this.pending[w]! | Atomics.load(this.words, this.layout.doorbell(this.index, w))) !== 0) return true;
    }
    return false;
  }

  /** Consumes a "wake" signal: the sleep it was meant to end is ending now. */
  private consumeWake(): 'woken' {
    this.selfSignalled = false;
    const bell = this.layout.doorbell(this.index, this.selfWord);
    if ((Atomics.load(this.words, bell) & this.selfBit) !== 0) Atomics.and(this.words, bell, ~this.selfBit);
    return 'woken';
  }

  /**
   * Flushes, then waits until a sender announces records, `wakeSelf` is called, a receiver made
   * room for this endpoint's backlog, or `timeoutMs` passes (default: no timeout). Spins for
   * `spinMicros` first, then sleeps in Atomics.waitAsync: the event loop keeps turning and the
   * thread uses no CPU. Resolves 'woken' at once when there is work already.
   */
  async sleep(timeoutMs = Infinity): Promise<'woken' | 'timeout'> {
    if (!(timeoutMs >= 0)) throw new InvalidArgumentError(`timeoutMs: expected a number of milliseconds >= 0, got ${describeValue(timeoutMs)}`);
    if (this.sleeping) throw new InvalidArgumentError('sleep: expected no other sleep pending on this endpoint, got a second call before the first resolved');
    this.flush();
    if (this.hasWork()) return this.consumeWake();
    if (this.spinMicros > 0) {
      const end = performance.now() + this.spinMicros / 1000;
      for (let i = 1; ; i++) {
        if (this.hasWork()) return this.consumeWake();
        if ((i & 63) === 0 && performance.now() >= end) break;
      }
    }
    this.wake.prepareSleep(); // S1
    if (this.hasWork()) {
      // S2 found work: withdraw the announcement.
      this.wake.cancelSleep();
      return this.consumeWake();
    }
    this.sleeping = true;
    this.stats.sleeps++;
    // waitAsync alone does not keep a worker's event loop alive: a ref'd timer does.
    const timer = this.keepAlive ? setInterval(noop, Math.min(timeoutMs, MAX_TIMER_MS)) : undefined;
    try {
      const result = await this.wake.sleepAsync(timeoutMs); // S3 (+ S4: back to AWAKE)
      if (result === SleepResult.TIMED_OUT && !this.hasWork()) {
        this.stats.timeouts++;
        return 'timeout';
      }
      return this.consumeWake();
    } finally {
      if (timer !== undefined) clearInterval(timer);
      this.sleeping = false;
    }
  }

  /** Ends a pending `sleep` of this endpoint (or makes the next one return at once). */
  wakeSelf(): void {
    Atomics.or(this.words, this.layout.doorbell(this.index, this.selfWord), this.selfBit);
    this.wake.wakeIfSleeping();
  }

  /** Records delivered on the side channel and not taken (0 in a healthy mesh; for tests). */
  get sideChannelStash(): number {
    return this.inbox.stashed;
  }

  /** Closes the side channels. Call when the mesh shuts down; the endpoint cannot send after. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.inbox.close();
    for (const lane of this.outbound) lane?.side?.close();
  }
}
