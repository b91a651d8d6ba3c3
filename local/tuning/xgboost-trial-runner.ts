/**
 * Trials of a local tuning job trained by the local XGBoost trainer (`trainXgboost`), as SageMaker trains the
 * training jobs of a tuning job:
 *
 * - hyperparameters: the static ones, overridden by the trial's tuned ones (a spec's `training.hyperparameters`
 *   may also name a tuned hyperparameter: the tuned value wins), plus `_tuning_objective_metric`, which SageMaker
 *   adds to every training job of a tuning job (the XGBoost container evaluates that metric every round and
 *   early-stops on it);
 * - output: `<outputRoot>/<tuningJobName>-NNN/output/model.tar.gz`, NNN counting from 001 like SageMaker's
 *   training job names in a tuning job (which also append a random suffix; a local name needs none);
 * - the objective: the trial's final value of the objective metric (SageMaker: the last value reported);
 * - early stopping: after every round the trainer reports (`onRound`), `shouldStop` is asked with the objective
 *   metric's value; on `true` the training is aborted (`signal`). Like SageMaker's XGBoost container, which
 *   cleans its model folder on SIGTERM, a stopped trial has no model; its metrics are those of the round where it
 *   was stopped.
 *
 * - data: read once for the whole tuning job (`data`, arrays in shared memory) and handed to every trial's worker
 *   without a copy; each trial's worker has exited, its native memory freed, before the next trial starts
 *   (`trainXgboost` settles only then), so a tuning job holds one trial's memory at a time. The local trainer passes
 *   a training session's `train` instead (`../xgboost/training-session.ts`): one worker for every trial, the channels
 *   read and their DMatrix pair built once, each trial's booster freed before the next starts.
 *
 * The trainer's worker reports rounds asynchronously and may run a few more before the abort reaches it, or even
 * finish. The trial still counts as stopped at the round where it was judged, whatever the worker did after, so
 * the tuning job's result does not depend on thread timing.
 */
import { join } from 'node:path';
import { OBJECTIVE_METRIC_PATTERN } from '../../core/training/tuning-ranges.js';
import { TrainingAbortedError } from '../xgboost/errors.js';
import type { RawHyperparameters } from '../xgboost/hyperparameters.js';
import { trainXgboost } from '../xgboost/train.js';
import type { RoundRecord, TrainOptions, TrainRequest, TrainResult } from '../xgboost/train.js';
import type { PreloadedChannels } from '../xgboost/train-core.js';
import { ObjectiveMetricMissingError, TuningConfigurationError } from './errors.js';
import type { TrialContext, TrialResult, TrialRunner } from './tuner.js';

/** The trainer the runner calls (`trainXgboost`, or a stand-in in tests). */
export type TrainFunction = (request: TrainRequest, options: TrainOptions) => Promise<TrainResult>;

/** What every trial of a tuning job shares. */
export interface XgboostTrialRunnerOptions {
  /** The tuning job's name: trial folders are named after it. */
  readonly tuningJobName: string;
  /** The objective metric, `validation:<metric>` or `train:<metric>`. */
  readonly objectiveMetric: string;
  /** Hyperparameters every trial gets (SageMaker's `StaticHyperParameters`), e.g. `objective`, `num_round`. */
  readonly staticHyperparameters: RawHyperparameters;
  readonly trainFiles: readonly string[];
  readonly validationFiles: readonly string[];
  /** The folder trial folders go in (the `models/<pipeline>/` prefix of the local bucket). */
  readonly outputRoot: string;
  /** Library location and version check, passed to the trainer. */
  readonly trainOptions?: Pick<TrainOptions, 'libraryPath' | 'expectedVersion'> | undefined;
  /** Defaults to `trainXgboost`. */
  readonly train?: TrainFunction | undefined;
  /**
   * Reads the channels once for every trial (called on the first trial, its result reused); without it each trial
   * reads `trainFiles` and `validationFiles` itself.
   */
  readonly data?: (() => Promise<PreloadedChannels>) | undefined;
  /** Called after each round of each trial (progress), with the trial's 0-based index. */
  readonly onRound?: ((trial: number, record: RoundRecord) => void) | undefined;
}

/** The training job name of trial `index` (0-based) of a tuning job: `<tuningJobName>-001` for the first. */
export function trialJobName(tuningJobName: string, index: number): string {
  return `${tuningJobName}-${String(index + 1).padStart(3, '0')}`;
}

/** Splits `validation:auc` into the channel and the metric as the trainer's round records key them. */
function parseObjectiveMetric(metric: string): { channel: 'train' | 'validation'; name: string } {
  const match = OBJECTIVE_METRIC_PATTERN.exec(metric);
  if (match === null) {
    throw new TuningConfigurationError(
      `the objective metric must look like "validation:<metric>" or "train:<metric>", got "${metric}"`,
    );
  }
  return { channel: match[1] as 'train' | 'validation', name: match[2] as string };
}

/** A round's evaluation keyed as SageMaker names final metrics. */
function roundMetrics(record: RoundRecord): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const [metric, value] of Object.entries(record.train)) metrics[`train:${metric}`] = value;
  for (const [metric, value] of Object.entries(record.validation)) metrics[`validation:${metric}`] = value;
  return metrics;
}

/** Why the runner aborted a training: to tell its own abort from any other. */
class EarlyStopRequest extends Error {
  public override readonly name = 'EarlyStopRequest';
}

/**
 * A {@link TrialRunner} that trains each trial with the local XGBoost trainer (one at a time: the trainer queues).
 * @throws TuningConfigurationError at once when `objectiveMetric` is malformed
 */
export function xgboostTrialRunner(options: XgboostTrialRunnerOptions): TrialRunner {
  const objective = parseObjectiveMetric(options.objectiveMetric);
  const train = options.train ?? trainXgboost;
  let data: Promise<PreloadedChannels> | undefined;

  return async (trial: TrialContext): Promise<TrialResult> => {
    data ??= options.data?.();
    const request: TrainRequest = {
      trainFiles: options.trainFiles,
      validationFiles: options.validationFiles,
      ...(data === undefined ? {} : { data: await data }),
      hyperparameters: {
        ...options.staticHyperparameters,
        ...trial.hyperparameters,
        _tuning_objective_metric: options.objectiveMetric,
      },
      outputDir: join(options.outputRoot, trialJobName(options.tuningJobName, trial.index), 'output'),
    };
    const controller = new AbortController();
    let stoppedAt: RoundRecord | undefined;
    let hookError: unknown;
    const onRound = (record: RoundRecord): void => {
      if (stoppedAt !== undefined || hookError !== undefined) return;
      options.onRound?.(trial.index, record);
      const value = record[objective.channel][objective.name];
      if (value === undefined) return;
      try {
        if (trial.shouldStop(record.round, value)) {
          stoppedAt = record;
          controller.abort(new EarlyStopRequest(`stopped early after round ${record.round}`));
        }
      } catch (error) {
        // This runs in the trainer's message handler: a throw there would be uncaught. End the training instead.
        hookError = error;
        controller.abort(error);
      }
    };

    let result: TrainResult | undefined;
    try {
      // A train: objective is read every round; otherwise the train set is evaluated once, at the end.
      const evaluateTrainEveryRound = objective.channel === 'train';
      result = await train(request, { ...options.trainOptions, onRound, signal: controller.signal, evaluateTrainEveryRound });
    } catch (error) {
      if (hookError !== undefined) throw hookError;
      if (stoppedAt === undefined || !(error instanceof TrainingAbortedError)) throw error;
    }
    if (hookError !== undefined) throw hookError;
    if (stoppedAt !== undefined) {
      const metrics = roundMetrics(stoppedAt);
      return {
        metrics,
        objective: metrics[options.objectiveMetric] ?? Number.NaN,
        stoppedEarly: true,
        modelArtifact: undefined,
      };
    }
    const completed = result as TrainResult;
    const value = completed.finalMetrics[options.objectiveMetric];
    if (value === undefined) {
      const reported = Object.keys(completed.finalMetrics);
      throw new ObjectiveMetricMissingError(
        `the training reported no ${options.objectiveMetric} (it reported ${reported.length > 0 ? reported.join(', ') : 'no metric'})` +
          (objective.channel === 'validation' && options.validationFiles.length === 0 ? ': there is no validation channel' : ''),
      );
    }
    return {
      metrics: { ...completed.finalMetrics },
      objective: value,
      stoppedEarly: false,
      modelArtifact: completed.modelArtifact,
    };
  };
}
