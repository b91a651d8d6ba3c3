/**
 * Parity of the local trainer with Python XGBoost 1.7.4 driven the way SageMaker's 1.7-1 container drives it:
 * same CSV files, same parameters, same callbacks. Requires Debian's python3-xgboost (fails, never skips, without).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readModelBytes } from '../../../local/xgboost/model-archive.js';
import { loadXgboostModel } from '../../../local/xgboost/model.js';
import { binaryMetrics } from '../../../core/evaluation/model-metrics.js';
import { parseCsvText } from '../../../local/xgboost/data.js';
import { trainXgboost } from '../../../local/xgboost/train.js';
import type { TrainResult } from '../../../local/xgboost/train.js';
import { writeDataset } from './datasets.js';
import type { DatasetPaths } from './datasets.js';
import { PYTHON_PREDICT_FROM_ARCHIVE_SCRIPT, PYTHON_TRAIN_SCRIPT, pythonWithXgboost, runPython } from './python-xgboost.js';

/**
 * The thread count both trainers use. Models are bit-identical at equal thread counts; the local trainer picks its
 * threads from the data and the free cores, so the comparison pins them on both sides.
 */
const PARITY_THREADS = '1';

interface PythonTrainOutput {
  history: Record<string, Record<string, number[]>>;
  rounds: number;
  boosted_rounds: number;
  attributes: Record<string, string>;
  predictions: number[];
}

interface PythonPredictOutput {
  members: string[];
  format: string;
  attributes: Record<string, string>;
  predictions: number[];
}

/** Our per-round history in Python's `evals_result` layout. */
function historyAsPython(result: TrainResult): Record<string, Record<string, number[]>> {
  const out: Record<string, Record<string, number[]>> = { train: {}, validation: {} };
  for (const record of result.history) {
    for (const [set, scores] of [['train', record.train], ['validation', record.validation]] as const) {
      for (const [metric, value] of Object.entries(scores)) (out[set]![metric] ??= []).push(value);
    }
  }
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return max;
}

function validationRows(
  file: string,
  weightColumn = false,
): { rows: Float32Array; labels: Float32Array; nRows: number; nCols: number } {
  const data = parseCsvText(readFileSync(file, 'utf8'), { source: file, weightColumn });
  return { rows: data.features, labels: data.labels, nRows: data.nRows, nCols: data.nCols };
}

describe('local XGBoost trainer', () => {
  let dir: string;

  beforeAll(async () => {
    // Fails here, with install instructions, when the reference is missing.
    pythonWithXgboost();
    dir = await mkdtemp(join(tmpdir(), 'sluice-xgb-parity-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('binary:logistic with early stopping on auc, missing values, a gzip part', () => {
    let data: DatasetPaths;
    let ours: TrainResult;
    let python: PythonTrainOutput;
    const pythonModel = (): string => join(dir, 'binary', 'python-xgboost-model');

    beforeAll(async () => {
      data = await writeDataset(join(dir, 'binary'), {
        task: 'binary',
        features: 10,
        trainRows: 3000,
        validationRows: 1000,
        seed: 11,
        missingRate: 0.03,
      });
      ours = await trainXgboost({
        trainFiles: [data.trainDir],
        validationFiles: [data.validationFile],
        outputDir: join(dir, 'binary', 'output'),
        hyperparameters: {
          // One thread on both sides: XGBoost's parallel sums round differently at another thread count.
          nthread: PARITY_THREADS,
          num_round: '300',
          objective: 'binary:logistic',
          eval_metric: 'logloss,auc',
          early_stopping_rounds: '10',
          eta: '0.3',
          max_depth: '5',
          subsample: '0.8',
          colsample_bytree: '0.8',
          min_child_weight: '2',
          seed: '7',
          tree_method: 'hist',
        },
        // Python's xgb.train evaluates the train set every round; the trainer does it only when asked.
      }, { evaluateTrainEveryRound: true });
      // What the container hands xgb.train: validated (typed) values, eval_metric as a list, and
      // EarlyStopping(data_name='validation', metric_name=eval_metric[-1], maximize, save_best=True).
      python = runPython<PythonTrainOutput>(PYTHON_TRAIN_SCRIPT, {
        train: data.trainFiles,
        validation: [data.validationFile],
        params: {
          nthread: Number(PARITY_THREADS),
          objective: 'binary:logistic',
          eta: 0.3,
          max_depth: 5,
          subsample: 0.8,
          colsample_bytree: 0.8,
          min_child_weight: 2.0,
          seed: 7,
          tree_method: 'hist',
          eval_metric: ['logloss', 'auc'],
        },
        num_round: 300,
        early_stopping: { rounds: 10, metric: 'auc', maximize: true },
        model_path: pythonModel(),
      });
    });

    it('stops early when validation auc stops improving (the test data makes it stop)', () => {
      // Prepare: done in beforeAll
      // Act: done in beforeAll
      // Assess
      expect(ours.rounds).toBeLessThan(300);
      expect(ours.rounds).toBe(ours.bestIteration + 11);
    });

    it('reports the same metrics as Python XGBoost round by round', () => {
      // Prepare: done in beforeAll
      // Act
      const history = historyAsPython(ours);

      // Assess
      expect(history).toEqual(python.history);
      expect(ours.rounds).toBe(python.rounds);
    });

    it('keeps the best iteration and the attributes xgb.train leaves on the model', () => {
      // Prepare
      const model = loadXgboostModel(ours.modelArtifact);

      // Act
      const attributes = model.attributes;
      model.free();

      // Assess: save_best slices the model, so only best_iteration and best_ntree_limit survive
      expect(String(ours.bestIteration)).toBe(python.attributes['best_iteration']);
      expect(attributes).toEqual(python.attributes);
      expect(python.boosted_rounds).toBe(ours.bestIteration + 1);
    });

    it('writes the same xgboost-model bytes as the container (legacy binary format)', () => {
      // Prepare
      const pythonBytes = readFileSync(pythonModel());

      // Act
      const ourBytes = readModelBytes(ours.modelArtifact);

      // Assess
      expect(ourBytes.subarray(0, 4).toString('latin1')).toBe('binf');
      expect(Buffer.compare(ourBytes, pythonBytes)).toBe(0);
    });

    it('matches the validation metric and the predictions of Python XGBoost', () => {
      // Prepare
      const validation = validationRows(data.validationFile);
      const model = loadXgboostModel(ours.modelArtifact);

      // Act
      const predictions = model.predict(validation.rows, validation.nRows, validation.nCols);
      model.free();

      // Assess
      expect(maxAbsDiff(predictions, python.predictions)).toBeLessThanOrEqual(1e-6);
      const pythonMetrics = binaryMetrics(validation.labels, python.predictions);
      const best = ours.bestIteration;
      expect(ours.validationMetrics?.kind).toBe('binary');
      if (ours.validationMetrics?.kind !== 'binary') return;
      expect(Math.abs(ours.validationMetrics.auc - pythonMetrics.auc)).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(ours.validationMetrics.auc - (python.history['validation']?.['auc']?.[best] ?? 0))).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(ours.validationMetrics.logloss - (python.history['validation']?.['logloss']?.[best] ?? 0))).toBeLessThanOrEqual(1e-6);
    });

    it('names its final metrics like SageMaker, from the last round run', () => {
      // Prepare
      const last = ours.rounds - 1;

      // Act
      const final = ours.finalMetrics;

      // Assess
      expect(final).toEqual({
        'train:logloss': python.history['train']?.['logloss']?.[last],
        'train:auc': python.history['train']?.['auc']?.[last],
        'validation:logloss': python.history['validation']?.['logloss']?.[last],
        'validation:auc': python.history['validation']?.['auc']?.[last],
      });
    });

    it('writes a model.tar.gz that Python XGBoost loads and predicts identically', () => {
      // Prepare
      const validation = validationRows(data.validationFile);
      const model = loadXgboostModel(ours.modelArtifact);
      const ourPredictions = model.predict(validation.rows, validation.nRows, validation.nCols);
      model.free();

      // Act
      const loaded = runPython<PythonPredictOutput>(PYTHON_PREDICT_FROM_ARCHIVE_SCRIPT, {
        archive: ours.modelArtifact,
        csv: data.validationFile,
      });

      // Assess
      expect(loaded.members).toEqual(['xgboost-model']);
      expect(loaded.format).toBe('binf');
      expect(loaded.attributes).toEqual(python.attributes);
      expect(maxAbsDiff(ourPredictions, loaded.predictions)).toBe(0);
    });

    it('loads the bare xgboost-model file written by Python as well', () => {
      // Prepare
      const validation = validationRows(data.validationFile);

      // Act
      const model = loadXgboostModel(pythonModel());
      const predictions = model.predict(validation.rows, validation.nRows, validation.nCols);
      const { objective, numFeatures, rounds } = model;
      model.free();

      // Assess
      expect({ objective, numFeatures, rounds }).toEqual({
        objective: 'binary:logistic',
        numFeatures: 10,
        rounds: ours.bestIteration + 1,
      });
      expect(maxAbsDiff(predictions, python.predictions)).toBe(0);
    });
  });

  describe('multi:softprob without early stopping', () => {
    let data: DatasetPaths;
    let ours: TrainResult;
    let python: PythonTrainOutput;

    beforeAll(async () => {
      data = await writeDataset(join(dir, 'multi'), {
        task: 'multiclass',
        features: 6,
        trainRows: 2400,
        validationRows: 800,
        seed: 23,
        missingRate: 0.02,
      });
      ours = await trainXgboost({
        trainFiles: [data.trainDir],
        validationFiles: [data.validationFile],
        outputDir: join(dir, 'multi', 'output'),
        hyperparameters: {
          // One thread on both sides: XGBoost's parallel sums round differently at another thread count.
          nthread: PARITY_THREADS,
          num_round: 12,
          objective: 'multi:softprob',
          num_class: 3,
          eval_metric: 'merror,mlogloss',
          max_depth: 4,
          eta: 0.2,
          lambda: 2,
          seed: 3,
        },
        // Python's xgb.train evaluates the train set every round; the trainer does it only when asked.
      }, { evaluateTrainEveryRound: true });
      python = runPython<PythonTrainOutput>(PYTHON_TRAIN_SCRIPT, {
        train: data.trainFiles,
        validation: [data.validationFile],
        params: {
          nthread: Number(PARITY_THREADS),
          objective: 'multi:softprob',
          num_class: 3,
          max_depth: 4,
          eta: 0.2,
          lambda: 2.0,
          seed: 3,
          eval_metric: ['merror', 'mlogloss'],
        },
        num_round: 12,
        early_stopping: null,
        model_path: join(dir, 'multi', 'python-xgboost-model'),
      });
    });

    it('matches Python XGBoost history, model bytes and class probabilities', () => {
      // Prepare
      const pythonBytes = readFileSync(join(dir, 'multi', 'python-xgboost-model'));
      const validation = validationRows(data.validationFile);
      const model = loadXgboostModel(ours.modelArtifact);

      // Act
      const probabilities = model.predict(validation.rows, validation.nRows, validation.nCols);
      model.free();

      // Assess
      expect(historyAsPython(ours)).toEqual(python.history);
      expect(Buffer.compare(readModelBytes(ours.modelArtifact), pythonBytes)).toBe(0);
      expect(probabilities.length).toBe(validation.nRows * 3);
      expect(maxAbsDiff(probabilities, python.predictions)).toBeLessThanOrEqual(1e-6);
      expect(ours.bestIteration).toBe(11);
      expect(python.attributes).toEqual({ best_iteration: '11', best_ntree_limit: '12' });
    });

    it('computes multi-class validation metrics consistent with XGBoost mlogloss and merror', () => {
      // Prepare
      const last = python.history['validation'];

      // Act
      const metrics = ours.validationMetrics;

      // Assess
      expect(metrics?.kind).toBe('multiclass');
      if (metrics?.kind !== 'multiclass') return;
      expect(Math.abs((metrics.mlogloss ?? 0) - (last?.['mlogloss']?.[11] ?? 0))).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(1 - metrics.accuracy - (last?.['merror']?.[11] ?? 0))).toBeLessThanOrEqual(1e-6);
      expect(metrics.confusionMatrix.flat().reduce((sum, n) => sum + n, 0)).toBe(800);
    });
  });

  describe('reg:squarederror with csv_weights and early stopping on mae (minimized)', () => {
    let data: DatasetPaths;
    let ours: TrainResult;
    let python: PythonTrainOutput;

    beforeAll(async () => {
      data = await writeDataset(join(dir, 'regression'), {
        task: 'regression',
        features: 8,
        trainRows: 3000,
        validationRows: 1000,
        seed: 41,
        missingRate: 0.05,
        weights: true,
      });
      ours = await trainXgboost({
        trainFiles: [data.trainDir],
        validationFiles: [data.validationFile],
        outputDir: join(dir, 'regression', 'output'),
        hyperparameters: {
          // One thread on both sides: XGBoost's parallel sums round differently at another thread count.
          nthread: PARITY_THREADS,
          num_round: '400',
          objective: 'reg:squarederror',
          eval_metric: 'rmse,mae',
          early_stopping_rounds: '8',
          csv_weights: '1',
          eta: '0.5',
          max_depth: '6',
          gamma: '0.1',
          seed: '1',
        },
        // Python's xgb.train evaluates the train set every round; the trainer does it only when asked.
      }, { evaluateTrainEveryRound: true });
      python = runPython<PythonTrainOutput>(PYTHON_TRAIN_SCRIPT, {
        train: data.trainFiles,
        validation: [data.validationFile],
        params: { nthread: Number(PARITY_THREADS), objective: 'reg:squarederror', eta: 0.5, max_depth: 6, gamma: 0.1, seed: 1, eval_metric: ['rmse', 'mae'] },
        num_round: 400,
        early_stopping: { rounds: 8, metric: 'mae', maximize: false },
        model_path: join(dir, 'regression', 'python-xgboost-model'),
        csv_weights: true,
      });
    });

    it('matches Python XGBoost history, stopping round, model bytes and predictions', () => {
      // Prepare
      const validation = validationRows(data.validationFile, true);
      const model = loadXgboostModel(ours.modelArtifact);

      // Act
      const predictions = model.predict(validation.rows, validation.nRows, validation.nCols);
      model.free();

      // Assess
      expect(ours.rounds).toBeLessThan(400);
      expect(historyAsPython(ours)).toEqual(python.history);
      expect(String(ours.bestIteration)).toBe(python.attributes['best_iteration']);
      expect(Buffer.compare(readModelBytes(ours.modelArtifact), readFileSync(join(dir, 'regression', 'python-xgboost-model')))).toBe(0);
      expect(maxAbsDiff(predictions, python.predictions)).toBeLessThanOrEqual(1e-6);
      expect(ours.validationMetrics?.kind).toBe('regression');
    });
  });
});
