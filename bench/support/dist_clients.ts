/**
 * The client side of the distribution round trips (bench/dist/round_trip.ts): the process
 * module `bench_dist` (a client sends {self(), I} to its echo and waits for {echo, I}, checking
 * each value) and the two measurements, one client and many clients at once. Shared by the
 * inline client node of round_trip.ts and the threaded one (dist_threaded_client.ts), which
 * load this file as a VM module.
 */
import { defineModule, receive, self, send } from '../../src/process/index.js';
import type { VM } from '../../src/index.js';
import { P, atom, tuple, type Atom, type Pid, type Term } from '../../src/term/index.js';
import { check } from '../harness.js';

const ECHO = atom('echo');
const REPLY = P.tuple(ECHO, P.capture('x'));

defineModule('bench_dist', {
  *client(dest: Term, n: number, report_: Pid) {
    for (let i = n; i > 0; i--) {
      send(dest as Pid, tuple(self(), i));
      const m = yield* receive(REPLY);
      if (m.x !== i) throw new Error(`echo returned ${String(m.x)} for ${i}`);
    }
    send(report_, tuple(atom('done'), n));
  },
});

const DONE = P.tuple(atom('done'), P.capture('n'));

/** Round trips/s of one client talking to `dest` (after a warm-up of 2000). */
export async function rate(vm: VM, dest: Term, n: number): Promise<number> {
  const run = async (count: number): Promise<number> => {
    const start = performance.now();
    await vm.spawn('bench_dist', 'client', [dest, count, vm.self]);
    const done = await vm.receive(DONE, 120_000);
    check(done?.n === count, `round trips reported ${String(done?.n)}`);
    return count / ((performance.now() - start) / 1000);
  };
  await run(2000);
  return run(n);
}

/** Aggregate round trips/s of `pairs` clients at once, client J to {bench_echo_J, node} (after a warm-up). */
export async function rateMany(vm: VM, node: Atom, pairs: number, perClient: number): Promise<number> {
  const run = async (count: number): Promise<number> => {
    const start = performance.now();
    for (let j = 1; j <= pairs; j++) await vm.spawn('bench_dist', 'client', [tuple(atom(`bench_echo_${j}`), node), count, vm.self]);
    for (let j = 0; j < pairs; j++) {
      const done = await vm.receive(DONE, 120_000);
      check(done?.n === count, `round trips reported by client ${j + 1} of ${pairs}: ${String(done?.n)}`);
    }
    return (pairs * count) / ((performance.now() - start) / 1000);
  };
  await run(Math.max(1, Math.floor(perClient / 10)));
  return run(perClient);
}
