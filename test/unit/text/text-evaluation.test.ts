import { classificationMetrics, isTextGateMetric, textEvaluation } from '../../../core/text/classification-metrics.js';

describe('textEvaluation', () => {
  describe('a two-class model', () => {
    it("keys accuracy, macro-F1 and each label's precision, recall and F1 by the user's labels, and keeps the confusion matrix, when metrics are given", () => {
      // Prepare: 3 of 4 right; "great" predicted 3 times, 2 rightly.
      const metrics = classificationMetrics(['great', 'great', 'other', 'other'], ['great', 'great', 'great', 'other']);

      // Act
      const evaluation = textEvaluation(metrics);

      // Assess
      expect(evaluation).toEqual({
        accuracy: 0.75,
        macro_f1: (0.8 + 2 / 3) / 2,
        'precision@great': 2 / 3,
        'recall@great': 1,
        'f1@great': 0.8,
        'precision@other': 1,
        'recall@other': 0.5,
        'f1@other': 2 / 3,
        rows: 4,
        confusion_matrix: { great: { great: 2, other: 0 }, other: { great: 1, other: 1 } },
      });
    });
  });
});

describe('isTextGateMetric', () => {
  describe('metric names', () => {
    it.each([
      ['validation:accuracy', true],
      ['evaluation:accuracy', true],
      ['evaluation:macro_f1', true],
      ['evaluation:f1@great', true],
      ['evaluation:precision@mobile web', true],
      ['evaluation:recall@other', true],
      ['evaluation:confusion_matrix', false],
      ['evaluation:f1@', false],
      ['validation:auc', false],
      ['evaluation:rows', false],
    ])('answers %s: %s', (metric, expected) => {
      // Act / Assess
      expect(isTextGateMetric(metric)).toBe(expected);
    });
  });
});
