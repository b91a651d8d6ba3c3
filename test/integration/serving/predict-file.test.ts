/** Offline predictions for a CSV file, with real models. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { formatPredictions } from '../../../local/serving/contract.js';
import { FeatureColumnsError, FeatureCountError, ModelPointerError, PayloadFormatError } from '../../../local/serving/errors.js';
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

  describe('a file with a header row', () => {
    const names = ['x0', 'x1', 'x2'];
    /** The rows with their columns in `order` (indexes into x0..x2, -1 for the label) under a header. */
    const withHeader = (order: readonly number[]): string => {
      const header = order.map((c) => (c < 0 ? 'label' : `x${c}`)).join(',');
      const body = rows.map((line, i) => {
        const fields = line.split(',');
        return order.map((c) => (c < 0 ? String(i % 2) : fields[c])).join(',');
      });
      return `${header}\n${body.join('\n')}\n`;
    };

    it('skips the label by name when the label is the last column', async () => {
      // Prepare
      const file = join(dir, 'label-last.csv');
      await writeFile(file, withHeader([0, 1, 2, -1]));

      // Act
      const result = await predictFile({ modelArtifact: artifact, file, labelColumn: true, featureNames: names, labelName: 'label' });

      // Assess
      expect(result.predictions).toEqual(expected);
    });

    it('takes the only column that is not a feature as the label when the query renamed the label', async () => {
      // Prepare: the feature query said `species AS label`; the user's file says species
      const file = join(dir, 'renamed-label.csv');
      await writeFile(file, withHeader([1, -1, 2, 0]).replace(/^x1,label,/, 'x1,species,'));

      // Act
      const result = await predictFile({ modelArtifact: artifact, file, labelColumn: true, featureNames: names, labelName: 'label' });

      // Assess
      expect(result.predictions).toEqual(expected);
    });

    it('finds the features by name when the columns come in another order', async () => {
      // Prepare
      const file = join(dir, 'shuffled.csv');
      await writeFile(file, withHeader([2, 0, 1]));

      // Act
      const result = await predictFile({ modelArtifact: artifact, file, featureNames: names, labelName: 'label' });

      // Assess
      expect(result.predictions).toEqual(expected);
    });

    it('refuses naming what is missing and what was expected when the header lacks a feature', async () => {
      // Prepare
      const file = join(dir, 'missing.csv');
      await writeFile(file, 'x0,x1,label\n1,2,0\n');

      // Act
      const act = predictFile({ modelArtifact: artifact, file, labelColumn: true, featureNames: names, labelName: 'label' });

      // Assess
      await expect(act).rejects.toThrow(FeatureColumnsError);
      await expect(act).rejects.toThrow(`${file}: the header lacks x2; expected the label "label" and 3 features (x0, x1, x2)`);
    });

    it('refuses the label column when --label is not given', async () => {
      // Prepare
      const file = join(dir, 'unlabelled-flag.csv');
      await writeFile(file, withHeader([-1, 0, 1, 2]));

      // Act
      const act = predictFile({ modelArtifact: artifact, file, featureNames: names, labelName: 'label' });

      // Assess
      await expect(act).rejects.toThrow('the header has unexpected column(s) label (pass --label to skip the label column); expected 3 features (x0, x1, x2)');
    });

    it('refuses a header when the model has no recorded feature names', async () => {
      // Prepare
      const file = join(dir, 'unnamed.csv');
      await writeFile(file, withHeader([0, 1, 2]));

      // Act
      const act = predictFile({ modelArtifact: artifact, file });

      // Assess
      await expect(act).rejects.toThrow("the model's feature names were not recorded");
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

    it('refuses rows one value too wide for a label and the features when --label is given without a header', async () => {
      // Prepare
      const file = join(dir, 'labelled-wide.csv');
      await writeFile(file, '0,1,2,3,4\n');

      // Act
      const act = predictFile({ modelArtifact: artifact, file, labelColumn: true });

      // Assess
      await expect(act).rejects.toThrow(FeatureColumnsError);
      await expect(act).rejects.toThrow(`${file}: each row has 5 value(s); expected the label and 3 features, the label first`);
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
