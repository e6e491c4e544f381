// Scheduler threads load the application's modules with the Node options the VM is given
// (workerExecArgv, default process.execArgv): that is how `.ts` modules load in every
// scheduler under a loader such as `node --import tsx` (README: "TypeScript modules").
// A data: URL module given with --import stands in for the loader here.
import t from 'tap';
import { atom, P, VM } from '../../src/index.js';

const LOADER = 'data:text/javascript,globalThis.beamjsLoaderMarker="loaded"';
const MODULES = [new URL('./fixtures/loader_probe.js', import.meta.url)];

t.test('every scheduler thread runs with workerExecArgv (a loader registered with --import)', async (t) => {
  const vm = await VM.start({ schedulers: 2, modules: MODULES, workerExecArgv: ['--import', LOADER], logger: false });
  t.teardown(() => vm.stop());
  for (const scheduler of [1, 2]) {
    await vm.spawn('loader_probe', 'report', [vm.self], { scheduler });
    const m = await vm.receive(P.tuple(atom('probe'), scheduler, P.capture('marker')), 5000);
    t.equal(m?.marker, 'loaded', `scheduler ${scheduler} ran the loader before the modules`);
  }
});

t.test('without it, the scheduler threads do not run the loader', async (t) => {
  const vm = await VM.start({ schedulers: 1, modules: MODULES, workerExecArgv: [], logger: false });
  t.teardown(() => vm.stop());
  await vm.spawn('loader_probe', 'report', [vm.self]);
  const m = await vm.receive(P.tuple(atom('probe'), P.any, P.capture('marker')), 5000);
  t.equal(m?.marker, atom('none'), 'no marker');
});

t.test('a module that does not load fails VM.start with a clear error, and no thread is left', async (t) => {
  await t.rejects(
    VM.start({ schedulers: 2, modules: [new URL('./fixtures/does_not_exist.js', import.meta.url)], workerExecArgv: [], logger: false }),
    /does_not_exist\.js failed to load/,
    'the error names the module',
  );
});
