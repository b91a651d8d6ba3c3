/**
 * The Bayesian strategy: a Gaussian-process surrogate of the objective over the search space, and the next trial
 * where the expected improvement over the best trial so far is largest.
 *
 * Why our own and not a library: the npm candidates did not fit (checked 2026-11). `bayesian-optimizer` (GP with
 * a Matérn kernel and EI, the closest match) is no longer served by the registry (404), draws from an unseeded
 * `Math.random`, and owns the optimization loop (`optimize(fn, space, n)`) where a tuner needs ask/tell.
 * `hyperparameters` (hpjs, a port of hyperopt's TPE) calls itself an early version, ships no type definitions,
 * is built with Babel 6 / Rollup 0.60 tooling, and also owns the loop (`fmin`). The method itself is small: the
 * surrogate is in `gaussian-process.ts` (~150 lines, unit-tested), and this file chooses candidates.
 *
 * GP + EI rather than TPE: with the budgets tuning jobs have (10-50 trials, few hyperparameters) a GP uses each
 * trial better, it is what SageMaker's own documentation points to, and it is deterministic given the seed.
 *
 * The acquisition is maximized over a finite candidate set: uniform draws over the whole space (exploration) plus
 * perturbations of the best trials so far on the scaled axes (exploitation), first best wins. The first trials
 * are random, until the surrogate has something to fit.
 */
import { expectedImprovement, fitGaussianProcess } from './gaussian-process.js';
import type { RandomSource } from './random.js';
import {
  configurationKey,
  encodeConfiguration,
  fromUnit,
  sampleConfiguration,
  sampleValue,
  toUnit,
} from './search-space.js';
import type { Configuration, SearchRanges } from './search-space.js';

/** Knobs of the Bayesian strategy; the defaults suit tuning jobs of 10 to 500 trials. */
export interface BayesianOptions {
  /** Random trials before the surrogate is used (default 2 per range, between 3 and 10). */
  readonly initialRandomTrials?: number | undefined;
  /** Uniform candidates per proposal (default 1000). */
  readonly randomCandidates?: number | undefined;
  /** Candidates drawn around each of the best trials (default 100). */
  readonly localCandidates?: number | undefined;
  /** How many of the best trials to search around (default 3). */
  readonly incumbents?: number | undefined;
  /** Exploration margin of expected improvement, in standard deviations of the objectives seen (default 0.01). */
  readonly exploration?: number | undefined;
}

/** A finished trial as the strategy sees it. */
export interface Observation {
  readonly configuration: Configuration;
  readonly objective: number;
}

/** Steps (on the unit axis) of the perturbations around the best trials, used in turn. */
const LOCAL_STEPS = [0.1, 0.03, 0.01];

/** The number of random trials the strategy starts with for these ranges. */
export function initialRandomTrials(ranges: SearchRanges, options: BayesianOptions = {}): number {
  return options.initialRandomTrials ?? Math.min(10, Math.max(3, 2 * Object.keys(ranges).length));
}

function perturb(ranges: SearchRanges, around: Configuration, random: RandomSource, step: number): Configuration {
  const configuration: Record<string, number | string> = {};
  for (const [name, range] of Object.entries(ranges)) {
    const value = around[name];
    if (range.type === 'categorical') {
      // Keep the value mostly; sometimes try another, so categorical ranges are explored near good points too.
      configuration[name] = value === undefined || random.next() < 0.2 ? sampleValue(range, random) : value;
    } else {
      configuration[name] = fromUnit(range, toUnit(range, Number(value)) + step * random.normal());
    }
  }
  return configuration;
}

/**
 * The next configuration to try, given the trials so far (those with a non-finite objective are ignored).
 * Deterministic given the state of `random`.
 */
export function proposeBayesian(
  ranges: SearchRanges,
  observations: readonly Observation[],
  direction: 'Maximize' | 'Minimize',
  random: RandomSource,
  options: BayesianOptions = {},
): Configuration {
  const usable = observations.filter((observation) => Number.isFinite(observation.objective));
  if (usable.length < initialRandomTrials(ranges, options)) return sampleConfiguration(ranges, random);

  // The surrogate minimizes: flip the sign of objectives to maximize.
  const sign = direction === 'Maximize' ? -1 : 1;
  const ys = usable.map((observation) => sign * observation.objective);
  const model = fitGaussianProcess(
    usable.map((observation) => encodeConfiguration(ranges, observation.configuration)),
    ys,
  );
  const incumbent = Math.min(...ys);
  const mean = ys.reduce((sum, y) => sum + y, 0) / ys.length;
  const spread = Math.sqrt(ys.reduce((sum, y) => sum + (y - mean) ** 2, 0) / ys.length);
  const xi = (options.exploration ?? 0.01) * (spread > 0 ? spread : 1);

  const candidates: Configuration[] = [];
  const randomCount = options.randomCandidates ?? 1000;
  for (let i = 0; i < randomCount; i++) candidates.push(sampleConfiguration(ranges, random));
  const order = usable.map((_, index) => index).sort((a, b) => (ys[a] as number) - (ys[b] as number) || a - b);
  const localCount = options.localCandidates ?? 100;
  for (const index of order.slice(0, options.incumbents ?? 3)) {
    const around = (usable[index] as Observation).configuration;
    for (let i = 0; i < localCount; i++) {
      candidates.push(perturb(ranges, around, random, LOCAL_STEPS[i % LOCAL_STEPS.length] as number));
    }
  }

  const tried = new Set(observations.map((observation) => configurationKey(ranges, observation.configuration)));
  let best: Configuration | undefined;
  let bestScore = Number.NEGATIVE_INFINITY;
  let fallback: Configuration | undefined;
  let fallbackScore = Number.NEGATIVE_INFINITY;
  for (const candidate of candidates) {
    const score = expectedImprovement(model.predict(encodeConfiguration(ranges, candidate)), incumbent, xi);
    if (score > fallbackScore) {
      fallback = candidate;
      fallbackScore = score;
    }
    // A discrete space can run out of new points: prefer untried ones, but never come back empty-handed.
    if (score > bestScore && !tried.has(configurationKey(ranges, candidate))) {
      best = candidate;
      bestScore = score;
    }
  }
  return best ?? fallback ?? sampleConfiguration(ranges, random);
}
