import { gateOnServedModels, servedMetric } from '../../../core/gate/served-gate.js';
import type { GateRule } from '../../../core/gate/gate.js';

const merror: GateRule = { metric: 'validation:merror', direction: 'Minimize', minimum: 0.5, minImprovement: 0 };

describe('servedMetric', () => {
  describe('a metric the evaluation gives under another name', () => {
    it('reads an error rate as one minus the accuracy when the model has its own evaluation', () => {
      // Act
      const reading = servedMetric('validation:merror', { 'validation:merror': 0.3, 'evaluation:accuracy': 0.75 });

      // Assess
      expect(reading).toEqual({ value: 0.25, source: 'evaluation' });
    });

    it("falls back to the job's number when there is no evaluation", () => {
      // Act
      const reading = servedMetric('validation:merror', { 'validation:merror': 0.3 });

      // Assess
      expect(reading).toEqual({ value: 0.3, source: 'job' });
    });
  });
});

describe('gateOnServedModels', () => {
  describe('a production model scored on the same set', () => {
    it('compares with its number on the candidate\'s set when it has one', () => {
      // Act
      const decision = gateOnServedModels(merror, {
        candidateMetrics: { 'evaluation:accuracy': 0.8 },
        production: { version: 2, registeredMetrics: { 'evaluation:accuracy': 0.9 }, onCandidateSet: { 'evaluation:accuracy': 0.7 } },
      });

      // Assess
      expect(decision.promote).toBe(true);
      expect(decision.candidate).toBeCloseTo(0.2);
      expect(decision.production).toBeCloseTo(0.3);
    });
  });
});
