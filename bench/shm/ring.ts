/**
 * bench/shm/ring.ts: the raw transport between two threads, src/shm/spsc_ring.ts, without the VM.
 *
 * Figures (`name value unit`, see bench/harness.ts):
 *   shm.ring.stream.pubN_relM   32-byte records/s from a worker (producer) to the main thread
 *                               (consumer), the producer publishing its tail every N records and
 *                               the consumer publishing its head every M records (N, M in 1, 32);
 *   shm.ringbuf_js.stream       the same workload through ringbuf.js's SPSC ring (a byte ring:
 *                               push/pop of 32-byte chunks, publication on every push/pop);
 *   shm.ring.rtt.spin           round trip main → worker → main of a 32-byte record over two
 *                               rings, both threads polling (µs);
 *   shm.ring.rtt.wait           the same, both threads sleeping on the wake word between
 *                               records (Atomics.wait / notify), µs.
 * Each figure is the median of RUNS runs. Each run checks its own result: the consumer counts
 * the records and sums the sequence numbers they carry (and each record's length), and the run
 * throws if the count or the sum is wrong.
 *
 * This module is also the worker's code: started as a Worker with `workerData.shmRingBench`, it
 * plays the other thread's role and exits (the bench runner imports it in the main thread, where
 * it only exports the benchmark).
 */
import os from 'node:os';
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { RingBuffer } from 'ringbuf.js';
import { RingConsumer, RingProducer, createRingBuffer } from '../../src/shm/index.js';
import { check, note, report } from '../harness.js';

const RECORD_BYTES = 32;
const RING_CAPACITY = 64 * 1024;
const STREAM_RECORDS = 2_000_000;
const RINGBUF_RECORDS = 1_000_000;
const RTT_SPIN_ROUNDS = 50_000;
const RTT_WAIT_ROUNDS = 5_000;
const RUNS = 3;

/** Control words shared with the worker (an Int32Array over their own SharedArrayBuffer). */
const CONTROL_READY = 0; // worker → main: attached and waiting for GO
const CONTROL_GO = 1; // main → worker: start now
const CONTROL_WORDS = 2;

type Job =
  | { kind: 'stream'; ring: SharedArrayBuffer; control: SharedArrayBuffer; records: number; publishEvery: number }
  | { kind: 'ringbuf'; ring: SharedArrayBuffer; control: SharedArrayBuffer; records: number }
  | { kind: 'echo'; toWorker: SharedArrayBuffer; toMain: SharedArrayBuffer; control: SharedArrayBuffer; rounds: number; sleep: boolean };

// ------------------------------------------------------------------------------------------
// Worker side

function announceAndAwaitGo(control: Int32Array): void {
  // Atomics (seq-cst): READY tells main the worker is attached; main's GO store releases it.
  Atomics.store(control, CONTROL_READY, 1);
  Atomics.notify(control, CONTROL_READY);
  Atomics.wait(control, CONTROL_GO, 0);
}

function workerStream(job: Extract<Job, { kind: 'stream' }>): void {
  const control = new Int32Array(job.control);
  const producer = new RingProducer(job.ring);
  const message = new Uint8Array(RECORD_BYTES);
  announceAndAwaitGo(control);
  const every = job.publishEvery;
  for (let i = 0; i < job.records; i++) {
    message[0] = i;
    message[1] = i >>> 8;
    message[2] = i >>> 16;
    message[3] = i >>> 24;
    let slot = producer.reserve(RECORD_BYTES);
    while (slot === null) slot = producer.reserve(RECORD_BYTES);
    slot.view.set(message, slot.offset);
    producer.commit(RECORD_BYTES);
    if ((i + 1) % every === 0) producer.flush();
  }
  producer.flush();
}

function workerRingbuf(job: Extract<Job, { kind: 'ringbuf' }>): void {
  const control = new Int32Array(job.control);
  const ring = new RingBuffer(job.ring, Uint8Array);
  const message = new Uint8Array(RECORD_BYTES);
  announceAndAwaitGo(control);
  for (let i = 0; i < job.records; i++) {
    message[0] = i;
    message[1] = i >>> 8;
    message[2] = i >>> 16;
    message[3] = i >>> 24;
    // push() writes as much as fits: wait for room for the whole record to keep records whole.
    while (ring.availableWrite() < RECORD_BYTES);
    ring.push(message);
  }
}

function workerEcho(job: Extract<Job, { kind: 'echo' }>): void {
  const control = new Int32Array(job.control);
  const inbound = new RingConsumer(job.toWorker, { releaseEvery: 1 });
  const outbound = new RingProducer(job.toMain);
  const wait = job.sleep ? { spin: 0 } : { spin: Number.MAX_SAFE_INTEGER };
  announceAndAwaitGo(control);
  for (let round = 0; round < job.rounds; round++) {
    let record = inbound.read();
    while (record === null) {
      inbound.waitForData(wait);
      record = inbound.read();
    }
    const slot = outbound.reserve(RECORD_BYTES)!;
    slot.view.set(record.view.subarray(record.offset, record.offset + RECORD_BYTES), slot.offset);
    inbound.release();
    outbound.commit(RECORD_BYTES);
    outbound.flush();
  }
}

if (!isMainThread && (workerData as { shmRingBench?: Job } | null)?.shmRingBench !== undefined) {
  const job = (workerData as { shmRingBench: Job }).shmRingBench;
  if (job.kind === 'stream') workerStream(job);
  else if (job.kind === 'ringbuf') workerRingbuf(job);
  else workerEcho(job);
}

// ------------------------------------------------------------------------------------------
// Main side

function startWorker(job: Job): { control: Int32Array; exited: Promise<void> } {
  const worker = new Worker(new URL(import.meta.url), { workerData: { shmRingBench: job } });
  const exited = new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bench shm/ring: worker exited with ${code}`))));
  });
  const control = new Int32Array(job.control);
  return { control, exited };
}

/** Blocks until the worker is attached, then releases it; returns the start time (ns). */
function go(control: Int32Array): bigint {
  while (Atomics.load(control, CONTROL_READY) === 0) Atomics.wait(control, CONTROL_READY, 0, 1000);
  const start = process.hrtime.bigint();
  Atomics.store(control, CONTROL_GO, 1);
  Atomics.notify(control, CONTROL_GO);
  return start;
}

function expectedSum(records: number): number {
  return (records * (records - 1)) / 2;
}

/** One streaming run through our ring; returns records/s. */
async function streamRun(publishEvery: number, releaseEvery: number): Promise<number> {
  const ring = createRingBuffer(RING_CAPACITY);
  const job: Job = { kind: 'stream', ring, control: new SharedArrayBuffer(4 * CONTROL_WORDS), records: STREAM_RECORDS, publishEvery };
  const { control, exited } = startWorker(job);
  const consumer = new RingConsumer(ring, { releaseEvery });
  const start = go(control);
  let count = 0;
  let sum = 0;
  while (count < STREAM_RECORDS) {
    const record = consumer.read();
    if (record === null) continue;
    const view = record.view;
    const at = record.offset;
    sum += ((view[at]! | (view[at + 1]! << 8) | (view[at + 2]! << 16) | (view[at + 3]! << 24)) >>> 0) + record.length - RECORD_BYTES;
    count++;
    consumer.release();
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await exited;
  check(count === STREAM_RECORDS && sum === expectedSum(STREAM_RECORDS), `ring stream: ${count} records, sum ${sum}, expected ${expectedSum(STREAM_RECORDS)}`);
  return count / seconds;
}

/** One streaming run through ringbuf.js; returns records/s. */
async function ringbufRun(): Promise<number> {
  const ring = RingBuffer.getStorageForCapacity(RING_CAPACITY, Uint8Array);
  const job: Job = { kind: 'ringbuf', ring, control: new SharedArrayBuffer(4 * CONTROL_WORDS), records: RINGBUF_RECORDS };
  const { control, exited } = startWorker(job);
  const reader = new RingBuffer(ring, Uint8Array);
  const record = new Uint8Array(RECORD_BYTES);
  const start = go(control);
  let count = 0;
  let sum = 0;
  while (count < RINGBUF_RECORDS) {
    if (reader.availableRead() < RECORD_BYTES) continue;
    const got = reader.pop(record, RECORD_BYTES);
    sum += ((record[0]! | (record[1]! << 8) | (record[2]! << 16) | (record[3]! << 24)) >>> 0) + got - RECORD_BYTES;
    count++;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await exited;
  check(count === RINGBUF_RECORDS && sum === expectedSum(RINGBUF_RECORDS), `ringbuf.js stream: ${count} records, sum ${sum}, expected ${expectedSum(RINGBUF_RECORDS)}`);
  return count / seconds;
}

/** One ping-pong run; returns µs per round trip. */
async function echoRun(sleep: boolean): Promise<number> {
  const rounds = sleep ? RTT_WAIT_ROUNDS : RTT_SPIN_ROUNDS;
  const toWorker = createRingBuffer(4096);
  const toMain = createRingBuffer(4096);
  const job: Job = { kind: 'echo', toWorker, toMain, control: new SharedArrayBuffer(4 * CONTROL_WORDS), rounds, sleep };
  const { control, exited } = startWorker(job);
  const outbound = new RingProducer(toWorker);
  const inbound = new RingConsumer(toMain, { releaseEvery: 1 });
  const wait = sleep ? { spin: 0 } : { spin: Number.MAX_SAFE_INTEGER };
  const message = new Uint8Array(RECORD_BYTES);
  const start = go(control);
  let sum = 0;
  for (let round = 0; round < rounds; round++) {
    message[0] = round;
    message[1] = round >>> 8;
    message[2] = round >>> 16;
    message[3] = round >>> 24;
    outbound.tryWrite(message);
    outbound.flush();
    let record = inbound.read();
    while (record === null) {
      inbound.waitForData(wait);
      record = inbound.read();
    }
    const view = record.view;
    const at = record.offset;
    sum += ((view[at]! | (view[at + 1]! << 8) | (view[at + 2]! << 16) | (view[at + 3]! << 24)) >>> 0) + record.length - RECORD_BYTES;
    inbound.release();
  }
  const micros = Number(process.hrtime.bigint() - start) / 1e3 / rounds;
  await exited;
  check(sum === expectedSum(rounds), `ring round trip: sum ${sum}, expected ${expectedSum(rounds)}`);
  if (sleep) check(inbound.sleeps > 0, 'ring round trip with wait: the main thread never slept');
  return micros;
}

async function median(run: () => Promise<number>): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < RUNS; i++) values.push(await run());
  values.sort((a, b) => a - b);
  if (process.env.BEAMJS_BENCH_VERBOSE === '1') note(`runs: ${values.map((v) => v.toPrecision(3)).join(' ')}`);
  return values[Math.floor(values.length / 2)]!;
}

export default async function main(): Promise<void> {
  // Both threads spin: on a machine with other busy processes the figures drop sharply, so say how busy it was.
  note(`shm/ring: load average ${os.loadavg()[0]!.toFixed(2)} on ${os.availableParallelism()} cores before the run`);
  note(`shm/ring: ${RECORD_BYTES}-byte records, rings of ${RING_CAPACITY} data bytes, worker produces, main consumes; median of ${RUNS} runs`);
  for (const publishEvery of [1, 32]) {
    for (const releaseEvery of [1, 32]) {
      report(`shm.ring.stream.pub${publishEvery}_rel${releaseEvery}`, await median(() => streamRun(publishEvery, releaseEvery)), 'msgs/s');
    }
  }
  report('shm.ringbuf_js.stream', await median(ringbufRun), 'msgs/s');
  report('shm.ring.rtt.spin', await median(() => echoRun(false)), 'us');
  report('shm.ring.rtt.wait', await median(() => echoRun(true)), 'us');
}
