/** Offline predictions for a CSV file, with real models. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { formatPredictions } from '../../../local/serving/contract.js';
import { FeatureCountError, ModelPointerError, PayloadFormatError } from '../../../local/serving/errors.js';
import { writeModelPointer } from '../../../local/serving/model-pointer.js';
import { predictFile } from '../../../local/serving/predict-file.js';
import { loadXgboostModel } from '../../../local/xgboost/model.js';
import { featureRows, toMatrix, trainTinyModel } from './tiny-models.js';

const FEATURES = 3;

describe('predictFile', () => {
  let dir: string;
  let artifact: string;
  let multiclass: string;
  const rows = featureRows(300, FEATURES, 9);
  let expected: Float32Array;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-predict-file-'));
    artifact = await trainTinyModel(dir, 'binary', { task: 'binary', features: FEATURES, seed: 6 });
    multiclass = await trainTinyModel(dir, 'multiclass', { task: 'multiclass', features: FEATURES, seed: 7 });
    const model = loadXgboostModel(artifact);
    const { values, nRows, nCols } = toMatrix(rows);
    expected = model.predict(values, nRows, nCols);
    model.free();
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('a file of feature rows', () => {
    it('predicts every row like loadXgboostModel().predict when given the artifact and small batches', async () => {
      // Prepare
      const file = join(dir, 'rows.csv');
      await writeFile(file, `${rows.join('\n')}\n`);

      // Act
      const result = await predictFile({ modelArtifact: artifact, file, batchRows: 64 });

      // Assess
      expect(result.nRows).toBe(300);
      expect(result.valuesPerRow).toBe(1);
      expect(result.predictions).toEqual(expected);
      expect(result.model).toMatchObject({ modelArtifact: artifact, version: undefined, numFeatures: FEATURES });
      expect(formatPredictions(result.predictions, result.nRows, 'text/csv').split('\n')).toHaveLength(301);
    });

    it('uses the model the pointer names when given a pointer and a gzip file', async () => {
      // Prepare
      const pointerFile = join(dir, 'endpoint', 'pointer.json');
      await writeModelPointer(pointerFile, { version: 9, modelArtifact: artifact });
      const file = join(dir, 'rows.csv.gz');
      await writeFile(file, gzipSync(`${rows.join('\n')}\n`));

      // Act
      const result = await predictFile({ pointerFile, file });

      // Assess
      expect(result.model.version).toBe(9);
      expect(result.predictions).toEqual(expected);
    });

    it('drops the first column when the file is a labelled channel file', async () => {
      // Prepare
      const file = join(dir, 'labelled.csv');
      await writeFile(file, `${rows.map((line, i) => `${i % 2},${line}`).join('\n')}\n`);

      // Act
      const result = await predictFile({ modelArtifact: artifact, file, labelColumn: true });

      // Assess
      expect(result.predictions).toEqual(expected);
    });

    it('returns num_class values per row when the model is multi:softprob', async () => {
      // Prepare
      const file = join(dir, 'rows.csv');
      await writeFile(file, `${rows.join('\n')}\n`);

      // Act
      const result = await predictFile({ modelArtifact: multiclass, file });

      // Assess
      expect(result.valuesPerRow).toBe(3);
      expect(result.predictions).toHaveLength(900);
    });
  });

  describe('bad input', () => {
    it('throws FeatureCountError when the rows have another number of features than the model', async () => {
      // Prepare
      const file = join(dir, 'wide.csv');
      await writeFile(file, '1,2,3,4\n5,6,7,8\n');

      // Act
      const act = predictFile({ modelArtifact: artifact, file });

      // Assess
      await expect(act).rejects.toThrow(FeatureCountError);
      await expect(act).rejects.toThrow('each row has 4 feature(s), the model was trained on 3');
    });

    it('throws PayloadFormatError naming the file and line when a value is not a number', async () => {
      // Prepare
      const file = join(dir, 'bad.csv');
      await writeFile(file, '1,2,3\n4,five,6\n');

      // Act
      const act = predictFile({ modelArtifact: artifact, file });

      // Assess
      await expect(act).rejects.toThrow(PayloadFormatError);
      await expect(act).rejects.toThrow(`${file}: line 2, column 2 is not a number: "five"`);
    });

    it('throws ModelPointerError when the pointer is missing', async () => {
      // Prepare
      const file = join(dir, 'rows.csv');
      await writeFile(file, `${rows.join('\n')}\n`);

      // Act
      const act = predictFile({ pointerFile: join(dir, 'nowhere.json'), file });

      // Assess
      await expect(act).rejects.toThrow(ModelPointerError);
    });
  });
});
