/**
 * ETS operations/s on every scheduler, against BEAM in the same run (bench/erl/ets_bench.erl,
 * `ets_bench:tables/1` with erl +S 2). PENDING: it calls the ETS API of src/ets/index.ts
 * (`ets.new`, `ets.insert`, `ets.lookup`, `ets.updateCounter`, `ets.delete`), which lands with
 * the ETS tables; the integrator renames this file to bench/ets/ets.ts after the merge.
 *
 *   ets.lookup.<table>          ets:lookup/2 of a present key
 *   ets.insert.<table>          ets:insert/2 of {Key, I} into a table that starts empty
 *   ets.update_counter.<table>  ets:update_counter(T, Key, 1) on {Key, 0} objects
 *
 * <table>: set_rc (set, {read_concurrency, true}), set_wc (set, {write_concurrency, true}),
 * ordered_set. Two schedulers, one worker process on each, each doing half of the operations on
 * the keys of its own LCG sequence (bench/support/ets_keys.ts, the same keys erl uses); the
 * time runs from the first spawn to the last report. The table is filled from the main thread
 * (outside the timing). Checks: every lookup finds its key; after the inserts each worker's last
 * key is present; the counters add up to the number of increments. The baseline without ETS
 * (a process owning a Map) is bench/ets/owner_map.ts.
 */
import { atom, defineModule, P, send, tuple, VM, type Atom, type Pid, type Term, type Tuple } from '../../src/index.js';
import { ets } from '../../src/ets/index.js';
import { beamFigure, check, note, reportVersusBeam, runErl } from '../harness.js';
import { KEYS, fillKey, lcg } from '../support/ets_keys.js';

const SCHEDULERS = 2;
const OPS = 500_000;
const DONE = atom('ets_done');

const TABLES: ReadonlyArray<{ readonly name: string; readonly options: Term[] }> = [
  { name: 'set_rc', options: [atom('set'), atom('public'), tuple(atom('read_concurrency'), true)] },
  { name: 'set_wc', options: [atom('set'), atom('public'), tuple(atom('write_concurrency'), true)] },
  { name: 'ordered_set', options: [atom('ordered_set'), atom('public')] },
];

type Tab = Parameters<typeof ets.lookup>[0];

defineModule('bench_ets', {
  /** `n` lookups of worker `w`'s keys; reports {ets_done, W, Found}. */
  *lookups(tab: Tab, w: number, n: number, report: Pid) {
    let x = w;
    let found = 0;
    for (let i = 0; i < n; i++) {
      const key = x % KEYS;
      const objects = ets.lookup(tab, key);
      if (objects.length === 1 && (objects[0] as Tuple).at(0) === key) found++;
      x = lcg(x);
    }
    send(report, tuple(DONE, w, found));
  },
  /** `n` inserts of {Key, I}; reports {ets_done, W, N} and the last key in {ets_last, W, Key}. */
  *inserts(tab: Tab, w: number, n: number, report: Pid) {
    let x = w;
    let key = -1;
    for (let i = n; i > 0; i--) {
      key = x % KEYS;
      ets.insert(tab, tuple(key, i));
      x = lcg(x);
    }
    send(report, tuple(atom('ets_last'), w, key));
    send(report, tuple(DONE, w, n));
  },
  /** `n` update_counter(T, Key, 1); reports {ets_done, W, N}. */
  *counters(tab: Tab, w: number, n: number, report: Pid) {
    let x = w;
    for (let i = 0; i < n; i++) {
      ets.updateCounter(tab, x % KEYS, 1);
      x = lcg(x);
    }
    send(report, tuple(DONE, w, n));
  },
});

function newTable(vm: VM, options: Term[], filled: boolean): Tab {
  return vm.run(() => {
    const tab = ets.new(atom('ets_bench') as Atom, options) as Tab;
    if (filled) for (let i = 0; i < KEYS; i++) ets.insert(tab, tuple(fillKey(i), 0));
    return tab;
  });
}

/** Runs `fun` in one process per scheduler, `ops` operations in all; returns {seconds, total reported}. */
async function parallel(vm: VM, fun: string, tab: Tab, ops: number): Promise<{ seconds: number; total: number; per: number }> {
  const per = Math.floor(ops / SCHEDULERS);
  const start = performance.now();
  for (let w = 1; w <= SCHEDULERS; w++) await vm.spawn('bench_ets', fun, [tab, w, per, vm.self], { scheduler: w });
  let total = 0;
  for (let w = 1; w <= SCHEDULERS; w++) {
    const done = await vm.receive(P.tuple(DONE, P.integer, P.capture('n', P.integer)), 300_000);
    check(done !== undefined, `a ${fun} worker reported`);
    total += done.n as number;
  }
  return { seconds: (performance.now() - start) / 1000, total, per };
}

function counterSum(vm: VM, tab: Tab): number {
  return vm.run(() => {
    let sum = 0;
    for (let k = 0; k < KEYS; k++) sum += (ets.lookup(tab, k)[0] as Tuple).at(1) as number;
    return sum;
  });
}

async function tableFigures(vm: VM, name: string, options: Term[], erl: ReturnType<typeof runErl>): Promise<void> {
  // lookups
  const t1 = newTable(vm, options, true);
  await parallel(vm, 'lookups', t1, OPS / 10);
  const l = await parallel(vm, 'lookups', t1, OPS);
  check(l.total === l.per * SCHEDULERS, `lookups found ${l.total} of ${l.per * SCHEDULERS} keys`);
  reportVersusBeam(`ets.lookup.${name}`, l.total / l.seconds, beamFigure(erl, `ets.lookup.${name}`), 'ops/s');
  vm.run(() => ets.delete(t1));
  // inserts into an empty table (the warm-up uses its own table)
  const warm = newTable(vm, options, false);
  await parallel(vm, 'inserts', warm, OPS / 10);
  for (let w = 1; w <= SCHEDULERS; w++) await vm.receive(P.tuple(atom('ets_last'), P.any, P.any), 10_000);
  vm.run(() => ets.delete(warm));
  const t2 = newTable(vm, options, false);
  const i = await parallel(vm, 'inserts', t2, OPS);
  check(i.total === i.per * SCHEDULERS, `inserts reported ${i.total}`);
  for (let w = 1; w <= SCHEDULERS; w++) {
    const last = await vm.receive(P.tuple(atom('ets_last'), P.any, P.capture('key', P.integer)), 10_000);
    check(last !== undefined && vm.run(() => ets.lookup(t2, last.key as number)).length === 1, 'the last key of each worker is in the table');
  }
  reportVersusBeam(`ets.insert.${name}`, i.total / i.seconds, beamFigure(erl, `ets.insert.${name}`), 'ops/s');
  vm.run(() => ets.delete(t2));
  // update_counter
  const t3 = newTable(vm, options, true);
  await parallel(vm, 'counters', t3, OPS / 10);
  const before = counterSum(vm, t3);
  const c = await parallel(vm, 'counters', t3, OPS);
  check(counterSum(vm, t3) - before === c.total, `the counters grew by ${counterSum(vm, t3) - before}, expected ${c.total}`);
  reportVersusBeam(`ets.update_counter.${name}`, c.total / c.seconds, beamFigure(erl, `ets.update_counter.${name}`), 'ops/s');
  vm.run(() => ets.delete(t3));
}

export default async function run(): Promise<void> {
  const erl = runErl('ets_bench', 'tables', [String(OPS)], { schedulers: SCHEDULERS, timeoutMs: 600_000 });
  const vm = await VM.start({ schedulers: SCHEDULERS, modules: [import.meta.url], logger: false });
  try {
    note(`ets: ${SCHEDULERS} schedulers, one worker process each, ${OPS} operations per figure, ${KEYS} keys`);
    for (const table of TABLES) await tableFigures(vm, table.name, table.options, erl);
  } finally {
    await vm.stop();
  }
}
