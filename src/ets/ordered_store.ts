/**
 * src/ets/ordered_store.ts: the storage of `ordered_set` tables (TableStore of
 * table_store.ts) in the VM's SharedHeap: a two-level "directory of sorted leaves". Every
 * scheduler thread reads and writes a table directly; there is no owner process.
 *
 * Structure. The root points at the current directory, an immutable array of leaf entries
 * sorted by key: leaf i holds the keys k with sep(i) <= k < sep(i+1) in Erlang's term order
 * (`compare`, == semantics: 1 and 1.0 are one key); sep(0) is minus infinity. A leaf is a
 * sorted array of up to LEAF_CAP entries; an entry holds the key's cached prefix
 * (ordered_key.ts: 64 bits that order most keys without decoding them) and the offset of
 * the object block (the object's ETF with the key's byte range). A leaf that fills up splits
 * (its right part goes to new leaves, the directory gets a new version); a leaf under a
 * quarter full merges with a neighbour when it can lock one without waiting.
 *
 * Root (ROOT_BYTES = 192; three 64-byte lines: what readers read, what the directory lock
 * guards, the table lock):
 *
 * | offset | bytes | field        | written by                       | read by       | access |
 * |-------:|------:|--------------|----------------------------------|---------------|--------|
 * |      0 |     4 | dirSeq       | directory writers (under dirLock) | everyone     | Atomics.add (odd while a directory change is in flight), Atomics.load |
 * |      4 |     4 | dir          | directory writers (under dirLock) | everyone     | Atomics.store / Atomics.load |
 * |      8 |     4 | magic        | creator, once                     | attach        | plain, before sharing |
 * |     12 |     4 | keypos       | creator, once                     | attach        | plain, before sharing |
 * |     16 |     4 | flags        | creator, once (1 read, 2 write)   | attach        | plain, before sharing |
 * |     64 |     4 | dirLock      | directory writers                 | them          | mutex (below) |
 * |     68 |     4 | freeLeaf     | under dirLock                     | under dirLock | plain: head of the list of unused leaves |
 * |     72 |     4 | freeLeaves   | under dirLock                     | memoryBytes   | plain |
 * |     76 |     4 | liveLeaves   | under dirLock                     | memoryBytes   | plain |
 * |     80 |     4 | sepBytes     | under dirLock                     | memoryBytes   | plain: heap bytes of separator blocks |
 * |    128 |     4 | tableLock    | writers, when not write_concurrency | them        | mutex (below) |
 *
 * Directory block (DIR_HEADER + count * DIR_ENTRY bytes), immutable once published:
 *
 * | offset        | bytes | field   | meaning                                              |
 * |--------------:|------:|---------|------------------------------------------------------|
 * |             0 |     4 | count   | number of leaves (>= 1)                              |
 * | 16 + 16i + 0  |     4 | leaf    | offset of leaf i                                     |
 * | 16 + 16i + 4  |     4 | sepHi   | prefix of sep(i), high word                          |
 * | 16 + 16i + 8  |     4 | sepLo   | prefix of sep(i), low word                           |
 * | 16 + 16i + 12 |     4 | sep     | offset of sep(i)'s block, bit 0 = prefix is exact; 0 for leaf 0 |
 *
 * Separator block: length u32 at 0, the key's ETF body (no 131) from 8. Owned by the
 * directory entry; freed when a merge removes the entry.
 *
 * Leaf (LEAF_BYTES = 64 + LEAF_CAP * 16):
 *
 * | offset     | bytes | field    | written by            | read by   | access |
 * |-----------:|------:|----------|-----------------------|-----------|--------|
 * |          0 |     4 | lock     | writers of the leaf   | them      | mutex (below) |
 * |          4 |     4 | seq      | holder of the lock    | everyone  | Atomics.add (odd while the holder changes the leaf), Atomics.load |
 * |          8 |     4 | count    | holder of the lock    | everyone  | plain, validated by seq |
 * |         12 |     4 | objBytes | holder of the lock    | memoryBytes | plain: heap bytes of the leaf's object blocks |
 * |         16 |     4 | nextFree | under dirLock         | under dirLock | plain: link while the leaf is unused |
 * | 64 + 16j + 0  |  4 | hi       | holder of the lock    | everyone  | plain, validated by seq: key prefix, high word |
 * | 64 + 16j + 4  |  4 | lo       | "                     | "         | key prefix, low word |
 * | 64 + 16j + 8  |  4 | obj      | "                     | "         | offset of the object block |
 * | 64 + 16j + 12 |  4 | flags    | "                     | "         | bit 0: the prefix is exact |
 *
 * Object block: objLen u32 at 0, keyStart u32 at 4, keyEnd u32 at 8 (byte range of the key
 * element inside the ETF), the object's ETF (with 131, `{ jsTypes: true, minorVersion: 2 }`)
 * from 16. Immutable while a leaf points at it; freed by the writer that removes it.
 *
 * Locks and rules (who writes which word; every Atomics operation is sequentially consistent):
 *   - Mutexes (leaf lock, dirLock, tableLock): 0 free, 1 held, 2 held with waiters.
 *     Atomics.compareExchange to take, Atomics.sub/store + Atomics.notify to release, a
 *     short spin then Atomics.wait while taken.
 *   - Lock order: tableLock, then leaf locks, then dirLock. Whoever holds dirLock never
 *     waits for a leaf lock (merges try-lock their neighbour), and whoever holds a leaf lock
 *     only waits for more leaf locks with try-lock (a batch that fails releases all and
 *     retries), so there is no cycle.
 *   - Readers (lookup, member, first/next/last/prev, scan, size) take no lock and write no
 *     shared memory (read_concurrency is therefore always on). A read: load dirSeq (even),
 *     load dir, binary-search the separators, load the leaf's seq (even), search the leaf,
 *     copy the bytes it needs, and retry unless the leaf's seq and dirSeq are unchanged.
 *     After loading a leaf's offset from the directory it checks dirSeq once more, so the
 *     offset is a real leaf (leaves are type-stable, below). Bytes are decoded only after a
 *     check that the copy was taken inside an unchanged window, so garbage is never
 *     decoded; every offset read optimistically is bounds checked before use.
 *   - A writer routes its key(s) the same way, takes the leaf lock(s), and re-checks that
 *     dirSeq is unchanged: then the leaf covers the key for as long as the lock is held (a
 *     leaf's range changes only by a split or merge, which holds that leaf's lock). It bumps
 *     the leaf's seq to odd, changes the leaf, frees replaced object blocks (inside the odd
 *     window, so a reader that might still copy them retries), and bumps seq to even.
 *     Writers of keys in different leaves share no lock and no cache line
 *     (write_concurrency). Without write_concurrency, every writer takes tableLock first.
 *   - Directory changes (split, merge, delete_all_objects) hold the affected leaves' locks
 *     and dirLock, write the new leaves, bump dirSeq to odd, publish the new directory,
 *     free the old one, and bump dirSeq to even.
 *   - Leaves are type-stable: a leaf no longer in the directory goes to the table's free
 *     list and is reused only as a leaf of this table, never returned to the heap before
 *     `destroy`. So a writer that locked a leaf from a stale directory has locked a real
 *     lock word; its dirSeq check fails and it releases it. Its seq only ever increases.
 *
 * Atomicity: a write of several keys (insert of a list) locks all their leaves and keeps
 * all their seqs odd until every change is in, so readers see all of it or none of it.
 * Encoding and heap allocation happen before the first change: an encoding error or
 * HeapExhausted leaves the table unchanged. Traversals read one leaf at a time and resume
 * from the last key seen, so an object present throughout is seen exactly once, in order.
 *
 * Threads: every method of OrderedStore may be called from any thread, concurrently; the
 * `modify` callback runs under the key's leaf lock and must not call the same table. Each
 * thread's handle keeps fixed-length views of the heap (V8 indexes length-tracking views of
 * a growable buffer several times slower) and remakes them when the buffer has grown: at
 * each read attempt, after taking locks, and after each of its own allocations.
 *
 * Memory: object blocks, separators and directories go back to the heap as soon as they
 * are unreachable; leaves stay with the table (its free list) until `destroy`, so a table
 * keeps as many leaves as it had at its largest (1 KB per 48 keys or so).
 * Bad input: objects that are not tuples of at least `keypos` elements, and a `modify`
 * result with another key, throw InvalidArgumentError and leave the table unchanged.
 */
import { BeamError, ErrorCode, InvalidArgumentError, describeValue } from '../errors/index.js';
import { decodeFrom, decodeTermAt, skipTerm, termToBinary } from '../codec/index.js';
import { compare, exactEquals } from '../term/compare.js';
import type { Term } from '../term/term.js';
import { Tuple } from '../term/tuple.js';
import { comparePrefix, keyPrefix } from './ordered_key.js';
import type { KeyPrefix } from './ordered_key.js';
import type { SharedHeap, StoreConcurrency, TableStore, TableStoreFactory, TableType } from './table_store.js';

// Root
const R_DIR_SEQ = 0;
const R_DIR = 4;
const R_MAGIC = 8;
const R_KEYPOS = 12;
const R_FLAGS = 16;
const R_DIR_LOCK = 64;
const R_FREE_LEAF = 68;
const R_FREE_LEAVES = 72;
const R_LIVE_LEAVES = 76;
const R_SEP_BYTES = 80;
const R_TABLE_LOCK = 128;
/** Bytes of the root block. */
export const ROOT_BYTES = 192;
const MAGIC = 0x4f524453; // "ORDS"
const FLAG_READ = 1;
const FLAG_WRITE = 2;

// Directory
const D_COUNT = 0;
const D_ENTRIES = 16;
const D_ENTRY = 16;
const DE_LEAF = 0;
const DE_HI = 4;
const DE_LO = 8;
const DE_SEP = 12;
/** Bound on the number of leaves a directory may hold (sanity check of optimistic reads). */
const MAX_LEAVES = 1 << 24;

// Separator block
const S_LEN = 0;
const S_BYTES = 8;

// Leaf
const L_LOCK = 0;
const L_SEQ = 4;
const L_COUNT = 8;
const L_OBJ_BYTES = 12;
const L_NEXT_FREE = 16;
const L_ENTRIES = 64;
/** Entries per leaf. */
export const LEAF_CAP = 64;
const ENTRY = 16;
const E_HI = 0;
const E_LO = 4;
const E_OBJ = 8;
const E_FLAGS = 12;
const ENTRY_WORDS = ENTRY / 4;
/** Bytes of a leaf block. */
export const LEAF_BYTES = L_ENTRIES + LEAF_CAP * ENTRY;
const MERGE_BELOW = LEAF_CAP / 4;
const MERGE_FILL = (LEAF_CAP * 3) / 4;
const SPLIT_FILL = (LEAF_CAP * 3) / 4;
const EXACT = 1;
/** Copies longer than this are preceded by a check that the snapshot still holds. */
const BIG_COPY = 4096;

// Object block
const O_LEN = 0;
const O_KEY_START = 4;
const O_KEY_END = 8;
const O_ETF = 16;

const ENCODE = { jsTypes: true, minorVersion: 2 } as const;
const DECODE = { jsTypes: true } as const;
const SMALL_TUPLE_EXT = 104;
const LARGE_TUPLE_EXT = 105;

/** Returned by optimistic helpers: the snapshot changed, start again. */
const RETRY = 2;
type Cmp = -1 | 0 | 1 | typeof RETRY;

// ---------------------------------------------------------------------------------
// Mutexes (0 free, 1 held, 2 held with waiters) on a word of the heap.

const SPINS = 100;

function lockWord(w: Int32Array, i: number): void {
  let c = Atomics.compareExchange(w, i, 0, 1);
  if (c === 0) return;
  for (let spin = 0; spin < SPINS; spin++) {
    if (Atomics.load(w, i) === 0) {
      c = Atomics.compareExchange(w, i, 0, 1);
      if (c === 0) return;
    }
  }
  if (c !== 2) c = Atomics.exchange(w, i, 2);
  while (c !== 0) {
    Atomics.wait(w, i, 2, 10);
    c = Atomics.exchange(w, i, 2);
  }
}

function tryLockWord(w: Int32Array, i: number): boolean {
  return Atomics.compareExchange(w, i, 0, 1) === 0;
}

function unlockWord(w: Int32Array, i: number): void {
  if (Atomics.sub(w, i, 1) !== 1) {
    Atomics.store(w, i, 0);
    Atomics.notify(w, i, 1);
  }
}

const pauseWord = new Int32Array(new SharedArrayBuffer(4));

/** Backs off an optimistic retry: spins first, then sleeps a little. Returns the next attempt number. */
function pause(attempt: number): number {
  if (attempt > 20) Atomics.wait(pauseWord, 0, 0, attempt > 200 ? 1 : 0.05);
  if (attempt > 2_000_000) throw new BeamError(ErrorCode.SHM_CORRUPT, 'ordered_set: a read found no consistent snapshot after 2,000,000 attempts');
  return attempt + 1;
}

// ---------------------------------------------------------------------------------

/** A key being looked for, with its prefix computed once. */
interface Probe {
  readonly key: Term;
  readonly hi: number;
  readonly lo: number;
  readonly exact: boolean;
}

function probe(key: Term): Probe {
  const p: KeyPrefix = { hi: 0, lo: 0, exact: false };
  keyPrefix(key, p);
  return { key, hi: p.hi, lo: p.lo, exact: p.exact };
}

/** An object encoded for storage, before it has a block. */
interface Encoded {
  readonly etf: Uint8Array;
  readonly keyStart: number;
  readonly keyEnd: number;
  readonly probe: Probe;
}

/** What a write does to one key: keep it, delete it (null), or store an object. */
type Action = Encoded | null | undefined;

/** The current state of the keys of a write, as the write's `decide` sees it (under the locks). */
interface Current {
  present(i: number): boolean;
  object(i: number): Tuple;
  sameBytes(i: number, etf: Uint8Array): boolean;
}

export class OrderedStore implements TableStore {
  readonly type: TableType = 'ordered_set';
  readonly keypos: number;
  readonly root: number;
  readonly #heap: SharedHeap;
  // Fixed-length views over the heap's current length: length-tracking views of a growable
  // buffer are several times slower to index in V8. `#refresh` remakes them after growth.
  #w: Int32Array;
  #u: Uint32Array;
  #b: Uint8Array;
  #length: number;
  readonly #writeConcurrency: boolean;
  #scratch = new Uint32Array((LEAF_CAP + 1) * ENTRY_WORDS);

  /** @internal Use orderedStoreFactory. */
  constructor(heap: SharedHeap, root: number) {
    this.#heap = heap;
    this.root = root;
    this.#length = heap.buffer.byteLength & ~7;
    this.#w = new Int32Array(heap.buffer, 0, this.#length >>> 2);
    this.#u = new Uint32Array(heap.buffer, 0, this.#length >>> 2);
    this.#b = new Uint8Array(heap.buffer, 0, this.#length);
    if (root <= 0 || (root & 7) !== 0 || root + ROOT_BYTES > this.#b.length || this.#u[(root + R_MAGIC) >>> 2] !== MAGIC) {
      throw new InvalidArgumentError(`ordered_set: no ordered_set store at heap offset ${describeValue(root)}`);
    }
    this.keypos = this.#u[(root + R_KEYPOS) >>> 2]!;
    this.#writeConcurrency = (this.#u[(root + R_FLAGS) >>> 2]! & FLAG_WRITE) !== 0;
  }

  /** Makes an empty store (one empty leaf). Any thread. */
  static create(heap: SharedHeap, keypos: number, concurrency: StoreConcurrency): OrderedStore {
    if (!Number.isSafeInteger(keypos) || keypos < 1) {
      throw new InvalidArgumentError(`ordered_set: keypos must be a positive integer; received ${describeValue(keypos)}`);
    }
    const root = heap.alloc(ROOT_BYTES);
    let leaf = 0;
    let dir = 0;
    try {
      leaf = heap.alloc(LEAF_BYTES);
      dir = heap.alloc(D_ENTRIES + D_ENTRY);
    } catch (error) {
      if (leaf !== 0) heap.free(leaf);
      heap.free(root);
      throw error;
    }
    const b = new Uint8Array(heap.buffer);
    const u = new Uint32Array(heap.buffer);
    b.fill(0, root, root + ROOT_BYTES);
    b.fill(0, leaf, leaf + L_ENTRIES);
    b.fill(0, dir, dir + D_ENTRIES + D_ENTRY);
    u[(dir + D_COUNT) >>> 2] = 1;
    u[(dir + D_ENTRIES + DE_LEAF) >>> 2] = leaf;
    u[(root + R_DIR) >>> 2] = dir;
    u[(root + R_KEYPOS) >>> 2] = keypos;
    u[(root + R_FLAGS) >>> 2] = (concurrency.read ? FLAG_READ : 0) | (concurrency.write ? FLAG_WRITE : 0);
    u[(root + R_LIVE_LEAVES) >>> 2] = 1;
    Atomics.store(u, (root + R_MAGIC) >>> 2, MAGIC);
    return new OrderedStore(heap, root);
  }

  /** heap.alloc, then the views cover the new block. */
  #alloc(bytes: number): number {
    const at = this.#heap.alloc(bytes);
    this.#refresh();
    return at;
  }

  /** Remakes the views if the heap grew (on this or another thread). Call after alloc and before reading. */
  #refresh(): void {
    const length = this.#heap.buffer.byteLength & ~7;
    if (length === this.#length) return;
    const buffer = this.#heap.buffer;
    this.#length = length;
    this.#w = new Int32Array(buffer, 0, length >>> 2);
    this.#u = new Uint32Array(buffer, 0, length >>> 2);
    this.#b = new Uint8Array(buffer, 0, length);
  }

  // -------------------------------------------------------------------------------
  // Optimistic reading

  #inHeap(offset: number, bytes: number): boolean {
    return offset > 0 && (offset & 7) === 0 && offset + bytes <= this.#b.length;
  }

  #dirSeq(): number {
    return Atomics.load(this.#w, (this.root + R_DIR_SEQ) >>> 2);
  }

  #leafSeq(leaf: number): number {
    return Atomics.load(this.#w, (leaf + L_SEQ) >>> 2);
  }

  /** Number of leaves of `dir`, or -1 if `dir` does not look like a directory (a stale read). */
  #dirCount(dir: number): number {
    if (!this.#inHeap(dir, D_ENTRIES)) return -1;
    const n = this.#u[(dir + D_COUNT) >>> 2]!;
    if (n < 1 || n > MAX_LEAVES || dir + D_ENTRIES + n * D_ENTRY > this.#b.length) return -1;
    return n;
  }

  #dirLeaf(dir: number, i: number): number {
    return this.#u[(dir + D_ENTRIES + i * D_ENTRY + DE_LEAF) >>> 2]!;
  }

  /** The entry count of a leaf, clamped to the capacity (a torn read is caught by seq). */
  #count(leaf: number): number {
    const n = this.#u[(leaf + L_COUNT) >>> 2]!;
    return n > LEAF_CAP ? LEAF_CAP : n;
  }

  /**
   * Decodes the key bytes [start, end) of the heap. `check` < 0: the caller holds the lock
   * (decode in place). Else: copy, then decode only if the word `checkIndex` still holds
   * `check` (the copy was consistent); RETRY otherwise.
   */
  #keyAt(start: number, end: number, checkIndex: number, check: number): Term | typeof RETRY_KEY {
    if (end < start || end > this.#b.length || start <= 0) return RETRY_KEY;
    if (check < 0) return decodeTermAt(this.#b, start, DECODE).term;
    // A long copy from a torn read would be wasted work: check first.
    if (end - start > BIG_COPY && Atomics.load(this.#w, checkIndex) !== check) return RETRY_KEY;
    const copy = this.#b.slice(start, end);
    if (Atomics.load(this.#w, checkIndex) !== check) return RETRY_KEY;
    return decodeTermAt(copy, 0, DECODE).term;
  }

  /** Compares a probe with sep(i) of `dir`; RETRY if dirSeq moved from `s`. */
  #compareSep(p: Probe, dir: number, i: number, s: number): Cmp {
    const e = dir + D_ENTRIES + i * D_ENTRY;
    const u = this.#u;
    const c = comparePrefix(p.hi, p.lo, u[(e + DE_HI) >>> 2]!, u[(e + DE_LO) >>> 2]!);
    if (c !== 0) return c;
    const sep = u[(e + DE_SEP) >>> 2]!;
    if (p.exact && (sep & EXACT) !== 0) return 0;
    const at = sep & ~EXACT;
    if (!this.#inHeap(at, S_BYTES)) return RETRY;
    const key = this.#keyAt(at + S_BYTES, at + S_BYTES + u[(at + S_LEN) >>> 2]!, s < 0 ? 0 : (this.root + R_DIR_SEQ) >>> 2, s);
    if (key === RETRY_KEY) return RETRY;
    return compare(p.key, key);
  }

  /** Index of the leaf of `dir` (with `n` leaves) whose range holds the probe; -1: retry. */
  #route(p: Probe, dir: number, n: number, s: number): number {
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      const c = this.#compareSep(p, dir, mid, s);
      if (c === RETRY) return -1;
      if (c >= 0) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Compares a probe with entry j of a leaf; `ls` < 0: under the lock. */
  #compareEntry(p: Probe, leaf: number, j: number, ls: number): Cmp {
    const e = leaf + L_ENTRIES + j * ENTRY;
    const u = this.#u;
    const c = comparePrefix(p.hi, p.lo, u[(e + E_HI) >>> 2]!, u[(e + E_LO) >>> 2]!);
    if (c !== 0) return c;
    if (p.exact && (u[(e + E_FLAGS) >>> 2]! & EXACT) !== 0) return 0;
    const obj = u[(e + E_OBJ) >>> 2]!;
    if (!this.#inHeap(obj, O_ETF)) return RETRY;
    const base = obj + O_ETF;
    const key = this.#keyAt(base + u[(obj + O_KEY_START) >>> 2]!, base + u[(obj + O_KEY_END) >>> 2]!, (leaf + L_SEQ) >>> 2, ls);
    if (key === RETRY_KEY) return RETRY;
    return compare(p.key, key);
  }

  /**
   * Binary search of a leaf: 2 * (index of the first entry >= probe) + (1 if it is == the
   * probe); -1: retry (only when `ls` >= 0).
   */
  #find(p: Probe, leaf: number, count: number, ls: number): number {
    let lo = 0;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.#compareEntry(p, leaf, mid, ls);
      if (c === RETRY) return -1;
      if (c > 0) lo = mid + 1;
      else if (c < 0) hi = mid;
      else return mid * 2 + 1;
    }
    return lo * 2;
  }

  /** A copy of the ETF of entry j's object, or undefined if its offsets are not sane (retry). */
  #copyObject(leaf: number, j: number, ls: number): Uint8Array | undefined {
    const obj = this.#u[(leaf + L_ENTRIES + j * ENTRY + E_OBJ) >>> 2]!;
    if (!this.#inHeap(obj, O_ETF)) return undefined;
    const len = this.#u[(obj + O_LEN) >>> 2]!;
    if (obj + O_ETF + len > this.#b.length) return undefined;
    if (len > BIG_COPY && this.#leafSeq(leaf) !== ls) return undefined;
    return this.#b.slice(obj + O_ETF, obj + O_ETF + len);
  }

  /** A copy of entry j's key bytes (ETF body), or undefined (retry). */
  #copyKey(leaf: number, j: number, ls: number): Uint8Array | undefined {
    const obj = this.#u[(leaf + L_ENTRIES + j * ENTRY + E_OBJ) >>> 2]!;
    if (!this.#inHeap(obj, O_ETF)) return undefined;
    const start = obj + O_ETF + this.#u[(obj + O_KEY_START) >>> 2]!;
    const end = obj + O_ETF + this.#u[(obj + O_KEY_END) >>> 2]!;
    if (end < start || end > this.#b.length) return undefined;
    if (end - start > BIG_COPY && this.#leafSeq(leaf) !== ls) return undefined;
    return this.#b.slice(start, end);
  }

  /** Runs an optimistic read: `attempt` returns RETRY_READ to be run again on a fresh snapshot. */
  #read<R>(attempt: (s: number, dir: number, n: number) => R | typeof RETRY_READ): R {
    for (let tries = 0; ; tries = pause(tries)) {
      this.#refresh();
      const s = this.#dirSeq();
      if ((s & 1) !== 0) continue;
      const dir = Atomics.load(this.#u, (this.root + R_DIR) >>> 2);
      const n = this.#dirCount(dir);
      if (n < 0) continue;
      let r: R | typeof RETRY_READ;
      try {
        r = attempt(s, dir, n);
      } catch (error) {
        // A decode of a consistent copy cannot fail; a stale snapshot can make offsets
        // point anywhere, which the checks below turn into a retry.
        if (this.#dirSeq() !== s) continue;
        throw error;
      }
      if (r !== RETRY_READ) return r;
    }
  }

  lookup(key: Term): Tuple[] {
    const bytes = this.#find1(probe(key), true);
    return bytes === null ? [] : [decodeFrom(bytes as Uint8Array, 0, DECODE).term as Tuple];
  }

  member(key: Term): boolean {
    return this.#find1(probe(key), false) !== null;
  }

  /**
   * The optimistic read of one key (lookup, member), without #read's closure: a copy of the
   * object's ETF (`copy`) or true (found), null when absent.
   */
  #find1(p: Probe, copy: boolean): Uint8Array | true | null {
    for (let tries = 0; ; tries = pause(tries)) {
      this.#refresh();
      const s = this.#dirSeq();
      if ((s & 1) !== 0) continue;
      const dir = Atomics.load(this.#u, (this.root + R_DIR) >>> 2);
      const n = this.#dirCount(dir);
      if (n < 0) continue;
      try {
        const i = this.#route(p, dir, n, s);
        if (i < 0) continue;
        const leaf = this.#dirLeaf(dir, i);
        // dirSeq unchanged: the offset came from a live directory, so it is a real leaf.
        if (!this.#inHeap(leaf, LEAF_BYTES) || this.#dirSeq() !== s) continue;
        const ls = this.#leafSeq(leaf);
        if ((ls & 1) !== 0) continue;
        const r = this.#find(p, leaf, this.#count(leaf), ls);
        if (r < 0) continue;
        let out: Uint8Array | true | null = null;
        if ((r & 1) !== 0) {
          if (copy) {
            const bytes = this.#copyObject(leaf, r >>> 1, ls);
            if (bytes === undefined) continue;
            out = bytes;
          } else {
            out = true;
          }
        }
        if (this.#leafSeq(leaf) !== ls || this.#dirSeq() !== s) continue;
        return out;
      } catch (error) {
        if (this.#dirSeq() !== s) continue;
        throw error;
      }
    }
  }

  /**
   * The entries after (forward) or before (reverse) the probe (all of them when `p` is
   * undefined), from the first leaf that has any: copies of their key bytes or objects.
   */
  #batch(p: Probe | undefined, reverse: boolean, what: 'key' | 'object', limit: number): Uint8Array[] {
    return this.#read((s, dir, n) => {
      let i = p === undefined ? (reverse ? n - 1 : 0) : this.#route(p, dir, n, s);
      if (i < 0) return RETRY_READ;
      let bounded = p !== undefined;
      for (;;) {
        const leaf = this.#dirLeaf(dir, i);
        if (!this.#inHeap(leaf, LEAF_BYTES) || this.#dirSeq() !== s) return RETRY_READ;
        const ls = this.#leafSeq(leaf);
        if ((ls & 1) !== 0) return RETRY_READ;
        const count = this.#count(leaf);
        let from: number;
        let to: number;
        if (bounded) {
          const r = this.#find(p!, leaf, count, ls);
          if (r < 0) return RETRY_READ;
          if (reverse) {
            from = 0;
            to = r >>> 1;
          } else {
            from = (r >>> 1) + (r & 1);
            to = count;
          }
        } else {
          from = 0;
          to = count;
        }
        if (from < to) {
          const out: Uint8Array[] = [];
          if (reverse) {
            for (let j = to - 1; j >= from && out.length < limit; j--) {
              const c = what === 'key' ? this.#copyKey(leaf, j, ls) : this.#copyObject(leaf, j, ls);
              if (c === undefined) return RETRY_READ;
              out.push(c);
            }
          } else {
            for (let j = from; j < to && out.length < limit; j++) {
              const c = what === 'key' ? this.#copyKey(leaf, j, ls) : this.#copyObject(leaf, j, ls);
              if (c === undefined) return RETRY_READ;
              out.push(c);
            }
          }
          if (this.#leafSeq(leaf) !== ls || this.#dirSeq() !== s) return RETRY_READ;
          return out;
        }
        if (this.#leafSeq(leaf) !== ls) return RETRY_READ;
        // Every key of the following leaves is past the probe: no search there.
        bounded = false;
        i += reverse ? -1 : 1;
        if (i < 0 || i >= n) return this.#dirSeq() !== s ? RETRY_READ : [];
      }
    });
  }

  /** The first key after (reverse: before) `p`; the first (last) key of the table without `p`. */
  #neighbour(p: Probe | undefined, reverse: boolean): { readonly key: Term } | undefined {
    const keys = this.#batch(p, reverse, 'key', 1);
    return keys.length === 0 ? undefined : { key: decodeTermAt(keys[0]!, 0, DECODE).term };
  }

  first(): { readonly key: Term } | undefined {
    return this.#neighbour(undefined, false);
  }

  /** Any key may be given (the atom `undefined` too): the next key present in term order. */
  next(key: Term): { readonly key: Term } | undefined {
    return this.#neighbour(probe(key), false);
  }

  last(): { readonly key: Term } | undefined {
    return this.#neighbour(undefined, true);
  }

  prev(key: Term): { readonly key: Term } | undefined {
    return this.#neighbour(probe(key), true);
  }

  scan(visit: (object: Tuple) => boolean | void, reverse = false): void {
    let after: Probe | undefined;
    for (;;) {
      const batch = this.#batch(after, reverse, 'object', LEAF_CAP);
      if (batch.length === 0) return;
      let last: Tuple | undefined;
      for (const bytes of batch) {
        last = decodeFrom(bytes, 0, DECODE).term as Tuple;
        if (visit(last) === false) return;
      }
      after = probe(last!.elements[this.keypos - 1]!);
    }
  }

  size(): number {
    return this.#read((s, dir, n) => {
      let total = 0;
      for (let i = 0; i < n; i++) {
        const leaf = this.#dirLeaf(dir, i);
        if (!this.#inHeap(leaf, LEAF_BYTES)) return RETRY_READ;
        total += this.#count(leaf);
      }
      return this.#dirSeq() === s ? total : RETRY_READ;
    });
  }

  memoryBytes(): number {
    const heap = this.#heap;
    return this.#read((s, dir, n) => {
      const u = this.#u;
      let total = heap.sizeOf(this.root) + heap.sizeOf(dir);
      for (let i = 0; i < n; i++) {
        const leaf = this.#dirLeaf(dir, i);
        if (!this.#inHeap(leaf, LEAF_BYTES)) return RETRY_READ;
        total += u[(leaf + L_OBJ_BYTES) >>> 2]!;
      }
      const leaves = u[(this.root + R_LIVE_LEAVES) >>> 2]! + u[(this.root + R_FREE_LEAVES) >>> 2]!;
      total += leaves * heap.sizeOf(this.#dirLeaf(dir, 0)) + u[(this.root + R_SEP_BYTES) >>> 2]!;
      return this.#dirSeq() === s ? total : RETRY_READ;
    });
  }

  // -------------------------------------------------------------------------------
  // Writing

  #encode(object: Tuple, what: string): Encoded {
    if (!(object instanceof Tuple) || object.size < this.keypos) {
      throw new InvalidArgumentError(`ordered_set: ${what} must be a tuple of at least ${this.keypos} elements (keypos); received ${describeValue(object)}`);
    }
    const etf = termToBinary(object, ENCODE);
    let at: number;
    let arity: number;
    if (etf[1] === SMALL_TUPLE_EXT) {
      arity = etf[2]!;
      at = 3;
    } else if (etf[1] === LARGE_TUPLE_EXT) {
      arity = ((etf[2]! << 24) | (etf[3]! << 16) | (etf[4]! << 8) | etf[5]!) >>> 0;
      at = 6;
    } else {
      throw new BeamError(ErrorCode.SHM_CORRUPT, `ordered_set: a tuple encoded with tag ${etf[1]}, not a tuple tag`);
    }
    if (arity !== object.size) throw new BeamError(ErrorCode.SHM_CORRUPT, `ordered_set: a tuple of ${object.size} encoded with arity ${arity}`);
    for (let i = 1; i < this.keypos; i++) at = skipTerm(etf, at);
    const keyEnd = skipTerm(etf, at);
    return { etf, keyStart: at, keyEnd, probe: probe(object.elements[this.keypos - 1]!) };
  }

  /** Sorts encoded objects by key; of equal keys (==) the last in the list wins, as ets:insert does. */
  #sortUnique(items: Encoded[]): Encoded[] {
    if (items.length <= 1) return items;
    const order = items.map((_, i) => i);
    order.sort((a, b) => {
      const x = items[a]!.probe;
      const y = items[b]!.probe;
      const c = comparePrefix(x.hi, x.lo, y.hi, y.lo) || (x.exact && y.exact ? 0 : compare(x.key, y.key));
      return c !== 0 ? c : a - b;
    });
    const out: Encoded[] = [];
    for (let k = 0; k < order.length; k++) {
      const item = items[order[k]!]!;
      const prev = out[out.length - 1];
      if (prev !== undefined && sameKey(prev.probe, item.probe)) out[out.length - 1] = item;
      else out.push(item);
    }
    return out;
  }

  #lockTable(): void {
    if (!this.#writeConcurrency) lockWord(this.#w, (this.root + R_TABLE_LOCK) >>> 2);
  }

  #unlockTable(): void {
    if (!this.#writeConcurrency) unlockWord(this.#w, (this.root + R_TABLE_LOCK) >>> 2);
  }

  #lockDir(): void {
    lockWord(this.#w, (this.root + R_DIR_LOCK) >>> 2);
  }

  #unlockDir(): void {
    unlockWord(this.#w, (this.root + R_DIR_LOCK) >>> 2);
  }

  /**
   * The one write path. `probes` are sorted by key and distinct. Locks the leaves of the
   * keys, calls `decide` with their current objects, and applies its actions atomically.
   * Returns what `decide` returned with the actions.
   */
  #write<R>(probes: readonly Probe[], decide: (current: Current) => { actions: readonly Action[]; result: R }): R {
    this.#lockTable();
    try {
      for (let tries = 0; ; tries = pause(tries)) {
        const locked = this.#lockLeaves(probes);
        if (locked === undefined) continue;
        try {
          return this.#apply(probes, locked.leaves, locked.leafOf, decide);
        } finally {
          for (const leaf of locked.leaves) unlockWord(this.#w, (leaf + L_LOCK) >>> 2);
        }
      }
    } finally {
      this.#unlockTable();
    }
  }

  /** Routes and locks the leaves of `probes`; undefined if the directory moved (retry). */
  #lockLeaves(probes: readonly Probe[]): { leaves: number[]; leafOf: number[] } | undefined {
    this.#refresh();
    const s = this.#dirSeq();
    if ((s & 1) !== 0) return undefined;
    const dir = Atomics.load(this.#u, (this.root + R_DIR) >>> 2);
    const n = this.#dirCount(dir);
    if (n < 0) return undefined;
    const leaves: number[] = [];
    const leafOf: number[] = [];
    try {
      for (const p of probes) {
        const i = this.#route(p, dir, n, s);
        if (i < 0) return undefined;
        const leaf = this.#dirLeaf(dir, i);
        if (leaves[leaves.length - 1] !== leaf) leaves.push(leaf);
        leafOf.push(leaves.length - 1);
      }
    } catch (error) {
      if (this.#dirSeq() !== s) return undefined;
      throw error;
    }
    // The leaf offsets come from a directory that was current at s: real leaves.
    if (this.#dirSeq() !== s) return undefined;
    const w = this.#w;
    if (leaves.length === 1) {
      lockWord(w, (leaves[0]! + L_LOCK) >>> 2);
    } else {
      for (let k = 0; k < leaves.length; k++) {
        if (!tryLockWord(w, (leaves[k]! + L_LOCK) >>> 2)) {
          for (let m = 0; m < k; m++) unlockWord(w, (leaves[m]! + L_LOCK) >>> 2);
          return undefined;
        }
      }
    }
    if (this.#dirSeq() !== s) {
      for (const leaf of leaves) unlockWord(w, (leaf + L_LOCK) >>> 2);
      return undefined;
    }
    // Objects of these leaves may have been allocated (past our views) by other threads
    // before we took the locks.
    this.#refresh();
    return { leaves, leafOf };
  }

  #apply<R>(
    probes: readonly Probe[],
    leaves: readonly number[],
    leafOf: readonly number[],
    decide: (current: Current) => { actions: readonly Action[]; result: R },
  ): R {
    let u = this.#u;
    const heap = this.#heap;
    // Where each key is (stable: we hold the locks).
    const pos: number[] = [];
    for (let k = 0; k < probes.length; k++) {
      const leaf = leaves[leafOf[k]!]!;
      const r = this.#find(probes[k]!, leaf, this.#count(leaf), -1);
      if (r < 0) throw new BeamError(ErrorCode.SHM_CORRUPT, `ordered_set: leaf at ${leaf} holds an object offset outside the heap`);
      pos.push(r);
    }
    const objectOf = (k: number): number => {
      const r = pos[k]!;
      if ((r & 1) === 0) throw new InvalidArgumentError(`ordered_set: key ${k} of the write is not present`);
      return u[(leaves[leafOf[k]!]! + L_ENTRIES + (r >>> 1) * ENTRY + E_OBJ) >>> 2]!;
    };
    const current: Current = {
      present: (k) => (pos[k]! & 1) !== 0,
      object: (k) => decodeFrom(this.#b, objectOf(k) + O_ETF, DECODE).term as Tuple,
      sameBytes: (k, etf) => {
        const obj = objectOf(k);
        if (u[(obj + O_LEN) >>> 2] !== etf.length) return false;
        const base = obj + O_ETF;
        for (let i = 0; i < etf.length; i++) if (this.#b[base + i] !== etf[i]) return false;
        return true;
      },
    };
    const { actions, result } = decide(current);

    // Allocate every new object block first: HeapExhausted leaves the table unchanged.
    const blocks: number[] = new Array<number>(probes.length).fill(0);
    let changed = false;
    try {
      for (let k = 0; k < probes.length; k++) {
        const a = actions[k];
        if (a === undefined) continue;
        if (a === null) {
          if ((pos[k]! & 1) !== 0) changed = true;
          continue;
        }
        changed = true;
        const block = this.#alloc(O_ETF + a.etf.length);
        blocks[k] = block;
        this.#u[(block + O_LEN) >>> 2] = a.etf.length;
        this.#u[(block + O_KEY_START) >>> 2] = a.keyStart;
        this.#u[(block + O_KEY_END) >>> 2] = a.keyEnd;
        this.#b.set(a.etf, block + O_ETF);
      }
    } catch (error) {
      for (const block of blocks) if (block !== 0) heap.free(block);
      throw error;
    }
    if (!changed) return result;
    u = this.#u;
    if (probes.length === 1 && this.#applyOne(leaves[0]!, pos[0]!, actions[0], blocks[0]!)) return result;

    // New entry arrays, leaf by leaf (in scratch memory).
    const merged: Uint32Array[] = [];
    const counts: number[] = [];
    const deltas: number[] = [];
    const freed: number[] = [];
    let k = 0;
    let split = false;
    for (let l = 0; l < leaves.length; l++) {
      const leaf = leaves[l]!;
      const count = this.#count(leaf);
      let end = k;
      while (end < probes.length && leafOf[end] === l) end++;
      const words = (count + (end - k)) * ENTRY_WORDS;
      let out = leaves.length === 1 && this.#scratch.length >= words ? this.#scratch : new Uint32Array(words);
      if (leaves.length === 1 && out !== this.#scratch) this.#scratch = out;
      let o = 0;
      let j = 0;
      let delta = 0;
      const base = (leaf + L_ENTRIES) >>> 2;
      for (; k < end; k++) {
        const at = pos[k]! >>> 1;
        const found = (pos[k]! & 1) !== 0;
        if (at > j) {
          out.set(u.subarray(base + j * ENTRY_WORDS, base + at * ENTRY_WORDS), o);
          o += (at - j) * ENTRY_WORDS;
          j = at;
        }
        const a = actions[k];
        if (found) {
          if (a === undefined) {
            out.set(u.subarray(base + j * ENTRY_WORDS, base + (j + 1) * ENTRY_WORDS), o);
            o += ENTRY_WORDS;
          } else {
            const old = u[base + j * ENTRY_WORDS + E_OBJ / 4]!;
            freed.push(old);
            delta -= heap.sizeOf(old);
          }
          j++;
        }
        if (a !== undefined && a !== null) {
          const p = a.probe;
          out[o] = p.hi;
          out[o + 1] = p.lo;
          out[o + 2] = blocks[k]!;
          delta += heap.sizeOf(blocks[k]!);
          out[o + 3] = p.exact ? EXACT : 0;
          o += ENTRY_WORDS;
        }
      }
      if (count > j) {
        out.set(u.subarray(base + j * ENTRY_WORDS, base + count * ENTRY_WORDS), o);
        o += (count - j) * ENTRY_WORDS;
      }
      if (out.length !== o) out = out.subarray(0, o);
      merged.push(out);
      counts.push(o / ENTRY_WORDS);
      deltas.push(delta);
      if (o / ENTRY_WORDS > LEAF_CAP) split = true;
    }

    let plan: SplitPlan | undefined;
    if (split) {
      this.#lockDir();
      this.#refresh(); // the directory may have been allocated by another thread
      try {
        plan = this.#planSplits(leaves, merged, counts, probes.length === 1 ? pos[0]! >>> 1 : -1);
      } catch (error) {
        this.#unlockDir();
        for (const block of blocks) if (block !== 0) heap.free(block);
        throw error;
      }
    }

    // Apply: every leaf odd, change, publish, every leaf even.
    const w = this.#w;
    for (const leaf of leaves) Atomics.add(w, (leaf + L_SEQ) >>> 2, 1);
    for (const obj of freed) heap.free(obj);
    if (plan === undefined) {
      for (let l = 0; l < leaves.length; l++) {
        const leaf = leaves[l]!;
        u.set(merged[l]!, (leaf + L_ENTRIES) >>> 2);
        u[(leaf + L_COUNT) >>> 2] = counts[l]!;
        u[(leaf + L_OBJ_BYTES) >>> 2]! += deltas[l]!;
      }
    } else {
      this.#applySplits(plan);
      this.#unlockDir();
    }
    for (const leaf of leaves) Atomics.add(w, (leaf + L_SEQ) >>> 2, 1);

    if (leaves.length === 1 && plan === undefined && counts[0]! < MERGE_BELOW) this.#tryMerge(leaves[0]!);
    return result;
  }

  /**
   * The common case in place: one key, no split. False (nothing done) when the leaf is full
   * and the key is new. Caller holds the leaf; `block` is the new object's block (0: delete).
   */
  #applyOne(leaf: number, r: number, action: Action, block: number): boolean {
    const u = this.#u;
    const w = this.#w;
    const heap = this.#heap;
    const count = this.#count(leaf);
    const found = (r & 1) !== 0;
    const at = leaf + L_ENTRIES + (r >>> 1) * ENTRY;
    const end = leaf + L_ENTRIES + count * ENTRY;
    if (!found && count === LEAF_CAP) return false;
    const old = found ? u[(at + E_OBJ) >>> 2]! : 0;
    const delta = (block !== 0 ? heap.sizeOf(block) : 0) - (old !== 0 ? heap.sizeOf(old) : 0);
    Atomics.add(w, (leaf + L_SEQ) >>> 2, 1);
    if (action === null || action === undefined) {
      u.copyWithin(at >>> 2, (at + ENTRY) >>> 2, end >>> 2);
      u[(leaf + L_COUNT) >>> 2] = count - 1;
    } else {
      if (!found) {
        u.copyWithin((at + ENTRY) >>> 2, at >>> 2, end >>> 2);
        u[(leaf + L_COUNT) >>> 2] = count + 1;
      }
      const p = action.probe;
      u[(at + E_HI) >>> 2] = p.hi;
      u[(at + E_LO) >>> 2] = p.lo;
      u[(at + E_OBJ) >>> 2] = block;
      u[(at + E_FLAGS) >>> 2] = p.exact ? EXACT : 0;
    }
    u[(leaf + L_OBJ_BYTES) >>> 2]! += delta;
    if (old !== 0) heap.free(old);
    Atomics.add(w, (leaf + L_SEQ) >>> 2, 1);
    if (action === null && count - 1 < MERGE_BELOW) this.#tryMerge(leaf);
    return true;
  }

  /** Writes entries [from, to) of `entries` as the whole content of `leaf` (caller holds it, seq odd). */
  #writeLeaf(leaf: number, entries: Uint32Array, from: number, to: number): void {
    const u = this.#u;
    u.set(entries.subarray(from * ENTRY_WORDS, to * ENTRY_WORDS), (leaf + L_ENTRIES) >>> 2);
    u[(leaf + L_COUNT) >>> 2] = to - from;
    let bytes = 0;
    for (let j = from; j < to; j++) bytes += this.#heap.sizeOf(entries[j * ENTRY_WORDS + E_OBJ / 4]!);
    u[(leaf + L_OBJ_BYTES) >>> 2] = bytes;
  }

  /** A leaf for a new directory entry: from the free list, else new. Under dirLock. */
  #takeLeaf(): number {
    const u = this.#u;
    const head = u[(this.root + R_FREE_LEAF) >>> 2]!;
    if (head !== 0) {
      u[(this.root + R_FREE_LEAF) >>> 2] = u[(head + L_NEXT_FREE) >>> 2]!;
      u[(this.root + R_FREE_LEAVES) >>> 2]! -= 1;
      u[(this.root + R_LIVE_LEAVES) >>> 2]! += 1;
      return head;
    }
    const leaf = this.#alloc(LEAF_BYTES);
    this.#b.fill(0, leaf, leaf + L_ENTRIES);
    u[(this.root + R_LIVE_LEAVES) >>> 2]! += 1;
    return leaf;
  }

  /** Puts a leaf out of the directory on the free list. Under dirLock. */
  #putLeaf(leaf: number): void {
    const u = this.#u;
    u[(leaf + L_COUNT) >>> 2] = 0;
    u[(leaf + L_OBJ_BYTES) >>> 2] = 0;
    u[(leaf + L_NEXT_FREE) >>> 2] = u[(this.root + R_FREE_LEAF) >>> 2]!;
    u[(this.root + R_FREE_LEAF) >>> 2] = leaf;
    u[(this.root + R_FREE_LEAVES) >>> 2]! += 1;
    u[(this.root + R_LIVE_LEAVES) >>> 2]! -= 1;
  }

  /** A separator block holding the key of entry j of `entries`. */
  #makeSeparator(entries: Uint32Array, j: number): number {
    let u = this.#u;
    const obj = entries[j * ENTRY_WORDS + E_OBJ / 4]!;
    const start = obj + O_ETF + u[(obj + O_KEY_START) >>> 2]!;
    const end = obj + O_ETF + u[(obj + O_KEY_END) >>> 2]!;
    const sep = this.#alloc(S_BYTES + end - start);
    u = this.#u;
    u[(sep + S_LEN) >>> 2] = end - start;
    this.#b.copyWithin(sep + S_BYTES, start, end);
    u[(this.root + R_SEP_BYTES) >>> 2]! += this.#heap.sizeOf(sep);
    return sep;
  }

  /**
   * Allocates what the splits need (new leaves, separators, the new directory) without
   * changing anything visible. `at`: for a one-key write, where it went (to fill the left
   * leaf when keys arrive in ascending order, the right one for descending). Under dirLock.
   */
  #planSplits(leaves: readonly number[], merged: readonly Uint32Array[], counts: readonly number[], at: number): SplitPlan {
    const u = this.#u;
    const dir = u[(this.root + R_DIR) >>> 2]!;
    const n = u[(dir + D_COUNT) >>> 2]!;
    const chunks: number[][] = [];
    let extra = 0;
    for (let l = 0; l < leaves.length; l++) {
      const m = counts[l]!;
      const cuts = [0];
      if (m > LEAF_CAP) {
        // Keys arriving in ascending (descending) order at the end (start) of the table:
        // leave the old leaf full.
        if (leaves.length === 1 && at === m - 1 && this.#dirLeaf(dir, n - 1) === leaves[0]) cuts.push(LEAF_CAP);
        else if (leaves.length === 1 && at === 0 && this.#dirLeaf(dir, 0) === leaves[0]) cuts.push(m - LEAF_CAP);
        else {
          const parts = Math.max(2, Math.ceil(m / SPLIT_FILL));
          for (let c = 1; c < parts; c++) cuts.push(Math.round((m * c) / parts));
        }
      }
      cuts.push(m);
      chunks.push(cuts);
      extra += cuts.length - 2;
    }
    const newLeaves: number[] = [];
    const seps: number[] = [];
    let newDir = 0;
    try {
      for (let e = 0; e < extra; e++) newLeaves.push(this.#takeLeaf());
      for (let l = 0; l < leaves.length; l++) {
        const cuts = chunks[l]!;
        for (let c = 1; c < cuts.length - 1; c++) seps.push(this.#makeSeparator(merged[l]!, cuts[c]!));
      }
      newDir = this.#alloc(D_ENTRIES + (n + extra) * D_ENTRY);
    } catch (error) {
      for (const leaf of newLeaves) this.#putLeaf(leaf);
      for (const sep of seps) {
        u[(this.root + R_SEP_BYTES) >>> 2]! -= this.#heap.sizeOf(sep);
        this.#heap.free(sep);
      }
      throw error;
    }
    return { dir, n, newDir, leaves, merged, chunks, newLeaves, seps };
  }

  /** Fills the new leaves and publishes the new directory. Under dirLock, the leaves locked and odd. */
  #applySplits(plan: SplitPlan): void {
    const u = this.#u;
    const w = this.#w;
    const { dir, n, newDir, leaves, merged, chunks, newLeaves, seps } = plan;
    const chunkAt = new Map<number, number>();
    leaves.forEach((leaf, l) => chunkAt.set(leaf, l));
    let nl = 0;
    let sp = 0;
    let o = newDir + D_ENTRIES;
    for (let i = 0; i < n; i++) {
      const e = dir + D_ENTRIES + i * D_ENTRY;
      u.copyWithin(o >>> 2, e >>> 2, (e + D_ENTRY) >>> 2);
      o += D_ENTRY;
      const l = chunkAt.get(u[(e + DE_LEAF) >>> 2]!);
      if (l === undefined) continue;
      const cuts = chunks[l]!;
      const entries = merged[l]!;
      this.#writeLeaf(leaves[l]!, entries, cuts[0]!, cuts[1]!);
      for (let c = 1; c < cuts.length - 1; c++) {
        const leaf = newLeaves[nl++]!;
        Atomics.add(w, (leaf + L_SEQ) >>> 2, 1);
        this.#writeLeaf(leaf, entries, cuts[c]!, cuts[c + 1]!);
        Atomics.add(w, (leaf + L_SEQ) >>> 2, 1);
        const first = cuts[c]! * ENTRY_WORDS;
        u[(o + DE_LEAF) >>> 2] = leaf;
        u[(o + DE_HI) >>> 2] = entries[first + E_HI / 4]!;
        u[(o + DE_LO) >>> 2] = entries[first + E_LO / 4]!;
        u[(o + DE_SEP) >>> 2] = seps[sp++]! | (entries[first + E_FLAGS / 4]! & EXACT);
        o += D_ENTRY;
      }
    }
    u[(newDir + D_COUNT) >>> 2] = (o - newDir - D_ENTRIES) / D_ENTRY;
    this.#publish(dir, newDir);
  }

  /** Replaces the directory. Under dirLock. */
  #publish(oldDir: number, newDir: number): void {
    const w = this.#w;
    Atomics.add(w, (this.root + R_DIR_SEQ) >>> 2, 1);
    Atomics.store(w, (this.root + R_DIR) >>> 2, newDir);
    this.#heap.free(oldDir);
    Atomics.add(w, (this.root + R_DIR_SEQ) >>> 2, 1);
  }

  /**
   * Merges a leaf (locked by the caller, seq even) with a neighbour it can lock without
   * waiting, when both fit in MERGE_FILL entries. Best effort: gives up on contention or
   * when the heap has no room for the new directory.
   */
  #tryMerge(leaf: number): void {
    this.#lockDir();
    this.#refresh();
    let u = this.#u;
    let w = this.#w;
    try {
      const dir = u[(this.root + R_DIR) >>> 2]!;
      const n = u[(dir + D_COUNT) >>> 2]!;
      if (n < 2) return;
      let i = 0;
      while (i < n && this.#dirLeaf(dir, i) !== leaf) i++;
      if (i === n) return;
      for (const other of [i + 1, i - 1]) {
        if (other < 0 || other >= n) continue;
        const nb = this.#dirLeaf(dir, other);
        if (this.#count(leaf) + this.#count(nb) > MERGE_FILL) continue;
        if (!tryLockWord(w, (nb + L_LOCK) >>> 2)) continue;
        try {
          // Both locked now: counts are stable (the leaf's, ours, was already).
          if (this.#count(leaf) + this.#count(nb) > MERGE_FILL) continue;
          let newDir: number;
          try {
            newDir = this.#alloc(D_ENTRIES + (n - 1) * D_ENTRY);
          } catch {
            return;
          }
          u = this.#u;
          w = this.#w;
          const left = Math.min(i, other);
          const right = left + 1;
          const lLeaf = this.#dirLeaf(dir, left);
          const rLeaf = this.#dirLeaf(dir, right);
          Atomics.add(w, (lLeaf + L_SEQ) >>> 2, 1);
          Atomics.add(w, (rLeaf + L_SEQ) >>> 2, 1);
          const lc = this.#count(lLeaf);
          const rc = this.#count(rLeaf);
          u.copyWithin((lLeaf + L_ENTRIES + lc * ENTRY) >>> 2, (rLeaf + L_ENTRIES) >>> 2, (rLeaf + L_ENTRIES + rc * ENTRY) >>> 2);
          u[(lLeaf + L_COUNT) >>> 2] = lc + rc;
          u[(lLeaf + L_OBJ_BYTES) >>> 2]! += u[(rLeaf + L_OBJ_BYTES) >>> 2]!;
          const re = dir + D_ENTRIES + right * D_ENTRY;
          const sep = u[(re + DE_SEP) >>> 2]! & ~EXACT;
          u.copyWithin((newDir + D_ENTRIES) >>> 2, (dir + D_ENTRIES) >>> 2, re >>> 2);
          u.copyWithin((newDir + D_ENTRIES + right * D_ENTRY) >>> 2, (re + D_ENTRY) >>> 2, (dir + D_ENTRIES + n * D_ENTRY) >>> 2);
          u[(newDir + D_COUNT) >>> 2] = n - 1;
          this.#publish(dir, newDir);
          u[(this.root + R_SEP_BYTES) >>> 2]! -= this.#heap.sizeOf(sep);
          this.#heap.free(sep);
          this.#putLeaf(rLeaf);
          Atomics.add(w, (lLeaf + L_SEQ) >>> 2, 1);
          Atomics.add(w, (rLeaf + L_SEQ) >>> 2, 1);
          return;
        } finally {
          unlockWord(w, (nb + L_LOCK) >>> 2);
        }
      }
    } finally {
      this.#unlockDir();
    }
  }

  insert(objects: readonly Tuple[]): void {
    if (!Array.isArray(objects)) throw new InvalidArgumentError(`ordered_set: insert expects a list of tuples; received ${describeValue(objects)}`);
    const items = this.#sortUnique(objects.map((o, i) => this.#encode(o, `object ${i + 1}`)));
    if (items.length === 0) return;
    this.#write(
      items.map((e) => e.probe),
      () => ({ actions: items, result: undefined }),
    );
  }

  insertNew(objects: readonly Tuple[]): boolean {
    if (!Array.isArray(objects)) throw new InvalidArgumentError(`ordered_set: insert_new expects a list of tuples; received ${describeValue(objects)}`);
    const items = this.#sortUnique(objects.map((o, i) => this.#encode(o, `object ${i + 1}`)));
    if (items.length === 0) return true;
    return this.#write(
      items.map((e) => e.probe),
      (current) => {
        for (let k = 0; k < items.length; k++) if (current.present(k)) return { actions: [], result: false };
        return { actions: items, result: true };
      },
    );
  }

  delete(key: Term): boolean {
    return this.#write([probe(key)], (current) => (current.present(0) ? { actions: [null], result: true } : { actions: [], result: false }));
  }

  take(key: Term): Tuple[] {
    return this.#write([probe(key)], (current) => (current.present(0) ? { actions: [null], result: [current.object(0)] } : { actions: [], result: [] as Tuple[] }));
  }

  deleteObject(object: Tuple): void {
    if (!(object instanceof Tuple) || object.size < this.keypos) return; // matches nothing
    this.#write([probe(object.elements[this.keypos - 1]!)], (current) => ({
      actions: current.present(0) && exactEquals(current.object(0), object) ? [null] : [],
      result: undefined,
    }));
  }

  modify<R>(key: Term, update: (current: readonly Tuple[]) => { readonly objects?: readonly Tuple[]; readonly result: R }): R {
    const p = probe(key);
    return this.#write([p], (current) => {
      const r = update(current.present(0) ? [current.object(0)] : []);
      if (r.objects === undefined) return { actions: [], result: r.result };
      if (r.objects.length > 1) {
        throw new InvalidArgumentError(`ordered_set: modify may store at most one object for a key; received ${r.objects.length}`);
      }
      if (r.objects.length === 0) return { actions: [null], result: r.result };
      const e = this.#encode(r.objects[0]!, 'the modified object');
      if (!sameKey(e.probe, p)) {
        throw new InvalidArgumentError(`ordered_set: modify must keep the key ${describeValue(key)}; received ${describeValue(e.probe.key)}`);
      }
      return { actions: [e], result: r.result };
    });
  }

  deleteWhere(select: (object: Tuple) => boolean): number {
    let deleted = 0;
    let after: Probe | undefined;
    for (;;) {
      const batch = this.#batch(after, false, 'object', LEAF_CAP);
      if (batch.length === 0) return deleted;
      const doomed: { probe: Probe; etf: Uint8Array }[] = [];
      let last: Tuple | undefined;
      for (const etf of batch) {
        last = decodeFrom(etf, 0, DECODE).term as Tuple;
        if (select(last)) doomed.push({ probe: probe(last.elements[this.keypos - 1]!), etf });
      }
      if (doomed.length > 0) {
        deleted += this.#write(
          doomed.map((d) => d.probe),
          (current) => {
            let count = 0;
            const actions = doomed.map((d, k) => {
              if (current.present(k) && current.sameBytes(k, d.etf)) {
                count++;
                return null;
              }
              return undefined;
            });
            return { actions, result: count };
          },
        );
      }
      after = probe(last!.elements[this.keypos - 1]!);
    }
  }

  deleteAll(): void {
    this.#lockTable();
    try {
      for (let tries = 0; ; tries = pause(tries)) {
        if (this.#clear(false)) return;
      }
    } finally {
      this.#unlockTable();
    }
  }

  /** Empties the table (all leaves locked by try-lock, then dirLock); false to retry. `destroying`: also frees the leaves. */
  #clear(destroying: boolean): boolean {
    this.#refresh();
    let u = this.#u;
    let w = this.#w;
    const s = this.#dirSeq();
    if ((s & 1) !== 0) return false;
    const dir = Atomics.load(u, (this.root + R_DIR) >>> 2);
    const n = this.#dirCount(dir);
    if (n < 0) return false;
    const leaves: number[] = [];
    for (let i = 0; i < n; i++) leaves.push(this.#dirLeaf(dir, i));
    if (this.#dirSeq() !== s) return false;
    for (let k = 0; k < leaves.length; k++) {
      if (!tryLockWord(w, (leaves[k]! + L_LOCK) >>> 2)) {
        for (let m = 0; m < k; m++) unlockWord(w, (leaves[m]! + L_LOCK) >>> 2);
        return false;
      }
    }
    try {
      if (this.#dirSeq() !== s) return false;
      this.#lockDir();
      this.#refresh();
      u = this.#u;
      w = this.#w;
      try {
        const newDir = destroying ? 0 : this.#alloc(D_ENTRIES + D_ENTRY);
        u = this.#u;
        w = this.#w;
        for (const leaf of leaves) Atomics.add(w, (leaf + L_SEQ) >>> 2, 1);
        for (const leaf of leaves) {
          const count = this.#count(leaf);
          for (let j = 0; j < count; j++) this.#heap.free(u[(leaf + L_ENTRIES + j * ENTRY + E_OBJ) >>> 2]!);
        }
        for (let i = 1; i < n; i++) {
          const sep = u[(dir + D_ENTRIES + i * D_ENTRY + DE_SEP) >>> 2]! & ~EXACT;
          u[(this.root + R_SEP_BYTES) >>> 2]! -= this.#heap.sizeOf(sep);
          this.#heap.free(sep);
        }
        if (destroying) return true;
        this.#b.fill(0, newDir, newDir + D_ENTRIES + D_ENTRY);
        u[(newDir + D_COUNT) >>> 2] = 1;
        u[(newDir + D_ENTRIES + DE_LEAF) >>> 2] = leaves[0]!;
        u[(leaves[0]! + L_COUNT) >>> 2] = 0;
        u[(leaves[0]! + L_OBJ_BYTES) >>> 2] = 0;
        for (let k = 1; k < leaves.length; k++) this.#putLeaf(leaves[k]!);
        this.#publish(dir, newDir);
        for (const leaf of leaves) Atomics.add(w, (leaf + L_SEQ) >>> 2, 1);
        return true;
      } finally {
        this.#unlockDir();
      }
    } finally {
      for (const leaf of leaves) unlockWord(w, (leaf + L_LOCK) >>> 2);
    }
  }

  destroy(): void {
    const u = this.#u;
    for (let tries = 0; !this.#clear(true); tries = pause(tries)) {
      // another thread still writes: wait for it (the contract says none should)
    }
    const dir = u[(this.root + R_DIR) >>> 2]!;
    const n = u[(dir + D_COUNT) >>> 2]!;
    for (let i = 0; i < n; i++) this.#heap.free(this.#dirLeaf(dir, i));
    for (let leaf = u[(this.root + R_FREE_LEAF) >>> 2]!; leaf !== 0; ) {
      const next = u[(leaf + L_NEXT_FREE) >>> 2]!;
      this.#heap.free(leaf);
      leaf = next;
    }
    this.#heap.free(dir);
    u[(this.root + R_MAGIC) >>> 2] = 0;
    this.#heap.free(this.root);
  }
}

interface SplitPlan {
  readonly dir: number;
  readonly n: number;
  readonly newDir: number;
  readonly leaves: readonly number[];
  readonly merged: readonly Uint32Array[];
  readonly chunks: readonly (readonly number[])[];
  readonly newLeaves: readonly number[];
  readonly seps: readonly number[];
}

const RETRY_KEY: unique symbol = Symbol('beamjs.ordered_store.retryKey');
const RETRY_READ: unique symbol = Symbol('beamjs.ordered_store.retryRead');

function sameKey(a: Probe, b: Probe): boolean {
  if (a.hi !== b.hi || a.lo !== b.lo) return false;
  return (a.exact && b.exact) || compare(a.key, b.key) === 0;
}

/** The ordered_set storage: `create` makes a table in the heap, `attach` opens it on any thread from its root. */
export const orderedStoreFactory: TableStoreFactory = {
  create(heap: SharedHeap, type: TableType, keypos: number, concurrency: StoreConcurrency): TableStore {
    if (type !== 'ordered_set') {
      throw new InvalidArgumentError(`ordered_set store: type must be 'ordered_set'; received ${describeValue(type)}`);
    }
    return OrderedStore.create(heap, keypos, concurrency);
  },
  attach(heap: SharedHeap, root: number): TableStore {
    return new OrderedStore(heap, root);
  },
};
