/**
 * The entry of a scheduler worker thread: one per scheduler of a many-thread VM (src/vm.ts
 * starts them). It attaches to the VM's shared structures, imports the application's modules
 * (so that every exported process function can run here), runs a ThreadHost, and tells the
 * main thread it is ready.
 *
 * Messages on the worker's MessagePort (the only ones; everything else goes through the mesh):
 *   worker -> main  { ready: true } once the modules are loaded;
 *                   { failed: text } when setting up failed (a module did not load, …).
 * The main thread stops the worker with a `stop` control through the mesh, then terminates it.
 *
 * Threads: this file runs only in a worker thread. Bad input: a module that fails to import is
 * reported as `failed` with the module and the error; the VM's start() then rejects.
 */
import { parentPort, workerData } from 'node:worker_threads';
import '../otp/index.js'; // defines the gen_server module in every scheduler
import '../ets/index.js'; // installs ETS's owner-exit hook in every scheduler
import '../dist/dist_modules.js'; // erpc and beamjs_dist (spawn requests, rpc) in every scheduler
import { attachCoarseClock } from '../sched/index.js';
import { atom, setLocalNode } from '../term/index.js';
import type { LogLevel } from '../process/runtime.js';
import { ControlOp } from './control.js';
import { attachShared, type WorkerInit } from './shared_setup.js';
import { ThreadHost } from './thread_host.js';

async function main(): Promise<void> {
  const init = workerData as WorkerInit;
  attachCoarseClock(init.clock);
  setLocalNode(atom(init.node));
  for (const module of init.modules) {
    try {
      await import(module);
    } catch (error) {
      throw new Error(`scheduler ${init.index}: the module ${module} failed to load: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
  }
  const shared = attachShared(init);
  // Logs travel to the main thread through the mesh, behind the signals sent before them (so a
  // crash report arrives before the 'DOWN' of the crash).
  let host: ThreadHost | undefined = undefined;
  const log = (level: LogLevel, text: string): void => host?.sendControl(init.schedulers, { op: ControlOp.LOG, level, text });
  host = new ThreadHost({
    index: init.index,
    schedulers: init.schedulers,
    mesh: shared.mesh,
    directory: shared.directory,
    names: shared.names,
    loads: shared.loads,
    ets: shared.ets,
    steal: true,
    ...(init.processLimit === undefined ? {} : { processLimit: init.processLimit }),
    ...(init.longScheduleMs === undefined ? {} : { longScheduleMs: init.longScheduleMs }),
    ...(init.batchMs === undefined ? {} : { batchMs: init.batchMs }),
    ...(init.busyWait === undefined ? {} : { busyWait: init.busyWait }),
    logger: init.log ? log : false,
    // Dirty calls go to the pool of the main thread (one pool for every scheduler, as in BEAM).
    dirty: (request) => host?.sendControl(init.schedulers, { op: ControlOp.DIRTY, ...request }),
  });
  // The main thread owns the distribution's sockets: signals for other nodes go there, in
  // order, through the ring to its endpoint (src/dist/vm_bridge.ts).
  if (init.distributed === true) {
    const main = init.schedulers;
    const cluster = host.cluster;
    host.runtime.remote = (signal) => cluster.forward(signal, main);
  }
  // net_kernel:start/stop of a process: the main thread starts and stops the distribution
  // (src/vm.ts), renaming every thread with `node` controls, and answers with a message.
  host.runtime.netKernel = (request, replyTo, ref) => host?.sendControl(init.schedulers, { op: ControlOp.NET_KERNEL, request, replyTo, ref });
  host.start();
  // A pending Atomics.waitAsync does not keep a thread alive: this listener does, until the
  // main thread terminates the worker.
  parentPort!.on('message', () => {});
  parentPort!.postMessage({ ready: true });
}

main().catch((error: unknown) => {
  parentPort!.postMessage({ failed: error instanceof Error ? error.message : String(error) });
});
