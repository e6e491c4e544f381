/** Starts a VM with the example modules loaded; stops it when the test ends. */
import type { Test } from 'tap';
import { VM } from '../../src/index.js';

export async function startExamplesVM(t: Test): Promise<VM> {
  // BEAMJS_TEST_SCHEDULERS=N (test/examples/multi/) runs the examples on N scheduler threads.
  const n = process.env.BEAMJS_TEST_SCHEDULERS;
  const threads = n === undefined || n === '' ? { inline: true } : { schedulers: Number(n), workerExecArgv: [] };
  const vm = await VM.start({ modules: [new URL('../../src/examples/index.js', import.meta.url)], logger: false, ...threads });
  t.teardown(() => vm.stop());
  return vm;
}
