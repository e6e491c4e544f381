/**
 * src/ets/ets_space.ts: one thread's view of its VM's ETS memory: the SharedHeap and the
 * TableCatalog (attached from the VM's SharedArrayBuffers, or created for a one-thread VM),
 * and this thread's cache of opened tables (slot -> the entry's fixed fields and the attached
 * store, revalidated by the slot's serial: a serial names one table's life, and its type,
 * keypos, protection, flags and root never change during it; owner and heir do, so they are
 * not cached: read them from the catalog).
 *
 * Reach: a thread's Runtime holds its space (`runtime.ets`), attached at the first ETS call,
 * as the process API reaches the Runtime through the current process (`proc.runtime`). The
 * buffers of a many-thread VM are created once by src/vm/shared_setup.ts and reach each
 * thread's Runtime through its options (`RuntimeOptions.ets`).
 *
 * Owner exit (`processExited`, called by src/process/signals.ts `terminate` through the
 * process layer's exit hook): if the process's owner mark is set, each table it owns goes to
 * its heir when the heir is alive (the heir setting stays, as in OTP 25; {'ETS-TRANSFER', Tid, From, HeirData}
 * sent to it), else the table is deleted. A process that owns no table costs one byte load.
 *
 * Threads: a space belongs to one thread (its caches); the memory it views is shared (see
 * shared_heap.ts, table_catalog.ts). Bad input: none (internal).
 */
import { exitHooks, sendMessage } from '../process/signals.js';
import type { Process } from '../process/process.js';
import type { Runtime } from '../process/runtime.js';
import { atom, Pid, tuple } from '../term/index.js';
import { DEFAULT_PROCESS_LIMIT } from '../process/process_table.js';
import { SharedHeap } from './shared_heap.js';
import { storeFactory } from './store_factories.js';
import { TableCatalog, type TableEntry } from './table_catalog.js';
import type { TableStore, TableType } from './table_store.js';
import { tidOf } from './tid.js';

/** The fields of a table entry that are fixed for the table's life (one serial). */
export type FixedEntry = Omit<TableEntry, 'owner' | 'heir'>;

/** A table opened on this thread: its fixed entry fields and its store. */
export interface OpenedTable {
  readonly entry: FixedEntry;
  readonly store: TableStore;
}

/** The SharedArrayBuffers of a VM's ETS (structured-cloneable: they go in WorkerInit). */
export interface EtsBuffers {
  readonly heap: SharedArrayBuffer;
  readonly catalog: SharedArrayBuffer;
}

export const TYPE_NAMES: readonly TableType[] = ['set', 'ordered_set', 'bag', 'duplicate_bag'];

const A_ETS_TRANSFER = atom('ETS-TRANSFER');

/** Creates the ETS buffers of a VM whose pid ids are below `pids`. */
export function createEtsBuffers(pids: number = DEFAULT_PROCESS_LIMIT): EtsBuffers {
  const heap = SharedHeap.create();
  const catalog = TableCatalog.create(heap, { pids });
  return { heap: heap.buffer, catalog: catalog.buffer };
}

export class EtsSpace {
  readonly heap: SharedHeap;
  readonly catalog: TableCatalog;
  /** slot -> the table opened there (the entry's serial says which life of the slot). */
  readonly #opened: Array<OpenedTable | undefined> = [];

  constructor(buffers: EtsBuffers) {
    this.heap = new SharedHeap(buffers.heap);
    this.catalog = new TableCatalog(buffers.catalog, this.heap);
  }

  get buffers(): EtsBuffers {
    return { heap: this.heap.buffer, catalog: this.catalog.buffer };
  }

  /**
   * The table of `slot` in its life `serial`, attached once per thread and serial; undefined when
   * the slot holds another serial now. The caller is inside a catalog operation (enter/leave) and
   * checks `isLive(slot, serial)` after this call.
   */
  opened(slot: number, serial: number): OpenedTable | undefined {
    const cached = this.#opened[slot];
    if (cached !== undefined && cached.entry.serial === serial) return cached;
    const entry = this.catalog.entry(slot);
    if (entry.serial !== serial) return undefined;
    const { owner: _owner, heir: _heir, ...fixed } = entry;
    const table: OpenedTable = { entry: fixed, store: storeFactory(TYPE_NAMES[entry.type]!)!.attach(this.heap, entry.root) };
    this.#opened[slot] = table;
    return table;
  }

  /** The store of a live table (attached once per thread and serial). */
  store(entry: FixedEntry): TableStore {
    const table = this.opened(entry.slot, entry.serial);
    if (table === undefined) throw new Error(`ets_space: slot ${entry.slot} no longer holds serial ${entry.serial}`);
    return table.store;
  }

  /** Deletes a table (any thread); false if it was already gone. */
  deleteTable(slot: number, serial: number): boolean {
    const entry = this.catalog.entry(slot);
    if (entry.serial !== serial) return false;
    const deleted = this.catalog.delete(slot, serial, () => this.store(entry).destroy());
    if (this.#opened[slot]?.entry.serial === serial) this.#opened[slot] = undefined;
    return deleted;
  }

  /** The exit of a process that may own tables (see the header). */
  processExited(runtime: Runtime, proc: Process): void {
    const catalog = this.catalog;
    const pid = proc.pid;
    if (!catalog.mayOwn(pid.id)) return;
    catalog.clearOwnerMark(pid.id);
    for (const slot of catalog.ownedBy(pid)) this.ownerGone(runtime, slot, catalog.serialOf(slot), pid);
  }

  /** The owner `from` of a table is gone: the heir inherits it, or it is deleted. */
  ownerGone(runtime: Runtime, slot: number, serial: number, from: Pid): void {
    const entry = this.catalog.entry(slot);
    if (entry.serial !== serial) return;
    const heir = entry.heir === undefined ? undefined : new Pid(runtime.node, entry.heir.id, entry.heir.serial, runtime.creation);
    if (heir !== undefined && !(heir.id === from.id && heir.serial === from.serial) && isAlive(runtime, heir)) {
      const data = this.catalog.heirDataOf(slot);
      if (this.catalog.setOwner(slot, serial, heir, false)) {
        sendMessage(runtime, from, heir, tuple(A_ETS_TRANSFER, tidOf(slot, serial), from, data));
        if (!isAlive(runtime, heir)) this.ownerGone(runtime, slot, serial, heir); // it died meanwhile
        return;
      }
    }
    this.deleteTable(slot, serial);
  }
}

/** True while `pid` (of this VM) is alive on some thread. */
export function isAlive(runtime: Runtime, pid: Pid): boolean {
  return runtime.lookup(pid) !== undefined || (runtime.cluster !== undefined && runtime.cluster.locate(pid) >= 0);
}

/** The space of the runtime's thread, attached or created at first use. */
export function spaceOf(runtime: Runtime): EtsSpace {
  let space = runtime.ets;
  if (space === undefined) {
    space = new EtsSpace(runtime.etsBuffers ?? createEtsBuffers(runtime.table.limit));
    runtime.ets = space;
  }
  return space;
}

// Owner exits reach ETS through the process layer's exit hook (installed when this file loads;
// every scheduler thread loads src/ets, see src/vm/scheduler_worker.ts).
exitHooks.ets = (runtime, proc) => {
  if (runtime.ets === undefined && runtime.etsBuffers === undefined) return;
  spaceOf(runtime).processExited(runtime, proc);
};
