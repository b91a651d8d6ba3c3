/** A training session: many trainings on one pair of channels in one worker, models identical to trainXgboost's. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HyperparameterValidationError, TrainingAbortedError } from '../../../local/xgboost/errors.js';
import { readSharedChannels } from '../../../local/xgboost/shared-channels.js';
import { trainXgboost } from '../../../local/xgboost/train.js';
import type { TrainRequest } from '../../../local/xgboost/train.js';
import { openTrainingSession } from '../../../local/xgboost/training-session.js';
import { modelInsights, writeModelInsights } from '../../../local/xgboost/training-insights.js';
import { recordModelInsights } from '../../../local/console/record-model-insights.js';
import type { TrainingSession } from '../../../local/xgboost/training-session.js';
import { prestartSessionWorker, releaseSpareSessionWorker, takeSpareSessionWorker } from '../../../local/xgboost/spare-session-worker.js';
import { DEFAULT_EXPECTED_XGBOOST, resolveXgboostLibrary } from '../../../local/xgboost/library-path.js';
import { loadLocalSettings } from '../../../core/config/runtime-config.js';
import { writeDataset } from './datasets.js';
import type { DatasetPaths } from './datasets.js';

describe('openTrainingSession', () => {
  let dir: string;
  let data: DatasetPaths;
  let large: DatasetPaths;
  let session: TrainingSession | undefined;
  let reads: number;

  const request = (outputDir: string, hyperparameters: TrainRequest['hyperparameters']): TrainRequest => ({
    trainFiles: [data.trainDir],
    validationFiles: [data.validationFile],
    outputDir: join(dir, outputDir),
    hyperparameters,
  });
  const base = { objective: 'binary:logistic', eval_metric: 'auc', subsample: '0.8', early_stopping_rounds: '3' };
  const trials = [
    { ...base, num_round: '12', max_depth: '3', eta: '0.3' },
    { ...base, num_round: '15', max_depth: '5', eta: '0.1', min_child_weight: '2' },
    { ...base, num_round: '10', max_depth: '2', eta: '0.5', tree_method: 'hist' },
  ];
  const open = (channels: DatasetPaths = data): TrainingSession => {
    reads = 0;
    session = openTrainingSession({
      data: () => {
        reads++;
        return readSharedChannels({ trainFiles: [channels.trainDir], validationFiles: [channels.validationFile], weightColumn: false });
      },
    });
    return session;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-xgb-session-'));
    data = await writeDataset(join(dir, 'data'), { task: 'binary', features: 6, trainRows: 2_000, validationRows: 500, seed: 11 });
    large = await writeDataset(join(dir, 'large'), { task: 'binary', features: 20, trainRows: 60_000, validationRows: 5_000, seed: 9 });
  });

  afterEach(async () => {
    await session?.close();
    session = undefined;
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('several trainings', () => {
    it('writes the same model bytes as trainXgboost when each trial trains in the shared worker', async () => {
      // Prepare
      const sharing = open();
      const alone = [];
      for (const [index, hyperparameters] of trials.entries()) alone.push(await trainXgboost(request(`alone-${index}`, hyperparameters)));

      // Act
      const shared = [];
      for (const [index, hyperparameters] of trials.entries()) shared.push(await sharing.train(request(`shared-${index}`, hyperparameters)));

      // Assess: one read for every trial, and per trial the same rounds, metrics and archive as a worker of its own
      expect(reads).toBe(1);
      for (const [index, result] of shared.entries()) {
        const expected = alone[index];
        expect(result.rounds).toBe(expected?.rounds);
        expect(result.finalMetrics).toEqual(expected?.finalMetrics);
        expect(await readFile(result.modelArtifact)).toEqual(await readFile(expected?.modelArtifact ?? ''));
      }
    });

    it('rejects at once and trains nothing when a hyperparameter is invalid', async () => {
      // Prepare
      const sharing = open();

      // Act
      const act = sharing.train(request('bad', { ...base, num_round: '5', max_depth: 'deep' }));

      // Assess
      await expect(act).rejects.toThrow(HyperparameterValidationError);
      expect(reads).toBe(0);
    });
  });

  describe('a training that scores its validation set', () => {
    it('gives the insights that scoring the saved model gives when asked for its validation scores', async () => {
      // Prepare
      const sharing = open();
      const channels = await readSharedChannels({ trainFiles: [data.trainDir], validationFiles: [data.validationFile], weightColumn: false });
      const trained = await trainXgboost(request('rescored', trials[1] ?? base));
      const rescored = await readFile(await recordModelInsights({ modelArtifact: trained.modelArtifact, validation: data.validationFile }), 'utf8');

      // Act
      const result = await sharing.train(request('scored', trials[1] ?? base), { scoreValidation: true });

      // Assess: the same model, and from its scores the same insights.json, byte for byte
      expect(await readFile(result.modelArtifact)).toEqual(await readFile(trained.modelArtifact));
      const scores = result.validationScores;
      if (scores === undefined || channels.validation === undefined) throw new Error('no validation scores');
      expect(scores.predictions).toHaveLength(channels.validation.nRows);
      const written = await writeModelInsights(result.modelArtifact, modelInsights({ ...scores, labels: channels.validation.labels, featureNames: [] }));
      expect(await readFile(written, 'utf8')).toBe(rescored);
    });

    it('returns no validation scores when not asked', async () => {
      // Act
      const result = await open().train(request('unscored', trials[0] ?? base));

      // Assess
      expect(result.validationScores).toBeUndefined();
    });
  });

  describe('an aborted training', () => {
    it('stops at a round boundary and the next training still runs when its signal aborts', async () => {
      // Prepare
      const sharing = open(large);
      const controller = new AbortController();
      const onRound = (): void => controller.abort(new Error('stopped by the tuner'));
      const slow = { objective: 'binary:logistic', eval_metric: 'logloss', num_round: '80', max_depth: '8', eta: '0.1', tree_method: 'hist' };

      // Act
      const aborted = sharing.train(request('aborted', slow), { signal: controller.signal, onRound });
      const next = sharing.train(request('after-abort', { ...slow, num_round: '3' }));

      // Assess
      const error = await aborted.then(() => new Error('resolved'), (caught: unknown) => caught as Error);
      expect(error).toBeInstanceOf(TrainingAbortedError);
      const rounds = Number(/training aborted: training stopped after (\d+) round/.exec(error.message)?.[1]);
      expect(rounds).toBeGreaterThanOrEqual(1);
      expect(rounds).toBeLessThan(80);
      await expect(next).resolves.toMatchObject({ rounds: 3 });
      expect(reads).toBe(1);
    });
  });

  describe('a worker started before its session', () => {
    const libraryPath = (): string => resolveXgboostLibrary(loadLocalSettings().xgboostLibrary);

    afterEach(async () => {
      await releaseSpareSessionWorker();
    });

    it('trains in the spare worker, with the same model bytes, when a session opens after prestartSessionWorker', async () => {
      // Prepare
      const alone = await trainXgboost(request('spare-alone', trials[0] ?? base));
      prestartSessionWorker();

      // Act
      const result = await open().train(request('spare-shared', trials[0] ?? base));

      // Assess: the session took the spare (none is left to take) and trained the same model
      expect(takeSpareSessionWorker(libraryPath(), DEFAULT_EXPECTED_XGBOOST)).toBeUndefined();
      expect(await readFile(result.modelArtifact)).toEqual(await readFile(alone.modelArtifact));
    });

    it('leaves the spare alone when it was started for another XGBoost version', async () => {
      // Prepare
      prestartSessionWorker({ expectedVersion: null });

      // Act
      const taken = takeSpareSessionWorker(libraryPath(), DEFAULT_EXPECTED_XGBOOST);

      // Assess: the spare still waits, for its own version (ended here, as a session would end it)
      expect(taken).toBeUndefined();
      const own = takeSpareSessionWorker(libraryPath(), null);
      expect(own).toBeDefined();
      await own?.worker.terminate();
    });

    it('ends the spare worker when it is released untaken', async () => {
      // Prepare
      prestartSessionWorker();

      // Act
      const ended = await releaseSpareSessionWorker();

      // Assess: one worker was ended, and none is left to take or end
      expect(ended).toBe(true);
      expect(takeSpareSessionWorker(libraryPath(), DEFAULT_EXPECTED_XGBOOST)).toBeUndefined();
      expect(await releaseSpareSessionWorker()).toBe(false);
    });
  });

  describe('a closed session', () => {
    it('rejects a training when it comes after close', async () => {
      // Prepare
      const sharing = open();
      await sharing.train(request('before-close', trials[0] ?? base));
      await sharing.close();

      // Act
      const act = sharing.train(request('after-close', trials[0] ?? base));

      // Assess
      await expect(act).rejects.toThrow('the training session is closed');
    });
  });
});
