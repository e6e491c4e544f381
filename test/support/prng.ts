/**
 * Seeded randomness for tests: every randomized test draws from `mulberry32(seed)` and
 * prints its seed, so a failure found once replays with `BEAMJS_SEED=<seed>`.
 *
 * Thread-safety: pure; each generator is owned by its caller (workers make their own).
 */

/** mulberry32: a small, fast 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of a test run: BEAMJS_SEED if set, else derived from the clock and pid. */
export function testSeed(): number {
  const env = process.env.BEAMJS_SEED;
  if (env !== undefined && env !== '') return Number(env) >>> 0;
  return (Date.now() ^ (process.pid << 16)) >>> 0;
}
