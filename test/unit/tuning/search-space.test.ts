import { seededRandom } from '../../../local/tuning/random.js';
import {
  configurationKey,
  effectiveScaling,
  encodeConfiguration,
  formatConfiguration,
  fromUnit,
  sampleConfiguration,
  toUnit,
} from '../../../local/tuning/search-space.js';
import type { NumericRange, SearchRanges } from '../../../local/tuning/search-space.js';

describe('search-space', () => {
  describe('Linear scaling', () => {
    it('maps unit coordinates proportionally when the range is continuous', () => {
      // Prepare
      const range: NumericRange = { type: 'continuous', min: 2, max: 10, scaling: 'Linear' };

      // Act
      const values = [0, 0.25, 0.5, 1].map((u) => fromUnit(range, u));

      // Assess
      expect(values).toEqual([2, 4, 6, 10]);
      expect(toUnit(range, 4)).toBeCloseTo(0.25, 12);
    });

    it('gives every integer an equal share of the axis when the range is integer', () => {
      // Prepare
      const range: NumericRange = { type: 'integer', min: 1, max: 4, scaling: 'Linear' };
      const counts = new Map<number, number>();

      // Act
      for (let i = 0; i < 4000; i++) {
        const value = fromUnit(range, (i + 0.5) / 4000);
        counts.set(value, (counts.get(value) ?? 0) + 1);
      }

      // Assess
      expect([...counts.entries()].sort((a, b) => a[0] - b[0])).toEqual([
        [1, 1000],
        [2, 1000],
        [3, 1000],
        [4, 1000],
      ]);
    });
  });

  describe('Auto scaling', () => {
    it('searches linearly when the scaling is Auto (SageMaker starts by assuming linear)', () => {
      // Prepare
      const auto: NumericRange = { type: 'continuous', min: 0.001, max: 1, scaling: 'Auto' };
      const linear: NumericRange = { ...auto, scaling: 'Linear' };

      // Act
      const values = [0, 0.3, 0.7, 1].map((u) => fromUnit(auto, u));

      // Assess
      expect(effectiveScaling(auto)).toBe('Linear');
      expect(values).toEqual([0, 0.3, 0.7, 1].map((u) => fromUnit(linear, u)));
    });
  });

  describe('Logarithmic scaling', () => {
    it('spaces values evenly in log(value) when the range spans orders of magnitude', () => {
      // Prepare
      const range: NumericRange = { type: 'continuous', min: 0.0001, max: 1, scaling: 'Logarithmic' };

      // Act
      const values = [0, 0.25, 0.5, 0.75, 1].map((u) => fromUnit(range, u));

      // Assess
      [0.0001, 0.001, 0.01, 0.1, 1].forEach((expected, i) => expect(values[i]).toBeCloseTo(expected, 12));
      expect(toUnit(range, 0.01)).toBeCloseTo(0.5, 12);
    });

    it('puts as many draws below 0.1 as above it when the range is [0.001, 10]', () => {
      // Prepare
      const range: NumericRange = { type: 'continuous', min: 0.001, max: 10, scaling: 'Logarithmic' };
      const random = seededRandom(7);

      // Act
      const draws = Array.from({ length: 10_000 }, () => fromUnit(range, random.next()));

      // Assess
      const below = draws.filter((value) => value < 0.1).length;
      expect(below / draws.length).toBeGreaterThan(0.47);
      expect(below / draws.length).toBeLessThan(0.53);
    });

    it('produces integers within the range when the range is integer', () => {
      // Prepare
      const range: NumericRange = { type: 'integer', min: 1, max: 1000, scaling: 'Logarithmic' };

      // Act
      const values = [0, 0.001, 0.5, 0.999, 1].map((u) => fromUnit(range, u));

      // Assess
      expect(values.every((value) => Number.isInteger(value) && value >= 1 && value <= 1000)).toBe(true);
      expect(values[0]).toBe(1);
      expect(values[4]).toBe(1000);
      expect(values[2]).toBeGreaterThanOrEqual(20);
      expect(values[2]).toBeLessThanOrEqual(25);
    });
  });

  describe('ReverseLogarithmic scaling', () => {
    it('crowds values near 1 when the range is within [0, 1)', () => {
      // Prepare
      const range: NumericRange = { type: 'continuous', min: 0.9, max: 0.9999, scaling: 'ReverseLogarithmic' };

      // Act
      const values = [0, 1 / 3, 2 / 3, 1].map((u) => fromUnit(range, u));

      // Assess: 1 - value is log-uniform, from 0.1 down to 0.0001
      [0.9, 0.99, 0.999, 0.9999].forEach((expected, i) => expect(values[i]).toBeCloseTo(expected, 12));
      expect(toUnit(range, 0.99)).toBeCloseTo(1 / 3, 12);
    });
  });

  describe('configurations', () => {
    const ranges: SearchRanges = {
      eta: { type: 'continuous', min: 0.01, max: 0.5, scaling: 'Logarithmic' },
      max_depth: { type: 'integer', min: 2, max: 10, scaling: 'Auto' },
      tree_method: { type: 'categorical', values: ['exact', 'hist'] },
    };

    it('draws integers for integer ranges and listed values for categorical ones when sampling', () => {
      // Prepare
      const random = seededRandom(3);

      // Act
      const draws = Array.from({ length: 200 }, () => sampleConfiguration(ranges, random));

      // Assess
      for (const draw of draws) {
        expect(draw['eta']).toBeGreaterThanOrEqual(0.01);
        expect(draw['eta']).toBeLessThanOrEqual(0.5);
        expect(Number.isInteger(draw['max_depth'])).toBe(true);
        expect(['exact', 'hist']).toContain(draw['tree_method']);
      }
      expect(new Set(draws.map((draw) => draw['tree_method'])).size).toBe(2);
    });

    it('formats hyperparameters as strings and encodes categorical values one-hot when given a configuration', () => {
      // Prepare
      const configuration = { eta: 0.05, max_depth: 6, tree_method: 'hist' };

      // Act
      const hyperparameters = formatConfiguration(ranges, configuration);
      const features = encodeConfiguration(ranges, configuration);

      // Assess
      expect(hyperparameters).toEqual({ eta: '0.05', max_depth: '6', tree_method: 'hist' });
      expect(features).toHaveLength(4);
      expect(features.slice(2)).toEqual([0, 1]);
      expect(features[1]).toBeCloseTo(0.5, 12);
      expect(configurationKey(ranges, configuration)).toBe(configurationKey(ranges, { ...configuration }));
    });
  });
});
