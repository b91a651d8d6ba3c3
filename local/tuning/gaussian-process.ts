/**
 * A small Gaussian-process regressor and the expected-improvement acquisition, the surrogate of the Bayesian
 * strategy (Snoek, Larochelle & Adams 2012, "Practical Bayesian Optimization of Machine Learning Algorithms", one
 * of the papers SageMaker's "How Hyperparameter Tuning Works" cites).
 *
 * - Kernel: Matérn 5/2 over the unit-cube features, one length scale shared by every dimension.
 * - Targets are standardized (mean 0, standard deviation 1) before fitting.
 * - Hyperparameters (length scale, noise share) are chosen from a fixed grid by the marginal likelihood, with the
 *   signal variance profiled out in closed form: no gradient optimizer, nothing random, so a fit is deterministic
 *   and cannot diverge. Tuning jobs hold at most a few hundred points, so an O(n³) Cholesky per grid cell is cheap
 *   next to one XGBoost training.
 */

// Math functions bound once: under Jest's vm sandbox every global lookup goes through an interceptor and these
// loops ran ~25 times slower; plain Node is unaffected either way.
const { abs, exp, log, max, sqrt, PI, SQRT2 } = Math;

/** Prediction of the latent function at one point, in the targets' units. */
export interface GaussianProcessPrediction {
  readonly mean: number;
  readonly variance: number;
}

/** A fitted model. */
export interface GaussianProcessModel {
  /** The length scale and noise share the marginal likelihood chose. */
  readonly lengthScale: number;
  readonly noiseShare: number;
  predict(x: readonly number[]): GaussianProcessPrediction;
}

const LENGTH_SCALES = [0.05, 0.1, 0.2, 0.35, 0.6, 1, 2];
const NOISE_SHARES = [1e-6, 1e-4, 1e-2, 1e-1];
const SQRT5 = sqrt(5);

/** Matérn 5/2 correlation at distance `r` for length scale `l`. */
export function matern52(r: number, l: number): number {
  const s = (SQRT5 * r) / l;
  return (1 + s + (s * s) / 3) * exp(-s);
}

function distance(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    sum += d * d;
  }
  return sqrt(sum);
}

/** Lower Cholesky factor of a symmetric positive-definite n×n matrix (row-major), or undefined if not SPD. */
function cholesky(matrix: Float64Array, n: number): Float64Array | undefined {
  const lower = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = matrix[i * n + j] as number;
      for (let k = 0; k < j; k++) sum -= (lower[i * n + k] as number) * (lower[j * n + k] as number);
      if (i === j) {
        if (!(sum > 0)) return undefined;
        lower[i * n + i] = sqrt(sum);
      } else {
        lower[i * n + j] = sum / (lower[j * n + j] as number);
      }
    }
  }
  return lower;
}

/** Solves L x = b (forward substitution). */
function solveLower(lower: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = b[i] as number;
    for (let k = 0; k < i; k++) sum -= (lower[i * n + k] as number) * (x[k] as number);
    x[i] = sum / (lower[i * n + i] as number);
  }
  return x;
}

/** Solves Lᵀ x = b (back substitution). */
function solveUpper(lower: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = b[i] as number;
    for (let k = i + 1; k < n; k++) sum -= (lower[k * n + i] as number) * (x[k] as number);
    x[i] = sum / (lower[i * n + i] as number);
  }
  return x;
}

interface Fit {
  readonly lengthScale: number;
  readonly noiseShare: number;
  readonly lower: Float64Array;
  readonly alpha: Float64Array;
  readonly signalVariance: number;
  readonly logLikelihood: number;
}

function fitOne(
  distances: Float64Array,
  n: number,
  y: Float64Array,
  lengthScale: number,
  noiseShare: number,
): Fit | undefined {
  const matrix = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) matrix[i] = (1 - noiseShare) * matern52(distances[i] as number, lengthScale);
  for (let i = 0; i < n; i++) matrix[i * n + i] = 1;
  const lower = cholesky(matrix, n);
  if (lower === undefined) return undefined;
  const alpha = solveUpper(lower, n, solveLower(lower, n, y));
  let quadratic = 0;
  for (let i = 0; i < n; i++) quadratic += (y[i] as number) * (alpha[i] as number);
  let logDeterminant = 0;
  for (let i = 0; i < n; i++) logDeterminant += 2 * log(lower[i * n + i] as number);
  // Profile likelihood: the covariance is s²·K, and the best s² is yᵀK⁻¹y / n.
  const signalVariance = max(quadratic / n, 1e-12);
  const logLikelihood = -0.5 * n * log(signalVariance) - 0.5 * logDeterminant;
  return { lengthScale, noiseShare, lower, alpha, signalVariance, logLikelihood };
}

/**
 * Fits the model to points `xs` (unit-cube features, all the same length) and targets `ys` (finite numbers).
 * @throws RangeError when there are no points or the lengths disagree
 */
export function fitGaussianProcess(xs: readonly (readonly number[])[], ys: readonly number[]): GaussianProcessModel {
  const n = xs.length;
  if (n === 0 || ys.length !== n) throw new RangeError(`need as many targets as points (${n} points, ${ys.length} targets)`);
  const mean = ys.reduce((sum, value) => sum + value, 0) / n;
  const spread = sqrt(ys.reduce((sum, value) => sum + (value - mean) ** 2, 0) / n);
  const scale = spread > 0 ? spread : 1;
  const y = Float64Array.from(ys, (value) => (value - mean) / scale);
  const distances = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const d = distance(xs[i] as readonly number[], xs[j] as readonly number[]);
      distances[i * n + j] = d;
      distances[j * n + i] = d;
    }
  }
  let best: Fit | undefined;
  for (const lengthScale of LENGTH_SCALES) {
    for (const noiseShare of NOISE_SHARES) {
      const fit = fitOne(distances, n, y, lengthScale, noiseShare);
      if (fit !== undefined && (best === undefined || fit.logLikelihood > best.logLikelihood)) best = fit;
    }
  }
  // The noisiest cell is 0.9·C + 0.1·I with C positive semi-definite: its Cholesky always succeeds, so best is set.
  const chosen = best as Fit;
  return {
    lengthScale: chosen.lengthScale,
    noiseShare: chosen.noiseShare,
    predict: (x) => {
      const k = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        k[i] = (1 - chosen.noiseShare) * matern52(distance(x, xs[i] as readonly number[]), chosen.lengthScale);
      }
      let standardMean = 0;
      for (let i = 0; i < n; i++) standardMean += (k[i] as number) * (chosen.alpha[i] as number);
      const v = solveLower(chosen.lower, n, k);
      let explained = 0;
      for (let i = 0; i < n; i++) explained += (v[i] as number) ** 2;
      // Latent (noise-free) variance: the prior's 1 - noise share, less what the data explain.
      const standardVariance = max(1 - chosen.noiseShare - explained, 1e-12) * chosen.signalVariance;
      return { mean: mean + scale * standardMean, variance: scale * scale * standardVariance };
    },
  };
}

/** Coefficients of `erfcc` (Numerical Recipes), lowest power of t first. */
const ERFC_COEFFICIENTS = [
  -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223,
  0.17087277,
];

/**
 * erfc(x) with a relative error below 1.2e-7 everywhere (Numerical Recipes' Chebyshev fit `erfcc`): relative, so
 * the far tail of expected improvement still orders candidates correctly.
 */
export function erfc(x: number): number {
  const z = abs(x);
  const t = 1 / (1 + 0.5 * z);
  let poly = 0;
  for (let i = ERFC_COEFFICIENTS.length - 1; i >= 0; i--) poly = (ERFC_COEFFICIENTS[i] as number) + t * poly;
  const tail = t * exp(-z * z + poly);
  return x >= 0 ? tail : 2 - tail;
}

/** Standard normal cumulative distribution. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / SQRT2);
}

/** Standard normal density. */
export function normalPdf(z: number): number {
  return exp(-0.5 * z * z) / sqrt(2 * PI);
}

/**
 * Expected improvement below `incumbent` (lower is better) of a prediction, with exploration margin `xi`:
 * E[max(incumbent - xi - f, 0)] for f ~ N(mean, variance).
 */
export function expectedImprovement(prediction: GaussianProcessPrediction, incumbent: number, xi = 0): number {
  const sigma = sqrt(prediction.variance);
  const gain = incumbent - xi - prediction.mean;
  if (!(sigma > 0)) return max(gain, 0);
  const z = gain / sigma;
  return gain * normalCdf(z) + sigma * normalPdf(z);
}
