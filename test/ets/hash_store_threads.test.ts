// HashStore (src/ets/hash_store.ts) from 4 worker threads at once, with write_concurrency (64
// lock stripes) and with read_concurrency (seqlock readers), and with neither: update_counter-
// style read-modify-writes sum exactly (one lock when write_concurrency is off: that mode is
// covered by read_concurrency alone); concurrent inserts, takes and lookups while the bucket
// array grows lose no object and never see one torn (each object carries a checksum).
import t from 'tap';
import { HashStore } from '../../src/ets/hash_store.js';
import { SharedHeap } from '../../src/ets/shared_heap.js';
import { TableCatalog } from '../../src/ets/table_catalog.js';
import { Tuple } from '../../src/term/index.js';
import { testSeed } from '../support/prng.js';
import { runAtBarrier } from '../support/worker_barrier.js';

const FIXTURE = new URL('./fixtures/hammer_worker.js', import.meta.url);
const WORKERS = 4;

function runAll<R>(jobs: ReadonlyArray<Record<string, unknown>>): Promise<R[]> {
  return runAtBarrier<R>(FIXTURE, jobs);
}

const seed = testSeed();
t.comment(`seed ${seed} (BEAMJS_SEED=${seed} replays the key choices)`);

const MODES = [
  { name: 'write_concurrency', read: false, write: true },
  { name: 'read_concurrency', read: true, write: false },
  { name: 'read and write concurrency', read: true, write: true },
] as const;

for (const mode of MODES) {
  t.test(`${mode.name}: update_counter from ${WORKERS} threads sums exactly`, async (t) => {
    const heap = SharedHeap.create(1 << 16, 1 << 26);
    const store = HashStore.create(heap, 'set', 1, { read: mode.read, write: mode.write });
    const count = 1500;
    const keys = 200;
    await runAll(Array.from({ length: WORKERS }, (_, index) => ({ scenario: 'counters', heap: heap.buffer, root: store.root, index, workers: WORKERS, count, keys, seed })));
    let total = 0;
    store.scan((o) => {
      total += o.at(1) as number;
    });
    t.equal(total, WORKERS * count, 'no increment lost');
    t.ok(store.size() <= keys, 'one object per key');
    store.destroy();
    t.equal(heap.used(), 0, 'destroy frees every block');
  });

  t.test(`${mode.name}: inserts, takes and lookups from ${WORKERS} threads while the table grows`, async (t) => {
    const heap = SharedHeap.create(1 << 16, 1 << 27);
    const store = HashStore.create(heap, 'set', 1, { read: mode.read, write: mode.write });
    const count = 800;
    const results = await runAll<{ torn: number; reads: number; found: number; mine: string[] }>(
      Array.from({ length: WORKERS }, (_, index) => ({ scenario: 'churn', heap: heap.buffer, root: store.root, index, workers: WORKERS, count, keys: 0, seed })),
    );
    t.equal(
      results.reduce((n, r) => n + r.torn, 0),
      0,
      'no torn or wrong object read or taken',
    );
    t.ok(
      results.every((r) => r.found > 0),
      'every thread found objects of others',
    );
    const left = new Set<string>();
    store.scan((o: Tuple) => {
      left.add(o.at(0) as string);
    });
    const expected = results.flatMap((r) => r.mine);
    t.equal(expected.filter((k) => !left.has(k)).length, 0, 'every object a thread left in the table is there');
    t.equal(store.size(), expected.length + 10, 'and nothing else: its own keys plus the 10 shared keys');
    store.destroy();
    t.equal(heap.used(), 0, 'destroy frees every block');
  });
}

t.test(`table names are unique across ${WORKERS} threads creating the same names at once`, async (t) => {
  const heap = SharedHeap.create(1 << 16, 1 << 24);
  const catalog = TableCatalog.create(heap, { pids: 16 });
  const count = 300;
  const results = await runAll<{ won: string[] }>(
    Array.from({ length: WORKERS }, (_, index) => ({ scenario: 'names', heap: heap.buffer, catalog: catalog.buffer, root: 0, index, workers: WORKERS, count, keys: 0, seed })),
  );
  const all = results.flatMap((r) => r.won);
  t.equal(all.filter((n) => n.startsWith('whereis-wrong')).length, 0, 'whereis finds the table its creator made');
  t.equal(new Set(all).size, all.length, 'no name won twice');
  t.equal(all.length, count, 'every name won once');
  t.equal(catalog.liveSlots().length, count, 'one slot per table');
});

t.test('layouts: a hash table root and its stripes sit on 64-byte lines', async (t) => {
  const heap = SharedHeap.create(1 << 16, 1 << 20);
  for (let i = 0; i < 5; i++) {
    heap.alloc(8 + i * 24); // misalign the heap's top
    const store = HashStore.create(heap, 'bag', 2, { read: false, write: true });
    t.equal(store.root % 64, 0, `root ${store.root} is 64-byte aligned`);
    t.equal(store.keypos, 2);
    t.equal(new HashStore(heap, store.root).type, 'bag', 'attach reads the type from the root');
  }
});
