import { LocalJobBoard } from '../../../../local/adapters/local-jobs.js';
import { supervisedArguments } from '../../../../local/fasttext/cli.js';
import { FastTextHyperparameterError } from '../../../../local/fasttext/errors.js';
import { LocalBlazingTextTrainer } from '../../../../local/fasttext/fasttext-trainer.js';
import type { BlazingTextTrainingRequest, FastTextTrainFunction } from '../../../../local/fasttext/fasttext-trainer.js';
import { parseAnswer } from '../../../../local/fasttext/predictor.js';

const REQUEST: BlazingTextTrainingRequest = {
  jobName: 'job-1',
  algorithm: 'blazingtext',
  hyperparameters: { mode: 'supervised' },
  trainUri: 's3://lake/features/reviews/run/train/',
  validationUri: 's3://lake/features/reviews/run/validation/',
  outputUri: 's3://lake/models/reviews/',
  resources: { instanceType: 'ml.c5.xlarge', instanceCount: 1, volumeSizeGb: 10 },
  maxRuntimeSeconds: 1800,
};

describe('LocalBlazingTextTrainer', () => {
  describe('job semantics', () => {
    it('returns InProgress at once and Completed with the metrics after the work settles', async () => {
      // Prepare
      const board = new LocalJobBoard();
      let finish: () => void = () => undefined;
      const train: FastTextTrainFunction = async (request) => {
        await new Promise<void>((resolve) => (finish = resolve));
        return { modelArtifact: `${request.outputDir}model.tar.gz`, finalMetrics: { 'validation:accuracy': 0.8 }, validationMetrics: undefined, threads: 1, fastTextMs: 1, durationMs: 1, notApplied: [] };
      };
      const seen: string[] = [];
      const trainer = new LocalBlazingTextTrainer((uri) => { seen.push(uri); return `/local/${uri.slice(5)}`; }, { board, train });

      // Act
      await trainer.startTraining(REQUEST);
      const before = await trainer.trainingStatus('job-1');
      await Promise.resolve();
      finish();
      await board.settledOrAfter(60_000);
      const after = await trainer.trainingStatus('job-1');

      // Assess
      expect(before).toEqual({ state: 'InProgress' });
      expect(after).toEqual({ state: 'Completed', modelArtifact: 's3://lake/models/reviews/job-1/output/model.tar.gz', metrics: { 'validation:accuracy': 0.8 } });
      expect(seen).toContain('s3://lake/models/reviews/job-1/output/');
    });

    it('stops the work and reports MaxRuntimeExceeded when the job outlives maxRuntimeSeconds', async () => {
      // Prepare
      jest.useFakeTimers();
      const board = new LocalJobBoard();
      let aborted = false;
      const train: FastTextTrainFunction = (_request, options) =>
        new Promise((_resolve, reject) => options.signal?.addEventListener('abort', () => { aborted = true; reject(new Error('killed')); }));
      const trainer = new LocalBlazingTextTrainer((uri) => uri, { board, train });
      try {
        // Act
        await trainer.startTraining({ ...REQUEST, maxRuntimeSeconds: 5 });
        await Promise.resolve();
        jest.advanceTimersByTime(5000);
        const status = await trainer.trainingStatus('job-1');

        // Assess
        expect(status).toMatchObject({ state: 'Stopped', secondaryStatus: 'MaxRuntimeExceeded' });
        expect(aborted).toBe(true);
      } finally {
        jest.useRealTimers();
      }
    });

    it('reports Failed with the error when training throws', async () => {
      // Prepare
      const board = new LocalJobBoard();
      const trainer = new LocalBlazingTextTrainer((uri) => uri, { board, train: () => Promise.reject(new FastTextHyperparameterError('bad set')) });

      // Act
      await trainer.startTraining(REQUEST);
      await board.settledOrAfter(60_000);

      // Assess
      expect(await trainer.trainingStatus('job-1')).toEqual({ state: 'Failed', failureReason: 'FastTextHyperparameterError: bad set' });
    });

    it('answers with the existing job when the name is used again, and Could not find for an unknown one', async () => {
      // Prepare
      const board = new LocalJobBoard();
      let calls = 0;
      const train: FastTextTrainFunction = () => { calls++; return new Promise(() => undefined); };
      const trainer = new LocalBlazingTextTrainer((uri) => uri, { board, train });

      // Act
      await trainer.startTraining(REQUEST);
      await trainer.startTraining(REQUEST);
      await Promise.resolve();
      trainer.stopAll();

      // Assess
      expect(calls).toBe(1);
      expect(await trainer.trainingStatus('nope')).toEqual({ state: 'Failed', failureReason: 'Could not find training job "nope"' });
    });
  });

  describe('supervisedArguments', () => {
    it('maps BlazingText names and defaults onto fastText options when a set is given', () => {
      // Act
      const { args, notApplied } = supervisedArguments({ mode: 'supervised', epochs: 10 }, { input: 'in.txt', outputPrefix: 'out/model' }, { threads: 2 });

      // Assess
      expect(args).toEqual(['supervised', '-input', 'in.txt', '-output', 'out/model', '-epoch', '10', '-lr', '0.05', '-wordNgrams', '2', '-dim', '100', '-minCount', '5', '-bucket', '2000000', '-loss', 'softmax', '-thread', '2', '-seed', '0', '-verbose', '0']);
      expect(notApplied).toEqual([]);
    });

    it('says early stopping is not applied and throws on an invalid set', () => {
      // Act / Assess
      expect(supervisedArguments({ mode: 'supervised', early_stopping: true }, { input: 'i', outputPrefix: 'o' }, { threads: 1 }).notApplied).toEqual(['early_stopping', 'patience', 'min_epochs']);
      expect(() => supervisedArguments({ mode: 'cbow' }, { input: 'i', outputPrefix: 'o' }, { threads: 1 })).toThrow(FastTextHyperparameterError);
    });
  });

  describe('parseAnswer', () => {
    it('returns the top k in the user labels when fastText answers every label', () => {
      // Act / Assess
      expect(parseAnswer('__label__Twitter%20for%20iPhone 0.9 __label__great 0.08 __label__other 0.02', 2)).toEqual({ labels: ['Twitter for iPhone', 'great'], probabilities: [0.9, 0.08], fastTextLabels: ['__label__Twitter%20for%20iPhone', '__label__great'] });
    });

    it('throws when the answer has an odd number of words', () => {
      // Act / Assess
      expect(() => parseAnswer('__label__a', 1)).toThrow(/odd number/);
    });
  });
});
