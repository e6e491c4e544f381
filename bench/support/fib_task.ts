/**
 * The piscina worker of bench/sched/multicore.ts: one CPU-bound task, the same naive fib as the
 * beamjs batch (src/examples/fib_batch.ts), so the two pools do the same work.
 */
import { fib } from '../../src/examples/fib_batch.js';

export default function task(n: number): number {
  return fib(n);
}
