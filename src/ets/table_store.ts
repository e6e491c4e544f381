/**
 * src/ets/table_store.ts: the contract between the ETS API (ets.ts) and the storage of one
 * table, and between storages and the VM's shared heap. Nothing here runs; it is the seam
 * that lets the hash tables (set, bag, duplicate_bag) and the ordered_set be written apart.
 *
 * Storage rules, for every implementation:
 *   - A store lives in the SharedHeap (one growable SharedArrayBuffer per VM, attached on
 *     every thread); its root is a byte offset in that heap (`root`), so any thread attaches
 *     the same table from the offset alone (`attach` of the implementation's factory).
 *   - Objects are tuples; the key is element `keypos` (1-based, as Erlang's keypos).
 *     Objects are stored encoded (src/codec, `{ jsTypes: true, minorVersion: 2 }`), so a
 *     lookup on any thread returns a fresh decoded copy with the same JS types.
 *   - Key equality: hash tables (set, bag, duplicate_bag) match keys with =:=
 *     (exactEquals); ordered_set with == (compare(a, b) === 0: 1 and 1.0 are one key) and
 *     keeps keys in Erlang's term order (compare).
 *   - Every method is callable from any thread at any time, concurrently with every other
 *     method on the same table from other threads, and is atomic and isolated per key, as
 *     Erlang documents ETS (an insert of a list of objects is atomic and isolated as a whole).
 *     Traversals (`scan`, first/next) are not isolated from concurrent writers: each object
 *     is seen whole, and an object present for the whole traversal is seen exactly once.
 *   - Methods never throw on well-formed arguments except `modify`'s own callback errors,
 *     which leave the table unchanged, and HeapExhausted when the heap is full.
 *   - `concurrency` chooses the locking: read_concurrency readers write no shared cache
 *     line on the common path; write_concurrency writers to different keys do not share a
 *     lock. The layout and lock rules are documented in each implementation's file.
 */
import type { Term, Tuple } from '../term/index.js';

/** Memory shared by every thread of a VM, from which tables allocate. Any thread may call. */
export interface SharedHeap {
  /** The heap's growable SharedArrayBuffer; views made without a length track its growth. */
  readonly buffer: SharedArrayBuffer;
  /** Allocates `bytes` (rounded up to 8), 8-byte aligned; grows the buffer when needed. Throws HeapExhausted past the maximum. */
  alloc(bytes: number): number;
  /** Frees a block returned by alloc; its space is reused. Readers that may still read it must tolerate that (seqlock retry). */
  free(offset: number): void;
  /** Size in bytes of the block at `offset` as allocated (the rounded size). */
  sizeOf(offset: number): number;
  /** Bytes allocated and not freed, over all tables. */
  used(): number;
}

export type TableType = 'set' | 'ordered_set' | 'bag' | 'duplicate_bag';

export interface StoreConcurrency {
  readonly read: boolean;
  readonly write: boolean;
}

/** The storage of one table. Every method: any thread, concurrently (see the header). */
export interface TableStore {
  readonly type: TableType;
  readonly keypos: number;
  /** Byte offset of the store's root in the heap: what another thread attaches from. */
  readonly root: number;

  /** ets:insert: set/ordered_set replace the object of its key; bag adds unless an =:= object exists; duplicate_bag adds. The whole list atomically. */
  insert(objects: readonly Tuple[]): void;
  /** ets:insert_new: inserts the whole list only if none of its keys is present; true if inserted. */
  insertNew(objects: readonly Tuple[]): boolean;
  /** The objects of `key` (insertion order for bags), [] when absent. */
  lookup(key: Term): Tuple[];
  member(key: Term): boolean;
  /** Deletes the objects of `key`; true if there were any. */
  delete(key: Term): boolean;
  /** Deletes the objects =:= `object` (all of them in a duplicate_bag). */
  deleteObject(object: Tuple): void;
  /** Deletes and returns the objects of `key`. */
  take(key: Term): Tuple[];
  /** Deletes every object; the store stays usable. */
  deleteAll(): void;
  /**
   * Read-modify-write of the objects of one key under that key's write lock (update_counter,
   * update_element). `update` gets the current objects and returns the replacement objects
   * (undefined: no change) and a result; if it throws, the table is unchanged and the
   * error propagates.
   */
  modify<R>(key: Term, update: (current: readonly Tuple[]) => { readonly objects?: readonly Tuple[]; readonly result: R }): R;

  /** first/next/last/prev: the key, or undefined at the end (ets:first's '$end_of_table'). */
  first(): { readonly key: Term } | undefined;
  /** The key after `key` in the table's order (ordered_set: term order, any key allowed; hash: hash order, undefined if `key` is absent). */
  next(key: Term): { readonly key: Term } | undefined;
  last(): { readonly key: Term } | undefined;
  prev(key: Term): { readonly key: Term } | undefined;

  /** Visits every object (ordered_set: in key order, `reverse` for foldr); `visit` returns false to stop. */
  scan(visit: (object: Tuple) => boolean | void, reverse?: boolean): void;
  /** Deletes the objects for which `select` is true (select_delete); returns how many. */
  deleteWhere(select: (object: Tuple) => boolean): number;

  /** Number of objects (may be late by concurrent writes in flight). */
  size(): number;
  /** Bytes of heap this table holds (info memory). */
  memoryBytes(): number;
  /** Frees all of the table's memory; the store must not be used afterwards. */
  destroy(): void;
}

/** How an implementation makes and attaches stores. */
export interface TableStoreFactory {
  create(heap: SharedHeap, type: TableType, keypos: number, concurrency: StoreConcurrency): TableStore;
  attach(heap: SharedHeap, root: number): TableStore;
}
