/**
 * The scheduler mesh: how the threads of a VM reach each other. Endpoints are the scheduler
 * threads and the main thread (E = schedulers + 1). Between every ordered pair (i, j) there is
 * one single-producer single-consumer ring (spsc_ring.ts), at index i * E + j of the ring list,
 * written only by i and read only by j, plus a MessageChannel for its out-of-band records
 * (out_of_band.ts). Each endpoint has one wake word (wake_word.ts) in a shared array of E words.
 *
 * Why a ring per pair rather than one multi-producer ring per receiver: a producer never
 * contends with another producer (no compare-and-swap on the hot path, no per-record ready
 * flag), per-pair FIFO order is the ring's own order, and the ring code already existed and was
 * measured (bench/shm/ring.ts: 2.1 M records/s published one by one, 8.6 M batched, against
 * 4.4 M for ringbuf.js). The cost is E * (E - 1) rings, all allocated when the VM starts:
 * RING_BYTES shrinks as E grows (256 KiB up to 8 endpoints, 128 KiB up to 32, 64 KiB beyond),
 * but 64 schedulers still take 65 * 64 * 64 KiB = 266 MiB, committed at once (V8 commits a
 * SharedArrayBuffer when it is made: measured 193 MiB resident for 4,032 rings of 64 KiB). Rings
 * allocated by their sender on first use (a draft, `DoorbellMesh`, measured a multi-producer
 * ring per receiver too and found it slower with more threads than cores) are the way to large
 * scheduler counts; they are not wired in yet.
 *
 * Per endpoint:
 *   - send(to, write): `write(view, offset, limit)` encodes one record straight into the ring
 *     and returns its length, or -1 when it does not fit there; then it is encoded into a scratch
 *     buffer and goes through the RingSender (an ordered backlog when the ring is full, out of
 *     band when it is large). Every PUBLISH_EVERY records to one destination are published at
 *     once, so a long slice that sends a lot keeps the receiver busy.
 *   - flush(): publishes every ring written since the last flush and wakes each receiver that
 *     announced it sleeps; destinations whose backlog is not empty stay "touched" (backlogged()).
 *   - drain(handler, max): hands every record of every inbound ring (at most `max` per ring) to
 *     the handler, in ring order, and releases it.
 *   - sleep(timeout, spin): polls the inbound rings for SPIN_MICROS (unless `spin` is false: the
 *     caller polled them already, src/sched/busy_wait.ts), then announces sleep on the wake word,
 *     checks again (no lost wake-up: a sender that published before the announcement is seen
 *     by the check; one after it sees the announcement and notifies), and waits with
 *     Atomics.waitAsync, so the thread's event loop keeps turning.
 *
 * Threads: an endpoint object belongs to its thread; the rings and wake words are shared with
 * the rules of their files. Bad input: a destination without a ring throws INVALID_ARGUMENT.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { BeamError, ErrorCode } from '../errors/index.js';
import { createRingBuffer, RingConsumer, RingProducer } from './spsc_ring.js';
import { RingReceiver } from './ring_receiver.js';
import { RingSender } from './ring_sender.js';
import { WakeWord } from './wake_word.js';
/** A destination's records are published at least every this many sends. */
const PUBLISH_EVERY = 64;
/** How long (µs) an idle thread polls its inbound rings before it sleeps (see the header). */
const SPIN_MICROS = 50;
/** Bytes of data in each ring of a mesh of `endpoints` threads (see the header). */
export function meshRingBytes(endpoints: number): number {
  return endpoints <= 8 ? 1 << 18 : endpoints <= 32 ? 1 << 17 : 1 << 16;
}
export class SchedulerMesh {
  #self: number;
  #senders: (RingSender | undefined)[];
  #receivers: (RingReceiver | undefined)[];
  #wake: Int32Array;
  #myWake: WakeWord;
  #touched = new Set<number>();
  #unpublished: number[];
  #scratch = new Uint8Array(4096);
  constructor(self: number, endpoints: number, rings: readonly (SharedArrayBuffer | undefined)[], wake: SharedArrayBuffer, ports: readonly (MessagePort | undefined)[]) {
    this.#self = self;
    this.#wake = new Int32Array(wake);
    this.#myWake = new WakeWord(this.#wake, self);
    this.#senders = [];
    this.#receivers = [];
    this.#unpublished = new Array<number>(endpoints).fill(0);
    for (let other = 0; other < endpoints; other++) {
      const out = rings[self * endpoints + other];
      const inbound = rings[other * endpoints + self];
      this.#senders.push(out === undefined ? undefined : new RingSender(new RingProducer(out), { outOfBandPort: ports[other * 2]! }));
      this.#receivers.push(inbound === undefined ? undefined : new RingReceiver(new RingConsumer(inbound), { outOfBandPort: ports[other * 2 + 1]! }));
    }
  }
  send(to: number, write: (view: Uint8Array, offset: number, limit: number) => number): void {
    const sender = this.#senders[to];
    if (sender === undefined)
      throw new BeamError(ErrorCode.INVALID_ARGUMENT, `mesh: no ring from thread ${this.#self} to ${to}`);
    this.#touched.add(to);
    // A slice that sends many records publishes them in batches, so the receiver drains while
    // the sender is still running (a slice is never interrupted by the batch's own flush).
    if (++this.#unpublished[to]! >= PUBLISH_EVERY) {
      this.#unpublished[to] = 0;
      sender.flush();
      new WakeWord(this.#wake, to).wakeIfSleeping();
    }
    const slot = sender.reserve(4096);
    if (slot !== null) {
      const written = write(slot.view, slot.offset, slot.limit);
      if (written >= 0) {
        sender.commit(written);
        return;
      }
      // Abandoned: nothing is committed (a padding record the reservation wrote is valid).
    }
    for (;;) {
      const written = write(this.#scratch, 0, this.#scratch.length);
      if (written >= 0) {
        sender.send(this.#scratch.subarray(0, written));
        return;
      }
      this.#scratch = new Uint8Array(this.#scratch.length * 2);
    }
  }
  flush(): void {
    for (const to of this.#touched) {
      const sender = this.#senders[to]!;
      this.#unpublished[to] = 0;
      sender.flush();
      new WakeWord(this.#wake, to).wakeIfSleeping();
      if (sender.backlogLength === 0)
        this.#touched.delete(to);
    }
  }
  /**
   * True when every record this endpoint sent to every endpoint but `except` has been handled
   * and released by its receiver (no backlog, ring empty). Can be late (false), never early.
   * Work stealing moves a started process only then (src/vm/thread_host.ts): nothing it sent
   * from here can be overtaken by what it sends from its new thread.
   */
  consumedExcept(except: number): boolean {
    for (let to = 0; to < this.#senders.length; to++) {
      const sender = this.#senders[to];
      if (sender === undefined || to === except) continue;
      if (sender.backlogLength > 0 || !sender.producer.consumed()) return false;
    }
    return true;
  }
  backlogged(): boolean {
    return this.#touched.size > 0;
  }
  drain(handler: (from: number, view: Uint8Array, offset: number, length: number) => void, max = Number.POSITIVE_INFINITY): number {
    let count = 0;
    for (let from = 0; from < this.#receivers.length; from++) {
      const receiver = this.#receivers[from];
      if (receiver === undefined)
        continue;
      // At most `max` per ring and call: the rest waits in the ring (compact bytes), not in a
      // mailbox (objects), when senders outrun this thread.
      for (let record = receiver.read(), taken = 0; record !== null && taken < max; record = ++taken < max ? receiver.read() : null) {
        try {
          handler(from, record.view, record.offset, record.length);
        }
        finally {
          receiver.release();
        }
        count++;
      }
    }
    return count;
  }
  /** True when some inbound ring holds a record (a drain would find it). */
  hasInbound(): boolean {
    for (const receiver of this.#receivers)
      if (receiver !== undefined && receiver.consumer.hasData())
        return true;
    return false;
  }
  async sleep(timeoutMs = Number.POSITIVE_INFINITY, spin = true): Promise<unknown> {
    if (spin) {
      const until = performance.now() + SPIN_MICROS / 1000;
      do {
        if (this.hasInbound())
          return 'data';
      } while (performance.now() < until);
    }
    this.#myWake.prepareSleep();
    if (this.hasInbound()) {
      this.#myWake.cancelSleep();
      return 'data';
    }
    return this.#myWake.sleepAsync(timeoutMs);
  }
  wakeSelf(): void {
    this.#myWake.wakeIfSleeping();
  }
  wake(to: number): boolean {
    return new WakeWord(this.#wake, to).wakeIfSleeping();
  }
}
/** The shared parts of a mesh, made once by the thread that starts the VM. */
export interface MeshBuffers {
  readonly endpoints: number;
  /** Ring (i -> j) at i * endpoints + j; undefined on the diagonal. */
  readonly rings: readonly (SharedArrayBuffer | undefined)[];
  /** One wake word per endpoint. */
  readonly wake: SharedArrayBuffer;
  /** The out-of-band ports endpoint `self` needs: [to other: producer end, from other: consumer end] per other. */
  portsFor(self: number): (MessagePort | undefined)[];
}

/** Makes the rings, wake words and out-of-band channels of a mesh of `endpoints` threads. */
export function createMeshBuffers(endpoints: number): MeshBuffers {
  const ringBytes = meshRingBytes(endpoints);
  const rings: (SharedArrayBuffer | undefined)[] = [];
  const channels: (MessageChannel | undefined)[] = [];
  for (let i = 0; i < endpoints; i++) {
    for (let j = 0; j < endpoints; j++) {
      rings.push(i === j ? undefined : createRingBuffer(ringBytes));
      channels.push(i === j ? undefined : new MessageChannel());
    }
  }
  return {
    endpoints,
    rings,
    wake: new SharedArrayBuffer(endpoints * 4),
    portsFor(self: number): (MessagePort | undefined)[] {
      const ports: (MessagePort | undefined)[] = [];
      for (let other = 0; other < endpoints; other++)
        ports.push(channels[self * endpoints + other]?.port1, channels[other * endpoints + self]?.port2);
      return ports;
    },
  };
}
//# sourceMappingURL=scheduler_mesh.js.map