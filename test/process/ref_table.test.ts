// RefTable (src/process/ref_table.ts): the monitors of a process, Map's semantics in insertion
// order, in arrays up to a few entries and in a Map beyond; checked against a Map.
import t from 'tap';
import { RefTable } from '../../src/process/ref_table.js';
import { mulberry32 } from '../support/prng.js';

t.test('get, set, has, delete, size and values in insertion order, as a Map, across the switch to a Map', async (t) => {
  const seed = 20261203;
  t.comment(`seed ${seed}`);
  const random = mulberry32(seed);
  const table = new RefTable<number>();
  const model = new Map<number | string, number>();
  for (let step = 0; step < 20_000; step++) {
    // 8 keys at most for the first half (the table stays in its arrays), then 24 (it becomes a Map)
    const n = Math.floor(random() * (step < 10_000 ? 8 : 24));
    const key: number | string = n % 5 === 0 ? `k${n}` : n;
    const op = random();
    let agrees: boolean;
    if (op < 0.45) {
      agrees = table.set(key, step) === table;
      model.set(key, step);
    } else if (op < 0.85) {
      agrees = table.delete(key) === model.delete(key);
    } else {
      agrees = table.has(key) === model.has(key);
    }
    if (!agrees || table.size !== model.size || table.get(key) !== model.get(key)) {
      t.fail(`step ${step} (${op < 0.45 ? 'set' : op < 0.85 ? 'delete' : 'has'} ${String(key)}): size ${table.size} / ${model.size}, get ${String(table.get(key))} / ${String(model.get(key))}`);
      return;
    }
    if (step % 97 === 0) t.same([...table.values()], [...model.values()], `values in insertion order at step ${step}`);
  }
  t.same([...table.values()], [...model.values()]);
});

t.test('values() is a snapshot: deleting while iterating visits every entry once', async (t) => {
  const table = new RefTable<string>();
  for (const k of [1, 2, 3]) table.set(k, `v${k}`);
  const seen: string[] = [];
  for (const v of table.values()) {
    seen.push(v);
    table.delete(Number(v.slice(1)));
  }
  t.same(seen, ['v1', 'v2', 'v3']);
  t.equal(table.size, 0);
  t.equal(table.get(1), undefined);
});
