/**
 * The keys of the ETS benchmarks (bench/ets/), computed exactly as bench/erl/ets_bench.erl
 * computes them, so that beamjs and BEAM do the same operations on the same keys:
 *
 *   - the table holds the integer keys 0..KEYS-1, inserted in the order (i * 7919) mod KEYS for
 *     i = 0..KEYS-1 (7919 is prime to 100,000, so this is a permutation);
 *   - operation keys come from the LCG x' = (x * 1103515245 + 12345) mod 2^31, key = x mod KEYS,
 *     started at x = the worker's number (1, 2, ...).
 *
 * Thread-safety: pure functions; loaded in every scheduler thread that runs a bench process.
 */

/** Keys in a benchmark table. */
export const KEYS = 100_000;

/** The i-th key inserted into a full table. */
export function fillKey(i: number): number {
  return (i * 7919) % KEYS;
}

/** The next LCG state: (x * 1103515245 + 12345) mod 2^31 (Math.imul keeps the low 32 bits exactly). */
export function lcg(x: number): number {
  return (Math.imul(x, 1103515245) + 12345) & 0x7fffffff;
}
