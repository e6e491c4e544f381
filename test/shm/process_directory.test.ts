// The process directory (src/shm/process_directory.ts) from several threads: ids are never
// handed out twice while alive, serials grow on reuse, lookups see the home thread, stale pids
// are dead, and the limit is a clean SYSTEM_LIMIT.
import t from 'tap';
import { runAll } from './fixtures/run_workers.js';
import { ErrorCode } from '../../src/errors/index.js';
import { directoryByteLength, ProcessDirectory } from '../../src/shm/process_directory.js';

const WORKERS = 4;
const PER_WORKER = 5000;


t.test('the layout constants match the documented byte offsets', (t) => {
  t.equal(directoryByteLength(10), 64 + 10 * 8 + 10 * 4, '64-byte header, 8 bytes per slot, 4 per free-stack entry');
  t.end();
});

t.test('4 threads allocate 20,000 ids at once: no id twice, every lookup sees its home', async (t) => {
  const directory = ProcessDirectory.create(WORKERS * PER_WORKER);
  const got = await runAll<Array<[number, number]>>(Array.from({ length: WORKERS }, (_, index) => ({ scenario: 'allocate', buffer: directory.buffer, index, count: PER_WORKER })));
  const all = got.flat();
  t.equal(new Set(all.map(([id]) => id)).size, WORKERS * PER_WORKER, 'every id is distinct');
  t.equal(directory.aliveCount(), WORKERS * PER_WORKER, 'alive count');
  t.ok(got.every((list, home) => list.every(([id, serial]) => directory.lookup(id, serial) === home)), 'lookup gives each pid its home thread');
  t.throws(() => directory.allocate(), { code: ErrorCode.SYSTEM_LIMIT }, 'the limit is SYSTEM_LIMIT');

  // Release everything and reallocate, from all threads at once.
  const again = await runAll<Array<[number, number]>>(got.map((ids, index) => ({ scenario: 'release-reallocate', buffer: directory.buffer, index, count: ids.length, ids })));
  const before = new Map(all.map(([id, serial]) => [id, serial]));
  const reused = again.flat();
  t.equal(new Set(reused.map(([id]) => id)).size, reused.length, 'no id twice after reuse');
  t.ok(reused.every(([id, serial]) => serial > before.get(id)!), 'a reused id has a larger serial');
  t.ok(all.every(([id, serial]) => directory.lookup(id, serial) === -1), 'the old pids are dead (stale serials)');
  t.equal(directory.lookup(-1, 0), -1, 'an id out of range is dead');
  t.equal(directory.lookup(WORKERS * PER_WORKER + 5, 0), -1, 'an id past the capacity is dead');
});
