/**
 * src/ets: ETS tables in shared memory. The public surface: the `ets` namespace (ets.ts), the
 * table-id helpers, HeapExhausted, and the storage seam for the ordered_set implementation.
 */
export { ets, type Tab } from './ets.js';
export { HeapExhausted, SharedHeap } from './shared_heap.js';
export { registerStoreFactory } from './store_factories.js';
export type { SharedHeap as SharedHeapContract, TableStore, TableStoreFactory, TableType, StoreConcurrency } from './table_store.js';
export { createEtsBuffers, type EtsBuffers } from './ets_space.js';
