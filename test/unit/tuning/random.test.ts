import { TuningConfigurationError } from '../../../local/tuning/errors.js';
import { seededRandom } from '../../../local/tuning/random.js';

describe('random', () => {
  describe('seededRandom', () => {
    it('repeats the same draws when given the same seed', () => {
      // Prepare
      const first = seededRandom(42);
      const second = seededRandom(42);

      // Act
      const a = Array.from({ length: 50 }, () => first.next());
      const b = Array.from({ length: 50 }, () => second.next());

      // Assess
      expect(a).toEqual(b);
    });

    it('draws differently when the seeds differ, even above 32 bits', () => {
      // Prepare
      const seeds = [1, 2, 2 ** 32 + 1];

      // Act
      const firsts = seeds.map((seed) => seededRandom(seed).next());

      // Assess
      expect(new Set(firsts).size).toBe(3);
    });

    it('stays in [0, 1) with a mean near 1/2 when drawing many numbers', () => {
      // Prepare
      const random = seededRandom(5);

      // Act
      const draws = Array.from({ length: 20_000 }, () => random.next());

      // Assess
      expect(draws.every((value) => value >= 0 && value < 1)).toBe(true);
      const mean = draws.reduce((sum, value) => sum + value, 0) / draws.length;
      expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    });

    it('draws standard normals when asked for normal()', () => {
      // Prepare
      const random = seededRandom(11);

      // Act
      const draws = Array.from({ length: 20_000 }, () => random.normal());

      // Assess
      const mean = draws.reduce((sum, value) => sum + value, 0) / draws.length;
      const variance = draws.reduce((sum, value) => sum + (value - mean) ** 2, 0) / draws.length;
      expect(Math.abs(mean)).toBeLessThan(0.03);
      expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    });

    it('throws TuningConfigurationError when the seed is not an integer', () => {
      // Prepare
      const act = (): unknown => seededRandom(1.5);

      // Act & Assess
      expect(act).toThrow(TuningConfigurationError);
    });
  });
});
