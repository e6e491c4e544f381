/**
 * ETS operations/s from every scheduler (2 schedulers, one worker process on each), against
 * `erl +S 2` running the same workload (bench/erl/ets_bench.erl), BEAM from the same run:
 *   ets.lookup.rc         lookups/s on a set with read_concurrency (100,000 keys)
 *   ets.insert.wc         inserts/s on a set with write_concurrency
 *   ets.update_counter.wc update_counter/s on a set with write_concurrency
 *   ets.lookup.owner      lookups/s through a message to an owner process holding the data
 *                         (a JS Map in beamjs, a map in erl): what ETS saves
 * Keys: key(i) = (i * 7919) rem 100000, the same pseudo-random order in both. Each run checks
 * its count and a checksum of what it read. ordered_set is measured once its storage is merged.
 */
import { atom, defineModule, P, receive, self, send, tuple, VM, type Pid, type Term } from '../../src/index.js';
import { ets } from '../../src/ets/index.js';
import { beamFigure, check, reportVersusBeam, runErl } from '../harness.js';

const KEYS = 100_000;
const key = (i: number): number => (i * 7919) % KEYS;
const A = { done: atom('done'), get: atom('get'), reply: atom('reply') };

defineModule('bench_ets', {
  /** Runs `count` operations of `kind` from key offset `from`, reports {done, Count, Checksum}. */
  *work(kind: string, tab: Term, from: number, count: number, report: Pid) {
    let sum = 0;
    const t = tab as never;
    for (let i = from; i < from + count; i++) {
      const k = key(i);
      if (kind === 'lookup') sum += (ets.lookup(t, k)[0]!.at(1) as number) === k ? 1 : 0;
      else if (kind === 'insert') sum += ets.insert(t, tuple(k, i)) ? 1 : 0;
      else if (kind === 'update_counter') sum += (ets.updateCounter(t, k % 1000, 1, tuple(k % 1000, 0)) as number) > 0 ? 1 : 0;
      else {
        send(tab as Pid, tuple(A.get, self(), k));
        const { v } = yield* receive(P.tuple(A.reply, P.capture('v')));
        sum += v === k ? 1 : 0;
      }
    }
    send(report, tuple(A.done, count, sum));
  },
  /** An owner process serving {get, From, K} from a JS Map. */
  *owner() {
    const map = new Map<number, number>();
    for (let i = 0; i < KEYS; i++) map.set(i, i);
    for (;;) {
      const m = yield* receive(P.tuple(A.get, P.capture('from', P.pid), P.capture('k')));
      send(m.from as Pid, tuple(A.reply, map.get(m.k as number)));
    }
  },
});

async function rate(vm: VM, kind: string, tab: Term, perProcess: number): Promise<number> {
  const start = performance.now();
  for (let s = 1; s <= 2; s++) await vm.spawn('bench_ets', 'work', [kind, tab, (s - 1) * perProcess, perProcess, vm.self], { scheduler: s });
  let sum = 0;
  for (let s = 0; s < 2; s++) {
    const done = await vm.receive(P.tuple(A.done, P.capture('n'), P.capture('sum')), 300_000);
    check(done?.n === perProcess, `${kind}: a worker reported ${String(done?.n)} operations`);
    sum += done.sum as number;
  }
  check(sum === 2 * perProcess, `${kind}: checksum ${sum}, expected ${2 * perProcess}`);
  return (2 * perProcess) / ((performance.now() - start) / 1000);
}

export default async function run(): Promise<void> {
  const erl = runErl('ets_bench', 'run', [], { schedulers: 2 });
  const vm = await VM.start({ schedulers: 2, modules: [import.meta.url], logger: false });
  try {
    const rc = ets.new(atom('bench_rc'), [atom('public'), tuple(atom('read_concurrency'), true)]);
    const wc = ets.new(atom('bench_wc'), [atom('public'), tuple(atom('write_concurrency'), true)]);
    for (let i = 0; i < KEYS; i++) ets.insert(rc, tuple(i, i));
    reportVersusBeam('ets.lookup.rc', await rate(vm, 'lookup', rc, 100_000), beamFigure(erl, 'ets.lookup.rc'), 'lookups/s');
    reportVersusBeam('ets.insert.wc', await rate(vm, 'insert', wc, 100_000), beamFigure(erl, 'ets.insert.wc'), 'inserts/s');
    reportVersusBeam('ets.update_counter.wc', await rate(vm, 'update_counter', wc, 100_000), beamFigure(erl, 'ets.update_counter.wc'), 'updates/s');
    const owner = await vm.spawn('bench_ets', 'owner', [], { scheduler: 1 });
    reportVersusBeam('ets.lookup.owner', await rate(vm, 'owner', owner, 20_000), beamFigure(erl, 'ets.lookup.owner'), 'lookups/s');
  } finally {
    await vm.stop();
  }
}
