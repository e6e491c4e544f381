/**
 * bench/ets/ordered_store.ts: the ordered_set storage (src/ets/ordered_store.ts) without the
 * ETS API: lookups on a table of 100,000 integer keys {K, K * 2}.
 *
 * Figures (`name value unit`, see bench/harness.ts):
 *   ets.ordered_set.lookup.random       lookups/s in a random key order, one thread;
 *   ets.ordered_set.lookup.sequential   lookups/s in key order, one thread;
 *   ets.ordered_set.lookup.random.t2    lookups/s of two worker threads together, random order;
 *   ets.ordered_set.insert.random       inserts/s of the 100,000 keys in random order.
 * BEAM's ordered_set (erl 25, same machine class) does about 1.8 M random and 9.4 M
 * sequential lookups/s. Each run checks its result: the sum of the values found must be
 * the sum of K * 2 over the keys looked up.
 *
 * The heap is the test heap (test/ets/fixtures/test_heap.ts): the VM's shared heap is
 * written apart, and the store only sees the SharedHeap interface.
 *
 * This module is also the worker's code (started with `workerData.ordsetBench`).
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { orderedStoreFactory } from '../../src/ets/ordered_store.js';
import { tuple } from '../../src/term/index.js';
import { TestHeap } from '../../test/ets/fixtures/test_heap.js';
import { check, note, report } from '../harness.js';

const KEYS = 100_000;
const LOOKUPS = 300_000;

interface WorkerJob {
  readonly ordsetBench: true;
  readonly buffer: SharedArrayBuffer;
  readonly root: number;
  readonly order: Int32Array;
  readonly go: SharedArrayBuffer;
}

function lookups(store: ReturnType<typeof orderedStoreFactory.attach>, order: Int32Array, count: number): number {
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const k = order[i % order.length]!;
    sum += store.lookup(k)[0]!.elements[1] as number;
  }
  return sum;
}

function expectedSum(order: Int32Array, count: number): number {
  let sum = 0;
  for (let i = 0; i < count; i++) sum += order[i % order.length]! * 2;
  return sum;
}

function shuffled(seed: number): Int32Array {
  const keys = Int32Array.from({ length: KEYS }, (_, i) => i);
  let s = seed;
  for (let i = KEYS - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    const x = keys[i]!;
    keys[i] = keys[j]!;
    keys[j] = x;
  }
  return keys;
}

if (!isMainThread && (workerData as Partial<WorkerJob> | null)?.ordsetBench === true) {
  const job = workerData as WorkerJob;
  const store = orderedStoreFactory.attach(TestHeap.attach(job.buffer), job.root);
  lookups(store, job.order, 20_000); // warm up
  const go = new Int32Array(job.go);
  Atomics.add(go, 0, 1);
  Atomics.wait(go, 1, 0);
  const start = performance.now();
  const sum = lookups(store, job.order, LOOKUPS);
  parentPort!.postMessage({ sum, ms: performance.now() - start });
}

export default async function main(): Promise<void> {
  note(`ets ordered_set store: ${KEYS} keys, ${LOOKUPS} lookups per figure (test heap)`);
  const heap = TestHeap.create(1 << 24);
  const store = orderedStoreFactory.create(heap, 'ordered_set', 1, { read: true, write: true });
  const random = shuffled(12345);
  let start = performance.now();
  for (let i = 0; i < KEYS; i++) store.insert([tuple(random[i]!, random[i]! * 2)]);
  report('ets.ordered_set.insert.random', KEYS / ((performance.now() - start) / 1000), 'ops/s');
  check(store.size() === KEYS, 'every key inserted');

  const sequential = Int32Array.from({ length: KEYS }, (_, i) => i);
  for (const [name, order] of [['random', random], ['sequential', sequential]] as const) {
    lookups(store, order, 50_000); // warm up
    start = performance.now();
    const sum = lookups(store, order, LOOKUPS);
    const seconds = (performance.now() - start) / 1000;
    check(sum === expectedSum(order, LOOKUPS), `${name} lookups found every value`);
    report(`ets.ordered_set.lookup.${name}`, LOOKUPS / seconds, 'ops/s');
  }

  const go = new SharedArrayBuffer(8);
  const gate = new Int32Array(go);
  const results = await new Promise<Array<{ sum: number; ms: number }>>((resolve, reject) => {
    const out: Array<{ sum: number; ms: number }> = [];
    for (let w = 0; w < 2; w++) {
      const worker = new Worker(new URL(import.meta.url), {
        workerData: { ordsetBench: true, buffer: heap.buffer, root: store.root, order: shuffled(777 + w), go },
      });
      worker.once('error', reject);
      worker.once('message', (m: { sum: number; ms: number }) => {
        out.push(m);
        void worker.terminate();
        if (out.length === 2) resolve(out);
      });
    }
    const open = (): void => {
      if (Atomics.load(gate, 0) < 2) {
        setTimeout(open, 1);
        return;
      }
      Atomics.store(gate, 1, 1);
      Atomics.notify(gate, 1);
    };
    open();
  });
  check(results.every((r, w) => r.sum === expectedSum(shuffled(777 + w), LOOKUPS)), 'both threads found every value');
  const slowest = Math.max(...results.map((r) => r.ms)) / 1000;
  report('ets.ordered_set.lookup.random.t2', (2 * LOOKUPS) / slowest, 'ops/s');
  store.destroy();
}
