import { isRung, medianStoppingRule, successiveHalvingRule } from '../../../local/tuning/early-stopping.js';

describe('early-stopping', () => {
  describe('medianStoppingRule', () => {
    // Running averages up to round 2: 0.7, 0.8, 0.9 -> median 0.8
    const previous = [
      [0.6, 0.7, 0.8, 0.85],
      [0.7, 0.8, 0.9],
      [0.8, 0.9, 1.0, 1.0],
    ];

    it('stops a maximized trial when its value is below the median of the running averages', () => {
      // Prepare
      const input = { round: 2, objective: 0.79, previous, direction: 'Maximize' } as const;

      // Act
      const stop = medianStoppingRule(input);

      // Assess
      expect(stop).toBe(true);
    });

    it('continues when the value equals the median (a tie does not stop)', () => {
      // Prepare
      const input = { round: 2, objective: 0.8, previous, direction: 'Maximize' } as const;

      // Act
      const stop = medianStoppingRule(input);

      // Assess
      expect(stop).toBe(false);
    });

    it('compares with running averages, not with the earlier trials\' values at that round', () => {
      // Prepare: values at round 2 are 0.8, 0.9, 1.0 (median 0.9), running averages 0.7, 0.8, 0.9 (median 0.8)
      const input = { round: 2, objective: 0.85, previous, direction: 'Maximize' } as const;

      // Act
      const stop = medianStoppingRule(input);

      // Assess
      expect(stop).toBe(false);
    });

    it('stops a minimized trial when its value is above the median', () => {
      // Prepare: running averages of the losses up to round 1: 0.45, 0.35, 0.25 -> median 0.35
      const losses = [
        [0.5, 0.4],
        [0.4, 0.3],
        [0.3, 0.2],
      ];

      // Act
      const above = medianStoppingRule({ round: 1, objective: 0.36, previous: losses, direction: 'Minimize' });
      const below = medianStoppingRule({ round: 1, objective: 0.34, previous: losses, direction: 'Minimize' });

      // Assess
      expect(above).toBe(true);
      expect(below).toBe(false);
    });

    it('takes the mean of the two middle averages when an even number of trials reached the round', () => {
      // Prepare: averages up to round 1: 0.2, 0.4, 0.6, 0.8 -> median 0.5
      const curves = [
        [0.2, 0.2],
        [0.4, 0.4],
        [0.6, 0.6],
        [0.8, 0.8],
      ];

      // Act
      const justBelow = medianStoppingRule({ round: 1, objective: 0.49, previous: curves, direction: 'Maximize' });
      const atMedian = medianStoppingRule({ round: 1, objective: 0.5, previous: curves, direction: 'Maximize' });

      // Assess
      expect(justBelow).toBe(true);
      expect(atMedian).toBe(false);
    });

    it('ignores earlier trials that did not reach the round, and waits for enough of them', () => {
      // Prepare: only two trials reached round 3
      const input = { round: 3, objective: 0, previous, direction: 'Maximize' } as const;

      // Act
      const withDefault = medianStoppingRule(input);
      const withTwo = medianStoppingRule({ ...input, minPreviousTrials: 2 });

      // Assess
      expect(withDefault).toBe(false);
      expect(withTwo).toBe(true);
    });

    it('never stops during the grace rounds', () => {
      // Prepare
      const input = { round: 0, objective: 0, previous, direction: 'Maximize' } as const;

      // Act
      const withDefault = medianStoppingRule(input);
      const withoutGrace = medianStoppingRule({ ...input, graceRounds: 0 });

      // Assess
      expect(withDefault).toBe(false);
      expect(withoutGrace).toBe(true);
    });

    it('leaves out curves with a NaN and stops a trial whose own objective is NaN', () => {
      // Prepare
      const curves = [...previous, [Number.NaN, 0.1, 0.1]];

      // Act
      const nanTrial = medianStoppingRule({ round: 2, objective: Number.NaN, previous: curves, direction: 'Maximize' });
      const goodTrial = medianStoppingRule({ round: 2, objective: 0.8, previous: curves, direction: 'Maximize' });

      // Assess
      expect(nanTrial).toBe(true);
      expect(goodTrial).toBe(false);
    });
  });

  describe('successiveHalvingRule', () => {
    it('judges only at rungs of minResource * eta^k rounds', () => {
      // Prepare
      const rounds = Array.from({ length: 30 }, (_, round) => round);

      // Act
      const rungs = rounds.filter((round) => isRung(round, 1, 3));
      const fromTwo = rounds.filter((round) => isRung(round, 2, 2));

      // Assess
      expect(rungs).toEqual([0, 2, 8, 26]);
      expect(fromTwo).toEqual([1, 3, 7, 15]);
    });

    it('keeps only the best third at a rung when eta is 3', () => {
      // Prepare: five earlier trials at round 2 (rung 3): 0.9, 0.8, 0.7, 0.6, 0.5; with the current one n = 6, keep 2
      const previous = [0.9, 0.8, 0.7, 0.6, 0.5].map((value) => [0, 0, value]);

      // Act
      const second = successiveHalvingRule({ round: 2, objective: 0.85, previous, direction: 'Maximize' });
      const third = successiveHalvingRule({ round: 2, objective: 0.75, previous, direction: 'Maximize' });
      const tiedSecond = successiveHalvingRule({ round: 2, objective: 0.8, previous, direction: 'Maximize' });

      // Assess
      expect(second).toBe(false);
      expect(third).toBe(true);
      expect(tiedSecond).toBe(false);
    });

    it('stops no one between rungs or before eta earlier trials reached the rung', () => {
      // Prepare
      const previous = [
        [0.1, 0.1, 0.1, 0.1],
        [0.2, 0.2, 0.2, 0.2],
      ];

      // Act
      const betweenRungs = successiveHalvingRule({ round: 3, objective: 1, previous, direction: 'Minimize' });
      const tooFew = successiveHalvingRule({ round: 2, objective: 1, previous, direction: 'Minimize' });
      const enough = successiveHalvingRule({ round: 2, objective: 1, previous: [...previous, [0.3, 0.3, 0.3]], direction: 'Minimize' });

      // Assess
      expect(betweenRungs).toBe(false);
      expect(tooFew).toBe(false);
      expect(enough).toBe(true);
    });
  });
});
