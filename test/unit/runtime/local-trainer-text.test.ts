import type { TrainingRequest, TuningRequest } from '../../../core/ports/trainer.js';
import { classificationMetrics } from '../../../core/text/classification-metrics.js';
import { LocalJobBoard } from '../../../local/adapters/local-jobs.js';
import { LocalTrainer } from '../../../local/adapters/local-trainer.js';
import type { TrainFunction } from '../../../local/adapters/local-trainer.js';
import type { FastTextTrainFunction } from '../../../local/fasttext/fasttext-trainer.js';
import type { FastTextTrainOptions, FastTextTrainRequest } from '../../../local/fasttext/train.js';

const training: Omit<TrainingRequest, 'jobName'> = {
  algorithm: 'blazingtext',
  hyperparameters: { mode: 'supervised', epochs: '5' },
  trainUri: 's3://lake/features/reviews/run-1/split=train/',
  validationUri: 's3://lake/features/reviews/run-1/split=validation/',
  outputUri: 's3://lake/models/reviews/',
  resources: { instanceType: 'ml.c5.xlarge', instanceCount: 1, volumeSizeGb: 10 },
  maxRuntimeSeconds: 60,
  useSpot: false,
};

const tuning: TuningRequest = {
  jobName: 'tune-text',
  training,
  strategy: 'Random',
  objective: { metric: 'validation:accuracy', direction: 'Maximize' },
  ranges: { learning_rate: { type: 'continuous', min: 0.05, max: 0.5, scaling: 'Logarithmic' } },
  maxJobs: 3,
  maxParallelJobs: 1,
  earlyStopping: false,
};

/** An XGBoost trainer that must not be called for a text job. */
const noXgboost: TrainFunction = () => Promise.reject(new Error('XGBoost was called for a BlazingText job'));

/** A fastText stand-in recording its calls; accuracy grows with the learning rate so the best trial is known. */
function recordingFastText(hold: Promise<void> = Promise.resolve()): { train: FastTextTrainFunction; calls: { request: FastTextTrainRequest; options: FastTextTrainOptions }[] } {
  const calls: { request: FastTextTrainRequest; options: FastTextTrainOptions }[] = [];
  const train: FastTextTrainFunction = async (request, options) => {
    calls.push({ request, options });
    await hold;
    const accuracy = Number(request.hyperparameters['learning_rate'] ?? 0.1);
    const metrics = classificationMetrics(['great', 'other', 'great'], ['great', 'other', accuracy > 0.2 ? 'great' : 'other']);
    return { modelArtifact: `${request.outputDir}/model.tar.gz`, finalMetrics: { 'validation:accuracy': accuracy }, validationMetrics: metrics, threads: options.threads ?? 1, fastTextMs: 1, durationMs: 1, notApplied: [] };
  };
  return { train, calls };
}

describe('LocalTrainer', () => {
  describe('a BlazingText training job', () => {
    it('trains with fastText on one thread and reports the evaluation in user labels when the algorithm is blazingtext', async () => {
      // Prepare
      const board = new LocalJobBoard();
      let release: () => void = () => undefined;
      const { train, calls } = recordingFastText(new Promise<void>((resolve) => (release = resolve)));
      const trainer = new LocalTrainer((uri) => `/lake/${uri.slice(5)}`, { board, train: noXgboost, trainText: train });

      // Act
      await trainer.startTraining({ jobName: 'text-job', ...training });
      const before = await trainer.trainingStatus('text-job');
      release();
      await board.settledOrAfter(60_000);
      const after = await trainer.trainingStatus('text-job');

      // Assess
      expect(before).toEqual({ state: 'InProgress' });
      expect(calls).toHaveLength(1);
      expect(calls[0]?.request).toEqual({
        train: '/lake/lake/features/reviews/run-1/split=train/',
        validation: '/lake/lake/features/reviews/run-1/split=validation/',
        hyperparameters: { mode: 'supervised', epochs: '5' },
        outputDir: '/lake/lake/models/reviews/text-job/output/',
      });
      expect(calls[0]?.options.threads).toBe(1);
      expect(after).toMatchObject({
        state: 'Completed',
        modelArtifact: 's3://lake/models/reviews/text-job/output/model.tar.gz',
        metrics: { 'validation:accuracy': 0.1 },
        evaluation: { accuracy: 2 / 3, 'precision@great': 1, 'recall@great': 0.5, 'f1@other': 2 / 3, rows: 3 },
      });
      expect((after.evaluation ?? {})['confusion_matrix']).toEqual({ great: { great: 1, other: 1 }, other: { great: 0, other: 1 } });
    });

    it('passes the configured thread count to fastText when fastTextThreads is set', async () => {
      // Prepare
      const board = new LocalJobBoard();
      const { train, calls } = recordingFastText();
      const trainer = new LocalTrainer((uri) => uri, { board, train: noXgboost, trainText: train, fastTextThreads: 2 });

      // Act
      await trainer.startTraining({ jobName: 'text-job', ...training });
      await board.settledOrAfter(60_000);

      // Assess
      expect(calls.map((call) => call.options.threads)).toEqual([2]);
    });
  });

  describe('a BlazingText tuning job', () => {
    it('trains every trial with fastText and returns the best by validation:accuracy with its evaluation when it completes', async () => {
      // Prepare
      const board = new LocalJobBoard();
      const { train, calls } = recordingFastText();
      const trainer = new LocalTrainer((uri) => `/lake/${uri.slice(5)}`, { board, train: noXgboost, trainText: train });

      // Act
      await trainer.startTuning(tuning);
      await board.settledOrAfter(60_000);
      const status = await trainer.tuningStatus('tune-text');

      // Assess
      expect(calls).toHaveLength(3);
      expect(calls.map((call) => call.request.outputDir)).toEqual([1, 2, 3].map((n) => `/lake/lake/models/reviews/tune-text-00${n}/output`));
      const rates = calls.map((call) => Number(call.request.hyperparameters['learning_rate']));
      const bestIndex = rates.indexOf(Math.max(...rates));
      expect(status.state).toBe('Completed');
      expect(status.bestTrainingJobName).toBe(`tune-text-00${bestIndex + 1}`);
      expect(status.modelArtifact).toBe(`s3://lake/models/reviews/tune-text-00${bestIndex + 1}/output/model.tar.gz`);
      expect(status.metrics).toEqual({ 'validation:accuracy': Math.max(...rates) });
      expect(status.hyperparameters).toMatchObject({ mode: 'supervised', epochs: '5', learning_rate: String(calls[bestIndex]?.request.hyperparameters['learning_rate']) });
      expect(status.evaluation).toHaveProperty('macro_f1');
    });

    it('fails naming the missing metric when the objective is not validation:accuracy', async () => {
      // Prepare
      const board = new LocalJobBoard();
      const { train } = recordingFastText();
      const trainer = new LocalTrainer((uri) => uri, { board, train: noXgboost, trainText: train });

      // Act
      await trainer.startTuning({ ...tuning, objective: { metric: 'validation:f1', direction: 'Maximize' } });
      await board.settledOrAfter(60_000);
      const status = await trainer.tuningStatus('tune-text');

      // Assess
      expect(status.state).toBe('Failed');
      expect(status.failureReason).toMatch(/validation:f1/);
      expect(status.failureReason).toMatch(/validation:accuracy/);
    });
  });
});
