import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FastTextError } from '../../../../local/fasttext/errors.js';
import { openSparseScorer } from '../../../../local/fasttext/sparse-scorer.js';
import { LOSS_HS, LOSS_SOFTMAX, tinyModel } from './tiny-model.js';

describe('openSparseScorer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-sparse-'));

  describe('a softmax supervised model', () => {
    it('ranks the labels by softmax of the mean input row, in the user labels, when given texts', async () => {
      // Prepare
      const file = join(dir, 'softmax.bin');
      writeFileSync(file, tinyModel(LOSS_SOFTMAX));
      const scorer = await openSparseScorer(file);

      // Act
      const answers = await scorer?.predict(['good', 'bad bad\tunknown', '__label__pos'], 2).finally(() => scorer.close());

      // Assess: "good" + </s> → hidden (0.5, 0), scores (1, -0.5); "bad bad unknown" + </s> → (0, 2/3), scores
      // (-2/3, 4/3): the unknown word adds no row. fastText answers exp(log(p + 1e-5)), so p + 1e-5.
      const pos = 1 / (1 + Math.exp(-1.5)) + 1e-5;
      expect(answers?.[0]?.labels).toEqual(['pos', 'Twitter for iPhone']);
      expect(answers?.[0]?.fastTextLabels).toEqual(['__label__pos', '__label__Twitter%20for%20iPhone']);
      expect(answers?.[0]?.probabilities[0]).toBeCloseTo(pos, 5);
      expect(answers?.[1]?.labels).toEqual(['Twitter for iPhone', 'pos']);
      expect(answers?.[1]?.probabilities[0]).toBeCloseTo(1 / (1 + Math.exp(-2)) + 1e-5, 5);
      // A label word is not text: only </s> is left, whose row is zero, so both labels are equally likely
      expect(answers?.[2]?.probabilities[0]).toBeCloseTo(0.5 + 1e-5, 5);
    });
  });

  describe('models it does not reproduce', () => {
    it('answers undefined when the loss is not softmax', async () => {
      // Prepare
      const file = join(dir, 'hs.bin');
      writeFileSync(file, tinyModel(LOSS_HS));

      // Act
      const scorer = await openSparseScorer(file);

      // Assess
      expect(scorer).toBeUndefined();
    });

    it('throws a FastTextError when the file is not a fastText model', async () => {
      // Prepare
      const file = join(dir, 'not-a-model.bin');
      writeFileSync(file, 'xgboost-model');

      // Act
      const opening = openSparseScorer(file);

      // Assess
      await expect(opening).rejects.toThrow(FastTextError);
    });
  });
});
