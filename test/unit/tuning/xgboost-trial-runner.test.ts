import { join } from 'node:path';
import { ObjectiveMetricMissingError, TuningConfigurationError } from '../../../local/tuning/errors.js';
import type { TrialContext } from '../../../local/tuning/tuner.js';
import { trialJobName, xgboostTrialRunner } from '../../../local/tuning/xgboost-trial-runner.js';
import type { TrainFunction, XgboostTrialRunnerOptions } from '../../../local/tuning/xgboost-trial-runner.js';
import { TrainingAbortedError } from '../../../local/xgboost/errors.js';
import type { RoundRecord, TrainOptions, TrainRequest, TrainResult } from '../../../local/xgboost/train.js';

/** Validation and train AUC after each round of the fake training. */
const AUCS = [0.6, 0.7, 0.75, 0.78];
const TRAIN_AUCS = [0.7, 0.8, 0.85, 0.88];

const record = (round: number): RoundRecord => ({
  round,
  train: { auc: TRAIN_AUCS[round] ?? 0 },
  validation: { auc: AUCS[round] ?? 0 },
});

const resultOf = (request: TrainRequest, rounds: number): TrainResult => ({
  modelArtifact: join(request.outputDir, 'model.tar.gz'),
  bestIteration: rounds - 1,
  rounds,
  history: [],
  finalMetrics: { 'train:auc': TRAIN_AUCS[rounds - 1] ?? 0, 'validation:auc': AUCS[rounds - 1] ?? 0 },
  validationMetrics: null,
  warnings: [],
  timings: { readDataMs: 0, trainMs: 0, saveMs: 0 },
  durationMs: 0,
  threads: 1,
  threadReason: 'test',
});

/**
 * A stand-in for trainXgboost: reports every round through onRound, rejects with TrainingAbortedError when the
 * signal aborts between rounds, like the worker does. `roundsAfterAbort` lets it run on before it notices.
 */
const fakeTrain = (calls: { request: TrainRequest; options: TrainOptions }[], roundsAfterAbort = 0): TrainFunction =>
  async (request, options) => {
    calls.push({ request, options });
    let extra = roundsAfterAbort;
    for (let round = 0; round < AUCS.length; round++) {
      options.onRound?.(record(round));
      if (options.signal?.aborted) {
        if (extra === 0) throw new TrainingAbortedError('training aborted', { cause: options.signal.reason });
        extra -= 1;
      }
    }
    return resultOf(request, AUCS.length);
  };

const baseOptions = (train: TrainFunction): XgboostTrialRunnerOptions => ({
  tuningJobName: 'churn-tune',
  objectiveMetric: 'validation:auc',
  staticHyperparameters: { objective: 'binary:logistic', num_round: '4', eta: '0.3' },
  trainFiles: ['/data/train'],
  validationFiles: ['/data/validation'],
  outputRoot: '/models/churn',
  train,
});

const context = (shouldStop: TrialContext['shouldStop'], index = 2): TrialContext => ({
  index,
  hyperparameters: { eta: '0.05', max_depth: '4' },
  shouldStop,
});

describe('xgboost-trial-runner', () => {
  describe('a trial that completes', () => {
    it('trains with static and tuned hyperparameters plus the tuning objective, in the trial folder', async () => {
      // Prepare
      const calls: { request: TrainRequest; options: TrainOptions }[] = [];
      const runner = xgboostTrialRunner(baseOptions(fakeTrain(calls)));

      // Act
      const result = await runner(context(() => false));

      // Assess
      expect(calls).toHaveLength(1);
      expect(calls[0]?.request).toEqual({
        trainFiles: ['/data/train'],
        validationFiles: ['/data/validation'],
        hyperparameters: {
          objective: 'binary:logistic',
          num_round: '4',
          eta: '0.05',
          max_depth: '4',
          _tuning_objective_metric: 'validation:auc',
        },
        outputDir: join('/models/churn', 'churn-tune-003', 'output'),
      });
      expect(result).toEqual({
        metrics: { 'train:auc': 0.88, 'validation:auc': 0.78 },
        objective: 0.78,
        stoppedEarly: false,
        modelArtifact: join('/models/churn', 'churn-tune-003', 'output', 'model.tar.gz'),
      });
    });

    it('asks shouldStop after every round with the objective metric of that round', async () => {
      // Prepare
      const asked: [number, number][] = [];
      const runner = xgboostTrialRunner(baseOptions(fakeTrain([])));

      // Act
      await runner(
        context((round, objective) => {
          asked.push([round, objective]);
          return false;
        }),
      );

      // Assess
      expect(asked).toEqual([
        [0, 0.6],
        [1, 0.7],
        [2, 0.75],
        [3, 0.78],
      ]);
    });

    it('throws ObjectiveMetricMissingError when the training did not report the objective', async () => {
      // Prepare
      const runner = xgboostTrialRunner({ ...baseOptions(fakeTrain([])), objectiveMetric: 'validation:logloss' });

      // Act
      const run = runner(context(() => false));

      // Assess
      await expect(run).rejects.toThrow(ObjectiveMetricMissingError);
      await expect(run).rejects.toThrow(/no validation:logloss \(it reported train:auc, validation:auc\)/);
    });
  });

  describe('a trial stopped early', () => {
    it('aborts the training and reports the metrics of the round it was stopped at, without a model', async () => {
      // Prepare
      const calls: { request: TrainRequest; options: TrainOptions }[] = [];
      const runner = xgboostTrialRunner(baseOptions(fakeTrain(calls)));

      // Act
      const result = await runner(context((round) => round === 1));

      // Assess
      expect(calls[0]?.options.signal?.aborted).toBe(true);
      expect(result).toEqual({
        metrics: { 'train:auc': 0.8, 'validation:auc': 0.7 },
        objective: 0.7,
        stoppedEarly: true,
        modelArtifact: undefined,
      });
    });

    it('still reports the stop round when the worker ran on and finished before the abort reached it', async () => {
      // Prepare
      const asked: number[] = [];
      const runner = xgboostTrialRunner(baseOptions(fakeTrain([], 10)));

      // Act
      const result = await runner(
        context((round) => {
          asked.push(round);
          return round === 1;
        }),
      );

      // Assess
      expect(asked).toEqual([0, 1]);
      expect(result).toMatchObject({ objective: 0.7, stoppedEarly: true, modelArtifact: undefined });
    });

    it('rethrows what shouldStop threw instead of letting it escape the trainer callback', async () => {
      // Prepare
      const failure = new Error('rounds out of order');
      const runner = xgboostTrialRunner(baseOptions(fakeTrain([])));

      // Act
      const run = runner(
        context(() => {
          throw failure;
        }),
      );

      // Assess
      await expect(run).rejects.toBe(failure);
    });

    it('rethrows a training failure that is not its own abort', async () => {
      // Prepare
      const failure = new TrainingAbortedError('training worker exited (code 1) without a result');
      const runner = xgboostTrialRunner(baseOptions(async () => Promise.reject(failure)));

      // Act
      const run = runner(context(() => false));

      // Assess
      await expect(run).rejects.toBe(failure);
    });
  });

  describe('data read once for the tuning job', () => {
    it('loads the channels on the first trial only and hands the same arrays to every trial when given a loader', async () => {
      // Prepare
      const calls: { request: TrainRequest; options: TrainOptions }[] = [];
      const train = { features: new Float32Array(4), labels: new Float32Array(2), nRows: 2, nCols: 2, files: ['/data/train/a.csv'] };
      const load = jest.fn(async () => ({ train }));
      const runner = xgboostTrialRunner({ ...baseOptions(fakeTrain(calls)), data: load });

      // Act
      await runner(context(() => false, 0));
      await runner(context(() => false, 1));

      // Assess
      expect(load).toHaveBeenCalledTimes(1);
      expect(calls.map((call) => call.request.data?.train)).toEqual([train, train]);
      expect(calls[0]?.request.data?.train).toBe(calls[1]?.request.data?.train);
    });
  });

  describe('train-set evaluation', () => {
    it.each([
      ['validation:auc', false],
      ['train:auc', true],
    ])('asks the trainer to evaluate the train set every round only when it reads it (objective %s)', async (objectiveMetric, every) => {
      // Prepare
      const calls: { request: TrainRequest; options: TrainOptions }[] = [];
      const runner = xgboostTrialRunner({ ...baseOptions(fakeTrain(calls)), objectiveMetric });

      // Act
      await runner(context(() => false));

      // Assess
      expect(calls[0]?.options.evaluateTrainEveryRound).toBe(every);
    });
  });

  describe('configuration', () => {
    it('names trial jobs after the tuning job, counting from 001', () => {
      // Prepare & Act
      const names = [0, 9, 99].map((index) => trialJobName('churn-tune', index));

      // Assess
      expect(names).toEqual(['churn-tune-001', 'churn-tune-010', 'churn-tune-100']);
    });

    it('throws TuningConfigurationError at once when the objective metric has no channel', () => {
      // Prepare
      const act = (): unknown => xgboostTrialRunner({ ...baseOptions(fakeTrain([])), objectiveMetric: 'auc' });

      // Act & Assess
      expect(act).toThrow(TuningConfigurationError);
    });
  });
});
