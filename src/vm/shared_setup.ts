/**
 * The shared structures of a many-thread VM: created by the main thread (`createShared`), handed
 * to each scheduler worker in its workerData (`WorkerInit`: SharedArrayBuffers, numbers and the
 * worker's out-of-band MessagePorts), and attached there (`attachShared`):
 *   - the scheduler mesh (src/shm/scheduler_mesh.ts), endpoint i = scheduler i, the main
 *     thread = endpoint `schedulers`;
 *   - the process directory (src/shm/process_directory.ts), sized to the process limit;
 *   - the name table (src/shm/name_table.ts);
 *   - the ETS memory (src/ets/ets_space.ts): the shared heap and the table catalog, attached by
 *     each thread's Runtime at its first ETS call (RuntimeOptions.ets);
 *   - the load words: an Int32Array of `schedulers` words; word i = runnable processes of
 *     scheduler i after its last publication (Atomics.store by scheduler i, Atomics.load by
 *     thieves; a stale value only makes a steal request useless, never wrong).
 *
 * Threads: every function here runs in the thread that calls it; what it returns belongs to
 * that thread, over memory all threads share (whose rules are in src/shm).
 */
import type { MessagePort } from 'node:worker_threads';
import { DEFAULT_PROCESS_LIMIT } from '../process/process_table.js';
import { createMeshBuffers, NameTable, ProcessDirectory, SchedulerMesh } from '../shm/index.js';
import type { BusyWaitThreshold } from '../sched/index.js';
import { createEtsBuffers, type EtsBuffers } from '../ets/ets_space.js';
import type { DirectoryPort, MeshPort, NameTablePort } from './thread_host.js';

/** What a scheduler worker receives (structured-cloneable). */
export interface WorkerInit {
  readonly index: number;
  readonly schedulers: number;
  readonly modules: readonly string[];
  readonly node: string;
  /** The VM is an Erlang node: signals for other nodes go to the main thread (src/dist). */
  readonly distributed?: boolean;
  readonly clock: SharedArrayBuffer;
  readonly log: boolean;
  readonly processLimit?: number;
  readonly longScheduleMs?: number;
  readonly batchMs?: number;
  readonly busyWait?: BusyWaitThreshold;
  readonly rings: readonly (SharedArrayBuffer | undefined)[];
  readonly wake: SharedArrayBuffer;
  readonly directory: SharedArrayBuffer;
  readonly names: SharedArrayBuffer;
  readonly loads: SharedArrayBuffer;
  readonly ets: EtsBuffers;
  readonly ports: readonly (MessagePort | undefined)[];
}

export interface SharedPorts {
  readonly mesh: MeshPort;
  readonly directory: DirectoryPort;
  readonly names: NameTablePort;
  readonly loads: Int32Array;
  readonly ets: EtsBuffers;
}

/** Creates the shared structures of a VM of `schedulers` scheduler threads (+ the main thread). */
export function createShared(options: { readonly schedulers: number; readonly processLimit: number | undefined }): {
  readonly init: Pick<WorkerInit, 'schedulers' | 'rings' | 'wake' | 'directory' | 'names' | 'loads' | 'ets'> & {
    readonly portsFor: (index: number) => (MessagePort | undefined)[];
  };
  readonly main: SharedPorts;
} {
  const endpoints = options.schedulers + 1;
  const mesh = createMeshBuffers(endpoints);
  const directory = ProcessDirectory.create(options.processLimit ?? DEFAULT_PROCESS_LIMIT);
  const names = NameTable.create();
  const loads = new SharedArrayBuffer(options.schedulers * 4);
  const ets = createEtsBuffers(options.processLimit ?? DEFAULT_PROCESS_LIMIT);
  const mainIndex = options.schedulers;
  return {
    init: {
      schedulers: options.schedulers,
      rings: mesh.rings,
      wake: mesh.wake,
      directory: directory.buffer,
      names: names.buffer,
      loads,
      ets,
      portsFor: (index) => mesh.portsFor(index),
    },
    main: {
      mesh: new SchedulerMesh(mainIndex, endpoints, mesh.rings, mesh.wake, mesh.portsFor(mainIndex)),
      directory,
      names,
      loads: new Int32Array(loads),
      ets,
    },
  };
}

/** Attaches a scheduler worker to the structures of its WorkerInit. */
export function attachShared(init: WorkerInit): SharedPorts {
  return {
    mesh: new SchedulerMesh(init.index, init.schedulers + 1, init.rings, init.wake, init.ports),
    directory: new ProcessDirectory(init.directory),
    names: new NameTable(init.names),
    loads: new Int32Array(init.loads),
    ets: init.ets,
  };
}
