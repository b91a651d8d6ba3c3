import {
  binaryMetrics,
  evaluatePredictions,
  multiclassMetrics,
  regressionMetrics,
  rocAuc,
} from '../../../core/evaluation/model-metrics.js';

describe('metrics', () => {
  describe('binary classification', () => {
    // Positives score 0.9, 0.8, 0.4, 0.7; negatives 0.1, 0.6, 0.2, 0.5 (0.5 counts as a negative prediction).
    const labels = [1, 0, 1, 1, 0, 0, 1, 0];
    const probabilities = [0.9, 0.1, 0.8, 0.4, 0.6, 0.2, 0.7, 0.5];

    it('counts the confusion matrix at p > 0.5 when one score sits exactly on the threshold', () => {
      // Prepare: done above
      // Act
      const metrics = binaryMetrics(labels, probabilities);

      // Assess: TP = rows 0, 2, 6; FN = row 3; FP = row 4; TN = rows 1, 5, 7
      expect(metrics.confusionMatrix).toEqual({
        truePositives: 3,
        falsePositives: 1,
        trueNegatives: 3,
        falseNegatives: 1,
      });
      expect(metrics.accuracy).toBe(0.75);
      expect(metrics.precision).toBe(0.75);
      expect(metrics.recall).toBe(0.75);
      expect(metrics.specificity).toBe(0.75);
      expect(metrics.f1).toBeCloseTo(0.75, 12);
      expect(metrics.rows).toBe(8);
    });

    it('computes auc and logloss by hand when scores are distinct', () => {
      // Prepare: 16 positive/negative pairs, 14 ordered right (0.4 beats only 0.1 and 0.2)
      // Act
      const metrics = binaryMetrics(labels, probabilities);

      // Assess: logloss = -(2 ln .9 + 2 ln .8 + 2 ln .4 + ln .7 + ln .5) / 8
      expect(metrics.auc).toBe(14 / 16);
      const expectedLogloss =
        -(2 * Math.log(0.9) + 2 * Math.log(0.8) + 2 * Math.log(0.4) + Math.log(0.7) + Math.log(0.5)) / 8;
      expect(metrics.logloss).toBeCloseTo(expectedLogloss, 12);
      expect(metrics.logloss).toBeCloseTo(0.4424264653, 9);
    });

    it('counts tied scores half when a positive and a negative share a score', () => {
      // Prepare: pairs (0.5+, 0.5-) = 1/2, (0.5+, 0.1-) = 1, (0.9+, both) = 2
      const tiedLabels = [1, 0, 1, 0];
      const tiedScores = [0.5, 0.5, 0.9, 0.1];

      // Act
      const auc = rocAuc(tiedLabels, tiedScores);

      // Assess
      expect(auc).toBe(3.5 / 4);
    });

    it('returns NaN auc when only one class is present', () => {
      // Prepare
      const oneClass = [1, 1, 1];

      // Act
      const auc = rocAuc(oneClass, [0.2, 0.4, 0.9]);

      // Assess
      expect(auc).toBeNaN();
    });

    it('clips logloss like XGBoost when a prediction is certain and wrong', () => {
      // Prepare
      const certainAndWrong = [0];

      // Act
      const metrics = binaryMetrics([1], certainAndWrong);

      // Assess: -ln(1e-16)
      expect(metrics.logloss).toBeCloseTo(36.841361, 5);
    });

    it('reports zero precision and f1 when nothing is predicted positive', () => {
      // Prepare
      const lowScores = [0.1, 0.2];

      // Act
      const metrics = binaryMetrics([1, 0], lowScores);

      // Assess
      expect(metrics.precision).toBe(0);
      expect(metrics.f1).toBe(0);
      expect(metrics.recall).toBe(0);
      expect(metrics.specificity).toBe(1);
    });

    it('throws when predictions and labels differ in length', () => {
      // Prepare
      const short = [0.5];

      // Act
      const act = (): unknown => binaryMetrics([1, 0], short);

      // Assess
      expect(act).toThrow('1 predictions for 2 labels');
    });
  });

  describe('multi-class classification', () => {
    const labels = [0, 1, 2, 2, 1, 0];
    // Row-major softprob output; argmax per row: 0, 1, 2, 1, 2, 0 (rows 3 and 4 wrong).
    const probabilities = [
      0.7, 0.2, 0.1, 0.1, 0.6, 0.3, 0.2, 0.3, 0.5, 0.1, 0.5, 0.4, 0.3, 0.3, 0.4, 0.5, 0.4, 0.1,
    ];

    it('builds the per-class confusion matrix and macro scores when given probabilities', () => {
      // Prepare: done above
      // Act
      const metrics = multiclassMetrics(labels, probabilities, 3);

      // Assess: class 0 is perfect (P = R = 1), classes 1 and 2 have P = R = 1/2
      expect(metrics.confusionMatrix).toEqual([
        [2, 0, 0],
        [0, 1, 1],
        [0, 1, 1],
      ]);
      expect(metrics.accuracy).toBeCloseTo(4 / 6, 12);
      expect(metrics.macroPrecision).toBeCloseTo(2 / 3, 12);
      expect(metrics.macroRecall).toBeCloseTo(2 / 3, 12);
      expect(metrics.macroF1).toBeCloseTo(2 / 3, 12);
    });

    it('computes mlogloss from the true class probability when given probabilities', () => {
      // Prepare: true-class probabilities .7, .6, .5, .4, .3, .5
      const expected =
        -(Math.log(0.7) + Math.log(0.6) + Math.log(0.5) + Math.log(0.4) + Math.log(0.3) + Math.log(0.5)) / 6;

      // Act
      const metrics = multiclassMetrics(labels, probabilities, 3);

      // Assess
      expect(metrics.mlogloss).toBeCloseTo(expected, 12);
      expect(metrics.mlogloss).toBeCloseTo(0.7290097442, 9);
    });

    it('leaves mlogloss undefined when given class indexes (multi:softmax)', () => {
      // Prepare
      const classes = [0, 1, 2, 1, 2, 0];

      // Act
      const metrics = multiclassMetrics(labels, classes, 3);

      // Assess
      expect(metrics.mlogloss).toBeUndefined();
      expect(metrics.accuracy).toBeCloseTo(4 / 6, 12);
      expect(metrics.macroF1).toBeCloseTo(2 / 3, 12);
    });

    it('averages only over classes present in labels or predictions when a class never occurs', () => {
      // Prepare: class 2 of 3 never occurs
      const twoClassLabels = [0, 1, 1];
      const twoClassPredictions = [0, 1, 0];

      // Act
      const metrics = multiclassMetrics(twoClassLabels, twoClassPredictions, 3);

      // Assess: class 0: P = 1/2, R = 1, F1 = 2/3; class 1: P = 1, R = 1/2, F1 = 2/3
      expect(metrics.macroPrecision).toBeCloseTo(0.75, 12);
      expect(metrics.macroRecall).toBeCloseTo(0.75, 12);
      expect(metrics.macroF1).toBeCloseTo(2 / 3, 12);
    });

    it('throws when a label is not a class index', () => {
      // Prepare
      const badLabels = [0, 3];

      // Act
      const act = (): unknown => multiclassMetrics(badLabels, [0, 1], 3);

      // Assess
      expect(act).toThrow('label 3 at row 1 is not a class in [0, 3)');
    });
  });

  describe('regression', () => {
    it('computes rmse, mae and r2 by hand', () => {
      // Prepare: errors 0.5, -0.5, 0, -1; mean label 2.875, total sum of squares 29.1875
      const labels = [3, -0.5, 2, 7];
      const predictions = [2.5, 0.0, 2, 8];

      // Act
      const metrics = regressionMetrics(labels, predictions);

      // Assess
      expect(metrics.rmse).toBeCloseTo(Math.sqrt(0.375), 12);
      expect(metrics.mae).toBe(0.5);
      expect(metrics.r2).toBeCloseTo(1 - 1.5 / 29.1875, 12);
      expect(metrics.r2).toBeCloseTo(0.9486081370, 9);
    });

    it('gives r2 = 1 for a perfect fit of a constant target', () => {
      // Prepare
      const constant = [2, 2];

      // Act
      const metrics = regressionMetrics(constant, [2, 2]);

      // Assess
      expect(metrics.r2).toBe(1);
      expect(metrics.rmse).toBe(0);
    });
  });

  describe('evaluatePredictions', () => {
    it('applies the sigmoid to margins when the objective is binary:logitraw', () => {
      // Prepare: margins 2.2 and -2.2 are probabilities 0.9 and 0.1
      const margins = [Math.log(9), -Math.log(9)];

      // Act
      const metrics = evaluatePredictions('binary:logitraw', [1, 0], margins);

      // Assess
      expect(metrics.kind).toBe('binary');
      expect(metrics.kind === 'binary' && metrics.logloss).toBeCloseTo(-Math.log(0.9), 12);
    });

    it('picks multi-class metrics when the objective is multi:softprob', () => {
      // Prepare
      const probabilities = [0.9, 0.1, 0.2, 0.8];

      // Act
      const metrics = evaluatePredictions('multi:softprob', [0, 1], probabilities, 2);

      // Assess
      expect(metrics.kind).toBe('multiclass');
      expect(metrics.kind === 'multiclass' && metrics.accuracy).toBe(1);
    });

    it('picks regression metrics when the objective is reg:squarederror', () => {
      // Prepare
      const predictions = [1, 2];

      // Act
      const metrics = evaluatePredictions('reg:squarederror', [1, 4], predictions);

      // Assess
      expect(metrics).toEqual({ kind: 'regression', rows: 2, rmse: Math.sqrt(2), mae: 1, r2: 1 - 4 / 4.5 });
    });

    it('throws when a multi-class objective comes without numClass', () => {
      // Prepare
      const predictions = [0, 1];

      // Act
      const act = (): unknown => evaluatePredictions('multi:softmax', [0, 1], predictions);

      // Assess
      expect(act).toThrow('numClass is needed for multi:softmax');
    });
  });
});
