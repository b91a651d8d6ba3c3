import type { TrainingRequest, TuningRequest } from '../../../core/ports/trainer.js';
import { LocalJobBoard } from '../../../local/adapters/local-jobs.js';
import { LocalTrainer } from '../../../local/adapters/local-trainer.js';
import type { TrainFunction } from '../../../local/adapters/local-trainer.js';
import { TrainingAbortedError } from '../../../local/xgboost/errors.js';

const training: Omit<TrainingRequest, 'jobName'> = {
  algorithm: 'xgboost',
  hyperparameters: { objective: 'binary:logistic', eval_metric: 'auc', num_round: '10' },
  trainUri: 's3://lake/features/train/',
  validationUri: 's3://lake/features/validation/',
  outputUri: 's3://lake/models/churn/',
  resources: { instanceType: 'ml.m5.xlarge', instanceCount: 1, volumeSizeGb: 10 },
  maxRuntimeSeconds: 60,
  useSpot: false,
};

const tuning: TuningRequest = {
  jobName: 'tune-job',
  training,
  strategy: 'Random',
  objective: { metric: 'validation:auc', direction: 'Maximize' },
  ranges: { eta: { type: 'continuous', min: 0.01, max: 0.3, scaling: 'Linear' } },
  maxJobs: 3,
  maxParallelJobs: 1,
  earlyStopping: false,
};

/** A training that never ends on its own: it stops only when its signal aborts, as the worker does. */
const endless: TrainFunction = (_request, options) =>
  new Promise((_, reject) => {
    options.signal?.addEventListener('abort', () => reject(new TrainingAbortedError('training aborted')), { once: true });
  });

describe('LocalTrainer', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  describe('a training job that outlives maxRuntimeSeconds', () => {
    it('is InProgress until the limit, then Stopped with MaxRuntimeExceeded and its worker aborted', async () => {
      // Prepare
      const signals: AbortSignal[] = [];
      const train: TrainFunction = (request, options) => (options.signal && signals.push(options.signal), endless(request, options));
      const trainer = new LocalTrainer((uri) => uri, { train, board: new LocalJobBoard() });

      // Act
      await trainer.startTraining({ jobName: 'train-job', ...training });
      await jest.advanceTimersByTimeAsync(59_999);
      const before = await trainer.trainingStatus('train-job');
      await jest.advanceTimersByTimeAsync(1);
      const after = await trainer.trainingStatus('train-job');

      // Assess
      expect(before).toEqual({ state: 'InProgress' });
      expect(after).toEqual({ state: 'Stopped', secondaryStatus: 'MaxRuntimeExceeded', failureReason: 'The training job ran past MaxRuntimeInSeconds (60 s) and was stopped' });
      expect(signals.map((s) => s.aborted)).toEqual([true]);
    });
  });

  describe('a tuning job whose trial outlives maxRuntimeSeconds', () => {
    it('ends Stopped with MaxRuntimeExceeded naming the trial when the first trial runs past the limit', async () => {
      // Prepare
      const trainer = new LocalTrainer((uri) => uri, { train: endless, board: new LocalJobBoard() });

      // Act
      await trainer.startTuning(tuning);
      await jest.advanceTimersByTimeAsync(59_999);
      const before = await trainer.tuningStatus('tune-job');
      await jest.advanceTimersByTimeAsync(1);
      const after = await trainer.tuningStatus('tune-job');

      // Assess
      expect(before).toEqual({ state: 'InProgress' });
      expect(after).toEqual({
        state: 'Stopped',
        secondaryStatus: 'MaxRuntimeExceeded',
        failureReason: 'The training job tune-job-001 of the tuning job ran past MaxRuntimeInSeconds (60 s) and was stopped',
      });
    });
  });

  describe('a run that ends while its job runs', () => {
    it('stops the job when stopAll is called', async () => {
      // Prepare
      const trainer = new LocalTrainer((uri) => uri, { train: endless, board: new LocalJobBoard() });
      await trainer.startTraining({ jobName: 'train-job', ...training });
      await jest.advanceTimersByTimeAsync(0);

      // Act
      trainer.stopAll();
      await jest.advanceTimersByTimeAsync(0);

      // Assess
      await expect(trainer.trainingStatus('train-job')).resolves.toEqual({ state: 'Failed', failureReason: 'TrainingAbortedError: training aborted' });
    });
  });
});
