/**
 * Mulberry32: a tiny, fast, seeded pseudo-random generator. The same seed gives the same sequence on every machine,
 * so generated data (benchmarks, test datasets) is byte-for-byte repeatable. Not for anything secret.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
