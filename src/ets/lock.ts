/**
 * src/ets/lock.ts: the mutex of ETS's shared memory, one Int32 word in a SharedArrayBuffer
 * (the futex mutex of Drepper's "Futexes Are Tricky", mutex 2).
 *
 * The word:
 *   | value | meaning                                         |
 *   |------:|-------------------------------------------------|
 *   | 0     | free                                            |
 *   | 1     | held, nobody waits                              |
 *   | 2     | held, some thread may sleep in Atomics.wait     |
 *
 * `lockWord` tries compareExchange 0 -> 1, spins a little (sections guarded here are short:
 * a few hundred instructions), then marks the word 2 and sleeps with Atomics.wait until an
 * unlock notifies it. `unlockWord` stores 0 and notifies one waiter only when the word was 2,
 * so the uncontended path is one compareExchange and one exchange, and no syscall.
 * Every access is an Atomics operation (sequentially consistent): what the holder wrote
 * before unlocking is visible to the next holder.
 *
 * Threads: any thread, including Node's main thread (Node allows Atomics.wait there).
 * Not re-entrant: a thread that locks a word it holds waits forever; callers order their
 * locks (each file that owns locks states its order). Bad input: none checked (internal).
 */

/** Spins before sleeping; a held section is short, a sleep costs tens of microseconds. */
const SPINS = 100;

/** Takes the mutex at `index` of `words`. */
export function lockWord(words: Int32Array, index: number): void {
  let c = Atomics.compareExchange(words, index, 0, 1);
  if (c === 0) return;
  for (let i = 0; i < SPINS; i++) {
    if (c === 1) {
      c = Atomics.compareExchange(words, index, 0, 1);
      if (c === 0) return;
    } else {
      c = Atomics.load(words, index);
      if (c === 0) {
        c = Atomics.compareExchange(words, index, 0, 1);
        if (c === 0) return;
      }
    }
  }
  if (c !== 2) c = Atomics.exchange(words, index, 2);
  while (c !== 0) {
    Atomics.wait(words, index, 2);
    c = Atomics.exchange(words, index, 2);
  }
}

/** Releases the mutex at `index` (held by the calling thread). */
export function unlockWord(words: Int32Array, index: number): void {
  if (Atomics.exchange(words, index, 0) === 2) Atomics.notify(words, index, 1);
}
