/**
 * A small seeded pseudo-random generator, so that a tuning job with a seed proposes the same trials every time
 * (SageMaker's `RandomSeed`). `Math.random` cannot be seeded.
 *
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, from PractRand) seeded through splitmix32: 128 bits
 * of state, passes PractRand and BigCrush, a few integer operations per draw. Plenty for sampling hyperparameters.
 */
import { TuningConfigurationError } from './errors.js';

// Math functions bound once: under Jest's vm sandbox every global lookup goes through an interceptor and these
// loops ran ~25 times slower; plain Node is unaffected either way.
const { cos, floor, imul, log, min, sqrt, PI } = Math;

/** A source of pseudo-random numbers. */
export interface RandomSource {
  /** A uniform draw in [0, 1). */
  next(): number;
  /** A standard normal draw (Box-Muller). */
  normal(): number;
  /** A uniform integer in [0, n). */
  integer(n: number): number;
}

function splitmix32(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x9e3779b9) | 0;
    let t = state ^ (state >>> 16);
    t = imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = imul(t, 0x735a2d97);
    t ^= t >>> 15;
    return t >>> 0;
  };
}

/**
 * A generator whose draws depend only on `seed` (a safe integer: all 53 bits count).
 * @throws TuningConfigurationError when `seed` is not a safe integer
 */
export function seededRandom(seed: number): RandomSource {
  if (!Number.isSafeInteger(seed)) {
    throw new TuningConfigurationError(`the tuning seed must be an integer, got ${seed}`);
  }
  const low = splitmix32(seed >>> 0);
  const high = splitmix32(floor(seed / 2 ** 32) ^ 0x5bd1e995);
  let a = low();
  let b = high();
  let c = low() ^ high();
  let d = 1;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // The first draws of a freshly seeded sfc32 are poorly mixed: discard them, as its author recommends.
  for (let i = 0; i < 15; i++) next();
  return {
    next,
    normal: () => {
      const u = 1 - next(); // (0, 1]: log(u) is finite
      return sqrt(-2 * log(u)) * cos(2 * PI * next());
    },
    integer: (n: number) => min(n - 1, floor(next() * n)),
  };
}
