/** The serving loader (one thread, in-place prediction) against `loadXgboostModel`, with real models. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadServingModel } from '../../../local/serving/serving-model.js';
import { ModelFormatError } from '../../../local/xgboost/errors.js';
import { loadXgboostModel } from '../../../local/xgboost/model.js';
import { featureRows, seededRandom, toMatrix, trainTinyModel } from './tiny-models.js';

const FEATURES = 6;

describe('loadServingModel', () => {
  let dir: string;
  let binary: string;
  let multiclass: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-serving-model-'));
    binary = await trainTinyModel(dir, 'binary', { task: 'binary', features: FEATURES, seed: 21, rounds: 30 });
    multiclass = await trainTinyModel(dir, 'multiclass', { task: 'multiclass', features: FEATURES, seed: 22 });
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Rows with about a tenth of the values missing (NaN). */
  function rowsWithMissing(count: number, seed: number): Float32Array {
    const random = seededRandom(seed);
    const { values } = toMatrix(featureRows(count, FEATURES, seed));
    return values.map((value) => (random() < 0.1 ? Number.NaN : value));
  }

  describe('predictions', () => {
    it.each([
      ['binary:logistic', () => binary],
      ['multi:softprob', () => multiclass],
    ])('equals loadXgboostModel().predict for %s models when rows have missing values', (_objective, artifact) => {
      // Prepare
      const reference = loadXgboostModel(artifact());
      const serving = loadServingModel(artifact());
      const rows = rowsWithMissing(200, 31);

      // Act
      const actual = serving.predict(rows, 200, FEATURES);
      const expected = reference.predict(rows, 200, FEATURES);
      serving.free();
      reference.free();

      // Assess
      expect(actual).toEqual(expected);
      expect(actual.length).toBe(200 * (reference.numClass || 1));
    });

    it('keeps answering correctly when a large request grows the input buffer and a small one follows', () => {
      // Prepare
      const reference = loadXgboostModel(binary);
      const serving = loadServingModel(binary);
      const large = rowsWithMissing(5000, 41);
      const small = rowsWithMissing(1, 42);

      // Act
      const first = serving.predict(small, 1, FEATURES);
      const grown = serving.predict(large, 5000, FEATURES);
      const after = serving.predict(small, 1, FEATURES);

      // Assess
      expect(first).toEqual(reference.predict(small, 1, FEATURES));
      expect(grown).toEqual(reference.predict(large, 5000, FEATURES));
      expect(after).toEqual(first);
      serving.free();
      reference.free();
    });

    it('returns answers that later predictions leave unchanged when XGBoost reuses its output buffer', () => {
      // Prepare
      const reference = loadXgboostModel(multiclass);
      const serving = loadServingModel(multiclass);
      const one = rowsWithMissing(3, 51);
      const other = rowsWithMissing(3, 52);
      const expected = reference.predict(one, 3, FEATURES);

      // Act
      const kept = serving.predict(one, 3, FEATURES);
      const later = serving.predict(other, 3, FEATURES);

      // Assess
      expect(later).not.toEqual(kept);
      expect(kept).toEqual(expected);
      serving.free();
      reference.free();
    });

    it('describes the model like loadXgboostModel when loaded', () => {
      // Prepare
      const reference = loadXgboostModel(multiclass);

      // Act
      const serving = loadServingModel(multiclass);

      // Assess
      expect({ ...serving, predict: undefined, free: undefined }).toEqual({ ...reference, predict: undefined, free: undefined });
      serving.free();
      reference.free();
    });
  });

  describe('misuse', () => {
    it('throws ModelFormatError when predicting after free', () => {
      // Prepare
      const serving = loadServingModel(binary);
      serving.free();

      // Act
      const act = (): unknown => serving.predict(new Float32Array(FEATURES), 1, FEATURES);

      // Assess
      expect(act).toThrow(ModelFormatError);
    });

    it('throws RangeError when the values do not fill the rows', () => {
      // Prepare
      const serving = loadServingModel(binary);

      // Act
      const act = (): unknown => serving.predict(new Float32Array(FEATURES + 1), 1, FEATURES);

      // Assess
      expect(act).toThrow(RangeError);
      serving.free();
    });
  });
});
