/**
 * The local stand-in for a SageMaker hyperparameter tuning job.
 *
 * 1. validate the job by SageMaker's rules (`core/training/tuning-ranges.ts`: ranges, scaling types, Grid over
 *    categorical ranges only, Hyperband without early stopping);
 * 2. run trials **one at a time**, never two trainings at once (XGBoost's OpenMP threads collapse under
 *    contention on a small machine); `maxParallelJobs` is therefore not used;
 * 3. choose each trial's hyperparameters by the strategy: `Random`, `Bayesian` (Gaussian process + expected
 *    improvement, `bayesian.ts`), `Grid` (every combination of categorical values, `grid.ts`), `Hyperband` (random
 *    configurations, poor ones stopped by successive halving at rungs of rounds);
 * 4. with `earlyStopping` (SageMaker's `TrainingJobEarlyStoppingType: Auto`), stop poor trials by the median
 *    stopping rule through the `shouldStop` hook the trial runner calls after every round. Hyperband stops poor
 *    trials itself (successive halving, same hook), and SageMaker refuses it with early stopping on: so do we;
 * 5. report every trial and the best: by the objective in its direction, ties to the earlier trial, among the
 *    trials that produced a model with a finite objective.
 *
 * Deterministic given `seed` (SageMaker's `RandomSeed`) and the trials' results. How a trial trains is the
 * runner's business: `xgboost-trial-runner.ts` adapts the local XGBoost trainer; tests pass a cheap function.
 */
import type { TuningRequest } from '../../core/ports/trainer.js';
import { tuningProblemMessage, tuningProblems } from '../../core/training/tuning-ranges.js';
import { proposeBayesian } from './bayesian.js';
import type { BayesianOptions, Observation } from './bayesian.js';
import { medianStoppingRule, successiveHalvingRule } from './early-stopping.js';
import type {
  MedianStoppingOptions,
  ObjectiveCurve,
  ObjectiveDirection,
  SuccessiveHalvingOptions,
} from './early-stopping.js';
import { NoEligibleTrialError, TrialFailedError, TuningConfigurationError, TuningError } from './errors.js';
import { gridConfigurations } from './grid.js';
import { seededRandom } from './random.js';
import type { RandomSource } from './random.js';
import { formatConfiguration, sampleConfiguration } from './search-space.js';
import type { Configuration } from './search-space.js';

/** A tuning job as the local tuner runs it: the search part of a {@link TuningRequest}, plus local knobs. */
export interface LocalTuningRequest
  extends Pick<TuningRequest, 'strategy' | 'objective' | 'ranges' | 'maxJobs' | 'earlyStopping'> {
  /** Seeds every random choice (default 0, so a local run repeats itself). */
  readonly seed?: number | undefined;
  /** Thresholds of the median stopping rule (used with `earlyStopping`). */
  readonly medianStopping?: MedianStoppingOptions | undefined;
  /** Rungs of the Hyperband strategy. */
  readonly hyperband?: SuccessiveHalvingOptions | undefined;
  /** Knobs of the Bayesian strategy. */
  readonly bayesian?: BayesianOptions | undefined;
}

/** What a trial runner is given. */
export interface TrialContext {
  /** 0-based position of the trial in the tuning job. */
  readonly index: number;
  /** The tuned hyperparameters only, as strings; the runner adds the static ones. */
  readonly hyperparameters: Readonly<Record<string, string>>;
  /**
   * Call after every round (0-based, in order from 0) with the objective metric's value after it; `true` means
   * stop training now and report the trial as stopped early. Once it has said `true` it keeps saying so.
   */
  readonly shouldStop: (round: number, objective: number) => boolean;
}

/** What a trial runner reports. */
export interface TrialResult {
  /** Final metrics as SageMaker names them (`train:auc`, `validation:auc`, ...). */
  readonly metrics: Readonly<Record<string, number>>;
  /** The objective metric's final value (NaN when it is missing). */
  readonly objective: number;
  /** Whether the trial ended because `shouldStop` said so. */
  readonly stoppedEarly: boolean;
  /** The model the trial wrote (`.../output/model.tar.gz`); undefined when it wrote none (stopped early). */
  readonly modelArtifact: string | undefined;
}

/** Runs one trial: trains with the given hyperparameters, calling `shouldStop` after every round. */
export type TrialRunner = (trial: TrialContext) => Promise<TrialResult>;

/** A trial of a finished tuning job. */
export interface TuningTrial extends TrialResult {
  readonly index: number;
  readonly hyperparameters: Readonly<Record<string, string>>;
}

/** Hooks of {@link tuneLocally}. */
export interface TuningHooks {
  /** Called as each trial ends, with the job's trial count and the best eligible trial so far (progress). */
  readonly onTrial?: ((trial: TuningTrial, total: number, best: TuningTrial | undefined) => void) | undefined;
}

/** The outcome of a tuning job. */
export interface LocalTuningResult {
  /** The best trial: see {@link selectBestTrial}. */
  readonly best: TuningTrial;
  /** Every trial, in the order they ran. */
  readonly trials: readonly TuningTrial[];
}

/**
 * The best trial by objective: the highest for `Maximize`, the lowest for `Minimize`, the earlier trial on a tie.
 * Only trials with a model artifact and a finite objective are eligible (a trial stopped early usually has no
 * model to deploy, and a NaN objective ranks nothing).
 * @throws NoEligibleTrialError when no trial is eligible
 */
export function selectBestTrial(trials: readonly TuningTrial[], direction: ObjectiveDirection): TuningTrial {
  let best: TuningTrial | undefined;
  for (const trial of trials) {
    if (trial.modelArtifact === undefined || !Number.isFinite(trial.objective)) continue;
    const better =
      best === undefined ||
      (direction === 'Maximize' ? trial.objective > best.objective : trial.objective < best.objective);
    if (better) best = trial;
  }
  if (best === undefined) {
    throw new NoEligibleTrialError(
      `none of the ${trials.length} trials produced a model with a finite objective value ` +
        `(${trials.filter((trial) => trial.stoppedEarly).length} were stopped early)`,
    );
  }
  return best;
}

/**
 * The tuning job against SageMaker's rules (`core/training/tuning-ranges.ts`, the adapter's too), then the local
 * Hyperband knobs.
 */
function validateRequest(request: LocalTuningRequest): void {
  const problems = tuningProblems(request).map(tuningProblemMessage);
  const { minResource, reductionFactor } = request.hyperband ?? {};
  if (minResource !== undefined && (!Number.isInteger(minResource) || minResource < 1)) {
    problems.push(`hyperband.minResource must be an integer >= 1, got ${minResource}`);
  }
  if (reductionFactor !== undefined && (!Number.isInteger(reductionFactor) || reductionFactor < 2)) {
    problems.push(`hyperband.reductionFactor must be an integer >= 2, got ${reductionFactor}`);
  }
  if (problems.length > 0) throw new TuningConfigurationError(problems.join('; '));
}

type StoppingRule = (round: number, objective: number, previous: readonly ObjectiveCurve[]) => boolean;

function stoppingRuleFor(request: LocalTuningRequest): StoppingRule {
  const direction = request.objective.direction;
  if (request.strategy === 'Hyperband') {
    return (round, objective, previous) =>
      successiveHalvingRule({ ...request.hyperband, round, objective, previous, direction });
  }
  if (!request.earlyStopping) return () => false;
  return (round, objective, previous) =>
    medianStoppingRule({ ...request.medianStopping, round, objective, previous, direction });
}

/**
 * Runs a tuning job locally: one trial at a time through `runTrial`, up to `maxJobs` trials (Grid: one per
 * combination), and returns every trial and the best one.
 * @throws TuningConfigurationError before any trial when the job is invalid
 * @throws TrialFailedError when a trial's runner throws (the job stops there; `cause` is the runner's error)
 * @throws NoEligibleTrialError when no trial produced a model with a finite objective
 */
export async function tuneLocally(
  request: LocalTuningRequest,
  runTrial: TrialRunner,
  hooks: TuningHooks = {},
): Promise<LocalTuningResult> {
  validateRequest(request);
  const random = seededRandom(request.seed ?? 0);
  const grid = request.strategy === 'Grid' ? gridConfigurations(request.ranges) : undefined;
  const total = grid?.length ?? request.maxJobs;
  const stopRule = stoppingRuleFor(request);

  const trials: TuningTrial[] = [];
  const observations: Observation[] = [];
  const curves: ObjectiveCurve[] = [];
  for (let index = 0; index < total; index++) {
    const configuration = nextConfiguration(request, grid, index, observations, random);
    const hyperparameters = formatConfiguration(request.ranges, configuration);
    const curve: number[] = [];
    const previous = [...curves];
    let stopped = false;
    let finished = false;
    const shouldStop = (round: number, objective: number): boolean => {
      if (stopped || finished) return true;
      if (round !== curve.length) {
        throw new TuningError(`trial ${index} reported round ${round} after ${curve.length} rounds: report every round, in order from 0`);
      }
      curve.push(objective);
      stopped = stopRule(round, objective, previous);
      return stopped;
    };

    let result: TrialResult;
    try {
      result = await runTrial({ index, hyperparameters, shouldStop });
    } catch (error) {
      throw new TrialFailedError(index, hyperparameters, error);
    } finally {
      finished = true;
    }
    const trial: TuningTrial = { ...result, index, hyperparameters };
    trials.push(trial);
    hooks.onTrial?.(trial, total, bestSoFar(trials, request.objective.direction));
    curves.push(curve);
    observations.push({ configuration, objective: result.objective });
  }
  return { best: selectBestTrial(trials, request.objective.direction), trials };
}

function bestSoFar(trials: readonly TuningTrial[], direction: ObjectiveDirection): TuningTrial | undefined {
  try {
    return selectBestTrial(trials, direction);
  } catch (error) {
    if (error instanceof NoEligibleTrialError) return undefined;
    throw error;
  }
}

function nextConfiguration(
  request: LocalTuningRequest,
  grid: readonly Configuration[] | undefined,
  index: number,
  observations: readonly Observation[],
  random: RandomSource,
): Configuration {
  switch (request.strategy) {
    case 'Grid':
      return grid?.[index] as Configuration;
    case 'Bayesian':
      return proposeBayesian(request.ranges, observations, request.objective.direction, random, request.bayesian);
    case 'Random':
    case 'Hyperband':
      return sampleConfiguration(request.ranges, random);
  }
}
