/**
 * src/ets/hash_store.ts: the TableStore of set, bag and duplicate_bag tables (table_store.ts):
 * open hashing (separate chaining) in the SharedHeap, lock striping for write_concurrency and
 * seqlock readers (every table).
 *
 * Layout of the root block (byte offsets from `root`, which is 64-byte aligned inside its block):
 *
 *   | offset     | bytes | field     | written by                   | read by          | access                    |
 *   |-----------:|------:|-----------|------------------------------|------------------|---------------------------|
 *   | 0          | 4     | magic     | create, once                 | attach           | plain (before sharing)    |
 *   | 4          | 4     | type      | create, once                 | attach           | plain                     |
 *   | 8          | 4     | keypos    | create, once                 | attach           | plain                     |
 *   | 12         | 4     | flags     | create, once (bit 0 read_concurrency, bit 1 write_concurrency) | attach | plain |
 *   | 16         | 4     | stripes N | create, once (a power of two)| attach           | plain                     |
 *   | 20         | 4     | buckets   | resize, under every stripe lock | anyone        | Atomics.store / load      |
 *   | 24         | 4     | nbuckets B| resize, under every stripe lock | anyone        | Atomics.store / load      |
 *   | 28         | 4     | base      | create (the block's offset, for destroy) | destroy | plain                   |
 *   | 64 + 64 i  | 4     | lock of stripe i | writers of stripe i   | same             | lock.ts mutex             |
 *   | 68 + 64 i  | 4     | seq of stripe i  | writers, under the lock (odd while writing) | seqlock readers | Atomics.add / load |
 *   | 72 + 64 i  | 4     | count of stripe i| writers, under the lock | size()         | Atomics.store / load      |
 *   | 76 + 64 i  | 4     | bytes of stripe i| writers, under the lock | memoryBytes()  | Atomics.store / load      |
 *
 *   The bucket array: B Int32 words, each the offset of the first node of its chain (0: empty);
 *   written under the lock of its stripe with Atomics.store, read with Atomics.load.
 *
 *   A node (one heap block per object):
 *   | offset | bytes | field                                                        |
 *   |-------:|------:|--------------------------------------------------------------|
 *   | 0      | 4     | next node of the chain (0: end); Atomics.store / load         |
 *   | 4      | 4     | hash of the key (hashTerm, unsigned)                          |
 *   | 8      | 4     | K: bytes of the encoded key                                   |
 *   | 12     | 4     | O: bytes of the encoded object                                |
 *   | 16     | K     | the key, ETF (codec, jsTypes, minor version 2)                |
 *   | 16 + K | O     | the object, ETF                                               |
 *   A node is written whole before it is linked and never changes afterwards (a replace links
 *   a new node), so a reader that reached it by a consistent path reads it whole.
 *
 * Stripes: the key's stripe is `hash & (N - 1)` and its bucket `hash & (B - 1)`; B is always a
 * multiple of N, so bucket b belongs to stripe `b & (N - 1)` whatever B is, and a key never
 * changes stripe when the array grows. write_concurrency gives N = 64 stripes (each lock, seq
 * and counters on their own 64-byte line), otherwise N = 1: one lock for the table.
 * Lock order: stripes in ascending index (a multi-key insert takes its stripes sorted; a resize,
 * delete_all_objects and destroy take all of them), then the heap's lock (alloc/free inside a
 * section). No lock is held while user code runs (modify's callback is ours: update_counter).
 *
 * Writers: lock the stripe, seq += 1 (odd), change links, seq += 1 (even), unlock; nodes they
 * unlinked are freed after the unlock. All objects of one key are contiguous in their chain
 * (a bag's in insertion order); a new key goes to the head of its chain.
 *
 * Readers (every table: writers always keep the seq, so the optimistic read is safe whatever the
 * table's options; read_concurrency is kept in the flags for ets:info): a reader writes nothing
 * shared: it loads the seq (odd: a
 * writer is inside, try again), reads links with Atomics.load and copies the bytes it needs,
 * then loads the seq again; a different seq means a writer ran meanwhile and what was read may
 * be torn or freed (and reused), so the reader retries. Every offset it follows is checked to
 * lie inside the heap and chain walks are bounded, so garbage makes it retry, never crash or
 * loop. After SEQ_RETRIES failed tries (a writer keeps the stripe busy) it takes the lock.
 * Decoding happens after the read, on
 * the copied bytes. (JS has no fences; the seq loads are Atomics, the copies plain: V8 does not
 * move a plain load across a sequentially consistent Atomics load, which is what this relies on.)
 *
 * Growth: when a stripe holds more than LOAD × B / N objects after an insert, the writer takes
 * every stripe lock, doubles B, moves every node into the new array keeping chain order, and
 * frees the old array. Writers in flight wait on their stripe lock; they find the new array.
 *
 * Traversals: `scan` and `deleteWhere` go stripe by stripe, each stripe read as one consistent
 * section, so an object present for the whole traversal is seen exactly once even across
 * growth. first/next follow bucket order (next of a key that is gone: undefined).
 *
 * Threads: any thread, any method, concurrently. Bad input: the API (ets.ts) checks terms;
 * here a term that cannot be encoded throws the codec's error before the table changes.
 */
import { decodeFrom, encodedSize, encodeInto, termToBinary } from '../codec/index.js';
import { BeamError, ErrorCode } from '../errors/index.js';
import { exactEquals, hashTerm, type Term, type Tuple } from '../term/index.js';
import { lockWord, unlockWord } from './lock.js';
import type { SharedHeap, StoreConcurrency, TableStore, TableStoreFactory, TableType } from './table_store.js';

export const CODEC = { jsTypes: true, minorVersion: 2 } as const;

const MAGIC_VALUE = 0x48534554; // 'HSET'
// Root fields (Int32 index from root >> 2).
const R_MAGIC = 0;
const R_TYPE = 1;
const R_KEYPOS = 2;
const R_FLAGS = 3;
const R_STRIPES = 4;
const R_BUCKETS = 5;
const R_NBUCKETS = 6;
const R_BASE = 7;
/** Byte offset of stripe 0 from the root; each stripe is one 64-byte line. */
const STRIPES_AT = 64;
const LINE = 64;
// Stripe fields (Int32 index from the stripe's line).
const S_LOCK = 0;
const S_SEQ = 1;
const S_COUNT = 2;
const S_BYTES = 3;
// Node fields.
const N_NEXT = 0;
const N_HASH = 1;
const N_KLEN = 2;
const N_OLEN = 3;
const NODE_HEADER = 16;

const FLAG_READ = 1;
const FLAG_WRITE = 2;
export const WRITE_STRIPES = 64;
const INITIAL_BUCKETS = 64;
const MAX_BUCKETS = 1 << 26;
/** Objects per bucket before the array doubles. */
const LOAD = 2;
const SEQ_RETRIES = 8;
/** A chain longer than this in an optimistic read is garbage (a torn read): retry. */
const MAX_CHAIN = 1 << 22;

const TYPE_CODES: Readonly<Record<Exclude<TableType, 'ordered_set'>, number>> = { set: 0, bag: 2, duplicate_bag: 3 };
const TYPE_OF_CODE: ReadonlyArray<TableType | undefined> = ['set', undefined, 'bag', 'duplicate_bag'];

/** Thrown inside an optimistic read that saw inconsistent memory. */
const TORN: unique symbol = Symbol('beamjs.ets.torn');

/** An object ready to link: its node is allocated and written (its key's bytes at node + NODE_HEADER). */
interface Prepared {
  readonly key: Term;
  readonly hash: number;
  readonly klen: number;
  readonly node: number;
}

// Per-thread scratch buffers (module state: each thread loads its own copy of this file). None
// is held across a call that may enter another ETS operation: the key scratch lives from the
// key's encoding to the end of its chain walk (modify's callback, which runs after the walk, is
// ours and calls no store); the object scratch from an object's encoding to its copy into its
// node; the read scratch from an optimistic copy to the decoding right after it.
const SCRATCH = 256;
/** Above this a scratch buffer that grew goes back to SCRATCH bytes after its use. */
const SCRATCH_KEEP = 1 << 16;
let keyScratch: Uint8Array = new Uint8Array(SCRATCH);
let objectScratch: Uint8Array = new Uint8Array(SCRATCH);
let readScratch: Uint8Array = new Uint8Array(SCRATCH);

/** Encodes `term` (with 131) into `buffer` at `at`; returns [the buffer, grown if needed, and the end]. */
function encodeScratch(buffer: Uint8Array, term: Term, at: number): Uint8Array {
  const end = encodeInto(term, buffer, at, CODEC);
  if (end >= 0) {
    scratchEnd = end;
    return buffer;
  }
  const grown = new Uint8Array(at + encodedSize(term, CODEC) + SCRATCH);
  grown.set(buffer.subarray(0, at));
  scratchEnd = encodeInto(term, grown, at, CODEC);
  return grown;
}
/** The end offset of the last encodeScratch. */
let scratchEnd = 0;

/** Encodes a key into the key scratch; returns its length (bytes at keyScratch[0..length)). */
function encodeKey(key: Term): number {
  keyScratch = encodeScratch(keyScratch, key, 0);
  return scratchEnd;
}

/** Copies n bytes (small copies by a loop: no view object). */
function copyBytes(from: Uint8Array, fromAt: number, to: Uint8Array, toAt: number, n: number): void {
  if (n <= 64) {
    for (let i = 0; i < n; i++) to[toAt + i] = from[fromAt + i]!;
  } else {
    to.set(from.subarray(fromAt, fromAt + n), toAt);
  }
}

function bytesEqual(a: Uint8Array, aAt: number, b: Uint8Array, bAt: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[aAt + i] !== b[bAt + i]) return false;
  return true;
}

export class HashStore implements TableStore {
  readonly type: TableType;
  readonly keypos: number;
  readonly root: number;
  readonly #heap: SharedHeap;
  // Fixed-length views of the heap (a length-tracking view of a growable buffer is several times
  // slower per access): #sync renews them when the buffer has grown. Synced after every lock
  // taken, after every alloc, and in each optimistic attempt after its first seq load; so any
  // node reached through a link published before that point lies inside them (its alloc grew
  // the buffer before the link was stored). Optimistic readers bounds-check every offset.
  #i32: Int32Array;
  #u8: Uint8Array;
  readonly #stripes: number;
  readonly #optimistic: boolean;
  /** Int32 index of the root. */
  readonly #r: number;

  constructor(heap: SharedHeap, root: number) {
    this.#heap = heap;
    this.#i32 = new Int32Array(heap.buffer, 0, heap.buffer.byteLength >> 2);
    this.#u8 = new Uint8Array(heap.buffer, 0, heap.buffer.byteLength);
    const w = this.#i32;
    const r = root >> 2;
    if (w[r + R_MAGIC] !== MAGIC_VALUE) throw new BeamError(ErrorCode.SHM_CORRUPT, `hash_store: no hash table at heap offset ${root}`);
    const type = TYPE_OF_CODE[w[r + R_TYPE]!];
    if (type === undefined) throw new BeamError(ErrorCode.SHM_CORRUPT, `hash_store: bad type code at heap offset ${root}`);
    this.type = type;
    this.keypos = w[r + R_KEYPOS]!;
    this.#stripes = w[r + R_STRIPES]!;
    // Optimistic for every table (see Readers in the header): read_concurrency or not, a lookup
    // writes no shared line, so readers of a write_concurrency or plain table do not contend.
    this.#optimistic = true;
    this.root = root;
    this.#r = r;
  }

  static create(heap: SharedHeap, type: TableType, keypos: number, concurrency: StoreConcurrency): HashStore {
    if (type === 'ordered_set') throw new BeamError(ErrorCode.INVALID_ARGUMENT, 'hash_store: ordered_set tables are not hash tables');
    const stripes = concurrency.write ? WRITE_STRIPES : 1;
    const base = heap.alloc(STRIPES_AT + stripes * LINE + LINE);
    const root = (base + LINE - 1) & ~(LINE - 1);
    const u8 = new Uint8Array(heap.buffer);
    u8.fill(0, root, root + STRIPES_AT + stripes * LINE);
    const buckets = heap.alloc(INITIAL_BUCKETS * 4);
    u8.fill(0, buckets, buckets + INITIAL_BUCKETS * 4);
    const w = new Int32Array(heap.buffer);
    const r = root >> 2;
    w[r + R_TYPE] = TYPE_CODES[type];
    w[r + R_KEYPOS] = keypos;
    w[r + R_FLAGS] = (concurrency.read ? FLAG_READ : 0) | (concurrency.write ? FLAG_WRITE : 0);
    w[r + R_STRIPES] = stripes;
    w[r + R_BASE] = base;
    Atomics.store(w, r + R_NBUCKETS, INITIAL_BUCKETS);
    Atomics.store(w, r + R_BUCKETS, buckets);
    Atomics.store(w, r + R_MAGIC, MAGIC_VALUE);
    return new HashStore(heap, root);
  }

  // ---- locks -------------------------------------------------------------------------------

  #line(stripe: number): number {
    return this.#r + (STRIPES_AT + stripe * LINE) / 4;
  }

  /** Renews the views if the heap's buffer has grown (see the fields). */
  #sync(): void {
    const buffer = this.#heap.buffer;
    const n = buffer.byteLength;
    if (n !== this.#u8.length) {
      this.#u8 = new Uint8Array(buffer, 0, n);
      this.#i32 = new Int32Array(buffer, 0, n >> 2);
    }
  }

  #writeLock(stripe: number): void {
    const l = this.#line(stripe);
    lockWord(this.#i32, l + S_LOCK);
    this.#sync();
    Atomics.add(this.#i32, l + S_SEQ, 1);
  }

  #writeUnlock(stripe: number): void {
    const l = this.#line(stripe);
    Atomics.add(this.#i32, l + S_SEQ, 1);
    unlockWord(this.#i32, l + S_LOCK);
  }

  #lockAll(): void {
    for (let s = 0; s < this.#stripes; s++) this.#writeLock(s);
  }

  #unlockAll(): void {
    for (let s = this.#stripes - 1; s >= 0; s--) this.#writeUnlock(s);
  }

  /** Runs `read` as a consistent read section of `stripe` (see the header); `read` may throw TORN. */
  #read<R>(stripe: number, read: (checked: boolean) => R): R {
    const w = this.#i32;
    const l = this.#line(stripe);
    if (this.#optimistic) {
      for (let attempt = 0; attempt < SEQ_RETRIES; attempt++) {
        const s1 = Atomics.load(w, l + S_SEQ);
        if ((s1 & 1) !== 0) continue;
        this.#sync();
        let result: R;
        try {
          result = read(true);
        } catch (error) {
          if (Atomics.load(w, l + S_SEQ) === s1 && error !== TORN) throw error;
          continue;
        }
        if (Atomics.load(w, l + S_SEQ) === s1) return result;
      }
    }
    lockWord(w, l + S_LOCK);
    this.#sync();
    try {
      return read(false);
    } finally {
      unlockWord(w, l + S_LOCK);
    }
  }

  // ---- nodes -------------------------------------------------------------------------------

  /** Follows a link: in an optimistic read (`checked`), an offset outside the heap is TORN. */
  #follow(offset: number, checked: boolean): number {
    if (checked && offset !== 0 && ((offset & 7) !== 0 || offset < 8 || offset + NODE_HEADER > this.#u8.length)) throw TORN;
    return offset;
  }

  #nodeBytes(node: number, checked: boolean): { readonly klen: number; readonly olen: number } {
    const w = this.#i32;
    const klen = w[(node >> 2) + N_KLEN]!;
    const olen = w[(node >> 2) + N_OLEN]!;
    if (checked && (klen <= 0 || olen <= 0 || node + NODE_HEADER + klen + olen > this.#u8.length)) throw TORN;
    return { klen, olen };
  }

  /** True when the node holds `key` (hash first, then bytes, then =:= on the decoded key). */
  #hasKey(node: number, hash: number, kb: Uint8Array, kat: number, kn: number, key: Term, checked: boolean): boolean {
    const w = this.#i32;
    if (w[(node >> 2) + N_HASH]! >>> 0 !== hash) return false;
    const klen = w[(node >> 2) + N_KLEN]!;
    if (checked && (klen <= 0 || node + NODE_HEADER + klen > this.#u8.length)) throw TORN;
    const at = node + NODE_HEADER;
    if (klen === kn && bytesEqual(this.#u8, at, kb, kat, klen)) return true;
    return exactEquals(this.#decodeCopy(at, klen, checked), key);
  }

  #decodeCopy(at: number, length: number, checked: boolean): Term {
    const copy = this.#u8.slice(at, at + length);
    if (!checked) return decodeFrom(copy, 0, CODEC).term;
    try {
      return decodeFrom(copy, 0, CODEC).term;
    } catch {
      throw TORN;
    }
  }

  #objectCopy(node: number, checked: boolean): Uint8Array {
    const { klen, olen } = this.#nodeBytes(node, checked);
    const at = node + NODE_HEADER + klen;
    return this.#u8.slice(at, at + olen);
  }

  #objectOf(node: number): Tuple {
    return decodeFrom(this.#objectCopy(node, false), 0, CODEC).term as Tuple;
  }

  static #decodeObject(bytes: Uint8Array): Tuple {
    return decodeFrom(bytes, 0, CODEC).term as Tuple;
  }

  /** Encodes key and object into the object scratch, then copies them into a new node. */
  #prepare(object: Tuple): Prepared {
    const key = object.at(this.keypos - 1);
    objectScratch = encodeScratch(objectScratch, key, 0);
    const klen = scratchEnd;
    objectScratch = encodeScratch(objectScratch, object, klen);
    const end = scratchEnd;
    const hash = hashTerm(key) >>> 0;
    const node = this.#heap.alloc(NODE_HEADER + end);
    this.#sync();
    const w = this.#i32;
    const n = node >> 2;
    w[n + N_NEXT] = 0;
    w[n + N_HASH] = hash | 0;
    w[n + N_KLEN] = klen;
    w[n + N_OLEN] = end - klen;
    copyBytes(objectScratch, 0, this.#u8, node + NODE_HEADER, end);
    if (objectScratch.length > SCRATCH_KEEP) objectScratch = new Uint8Array(SCRATCH);
    return { key, hash, klen, node };
  }

  #prepareAll(objects: readonly Tuple[]): Prepared[] {
    const out: Prepared[] = [];
    try {
      for (const object of objects) out.push(this.#prepare(object));
    } catch (error) {
      for (const p of out) this.#heap.free(p.node);
      throw error;
    }
    return out;
  }

  #stripeOf(hash: number): number {
    return hash & (this.#stripes - 1);
  }

  /** The Int32 index of the bucket word of `hash` in the current array. */
  #bucketIndex(hash: number, checked: boolean): number {
    const w = this.#i32;
    const buckets = Atomics.load(w, this.#r + R_BUCKETS);
    const n = Atomics.load(w, this.#r + R_NBUCKETS);
    if (checked && (n <= 0 || (n & (n - 1)) !== 0 || buckets + n * 4 > this.#u8.length)) throw TORN;
    return (buckets >> 2) + (hash & (n - 1));
  }

  /**
   * The run of `key` in its chain: `prev` is the link word index that points to its first
   * node (the bucket word or a node's next word), `first`/`last` its nodes (0: absent).
   */
  #findRun(hash: number, kb: Uint8Array, kat: number, kn: number, key: Term, checked: boolean): { readonly prev: number; readonly first: number; readonly last: number; readonly head: number } {
    const w = this.#i32;
    const head = this.#bucketIndex(hash, checked);
    let prev = head;
    let node = this.#follow(Atomics.load(w, head), checked);
    let steps = 0;
    while (node !== 0) {
      if (checked && ++steps > MAX_CHAIN) throw TORN;
      if (this.#hasKey(node, hash, kb, kat, kn, key, checked)) {
        let last = node;
        for (;;) {
          const next = this.#follow(Atomics.load(w, (last >> 2) + N_NEXT), checked);
          if (next === 0 || !this.#hasKey(next, hash, kb, kat, kn, key, checked)) break;
          if (checked && ++steps > MAX_CHAIN) throw TORN;
          last = next;
        }
        return { prev, first: node, last, head };
      }
      prev = (node >> 2) + N_NEXT;
      node = this.#follow(Atomics.load(w, prev), checked);
    }
    return { prev, first: 0, last: 0, head };
  }

  /** The nodes of a run, in chain order. */
  #runNodes(first: number, last: number): number[] {
    const out: number[] = [];
    for (let node = first; ; node = Atomics.load(this.#i32, (node >> 2) + N_NEXT)) {
      out.push(node);
      if (node === last) return out;
    }
  }

  #account(stripe: number, objects: number, node: number, sign: 1 | -1): void {
    const w = this.#i32;
    const l = this.#line(stripe);
    if (objects !== 0) Atomics.store(w, l + S_COUNT, w[l + S_COUNT]! + objects);
    Atomics.store(w, l + S_BYTES, w[l + S_BYTES]! + sign * (w[(node >> 2) - 2]! + 8));
  }

  #objectsEqual(a: number, b: number): boolean {
    const ea = this.#objectCopy(a, false);
    const eb = this.#objectCopy(b, false);
    if (ea.length === eb.length && bytesEqual(ea, 0, eb, 0, ea.length)) return true;
    return exactEquals(HashStore.#decodeObject(ea), HashStore.#decodeObject(eb));
  }

  /** Links one prepared object (its stripe locked); returns the node to free, or 0. */
  #link(p: Prepared): number {
    const w = this.#i32;
    const stripe = this.#stripeOf(p.hash);
    const run = this.#findRun(p.hash, this.#u8, p.node + NODE_HEADER, p.klen, p.key, false);
    const n = p.node >> 2;
    if (run.first === 0) {
      w[n + N_NEXT] = Atomics.load(w, run.head);
      Atomics.store(w, run.head, p.node);
      this.#account(stripe, 1, p.node, 1);
      return 0;
    }
    if (this.type === 'set') {
      w[n + N_NEXT] = Atomics.load(w, (run.first >> 2) + N_NEXT);
      Atomics.store(w, run.prev, p.node);
      this.#account(stripe, 0, p.node, 1);
      this.#account(stripe, 0, run.first, -1);
      return run.first;
    }
    if (this.type === 'bag') {
      for (const node of this.#runNodes(run.first, run.last)) if (this.#objectsEqual(node, p.node)) return p.node;
    }
    w[n + N_NEXT] = Atomics.load(w, (run.last >> 2) + N_NEXT);
    Atomics.store(w, (run.last >> 2) + N_NEXT, p.node);
    this.#account(stripe, 1, p.node, 1);
    return 0;
  }

  /** Unlinks a whole run (its stripe locked); returns its nodes. */
  #unlinkRun(stripe: number, run: { readonly prev: number; readonly first: number; readonly last: number }): number[] {
    const nodes = this.#runNodes(run.first, run.last);
    Atomics.store(this.#i32, run.prev, Atomics.load(this.#i32, (run.last >> 2) + N_NEXT));
    for (const node of nodes) this.#account(stripe, -1, node, -1);
    return nodes;
  }

  #freeAll(nodes: readonly number[]): void {
    for (const node of nodes) this.#heap.free(node);
  }

  #sortedStripes(prepared: readonly Prepared[]): number[] {
    const set = new Set<number>();
    for (const p of prepared) set.add(this.#stripeOf(p.hash));
    return [...set].sort((a, b) => a - b);
  }

  // ---- TableStore --------------------------------------------------------------------------

  insert(objects: readonly Tuple[]): void {
    if (objects.length === 0) return;
    const prepared = this.#prepareAll(objects);
    const stripes = this.#sortedStripes(prepared);
    const garbage: number[] = [];
    for (const s of stripes) this.#writeLock(s);
    try {
      for (const p of prepared) {
        const old = this.#link(p);
        if (old !== 0) garbage.push(old);
      }
    } finally {
      for (let i = stripes.length - 1; i >= 0; i--) this.#writeUnlock(stripes[i]!);
    }
    this.#freeAll(garbage);
    for (const s of stripes) this.#maybeGrow(s);
  }

  insertNew(objects: readonly Tuple[]): boolean {
    if (objects.length === 0) return true;
    const prepared = this.#prepareAll(objects);
    const stripes = this.#sortedStripes(prepared);
    const garbage: number[] = [];
    let inserted = false;
    for (const s of stripes) this.#writeLock(s);
    try {
      if (prepared.every((p) => this.#findRun(p.hash, this.#u8, p.node + NODE_HEADER, p.klen, p.key, false).first === 0)) {
        for (const p of prepared) {
          const old = this.#link(p);
          if (old !== 0) garbage.push(old);
        }
        inserted = true;
      }
    } finally {
      for (let i = stripes.length - 1; i >= 0; i--) this.#writeUnlock(stripes[i]!);
    }
    if (!inserted) {
      this.#freeAll(prepared.map((p) => p.node));
      return false;
    }
    this.#freeAll(garbage);
    for (const s of stripes) this.#maybeGrow(s);
    return true;
  }


  lookup(key: Term): Tuple[] {
    const hash = hashTerm(key) >>> 0;
    this.#qHash = hash;
    this.#qKlen = encodeKey(key);
    this.#qKey = key;
    const count = this.#read(this.#stripeOf(hash), this.#copyRun);
    this.#qKey = undefined;
    const bytes = readScratch;
    const out: Tuple[] = [];
    let pos = 0;
    for (let i = 0; i < count; i++) {
      const decoded = decodeFrom(bytes, pos, CODEC);
      out.push(decoded.term as Tuple);
      pos = decoded.end;
    }
    if (readScratch.length > SCRATCH_KEEP) readScratch = new Uint8Array(SCRATCH);
    return out;
  }

  // The key of the lookup in flight (set by lookup for #copyRun: no closure per call).
  #qHash = 0;
  #qKlen = 0;
  #qKey: Term = undefined;

  /** A read section of lookup: copies the objects of the key's run into the read scratch, back to back; returns their number. */
  readonly #copyRun = (checked: boolean): number => {
    const run = this.#findRun(this.#qHash, keyScratch, 0, this.#qKlen, this.#qKey, checked);
    if (run.first === 0) return 0;
    const u8 = this.#u8;
    let pos = 0;
    let count = 0;
    let steps = 0;
    for (let node = run.first; ; node = this.#follow(Atomics.load(this.#i32, (node >> 2) + N_NEXT), checked)) {
      if (node === 0 || (checked && ++steps > MAX_CHAIN)) throw TORN;
      const { klen, olen } = this.#nodeBytes(node, checked);
      if (pos + olen > readScratch.length) {
        const grown = new Uint8Array(2 * (pos + olen));
        grown.set(readScratch.subarray(0, pos));
        readScratch = grown;
      }
      copyBytes(u8, node + NODE_HEADER + klen, readScratch, pos, olen);
      pos += olen;
      count++;
      if (node === run.last) return count;
    }
  };

  member(key: Term): boolean {
    const hash = hashTerm(key) >>> 0;
    const kn = encodeKey(key);
    const kb = keyScratch;
    return this.#read(this.#stripeOf(hash), (checked) => this.#findRun(hash, kb, 0, kn, key, checked).first !== 0);
  }

  delete(key: Term): boolean {
    return this.take(key, false).length > 0;
  }

  take(key: Term, decode = true): Tuple[] {
    const hash = hashTerm(key) >>> 0;
    const kn = encodeKey(key);
    const kb = keyScratch;
    const stripe = this.#stripeOf(hash);
    let nodes: number[] = [];
    let out: Tuple[] = [];
    this.#writeLock(stripe);
    try {
      const run = this.#findRun(hash, kb, 0, kn, key, false);
      if (run.first !== 0) {
        nodes = this.#unlinkRun(stripe, run);
        out = decode ? nodes.map((node) => this.#objectOf(node)) : nodes.map(() => undefined as unknown as Tuple);
      }
    } finally {
      this.#writeUnlock(stripe);
    }
    this.#freeAll(nodes);
    return out;
  }

  deleteObject(object: Tuple): void {
    const key = object.at(this.keypos - 1);
    const hash = hashTerm(key) >>> 0;
    const kn = encodeKey(key);
    const kb = keyScratch;
    const objectBytes = termToBinary(object, CODEC);
    const stripe = this.#stripeOf(hash);
    const garbage: number[] = [];
    this.#writeLock(stripe);
    try {
      const run = this.#findRun(hash, kb, 0, kn, key, false);
      if (run.first === 0) return;
      let prev = run.prev;
      for (const node of this.#runNodes(run.first, run.last)) {
        const bytes = this.#objectCopy(node, false);
        const same = (bytes.length === objectBytes.length && bytesEqual(bytes, 0, objectBytes, 0, bytes.length)) || exactEquals(HashStore.#decodeObject(bytes), object);
        if (same) {
          Atomics.store(this.#i32, prev, Atomics.load(this.#i32, (node >> 2) + N_NEXT));
          this.#account(stripe, -1, node, -1);
          garbage.push(node);
        } else {
          prev = (node >> 2) + N_NEXT;
        }
      }
    } finally {
      this.#writeUnlock(stripe);
      this.#freeAll(garbage);
    }
  }

  /** Unlinks every node (every stripe locked); returns them. */
  #unlinkEverything(): number[] {
    const w = this.#i32;
    const buckets = Atomics.load(w, this.#r + R_BUCKETS) >> 2;
    const n = Atomics.load(w, this.#r + R_NBUCKETS);
    const nodes: number[] = [];
    for (let b = 0; b < n; b++) {
      for (let node = w[buckets + b]!; node !== 0; node = w[(node >> 2) + N_NEXT]!) nodes.push(node);
      Atomics.store(w, buckets + b, 0);
    }
    for (let s = 0; s < this.#stripes; s++) {
      const l = this.#line(s);
      Atomics.store(w, l + S_COUNT, 0);
      Atomics.store(w, l + S_BYTES, 0);
    }
    return nodes;
  }

  deleteAll(): void {
    let nodes: number[];
    this.#lockAll();
    try {
      nodes = this.#unlinkEverything();
    } finally {
      this.#unlockAll();
    }
    this.#freeAll(nodes);
  }

  modify<R>(key: Term, update: (current: readonly Tuple[]) => { readonly objects?: readonly Tuple[]; readonly result: R }): R {
    const hash = hashTerm(key) >>> 0;
    const kn = encodeKey(key);
    const kb = keyScratch;
    const stripe = this.#stripeOf(hash);
    let garbage: number[] = [];
    let grew = false;
    this.#writeLock(stripe);
    try {
      const run = this.#findRun(hash, kb, 0, kn, key, false);
      const nodes = run.first === 0 ? [] : this.#runNodes(run.first, run.last);
      const outcome = update(nodes.map((node) => this.#objectOf(node)));
      if (outcome.objects !== undefined) {
        const prepared = this.#prepareAll(outcome.objects);
        // Chain the new nodes, then put the chain where the run was (or at the head).
        for (let i = 0; i + 1 < prepared.length; i++) this.#i32[(prepared[i]!.node >> 2) + N_NEXT] = prepared[i + 1]!.node;
        const after = run.first === 0 ? Atomics.load(this.#i32, run.head) : Atomics.load(this.#i32, (run.last >> 2) + N_NEXT);
        const at = run.first === 0 ? run.head : run.prev;
        if (prepared.length === 0) {
          Atomics.store(this.#i32, at, after);
        } else {
          this.#i32[(prepared[prepared.length - 1]!.node >> 2) + N_NEXT] = after;
          Atomics.store(this.#i32, at, prepared[0]!.node);
        }
        for (const node of nodes) this.#account(stripe, -1, node, -1);
        for (const p of prepared) this.#account(stripe, 1, p.node, 1);
        garbage = nodes;
        grew = prepared.length > nodes.length;
      }
      return outcome.result;
    } finally {
      this.#writeUnlock(stripe);
      this.#freeAll(garbage);
      if (grew) this.#maybeGrow(stripe);
    }
  }

  /** The first key of bucket `from` or later (bucket order), or undefined. */
  #firstFrom(from: number): { readonly key: Term } | undefined {
    for (let b = from; ; b++) {
      const found = this.#read(b & (this.#stripes - 1), (checked) => {
        const buckets = Atomics.load(this.#i32, this.#r + R_BUCKETS);
        const n = Atomics.load(this.#i32, this.#r + R_NBUCKETS);
        if (checked && (n <= 0 || buckets + n * 4 > this.#u8.length)) throw TORN;
        if (b >= n) return null;
        const node = this.#follow(Atomics.load(this.#i32, (buckets >> 2) + b), checked);
        if (node === 0) return undefined;
        const { klen } = this.#nodeBytes(node, checked);
        return this.#u8.slice(node + NODE_HEADER, node + NODE_HEADER + klen);
      });
      if (found === null) return undefined;
      if (found !== undefined) return { key: decodeFrom(found, 0, CODEC).term };
    }
  }

  first(): { readonly key: Term } | undefined {
    return this.#firstFrom(0);
  }

  next(key: Term): { readonly key: Term } | undefined {
    const hash = hashTerm(key) >>> 0;
    const kn = encodeKey(key);
    const kb = keyScratch;
    const found = this.#read(this.#stripeOf(hash), (checked) => {
      const run = this.#findRun(hash, kb, 0, kn, key, checked);
      if (run.first === 0) return null;
      const next = this.#follow(Atomics.load(this.#i32, (run.last >> 2) + N_NEXT), checked);
      if (next !== 0) {
        const { klen } = this.#nodeBytes(next, checked);
        return this.#u8.slice(next + NODE_HEADER, next + NODE_HEADER + klen);
      }
      const buckets = Atomics.load(this.#i32, this.#r + R_BUCKETS) >> 2;
      return run.head - buckets + 1;
    });
    if (found === null) return undefined;
    if (typeof found === 'number') return this.#firstFrom(found);
    return { key: decodeFrom(found, 0, CODEC).term };
  }

  last(): { readonly key: Term } | undefined {
    return this.first();
  }

  prev(key: Term): { readonly key: Term } | undefined {
    return this.next(key);
  }

  /** The encoded objects of one stripe, as one consistent read. */
  #stripeObjects(stripe: number): Uint8Array[] {
    return this.#read(stripe, (checked) => {
      const buckets = Atomics.load(this.#i32, this.#r + R_BUCKETS);
      const n = Atomics.load(this.#i32, this.#r + R_NBUCKETS);
      if (checked && (n <= 0 || buckets + n * 4 > this.#u8.length)) throw TORN;
      const out: Uint8Array[] = [];
      let steps = 0;
      for (let b = stripe; b < n; b += this.#stripes) {
        for (let node = this.#follow(Atomics.load(this.#i32, (buckets >> 2) + b), checked); node !== 0; node = this.#follow(Atomics.load(this.#i32, (node >> 2) + N_NEXT), checked)) {
          if (checked && ++steps > MAX_CHAIN) throw TORN;
          out.push(this.#objectCopy(node, checked));
        }
      }
      return out;
    });
  }

  scan(visit: (object: Tuple) => boolean | void, _reverse?: boolean): void {
    for (let s = 0; s < this.#stripes; s++) {
      for (const bytes of this.#stripeObjects(s)) if (visit(HashStore.#decodeObject(bytes)) === false) return;
    }
  }

  deleteWhere(select: (object: Tuple) => boolean): number {
    let deleted = 0;
    for (let s = 0; s < this.#stripes; s++) {
      const garbage: number[] = [];
      this.#writeLock(s);
      try {
        const buckets = Atomics.load(this.#i32, this.#r + R_BUCKETS) >> 2;
        const n = Atomics.load(this.#i32, this.#r + R_NBUCKETS);
        for (let b = s; b < n; b += this.#stripes) {
          let prev = buckets + b;
          for (let node = this.#i32[prev]!; node !== 0; ) {
            const next = this.#i32[(node >> 2) + N_NEXT]!;
            if (select(this.#objectOf(node))) {
              Atomics.store(this.#i32, prev, next);
              this.#account(s, -1, node, -1);
              garbage.push(node);
            } else {
              prev = (node >> 2) + N_NEXT;
            }
            node = next;
          }
        }
      } finally {
        this.#writeUnlock(s);
        this.#freeAll(garbage);
      }
      deleted += garbage.length;
    }
    return deleted;
  }

  size(): number {
    let total = 0;
    for (let s = 0; s < this.#stripes; s++) total += Atomics.load(this.#i32, this.#line(s) + S_COUNT);
    return total;
  }

  memoryBytes(): number {
    const w = this.#i32;
    let total = this.#heap.sizeOf(w[this.#r + R_BASE]!) + 8 + this.#heap.sizeOf(Atomics.load(w, this.#r + R_BUCKETS)) + 8;
    for (let s = 0; s < this.#stripes; s++) total += Atomics.load(w, this.#line(s) + S_BYTES);
    return total;
  }

  /** Doubles the bucket array if stripe `stripe` is over its load (takes every lock). */
  #maybeGrow(stripe: number): void {
    const n = Atomics.load(this.#i32, this.#r + R_NBUCKETS);
    if (n >= MAX_BUCKETS || Atomics.load(this.#i32, this.#line(stripe) + S_COUNT) <= (LOAD * n) / this.#stripes) return;
    let old = 0;
    this.#lockAll();
    try {
      if (Atomics.load(this.#i32, this.#r + R_NBUCKETS) !== n) return; // another writer grew it
      const size = n * 2;
      const fresh = this.#heap.alloc(size * 4);
      this.#sync();
      this.#u8.fill(0, fresh, fresh + size * 4);
      old = Atomics.load(this.#i32, this.#r + R_BUCKETS);
      const tails = new Int32Array(size); // Int32 index of each new chain's last link word
      for (let b = 0; b < size; b++) tails[b] = (fresh >> 2) + b;
      for (let b = 0; b < n; b++) {
        for (let node = this.#i32[(old >> 2) + b]!; node !== 0; ) {
          const next = this.#i32[(node >> 2) + N_NEXT]!;
          const nb = (this.#i32[(node >> 2) + N_HASH]! >>> 0) & (size - 1);
          this.#i32[(node >> 2) + N_NEXT] = 0;
          Atomics.store(this.#i32, tails[nb]!, node);
          tails[nb] = (node >> 2) + N_NEXT;
          node = next;
        }
      }
      Atomics.store(this.#i32, this.#r + R_BUCKETS, fresh);
      Atomics.store(this.#i32, this.#r + R_NBUCKETS, size);
    } finally {
      this.#unlockAll();
    }
    if (old !== 0) this.#heap.free(old);
  }

  destroy(): void {
    let nodes: number[];
    this.#lockAll();
    try {
      nodes = this.#unlinkEverything();
      Atomics.store(this.#i32, this.#r + R_MAGIC, 0);
    } finally {
      this.#unlockAll();
    }
    this.#freeAll(nodes);
    this.#heap.free(Atomics.load(this.#i32, this.#r + R_BUCKETS));
    this.#heap.free(this.#i32[this.#r + R_BASE]!);
  }
}

export const hashStoreFactory: TableStoreFactory = {
  create: (heap, type, keypos, concurrency) => HashStore.create(heap, type, keypos, concurrency),
  attach: (heap, root) => new HashStore(heap, root),
};
