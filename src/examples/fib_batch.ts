/**
 * Example: a CPU-bound batch. One process spawns `count` tasks, each computing a naive
 * fib(n) and sending the result back; the spawner sums the results and reports
 * {fib_batch_done, Count, Sum} to `report`. All tasks start on the spawner's scheduler (spawn
 * is local, as in BEAM); idle schedulers steal the tasks that have not started yet, so the
 * batch spreads over every core (issue 4's CPU-bound benchmark and the demo).
 *
 *   start(Count, N, Report) -> [spawn(fib_batch, task, [N, self()]) || _ <- 1..Count],
 *                              Report ! {fib_batch_done, Count, collect(Count, 0)}.
 *   task(N, Parent) -> Parent ! {fib, fib(N)}.
 *
 * Module `fib_batch`, exports start/3, task/2. Thread-safety: module-addressed process code.
 */
import { defineModule, receive, self, send, spawn } from '../process/index.js';
import { atom, compilePattern, P, tuple, type Pid } from '../term/index.js';

const FIB = atom('fib');
const DONE = atom('fib_batch_done');
const RESULT = compilePattern(P.tuple(FIB, P.capture('value', P.integer)));

/** Naive doubly recursive Fibonacci: the CPU work of a task. */
export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

export const FIB_BATCH = defineModule('fib_batch', {
  *start(count: number, n: number, report: Pid) {
    const me = self();
    for (let i = 0; i < count; i++) spawn('fib_batch', 'task', [n, me]);
    let sum = 0;
    for (let i = 0; i < count; i++) {
      const { value } = yield* receive(RESULT);
      sum += Number(value);
    }
    send(report, tuple(DONE, count, sum));
  },
  *task(n: number, parent: Pid) {
    send(parent, tuple(FIB, fib(n)));
  },
});
