/**
 * The baseline of the ETS benchmarks: shared state without ETS, as a JS `Map` of the 100,000
 * benchmark keys (bench/support/ets_keys.ts) owned by one process (on scheduler 1) that answers
 * `{get, From, Key}` with `{value, Key, Value}`; one client process per scheduler asks for its
 * share of keys, one request at a time. BEAM's twin (a process owning an Erlang map) is
 * `ets_bench:owner_map/1` in bench/erl/ets_bench.erl, run with erl +S 2.
 *
 *   ets.owner_map.lookup   requests answered per second, all clients together
 *
 * Each client checks every answer's key and value; the run checks the total.
 */
import { atom, defineModule, P, receive, self, send, tuple, VM, type Pid } from '../../src/index.js';
import { beamFigure, check, note, reportVersusBeam, runErl } from '../harness.js';
import { KEYS, fillKey, lcg } from '../support/ets_keys.js';

const GET = atom('get');
const VALUE = atom('value');
const STOP = atom('stop');
const SCHEDULERS = 2;
const OPS = 100_000;

defineModule('bench_owner_map', {
  /** Owns the map (key -> the position at which it was inserted), answers gets until stop. */
  *owner() {
    const map = new Map<number, number>();
    for (let i = 0; i < KEYS; i++) map.set(fillKey(i), i);
    const request = P.oneOf(P.tuple(GET, P.capture('from', P.pid), P.capture('key', P.integer)), STOP);
    for (;;) {
      const m = yield* receive(request);
      if (!('from' in m)) return;
      const key = m.key as number;
      send(m.from, tuple(VALUE, key, map.get(key)!));
    }
  },
  /** Asks `n` keys of worker `w`'s LCG sequence; reports {asked, W, Count}. */
  *client(owner: Pid, w: number, n: number, report: Pid) {
    const me = self();
    const reply = P.tuple(VALUE, P.capture('key', P.integer), P.capture('value', P.integer));
    let x = w;
    let found = 0;
    for (let i = 0; i < n; i++) {
      const key = x % KEYS;
      send(owner, tuple(GET, me, key));
      const r = yield* receive(reply);
      if (r.key !== key || fillKey(r.value as number) !== key) throw new Error(`owner answered ${String(r.key)} => ${String(r.value)} for ${key}`);
      found++;
      x = lcg(x);
    }
    send(report, tuple(atom('asked'), w, found));
  },
});

/** Requests/s of `ops` requests shared by one client per scheduler. */
async function rate(vm: VM, owner: Pid, ops: number): Promise<number> {
  const per = Math.floor(ops / SCHEDULERS);
  const start = performance.now();
  for (let w = 1; w <= SCHEDULERS; w++) await vm.spawn('bench_owner_map', 'client', [owner, w, per, vm.self], { scheduler: w });
  let total = 0;
  for (let w = 1; w <= SCHEDULERS; w++) {
    const done = await vm.receive(P.tuple(atom('asked'), P.integer, P.capture('n', P.integer)), 120_000);
    check(done !== undefined, 'a client reported');
    total += done.n as number;
  }
  const seconds = (performance.now() - start) / 1000;
  check(total === per * SCHEDULERS, `clients asked ${total} keys, expected ${per * SCHEDULERS}`);
  return total / seconds;
}

export default async function run(): Promise<void> {
  const erl = runErl('ets_bench', 'owner_map', [String(OPS)], { schedulers: SCHEDULERS });
  const vm = await VM.start({ schedulers: SCHEDULERS, modules: [import.meta.url], logger: false });
  try {
    note(`ets owner_map: ${SCHEDULERS} schedulers, one client each, owner on scheduler 1`);
    const owner = await vm.spawn('bench_owner_map', 'owner', [], { scheduler: 1 });
    await rate(vm, owner, OPS / 10);
    reportVersusBeam('ets.owner_map.lookup', await rate(vm, owner, OPS), beamFigure(erl, 'ets.owner_map.lookup'), 'ops/s');
    vm.send(owner, STOP);
  } finally {
    await vm.stop();
  }
}
