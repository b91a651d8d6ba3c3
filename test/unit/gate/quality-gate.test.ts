import type { GateDecision } from '../../../core/gate/gate.js';
import { applyQualityGate } from '../../../core/gate/quality-gate.js';

const PROMOTED: GateDecision = { promote: true, metric: 'validation:auc', candidate: 0.9, production: 0.8, reasons: ['validation:auc 0.9 beats production 0.8'] };

describe('applyQualityGate', () => {
  describe('a candidate the metric rule promotes', () => {
    it('holds it back and says why when data quality blocks it', () => {
      // Act
      const decision = applyQualityGate(PROMOTED, ['data quality: baseline_drift_check on monthly_charges']);

      // Assess
      expect(decision.promote).toBe(false);
      expect(decision.reasons).toEqual([...PROMOTED.reasons, 'blocked by data quality: baseline_drift_check on monthly_charges']);
    });

    it('leaves the decision as it was when nothing blocks it', () => {
      // Act
      const decision = applyQualityGate(PROMOTED, []);

      // Assess
      expect(decision).toBe(PROMOTED);
    });
  });
});
