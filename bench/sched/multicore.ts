/**
 * The VM on every core (issue 4), against BEAM in the same run (`erl +S 2`,
 * bench/erl/multicore_bench.erl) where BEAM runs the same workload:
 *
 *   multicore.ping_pong_cross   round trips/s between processes on two scheduler threads
 *   multicore.post_message      the Node baseline: round trips/s of postMessage between the
 *                               main thread and a worker (no beamjs)
 *   multicore.fan_in_2 / _8     msgs/s from 2 / 8 senders on one scheduler to a receiver on another
 *   multicore.fib_*             a CPU-bound batch: 10,000 processes each computing fib(N),
 *                               spawned by one process, on 1 scheduler and on all; the speedup
 *                               two separate OS processes get on the same work (the hardware
 *                               ceiling), beamjs's share of it; the same tasks on piscina alone
 *                               and on the main thread alone
 *
 * The raw ceiling of the transport without the VM (records/s through one ring between two
 * threads, batched and not, and round-trip latencies) is bench/shm/ring.ts (`npm run bench --
 * shm`), so the VM's overhead over its transport can be read side by side.
 * Each workload checks its own count. Placement uses vm.spawn's `scheduler` option.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { atom, defineModule, P, receive, send, tuple, VM, type Pid } from '../../src/index.js';
import { fib } from '../../src/examples/fib_batch.js';
import { beamFigure, check, note, report, reportVersusBeam, runErl } from '../harness.js';

const MSG = atom('msg');

defineModule('bench_multicore', {
  *receiver(total: number, reportTo: Pid) {
    const pattern = P.tuple(MSG, P.any, P.any);
    for (let i = 0; i < total; i++) yield* receive(pattern);
    send(reportTo, tuple(atom('received'), total));
  },
  *sender(to: Pid, n: number, id: number) {
    for (let k = n; k > 0; k--) send(to, tuple(MSG, id, k));
  },
});

const EXAMPLES = new URL('../../src/examples/index.js', import.meta.url);
const FIB_N = 22;
const TASKS = 10_000;

async function seconds(fn: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

async function crossPingPong(vm: VM, n: number): Promise<void> {
  const pong = await vm.spawn('ping_pong', 'pong', [], { scheduler: 1 });
  await vm.spawn('ping_pong', 'ping', [n, pong, vm.self], { scheduler: 2 });
  const done = await vm.receive(P.tuple(atom('ping_pong_done'), P.capture('n')), 120_000);
  check(done?.n === n, `cross ping-pong reported ${String(done?.n)}`);
}

async function fanIn(vm: VM, senders: number, perSender: number): Promise<void> {
  const receiver = await vm.spawn('bench_multicore', 'receiver', [senders * perSender, vm.self], { scheduler: 1 });
  for (let i = 0; i < senders; i++) await vm.spawn('bench_multicore', 'sender', [receiver, perSender, i], { scheduler: 2 });
  const done = await vm.receive(P.tuple(atom('received'), P.capture('n')), 120_000);
  check(done?.n === senders * perSender, `fan-in received ${String(done?.n)}`);
}

async function fibBatch(vm: VM, tasks: number): Promise<void> {
  await vm.spawn('fib_batch', 'start', [tasks, FIB_N, vm.self]);
  const done = await vm.receive(P.tuple(atom('fib_batch_done'), tasks, P.capture('sum')), 300_000);
  check(done?.sum === tasks * fib(FIB_N), `fib batch sum ${String(done?.sum)}`);
}

/** Round trips/s of postMessage between this thread and a worker that echoes. */
async function postMessageRoundTrips(n: number): Promise<number> {
  const worker = new Worker(new URL('../support/post_message_pong.js', import.meta.url), { execArgv: [] });
  const trip = (count: number): Promise<void> =>
    new Promise((resolve) => {
      let left = count;
      const onMessage = (): void => {
        if (--left === 0) {
          worker.off('message', onMessage);
          resolve();
        } else {
          worker.postMessage(left);
        }
      };
      worker.on('message', onMessage);
      worker.postMessage(left);
    });
  await trip(2000);
  const rate = n / (await seconds(() => trip(n)));
  worker.postMessage('stop');
  await worker.terminate();
  return rate;
}

/** Wall time of `copies` OS processes each computing the whole batch at once (the hardware's own scaling). */
function osProcesses(copies: number): number {
  const script = `const fib=(n)=>n<2?n:fib(n-1)+fib(n-2);let s=0;for(let i=0;i<${TASKS};i++)s+=fib(${FIB_N});if(s!==${TASKS * fib(FIB_N)})process.exit(1);`;
  const start = performance.now();
  execFileSync('bash', ['-c', Array.from({ length: copies }, () => `node -e '${script}' &`).join(' ') + ' wait'], { stdio: 'inherit' });
  return (performance.now() - start) / 1000;
}

export default async function run(): Promise<void> {
  const cores = os.availableParallelism();
  const erl = runErl('multicore_bench', 'run', [], { schedulers: 2 });
  const vm = await VM.start({ schedulers: Math.max(2, cores), modules: [EXAMPLES, import.meta.url], logger: false });
  try {
    await crossPingPong(vm, 20_000);
    await crossPingPong(vm, 20_000);
    const cross = 100_000 / (await seconds(() => crossPingPong(vm, 100_000)));
    reportVersusBeam('multicore.ping_pong_cross', cross, beamFigure(erl, 'multicore.ping_pong_cross'), 'round_trips/s');
    report('multicore.post_message', await postMessageRoundTrips(20_000), 'round_trips/s');
    await fanIn(vm, 2, 100_000);
    const fan2 = 1_000_000 / (await seconds(() => fanIn(vm, 2, 500_000)));
    reportVersusBeam('multicore.fan_in_2', fan2, beamFigure(erl, 'multicore.fan_in_2'), 'msgs/s');
    const fan8 = 1_000_000 / (await seconds(() => fanIn(vm, 8, 125_000)));
    reportVersusBeam('multicore.fan_in_8', fan8, beamFigure(erl, 'multicore.fan_in_8'), 'msgs/s');
  } finally {
    await vm.stop();
  }

  // The CPU-bound batch: 1 scheduler, all schedulers, two OS processes, piscina, the main thread.
  const one = await VM.start({ schedulers: 1, modules: [EXAMPLES], logger: false });
  await fibBatch(one, 1000);
  const oneSeconds = await seconds(() => fibBatch(one, TASKS));
  await one.stop();
  const all = await VM.start({ schedulers: cores, modules: [EXAMPLES], logger: false });
  await fibBatch(all, 1000);
  const allSeconds = await seconds(() => fibBatch(all, TASKS));
  await all.stop();
  const speedup = oneSeconds / allSeconds;
  const ceiling = (cores * osProcesses(1)) / osProcesses(cores);
  note(`fib(${FIB_N}) x ${TASKS} tasks; ${cores} schedulers / ${cores} OS processes`);
  report('multicore.fib_1_scheduler', oneSeconds * 1000, 'ms');
  report(`multicore.fib_${cores}_schedulers`, allSeconds * 1000, 'ms');
  report('multicore.fib_speedup', speedup, 'x');
  report('multicore.fib_os_ceiling', ceiling, 'x');
  report('multicore.fib_share_of_ceiling', speedup / ceiling, 'ratio');

  const pool = new Piscina({ filename: fileURLToPath(new URL('../support/fib_task.js', import.meta.url)), maxThreads: cores, minThreads: cores, execArgv: [] });
  const batch = async (): Promise<void> => {
    const results = await Promise.all(Array.from({ length: TASKS }, () => pool.run(FIB_N) as Promise<number>));
    check(results.reduce((a, b) => a + b, 0) === TASKS * fib(FIB_N), 'piscina sum');
  };
  await batch();
  const piscinaSeconds = await seconds(batch);
  await pool.destroy();
  report('multicore.fib_piscina', piscinaSeconds * 1000, 'ms');
  let sum = 0;
  const mainSeconds = await seconds(async () => {
    for (let i = 0; i < TASKS; i++) sum += fib(FIB_N);
  });
  check(sum === TASKS * fib(FIB_N), 'main-thread sum');
  report('multicore.fib_main_thread', mainSeconds * 1000, 'ms');
  report('multicore.fib_beamjs_vs_piscina', piscinaSeconds / allSeconds, 'x');
}
