/**
 * src/ets/shared_heap.ts: the SharedHeap of a VM, the memory every ETS table allocates from.
 * One growable SharedArrayBuffer (`new SharedArrayBuffer(initial, { maxByteLength })`), attached
 * on every thread of the VM; its length is shared, so an offset handed out on one thread is
 * valid on every thread (each thread's fixed-length view is renewed when the buffer grew).
 *
 * Layout (byte offsets; Int32 words):
 *
 *   | offset | bytes        | field        | written by              | read by         | access                     |
 *   |-------:|-------------:|--------------|-------------------------|-----------------|----------------------------|
 *   | 0      | 4            | lock         | alloc / free (any)      | same            | lock.ts mutex              |
 *   | 4      | 4            | magic        | creator, once           | attach          | plain (before sharing)     |
 *   | 8      | 4            | top          | under the lock          | under the lock  | plain                      |
 *   | 12     | 4            | used         | under the lock          | anyone (used()) | Atomics.store / load       |
 *   | 16     | 4            | maxBytes     | creator, once           | anyone          | plain (before sharing)     |
 *   | 64     | 4 × CLASSES  | free heads   | under the lock          | under the lock  | plain                      |
 *   | DATA   | ...          | blocks       | see below               |                 |                            |
 *
 *   A block: an 8-byte header, then the payload whose offset alloc returns (8-byte aligned):
 *   | offset | bytes | field                                                                  |
 *   |-------:|------:|------------------------------------------------------------------------|
 *   | -8     | 4     | size: the payload bytes of the block's size class                      |
 *   | -4     | 4     | state: ALLOCATED or FREE (catches a double free)                       |
 *   | 0      | 4     | when FREE: the next free block of the class (payload offset, 0 = end)  |
 *
 * Size classes: multiples of 8 up to 128 bytes (16 classes), then four classes per power of
 * two (160, 192, 224, 256, 320, …) up to 1 GiB: at most 25% of a block is rounding. A freed
 * block goes to the head of its class's list and is reused by the next alloc of that class
 * (blocks are not split or merged: tables reuse the sizes they free). When no free block fits,
 * the block is cut from `top`; past the buffer's length the buffer grows (doubling, at most to
 * maxBytes) under the lock; `grow` is seen by every thread at once (the length is shared).
 *
 * Magazines (per-thread caches, this object's state: one SharedHeap object per thread): for
 * the classes up to CACHED_BYTES, each thread keeps up to MAGAZINE free blocks per class. free
 * pushes onto the thread's magazine and alloc pops from it without the lock; an empty magazine
 * refills with up to MAGAZINE / 2 blocks from the class's list (one lock), a full one returns
 * MAGAZINE / 2 to it. A block is at any time in exactly one place: allocated (to the thread
 * that allocated it, until it frees it), in one thread's magazine, or on one free list; it
 * moves between a list and a magazine only under the lock, so no block is handed to two
 * threads. Blocks in a magazine are FREE (a double free of one is caught) and are not counted
 * in `used`. A thread holds at most MAGAZINE blocks of each cached class idle.
 *
 * Threads: every method from any thread. The lock guards top and the free lists; `used` is
 * changed with Atomics.add/sub and readable without the lock (it may be late by allocations in
 * flight). A double free racing on two threads is not always caught. The heap never
 * shrinks, so a stale offset read by a seqlock reader (hash_store.ts) is always inside the
 * buffer; what it reads there may be garbage, which the reader's retry rules out.
 * Ownership: a block belongs to whoever allocated it until it frees it.
 * Bad input: alloc of a non-positive or huge size throws InvalidArgumentError; free of an
 * offset that is not an allocated block throws BeamError SHM_CORRUPT; growth past maxBytes
 * throws HeapExhausted (code SYSTEM_LIMIT: Erlang's system_limit in a process).
 */
import { BeamError, ErrorCode, InvalidArgumentError, describeValue } from '../errors/index.js';
import { lockWord, unlockWord } from './lock.js';
import type { SharedHeap as SharedHeapContract } from './table_store.js';

const LOCK = 0;
const MAGIC = 1;
const TOP = 2;
const USED = 3;
const MAX_BYTES = 4;
/** Int32 index of the first free-list head (byte 64). */
const HEADS = 16;
export const SIZE_CLASSES = 16 + 24 * 4;
/** Byte offset of the first block header. */
const DATA = (HEADS + SIZE_CLASSES) * 4 + 8;
const HEADER = 8;
const MAGIC_VALUE = 0x48454150; // 'HEAP'
const ALLOCATED = 0x414c4c43; // 'ALLC'
const FREE = 0x46524545; // 'FREE'
/** Blocks per class in a thread's magazine. */
export const MAGAZINE = 32;
/** Classes whose block payload is at most this many bytes have magazines. */
const CACHED_BYTES = 4096;
/** The largest block payload (1 GiB). */
const MAX_BLOCK = 1 << 30;
/** The largest heap: offsets are Int32 words. */
export const MAX_HEAP_BYTES = 0x7fff_fff8;
export const DEFAULT_HEAP_INITIAL = 1 << 16;
export const DEFAULT_HEAP_MAX = 1 << 30;

/** The ES2024 growable SharedArrayBuffer (Node 20 has it; the project's TS lib predates it). */
interface GrowableBuffer extends SharedArrayBuffer {
  readonly growable: boolean;
  readonly maxByteLength: number;
  grow(newLength: number): void;
}
const GrowableSharedArrayBuffer = SharedArrayBuffer as unknown as new (length: number, options: { readonly maxByteLength: number }) => GrowableBuffer;

/** The shared heap is full (its buffer cannot grow to what an allocation needs). */
export class HeapExhausted extends BeamError {
  constructor(message: string) {
    super(ErrorCode.SYSTEM_LIMIT, message);
    this.name = 'HeapExhausted';
  }
}

/** The size class of a payload of `bytes` (> 0), and that class's payload size. */
export function sizeClass(bytes: number): { readonly cls: number; readonly size: number } {
  if (bytes <= 128) {
    const size = Math.max(8, (bytes + 7) & ~7);
    return { cls: size / 8 - 1, size };
  }
  const p = 31 - Math.clz32(bytes - 1); // 2^p < bytes <= 2^(p+1), p >= 7
  const step = 2 ** (p - 2);
  const steps = Math.ceil(bytes / step); // 5..8
  return { cls: 16 + (p - 7) * 4 + (steps - 5), size: steps * step };
}

/** The classes with magazines: 0 .. CACHED_CLASSES - 1. */
const CACHED_CLASSES = sizeClass(CACHED_BYTES).cls + 1;

export class SharedHeap implements SharedHeapContract {
  readonly buffer: SharedArrayBuffer;
  /**
   * A fixed-length view of the buffer's length when last seen (length-tracking views of a
   * growable buffer are several times slower to index in V8): `#words()` renews it when the
   * buffer grew (on any thread) before any offset past its end could be touched.
   */
  #i32: Int32Array;
  /** This thread's magazines: class c's blocks at [c * MAGAZINE, c * MAGAZINE + count[c]). */
  readonly #magazine = new Int32Array(CACHED_CLASSES * MAGAZINE);
  readonly #count = new Int32Array(CACHED_CLASSES);

  constructor(buffer: SharedArrayBuffer) {
    if (!(buffer instanceof SharedArrayBuffer) || !(buffer as GrowableBuffer).growable) {
      throw new InvalidArgumentError(`SharedHeap: buffer must be a growable SharedArrayBuffer; received ${describeValue(buffer)}`);
    }
    this.buffer = buffer;
    this.#i32 = new Int32Array(buffer, 0, buffer.byteLength >> 2);
    if (this.#i32[MAGIC] !== MAGIC_VALUE) throw new BeamError(ErrorCode.SHM_CORRUPT, 'SharedHeap: the buffer holds no heap (bad magic)');
  }

  /** A new heap of `initial` bytes that may grow to `max` bytes. */
  static create(initial: number = DEFAULT_HEAP_INITIAL, max: number = DEFAULT_HEAP_MAX): SharedHeap {
    if (!Number.isSafeInteger(max) || max < DATA + 64 || max > MAX_HEAP_BYTES) {
      throw new InvalidArgumentError(`SharedHeap.create: max must be an integer from ${DATA + 64} to ${MAX_HEAP_BYTES}; received ${describeValue(max)}`);
    }
    if (!Number.isSafeInteger(initial) || initial < DATA + 64 || initial > max) {
      throw new InvalidArgumentError(`SharedHeap.create: initial must be an integer from ${DATA + 64} to max (${max}); received ${describeValue(initial)}`);
    }
    const buffer = new GrowableSharedArrayBuffer(initial & ~7, { maxByteLength: max & ~7 });
    const w = new Int32Array(buffer);
    w[MAGIC] = MAGIC_VALUE;
    w[TOP] = DATA;
    w[MAX_BYTES] = max & ~7;
    return new SharedHeap(buffer);
  }

  /** The fixed-length view, renewed if the buffer is longer than it (grown on any thread). */
  #words(): Int32Array {
    const w = this.#i32;
    const length = this.buffer.byteLength >> 2;
    return w.length === length ? w : (this.#i32 = new Int32Array(this.buffer, 0, length));
  }

  alloc(bytes: number): number {
    if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes > MAX_BLOCK) {
      throw new InvalidArgumentError(`SharedHeap.alloc: bytes must be an integer from 1 to ${MAX_BLOCK}; received ${describeValue(bytes)}`);
    }
    const { cls, size } = sizeClass(bytes);
    // No renewal for a magazine block: it entered the magazine under the lock (view renewed) or
    // through free (view covering it), and views only grow.
    let w = this.#i32;
    if (cls < CACHED_CLASSES) {
      const n = this.#count[cls]!;
      if (n > 0) {
        const offset = this.#magazine[cls * MAGAZINE + n - 1]!;
        this.#count[cls] = n - 1;
        w[(offset - 4) >> 2] = ALLOCATED;
        Atomics.add(w, USED, size + HEADER);
        return offset;
      }
    }
    lockWord(w, LOCK);
    try {
      w = this.#words(); // a block on a list may lie past the view taken before the lock
      let offset = w[HEADS + cls]!;
      if (offset !== 0) {
        w[HEADS + cls] = w[offset >> 2]!;
        if (cls < CACHED_CLASSES) this.#refill(cls);
      } else {
        const top = w[TOP]!;
        const end = top + HEADER + size;
        if (end > this.buffer.byteLength) this.#grow(end);
        w = this.#words();
        w[TOP] = end;
        offset = top + HEADER;
        w[(offset - HEADER) >> 2] = size;
      }
      w[(offset - 4) >> 2] = ALLOCATED;
      Atomics.add(w, USED, size + HEADER);
      return offset;
    } finally {
      unlockWord(w, LOCK);
    }
  }

  /** Moves up to MAGAZINE / 2 blocks of class `cls` from its list into the empty magazine (under the lock). */
  #refill(cls: number): void {
    const w = this.#words();
    let n = 0;
    for (let offset = w[HEADS + cls]!; offset !== 0 && n < MAGAZINE / 2; offset = w[HEADS + cls]!) {
      w[HEADS + cls] = w[offset >> 2]!;
      this.#magazine[cls * MAGAZINE + n++] = offset;
    }
    this.#count[cls] = n;
  }

  /** Returns the older half of the full magazine of `cls` to its list (takes the lock). */
  #spill(cls: number): void {
    const w = this.#words();
    const m = this.#magazine;
    const base = cls * MAGAZINE;
    const half = MAGAZINE / 2;
    lockWord(w, LOCK);
    try {
      for (let i = 0; i < half; i++) {
        const offset = m[base + i]!;
        w[offset >> 2] = w[HEADS + cls]!;
        w[HEADS + cls] = offset;
      }
    } finally {
      unlockWord(w, LOCK);
    }
    m.copyWithin(base, base + half, base + MAGAZINE);
    this.#count[cls] = MAGAZINE - half;
  }

  /** Returns every block of this thread's magazines to the free lists (a thread that stops using the heap). */
  flushMagazines(): void {
    const w = this.#words();
    lockWord(w, LOCK);
    try {
      for (let cls = 0; cls < CACHED_CLASSES; cls++) {
        for (let i = 0; i < this.#count[cls]!; i++) {
          const offset = this.#magazine[cls * MAGAZINE + i]!;
          w[offset >> 2] = w[HEADS + cls]!;
          w[HEADS + cls] = offset;
        }
        this.#count[cls] = 0;
      }
    } finally {
      unlockWord(w, LOCK);
    }
  }

  /** Grows the buffer to hold `end` bytes (under the lock). */
  #grow(end: number): void {
    const max = this.#words()[MAX_BYTES]!;
    if (end > max) {
      throw new HeapExhausted(`the ETS heap is full: ${end} bytes needed, at most ${max} (VM option etsHeapMaxBytes)`);
    }
    const length = Math.min(max, Math.max(end, this.buffer.byteLength * 2));
    (this.buffer as GrowableBuffer).grow((length + 7) & ~7);
  }

  free(offset: number): void {
    let w = this.#i32;
    if (offset >= w.length << 2) w = this.#words(); // allocated on a thread that saw the heap grow
    if (!Number.isSafeInteger(offset) || offset < DATA + HEADER || (offset & 7) !== 0 || offset >= w.length << 2) {
      throw new BeamError(ErrorCode.SHM_CORRUPT, `SharedHeap.free: ${describeValue(offset)} is not a block offset`);
    }
    if (w[(offset - 4) >> 2] !== ALLOCATED) {
      throw new BeamError(ErrorCode.SHM_CORRUPT, `SharedHeap.free: the block at ${offset} is not allocated (double free?)`);
    }
    const size = w[(offset - HEADER) >> 2]!;
    const cls = size <= 128 ? size / 8 - 1 : sizeClass(size).cls;
    if (cls < CACHED_CLASSES) {
      w[(offset - 4) >> 2] = FREE;
      Atomics.sub(w, USED, size + HEADER);
      if (this.#count[cls] === MAGAZINE) this.#spill(cls);
      const n = this.#count[cls]!;
      this.#magazine[cls * MAGAZINE + n] = offset;
      this.#count[cls] = n + 1;
      return;
    }
    lockWord(w, LOCK);
    try {
      if (w[(offset - 4) >> 2] !== ALLOCATED) {
        throw new BeamError(ErrorCode.SHM_CORRUPT, `SharedHeap.free: the block at ${offset} is not allocated (double free?)`);
      }
      w[(offset - 4) >> 2] = FREE;
      w[offset >> 2] = w[HEADS + cls]!;
      w[HEADS + cls] = offset;
      Atomics.sub(w, USED, size + HEADER);
    } finally {
      unlockWord(w, LOCK);
    }
  }

  sizeOf(offset: number): number {
    return this.#words()[(offset - HEADER) >> 2]!;
  }

  /** Bytes allocated and not freed, block headers included (may be late by allocations in flight). */
  used(): number {
    return Atomics.load(this.#words(), USED);
  }

  /** The buffer's current length in bytes. */
  get byteLength(): number {
    return this.buffer.byteLength;
  }
}
