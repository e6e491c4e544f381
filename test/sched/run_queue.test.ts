/**
 * Tests of src/sched/run_queue.ts: BEAM's priority rules (strict max and high, FIFO within a
 * level, normal/low interleaving by ERTS's RESCHEDULE_LOW = 8 skip count), shuffle mode,
 * remove, takeForSteal, and a randomized comparison against a plain-array model of the same
 * rules. Seeds are printed; BEAMJS_SEED=<n> adds one.
 */
import t from 'tap';
import { RunQueue, RESCHEDULE_LOW, type Priority } from '../../src/sched/run_queue.js';
import { ErrorCode, InvalidArgumentError } from '../../src/errors/index.js';
import { mulberry32 } from '../support/prng.js';

function drain<T>(queue: { dequeue(): T | undefined }): T[] {
  const out: T[] = [];
  for (let item = queue.dequeue(); item !== undefined; item = queue.dequeue()) out.push(item);
  return out;
}

const PRIORITIES: readonly Priority[] = ['max', 'high', 'normal', 'low'];

t.test('ERTS reschedules a low process 8 times (erl_process.h RESCHEDULE_LOW)', (t) => {
  t.equal(RESCHEDULE_LOW, 8);
  t.end();
});

t.test('an empty queue dequeues undefined and has length 0', (t) => {
  const queue = new RunQueue<string>();
  t.equal(queue.dequeue(), undefined);
  t.equal(queue.length, 0);
  for (const p of PRIORITIES) t.equal(queue.lengthOf(p), 0);
  t.equal(queue.shuffled, false);
  t.end();
});

t.test('items of one priority come out first in, first out', (t) => {
  for (const p of PRIORITIES) {
    const queue = new RunQueue<number>();
    const items = Array.from({ length: 50 }, (_, i) => i);
    for (const i of items) queue.enqueue(i, p);
    t.equal(queue.lengthOf(p), 50);
    t.same(drain(queue), items, `${p} is FIFO`);
  }
  t.end();
});

t.test('max runs before high, high before normal and low, whatever the enqueue order', (t) => {
  const queue = new RunQueue<string>();
  queue.enqueue('n1', 'normal');
  queue.enqueue('l1', 'low');
  queue.enqueue('h1', 'high');
  queue.enqueue('m1', 'max');
  queue.enqueue('n2', 'normal');
  queue.enqueue('h2', 'high');
  queue.enqueue('m2', 'max');
  t.equal(queue.length, 7);
  t.same([queue.dequeue(), queue.dequeue(), queue.dequeue(), queue.dequeue()], ['m1', 'm2', 'h1', 'h2']);
  queue.enqueue('h3', 'high');
  t.equal(queue.dequeue(), 'h3', 'a high item enqueued later still overtakes normal ones');
  t.same(drain(queue), ['n1', 'n2', 'l1'], 'the low item is last: it is skipped while normal items wait');
  t.end();
});

t.test('a low item alone, or last in the queue, runs at once', (t) => {
  const queue = new RunQueue<string>();
  queue.enqueue('l', 'low');
  t.equal(queue.dequeue(), 'l');
  queue.enqueue('n', 'normal');
  queue.enqueue('l', 'low');
  t.same(drain(queue), ['n', 'l']);
  t.end();
});

t.test('a low item is skipped 7 times and runs on its 8th turn at the head', (t) => {
  // The ERTS rule by hand: queue [L, N1..N20]. Each time L is at the head its count goes
  // 8 -> 7 ... and it moves to the back, until the decrement reaches 0.
  const queue = new RunQueue<string>();
  queue.enqueue('L', 'low');
  const normals = Array.from({ length: 20 }, (_, i) => `N${i}`);
  for (const n of normals) queue.enqueue(n, 'normal');
  // Every normal item runs and is put back at once (always runnable), as a busy process would.
  let normalRuns = 0;
  for (;;) {
    const item = queue.dequeue()!;
    if (item === 'L') break;
    normalRuns++;
    queue.enqueue(item, 'normal');
  }
  // L reached the head at normal-run counts 0, 20, 40, ..., 140: the 8th turn is after 7 × 20.
  t.equal(normalRuns, 7 * 20);
  t.end();
});

t.test('with 1 normal and 1 low item both always runnable, normal runs 8 times per low run', (t) => {
  const queue = new RunQueue<string>();
  queue.enqueue('N', 'normal');
  queue.enqueue('L', 'low');
  const runs: string[] = [];
  for (let i = 0; i < 9 * 100; i++) {
    const item = queue.dequeue()!;
    runs.push(item);
    queue.enqueue(item, item === 'N' ? 'normal' : 'low');
  }
  t.equal(runs.filter((r) => r === 'L').length, 100);
  const pattern = runs.join('');
  t.equal(pattern, 'NNNNNNNNL'.repeat(100));
  t.end();
});

t.test('with k busy normal items, a busy low item runs once per 8k normal runs (never starves)', (t) => {
  for (const k of [1, 3, 17, 200]) {
    const queue = new RunQueue<string>();
    for (let i = 0; i < k; i++) queue.enqueue(`N${i}`, 'normal');
    queue.enqueue('L', 'low');
    let normalRuns = 0;
    const gaps: number[] = [];
    while (gaps.length < 5) {
      const item = queue.dequeue()!;
      if (item === 'L') {
        gaps.push(normalRuns);
        normalRuns = 0;
        queue.enqueue('L', 'low');
      } else {
        normalRuns++;
        queue.enqueue(item, 'normal');
      }
    }
    t.same(gaps, new Array(5).fill(8 * k), `k = ${k}`);
  }
  t.end();
});

t.test('several low items alone keep their FIFO order', (t) => {
  const queue = new RunQueue<number>();
  for (let i = 0; i < 10; i++) queue.enqueue(i, 'low');
  t.same(
    drain(queue),
    Array.from({ length: 10 }, (_, i) => i),
  );
  t.end();
});

t.test('a high item that arrives while low items are being skipped still runs first', (t) => {
  const queue = new RunQueue<string>();
  queue.enqueue('L', 'low');
  queue.enqueue('N', 'normal');
  t.equal(queue.dequeue(), 'N', 'L skipped once');
  queue.enqueue('H', 'high');
  queue.enqueue('N', 'normal');
  t.equal(queue.dequeue(), 'H');
  t.same(drain(queue), ['N', 'L']);
  t.end();
});

t.test('length and lengthOf count every priority separately', (t) => {
  const queue = new RunQueue<number>();
  const counts = { max: 3, high: 5, normal: 7, low: 11 };
  let n = 0;
  for (const p of PRIORITIES) for (let i = 0; i < counts[p]; i++) queue.enqueue(n++, p);
  t.equal(queue.length, 26);
  for (const p of PRIORITIES) t.equal(queue.lengthOf(p), counts[p], p);
  for (let i = 0; i < 10; i++) queue.dequeue();
  t.same(
    PRIORITIES.map((p) => queue.lengthOf(p)),
    [0, 0, 5, 11],
  );
  t.end();
});

t.test('the rings grow and wrap around without losing or reordering items', (t) => {
  const queue = new RunQueue<number>();
  const expected: number[] = [];
  const got: number[] = [];
  let next = 0;
  for (let round = 0; round < 200; round++) {
    const adds = (round * 37) % 61;
    for (let i = 0; i < adds; i++) {
      queue.enqueue(next, 'normal');
      expected.push(next++);
    }
    const takes = (round * 53) % 47;
    for (let i = 0; i < takes && queue.length > 0; i++) got.push(queue.dequeue()!);
  }
  got.push(...drain(queue));
  t.same(got, expected);
  t.end();
});

t.test('remove takes out the oldest occurrence of an item at that priority, keeping the order', (t) => {
  const queue = new RunQueue<string>();
  for (const item of ['a', 'b', 'c', 'd', 'e']) queue.enqueue(item, 'normal');
  queue.enqueue('x', 'low');
  queue.enqueue('h', 'high');
  queue.enqueue('c', 'normal');
  t.equal(queue.remove('c', 'normal'), true);
  t.equal(queue.remove('x', 'normal'), false, 'x is queued as low, not normal');
  t.equal(queue.remove('x', 'low'), true);
  t.equal(queue.remove('x', 'low'), false, 'only one x was queued');
  t.equal(queue.remove('h', 'max'), false);
  t.equal(queue.remove('zz', 'normal'), false);
  t.equal(queue.lengthOf('low'), 0);
  t.equal(queue.lengthOf('normal'), 5);
  t.equal(queue.remove('a', 'normal'), true, 'remove the front');
  t.equal(queue.remove('c', 'normal'), true, 'the second c');
  t.same(drain(queue), ['h', 'b', 'd', 'e']);
  t.end();
});

t.test('remove works at every position of a wrapped ring', (t) => {
  for (let position = 0; position < 20; position++) {
    const queue = new RunQueue<number>();
    for (let i = 0; i < 12; i++) {
      queue.enqueue(-1, 'max');
      queue.dequeue();
    }
    for (let i = 0; i < 20; i++) queue.enqueue(i, 'max');
    t.equal(queue.remove(position, 'max'), true);
    t.same(
      drain(queue),
      Array.from({ length: 20 }, (_, i) => i).filter((i) => i !== position),
      `position ${position}`,
    );
  }
  t.end();
});

t.test('takeForSteal takes accepted normal/low items from the end and returns them oldest first', (t) => {
  const queue = new RunQueue<string>();
  queue.enqueue('M', 'max');
  queue.enqueue('H', 'high');
  for (const item of ['n0', 'n1', 'pinned2', 'n3', 'n4', 'pinned5', 'n6']) queue.enqueue(item, 'normal');
  queue.enqueue('low7', 'low');
  const seen: Array<[string, Priority]> = [];
  const stolen = queue.takeForSteal(3, (item, priority) => {
    seen.push([item, priority]);
    return !item.startsWith('pinned');
  });
  t.same(stolen, ['n4', 'n6', 'low7'], 'the newest three portable items, in queue order');
  t.same(seen, [
    ['low7', 'low'],
    ['n6', 'normal'],
    ['pinned5', 'normal'],
    ['n4', 'normal'],
  ]);
  t.equal(queue.lengthOf('low'), 0);
  t.equal(queue.lengthOf('normal'), 5);
  t.same(drain(queue), ['M', 'H', 'n0', 'n1', 'pinned2', 'n3', 'pinned5']);
  t.end();
});

t.test('takeForSteal never takes max or high items and honours max = 0', (t) => {
  const queue = new RunQueue<string>();
  queue.enqueue('M', 'max');
  queue.enqueue('H', 'high');
  queue.enqueue('N', 'normal');
  t.same(
    queue.takeForSteal(0, () => true),
    [],
  );
  t.same(
    queue.takeForSteal(10, () => true),
    ['N'],
  );
  t.same(
    queue.takeForSteal(10, () => true),
    [],
  );
  t.equal(queue.length, 2);
  t.end();
});

t.test('takeForSteal leaves the queue unchanged when accept throws', (t) => {
  const queue = new RunQueue<number>();
  for (let i = 0; i < 6; i++) queue.enqueue(i, i % 2 === 0 ? 'normal' : 'low');
  let calls = 0;
  t.throws(
    () =>
      queue.takeForSteal(5, () => {
        if (++calls === 3) throw new Error('accept failed');
        return true;
      }),
    { message: 'accept failed' },
  );
  t.equal(queue.length, 6);
  t.equal(queue.lengthOf('low'), 3);
  t.same(queue.takeForSteal(6, () => true).sort(), [0, 1, 2, 3, 4, 5]);
  t.end();
});

t.test('shuffle mode: the same seed and the same operations give the same order', (t) => {
  const run = (seed: number): string[] => {
    const queue = new RunQueue<string>({ shuffleSeed: seed });
    const out: string[] = [];
    for (let round = 0; round < 30; round++) {
      for (let i = 0; i < 4; i++) queue.enqueue(`r${round}i${i}`, PRIORITIES[(round + i) % 4]!);
      for (let i = 0; i < 3; i++) out.push(queue.dequeue()!);
    }
    out.push(...drain(queue));
    return out;
  };
  t.same(run(7), run(7));
  t.same(run(123456), run(123456));
  t.notSame(run(7), run(8), 'another seed gives another order');
  t.end();
});

t.test('shuffle mode really permutes items of the same priority, at every level, and keeps every item', (t) => {
  const items = Array.from({ length: 30 }, (_, i) => i);
  for (const p of PRIORITIES) {
    const orders = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      const queue = new RunQueue<number>({ shuffleSeed: seed });
      t.equal(queue.shuffled, true);
      for (const i of items) queue.enqueue(i, p);
      const out = drain(queue);
      t.same([...out].sort((a, b) => a - b), items, `${p}, seed ${seed}: every item comes out once`);
      orders.add(out.join(','));
    }
    t.notOk(orders.has(items.join(',')), `${p}: no seed gave plain FIFO order`);
    t.equal(orders.size, 20, `${p}: every seed gave a different order`);
  }
  t.end();
});

t.test('shuffle mode keeps the priority rules: max, then high, then normal/low', (t) => {
  const queue = new RunQueue<string>({ shuffleSeed: 99 });
  const random = mulberry32(5);
  const rank: Record<Priority, number> = { max: 0, high: 1, normal: 2, low: 2 };
  for (let i = 0; i < 400; i++) {
    const p = PRIORITIES[Math.floor(random() * 4)]!;
    queue.enqueue(`${p}:${i}`, p);
  }
  const ranks = drain(queue).map((item) => rank[item.split(':')[0] as Priority]);
  const sorted = [...ranks].sort((a, b) => a - b);
  t.same(ranks, sorted, 'levels come out in order');
  t.equal(ranks.length, 400);
  t.end();
});

t.test('shuffle mode still runs low items less often than normal ones, and never starves them', (t) => {
  const seed = 2024;
  t.comment(`shuffleSeed ${seed}`);
  const queue = new RunQueue<string>({ shuffleSeed: seed });
  queue.enqueue('N', 'normal');
  queue.enqueue('L', 'low');
  let normal = 0;
  let low = 0;
  for (let i = 0; i < 9000; i++) {
    const item = queue.dequeue()!;
    if (item === 'N') normal++;
    else low++;
    queue.enqueue(item, item === 'N' ? 'normal' : 'low');
  }
  t.ok(low > 0, `low ran ${low} times`);
  t.ok(normal > 3 * low, `normal ran ${normal} times, more than 3 × low (${low})`);
  t.end();
});

t.test('bad arguments throw InvalidArgumentError naming the argument', (t) => {
  const queue = new RunQueue<string>();
  const expectation = (message: RegExp) => ({ constructor: InvalidArgumentError, code: ErrorCode.INVALID_ARGUMENT, message });
  t.throws(() => queue.enqueue('x', 'urgent' as Priority), expectation(/RunQueue.enqueue: priority must be one of 'low', 'normal', 'high', 'max'; received string "urgent"/));
  t.throws(() => queue.remove('x', undefined as unknown as Priority), expectation(/RunQueue.remove: priority.*received undefined/));
  t.throws(() => queue.lengthOf(3 as unknown as Priority), expectation(/RunQueue.lengthOf: priority.*received number 3/));
  t.throws(() => queue.takeForSteal(-1, () => true), expectation(/max must be a non-negative integer; received number -1/));
  t.throws(() => queue.takeForSteal(1.5, () => true), expectation(/max must be a non-negative integer; received number 1.5/));
  t.throws(() => queue.takeForSteal(1, null as unknown as () => boolean), expectation(/accept must be a function; received null/));
  t.throws(() => new RunQueue({ shuffleSeed: 0.5 }), expectation(/options.shuffleSeed must be an integer.*received number 0.5/));
  t.equal(queue.length, 0, 'a rejected enqueue queues nothing');
  t.end();
});

// ---- randomized comparison against a model ------------------------------------------------

/** The rules again, on plain arrays with shift/push: obviously slow, hopefully obviously right. */
class ModelQueue<T> {
  max: T[] = [];
  high: T[] = [];
  shared: Array<{ item: T; low: boolean; count: number }> = [];
  enqueue(item: T, p: Priority): void {
    if (p === 'max') this.max.push(item);
    else if (p === 'high') this.high.push(item);
    else this.shared.push({ item, low: p === 'low', count: p === 'low' ? 8 : 1 });
  }
  dequeue(): T | undefined {
    if (this.max.length > 0) return this.max.shift();
    if (this.high.length > 0) return this.high.shift();
    while (this.shared.length > 0) {
      const head = this.shared[0]!;
      head.count--;
      if (head.count > 0 && this.shared.length > 1) {
        this.shared.push(this.shared.shift()!);
        continue;
      }
      return this.shared.shift()!.item;
    }
    return undefined;
  }
  remove(item: T, p: Priority): boolean {
    const list: unknown[] = p === 'max' ? this.max : p === 'high' ? this.high : this.shared;
    const index =
      p === 'max' || p === 'high'
        ? (list as T[]).indexOf(item)
        : this.shared.findIndex((e) => e.item === item && e.low === (p === 'low'));
    if (index < 0) return false;
    list.splice(index, 1);
    return true;
  }
  takeForSteal(max: number, accept: (item: T, p: Priority) => boolean): T[] {
    const picked: number[] = [];
    for (let i = this.shared.length - 1; i >= 0 && picked.length < max; i--) {
      const e = this.shared[i]!;
      if (accept(e.item, e.low ? 'low' : 'normal')) picked.push(i);
    }
    const taken = picked.reverse().map((i) => this.shared[i]!.item);
    this.shared = this.shared.filter((_, i) => !picked.includes(i));
    return taken;
  }
  lengthOf(p: Priority): number {
    if (p === 'max') return this.max.length;
    if (p === 'high') return this.high.length;
    return this.shared.filter((e) => e.low === (p === 'low')).length;
  }
  get length(): number {
    return this.max.length + this.high.length + this.shared.length;
  }
}

t.test('randomized: FIFO mode matches the model operation by operation', (t) => {
  const seeds = [1, 2, 3, 77, 31337];
  const extra = process.env['BEAMJS_SEED'] !== undefined ? Number(process.env['BEAMJS_SEED']) : (Date.now() ^ (process.pid << 8)) >>> 0;
  seeds.push(extra);
  for (const seed of seeds) {
    const random = mulberry32(seed);
    const queue = new RunQueue<number>();
    const model = new ModelQueue<number>();
    const priorityOf = new Map<number, Priority>();
    let next = 0;
    let mismatch: string | undefined;
    for (let op = 0; op < 20000 && mismatch === undefined; op++) {
      const r = random();
      let real: unknown;
      let expected: unknown;
      if (r < 0.45) {
        // Mostly normal and low, so that the interleaving rule is exercised hard.
        const x = random();
        const p: Priority = x < 0.05 ? 'max' : x < 0.15 ? 'high' : x < 0.6 ? 'normal' : 'low';
        // Re-enqueue an item already seen now and then: duplicates are allowed.
        const item = next > 0 && random() < 0.1 ? Math.floor(random() * next) : next++;
        priorityOf.set(item, p);
        queue.enqueue(item, p);
        model.enqueue(item, p);
      } else if (r < 0.85) {
        real = queue.dequeue();
        expected = model.dequeue();
      } else if (r < 0.93) {
        const item = Math.floor(random() * (next + 1));
        const p = random() < 0.8 ? (priorityOf.get(item) ?? 'normal') : PRIORITIES[Math.floor(random() * 4)]!;
        real = queue.remove(item, p);
        expected = model.remove(item, p);
      } else {
        const max = Math.floor(random() * 6);
        const modulus = 2 + Math.floor(random() * 3);
        real = queue.takeForSteal(max, (item, p) => item % modulus !== 0 && p !== 'max');
        expected = model.takeForSteal(max, (item, p) => item % modulus !== 0 && p !== 'max');
      }
      const lengths = PRIORITIES.map((p) => queue.lengthOf(p)).join(',');
      const modelLengths = PRIORITIES.map((p) => model.lengthOf(p)).join(',');
      if (JSON.stringify(real) !== JSON.stringify(expected) || lengths !== modelLengths || queue.length !== model.length) {
        mismatch = `op ${op}: queue answered ${JSON.stringify(real)} [${lengths}], model ${JSON.stringify(expected)} [${modelLengths}]`;
      }
    }
    t.equal(mismatch, undefined, `seed ${seed} (rerun with BEAMJS_SEED=${seed})`);
    t.same(drain(queue), drain(model), `seed ${seed}: the rest drains alike`);
  }
  t.comment(`seeds: ${seeds.join(', ')}`);
  t.end();
});

t.test('randomized: shuffle mode keeps every item exactly once and always serves the highest level', (t) => {
  for (const seed of [11, 12, 13]) {
    const random = mulberry32(seed);
    const queue = new RunQueue<number>({ shuffleSeed: seed * 1000 });
    const queued = new Map<number, Priority>();
    const rank: Record<Priority, number> = { max: 0, high: 1, normal: 2, low: 2 };
    let next = 0;
    let problem: string | undefined;
    for (let op = 0; op < 20000 && problem === undefined; op++) {
      const r = random();
      if (r < 0.5) {
        const p = PRIORITIES[Math.floor(random() * 4)]!;
        queue.enqueue(next, p);
        queued.set(next++, p);
      } else if (r < 0.9) {
        const best = Math.min(3, ...[...queued.values()].map((p) => rank[p]));
        const item = queue.dequeue();
        if (queued.size === 0) {
          if (item !== undefined) problem = `op ${op}: an empty queue returned ${item}`;
        } else if (item === undefined || !queued.has(item)) {
          problem = `op ${op}: dequeued ${item}, which is not queued`;
        } else if (rank[queued.get(item)!] !== best) {
          problem = `op ${op}: dequeued a ${queued.get(item)} item while a better level was waiting`;
        } else {
          queued.delete(item);
        }
      } else if (queued.size > 0) {
        const keys = [...queued.keys()];
        const item = keys[Math.floor(random() * keys.length)]!;
        if (!queue.remove(item, queued.get(item)!)) problem = `op ${op}: remove(${item}) did not find it`;
        queued.delete(item);
      }
      if (problem === undefined && queue.length !== queued.size) problem = `op ${op}: length ${queue.length}, expected ${queued.size}`;
    }
    t.equal(problem, undefined, `seed ${seed}`);
  }
  t.end();
});
