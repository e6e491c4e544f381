/**
 * src/ets/store_factories.ts: which TableStoreFactory makes the storage of each table type.
 * set, bag and duplicate_bag are hash_store.ts's, ordered_set is ordered_store.ts's.
 * `registerStoreFactory` replaces one (a storage of one's own, or a test double); a type with no
 * factory makes ets.new raise badarg saying so.
 *
 * Threads: a per-thread map, filled at module load (the same files load on every thread).
 */
import { hashStoreFactory } from './hash_store.js';
import { orderedStoreFactory } from './ordered_store.js';
import type { TableStoreFactory, TableType } from './table_store.js';

const factories = new Map<TableType, TableStoreFactory>([
  ['set', hashStoreFactory],
  ['bag', hashStoreFactory],
  ['duplicate_bag', hashStoreFactory],
  ['ordered_set', orderedStoreFactory],
]);

/** Makes `factory` the storage of tables of `type` on this thread. */
export function registerStoreFactory(type: TableType, factory: TableStoreFactory): void {
  factories.set(type, factory);
}

/** The storage factory of `type`, or undefined when none is registered. */
export function storeFactory(type: TableType): TableStoreFactory | undefined {
  return factories.get(type);
}
