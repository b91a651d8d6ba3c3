import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FastTextError } from '../../../../local/fasttext/errors.js';
import { openSparseScorer } from '../../../../local/fasttext/sparse-scorer.js';

const LOSS_HS = 1;
const LOSS_SOFTMAX = 3;

/**
 * A fastText 0.9.2 `model.bin` built by hand (the layout of `FastText::saveModel`): dim 2, words `</s>`, `good`,
 * `bad`, labels `__label__pos` and `__label__Twitter%20for%20iPhone`, word n-grams 1 (so no bucket row is used), 4
 * buckets.
 */
function tinyModel(loss: number): Buffer {
  const int32 = (v: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    return b;
  };
  const int64 = (v: number): Buffer => {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(BigInt(v));
    return b;
  };
  const floats = (values: number[]): Buffer => Buffer.from(new Float32Array(values).buffer);
  const entry = (word: string, type: number): Buffer => Buffer.concat([Buffer.from(`${word}\0`, 'utf8'), int64(1), Buffer.from([type])]);
  const t = Buffer.alloc(8);
  t.writeDoubleLE(1e-4);
  // dim, ws, epoch, minCount, neg, wordNgrams, loss, model (sup), bucket, minn, maxn, lrUpdateRate, t
  const args = Buffer.concat([...[2, 5, 5, 1, 5, 1, loss, 3, 4, 0, 0, 100].map(int32), t]);
  const dictionary = Buffer.concat([int32(5), int32(3), int32(2), int64(10), int64(-1), entry('</s>', 0), entry('good', 0), entry('bad', 0), entry('__label__pos', 1), entry('__label__Twitter%20for%20iPhone', 1)]);
  // Input rows: </s>, good, bad, then 4 buckets; output rows: pos, iPhone.
  const input = Buffer.concat([int64(7), int64(2), floats([0, 0, 1, 0, 0, 1, 9, 9, 9, 9, 9, 9, 9, 9])]);
  const output = Buffer.concat([int64(2), int64(2), floats([2, -1, -1, 2])]);
  return Buffer.concat([int32(793712314), int32(12), args, dictionary, Buffer.from([0]), input, Buffer.from([0]), output]);
}

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
