/** Starts a VM with the example modules loaded; stops it when the test ends. */
import type { Test } from 'tap';
import { VM } from '../../src/index.js';
import { schedulerOptions } from '../support/schedulers.js';

export async function startExamplesVM(t: Test): Promise<VM> {
  const vm = await VM.start({ modules: [new URL('../../src/examples/index.js', import.meta.url)], logger: false, ...schedulerOptions() });
  t.teardown(() => vm.stop());
  return vm;
}
