// SharedHeap (src/ets/shared_heap.ts) magazines from 4 worker threads at once: bursts of
// allocations in cached and uncached classes, each block filled with a pattern of its holder
// and checked before it is freed, so a block handed to two threads at once is caught; blocks
// move between threads (freed on one, spilled to the lists, refilled on another); at the end
// every block is back (used() is 0) and one thread's magazine is not seen by another's alloc.
import t from 'tap';
import { runAtBarrier } from '../support/worker_barrier.js';
import { MAGAZINE, SharedHeap } from '../../src/ets/shared_heap.js';
import { testSeed } from '../support/prng.js';

const FIXTURE = new URL('./fixtures/magazine_worker.js', import.meta.url);
const WORKERS = 4;

interface Report {
  readonly clobbered: number;
  readonly allocs: number;
  readonly offsets: number[];
}

function runAll(jobs: ReadonlyArray<Record<string, unknown>>): Promise<Report[]> {
  return runAtBarrier<Report>(FIXTURE, jobs);
}

const seed = testSeed();
t.comment(`seed ${seed} (BEAMJS_SEED=${seed} replays the sizes and orders)`);

for (let repeat = 1; repeat <= 3; repeat++) {
  t.test(`run ${repeat}: ${WORKERS} threads allocating and freeing never hold one block at once; every block comes back`, async (t) => {
    const heap = SharedHeap.create(1 << 16, 1 << 26);
    const reports = await runAll(Array.from({ length: WORKERS }, (_, index) => ({ heap: heap.buffer, index, rounds: 400, seed: seed + repeat * 101 })));
    t.same(reports.map((r) => r.clobbered), [0, 0, 0, 0], 'no block was overwritten while held');
    t.ok(reports.every((r) => r.allocs > 1000), 'each thread allocated');
    const owners = new Map<number, Set<number>>();
    reports.forEach((r, i) => r.offsets.forEach((o) => owners.set(o, (owners.get(o) ?? new Set()).add(i))));
    t.ok([...owners.values()].some((s) => s.size > 1), 'some blocks went from one thread to another');
    t.equal(heap.used(), 0, 'used() is 0 once every block is freed and the magazines flushed');
  });
}

t.test('a magazine: freed blocks come back to the same thread without the lists; another thread sees them only once spilled', async (t) => {
  const heap = SharedHeap.create(1 << 16, 1 << 24);
  const other = new SharedHeap(heap.buffer); // as another thread attaches it
  const blocks = Array.from({ length: MAGAZINE + 1 }, () => heap.alloc(40));
  for (const b of blocks.slice(0, MAGAZINE)) heap.free(b);
  const fresh = other.alloc(40);
  t.notOk(blocks.includes(fresh), 'the other view cuts a new block: the freed ones sit in the first magazine');
  heap.free(blocks[MAGAZINE]!); // the magazine is full: half of it goes to the list
  t.ok(blocks.includes(other.alloc(40)), 'after the spill the other view reuses one');
  t.equal(heap.alloc(40), blocks[MAGAZINE], 'the last freed block comes back first (LIFO)');
  t.throws(() => heap.free(blocks[0]!), /not allocated/, 'a double free of a block in a magazine is caught');
});
