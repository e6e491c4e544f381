#!/usr/bin/env node
/**
 * The beamjs command line.
 *
 *   beamjs demo [--schedulers N] [--tasks N] [--fib N]
 *
 * `demo` starts a VM with one scheduler worker thread per core (os.availableParallelism()) and
 * runs the seeds' programs on it: ping-pong on one scheduler and across two, the ring of 1,000
 * processes, and a CPU-bound batch (N processes computing a naive fib, spawned by one process)
 * on 1 scheduler and on all of them, with the speedup and each scheduler's utilisation.
 *
 * Thread-safety: runs on the main thread; the VM's schedulers are its worker threads.
 */
import os from 'node:os';
import { fib } from './examples/fib_batch.js';
import { atom, P } from './term/index.js';
import { VM } from './vm.js';

/** Reads `--name value` (a positive number) from the arguments. */
function numberOption(args: readonly string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(args[at + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number; received ${String(args[at + 1])}`);
  return value;
}

const EXAMPLES = new URL('./examples/index.js', import.meta.url);
const rate = (n: number, ms: number): string => Math.round((n / ms) * 1000).toLocaleString('en');

/** Runs one CPU-bound batch on `vm`; returns its wall time in ms. */
async function fibBatch(vm: VM, tasks: number, n: number): Promise<number> {
  const start = performance.now();
  await vm.spawn('fib_batch', 'start', [tasks, n, vm.self]);
  const done = await vm.receive(P.tuple(atom('fib_batch_done'), tasks, P.capture('sum')), 300_000);
  if (done === undefined || done.sum !== tasks * fib(n)) throw new Error(`fib batch: wrong result ${String(done?.sum)}`);
  return performance.now() - start;
}

/**
 * The demo on every core: a VM with one scheduler per core runs ping-pong (on one scheduler and
 * across two), the ring, and a CPU-bound batch that work stealing spreads over every scheduler;
 * it prints the figures and each scheduler's utilisation during the batch.
 */
async function demo(args: readonly string[]): Promise<number> {
  const schedulers = Math.floor(numberOption(args, '--schedulers', os.availableParallelism()));
  const tasks = Math.floor(numberOption(args, '--tasks', 10_000));
  const n = Math.floor(numberOption(args, '--fib', 22));
  console.log(`beamjs demo: ${schedulers} scheduler thread(s) on ${os.availableParallelism()} core(s), Node ${process.version}`);
  const vm = await VM.start({ schedulers, modules: [EXAMPLES] });
  try {
    const roundTrips = 200_000;
    let start = performance.now();
    await vm.spawn('ping_pong', 'start', [roundTrips, vm.self]);
    await vm.receive(P.tuple(atom('ping_pong_done'), roundTrips), 60_000);
    console.log(`ping-pong, one scheduler:      ${rate(roundTrips, performance.now() - start)} round trips/s`);
    if (schedulers > 1) {
      const crossTrips = 20_000;
      // Three rounds: the first ones warm up the JIT of both scheduler threads.
      for (let round = 0; round < 3; round++) {
        const pong = await vm.spawn('ping_pong', 'pong', [], { scheduler: 1 });
        start = performance.now();
        await vm.spawn('ping_pong', 'ping', [crossTrips, pong, vm.self], { scheduler: 2 });
        await vm.receive(P.tuple(atom('ping_pong_done'), crossTrips), 60_000);
      }
      console.log(`ping-pong, two schedulers:     ${rate(crossTrips, performance.now() - start)} round trips/s`);
    }
    const ringSize = 1000;
    const laps = 200;
    for (let round = 0; round < 2; round++) {
      start = performance.now();
      await vm.spawn('ring', 'start', [ringSize, laps, vm.self]);
      await vm.receive(P.tuple(atom('ring_done'), ringSize * laps), 60_000);
    }
    console.log(`ring of ${ringSize} processes:      ${rate(ringSize * laps, performance.now() - start)} messages/s`);

    const one = await VM.start({ schedulers: 1, modules: [EXAMPLES] });
    let oneMs: number;
    try {
      await fibBatch(one, Math.min(tasks, 1000), n); // warm-up
      oneMs = await fibBatch(one, tasks, n);
    } finally {
      await one.stop();
    }
    await fibBatch(vm, Math.min(tasks, 1000), n); // warm-up
    vm.schedulerUtilization();
    const allMs = await fibBatch(vm, tasks, n);
    const utilization = vm.schedulerUtilization();
    console.log(`CPU-bound batch (${tasks.toLocaleString('en')} processes, fib(${n}) each, spawned by one process):`);
    console.log(`  1 scheduler:  ${Math.round(oneMs)} ms`);
    console.log(`  ${schedulers} schedulers: ${Math.round(allMs)} ms (speedup ${(oneMs / allMs).toFixed(2)}x)`);
    console.log(`  scheduler utilisation during the batch: ${utilization.map((u, i) => `#${i + 1} ${Math.round(u * 100)}%`).join(', ')}`);
  } finally {
    await vm.stop();
  }
  return 0;
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'demo':
      return demo(rest);
    default:
      console.error(`usage: beamjs demo [--schedulers N] [--tasks N] [--fib N]${command ? `\nunknown command: ${command}` : ''}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
