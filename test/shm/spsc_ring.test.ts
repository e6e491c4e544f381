/**
 * Tests of src/shm/spsc_ring.ts and the pieces around it (wake_word, ring_sender,
 * ring_receiver, out_of_band): the layout, the record protocol on one thread, then real
 * threads (test/shm/fixtures/ring_worker.ts) pushing a seeded counter sequence of mixed-size
 * records through the ring in both directions, with the backlog, out-of-band records and the
 * sleep/wake protocol exercised. Seeds are printed; BEAMJS_SEED=<n> replaces the base seed.
 */
import t from 'tap';
import { MessageChannel, Worker } from 'node:worker_threads';
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import {
  CACHE_LINE_BYTES,
  CAPACITY_OFFSET,
  DATA_OFFSET,
  HEAD_OFFSET,
  MAGIC_OFFSET,
  MIN_CAPACITY,
  RECORD_ALIGN,
  RECORD_HEADER_BYTES,
  RING_HEADER_BYTES,
  RecordKind,
  RingConsumer,
  RingProducer,
  RingReceiver,
  RingSender,
  SleepResult,
  TAIL_OFFSET,
  WAKE_AWAKE,
  WAKE_OFFSET,
  WAKE_SLEEPING,
  WakeWord,
  createRingBuffer,
  ringByteLength,
} from '../../src/shm/index.js';
import { BeamError, ErrorCode, InvalidArgumentError } from '../../src/errors/index.js';
import {
  consumeSequence,
  fillRecord,
  mulberry32,
  produceSequence,
  recordByte,
  SequenceVerifier,
  type ConsumerPlan,
  type ConsumerStats,
  type ProducerPlan,
  type ProducerStats,
  type SequenceSpec,
} from './fixtures/sequence.js';

const baseSeed = process.env.BEAMJS_SEED !== undefined ? Number(process.env.BEAMJS_SEED) >>> 0 : (Date.now() ^ (Math.random() * 2 ** 32)) >>> 0;
t.comment(`seed ${baseSeed} (replay with BEAMJS_SEED=${baseSeed})`);

function bytesOf(seq: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  fillRecord(seq, bytes, 0, length);
  return bytes;
}

/** Reads every available record through `read`, returning copies. */
function drain(consumer: { read(): { view: Uint8Array; offset: number; length: number } | null; release(): void }): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let r = consumer.read(); r !== null; r = consumer.read()) {
    out.push(r.view.slice(r.offset, r.offset + r.length));
    consumer.release();
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Layout

t.test('the header fields sit on separate cache lines before a cache-line-aligned data region', (t) => {
  const fields = { tail: TAIL_OFFSET, head: HEAD_OFFSET, wake: WAKE_OFFSET, capacity: CAPACITY_OFFSET };
  const lines = Object.values(fields).map((offset) => Math.floor(offset / CACHE_LINE_BYTES));
  t.equal(new Set(lines).size, lines.length, 'tail, head, wake word and capacity each have their own 64-byte line');
  t.equal(CACHE_LINE_BYTES, 64);
  for (const [name, offset] of Object.entries({ ...fields, magic: MAGIC_OFFSET })) {
    t.equal(offset % 4, 0, `${name} is 4-byte aligned (an Int32Array element for Atomics)`);
    t.ok(offset + 4 <= DATA_OFFSET, `${name} ends before the data region`);
  }
  t.equal(Math.floor(MAGIC_OFFSET / 64), Math.floor(CAPACITY_OFFSET / 64), 'magic shares the read-only line with capacity');
  t.not(MAGIC_OFFSET, CAPACITY_OFFSET);
  t.equal(DATA_OFFSET % CACHE_LINE_BYTES, 0, 'data region starts on a cache line');
  t.equal(RING_HEADER_BYTES, DATA_OFFSET);
  t.equal(RECORD_HEADER_BYTES % RECORD_ALIGN, 0);
  for (const capacity of [64, 1024, 65536]) {
    const sab = createRingBuffer(capacity);
    t.equal(sab.byteLength, DATA_OFFSET + capacity, `a ring of ${capacity} data bytes`);
    t.equal(ringByteLength(capacity), sab.byteLength);
    const view = new DataView(sab);
    t.equal(view.getUint32(CAPACITY_OFFSET, true), capacity, 'capacity is stored at CAPACITY_OFFSET');
    t.equal(String.fromCharCode(...new Uint8Array(sab, MAGIC_OFFSET, 4)), 'BRNG', 'the magic reads "BRNG"');
    t.equal(view.getUint32(TAIL_OFFSET, true), 0);
    t.equal(view.getUint32(HEAD_OFFSET, true), 0);
    t.equal(view.getInt32(WAKE_OFFSET, true), WAKE_AWAKE);
  }
  t.end();
});

t.test('a capacity that is not a power of two from 64 to 2^30 is rejected, naming the argument', (t) => {
  for (const bad of [0, 63, 100, 1000.5, -64, 2 ** 31, Number.NaN, '1024']) {
    t.throws(() => createRingBuffer(bad as number), { constructor: InvalidArgumentError, code: ErrorCode.INVALID_ARGUMENT, message: /^capacity: expected a power of two/ }, String(bad));
  }
  t.doesNotThrow(() => createRingBuffer(MIN_CAPACITY));
  t.end();
});

t.test('attaching to a buffer that is not a ring throws InvalidArgumentError', (t) => {
  t.throws(() => new RingProducer(new SharedArrayBuffer(DATA_OFFSET + 1024)), { code: ErrorCode.INVALID_ARGUMENT, message: /magic/ });
  t.throws(() => new RingConsumer(new ArrayBuffer(2048) as unknown as SharedArrayBuffer), { code: ErrorCode.INVALID_ARGUMENT, message: /^buffer: expected a SharedArrayBuffer/ });
  t.throws(() => new RingConsumer(createRingBuffer(1024), { releaseEvery: 0 }), { code: ErrorCode.INVALID_ARGUMENT, message: /^options\.releaseEvery/ });
  t.end();
});

// ---------------------------------------------------------------------------------------
// One thread: the record protocol

t.test('committed records are invisible to the consumer until flush, then arrive in order', (t) => {
  const sab = createRingBuffer(1024);
  const producer = new RingProducer(sab);
  const consumer = new RingConsumer(sab);
  t.ok(producer.tryWrite(bytesOf(1, 10)));
  const slot = producer.reserve(5)!;
  fillRecord(2, slot.view, slot.offset, 5);
  producer.commit(5);
  t.equal(consumer.read(), null, 'nothing before flush');
  t.ok(producer.unpublishedBytes > 0);
  producer.flush();
  t.equal(producer.unpublishedBytes, 0);
  const first = consumer.read()!;
  t.equal(first.kind, RecordKind.DATA);
  t.same([...first.view.subarray(first.offset, first.offset + first.length)], [...bytesOf(1, 10)]);
  t.equal(consumer.read(), first, 'read without release returns the same record');
  consumer.release();
  t.same(drain(consumer).map((b) => [...b]), [[...bytesOf(2, 5)]]);
  t.equal(consumer.read(), null);
  t.end();
});

t.test('a record that does not fit before the end of the ring starts at offset 0, contiguous', (t) => {
  const capacity = 256;
  const sab = createRingBuffer(capacity);
  const producer = new RingProducer(sab);
  const consumer = new RingConsumer(sab, { releaseEvery: 1 });
  // 200 bytes of payload + header leaves 52 bytes before the end.
  t.ok(producer.tryWrite(bytesOf(0, 196)));
  producer.flush();
  t.equal(drain(consumer).length, 1);
  const slot = producer.reserve(100)!;
  t.not(slot, null);
  t.equal(slot.offset, RECORD_HEADER_BYTES, 'the record was moved to the start of the data region');
  t.ok(slot.limit <= capacity && slot.limit - slot.offset >= 100);
  fillRecord(1, slot.view, slot.offset, 100);
  producer.commit(100);
  producer.flush();
  const record = consumer.read()!;
  t.equal(record.offset, RECORD_HEADER_BYTES);
  t.same([...record.view.subarray(record.offset, record.offset + record.length)], [...bytesOf(1, 100)]);
  t.end();
});

t.test('a full ring refuses a reservation, and batched release frees room only when published', (t) => {
  const sab = createRingBuffer(1024);
  const producer = new RingProducer(sab);
  const consumer = new RingConsumer(sab, { releaseEvery: 4 });
  let written = 0;
  while (producer.tryWrite(bytesOf(written, 60))) written++;
  t.equal(written, 1024 / 64, 'records of 64 bytes fill the ring exactly');
  t.equal(producer.reserve(60), null, 'full');
  // reserve() returning null flushed: the consumer sees every record.
  for (let i = 0; i < 3; i++) {
    t.not(consumer.read(), null);
    consumer.release();
  }
  t.equal(producer.reserve(60), null, 'three releases are not published yet (releaseEvery 4)');
  t.not(consumer.read(), null);
  consumer.release();
  t.not(producer.reserve(60), null, 'the fourth release publishes the head');
  producer.commit(0);
  t.end();
});

t.test('finding the ring empty publishes the consumer head, so no released room stays hidden', (t) => {
  const sab = createRingBuffer(1024);
  const producer = new RingProducer(sab);
  const consumer = new RingConsumer(sab, { releaseEvery: 1000 });
  while (producer.tryWrite(bytesOf(0, 100)));
  t.equal(drain(consumer).length, 1024 / 104 | 0);
  t.not(producer.reserve(100), null);
  t.end();
});

t.test('a record as large as the ring fits once the consumer has skipped the padding', (t) => {
  const sab = createRingBuffer(1024);
  const producer = new RingProducer(sab);
  const consumer = new RingConsumer(sab);
  t.ok(producer.tryWrite(bytesOf(0, 508)));
  producer.flush();
  drain(consumer);
  t.equal(producer.reserve(producer.maxPayload), null, 'first attempt pads to the end and waits for the consumer');
  t.equal(consumer.read(), null, 'the consumer skips the padding and finds nothing');
  const slot = producer.reserve(producer.maxPayload)!;
  t.not(slot, null);
  fillRecord(7, slot.view, slot.offset, producer.maxPayload);
  producer.commit(producer.maxPayload);
  producer.flush();
  const got = drain(consumer);
  t.equal(got.length, 1);
  t.same(got[0], bytesOf(7, producer.maxPayload));
  t.end();
});

t.test('a producer can encode up to the slot limit, which covers the contiguous free region', (t) => {
  const sab = createRingBuffer(1024);
  const producer = new RingProducer(sab);
  const consumer = new RingConsumer(sab);
  const slot = producer.reserve(1)!;
  t.equal(slot.limit - slot.offset, 1024 - RECORD_HEADER_BYTES, 'an empty ring offers all of it');
  const n = slot.limit - slot.offset;
  fillRecord(3, slot.view, slot.offset, n);
  producer.commit(n);
  producer.flush();
  t.same(drain(consumer)[0], bytesOf(3, n));
  t.end();
});

t.test('misuse of reserve, commit and release throws InvalidArgumentError naming the argument', (t) => {
  const sab = createRingBuffer(1024);
  const producer = new RingProducer(sab);
  const consumer = new RingConsumer(sab);
  t.throws(() => producer.reserve(1021), { constructor: InvalidArgumentError, message: /^maxBytes: expected an integer from 0 to 1020/ });
  t.throws(() => producer.reserve(-1), { constructor: InvalidArgumentError, message: /^maxBytes/ });
  t.throws(() => producer.reserve(1.5), { constructor: InvalidArgumentError, message: /^maxBytes/ });
  t.throws(() => producer.commit(1), { constructor: InvalidArgumentError, message: /^commit: expected a record reserved/ });
  const slot = producer.reserve(8)!;
  t.throws(() => producer.commit(slot.limit - slot.offset + 1), { constructor: InvalidArgumentError, message: /^bytesWritten/ });
  producer.commit(8);
  t.throws(() => producer.commit(8), { message: /^commit: expected a record reserved/ }, 'a reservation commits once');
  t.throws(() => consumer.release(), { constructor: InvalidArgumentError, message: /^release: expected a record obtained by read/ });
  t.end();
});

t.test('a corrupt record header is reported as SHM_CORRUPT, not read', (t) => {
  const sab = createRingBuffer(1024);
  const producer = new RingProducer(sab);
  const consumer = new RingConsumer(sab);
  producer.tryWrite(bytesOf(0, 16));
  producer.flush();
  const headers = new Uint32Array(sab, DATA_OFFSET, 1);
  headers[0] = 0x3fffffff; // DATA kind, a length far beyond the ring
  t.throws(() => consumer.read(), { constructor: BeamError, code: ErrorCode.SHM_CORRUPT, message: /runs past/ });
  headers[0] = 0xc0000010; // kind 3 does not exist
  t.throws(() => consumer.read(), { code: ErrorCode.SHM_CORRUPT, message: /unknown kind 3/ });
  t.end();
});

t.test('random interleavings on one thread match a queue model over many laps, counters wrapping 2^32', (t) => {
  for (const [seedOffset, capacity, start] of [[1, 256, 0], [2, 1024, 2 ** 32 - 3000], [3, 4096, 2 ** 32 - 64]] as const) {
    const seed = (baseSeed + seedOffset) >>> 0;
    const random = mulberry32(seed);
    const sab = createRingBuffer(capacity);
    // Start the free-running counters near 2^32 to cross the wrap-around (both empty: tail = head).
    const words = new Int32Array(sab, 0, 32);
    Atomics.store(words, TAIL_OFFSET / 4, start | 0);
    Atomics.store(words, HEAD_OFFSET / 4, start | 0);
    const producer = new RingProducer(sab);
    const consumer = new RingConsumer(sab, { releaseEvery: 1 + Math.floor(random() * 8) });
    const model: Uint8Array[] = [];
    let nextSeq = 0;
    let bytesMoved = 0;
    let problem: string | null = null;
    while (bytesMoved < capacity * 100 && problem === null) {
      if (random() < 0.55) {
        const length = Math.floor(random() * (capacity / 2));
        const bytes = bytesOf(nextSeq, length);
        if (producer.tryWrite(bytes)) {
          model.push(bytes);
          nextSeq++;
        }
        if (random() < 0.3) producer.flush();
      } else {
        const record = consumer.read();
        if (record !== null) {
          const want = model.shift();
          const got = record.view.subarray(record.offset, record.offset + record.length);
          if (want === undefined || Buffer.compare(Buffer.from(want), Buffer.from(got)) !== 0) problem = `record ${nextSeq - model.length - 1} differs`;
          bytesMoved += record.length;
          consumer.release();
        }
      }
    }
    t.equal(problem, null, `seed ${seed}, capacity ${capacity}`);
    t.ok(bytesMoved >= capacity * 100, `~100 laps of the ring (seed ${seed})`);
  }
  t.end();
});

// ---------------------------------------------------------------------------------------
// One thread: RingSender's backlog and out-of-band path

t.test('while the backlog holds records, new records queue behind it and order is kept', (t) => {
  const sab = createRingBuffer(256);
  const sender = new RingSender(new RingProducer(sab));
  const receiver = new RingReceiver(new RingConsumer(sab));
  for (let seq = 0; seq < 20; seq++) sender.send(bytesOf(seq, 40));
  t.ok(sender.backlogLength > 0, 'the ring filled and the rest waits');
  t.equal(sender.reserve(4), null, 'no direct slot while the backlog is non-empty');
  const got: Uint8Array[] = [];
  while (got.length < 20) {
    got.push(...drain(receiver));
    sender.flush();
  }
  got.push(...drain(receiver));
  t.equal(sender.backlogLength, 0);
  t.equal(got.length, 20);
  const verifier = new SequenceVerifier({ seed: 0, count: 20, minBytes: 40, maxBytes: 40, bigProbability: 0, bigBytes: 0 });
  for (const bytes of got) verifier.check(bytes, 0, bytes.length);
  t.equal(verifier.error, null);
  t.equal(verifier.expected, 20);
  t.end();
});

t.test('a record four times the ring size travels out of band and keeps its place', (t) => {
  const capacity = 1024;
  const sab = createRingBuffer(capacity);
  const { port1, port2 } = new MessageChannel();
  t.teardown(() => {
    port1.close();
    port2.close();
  });
  const sender = new RingSender(new RingProducer(sab), { outOfBandPort: port1 });
  const receiver = new RingReceiver(new RingConsumer(sab), { outOfBandPort: port2 });
  const lengths = [10, 4 * capacity, 20, 4 * capacity + 3, 5];
  lengths.forEach((length, seq) => sender.send(bytesOf(seq, length)));
  sender.flush();
  const got: { bytes: Uint8Array; kind: RecordKind }[] = [];
  for (let r = receiver.read(); r !== null; r = receiver.read()) {
    got.push({ bytes: r.view.slice(r.offset, r.offset + r.length), kind: r.kind });
    receiver.release();
  }
  t.same(got.map((g) => g.bytes.length), lengths);
  t.same(got.map((g) => g.kind), [RecordKind.DATA, RecordKind.OUT_OF_BAND, RecordKind.DATA, RecordKind.OUT_OF_BAND, RecordKind.DATA]);
  got.forEach((g, seq) => t.same(g.bytes, bytesOf(seq, lengths[seq]!), `record ${seq} content`));
  t.equal(sender.outOfBand, 2);
  t.equal(receiver.outOfBand, 2);
  t.end();
});

t.test('a record above the inline limit with no side channel throws SYSTEM_LIMIT at send', (t) => {
  const sender = new RingSender(new RingProducer(createRingBuffer(1024)));
  t.throws(() => sender.send(new Uint8Array(257)), { constructor: BeamError, code: ErrorCode.SYSTEM_LIMIT, message: /^bytes: a record of 257 bytes exceeds the ring's inline limit of 256/ });
  t.throws(() => new RingSender(new RingProducer(createRingBuffer(1024)), { maxInlineBytes: 5000 }), { code: ErrorCode.INVALID_ARGUMENT, message: /^options\.maxInlineBytes/ });
  t.end();
});

t.test('an out-of-band marker without a side channel on the receiver is reported as SHM_CORRUPT', (t) => {
  const sab = createRingBuffer(1024);
  const { port1, port2 } = new MessageChannel();
  t.teardown(() => {
    port1.close();
    port2.close();
  });
  const sender = new RingSender(new RingProducer(sab), { outOfBandPort: port1 });
  sender.send(new Uint8Array(2000));
  sender.flush();
  t.throws(() => new RingReceiver(new RingConsumer(sab)).read(), { code: ErrorCode.SHM_CORRUPT, message: /no outOfBandPort/ });
  t.end();
});

// ---------------------------------------------------------------------------------------
// The wake word on one thread

t.test('the wake word notifies only a sleeper that announced itself, and only once', (t) => {
  const view = new Int32Array(new SharedArrayBuffer(16));
  const wake = new WakeWord(view, 1);
  t.equal(wake.wakeIfSleeping(), false, 'an awake consumer costs no notify');
  wake.prepareSleep();
  t.equal(Atomics.load(view, 1), WAKE_SLEEPING);
  t.equal(wake.wakeIfSleeping(), true, 'announced sleeper is notified');
  t.equal(Atomics.load(view, 1), WAKE_AWAKE, 'and marked awake');
  t.equal(wake.wakeIfSleeping(), false, 'a second waker does not notify again');
  t.equal(wake.sleep(10_000), SleepResult.NOT_EQUAL, 'a sleeper woken before it blocks returns at once');
  wake.prepareSleep();
  t.equal(wake.sleep(1), SleepResult.TIMED_OUT);
  t.equal(Atomics.load(view, 1), WAKE_AWAKE, 'awake again after the sleep');
  t.throws(() => new WakeWord(new Int32Array(4), 0), { constructor: InvalidArgumentError, message: /^view: expected an Int32Array over a SharedArrayBuffer/ });
  t.throws(() => new WakeWord(view, 4), { constructor: InvalidArgumentError, message: /^index: expected an integer in 0\.\.3/ });
  t.end();
});

// ---------------------------------------------------------------------------------------
// Real threads

interface WorkerResult<S> {
  ok: boolean;
  stats?: S;
  error?: string;
}

function startWorker<S>(data: Record<string, unknown>, transfer: import('node:worker_threads').Transferable[]): { done: Promise<WorkerResult<S>> } {
  // execArgv []: the worker does not inherit the test runner's loader hooks (they would add
  // seconds of start-up per worker and measure nothing of ours).
  const worker = new Worker(new URL('./fixtures/ring_worker.js', import.meta.url), { workerData: data, transferList: transfer, execArgv: [] });
  const done = new Promise<WorkerResult<S>>((resolve) => {
    let settled = false;
    worker.once('message', (message: WorkerResult<S>) => {
      settled = true;
      resolve(message);
    });
    worker.once('error', (error) => {
      settled = true;
      resolve({ ok: false, error: String(error.stack ?? error) });
    });
    worker.once('exit', (code) => {
      if (!settled) resolve({ ok: false, error: `worker exited with code ${code} before reporting` });
    });
  });
  return { done };
}

interface Case {
  name: string;
  capacity: number;
  spec: Omit<SequenceSpec, 'seed' | 'count'>;
  /** Laps of the ring the sequence should make (sets the count from the average record size). */
  laps: number;
  producer: ProducerPlan;
  consumer: ConsumerPlan;
  releaseEvery: number;
  maxInlineBytes?: number;
}

const mixed = { minBytes: 1, maxBytes: 2048 };
const pausing: ProducerPlan = { flushEvery: 8, pauseProbability: 0.01, pauseMaxMs: 2, busyMax: 0, maxBacklog: 64 };
const waiting: ConsumerPlan = { spin: 200, timeoutMs: 5000, stallMs: 8000 };

function countFor(c: Case): number {
  const average = (c.spec.minBytes + c.spec.maxBytes) / 2 + 4;
  return Math.ceil((c.laps * c.capacity) / average);
}

/** The part of a tap test that runCase uses. */
type Asserts = Parameters<Parameters<typeof t.test>[0]>[0];

async function runCase(t: Asserts, c: Case, producerIn: 'worker' | 'main', seed: number): Promise<{ producer: ProducerStats; consumer: ConsumerStats }> {
  const spec: SequenceSpec = { ...c.spec, seed, count: countFor(c) };
  const ring = createRingBuffer(c.capacity);
  const { port1, port2 } = new MessageChannel();
  const workerData = { role: producerIn === 'worker' ? 'produce' : 'consume', ring, port: port2, spec, producer: c.producer, consumer: c.consumer, releaseEvery: c.releaseEvery, maxInlineBytes: c.maxInlineBytes };
  const worker = startWorker<ProducerStats & ConsumerStats>(workerData, [port2]);
  let producer: ProducerStats;
  let consumer: ConsumerStats;
  if (producerIn === 'worker') {
    const receiver = new RingReceiver(new RingConsumer(ring, { releaseEvery: c.releaseEvery }), { outOfBandPort: port1 });
    consumer = await consumeSequence(receiver, spec, c.consumer, true);
    const result = await worker.done;
    t.equal(result.error, undefined, 'the producer worker reported no error');
    producer = result.stats as ProducerStats;
  } else {
    const sender = new RingSender(new RingProducer(ring), {
      outOfBandPort: port1,
      ...(c.maxInlineBytes === undefined ? {} : { maxInlineBytes: c.maxInlineBytes }),
    });
    let workerDone = false;
    void worker.done.then(() => (workerDone = true));
    const produced = await produceSequence(sender, spec, c.producer, (ms) => (ms > 0 ? sleep(ms) : yieldToLoop()), () => workerDone).then(
      (stats) => stats,
      (error: unknown) => error as Error,
    );
    const result = await worker.done;
    if (produced instanceof Error) t.fail(`main-thread producer: ${produced.message}`);
    producer = produced instanceof Error ? ({} as ProducerStats) : produced;
    t.equal(result.error, undefined, 'the consumer worker reported no error');
    consumer = result.stats as ConsumerStats;
  }
  port1.close();
  t.comment(`${c.name}, producer in ${producerIn}: seed ${seed}, ${spec.count} records; producer ${JSON.stringify(producer)}; consumer ${JSON.stringify(consumer)}`);
  t.equal(consumer?.error, null, `every record arrived intact and in order (seed ${seed})`);
  t.equal(consumer?.received, spec.count, 'record count');
  t.equal(producer?.sent, spec.count);
  t.equal(consumer?.timeouts, 0, 'no sleep ended by timeout: no lost wake-up');
  return { producer, consumer };
}

const cases: Case[] = [
  {
    name: 'mixed sizes through a 64 KiB ring, pauses, records 4x the ring out of band',
    capacity: 64 * 1024,
    spec: { ...mixed, bigProbability: 0.004, bigBytes: 4 * 64 * 1024 },
    laps: 100,
    producer: pausing,
    consumer: waiting,
    releaseEvery: 32,
  },
  {
    name: 'mixed sizes through a 4 KiB ring (many out of band), publishing and releasing every record',
    capacity: 4 * 1024,
    spec: { ...mixed, bigProbability: 0.002, bigBytes: 4 * 4 * 1024 },
    laps: 300,
    producer: { ...pausing, flushEvery: 1 },
    consumer: waiting,
    releaseEvery: 1,
  },
];

for (const c of cases) {
  for (const producerIn of ['worker', 'main'] as const) {
    t.test(`${c.name} (producer in the ${producerIn} thread)`, async (t) => {
      const seed = (baseSeed + c.capacity + (producerIn === 'main' ? 1 : 0)) >>> 0;
      const { producer, consumer } = await runCase(t, c, producerIn, seed);
      t.ok(producer.backlogged > 0, 'the backlog path was taken (the ring filled)');
      t.ok(producer.outOfBand > 0 && consumer.outOfBand === producer.outOfBand, 'out-of-band records were sent and all received');
      t.ok(producer.direct > 0, 'records were encoded straight into the ring');
      t.ok(consumer.sleeps > 0, 'the consumer slept while the producer paused');
    });
  }
}

t.test('no wake-up is lost when the consumer sleeps after every record (thousands of times)', async (t) => {
  const c: Case = {
    name: 'sleep after every record',
    capacity: 4096,
    spec: { minBytes: 1, maxBytes: 64, bigProbability: 0, bigBytes: 0 },
    laps: 0,
    producer: { flushEvery: 1, pauseProbability: 0, pauseMaxMs: 0, busyMax: 20_000, maxBacklog: 64 },
    consumer: { spin: 0, timeoutMs: 2000, stallMs: 8000 },
    releaseEvery: 1,
  };
  for (const producerIn of ['main', 'worker'] as const) {
    const seed = (baseSeed + 77 + (producerIn === 'main' ? 1 : 0)) >>> 0;
    // 5000 records, each followed by a random busy pause of 0-20,000 loop turns (0 to ~20 us):
    // the producer's publication lands anywhere in the consumer's S1-S2-S3 window.
    const { producer, consumer } = await runCase(t, { ...c, laps: (5000 * (32.5 + 4)) / c.capacity }, producerIn, seed);
    t.ok(consumer.sleeps > 100, `the consumer went to sleep many times (${consumer.sleeps})`);
    t.ok(producer.notifications > 0, `the producer woke it (${producer.notifications} notifies)`);
    t.ok(producer.notifications <= consumer.sleeps + producer.sent, 'notifies only when announced');
  }
});

// Record bytes are derived from the seed alone: check the fixture itself can fail.
t.test('the sequence verifier names a lost, a duplicated and a corrupted record', (t) => {
  const spec: SequenceSpec = { seed: 5, count: 10, minBytes: 8, maxBytes: 8, bigProbability: 0, bigBytes: 0 };
  const lost = new SequenceVerifier(spec);
  lost.check(bytesOf(0, 8), 0, 8);
  t.equal(lost.check(bytesOf(2, 8), 0, 8), false);
  t.match(lost.error, /^gap: .*records 1\.\.1 were lost/);
  const dup = new SequenceVerifier(spec);
  dup.check(bytesOf(0, 8), 0, 8);
  dup.check(bytesOf(1, 8), 0, 8);
  dup.check(bytesOf(1, 8), 0, 8);
  t.match(dup.error, /duplicated or reordered record 1/);
  const bad = new SequenceVerifier(spec);
  const bytes = bytesOf(0, 8);
  bytes[6] = recordByte(0, 6) ^ 1;
  bad.check(bytes, 0, 8);
  t.match(bad.error, /^record #0: byte 6/);
  t.end();
});
