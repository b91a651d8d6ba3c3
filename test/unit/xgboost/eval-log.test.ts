import {
  createEarlyStopping,
  isMaximizeMetric,
  parseEvalLine,
  pythonFloatRepr,
  updateEarlyStopping,
} from '../../../local/xgboost/eval-log.js';

describe('eval-log', () => {
  describe('parseEvalLine', () => {
    it('splits data set and metric on the first dash when metric names contain dashes and @', () => {
      // Prepare
      const line = '[12]\ttrain-cox-nloglik:1.25\tvalidation-error@0.7:0.125\tvalidation-ndcg@5-:0.5';

      // Act
      const scores = parseEvalLine(line);

      // Assess
      expect(scores).toEqual({
        train: { 'cox-nloglik': 1.25 },
        validation: { 'error@0.7': 0.125, 'ndcg@5-': 0.5 },
      });
    });

    it('reads XGBoost 1.7 full-precision values exactly when parsed', () => {
      // Prepare
      const line = '[0]\ttrain-logloss:0.44572615623474121\tvalidation-auc:1.00000000000000000';

      // Act
      const scores = parseEvalLine(line);

      // Assess
      expect(scores['train']?.['logloss']).toBe(0.44572615623474121);
      expect(scores['validation']?.['auc']).toBe(1);
    });

    it('throws when an item has no metric', () => {
      // Prepare
      const line = '[0]\tgarbage';

      // Act
      const act = (): unknown => parseEvalLine(line);

      // Assess
      expect(act).toThrow('unexpected evaluation item "garbage"');
    });
  });

  describe('pythonFloatRepr', () => {
    it.each([
      [1, '1.0'],
      [0.5, '0.5'],
      [0.43744185829535126, '0.43744185829535126'],
      [1e-5, '1e-05'],
      [0.0001, '0.0001'],
      [1.5e-7, '1.5e-07'],
      [1e15, '1000000000000000.0'],
      [1e16, '1e+16'],
      [123456789012345680000, '1.2345678901234568e+20'],
      [-2.5, '-2.5'],
      [1234.5, '1234.5'],
      [0, '0.0'],
      [Number.NaN, 'nan'],
      [Number.POSITIVE_INFINITY, 'inf'],
    ])('writes %p as Python writes it (%s)', (value, expected) => {
      // Prepare: the table
      // Act
      const text = pythonFloatRepr(value);

      // Assess
      expect(text).toBe(expected);
    });
  });

  describe('early stopping', () => {
    it('stops after `rounds` rounds without a strict improvement when minimizing', () => {
      // Prepare
      const state = createEarlyStopping(2, false);
      const scores = [0.5, 0.4, 0.4, 0.45];

      // Act
      const steps = scores.map((score, round) => updateEarlyStopping(state, score, round));

      // Assess: 0.4 again is no improvement (strict), stop after the second stale round
      expect(steps).toEqual([
        { improved: true, stop: false },
        { improved: true, stop: false },
        { improved: false, stop: false },
        { improved: false, stop: true },
      ]);
      expect(state.best).toEqual({ score: 0.4, iteration: 1 });
    });

    it('treats a higher score as better when maximizing', () => {
      // Prepare
      const state = createEarlyStopping(1, true);

      // Act
      updateEarlyStopping(state, 0.7, 0);
      const second = updateEarlyStopping(state, 0.8, 1);
      const third = updateEarlyStopping(state, 0.75, 2);

      // Assess
      expect(second).toEqual({ improved: true, stop: false });
      expect(third).toEqual({ improved: false, stop: true });
      expect(state.best).toEqual({ score: 0.8, iteration: 1 });
    });

    it.each([
      ['auc', true],
      ['aucpr', true],
      ['map@3', true],
      ['ndcg@5-', true],
      ['logloss', false],
      ['mape', false],
      ['error@0.7', false],
    ])('maximizes %s: %p', (metric, expected) => {
      // Prepare: the table
      // Act
      const maximize = isMaximizeMetric(metric);

      // Assess
      expect(maximize).toBe(expected);
    });
  });
});
