/**
 * The name table: Erlang's registered names (register/unregister/whereis/registered), shared by
 * every thread of a VM, atomic across threads. Atoms are interned per thread, so a name is
 * stored as its UTF-8 bytes (at most 255, as an atom).
 *
 * Shared layout (one SharedArrayBuffer; `capacity` slots, a power of two):
 *
 * | offset | bytes               | field    | written by            | read by   | access |
 * |-------:|--------------------:|----------|-----------------------|-----------|--------|
 * |      0 |                   4 | lock     | writers               | writers   | Atomics.compareExchange 0->1 / Atomics.store 0 |
 * |      4 |                   4 | sequence | writers (under lock)  | readers   | Atomics.add (odd while a writer is inside), Atomics.load |
 * |      8 |                   4 | capacity | creator, once         | everyone  | plain, before sharing |
 * |     12 |                   4 | count    | writers (under lock)  | writers   | plain |
 * |     64 | capacity * SLOT_BYTES | slots  | writers (under lock)  | everyone  | plain, validated by the sequence |
 *
 * Slot (SLOT_BYTES = 288, at 64 + SLOT_BYTES * i):
 *
 * | offset | bytes | field  | meaning                                   |
 * |-------:|------:|--------|-------------------------------------------|
 * |      0 |     4 | state  | 0 empty, 1 used, 2 deleted (a tombstone)  |
 * |      4 |     4 | hash   | FNV-1a of the name's UTF-8 bytes          |
 * |      8 |     4 | id     | pid id                                    |
 * |     12 |     4 | serial | pid serial                                |
 * |     16 |     4 | length | name length in bytes (1..255)             |
 * |     20 |   255 | name   | UTF-8 bytes                               |
 *
 * Open addressing with linear probing from `hash & (capacity - 1)`; a probe ends at an empty
 * slot; deleted slots are skipped by lookups and reused by inserts.
 *
 * Concurrency: writers (register, unregister, unregisterIfOwner, clear) take the spin lock and
 * bracket their stores with two Atomics.add of the sequence (odd inside). Readers (whereis,
 * registered) take no lock: they read the sequence, probe with plain loads, and read the
 * sequence again; if it changed or was odd, they retry (a seqlock). A reader can see a torn
 * slot only inside a write, and then it retries. Sections are a probe of a few slots, so spinning
 * is fine for writers.
 *
 * Threads: every method may be called from any thread. Bad input: a name longer than 255 bytes
 * throws InvalidArgumentError; a full table throws SYSTEM_LIMIT naming the capacity.
 */
import { BeamError, ErrorCode, InvalidArgumentError, describeValue } from '../errors/index.js';

const LOCK = 0;
const SEQUENCE = 1;
const CAPACITY = 2;
const COUNT = 3;
const SLOTS_OFFSET = 64;
const SLOT_BYTES = 288;
const S_STATE = 0;
const S_HASH = 4;
const S_ID = 8;
const S_SERIAL = 12;
const S_LENGTH = 16;
const S_NAME = 20;
const MAX_NAME_BYTES = 255;
const EMPTY = 0;
const USED = 1;
const DELETED = 2;

/** Default number of names (a power of two). */
export const DEFAULT_NAME_CAPACITY = 4096;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function fnv1a(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return hash >>> 0;
}

export class NameTable {
  readonly buffer: SharedArrayBuffer;
  readonly capacity: number;
  readonly #words: Int32Array;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;

  /** Creates a table of `capacity` names (rounded up to a power of two). */
  static create(capacity = DEFAULT_NAME_CAPACITY): NameTable {
    if (!Number.isSafeInteger(capacity) || capacity < 1 || capacity > 2 ** 20) {
      throw new InvalidArgumentError(`name table: capacity must be an integer from 1 to 2^20; received ${describeValue(capacity)}`);
    }
    const slots = 2 ** Math.ceil(Math.log2(capacity));
    const buffer = new SharedArrayBuffer(SLOTS_OFFSET + slots * SLOT_BYTES);
    new Int32Array(buffer)[CAPACITY] = slots;
    return new NameTable(buffer);
  }

  /** Attaches to a table made by `create` in another thread. */
  constructor(buffer: SharedArrayBuffer) {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < SLOTS_OFFSET + SLOT_BYTES) {
      throw new InvalidArgumentError(`name table: expected its SharedArrayBuffer; received ${describeValue(buffer)}`);
    }
    this.buffer = buffer;
    this.#words = new Int32Array(buffer);
    this.#bytes = new Uint8Array(buffer);
    this.#view = new DataView(buffer);
    this.capacity = this.#words[CAPACITY]!;
  }

  #encode(name: string): Uint8Array {
    const bytes = encoder.encode(name);
    if (bytes.length === 0 || bytes.length > MAX_NAME_BYTES) {
      throw new InvalidArgumentError(`name table: a name must be 1 to ${MAX_NAME_BYTES} bytes of UTF-8; received ${bytes.length} bytes`);
    }
    return bytes;
  }

  #slotMatches(at: number, hash: number, bytes: Uint8Array): boolean {
    const v = this.#view;
    if (v.getUint32(at + S_HASH, true) !== hash || v.getUint32(at + S_LENGTH, true) !== bytes.length) return false;
    for (let i = 0; i < bytes.length; i++) if (this.#bytes[at + S_NAME + i] !== bytes[i]) return false;
    return true;
  }

  /** Byte offset of the used slot holding the name, or -1. Plain loads (caller validates). */
  #find(hash: number, bytes: Uint8Array): number {
    const mask = this.capacity - 1;
    for (let probe = 0, i = hash & mask; probe < this.capacity; probe++, i = (i + 1) & mask) {
      const at = SLOTS_OFFSET + i * SLOT_BYTES;
      const state = this.#view.getUint32(at + S_STATE, true);
      if (state === EMPTY) return -1;
      if (state === USED && this.#slotMatches(at, hash, bytes)) return at;
    }
    return -1;
  }

  #write<R>(fn: () => R): R {
    const w = this.#words;
    while (Atomics.compareExchange(w, LOCK, 0, 1) !== 0) {
      // short sections: spin
    }
    Atomics.add(w, SEQUENCE, 1);
    try {
      return fn();
    } finally {
      Atomics.add(w, SEQUENCE, 1);
      Atomics.store(w, LOCK, 0);
    }
  }

  #read<R>(fn: () => R): R {
    const w = this.#words;
    for (;;) {
      const before = Atomics.load(w, SEQUENCE);
      if ((before & 1) === 0) {
        const result = fn();
        if (Atomics.load(w, SEQUENCE) === before) return result;
      }
    }
  }

  /** Registers `name` for the pid (id, serial); false when the name is taken. */
  register(name: string, id: number, serial: number): boolean {
    const bytes = this.#encode(name);
    const hash = fnv1a(bytes);
    return this.#write(() => {
      if (this.#find(hash, bytes) >= 0) return false;
      const v = this.#view;
      const mask = this.capacity - 1;
      for (let probe = 0, i = hash & mask; probe < this.capacity; probe++, i = (i + 1) & mask) {
        const at = SLOTS_OFFSET + i * SLOT_BYTES;
        if (v.getUint32(at + S_STATE, true) === USED) continue;
        v.setUint32(at + S_HASH, hash, true);
        v.setUint32(at + S_ID, id, true);
        v.setUint32(at + S_SERIAL, serial, true);
        v.setUint32(at + S_LENGTH, bytes.length, true);
        this.#bytes.set(bytes, at + S_NAME);
        v.setUint32(at + S_STATE, USED, true);
        this.#words[COUNT]!++;
        return true;
      }
      throw new BeamError(ErrorCode.SYSTEM_LIMIT, `register: the name table is full (${this.capacity} names)`);
    });
  }

  #remove(at: number): { readonly id: number; readonly serial: number } {
    const v = this.#view;
    const owner = { id: v.getUint32(at + S_ID, true), serial: v.getUint32(at + S_SERIAL, true) };
    v.setUint32(at + S_STATE, DELETED, true);
    this.#words[COUNT]!--;
    return owner;
  }

  /** Frees `name`; returns the pid that held it, or undefined. */
  unregister(name: string): { readonly id: number; readonly serial: number } | undefined {
    const bytes = this.#encode(name);
    const hash = fnv1a(bytes);
    return this.#write(() => {
      const at = this.#find(hash, bytes);
      return at < 0 ? undefined : this.#remove(at);
    });
  }

  /** Frees `name` only if the pid (id, serial) holds it. */
  unregisterIfOwner(name: string, id: number, serial: number): void {
    const bytes = this.#encode(name);
    const hash = fnv1a(bytes);
    this.#write(() => {
      const at = this.#find(hash, bytes);
      if (at >= 0 && this.#view.getUint32(at + S_ID, true) === id && this.#view.getUint32(at + S_SERIAL, true) === serial) this.#remove(at);
    });
  }

  /** The pid registered as `name`, or undefined. Lock-free. */
  whereis(name: string): { readonly id: number; readonly serial: number } | undefined {
    const bytes = this.#encode(name);
    const hash = fnv1a(bytes);
    return this.#read(() => {
      const at = this.#find(hash, bytes);
      return at < 0 ? undefined : { id: this.#view.getUint32(at + S_ID, true), serial: this.#view.getUint32(at + S_SERIAL, true) };
    });
  }

  /** Every registered name (with its pid). Lock-free. */
  entries(): Array<{ readonly name: string; readonly id: number; readonly serial: number }> {
    return this.#read(() => {
      const out: Array<{ name: string; id: number; serial: number }> = [];
      const v = this.#view;
      for (let i = 0; i < this.capacity; i++) {
        const at = SLOTS_OFFSET + i * SLOT_BYTES;
        if (v.getUint32(at + S_STATE, true) !== USED) continue;
        const length = Math.min(v.getUint32(at + S_LENGTH, true), MAX_NAME_BYTES);
        out.push({ name: decoder.decode(this.#bytes.slice(at + S_NAME, at + S_NAME + length)), id: v.getUint32(at + S_ID, true), serial: v.getUint32(at + S_SERIAL, true) });
      }
      return out;
    });
  }

  /** Every registered name. */
  registered(): string[] {
    return this.entries().map((entry) => entry.name);
  }

  /** Drops every name (VM stop). */
  clear(): void {
    this.#write(() => {
      this.#bytes.fill(0, SLOTS_OFFSET);
      this.#words[COUNT] = 0;
    });
  }
}
