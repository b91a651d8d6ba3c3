import { MetricsInputError, classificationMetrics, majorityBaselineAccuracy } from '../../../core/text/classification-metrics.js';

describe('classification-metrics', () => {
  describe('a three-class case computed by hand', () => {
    // actual:    a a a b b c
    // predicted: a a b b a a
    // a: TP 2, predicted 4 → precision 0.5, support 3 → recall 2/3, F1 = 2·0.5·(2/3)/(0.5+2/3) = 4/7
    // b: TP 1, predicted 2 → precision 0.5, support 2 → recall 0.5, F1 0.5
    // c: TP 0, never predicted → precision 0 (zero_division=0), recall 0, F1 0
    const actual = ['a', 'a', 'a', 'b', 'b', 'c'];
    const predicted = ['a', 'a', 'b', 'b', 'a', 'a'];

    it('returns accuracy, per-class figures and macro-F1 when a class is never predicted', () => {
      // Act
      const metrics = classificationMetrics(actual, predicted);

      // Assess
      expect(metrics.accuracy).toBeCloseTo(3 / 6, 12);
      expect(metrics.perClass).toEqual([
        { label: 'a', precision: 0.5, recall: 2 / 3, f1: expect.closeTo(4 / 7, 12) as number, support: 3 },
        { label: 'b', precision: 0.5, recall: 0.5, f1: 0.5, support: 2 },
        { label: 'c', precision: 0, recall: 0, f1: 0, support: 1 },
      ]);
      expect(metrics.macroF1).toBeCloseTo((4 / 7 + 0.5 + 0) / 3, 12);
      expect(metrics.rows).toBe(6);
    });

    it('keys the confusion matrix by the user labels, actual then predicted', () => {
      // Act
      const { confusionMatrix, labels } = classificationMetrics(actual, predicted);

      // Assess
      expect(labels).toEqual(['a', 'b', 'c']);
      expect(confusionMatrix).toEqual({ a: { a: 2, b: 1, c: 0 }, b: { a: 1, b: 1, c: 0 }, c: { a: 1, b: 0, c: 0 } });
    });
  });

  describe('a label only predicted', () => {
    it('gives it recall 0 and counts it in macro-F1 when it never occurs in the truth', () => {
      // Act
      const metrics = classificationMetrics(['x', 'x'], ['x', 'Twitter for iPhone']);

      // Assess
      expect(metrics.perClass.find((c) => c.label === 'Twitter for iPhone')).toEqual({ label: 'Twitter for iPhone', precision: 0, recall: 0, f1: 0, support: 0 });
      expect(metrics.macroF1).toBeCloseTo((2 / 3 + 0) / 2, 12);
    });
  });

  describe('bad input', () => {
    it('throws MetricsInputError when the lists differ in length', () => {
      // Act / Assess
      expect(() => classificationMetrics(['a'], [])).toThrow(MetricsInputError);
    });

    it('throws MetricsInputError when there are no rows', () => {
      // Act / Assess
      expect(() => classificationMetrics([], [])).toThrow(/empty/);
    });
  });

  describe('majorityBaselineAccuracy', () => {
    it('returns the share of the most frequent label when labels are imbalanced', () => {
      // Act / Assess
      expect(majorityBaselineAccuracy(['a', 'b', 'a', 'c', 'a'])).toBe(0.6);
    });
  });
});
