import { decideGate } from '../../../core/gate/gate.js';
import type { GateRule } from '../../../core/gate/gate.js';

const auc: GateRule = { metric: 'validation:auc', direction: 'Maximize', minimum: 0.75, minImprovement: 0.01 };
const rmse: GateRule = { metric: 'validation:rmse', direction: 'Minimize', minimum: 5, minImprovement: 0.5 };

describe('decideGate', () => {
  describe('the first model', () => {
    it('promotes it when it meets the minimum', () => {
      // Act
      const decision = decideGate(auc, { 'validation:auc': 0.8 });

      // Assess
      expect(decision).toEqual({
        promote: true,
        metric: 'validation:auc',
        candidate: 0.8,
        production: null,
        reasons: ['validation:auc 0.8 meets the minimum 0.75', 'no model in production yet'],
      });
    });

    it('rejects it when it misses the minimum', () => {
      // Act
      const decision = decideGate(auc, { 'validation:auc': 0.7 });

      // Assess
      expect(decision.promote).toBe(false);
      expect(decision.reasons).toEqual(['validation:auc 0.7 does not meet the minimum 0.75']);
    });

    it('rejects it naming what it reports when the gate metric is missing', () => {
      // Act
      const decision = decideGate(auc, { 'train:auc': 0.9, 'validation:logloss': 0.3 });

      // Assess
      expect(decision.promote).toBe(false);
      expect(decision.reasons).toEqual(['the candidate does not report validation:auc (it reports train:auc, validation:logloss)']);
    });
  });

  describe('against a production model', () => {
    it('promotes a candidate that beats production by the required margin', () => {
      expect(decideGate(auc, { 'validation:auc': 0.82 }, { 'validation:auc': 0.8 })).toMatchObject({ promote: true, production: 0.8 });
    });

    it('rejects a candidate that improves by less than the margin', () => {
      // Act
      const decision = decideGate(auc, { 'validation:auc': 0.805 }, { 'validation:auc': 0.8 });

      // Assess
      expect(decision.promote).toBe(false);
      expect(decision.reasons.at(-1)).toBe('validation:auc 0.805 does not beat production 0.8 by at least 0.01');
    });

    it('keeps production when the scores are equal and no margin is set', () => {
      // Act
      const decision = decideGate({ ...auc, minImprovement: 0 }, { 'validation:auc': 0.8 }, { 'validation:auc': 0.8 });

      // Assess
      expect(decision.promote).toBe(false);
      expect(decision.reasons.at(-1)).toMatch(/an equal score does not replace it/);
    });

    it('reads lower as better when the metric is minimized', () => {
      // Act
      const better = decideGate(rmse, { 'validation:rmse': 3 }, { 'validation:rmse': 4 });
      const worse = decideGate(rmse, { 'validation:rmse': 3.8 }, { 'validation:rmse': 4 });
      const aboveCeiling = decideGate(rmse, { 'validation:rmse': 6 });

      // Assess
      expect(better.promote).toBe(true);
      expect(worse.promote).toBe(false);
      expect(aboveCeiling.reasons).toEqual(['validation:rmse 6 does not meet the maximum 5']);
    });

    it('promotes when production does not report the metric', () => {
      expect(decideGate(auc, { 'validation:auc': 0.8 }, { 'validation:error': 0.2 }).reasons.at(-1)).toBe('the production model does not report validation:auc');
    });
  });
});
