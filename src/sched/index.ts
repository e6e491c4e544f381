/**
 * src/sched: one scheduler per thread: the run queue (BEAM priorities), the timer wheel, and
 * the loop that runs process slices on the Node event loop. Public surface of the folder.
 */
export { Scheduler } from './scheduler.js';
export type { Schedulable, SchedulerOptions, TimerTask } from './scheduler.js';
export { RunQueue, RESCHEDULE_LOW } from './run_queue.js';
export type { Priority } from './run_queue.js';
export { TimerWheel } from './timer_wheel.js';
export type { TimerId, Clock } from './timer_wheel.js';
export { coarseClockBuffer, attachCoarseClock } from './coarse_clock.js';
export { BUSY_WAIT_THRESHOLDS, DEFAULT_BUSY_WAIT, busyWaitMicros } from './busy_wait.js';
export type { BusyWaitName, BusyWaitThreshold } from './busy_wait.js';
