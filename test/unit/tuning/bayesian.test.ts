import { initialRandomTrials, proposeBayesian } from '../../../local/tuning/bayesian.js';
import type { Observation } from '../../../local/tuning/bayesian.js';
import { seededRandom } from '../../../local/tuning/random.js';
import { configurationKey } from '../../../local/tuning/search-space.js';
import type { SearchRanges } from '../../../local/tuning/search-space.js';

describe('bayesian', () => {
  const ranges: SearchRanges = {
    x: { type: 'continuous', min: -2, max: 2, scaling: 'Linear' },
    y: { type: 'continuous', min: -2, max: 2, scaling: 'Linear' },
  };

  describe('before enough trials', () => {
    it('samples at random when fewer trials than the initial design have finished', () => {
      // Prepare
      const observations: Observation[] = [{ configuration: { x: 0, y: 0 }, objective: 1 }];

      // Act
      const proposal = proposeBayesian(ranges, observations, 'Minimize', seededRandom(1));

      // Assess
      expect(initialRandomTrials(ranges)).toBe(4);
      expect(proposal).toEqual({ x: expect.any(Number), y: expect.any(Number) });
    });
  });

  describe('with a fitted surrogate', () => {
    const f = (x: number, y: number): number => (x - 1) ** 2 + (y + 1) ** 2;
    const observations: Observation[] = [
      [-1.5, 1.5],
      [1.5, -1.5],
      [0, 0],
      [-1, -1],
      [1, 0],
      [0.5, -0.5],
    ].map(([x = 0, y = 0]) => ({ configuration: { x, y }, objective: f(x, y) }));

    const search = (direction: 'Minimize' | 'Maximize', steps: number): number => {
      const sign = direction === 'Minimize' ? 1 : -1;
      const history = observations.map((observation) => ({ ...observation, objective: sign * observation.objective }));
      const random = seededRandom(3);
      for (let step = 0; step < steps; step++) {
        const proposal = proposeBayesian(ranges, history, direction, random);
        history.push({ configuration: proposal, objective: sign * f(Number(proposal['x']), Number(proposal['y'])) });
      }
      return Math.min(...history.map((observation) => sign * observation.objective));
    };

    it('closes in on the minimum within ten proposals when minimizing a quadratic', () => {
      // Prepare: the best of the six observations scores 0.5

      // Act
      const best = search('Minimize', 10);

      // Assess
      expect(best).toBeLessThan(0.01);
    });

    it('closes in on the maximum within ten proposals when maximizing the negated quadratic', () => {
      // Prepare: the best of the six observations scores -0.5

      // Act
      const best = search('Maximize', 10);

      // Assess
      expect(best).toBeLessThan(0.01);
    });

    it('proposes the same point when given the same seed', () => {
      // Prepare & Act
      const first = proposeBayesian(ranges, observations, 'Minimize', seededRandom(9));
      const second = proposeBayesian(ranges, observations, 'Minimize', seededRandom(9));

      // Assess
      expect(first).toEqual(second);
    });
  });

  describe('a discrete space', () => {
    it('proposes an untried configuration while one is left', () => {
      // Prepare
      const discrete: SearchRanges = {
        depth: { type: 'integer', min: 1, max: 3, scaling: 'Linear' },
        method: { type: 'categorical', values: ['exact', 'hist'] },
      };
      const tried: Observation[] = [
        { configuration: { depth: 1, method: 'exact' }, objective: 0.7 },
        { configuration: { depth: 2, method: 'exact' }, objective: 0.8 },
        { configuration: { depth: 3, method: 'exact' }, objective: 0.9 },
        { configuration: { depth: 1, method: 'hist' }, objective: 0.6 },
        { configuration: { depth: 2, method: 'hist' }, objective: 0.65 },
      ];

      // Act
      const proposal = proposeBayesian(discrete, tried, 'Maximize', seededRandom(1));

      // Assess
      expect(configurationKey(discrete, proposal)).toBe(configurationKey(discrete, { depth: 3, method: 'hist' }));
    });
  });
});
