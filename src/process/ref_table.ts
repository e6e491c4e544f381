/**
 * RefTable: a process's monitors (as watcher, and as target), keyed by the monitor ref's key;
 * the subset of Map's interface the process layer uses (get, set, has, delete, values, size),
 * kept in insertion order as a Map is.
 *
 * Why not a Map: a gen_server call creates a monitor and removes it a microsecond later, on
 * both sides (the caller's `monitors`, the server's `monitoredBy`). A V8 Map's delete costs
 * 100-200 ns here (its table shrinks when it becomes nearly empty, a runtime call), four of
 * them were a third of a call. Most processes hold a handful of monitors: up to SMALL entries
 * live in two plain arrays (linear search, the newest first, since the newest monitor is the
 * one usually removed); beyond that the table switches to a Map for good.
 *
 * Invariants: in small mode `#keys[i]` is the key of `#values[i]`, no key twice, oldest first;
 * `#map` non-null means map mode (the arrays are then unused).
 * Threads: owned by its process's scheduler thread; not thread-safe.
 * Bad input: none checked (keys come from refKey()).
 */
import type { RefKey } from './signals.js';

/** Entries kept in the arrays before the table becomes a Map. */
const SMALL = 8;

export class RefTable<V> {
  #keys: RefKey[] = [];
  #values: V[] = [];
  #map: Map<RefKey, V> | null = null;

  /** Entries in the table. */
  get size(): number {
    return this.#map === null ? this.#keys.length : this.#map.size;
  }

  get(key: RefKey): V | undefined {
    if (this.#map !== null) return this.#map.get(key);
    const keys = this.#keys;
    for (let i = keys.length - 1; i >= 0; i--) if (keys[i] === key) return this.#values[i];
    return undefined;
  }

  has(key: RefKey): boolean {
    if (this.#map !== null) return this.#map.has(key);
    return this.#keys.lastIndexOf(key) >= 0;
  }

  /** Adds or replaces (a replaced entry keeps its place, as in a Map). */
  set(key: RefKey, value: V): this {
    const map = this.#map;
    if (map !== null) {
      map.set(key, value);
      return this;
    }
    const keys = this.#keys;
    for (let i = keys.length - 1; i >= 0; i--) {
      if (keys[i] === key) {
        this.#values[i] = value;
        return this;
      }
    }
    if (keys.length < SMALL) {
      keys.push(key);
      this.#values.push(value);
      return this;
    }
    const grown = new Map<RefKey, V>();
    for (let i = 0; i < keys.length; i++) grown.set(keys[i]!, this.#values[i]!);
    grown.set(key, value);
    this.#map = grown;
    this.#keys = [];
    this.#values = [];
    return this;
  }

  /** Removes an entry; true if it was there. */
  delete(key: RefKey): boolean {
    if (this.#map !== null) return this.#map.delete(key);
    const keys = this.#keys;
    const values = this.#values;
    const last = keys.length - 1;
    for (let i = last; i >= 0; i--) {
      if (keys[i] === key) {
        for (let j = i; j < last; j++) {
          keys[j] = keys[j + 1]!;
          values[j] = values[j + 1]!;
        }
        keys.pop();
        values.pop();
        return true;
      }
    }
    return false;
  }

  /** The values, oldest first (a copy when small: the table may change while they are used). */
  values(): IterableIterator<V> {
    return this.#map !== null ? this.#map.values() : this.#values.slice().values();
  }
}
