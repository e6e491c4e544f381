// The ordered_set storage (src/ets/ordered_store.ts) against the TableStore contract: every
// method, Erlang's term order compared with erl's own ordered_set, == keys, 100,000 keys (splits
// and merges), memory reuse, heap exhaustion, and 4 threads at once on overlapping keys.
// Randomized parts print their seed (BEAMJS_SEED=<n> replays).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { runAtBarrier } from '../support/worker_barrier.js';
import { InvalidArgumentError } from '../../src/errors/index.js';
import { termToBinary, binaryToTerm } from '../../src/codec/index.js';
import { LEAF_BYTES, LEAF_CAP, ROOT_BYTES, orderedStoreFactory } from '../../src/ets/ordered_store.js';
import { keyPrefix } from '../../src/ets/ordered_key.js';
import type { KeyPrefix } from '../../src/ets/ordered_key.js';
import type { TableStore } from '../../src/ets/table_store.js';
import { BitString, ImproperList, Pid, Ref, Tuple, atom, compare, exactEquals, float, tuple } from '../../src/term/index.js';
import type { Term } from '../../src/term/index.js';
import { TermGen, erlInstalled, erlWanted, hex, repoRoot } from '../codec/codec_support.js';
import { mulberry32, testSeed } from '../support/prng.js';
import { TestHeap } from './fixtures/test_heap.js';
import type { Job, Report } from './fixtures/ordered_worker.js';

const seed = testSeed();
t.comment(`seed ${seed} (set BEAMJS_SEED=${seed} to replay)`);

const CONC = { read: true, write: true } as const;

function newStore(keypos = 1, concurrency: { read: boolean; write: boolean } = CONC, heap = TestHeap.create()): { heap: TestHeap; store: TableStore } {
  return { heap, store: orderedStoreFactory.create(heap, 'ordered_set', keypos, concurrency) };
}

function keysOf(store: TableStore): Term[] {
  const out: Term[] = [];
  store.scan((o) => {
    out.push(o.elements[store.keypos - 1]!);
  });
  return out;
}

function shuffle<T>(items: T[], rand: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** Keys of every type, with the edge cases of the term order. */
function edgeKeys(): Term[] {
  const node = atom('nonode@nohost');
  return [
    1, float(1), 2, 1.5, -0.5, 0, float(0), -(2 ** 53), 2 ** 53 - 1, 2n ** 70n, 2 ** 70, -(2n ** 70n), 2n ** 64n + 1n, 2n ** 64n,
    1e300, -1e300, 5e-324, 2 ** 48, 2 ** 48 + 1, 2 ** 48 + 0.5,
    atom('a'), atom('ab'), atom('abcdefgh'), atom('abcdefghi'), atom('abcdefgH'), atom('abcdefg'), atom('b'), atom('å'), atom('日本'), true, false, null, undefined,
    atom('abcdefgh\u0000'),
    new Ref(node, 0, [1, 2, 3]), new Ref(node, 0, [3, 2, 1]),
    new Pid(node, 5, 0, 0), new Pid(node, 4, 1, 0), new Pid(node, 30000, 0, 0), new Pid(node, 3, 8191, 0),
    tuple(), tuple(1), tuple(1.0), tuple(atom('a'), 1), tuple(atom('a'), 2), tuple(1, 2, 3), tuple(tuple(1), 2),
    new Map<Term, Term>([[1, 2]]), { a: 1 }, { a: 1, b: 2 },
    [], [1], [1, 2], [float(1), 3], [[]], [atom('a')], new ImproperList([1], 2), [1, 2, 3], [2],
    '', 'a', 'ab', 'abcdefgh', 'abcdefghi', 'abcdefgh\u0000', new Uint8Array([0]), new Uint8Array([255]), 'ÿ', '😀', '😀😀😀😀😀',
    new BitString(new Uint8Array([0x80]), 1), new BitString(new Uint8Array([0x00]), 1), new BitString(new Uint8Array([0x61, 0x80]), 9),
  ];
}

t.test('layout: root and leaves are whole 64-byte lines, entries fit', (t) => {
  t.equal(ROOT_BYTES % 64, 0);
  t.equal(LEAF_BYTES % 64, 0);
  t.equal(LEAF_BYTES, 64 + LEAF_CAP * 16);
  t.end();
});

t.test('the key prefix is monotone in term order, and exact prefixes decide ==', (t) => {
  const gen = new TermGen(seed);
  const terms: Term[] = [...edgeKeys()];
  for (let i = 0; i < 350; i++) terms.push(gen.term());
  const a: KeyPrefix = { hi: 0, lo: 0, exact: false };
  const b: KeyPrefix = { hi: 0, lo: 0, exact: false };
  let bad = 0;
  let exactPairs = 0;
  for (let i = 0; i < terms.length; i++) {
    for (let j = 0; j < terms.length; j++) {
      keyPrefix(terms[i]!, a);
      keyPrefix(terms[j]!, b);
      const c = compare(terms[i]!, terms[j]!);
      const p = a.hi !== b.hi ? (a.hi < b.hi ? -1 : 1) : a.lo !== b.lo ? (a.lo < b.lo ? -1 : 1) : 0;
      if (p !== 0 && p !== c) bad++;
      if (p === 0 && a.exact && b.exact) {
        exactPairs++;
        if (c !== 0) bad++;
      }
    }
  }
  t.equal(bad, 0, 'no pair where the prefixes disagree with compare');
  t.ok(exactPairs > 0, 'some pairs were decided by exact prefixes');
  t.end();
});

t.test('one thread: every TableStore method', (t) => {
  const { heap, store } = newStore();
  t.equal(store.type, 'ordered_set');
  t.equal(store.keypos, 1);
  t.equal(store.size(), 0);
  t.equal(store.first(), undefined, 'first of an empty table is $end_of_table');
  t.equal(store.last(), undefined);
  store.insert([tuple(3, 'c'), tuple(1, 'a'), tuple(2, 'b')]);
  t.same(keysOf(store), [1, 2, 3], 'tab2list is in key order');
  t.same(store.lookup(2), [tuple(2, 'b')]);
  t.same(store.lookup(4), []);
  t.equal(store.member(1), true);
  t.equal(store.member(1.5), false);
  t.same(store.first(), { key: 1 });
  t.same(store.last(), { key: 3 });
  t.same(store.next(1), { key: 2 });
  t.same(store.next(1.5), { key: 2 }, 'next of an absent key');
  t.same(store.prev(2.5), { key: 2 }, 'prev of an absent key');
  t.equal(store.next(3), undefined);
  t.equal(store.prev(1), undefined);
  t.same(store.next(atom('x')), undefined, 'atoms are after numbers');
  t.same(store.prev(atom('x')), { key: 3 });

  t.equal(store.insertNew([tuple(4, 'd'), tuple(2, 'B')]), false, 'insert_new with one key present inserts nothing');
  t.same(store.lookup(4), []);
  t.same(store.lookup(2), [tuple(2, 'b')]);
  t.equal(store.insertNew([tuple(4, 'd'), tuple(5, 'e')]), true);
  t.equal(store.size(), 5);

  store.insert([tuple(6, 'x'), tuple(6, 'y')]);
  t.same(store.lookup(6), [tuple(6, 'y')], 'of equal keys in one insert, the last wins');

  t.equal(store.delete(6), true);
  t.equal(store.delete(6), false);
  store.deleteObject(tuple(5, 'other'));
  t.same(store.lookup(5), [tuple(5, 'e')], 'delete_object of another object keeps it');
  store.deleteObject(tuple(5, 'e'));
  t.same(store.lookup(5), []);
  t.same(store.take(4), [tuple(4, 'd')]);
  t.same(store.take(4), []);

  const seen: Term[] = [];
  store.scan((o) => {
    seen.push(o.elements[0]!);
  }, true);
  t.same(seen, [3, 2, 1], 'scan reverse is foldr order');
  const firstTwo: Term[] = [];
  store.scan((o) => {
    firstTwo.push(o.elements[0]!);
    return firstTwo.length < 2;
  });
  t.same(firstTwo, [1, 2], 'visit returning false stops the scan');

  // modify: update_counter, a throwing update, a key change, deletion
  const r = store.modify(1, (cur) => ({ objects: [tuple(1, 'a', (cur[0]?.elements.length ?? 0) * 10)], result: 'done' }));
  t.equal(r, 'done');
  t.same(store.lookup(1), [tuple(1, 'a', 20)]);
  t.throws(() => store.modify(1, () => {
    throw new Error('boom');
  }), /boom/, 'an update that throws propagates');
  t.same(store.lookup(1), [tuple(1, 'a', 20)], 'and leaves the table unchanged');
  t.throws(() => store.modify(1, () => ({ objects: [tuple(7, 'z')], result: 0 })), InvalidArgumentError, 'modify may not change the key');
  t.same(store.lookup(7), []);
  t.equal(store.modify(9, (cur) => ({ objects: [tuple(9, cur.length)], result: cur.length })), 0, 'modify of an absent key sees []');
  t.same(store.lookup(9), [tuple(9, 0)]);
  t.equal(store.modify(9, () => ({ objects: [], result: 1 })), 1);
  t.same(store.lookup(9), [], 'modify returning no object deletes');
  t.equal(store.modify(2, () => ({ result: 'read' })), 'read', 'objects undefined: no change');
  t.same(store.lookup(2), [tuple(2, 'b')]);

  store.insert([tuple(10, 1), tuple(11, 2), tuple(12, 3), tuple(13, 4)]);
  t.equal(store.deleteWhere((o) => typeof o.elements[1] === 'number' && (o.elements[1] as number) % 2 === 0), 2, 'select_delete counts');
  t.same(keysOf(store), [1, 2, 3, 10, 12]);

  const attached = orderedStoreFactory.attach(heap, store.root);
  t.same(keysOf(attached), [1, 2, 3, 10, 12], 'attach by root sees the same table');
  t.ok(store.memoryBytes() > 0 && store.memoryBytes() <= heap.used(), 'memoryBytes is what the table holds');

  store.deleteAll();
  t.equal(store.size(), 0, 'delete_all_objects empties it');
  store.insert([tuple(1, 'again')]);
  t.same(store.lookup(1), [tuple(1, 'again')], 'and it stays usable');
  store.destroy();
  t.equal(heap.used(), 0, 'destroy frees every byte');
  t.equal(heap.blocks(), 0);
  t.end();
});

t.test('keypos 2, bad input, and types other than ordered_set', (t) => {
  const { store } = newStore(2);
  store.insert([tuple('v1', 2), tuple('v2', 1)]);
  t.same(keysOf(store), [1, 2]);
  t.same(store.lookup(1), [tuple('v2', 1)]);
  t.throws(() => store.insert([tuple('short')]), { constructor: InvalidArgumentError, message: /at least 2 elements/ });
  t.throws(() => store.insert([[1, 2] as unknown as Tuple]), InvalidArgumentError);
  t.equal(store.size(), 2, 'a bad object in a list inserts nothing');
  t.throws(() => orderedStoreFactory.create(TestHeap.create(), 'set', 1, CONC), { constructor: InvalidArgumentError, message: /'ordered_set'/ });
  t.throws(() => orderedStoreFactory.create(TestHeap.create(), 'ordered_set', 0, CONC), { constructor: InvalidArgumentError, message: /keypos/ });
  t.throws(() => orderedStoreFactory.attach(TestHeap.create(), 4096), { constructor: InvalidArgumentError, message: /no ordered_set store/ });
  t.end();
});

t.test('keys that are == but not =:= are one key (1 and 1.0, 2^70 and 2.0^70)', (t) => {
  const { store } = newStore();
  store.insert([tuple(1, 'int')]);
  store.insert([tuple(float(1), 'float')]);
  t.equal(store.size(), 1, '1.0 replaced 1');
  const [o] = store.lookup(1);
  t.ok(o !== undefined && exactEquals(o.elements[0]!, float(1)) && o.elements[1] === 'float', 'the stored key is now 1.0');
  t.equal(store.member(float(1)), true);
  store.insert([tuple(2n ** 70n, 'big')]);
  t.same(store.lookup(2 ** 70), [tuple(2n ** 70n, 'big')], '2.0^70 finds 2^70');
  t.equal(store.insertNew([tuple(2 ** 70, 'f')]), false);
  t.equal(store.delete(float(1)), true);
  t.equal(store.size(), 1);
  store.insert([tuple(2n ** 70n + 1n, 'next')]);
  t.same(keysOf(store), [2n ** 70n, 2n ** 70n + 1n], 'a bigint one above 2^70 is another key, after it');
  t.same(store.next(2 ** 70), { key: 2n ** 70n + 1n });
  t.end();
});

function erlOrder(keys: Term[], probes: Term[]): string[] | string {
  const dir = mkdtempSync(join(os.tmpdir(), 'beamjs-ordset-'));
  try {
    const line = (ts: Term[]): string => ts.map((k) => hex(termToBinary(k))).join(',');
    writeFileSync(join(dir, 'in.txt'), `${line(keys)}\n${line(probes)}\n`);
    const q = (s: string): string => JSON.stringify(s);
    const source = join(repoRoot, 'test', 'ets', 'ordered_diff.erl');
    const driver = `{ok, M} = compile:file(${q(source)}, [{outdir, ${q(dir)}}, return_errors]), code:add_patha(${q(dir)}), M:main(${q(join(dir, 'in.txt'))}, ${q(join(dir, 'out.txt'))}), halt().`;
    const r = spawnSync('erl', ['-noshell', '-eval', driver], { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) return `erl failed: ${String(r.error ?? '')} ${r.stderr} ${r.stdout.slice(-3000)}`;
    return readFileSync(join(dir, 'out.txt'), 'utf8').split('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** True when `t` is or holds a map of more than 32 keys (see the differential test). */
function hasLargeMap(t: Term): boolean {
  if (t instanceof Map) return t.size > 32 || [...t].some(([k, v]) => hasLargeMap(k) || hasLargeMap(v));
  if (t instanceof Tuple) return t.elements.some(hasLargeMap);
  if (Array.isArray(t)) return t.some(hasLargeMap);
  if (t instanceof ImproperList) return t.head.some(hasLargeMap) || hasLargeMap(t.tail);
  if (t !== null && typeof t === 'object' && !(t instanceof Uint8Array) && Object.getPrototypeOf(t) === Object.prototype) {
    const values = Object.values(t as Record<string, Term>);
    return values.length > 32 || values.some(hasLargeMap);
  }
  return false;
}

t.test('differential: first/next, last/prev, tab2list, foldr, next/prev/member of probes match erl', { skip: erlWanted() ? false : 'BEAMJS_NO_ERL=1' }, (t) => {
  t.ok(erlInstalled(), 'erl is installed (set BEAMJS_NO_ERL=1 to leave this test out)');
  const gen = new TermGen(seed ^ 0x5eed, { noClosures: true });
  const rand = mulberry32(seed);
  const keys: Term[] = [...edgeKeys()];
  // erl 25 itself orders two maps of more than 32 keys (HAMT maps) differently from one run to
  // the next for some contents (the same input file gave either order, seen 1 run in 8), so
  // such keys cannot be checked against erl here; they are left out (smaller maps stay in).
  for (let i = 0; i < 800; i++) {
    const k = gen.term();
    if (!hasLargeMap(k)) keys.push(k);
  }
  // Round-trip through the plain codec, as erl will see them.
  const plain = shuffle(keys.map((k) => binaryToTerm(termToBinary(k))), rand);
  const probes: Term[] = [...edgeKeys(), 0.25, 1.25, atom('zz'), 'zz', tuple(1, 1)];
  for (let i = 0; i < 200; i++) {
    const p = gen.term();
    if (!hasLargeMap(p)) probes.push(p);
  }
  const plainProbes = probes.map((k) => binaryToTerm(termToBinary(k)));

  const { store } = newStore(1, { read: false, write: false });
  plain.forEach((k, i) => store.insert([tuple(k, i)]));
  const idx = (k: { key: Term } | undefined): number => (k === undefined ? -1 : (store.lookup(k.key)[0]!.elements[1] as number));
  const tab: number[] = [];
  store.scan((o) => {
    tab.push(o.elements[1] as number);
  });
  const fwd: number[] = [];
  for (let k = store.first(); k !== undefined; k = store.next(k.key)) fwd.push(idx(k));
  const bwd: number[] = [];
  for (let k = store.last(); k !== undefined; k = store.prev(k.key)) bwd.push(idx(k));
  const foldr: number[] = [];
  store.scan((o) => {
    foldr.unshift(o.elements[1] as number);
  }, true);
  const mine = [tab, fwd, bwd, foldr, plainProbes.map((p) => idx(store.next(p))), plainProbes.map((p) => idx(store.prev(p))), plainProbes.map((p) => (store.member(p) ? 1 : 0))].map((l) => l.join(','));
  const theirs = erlOrder(plain, plainProbes);
  if (typeof theirs === 'string') {
    t.fail(theirs);
    return t.end();
  }
  const names = ['tab2list', 'first/next', 'last/prev', 'foldr', 'next of probes', 'prev of probes', 'member of probes'];
  names.forEach((name, i) => t.equal(mine[i], theirs[i], `${name} as erl (${plain.length} keys, ${store.size()} distinct)`));
  t.end();
});

t.test('100,000 keys: random inserts split, random deletes merge down to empty', (t) => {
  const rand = mulberry32(seed + 1);
  const { heap, store } = newStore();
  const baseline = heap.used();
  const N = 100_000;
  const keys = shuffle(Array.from({ length: N }, (_, i) => i), rand);
  for (const k of keys) store.insert([tuple(k, k * 2)]);
  t.equal(store.size(), N);
  let inOrder = true;
  let expect = 0;
  store.scan((o) => {
    if (o.elements[0] !== expect || o.elements[1] !== expect * 2) inOrder = false;
    expect++;
  });
  t.ok(inOrder && expect === N, 'scan sees 0..N-1 in order');
  let found = 0;
  for (let i = 0; i < 2000; i++) {
    const k = Math.floor(rand() * N);
    if (store.lookup(k)[0]?.elements[1] === k * 2 && store.next(k - 0.5)?.key === k && store.prev(k + 0.5)?.key === k) found++;
  }
  t.equal(found, 2000, 'lookups and neighbours of random keys');
  const full = heap.used();
  t.ok(full - baseline < N * 120, `memory per key is bounded (${((full - baseline) / N).toFixed(1)} bytes per key)`);
  for (const k of shuffle(keys, rand)) if (!store.delete(k)) t.fail(`delete ${k}`);
  t.equal(store.size(), 0);
  t.equal(store.first(), undefined);
  t.ok(store.memoryBytes() < full / 2, `deleting every key gives the memory back (${store.memoryBytes()} of ${full} bytes still held, as free leaves)`);
  t.end();
});

t.test('ascending and descending inserts fill leaves (no half-empty leaves)', (t) => {
  for (const dir of [1, -1]) {
    const { heap, store } = newStore();
    const base = heap.used();
    for (let i = 0; i < 20_000; i++) store.insert([tuple(i * dir, 0)]);
    const perKey = (heap.used() - base) / 20_000;
    t.ok(perKey < 64, `${dir > 0 ? 'ascending' : 'descending'}: ${perKey.toFixed(1)} bytes per key`);
    t.equal(store.size(), 20_000);
    t.same(store.first(), { key: dir > 0 ? 0 : -19_999 });
  }
  t.end();
});

t.test('insert/delete cycles reuse memory instead of growing it', (t) => {
  const rand = mulberry32(seed + 2);
  const { heap, store } = newStore();
  const marks: number[] = [];
  for (let cycle = 0; cycle < 6; cycle++) {
    const keys = shuffle(Array.from({ length: 5000 }, (_, i) => i * 7 + cycle), rand);
    for (const k of keys) store.insert([tuple(k, 'v'.repeat(k % 30))]);
    for (const k of shuffle(keys, rand)) store.delete(k);
    store.insert(keys.slice(0, 100).map((k) => tuple(k, 1)));
    store.deleteAll();
    marks.push(heap.highWater());
  }
  // Without reuse each cycle would add its 5,000 objects (the mark would grow about 5x by the
  // last cycle); with reuse it only moves when a cycle's leaf splits reach a new peak.
  t.ok(marks[5]! <= marks[1]! * 1.25, `the heap's high-water mark stops growing: ${marks.join(', ')}`);
  t.end();
});

t.test('HeapExhausted leaves the table consistent, with only whole inserts', (t) => {
  const heap = TestHeap.create(1 << 16, 1 << 18);
  const store = orderedStoreFactory.create(heap, 'ordered_set', 1, CONC);
  let inserted = 0;
  let failed = false;
  for (let i = 0; i < 100_000 && !failed; i++) {
    try {
      store.insert([tuple(i, 'x'.repeat(20)), tuple(-i - 1, 'y')]);
      inserted++;
    } catch {
      failed = true;
    }
  }
  t.ok(failed, 'the heap ran out');
  t.equal(store.size(), inserted * 2, 'every insert that returned is in, the failed one not at all');
  t.same(store.lookup(inserted), [], 'the failed pair is absent');
  t.same(store.lookup(-inserted - 1), []);
  t.same(store.lookup(0), [tuple(0, 'x'.repeat(20))]);
  store.deleteAll();
  store.insert([tuple(1, 'fits again')]);
  t.same(store.lookup(1), [tuple(1, 'fits again')]);
  t.end();
});

function runWorkers(jobs: Array<Omit<Job, 'start'>>): Promise<Report[]> {
  return runAtBarrier<Report>(new URL('./fixtures/ordered_worker.js', import.meta.url), jobs as unknown as Array<Record<string, unknown>>);
}

for (const concurrency of [{ read: true, write: true }, { read: false, write: false }]) {
  t.test(`4 threads (write_concurrency ${concurrency.write}): counters sum exactly, no key lost, scans in order, no torn object`, async (t) => {
    const WORKERS = 4;
    const counters = 40;
    const stable = 200;
    const range = 2000;
    for (let round = 0; round < 2; round++) {
      const { heap, store } = newStore(1, concurrency);
      const COUNTER = atom('counter');
      const STABLE = atom('stable');
      store.insert(Array.from({ length: counters }, (_, c) => tuple(tuple(COUNTER, c), 0)));
      store.insert(Array.from({ length: stable }, (_, s) => tuple(tuple(STABLE, s), `stable ${s}`)));
      const roundSeed = (seed + round * 1000) >>> 0;
      const reports = await runWorkers(
        Array.from({ length: WORKERS }, (_, index) => ({
          buffer: heap.buffer, root: store.root, index, workers: WORKERS, seed: roundSeed + index, ops: 1000, counters, range, stable,
        })),
      );
      t.same(reports.flatMap((r) => r.violations), [], `round ${round} (seed ${roundSeed}): no worker saw a violation`);
      let sumsRight = true;
      for (let c = 0; c < counters; c++) {
        const want = reports.reduce((sum, r) => sum + r.increments[c]!, 0);
        const got = store.lookup(tuple(COUNTER, c))[0]?.elements[1];
        if (got !== want) sumsRight = false;
      }
      t.ok(sumsRight, `round ${round}: every counter is the sum of the increments of all threads`);
      let ownedRight = true;
      for (const r of reports) for (const [k, present] of r.owned) if (store.member(k) !== present) ownedRight = false;
      t.ok(ownedRight, `round ${round}: every owned key is as its owner left it (no lost insert or delete)`);
      const all = keysOf(store);
      let sorted = true;
      for (let i = 1; i < all.length; i++) if (compare(all[i - 1]!, all[i]!) >= 0) sorted = false;
      t.ok(sorted, 'the final table is in strict key order');
      t.equal(all.length, store.size(), 'size agrees with a scan');
      t.ok(reports.reduce((s, r) => s + r.scans, 0) > 20, 'readers scanned while writers wrote');
      store.destroy();
      t.equal(heap.used(), 0, 'destroy after the threads: nothing leaked');
    }
  });
}

t.test('4 threads: an insert of two keys in different leaves is atomic for readers on other threads', async (t) => {
  const { heap, store } = newStore();
  const PM = atom('pm');
  // Keys between pa and pb, so that {pa, J} and {pb, J} live in different leaves.
  store.insert(Array.from({ length: 3 * LEAF_CAP }, (_, i) => tuple(tuple(PM, i), 'filler')));
  const reports = await runWorkers(
    Array.from({ length: 4 }, (_, index) => ({
      buffer: heap.buffer, root: store.root, index, workers: 4, seed: seed + 77 + index, ops: 2500, counters: 20, range: 0, stable: 0, mode: 'pairs' as const,
    })),
  );
  t.same(reports.flatMap((r) => r.violations), [], 'no reader saw half of a pair');
  t.ok(reports.slice(1).every((r) => r.lookups > 0), 'every reader read');
  store.destroy();
  t.equal(heap.used(), 0);
});
