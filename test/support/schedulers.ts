/**
 * The scheduler setting of a test run: BEAMJS_TEST_SCHEDULERS=N runs every VM a suite starts on
 * N scheduler worker threads (the `multi/` folders set it before importing a suite); unset, one
 * scheduler inline in the test's thread.
 */
import type { VMOptions } from '../../src/index.js';

export function schedulerOptions(): VMOptions {
  const n = process.env.BEAMJS_TEST_SCHEDULERS;
  if (n === undefined || n === '') return { inline: true };
  return { schedulers: Number(n), workerExecArgv: [] };
}
