/**
 * The shared structures of a many-thread VM: created by the main thread (`createShared`), handed
 * to each scheduler worker in its workerData (`WorkerInit`, SharedArrayBuffers only), and
 * attached there (`attachShared`). It adapts the src/shm structures to the ports the ThreadHost
 * uses (thread_host.ts: MeshPort, DirectoryPort, NameTablePort) and adds the load words:
 *
 *   loads: Int32Array of `schedulers` words; word i = runnable processes of scheduler i after its
 *          last batch (written by scheduler i with Atomics.store, read by thieves with
 *          Atomics.load; a stale value only makes a steal request useless, never wrong).
 *
 * Threads: every function here runs in the thread that calls it; what it returns belongs to
 * that thread, over memory all threads share (whose rules are in src/shm).
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { BeamError, ErrorCode } from '../errors/index.js';
import {
  createRingBuffer,
  RingConsumer,
  RingProducer,
  RingReceiver,
  RingSender,
  WakeWord,
} from '../shm/index.js';
import { DEFAULT_PROCESS_LIMIT } from '../process/process_table.js';
import type { DirectoryPort, MeshPort, NameTablePort } from './thread_host.js';

/** A destination's records are published at least every this many sends. */
const PUBLISH_EVERY = 64;
/** Bytes of data in each ring between two threads. */
const RING_BYTES = 1 << 18;
/**
 * How long (µs) an idle thread polls its inbound rings before it sleeps. Waking a sleeping
 * thread costs tens of µs here (Atomics.waitAsync, then the event loop); a reply that comes
 * within the spin costs a poll. Chosen with `npm run bench -- sched` (cross-scheduler ping-pong).
 */
const SPIN_MICROS = 50;

/** What a scheduler worker receives (structured-cloneable: SharedArrayBuffers and numbers). */
export interface WorkerInit {
  readonly index: number;
  readonly schedulers: number;
  readonly modules: readonly string[];
  readonly node: string;
  readonly clock: SharedArrayBuffer;
  readonly log: boolean;
  readonly processLimit?: number;
  readonly longScheduleMs?: number;
  readonly batchMs?: number;
  readonly rings: readonly (SharedArrayBuffer | undefined)[];
  readonly wake: SharedArrayBuffer;
  readonly directory: SharedArrayBuffer;
  readonly names: SharedArrayBuffer;
  readonly loads: SharedArrayBuffer;
  readonly ports: readonly (MessagePort | undefined)[];
}

export interface SharedPorts {
  readonly mesh: MeshPort;
  readonly directory: DirectoryPort;
  readonly names: NameTablePort;
  readonly loads: Int32Array;
}

// ---------------------------------------------------------------------------------------------
// The mesh: one SPSC ring per ordered pair of endpoints (endpoints = schedulers + the main
// thread), ring (i -> j) at rings[i * E + j]; one wake word per endpoint.

class Mesh implements MeshPort {
  readonly #self: number;
  readonly #senders: (RingSender | undefined)[];
  readonly #receivers: (RingReceiver | undefined)[];
  readonly #wake: Int32Array;
  readonly #myWake: WakeWord;
  readonly #touched = new Set<number>();
  readonly #unpublished: number[];
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
    if (sender === undefined) throw new BeamError(ErrorCode.INVALID_ARGUMENT, `mesh: no ring from thread ${this.#self} to ${to}`);
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
      if (sender.backlogLength === 0) this.#touched.delete(to);
    }
  }

  backlogged(): boolean {
    return this.#touched.size > 0;
  }

  drain(handler: (from: number, view: Uint8Array, offset: number, length: number) => void, max = Number.POSITIVE_INFINITY): number {
    let count = 0;
    for (let from = 0; from < this.#receivers.length; from++) {
      const receiver = this.#receivers[from];
      if (receiver === undefined) continue;
      // At most `max` per ring and call: the rest waits in the ring (compact bytes), not in a
      // mailbox (objects), when senders outrun this thread.
      for (let record = receiver.read(), taken = 0; record !== null && taken < max; record = ++taken < max ? receiver.read() : null) {
        try {
          handler(from, record.view, record.offset, record.length);
        } finally {
          receiver.release();
        }
        count++;
      }
    }
    return count;
  }

  #hasInbound(): boolean {
    for (const receiver of this.#receivers) if (receiver !== undefined && receiver.consumer.hasData()) return true;
    return false;
  }

  async sleep(timeoutMs = Number.POSITIVE_INFINITY): Promise<unknown> {
    const until = performance.now() + SPIN_MICROS / 1000;
    do {
      if (this.#hasInbound()) return 'data';
    } while (performance.now() < until);
    this.#myWake.prepareSleep();
    if (this.#hasInbound()) {
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

// ---------------------------------------------------------------------------------------------
// The process directory: per pid id two Int32 words [state, serial]; state 0 = free,
// -1 = allocated (not yet alive), h + 1 = alive with home thread h. A free stack under a spin
// lock hands out ids. Layout (Int32 indexes): 0 lock, 1 free-stack top, 2 alive count,
// 3 capacity, 16.. slots (2 words each), then the free stack (capacity words).

const D_LOCK = 0;
const D_TOP = 1;
const D_ALIVE = 2;
const D_CAPACITY = 3;
const D_SLOTS = 16;

function lock(words: Int32Array, index: number): void {
  while (Atomics.compareExchange(words, index, 0, 1) !== 0) {
    // Critical sections are a few loads and stores: spin.
  }
}

function unlock(words: Int32Array, index: number): void {
  Atomics.store(words, index, 0);
}

function createDirectoryBuffer(capacity: number): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer((D_SLOTS + capacity * 3) * 4);
  const words = new Int32Array(buffer);
  words[D_CAPACITY] = capacity;
  const stack = D_SLOTS + capacity * 2;
  // Lowest ids on top of the stack.
  for (let i = 0; i < capacity; i++) words[stack + i] = capacity - 1 - i;
  words[D_TOP] = capacity;
  return buffer;
}

class Directory implements DirectoryPort {
  readonly #words: Int32Array;
  readonly #capacity: number;
  readonly #stack: number;

  constructor(buffer: SharedArrayBuffer) {
    this.#words = new Int32Array(buffer);
    this.#capacity = this.#words[D_CAPACITY]!;
    this.#stack = D_SLOTS + this.#capacity * 2;
  }

  allocate(): { readonly id: number; readonly serial: number } {
    const w = this.#words;
    lock(w, D_LOCK);
    const top = w[D_TOP]!;
    if (top === 0) {
      unlock(w, D_LOCK);
      throw new BeamError(ErrorCode.SYSTEM_LIMIT, `spawn: the process limit (${this.#capacity}) is reached; raise the VM's processLimit option`);
    }
    const id = w[this.#stack + top - 1]!;
    w[D_TOP] = top - 1;
    const slot = D_SLOTS + id * 2;
    const serial = (w[slot + 1]! + 1) & 0x7fffffff;
    w[slot + 1] = serial;
    Atomics.store(w, slot, -1);
    unlock(w, D_LOCK);
    return { id, serial };
  }

  publishAlive(id: number, serial: number, home: number): void {
    const slot = D_SLOTS + id * 2;
    if (Atomics.load(this.#words, slot + 1) !== serial) return;
    Atomics.store(this.#words, slot, home + 1);
    Atomics.add(this.#words, D_ALIVE, 1);
  }

  lookup(id: number, serial: number): number {
    if (id < 0 || id >= this.#capacity) return -1;
    const slot = D_SLOTS + id * 2;
    const state = Atomics.load(this.#words, slot);
    if (state <= 0 || Atomics.load(this.#words, slot + 1) !== serial) return -1;
    return state - 1;
  }

  release(id: number, serial: number): void {
    const w = this.#words;
    const slot = D_SLOTS + id * 2;
    lock(w, D_LOCK);
    if (w[slot + 1] === serial && w[slot] !== 0) {
      if (w[slot]! > 0) Atomics.sub(w, D_ALIVE, 1);
      Atomics.store(w, slot, 0);
      w[this.#stack + w[D_TOP]!] = id;
      w[D_TOP] = w[D_TOP]! + 1;
    }
    unlock(w, D_LOCK);
  }

  alive(): Array<{ readonly id: number; readonly serial: number }> {
    const out: Array<{ id: number; serial: number }> = [];
    const w = this.#words;
    for (let id = 0; id < this.#capacity; id++) {
      const slot = D_SLOTS + id * 2;
      if (Atomics.load(w, slot) > 0) out.push({ id, serial: Atomics.load(w, slot + 1) });
    }
    return out;
  }

  aliveCount(): number {
    return Atomics.load(this.#words, D_ALIVE);
  }
}

// ---------------------------------------------------------------------------------------------
// The name table: NAME_SLOTS entries under one spin lock; an entry = [used, id, serial, length,
// name bytes (NAME_BYTES)]. Layout (Int32 indexes): 0 lock, 16.. entries.

const NAME_SLOTS = 4096;
const NAME_BYTES = 256 * 4;
const N_LOCK = 0;
const N_ENTRIES = 16;
const ENTRY_WORDS = 4 + NAME_BYTES / 4;

class Names implements NameTablePort {
  readonly #words: Int32Array;
  readonly #bytes: Uint8Array;

  constructor(buffer: SharedArrayBuffer) {
    this.#words = new Int32Array(buffer);
    this.#bytes = new Uint8Array(buffer);
  }

  #nameAt(entry: number): string {
    const base = N_ENTRIES + entry * ENTRY_WORDS;
    const length = this.#words[base + 3]!;
    return Buffer.from(this.#bytes.slice((base + 4) * 4, (base + 4) * 4 + length)).toString('utf8');
  }

  #find(name: string): number {
    for (let e = 0; e < NAME_SLOTS; e++) {
      const base = N_ENTRIES + e * ENTRY_WORDS;
      if (this.#words[base] === 1 && this.#nameAt(e) === name) return e;
    }
    return -1;
  }

  register(name: string, id: number, serial: number): boolean {
    const w = this.#words;
    lock(w, N_LOCK);
    try {
      if (this.#find(name) >= 0) return false;
      for (let e = 0; e < NAME_SLOTS; e++) {
        const base = N_ENTRIES + e * ENTRY_WORDS;
        if (w[base] === 1) continue;
        const bytes = Buffer.from(name, 'utf8');
        this.#bytes.set(bytes, (base + 4) * 4);
        w[base + 1] = id;
        w[base + 2] = serial;
        w[base + 3] = bytes.length;
        w[base] = 1;
        return true;
      }
      throw new BeamError(ErrorCode.SYSTEM_LIMIT, `register: the name table is full (${NAME_SLOTS} names)`);
    } finally {
      unlock(w, N_LOCK);
    }
  }

  unregister(name: string): { readonly id: number; readonly serial: number } | undefined {
    const w = this.#words;
    lock(w, N_LOCK);
    try {
      const e = this.#find(name);
      if (e < 0) return undefined;
      const base = N_ENTRIES + e * ENTRY_WORDS;
      w[base] = 0;
      return { id: w[base + 1]!, serial: w[base + 2]! };
    } finally {
      unlock(w, N_LOCK);
    }
  }

  unregisterIfOwner(name: string, id: number, serial: number): void {
    const w = this.#words;
    lock(w, N_LOCK);
    try {
      const e = this.#find(name);
      if (e < 0) return;
      const base = N_ENTRIES + e * ENTRY_WORDS;
      if (w[base + 1] === id && w[base + 2] === serial) w[base] = 0;
    } finally {
      unlock(w, N_LOCK);
    }
  }

  whereis(name: string): { readonly id: number; readonly serial: number } | undefined {
    const w = this.#words;
    lock(w, N_LOCK);
    try {
      const e = this.#find(name);
      if (e < 0) return undefined;
      const base = N_ENTRIES + e * ENTRY_WORDS;
      return { id: w[base + 1]!, serial: w[base + 2]! };
    } finally {
      unlock(w, N_LOCK);
    }
  }

  registered(): string[] {
    const w = this.#words;
    lock(w, N_LOCK);
    try {
      const out: string[] = [];
      for (let e = 0; e < NAME_SLOTS; e++) if (w[N_ENTRIES + e * ENTRY_WORDS] === 1) out.push(this.#nameAt(e));
      return out;
    } finally {
      unlock(w, N_LOCK);
    }
  }

  clear(): void {
    const w = this.#words;
    lock(w, N_LOCK);
    for (let e = 0; e < NAME_SLOTS; e++) w[N_ENTRIES + e * ENTRY_WORDS] = 0;
    unlock(w, N_LOCK);
  }
}

// ---------------------------------------------------------------------------------------------

/** Creates the shared structures of a VM of `schedulers` scheduler threads (+ the main thread). */
export function createShared(options: { readonly schedulers: number; readonly processLimit: number | undefined }): {
  readonly init: Omit<WorkerInit, 'index' | 'modules' | 'node' | 'clock' | 'log' | 'processLimit' | 'longScheduleMs' | 'batchMs' | 'ports'> & { readonly portsFor: (index: number) => (MessagePort | undefined)[] };
  readonly main: SharedPorts;
} {
  const endpoints = options.schedulers + 1;
  const rings: (SharedArrayBuffer | undefined)[] = [];
  for (let i = 0; i < endpoints; i++) for (let j = 0; j < endpoints; j++) rings.push(i === j ? undefined : createRingBuffer(RING_BYTES));
  // Out-of-band side channels: one MessageChannel per ordered pair (port1 at the producer).
  const channels: Array<MessageChannel | undefined> = [];
  for (let i = 0; i < endpoints; i++) for (let j = 0; j < endpoints; j++) channels.push(i === j ? undefined : new MessageChannel());
  const portsFor = (self: number): (MessagePort | undefined)[] => {
    const ports: (MessagePort | undefined)[] = [];
    for (let other = 0; other < endpoints; other++) {
      ports.push(channels[self * endpoints + other]?.port1, channels[other * endpoints + self]?.port2);
    }
    return ports;
  };
  const wake = new SharedArrayBuffer(endpoints * 4);
  const directory = createDirectoryBuffer(options.processLimit ?? DEFAULT_PROCESS_LIMIT);
  const names = new SharedArrayBuffer((N_ENTRIES + NAME_SLOTS * ENTRY_WORDS) * 4);
  const loads = new SharedArrayBuffer(options.schedulers * 4);
  const mainIndex = options.schedulers;
  return {
    init: { schedulers: options.schedulers, rings, wake, directory, names, loads, portsFor },
    main: {
      mesh: new Mesh(mainIndex, endpoints, rings, wake, portsFor(mainIndex)),
      directory: new Directory(directory),
      names: new Names(names),
      loads: new Int32Array(loads),
    },
  };
}

/** Attaches a scheduler worker to the structures of its WorkerInit. */
export function attachShared(init: WorkerInit): SharedPorts {
  return {
    mesh: new Mesh(init.index, init.schedulers + 1, init.rings, init.wake, init.ports),
    directory: new Directory(init.directory),
    names: new Names(init.names),
    loads: new Int32Array(init.loads),
  };
}
