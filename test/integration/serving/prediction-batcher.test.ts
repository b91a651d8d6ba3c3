/** Dynamic batching of the endpoint's predictions with real XGBoost models: one call, each request's own answer. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PredictionBatcher } from '../../../local/serving/prediction-batcher.js';
import { loadServingModel } from '../../../local/serving/serving-model.js';
import type { XgboostModel } from '../../../local/xgboost/model.js';
import { featureRows, toMatrix, trainTinyModel } from './tiny-models.js';

const FEATURES = 5;

/** The model, with the row count of every predict call recorded (and, when `refuseBatches`, calls of >1 row refused). */
function counted(model: XgboostModel, calls: number[], refuseBatches = false): XgboostModel {
  return {
    objective: model.objective,
    numClass: model.numClass,
    numFeatures: model.numFeatures,
    rounds: model.rounds,
    attributes: model.attributes,
    predict: (rows, nRows, nCols) => {
      calls.push(nRows);
      if (refuseBatches && nRows > 1) throw new Error('batch refused');
      return model.predict(rows, nRows, nCols);
    },
    free: () => model.free(),
  };
}

/** Queues one request per group of lines in the same loop turn; resolves to each request's predictions (copied). */
function predictTogether(batcher: PredictionBatcher, model: XgboostModel, requests: readonly (readonly string[])[]): Promise<number[][]> {
  return Promise.all(
    requests.map(
      (lines) =>
        new Promise<number[]>((resolve, reject) => {
          const { values, nRows, nCols } = toMatrix(lines);
          batcher.predict({
            model,
            values,
            nRows,
            nCols,
            settle: (predictions, error) => (predictions === undefined ? reject(error as Error) : resolve(Array.from(predictions))),
          });
        }),
    ),
  );
}

/** Each request's predictions when the model predicts it alone. */
function alone(model: XgboostModel, requests: readonly (readonly string[])[]): number[][] {
  return requests.map((lines) => {
    const { values, nRows, nCols } = toMatrix(lines);
    return Array.from(model.predict(values, nRows, nCols));
  });
}

describe('PredictionBatcher', () => {
  let dir: string;
  let binary: XgboostModel;
  let multiclass: XgboostModel;
  const rows = featureRows(40, FEATURES, 17);
  // Ten one-row requests and a three-row one, as concurrent clients would send them.
  const requests = [...rows.slice(0, 10).map((line) => [line]), rows.slice(10, 13)];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-batcher-'));
    binary = loadServingModel(await trainTinyModel(dir, 'binary', { task: 'binary', features: FEATURES, seed: 3 }));
    multiclass = loadServingModel(await trainTinyModel(dir, 'multiclass', { task: 'multiclass', features: FEATURES, seed: 4 }));
  });

  afterAll(async () => {
    binary.free();
    multiclass.free();
    await rm(dir, { recursive: true, force: true });
  });

  describe('requests completing in the same loop turn', () => {
    it('predicts them in one call and gives each request exactly its own predictions when the model is binary', async () => {
      // Prepare
      const calls: number[] = [];

      // Act
      const answers = await predictTogether(new PredictionBatcher(), counted(binary, calls), requests);

      // Assess
      expect(calls).toEqual([13]);
      expect(answers).toEqual(alone(binary, requests));
      expect(answers.map((answer) => answer.length)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3]);
    });

    it('splits one probability per class per row when the model is multi:softprob', async () => {
      // Prepare
      const calls: number[] = [];

      // Act
      const answers = await predictTogether(new PredictionBatcher(), counted(multiclass, calls), requests);

      // Assess
      expect(calls).toEqual([13]);
      expect(answers).toEqual(alone(multiclass, requests));
      expect(answers[10]).toHaveLength(3 * multiclass.numClass);
    });

    it('predicts each request alone, with its own answer, when the shared call fails', async () => {
      // Prepare
      const calls: number[] = [];

      // Act
      const answers = await predictTogether(new PredictionBatcher(), counted(binary, calls, true), requests.slice(0, 3));

      // Assess
      expect(calls).toEqual([3, 1, 1, 1]);
      expect(answers).toEqual(alone(binary, requests.slice(0, 3)));
    });
  });

  describe('requests of different models', () => {
    it('never predicts a request with another model when a swap falls between two requests', async () => {
      // Prepare
      const binaryCalls: number[] = [];
      const multiclassCalls: number[] = [];
      const batcher = new PredictionBatcher();

      // Act
      const [first, second] = await Promise.all([
        predictTogether(batcher, counted(binary, binaryCalls), requests.slice(0, 2)),
        predictTogether(batcher, counted(multiclass, multiclassCalls), requests.slice(2, 4)),
      ]);

      // Assess
      expect(binaryCalls).toEqual([2]);
      expect(multiclassCalls).toEqual([2]);
      expect(first).toEqual(alone(binary, requests.slice(0, 2)));
      expect(second).toEqual(alone(multiclass, requests.slice(2, 4)));
    });
  });
});
