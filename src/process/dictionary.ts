/**
 * ProcessDictionary: the process dictionary (erlang:put/2, get/1, get/0, erase/1, erase/0,
 * get_keys/0, get_keys/1).
 *
 * Keys and values are terms; keys compare with `=:=` (exactEquals), as in Erlang. Keys that
 * are JS primitives or atoms (numbers, bigints, strings, booleans, undefined, null, Atom) are
 * already unique JS values under SameValueZero, so they key a JS Map directly. Other keys
 * (tuples, lists, pids, Float, …) are found by `hashTerm` then `exactEquals` in a bucket.
 * Erlang leaves the order of get/0 and get_keys unspecified; here it is insertion order
 * within each of the two kinds of key.
 *
 * Invariants: each key (by =:=) has at most one entry; `size` counts entries.
 * Threads: owned by one process, on its scheduler thread. Not thread-safe.
 * Ownership: holds references to keys and values until erased or the process dies.
 * Bad input: none (any term is a valid key or value; validation is the caller's).
 */
import { Atom, exactEquals, hashTerm, tuple, type Term, type Tuple } from '../term/index.js';

interface Entry {
  readonly key: Term;
  value: Term;
}

function isSimpleKey(key: Term): boolean {
  const kind = typeof key;
  return kind !== 'object' || key === null || key instanceof Atom;
}

export class ProcessDictionary {
  readonly #simple = new Map<Term, Entry>();
  readonly #hashed = new Map<number, Entry[]>();
  #hashedCount = 0;

  get size(): number {
    return this.#simple.size + this.#hashedCount;
  }

  /** put/2: stores value under key; returns the old value or undefined (the atom). */
  put(key: Term, value: Term): Term {
    if (isSimpleKey(key)) {
      const entry = this.#simple.get(key);
      if (entry !== undefined) {
        const old = entry.value;
        entry.value = value;
        return old;
      }
      this.#simple.set(key, { key, value });
      return undefined;
    }
    const hash = hashTerm(key);
    let bucket = this.#hashed.get(hash);
    if (bucket === undefined) {
      bucket = [];
      this.#hashed.set(hash, bucket);
    }
    for (const entry of bucket) {
      if (exactEquals(entry.key, key)) {
        const old = entry.value;
        entry.value = value;
        return old;
      }
    }
    bucket.push({ key, value });
    this.#hashedCount++;
    return undefined;
  }

  /** get/1: the value under key, or undefined (the atom) when absent. */
  get(key: Term): Term {
    return this.#find(key)?.value;
  }

  /** True when key is present (get/1 cannot tell an absent key from a stored `undefined`). */
  has(key: Term): boolean {
    return this.#find(key) !== undefined;
  }

  /** erase/1: removes key; returns its old value or undefined. */
  erase(key: Term): Term {
    if (isSimpleKey(key)) {
      const entry = this.#simple.get(key);
      if (entry === undefined) return undefined;
      this.#simple.delete(key);
      return entry.value;
    }
    const hash = hashTerm(key);
    const bucket = this.#hashed.get(hash);
    if (bucket === undefined) return undefined;
    for (let i = 0; i < bucket.length; i++) {
      const entry = bucket[i]!;
      if (exactEquals(entry.key, key)) {
        bucket.splice(i, 1);
        if (bucket.length === 0) this.#hashed.delete(hash);
        this.#hashedCount--;
        return entry.value;
      }
    }
    return undefined;
  }

  /** get/0 (and erase/0's result): every entry as a `{Key, Value}` tuple. */
  entries(): Array<Tuple<readonly [Term, Term]>> {
    const out: Array<Tuple<readonly [Term, Term]>> = [];
    for (const entry of this.#simple.values()) out.push(tuple(entry.key, entry.value));
    for (const bucket of this.#hashed.values()) for (const entry of bucket) out.push(tuple(entry.key, entry.value));
    return out;
  }

  /** get_keys/0, or get_keys/1 (the keys whose value =:= `value`) when `value` is given. */
  keys(...value: [] | [Term]): Term[] {
    const out: Term[] = [];
    const filter = value.length === 1;
    const wanted = value[0];
    for (const entry of this.#simple.values()) if (!filter || exactEquals(entry.value, wanted)) out.push(entry.key);
    for (const bucket of this.#hashed.values()) {
      for (const entry of bucket) if (!filter || exactEquals(entry.value, wanted)) out.push(entry.key);
    }
    return out;
  }

  /** erase/0: removes everything. */
  clear(): void {
    this.#simple.clear();
    this.#hashed.clear();
    this.#hashedCount = 0;
  }

  #find(key: Term): Entry | undefined {
    if (isSimpleKey(key)) return this.#simple.get(key);
    const bucket = this.#hashed.get(hashTerm(key));
    if (bucket === undefined) return undefined;
    for (const entry of bucket) if (exactEquals(entry.key, key)) return entry;
    return undefined;
  }
}
