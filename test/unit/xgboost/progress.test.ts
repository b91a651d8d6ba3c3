import { roundProgress, trialProgressLine } from '../../../local/xgboost/progress.js';
import type { RoundRecord } from '../../../local/xgboost/train.js';

const round = (index: number, auc: number): RoundRecord => ({ round: index, train: {}, validation: { logloss: 0.5, auc } });

describe('progress', () => {
  describe('roundProgress', () => {
    it('writes a line every tenth round with the watched metric and the best so far when rounds come fast', () => {
      // Prepare
      const lines: string[] = [];
      const report = roundProgress('training job-1', { write: (line) => lines.push(line), now: () => 0 });
      const aucs = [0.7, 0.8, 0.75, 0.79, 0.81, 0.8, 0.78, 0.77, 0.76, 0.74, 0.73, 0.72];

      // Act
      aucs.forEach((auc, index) => report(round(index, auc)));

      // Assess: the last validation metric is the one shown (early stopping watches it); auc is maximized
      expect(lines).toEqual(['training job-1: round 10, validation-auc 0.740000 (best 0.810000 at round 5)']);
    });

    it('writes a line once a second between tenth rounds when rounds are slow', () => {
      // Prepare
      const lines: string[] = [];
      let clock = 0;
      const report = roundProgress('training job-1', { write: (line) => lines.push(line), now: () => clock });

      // Act
      report(round(0, 0.7));
      clock = 1500;
      report(round(1, 0.72));

      // Assess
      expect(lines).toEqual(['training job-1: round 2, validation-auc 0.720000 (best 0.720000 at round 2)']);
    });

    it('keeps the lowest value as the best when the metric is minimized', () => {
      // Prepare
      const lines: string[] = [];
      const report = roundProgress('t', { write: (line) => lines.push(line), now: () => 0 });

      // Act
      for (let index = 0; index < 10; index++) report({ round: index, train: {}, validation: { rmse: index === 3 ? 0.1 : 0.5 } });

      // Assess
      expect(lines).toEqual(['t: round 10, validation-rmse 0.500000 (best 0.100000 at round 4)']);
    });
  });

  describe('trialProgressLine', () => {
    it('shows the trial count, its objective and the best trial, when a trial ends', () => {
      // Act
      const line = trialProgressLine('tuning job', { index: 2, objective: 0.85, stoppedEarly: true }, 8, 'validation:auc', { index: 0, objective: 0.86 });

      // Assess
      expect(line).toBe('tuning job: trial 3/8 validation:auc 0.850000 (stopped early), best 0.860000 (trial 1)');
    });
  });
});
