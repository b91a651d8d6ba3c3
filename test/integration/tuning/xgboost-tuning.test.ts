/** A local tuning job end to end on real XGBoost: trials one at a time, poor ones stopped, the best one's model on disk. */
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tuneLocally } from '../../../local/tuning/tuner.js';
import type { LocalTuningRequest } from '../../../local/tuning/tuner.js';
import { xgboostTrialRunner } from '../../../local/tuning/xgboost-trial-runner.js';
import { writeDataset } from '../xgboost/datasets.js';
import type { DatasetPaths } from '../xgboost/datasets.js';

jest.setTimeout(180_000);

const exists = async (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

describe('tuneLocally with xgboostTrialRunner', () => {
  let dir: string;
  let data: DatasetPaths;

  const runner = (outputRoot: string, tuningJobName: string) =>
    xgboostTrialRunner({
      tuningJobName,
      objectiveMetric: 'validation:logloss',
      staticHyperparameters: { objective: 'binary:logistic', num_round: '25', max_depth: '3', eval_metric: 'auc' },
      trainFiles: [data.trainDir],
      validationFiles: [data.validationFile],
      outputRoot: join(dir, outputRoot),
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-tuning-'));
    data = await writeDataset(join(dir, 'data'), {
      task: 'binary',
      features: 5,
      trainRows: 800,
      validationRows: 300,
      seed: 21,
    });
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('a grid with one hopeless learning rate', () => {
    it('stops the hopeless trial early and picks the best finished trial, whose model is on disk', async () => {
      // Prepare: eta 0.0001 leaves logloss near ln 2 while the others fall below it from round 1 on
      const request: LocalTuningRequest = {
        strategy: 'Grid',
        objective: { metric: 'validation:logloss', direction: 'Minimize' },
        ranges: { eta: { type: 'categorical', values: ['0.3', '0.2', '0.5', '0.0001'] } },
        maxJobs: 4,
        earlyStopping: true,
      };

      // Act
      const result = await tuneLocally(request, runner('grid', 'grid-tune'));

      // Assess
      expect(result.trials.map((trial) => trial.stoppedEarly)).toEqual([false, false, false, true]);
      const hopeless = result.trials[3];
      expect(hopeless?.modelArtifact).toBeUndefined();
      expect(hopeless?.objective).toBeGreaterThan(0.69);
      const finished = result.trials.slice(0, 3);
      for (const trial of finished) {
        expect(trial.metrics).toEqual({
          'train:auc': expect.any(Number),
          'train:logloss': expect.any(Number),
          'validation:auc': expect.any(Number),
          'validation:logloss': trial.objective,
        });
        expect(trial.modelArtifact).toBe(join(dir, 'grid', `grid-tune-00${trial.index + 1}`, 'output', 'model.tar.gz'));
        await expect(exists(trial.modelArtifact as string)).resolves.toBe(true);
      }
      expect(result.best.objective).toBe(Math.min(...finished.map((trial) => trial.objective)));
      await expect(exists(join(dir, 'grid', 'grid-tune-004', 'output', 'model.tar.gz'))).resolves.toBe(false);
    });
  });

  describe('a seeded Bayesian job', () => {
    it('runs the same trials with the same results when run twice', async () => {
      // Prepare
      const request: LocalTuningRequest = {
        strategy: 'Bayesian',
        objective: { metric: 'validation:logloss', direction: 'Minimize' },
        ranges: {
          eta: { type: 'continuous', min: 0.01, max: 0.5, scaling: 'Logarithmic' },
          min_child_weight: { type: 'integer', min: 1, max: 10, scaling: 'Auto' },
        },
        maxJobs: 5,
        earlyStopping: false,
        seed: 7,
      };

      // Act
      const first = await tuneLocally(request, runner('bayes-1', 'bayes'));
      const second = await tuneLocally(request, runner('bayes-2', 'bayes'));

      // Assess
      const summary = (trials: typeof first.trials): unknown =>
        trials.map(({ hyperparameters, objective }) => ({ hyperparameters, objective }));
      expect(summary(second.trials)).toEqual(summary(first.trials));
      expect(second.best.index).toBe(first.best.index);
      expect(first.trials.every((trial) => /^\d+$/.test(trial.hyperparameters['min_child_weight'] ?? ''))).toBe(true);
    });
  });
});
