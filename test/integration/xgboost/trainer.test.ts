/** How `trainXgboost` runs jobs: in a worker thread, one at a time, errors named, aborts clean. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CsvFormatError,
  HyperparameterValidationError,
  TrainingAbortedError,
  XgboostNotInstalledError,
} from '../../../local/xgboost/errors.js';
import { trainXgboost } from '../../../local/xgboost/train.js';
import type { TrainRequest } from '../../../local/xgboost/train.js';
import { writeDataset } from './datasets.js';
import type { DatasetPaths } from './datasets.js';

describe('trainXgboost', () => {
  let dir: string;
  let small: DatasetPaths;
  let large: DatasetPaths;

  const request = (data: DatasetPaths, outputDir: string, hyperparameters: TrainRequest['hyperparameters']): TrainRequest => ({
    trainFiles: [data.trainDir],
    validationFiles: [data.validationFile],
    outputDir: join(dir, outputDir),
    hyperparameters,
  });
  const quick = { num_round: '8', objective: 'binary:logistic', eval_metric: 'auc', max_depth: '3' };
  const slow = {
    num_round: '80',
    objective: 'binary:logistic',
    eval_metric: 'logloss',
    max_depth: '8',
    eta: '0.1',
    tree_method: 'hist',
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-xgb-trainer-'));
    small = await writeDataset(join(dir, 'small'), {
      task: 'binary',
      features: 5,
      trainRows: 600,
      validationRows: 200,
      seed: 5,
    });
    large = await writeDataset(join(dir, 'large'), {
      task: 'binary',
      features: 20,
      trainRows: 60_000,
      validationRows: 5_000,
      seed: 9,
    });
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('a long training', () => {
    it('leaves the caller event loop free when training runs', async () => {
      // Prepare: a count of the caller's event-loop turns, read at every round the trainer reports
      let turns = 0;
      const timer = setInterval(() => {
        turns += 1;
      }, 1);
      const turnsAtRounds: number[] = [];

      // Act
      const result = await trainXgboost(request(large, 'responsive', slow), { onRound: () => turnsAtRounds.push(turns) });
      clearInterval(timer);

      // Assess: the caller's timers kept firing between rounds; training on this thread would report every round
      // within one turn of the loop, all with the same count
      expect(result.rounds).toBe(80);
      expect(turnsAtRounds).toHaveLength(80);
      expect(new Set(turnsAtRounds).size).toBeGreaterThan(1);
    });
  });

  describe('two trainings started together', () => {
    it('runs them one after the other when the second is started while the first runs', async () => {
      // Prepare
      const events: { job: string; round: number }[] = [];
      const onRound = (job: string) => (record: { round: number }) => events.push({ job, round: record.round });

      // Act
      const [first, second] = await Promise.all([
        trainXgboost(request(large, 'queue-a', { ...slow, num_round: '10' }), { onRound: onRound('a') }),
        trainXgboost(request(small, 'queue-b', quick), { onRound: onRound('b') }),
      ]);

      // Assess: every round of the first job comes before any round of the second
      expect(events.map((event) => event.job)).toEqual([...Array<string>(10).fill('a'), ...Array<string>(8).fill('b')]);
      expect(first.modelArtifact).toBe(join(dir, 'queue-a', 'model.tar.gz'));
      expect(second.modelArtifact).toBe(join(dir, 'queue-b', 'model.tar.gz'));
    });
  });

  describe('train-set metrics', () => {
    it('evaluates the train set on the last round only, with the same model and final metrics, when only validation drives early stopping', async () => {
      // Prepare
      const stopping = { ...quick, num_round: '30', early_stopping_rounds: '3' };

      // Act
      const lean = await trainXgboost(request(small, 'train-metrics-lean', stopping));
      const full = await trainXgboost(request(small, 'train-metrics-full', stopping), { evaluateTrainEveryRound: true });

      // Assess
      expect(lean.history.slice(0, -1).every((record) => Object.keys(record.train).length === 0)).toBe(true);
      expect(full.history.every((record) => Object.keys(record.train).length === 1)).toBe(true);
      expect(lean.finalMetrics).toEqual(full.finalMetrics);
      expect(lean.finalMetrics['train:auc']).toEqual(expect.any(Number));
      expect(lean.history.map((record) => record.validation)).toEqual(full.history.map((record) => record.validation));
      expect((await readFile(lean.modelArtifact)).equals(await readFile(full.modelArtifact))).toBe(true);
    });

  });

  describe('thread choice', () => {
    it('trains on one thread and says why when the data is small', async () => {
      // Act
      const result = await trainXgboost(request(small, 'threads-small', quick));

      // Assess: 600 rows × 5 features is worth one thread whatever the machine
      expect(result.threads).toBe(1);
      expect(result.threadReason).toMatch(/^600 rows × 5 features, worth 1 thread\(s\), \d+ cores; OpenMP wait policy PASSIVE$/);
    });

    it('uses the nthread hyperparameter when the spec sets it', async () => {
      // Act
      const result = await trainXgboost(request(small, 'threads-nthread', { ...quick, nthread: '2' }));

      // Assess
      expect(result).toMatchObject({ threads: 2, threadReason: 'nthread hyperparameter; OpenMP wait policy PASSIVE', rounds: 8 });
    });
  });

  describe('early stopping that cannot apply', () => {
    it('runs every round and says why when early_stopping_rounds comes without eval_metric', async () => {
      // Prepare
      const { eval_metric: _unused, ...noMetric } = quick;

      // Act
      const result = await trainXgboost(request(small, 'no-metric', { ...noMetric, early_stopping_rounds: '2' }));

      // Assess
      expect(result.rounds).toBe(8);
      expect(result.bestIteration).toBe(7);
      expect(result.warnings).toEqual([
        'early_stopping_rounds ignored: set eval_metric to choose the metric to watch (as in SageMaker)',
      ]);
    });

    it('trains without validation metrics when there is no validation channel', async () => {
      // Prepare
      const noValidation = { ...request(small, 'no-validation', { ...quick, early_stopping_rounds: '2' }), validationFiles: [] };

      // Act
      const result = await trainXgboost(noValidation);

      // Assess
      expect(result.validationMetrics).toBeNull();
      expect(Object.keys(result.finalMetrics)).toEqual(['train:auc']);
      expect(result.warnings).toEqual(['early_stopping_rounds ignored: there is no validation channel (as in SageMaker)']);
    });
  });

  describe('failures', () => {
    it('rejects with HyperparameterValidationError at once when a name is unknown', async () => {
      // Prepare
      const bad = request(small, 'bad-hp', { ...quick, max_dept: '3' });

      // Act
      const act = trainXgboost(bad);

      // Assess
      await expect(act).rejects.toThrow(HyperparameterValidationError);
      await expect(act).rejects.toThrow('unknown hyperparameter: max_dept');
    });

    it('rejects with the named CsvFormatError from the worker when a value is not numeric', async () => {
      // Prepare
      const badFile = join(dir, 'bad.csv');
      await writeFile(badFile, '1,2,3\n0,x,4\n');

      // Act
      const act = trainXgboost({ ...request(small, 'bad-csv', quick), trainFiles: [badFile] });

      // Assess
      await expect(act).rejects.toThrow(CsvFormatError);
      await expect(act).rejects.toMatchObject({ name: 'CsvFormatError', message: expect.stringContaining(`${badFile}:2`) });
    });

    it('rejects with XgboostNotInstalledError without starting a worker when the library is missing', async () => {
      // Prepare
      const options = { libraryPath: join(dir, 'no-such-libxgboost.so') };

      // Act
      const act = trainXgboost(request(small, 'no-lib', quick), options);

      // Assess
      await expect(act).rejects.toThrow(XgboostNotInstalledError);
      await expect(act).rejects.toThrow('sudo apt-get install libxgboost0');
    });

    it('stops at a round boundary and still runs the next job when a training is aborted', async () => {
      // Prepare
      const controller = new AbortController();
      const onRound = (): void => controller.abort(new Error('user cancelled'));

      // Act
      const aborted = trainXgboost(request(large, 'aborted', slow), { signal: controller.signal, onRound });
      const next = trainXgboost(request(small, 'after-abort', quick));

      // Assess: the worker itself stopped between rounds (so it freed its matrices), long before round 80
      await expect(aborted).rejects.toThrow(TrainingAbortedError);
      const error = await aborted.then(() => new Error('resolved'), (caught: unknown) => caught as Error);
      const rounds = Number(/training aborted: training stopped after (\d+) round/.exec(error.message)?.[1]);
      expect(rounds).toBeGreaterThanOrEqual(1);
      expect(rounds).toBeLessThan(80);
      await expect(next).resolves.toMatchObject({ rounds: 8 });
    });
  });
});
