/**
 * Trials of a local tuning job trained by the local BlazingText trainer (`trainFastText`, Debian's `fasttext
 * supervised`), as SageMaker trains the training jobs of a BlazingText tuning job:
 *
 * - hyperparameters: the static ones overridden by the trial's tuned ones (the tuned value wins);
 * - output: `<outputRoot>/<tuningJobName>-NNN/output/model.tar.gz`, named as the XGBoost runner names them
 *   ({@link trialJobName}), so the tuning job's best model is found in the same place whatever the algorithm;
 * - the objective: `validation:accuracy`, the one metric BlazingText's supervised mode reports ("validation:accuracy
 *   ... Maximize", Tune a BlazingText Model, https://docs.aws.amazon.com/sagemaker/latest/dg/blazingtext-tuning.html).
 *
 * Early stopping: fastText reports no metric until it has trained every epoch, so there is no round for
 * `shouldStop` to judge: it is never called. A tuning job with `earlyStopping` therefore stops no trial locally, and
 * Hyperband (successive halving on rounds) runs every configuration it samples to the end: it behaves as Random
 * search. This is said, not hidden: the runner reports `stoppedEarly: false` for every trial.
 */
import { join } from 'node:path';
import type { RawBlazingTextHyperparameters } from '../../core/training/blazingtext-hyperparameters.js';
import type { FastTextTrainOptions, FastTextTrainRequest, FastTextTrainResult } from '../fasttext/train.js';
import { trainFastText } from '../fasttext/train.js';
import { ObjectiveMetricMissingError } from './errors.js';
import type { TrialContext, TrialResult, TrialRunner } from './tuner.js';
import { trialJobName } from './xgboost-trial-runner.js';

/** The trainer the runner calls (`trainFastText`, or a stand-in in tests). */
export type TextTrainFunction = (request: FastTextTrainRequest, options: FastTextTrainOptions) => Promise<FastTextTrainResult>;

/** What every trial of a text tuning job shares. */
export interface TextTrialRunnerOptions {
  /** The tuning job's name: trial folders are named after it. */
  readonly tuningJobName: string;
  /** The objective metric: `validation:accuracy` is the only one the trainer reports. */
  readonly objectiveMetric: string;
  /** Hyperparameters every trial gets (`mode`, `early_stopping`, ...). */
  readonly staticHyperparameters: RawBlazingTextHyperparameters;
  /** The channel file or folder of BlazingText lines. */
  readonly train: string;
  readonly validation: string;
  /** The folder trial folders go in (the `models/<pipeline>/` prefix of the local bucket). */
  readonly outputRoot: string;
  /** Threads, binary and seed of every trial. */
  readonly trainOptions?: Omit<FastTextTrainOptions, 'signal'> | undefined;
  /** Defaults to `trainFastText`. */
  readonly trainFunction?: TextTrainFunction | undefined;
  /** The tuning job's stop (the run's or the job's limit). */
  readonly signal?: AbortSignal | undefined;
}

/** A {@link TrialRunner} that trains each trial with fastText, one at a time. */
export function textTrialRunner(options: TextTrialRunnerOptions): TrialRunner {
  const train = options.trainFunction ?? trainFastText;
  return async (trial: TrialContext): Promise<TrialResult> => {
    const result = await train(
      {
        train: options.train,
        validation: options.validation,
        hyperparameters: { ...options.staticHyperparameters, ...trial.hyperparameters },
        outputDir: join(options.outputRoot, trialJobName(options.tuningJobName, trial.index), 'output'),
      },
      { ...options.trainOptions, ...(options.signal ? { signal: options.signal } : {}) },
    );
    const value = result.finalMetrics[options.objectiveMetric];
    if (value === undefined) {
      const reported = Object.keys(result.finalMetrics);
      throw new ObjectiveMetricMissingError(
        `the BlazingText training reported no ${options.objectiveMetric} (it reported ${reported.length > 0 ? reported.join(', ') : 'no metric'}); ` +
          'BlazingText supervised mode reports validation:accuracy only',
      );
    }
    return { metrics: { ...result.finalMetrics }, objective: value, stoppedEarly: false, modelArtifact: result.modelArtifact };
  };
}
