import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { classificationMetrics } from '../../../../core/text/classification-metrics.js';
import { textEvaluation, textEvaluationMetrics } from '../../../../local/fasttext/evaluation.js';
import { isFastTextModel } from '../../../../local/fasttext/model-archive.js';

describe('isFastTextModel', () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-model-kind-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  async function archive(name: string, entry: string, bytes: Buffer): Promise<string> {
    const dir = mkdtempSync(join(root, 'src-'));
    writeFileSync(join(dir, entry), bytes);
    const file = join(root, name);
    await tar.create({ gzip: true, file, cwd: dir }, [entry]);
    return file;
  }

  describe('model archives', () => {
    it('answers true when the archive holds model.bin and false when it holds xgboost-model', async () => {
      // Prepare
      const text = await archive('text.tar.gz', 'model.bin', Buffer.from('anything'));
      const tabular = await archive('tabular.tar.gz', 'xgboost-model', Buffer.from('{}'));

      // Act
      const kinds = [await isFastTextModel(text), await isFastTextModel(tabular)];

      // Assess
      expect(kinds).toEqual([true, false]);
    });
  });

  describe('bare model files', () => {
    it('answers true only when the file starts with fastText magic', async () => {
      // Prepare
      const magic = Buffer.alloc(8);
      magic.writeInt32LE(793712314, 0);
      writeFileSync(join(root, 'model.bin'), magic);
      writeFileSync(join(root, 'xgboost-model'), '{"learner":{}}');

      // Act
      const kinds = [await isFastTextModel(join(root, 'model.bin')), await isFastTextModel(join(root, 'xgboost-model'))];

      // Assess
      expect(kinds).toEqual([true, false]);
    });
  });
});

describe('textEvaluation', () => {
  describe('a two-class evaluation with a label holding a space', () => {
    it('keys the numbers by the user labels and keeps the confusion matrix out of the gate metrics', () => {
      // Prepare
      const metrics = classificationMetrics(['Twitter for iPhone', 'web', 'web'], ['Twitter for iPhone', 'web', 'Twitter for iPhone']);

      // Act
      const record = textEvaluation(metrics);
      const gate = textEvaluationMetrics(metrics);

      // Assess
      expect(record['recall@web']).toBe(0.5);
      expect(record['confusion_matrix']).toEqual({ 'Twitter for iPhone': { 'Twitter for iPhone': 1, web: 0 }, web: { 'Twitter for iPhone': 1, web: 1 } });
      expect(gate).toEqual({
        'evaluation:accuracy': 2 / 3,
        'evaluation:macro_f1': (2 / 3 + 2 / 3) / 2,
        'evaluation:precision@Twitter for iPhone': 0.5,
        'evaluation:recall@Twitter for iPhone': 1,
        'evaluation:f1@Twitter for iPhone': 2 / 3,
        'evaluation:precision@web': 1,
        'evaluation:recall@web': 0.5,
        'evaluation:f1@web': 2 / 3,
      });
    });
  });
});
