// The name table (src/shm/name_table.ts) from several threads: racing registrations of the same
// names give exactly one winner each, and lock-free readers never see a wrong owner while
// writers churn.
import t from 'tap';
import { runAll } from './fixtures/run_workers.js';
import { ErrorCode, InvalidArgumentError } from '../../src/errors/index.js';
import { NameTable } from '../../src/shm/name_table.js';



t.test('one thread: register, whereis, unregister, owner-only unregister, names of any script', (t) => {
  const names = NameTable.create(16);
  t.equal(names.register('kvs', 7, 1), true);
  t.equal(names.register('kvs', 8, 1), false, 'a taken name is refused');
  t.same(names.whereis('kvs'), { id: 7, serial: 1 });
  names.unregisterIfOwner('kvs', 7, 2);
  t.same(names.whereis('kvs'), { id: 7, serial: 1 }, 'another serial is not the owner');
  names.unregisterIfOwner('kvs', 7, 1);
  t.equal(names.whereis('kvs'), undefined, 'the owner freed it');
  t.equal(names.register('сервер_名前', 9, 0), true, 'UTF-8 names');
  t.same(names.registered(), ['сервер_名前']);
  t.same(names.unregister('сервер_名前'), { id: 9, serial: 0 });
  for (let i = 0; i < 16; i++) t.equal(names.register(`n${i}`, i, 0), true);
  t.throws(() => names.register('one_too_many', 1, 0), { code: ErrorCode.SYSTEM_LIMIT }, 'a full table is SYSTEM_LIMIT');
  t.throws(() => names.register('x'.repeat(256), 1, 0), InvalidArgumentError, 'a name over 255 bytes is refused');
  names.clear();
  t.same(names.registered(), [], 'clear empties it');
  t.end();
});

t.test('4 threads race for the same 200 names: exactly one winner each', async (t) => {
  for (let round = 0; round < 5; round++) {
    const names = NameTable.create(1024);
    const won = await runAll<string[]>(Array.from({ length: 4 }, (_, index) => ({ scenario: 'race-names', buffer: names.buffer, index, count: 200 })));
    const all = won.flat();
    t.equal(all.length, 200, `round ${round}: 200 registrations succeeded in total`);
    t.equal(new Set(all).size, 200, `round ${round}: no name won twice`);
    t.ok(won.every((list, index) => list.every((name) => names.whereis(name)?.id === 1000 + index)), `round ${round}: whereis agrees with every winner`);
  }
});

t.test('lock-free readers never see a wrong owner while 4 writers churn', async (t) => {
  const names = NameTable.create(1024);
  const results = await runAll<{ wrong: number; seen: number }>(Array.from({ length: 4 }, (_, index) => ({ scenario: 'churn-names', buffer: names.buffer, index, count: 20000 })));
  t.equal(results.reduce((sum, r) => sum + r.wrong, 0), 0, 'no read returned a wrong owner');
  t.ok(results.reduce((sum, r) => sum + r.seen, 0) > 1000, 'readers saw the names many times');
  t.same(names.registered(), [], 'every name was unregistered in the end');
});
