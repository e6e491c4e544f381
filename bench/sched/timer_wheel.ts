/**
 * Benchmark of src/sched/timer_wheel.ts.
 *
 * Figures:
 *   sched.timer_wheel.add_cancel  add a timer then cancel it (the common life of a
 *                                 `receive ... after` or gen_server call timeout); BEAM's twin
 *                                 does erlang:start_timer/3 + erlang:cancel_timer/1 in
 *                                 bench/erl/sched_timer_wheel.erl, so the ratio is printed.
 *   sched.timer_wheel.fire        timers fired per second when 100,000 timers spread over 10 s
 *                                 are advanced through in 1 ms steps of a fake clock (no BEAM twin:
 *                                 erl cannot fast-forward its clock).
 * Each figure checks its own result (every cancel found its timer; every timer fired once).
 */
import { TimerWheel } from '../../src/sched/timer_wheel.js';
import { beamFigure, check, measureOps, note, reportVersusBeam, report, runErl } from '../harness.js';

export default function main(): void {
  note('sched/timer_wheel: JS only (no native counterpart)');
  const clock = { time: 0, now(): number { return this.time; } };

  const wheel = new TimerWheel<number>({ clock });
  const batch = 1000;
  const addCancel = measureOps(
    'add_cancel',
    () => {
      for (let i = 0; i < batch; i++) {
        const id = wheel.add(5000 + (i & 1023), i);
        check(wheel.cancel(id) !== false, 'cancel found the timer it just added');
      }
    },
    { opsPerCall: batch },
  );
  check(wheel.size === 0, 'no timer left after add_cancel');
  const erl = runErl('sched_timer_wheel', 'add_cancel', ['2000000']);
  reportVersusBeam('sched.timer_wheel.add_cancel', addCancel, beamFigure(erl, 'sched.timer_wheel.add_cancel'), 'ops/s');

  const count = 100_000;
  const start = performance.now();
  const fireWheel = new TimerWheel<number>({ clock });
  clock.time = 0;
  for (let i = 0; i < count; i++) fireWheel.add((i * 7919) % 10_000, i);
  const seen = new Uint8Array(count);
  let fired = 0;
  for (let t = 0; t <= 10_000; t++) {
    clock.time = t;
    fired += fireWheel.advance((i) => {
      seen[i]!++;
    });
  }
  const seconds = (performance.now() - start) / 1000;
  check(fired === count && seen.every((n) => n === 1), 'every timer fired exactly once');
  report('sched.timer_wheel.fire', count / seconds, 'timers/s');
}
