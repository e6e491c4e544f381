/**
 * src/ets/table_catalog.ts: the catalog of a VM's ETS tables, in one SharedArrayBuffer that
 * every thread attaches, so every thread sees every table: its slot (the table id), name,
 * owner, heir and heir data, protection, type, keypos, flags and store root. Also the lifetime
 * words that make deleting a table safe while other threads use it, and the owner marks that
 * let a process's exit find its tables at no cost for processes that own none.
 *
 * Layout (byte offsets; Int32 words; T = table capacity, H = thread capacity, P = pid capacity):
 *
 *   | offset          | bytes  | field          | written by                 | read by       | access                |
 *   |----------------:|-------:|----------------|----------------------------|---------------|-----------------------|
 *   | 0               | 4      | lock           | create/delete/rename/owner/heir changes | same | lock.ts mutex    |
 *   | 4               | 4      | magic          | creator, once              | attach        | plain (before sharing)|
 *   | 8               | 4      | T              | creator, once              | anyone        | plain                 |
 *   | 12              | 4      | high water     | under the lock             | anyone        | Atomics.store / load  |
 *   | 16              | 4      | version clock  | under the lock             | under the lock| plain                 |
 *   | 20              | 4      | serial clock   | under the lock             | under the lock| plain                 |
 *   | 24              | 4      | threads        | attach (each thread once)  | deleters      | Atomics.add / load    |
 *   | 28              | 4      | H              | creator, once              | anyone        | plain                 |
 *   | 32              | 4      | P              | creator, once              | anyone        | plain                 |
 *   | 64 + 64 s       | 64     | slot s         | see below                  |               |                       |
 *   | 64 + 64 T + 64 t| 4      | life word of thread t | thread t only       | deleters      | Atomics.store / load  |
 *   | 64 + 64 (T + H) | P      | owner mark of pid id i (1: may own tables) | under the lock | exiting process's thread | Atomics |
 *
 *   A slot (Int32 fields; every field written under the lock with Atomics.store, read with Atomics.load):
 *   | word | field      | meaning                                                                |
 *   |-----:|------------|------------------------------------------------------------------------|
 *   | 0    | state      | 0 FREE, 1 LIVE, 2 DYING (being deleted: no new operation may start)    |
 *   | 1    | serial     | the table id's second word; new at each creation in the slot           |
 *   | 2, 3 | owner      | pid id and serial                                                      |
 *   | 4, 5 | heir       | pid id (-1: none) and serial                                           |
 *   | 6    | heir data  | heap offset of the heir data's ETF (length word first); 0: none        |
 *   | 7    | protection | 0 public, 1 protected, 2 private                                       |
 *   | 8    | type       | 0 set, 1 ordered_set, 2 bag, 3 duplicate_bag                           |
 *   | 9    | keypos     | 1-based                                                                |
 *   | 10   | flags      | bit 0 named_table, 1 read_concurrency, 2 write_concurrency, 3 compressed, 4 decentralized_counters |
 *   | 11   | root       | the store's root offset in the heap                                    |
 *   | 12   | name       | heap offset of the name (length word, then UTF-8)                      |
 *   | 13   | name hash  | of the UTF-8 name (FNV-1a)                                             |
 *   | 14   | version    | from the version clock at each create/rename/delete of the slot        |
 *
 * Table ids: the slot and its serial; a tid term is a reference #Ref<0.Slot.Serial.TID_MARK>
 * (ets.ts), valid on every thread and in messages. Names: unique per VM among named tables,
 * checked under the lock. Each thread caches name -> slot and revalidates the cache entry by
 * the slot's version (a rename or delete changes it), so a named-table operation costs two
 * loads, not a scan.
 *
 * Lifetime (why a table can be freed while other threads may be reading it): every operation
 * of a thread on any table runs between `enter()` and `leave()`, which make its life word odd,
 * then even again (stores to its own cache line: read_concurrency readers still write no line
 * another thread writes). A delete marks the slot DYING under the lock (so operations that
 * start afterwards fail with badarg), then waits until every other thread's life word is even
 * or has changed: every operation that could have seen the slot LIVE has then ended, and the
 * store is destroyed. A thread whose word stays odd for LIFE_WAIT_MS (a worker terminated in
 * the middle of an operation) makes the delete leak the store's memory rather than free it
 * under a possible reader.
 *
 * Owner marks: a process's byte is set whenever it becomes the owner of a table (create,
 * give_away, heir); at its exit, its thread reads the byte and only if set scans the slots
 * (up to the high water) for tables it owns. Races: a table given to a process that exits at
 * the same moment is noticed by `transfer`, which checks after setting the owner that the new
 * owner still lives, and treats a dead one as an owner exit.
 *
 * Threads: every method from any thread. Bad input: the API (ets.ts) checks arguments; a
 * full catalog throws BeamError SYSTEM_LIMIT (Erlang's system_limit).
 */
import { BeamError, ErrorCode, InvalidArgumentError, describeValue } from '../errors/index.js';
import { decodeFrom, termToBinary } from '../codec/index.js';
import type { Term } from '../term/index.js';
import { CODEC } from './hash_store.js';
import { lockWord, unlockWord } from './lock.js';
import type { SharedHeap } from './shared_heap.js';

const LOCK = 0;
const MAGIC = 1;
const CAPACITY = 2;
const HIGH_WATER = 3;
const VERSION_CLOCK = 4;
const SERIAL_CLOCK = 5;
const THREADS = 6;
const THREAD_CAPACITY = 7;
const PID_CAPACITY = 8;
const MAGIC_VALUE = 0x45545343; // 'ETSC'
const SLOTS_AT = 64;
const LINE = 64;

// Slot fields.
const F_STATE = 0;
const F_SERIAL = 1;
const F_OWNER_ID = 2;
const F_OWNER_SERIAL = 3;
const F_HEIR_ID = 4;
const F_HEIR_SERIAL = 5;
const F_HEIR_DATA = 6;
const F_PROTECTION = 7;
const F_TYPE = 8;
const F_KEYPOS = 9;
const F_FLAGS = 10;
const F_ROOT = 11;
const F_NAME = 12;
const F_NAME_HASH = 13;
const F_VERSION = 14;

export const SlotState = { FREE: 0, LIVE: 1, DYING: 2 } as const;
export const TableFlag = { NAMED: 1, READ_CONCURRENCY: 2, WRITE_CONCURRENCY: 4, COMPRESSED: 8, DECENTRALIZED_COUNTERS: 16 } as const;

export const DEFAULT_TABLE_CAPACITY = 4096;
export const DEFAULT_THREAD_CAPACITY = 512;
const LIFE_WAIT_MS = 2000;

/** A pid as the catalog stores it. */
export interface PidWords {
  readonly id: number;
  readonly serial: number;
}

/** What a table's slot holds, as read (may be stale by concurrent changes; see each use). */
export interface TableEntry {
  readonly slot: number;
  readonly serial: number;
  readonly owner: PidWords;
  readonly heir: PidWords | undefined;
  readonly protection: number;
  readonly type: number;
  readonly keypos: number;
  readonly flags: number;
  readonly root: number;
}

/** What `create` needs. */
export interface NewTable {
  readonly name: string;
  readonly owner: PidWords;
  readonly heir: PidWords | undefined;
  readonly heirData: Term;
  readonly protection: number;
  readonly type: number;
  readonly keypos: number;
  readonly flags: number;
  readonly root: number;
}

function nameHash(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  return h | 0;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** Thrown by `create` and `rename` when the name is taken by another named table. */
export const NAME_TAKEN: unique symbol = Symbol('beamjs.ets.nameTaken');

export class TableCatalog {
  readonly buffer: SharedArrayBuffer;
  readonly heap: SharedHeap;
  readonly #w: Int32Array;
  readonly #u8: Uint8Array;
  readonly capacity: number;
  readonly #threadCapacity: number;
  readonly #pidCapacity: number;
  /** This thread's index among the catalog's threads (its life word). */
  readonly thread: number;
  readonly #lifeWord: number;
  #depth = 0;
  readonly #names = new Map<string, { readonly slot: number; readonly version: number }>();

  constructor(buffer: SharedArrayBuffer, heap: SharedHeap) {
    const w = new Int32Array(buffer);
    if (w[MAGIC] !== MAGIC_VALUE) throw new BeamError(ErrorCode.SHM_CORRUPT, 'TableCatalog: the buffer holds no catalog (bad magic)');
    this.buffer = buffer;
    this.heap = heap;
    this.#w = w;
    this.#u8 = new Uint8Array(buffer);
    this.capacity = w[CAPACITY]!;
    this.#threadCapacity = w[THREAD_CAPACITY]!;
    this.#pidCapacity = w[PID_CAPACITY]!;
    const thread = Atomics.add(w, THREADS, 1);
    if (thread >= this.#threadCapacity) {
      throw new BeamError(ErrorCode.SYSTEM_LIMIT, `TableCatalog: more than ${this.#threadCapacity} threads attached the ETS catalog`);
    }
    this.thread = thread;
    this.#lifeWord = (SLOTS_AT + this.capacity * LINE + thread * LINE) >> 2;
  }

  static create(heap: SharedHeap, options: { readonly tables?: number; readonly threads?: number; readonly pids: number }): TableCatalog {
    const tables = options.tables ?? DEFAULT_TABLE_CAPACITY;
    const threads = options.threads ?? DEFAULT_THREAD_CAPACITY;
    for (const [name, value] of [['tables', tables], ['threads', threads], ['pids', options.pids]] as const) {
      if (!Number.isSafeInteger(value) || value < 1 || value > 1 << 24) {
        throw new InvalidArgumentError(`TableCatalog.create: options.${name} must be an integer from 1 to ${1 << 24}; received ${describeValue(value)}`);
      }
    }
    const buffer = new SharedArrayBuffer(SLOTS_AT + (tables + threads) * LINE + ((options.pids + 7) & ~7));
    const w = new Int32Array(buffer);
    w[CAPACITY] = tables;
    w[THREAD_CAPACITY] = threads;
    w[PID_CAPACITY] = options.pids;
    w[MAGIC] = MAGIC_VALUE;
    return new TableCatalog(buffer, heap);
  }

  #f(slot: number, field: number): number {
    return (SLOTS_AT >> 2) + slot * (LINE >> 2) + field;
  }

  #load(slot: number, field: number): number {
    return Atomics.load(this.#w, this.#f(slot, field));
  }

  #store(slot: number, field: number, value: number): void {
    Atomics.store(this.#w, this.#f(slot, field), value);
  }

  // ---- lifetime ----------------------------------------------------------------------------

  /** Marks this thread inside an operation (nests). */
  enter(): void {
    if (this.#depth++ === 0) Atomics.store(this.#w, this.#lifeWord, Atomics.load(this.#w, this.#lifeWord) + 1);
  }

  leave(): void {
    if (--this.#depth === 0) Atomics.store(this.#w, this.#lifeWord, Atomics.load(this.#w, this.#lifeWord) + 1);
  }

  /** Waits until every operation of other threads that began before now has ended; false on timeout. */
  #quiesce(): boolean {
    const w = this.#w;
    const threads = Math.min(Atomics.load(w, THREADS), this.#threadCapacity);
    const base = (SLOTS_AT + this.capacity * LINE) >> 2;
    const deadline = Date.now() + LIFE_WAIT_MS;
    for (let t = 0; t < threads; t++) {
      if (t === this.thread) continue;
      const seen = Atomics.load(w, base + t * (LINE >> 2));
      if ((seen & 1) === 0) continue;
      let spins = 0;
      while (Atomics.load(w, base + t * (LINE >> 2)) === seen) {
        if (++spins % 1024 === 0 && Date.now() > deadline) return false;
      }
    }
    return true;
  }

  // ---- owner marks -------------------------------------------------------------------------

  #markOwner(pid: PidWords): void {
    if (pid.id >= 0 && pid.id < this.#pidCapacity) Atomics.store(this.#u8, SLOTS_AT + (this.capacity + this.#threadCapacity) * LINE + pid.id, 1);
  }

  /** True when the process with this id may own tables (its byte is set). */
  mayOwn(id: number): boolean {
    return id >= 0 && id < this.#pidCapacity && Atomics.load(this.#u8, SLOTS_AT + (this.capacity + this.#threadCapacity) * LINE + id) !== 0;
  }

  clearOwnerMark(id: number): void {
    if (id >= 0 && id < this.#pidCapacity) Atomics.store(this.#u8, SLOTS_AT + (this.capacity + this.#threadCapacity) * LINE + id, 0);
  }

  // ---- strings and terms in the heap -------------------------------------------------------

  #putBytes(bytes: Uint8Array): number {
    const at = this.heap.alloc(4 + bytes.length);
    new Int32Array(this.heap.buffer)[at >> 2] = bytes.length;
    new Uint8Array(this.heap.buffer).set(bytes, at + 4);
    return at;
  }

  #getBytes(at: number): Uint8Array {
    const length = new Int32Array(this.heap.buffer)[at >> 2]!;
    return new Uint8Array(this.heap.buffer).slice(at + 4, at + 4 + length);
  }

  // ---- tables ------------------------------------------------------------------------------

  /** Finds the live named table `name` (not under the lock: the caller revalidates). */
  #scanName(name: string, bytes: Uint8Array, hash: number): number {
    const high = Atomics.load(this.#w, HIGH_WATER);
    for (let s = 0; s < high; s++) {
      if (this.#load(s, F_STATE) !== SlotState.LIVE || (this.#load(s, F_FLAGS) & TableFlag.NAMED) === 0 || this.#load(s, F_NAME_HASH) !== hash) continue;
      const stored = this.#getBytes(this.#load(s, F_NAME));
      if (stored.length === bytes.length && stored.every((b, i) => b === bytes[i])) return s;
    }
    void name;
    return -1;
  }

  /** Creates a table's slot; throws NAME_TAKEN for a named table whose name is in use. */
  create(table: NewTable): { readonly slot: number; readonly serial: number } {
    const bytes = utf8.encode(table.name);
    const hash = nameHash(bytes);
    const nameAt = this.#putBytes(bytes);
    const heirAt = table.heir === undefined ? 0 : this.#putBytes(termToBinary(table.heirData, CODEC));
    const w = this.#w;
    lockWord(w, LOCK);
    let slot = -1;
    try {
      if ((table.flags & TableFlag.NAMED) !== 0 && this.#scanName(table.name, bytes, hash) >= 0) throw NAME_TAKEN;
      const high = Atomics.load(w, HIGH_WATER);
      for (let s = 0; s < high; s++) {
        if (this.#load(s, F_STATE) === SlotState.FREE) {
          slot = s;
          break;
        }
      }
      if (slot < 0) {
        if (high >= this.capacity) {
          throw new BeamError(ErrorCode.SYSTEM_LIMIT, `ets:new: the VM has ${this.capacity} tables, its limit (VM option etsTables)`);
        }
        slot = high;
        Atomics.store(w, HIGH_WATER, high + 1);
      }
      const serial = (w[SERIAL_CLOCK] = (w[SERIAL_CLOCK]! + 1) & 0x7fffffff);
      w[VERSION_CLOCK] = w[VERSION_CLOCK]! + 1;
      this.#store(slot, F_SERIAL, serial);
      this.#store(slot, F_OWNER_ID, table.owner.id);
      this.#store(slot, F_OWNER_SERIAL, table.owner.serial);
      this.#store(slot, F_HEIR_ID, table.heir?.id ?? -1);
      this.#store(slot, F_HEIR_SERIAL, table.heir?.serial ?? 0);
      this.#store(slot, F_HEIR_DATA, heirAt);
      this.#store(slot, F_PROTECTION, table.protection);
      this.#store(slot, F_TYPE, table.type);
      this.#store(slot, F_KEYPOS, table.keypos);
      this.#store(slot, F_FLAGS, table.flags);
      this.#store(slot, F_ROOT, table.root);
      this.#store(slot, F_NAME, nameAt);
      this.#store(slot, F_NAME_HASH, hash);
      this.#store(slot, F_VERSION, w[VERSION_CLOCK]!);
      this.#markOwner(table.owner);
      this.#store(slot, F_STATE, SlotState.LIVE);
      return { slot, serial };
    } catch (error) {
      this.heap.free(nameAt);
      if (heirAt !== 0) this.heap.free(heirAt);
      throw error;
    } finally {
      unlockWord(w, LOCK);
    }
  }

  /** The live slot of named table `name`, or -1. */
  whereis(name: string): number {
    const cached = this.#names.get(name);
    if (cached !== undefined && this.#load(cached.slot, F_STATE) === SlotState.LIVE && this.#load(cached.slot, F_VERSION) === cached.version) return cached.slot;
    const bytes = utf8.encode(name);
    for (;;) {
      const slot = this.#scanName(name, bytes, nameHash(bytes));
      if (slot < 0) {
        this.#names.delete(name);
        return -1;
      }
      const version = this.#load(slot, F_VERSION);
      // A rename between the scan and here changes the version: look again.
      if (this.#load(slot, F_STATE) === SlotState.LIVE && this.nameOf(slot) === name && this.#load(slot, F_VERSION) === version) {
        if (this.#names.size > 4096) this.#names.clear();
        this.#names.set(name, { slot, version });
        return slot;
      }
    }
  }

  /** True while the slot holds the live table of this serial. */
  isLive(slot: number, serial: number): boolean {
    return slot >= 0 && slot < this.capacity && this.#load(slot, F_STATE) === SlotState.LIVE && this.#load(slot, F_SERIAL) === serial;
  }

  serialOf(slot: number): number {
    return this.#load(slot, F_SERIAL);
  }

  entry(slot: number): TableEntry {
    const heirId = this.#load(slot, F_HEIR_ID);
    return {
      slot,
      serial: this.#load(slot, F_SERIAL),
      owner: { id: this.#load(slot, F_OWNER_ID), serial: this.#load(slot, F_OWNER_SERIAL) },
      heir: heirId < 0 ? undefined : { id: heirId, serial: this.#load(slot, F_HEIR_SERIAL) },
      protection: this.#load(slot, F_PROTECTION),
      type: this.#load(slot, F_TYPE),
      keypos: this.#load(slot, F_KEYPOS),
      flags: this.#load(slot, F_FLAGS),
      root: this.#load(slot, F_ROOT),
    };
  }

  /** The owner words of a slot (two loads; a concurrent give_away may be seen half done: a caller racing an ownership change may be refused or allowed once). */
  ownerIs(slot: number, pid: PidWords): boolean {
    return this.#load(slot, F_OWNER_ID) === pid.id && this.#load(slot, F_OWNER_SERIAL) === pid.serial;
  }

  nameOf(slot: number): string {
    return fromUtf8.decode(this.#getBytes(this.#load(slot, F_NAME)));
  }

  heirDataOf(slot: number): Term {
    const at = this.#load(slot, F_HEIR_DATA);
    return at === 0 ? undefined : decodeFrom(this.#getBytes(at), 0, CODEC).term;
  }

  /** Live slots (a snapshot; tables created or deleted meanwhile may be missing or extra). */
  liveSlots(): number[] {
    const out: number[] = [];
    const high = Atomics.load(this.#w, HIGH_WATER);
    for (let s = 0; s < high; s++) if (this.#load(s, F_STATE) === SlotState.LIVE) out.push(s);
    return out;
  }

  /** Slots owned by this pid (a snapshot). */
  ownedBy(pid: PidWords): number[] {
    return this.liveSlots().filter((s) => this.ownerIs(s, pid));
  }

  /** Renames a named table; throws NAME_TAKEN. False when the table is gone. */
  rename(slot: number, serial: number, name: string): boolean {
    const bytes = utf8.encode(name);
    const hash = nameHash(bytes);
    const nameAt = this.#putBytes(bytes);
    const w = this.#w;
    let old = 0;
    lockWord(w, LOCK);
    try {
      if (!this.isLive(slot, serial)) {
        old = nameAt;
        return false;
      }
      const other = this.#scanName(name, bytes, hash);
      if (other >= 0 && other !== slot) {
        old = nameAt;
        throw NAME_TAKEN;
      }
      old = this.#load(slot, F_NAME);
      w[VERSION_CLOCK] = w[VERSION_CLOCK]! + 1;
      this.#store(slot, F_VERSION, w[VERSION_CLOCK]!);
      this.#store(slot, F_NAME_HASH, hash);
      this.#store(slot, F_NAME, nameAt);
      return true;
    } finally {
      unlockWord(w, LOCK);
      // Another thread may be reading the old name in #scanName: names are freed only after it could not (quiesce).
      if (old !== 0 && old !== nameAt) this.#freeLater(old);
      else if (old === nameAt) this.heap.free(nameAt);
    }
  }

  #freeLater(at: number): void {
    if (this.#quiesce()) this.heap.free(at);
  }

  /** Sets the owner (give_away, heir) and clears the heir when `clearHeir`; false when the table is gone. */
  setOwner(slot: number, serial: number, owner: PidWords, clearHeir: boolean): boolean {
    const w = this.#w;
    let heirAt = 0;
    lockWord(w, LOCK);
    try {
      if (!this.isLive(slot, serial)) return false;
      this.#store(slot, F_OWNER_ID, owner.id);
      this.#store(slot, F_OWNER_SERIAL, owner.serial);
      this.#markOwner(owner);
      if (clearHeir) {
        heirAt = this.#load(slot, F_HEIR_DATA);
        this.#store(slot, F_HEIR_ID, -1);
        this.#store(slot, F_HEIR_SERIAL, 0);
        this.#store(slot, F_HEIR_DATA, 0);
      }
      return true;
    } finally {
      unlockWord(w, LOCK);
      if (heirAt !== 0) this.#freeLater(heirAt);
    }
  }

  /** Sets or clears (heir undefined) the heir; false when the table is gone. */
  setHeir(slot: number, serial: number, heir: PidWords | undefined, data: Term): boolean {
    const fresh = heir === undefined ? 0 : this.#putBytes(termToBinary(data, CODEC));
    const w = this.#w;
    let old = 0;
    lockWord(w, LOCK);
    try {
      if (!this.isLive(slot, serial)) {
        old = fresh;
        return false;
      }
      old = this.#load(slot, F_HEIR_DATA);
      this.#store(slot, F_HEIR_ID, heir?.id ?? -1);
      this.#store(slot, F_HEIR_SERIAL, heir?.serial ?? 0);
      this.#store(slot, F_HEIR_DATA, fresh);
      return true;
    } finally {
      unlockWord(w, LOCK);
      if (old !== 0) this.#freeLater(old);
    }
  }

  /**
   * Deletes a table: marks it DYING, waits out operations in flight on other threads, then
   * calls `destroy` (which frees the store) and frees the slot. False if it was already gone.
   */
  delete(slot: number, serial: number, destroy: () => void): boolean {
    const w = this.#w;
    lockWord(w, LOCK);
    try {
      if (!this.isLive(slot, serial)) return false;
      this.#store(slot, F_STATE, SlotState.DYING);
      w[VERSION_CLOCK] = w[VERSION_CLOCK]! + 1;
      this.#store(slot, F_VERSION, w[VERSION_CLOCK]!);
    } finally {
      unlockWord(w, LOCK);
    }
    const quiet = this.#quiesce();
    if (quiet) destroy();
    const name = this.#load(slot, F_NAME);
    const heir = this.#load(slot, F_HEIR_DATA);
    lockWord(w, LOCK);
    try {
      this.#store(slot, F_NAME, 0);
      this.#store(slot, F_HEIR_DATA, 0);
      this.#store(slot, F_STATE, SlotState.FREE);
    } finally {
      unlockWord(w, LOCK);
    }
    if (quiet) {
      if (name !== 0) this.heap.free(name);
      if (heir !== 0) this.heap.free(heir);
    }
    return true;
  }
}
