import {
  erfc,
  expectedImprovement,
  fitGaussianProcess,
  matern52,
  normalCdf,
} from '../../../local/tuning/gaussian-process.js';

describe('gaussian-process', () => {
  describe('fitGaussianProcess', () => {
    const xs = [[0], [0.25], [0.5], [0.75], [1]];
    const ys = xs.map(([x = 0]) => Math.sin(6 * x));

    it('reproduces the observed targets when the data are noise-free', () => {
      // Prepare & Act
      const model = fitGaussianProcess(xs, ys);

      // Assess
      xs.forEach((x, i) => expect(model.predict(x).mean).toBeCloseTo(ys[i] as number, 2));
    });

    it('is more certain near the data than far from it', () => {
      // Prepare
      const model = fitGaussianProcess(
        xs.map(([x = 0]) => [x / 2]),
        ys,
      );

      // Act
      const near = model.predict([0.25]).variance;
      const far = model.predict([1]).variance;

      // Assess
      expect(near).toBeLessThan(far / 10);
    });

    it('predicts between the neighbours when asked between two points', () => {
      // Prepare
      const model = fitGaussianProcess([[0], [0.1], [0.2], [0.3]], [0, 1, 2, 3]);

      // Act
      const middle = model.predict([0.15]).mean;

      // Assess
      expect(middle).toBeGreaterThan(1.3);
      expect(middle).toBeLessThan(1.7);
    });

    it('fits without failing when two observations share a point', () => {
      // Prepare
      const points = [[0.5], [0.5], [0.1]];

      // Act
      const model = fitGaussianProcess(points, [1, 1.2, 0]);

      // Assess
      expect(model.predict([0.5]).mean).toBeCloseTo(1.1, 1);
      expect(Number.isFinite(model.predict([0.9]).variance)).toBe(true);
    });

    it('throws RangeError when there are no points', () => {
      // Prepare
      const act = (): unknown => fitGaussianProcess([], []);

      // Act & Assess
      expect(act).toThrow(RangeError);
    });
  });

  describe('helpers', () => {
    it('gives erfc to 1e-7 relative accuracy at known values', () => {
      // Prepare: erfc(0) = 1, erfc(1) = 0.157299207050285, erfc(3) = 2.20904969985854e-5, erfc(-1) = 1.842700792949715
      const cases: [number, number][] = [
        [0, 1],
        [1, 0.157299207050285],
        [3, 2.20904969985854e-5],
        [-1, 1.842700792949715],
      ];

      // Act & Assess
      for (const [x, expected] of cases) expect(Math.abs(erfc(x) / expected - 1)).toBeLessThan(2e-7);
      expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 7);
    });

    it('decreases the Matérn correlation from 1 with distance', () => {
      // Prepare & Act
      const values = [0, 0.1, 0.5, 2].map((r) => matern52(r, 0.5));

      // Assess
      expect(values[0]).toBe(1);
      expect(values).toEqual([...values].sort((a, b) => b - a));
    });

    it('grows expected improvement with the predicted gain and with uncertainty', () => {
      // Prepare
      const incumbent = 1;

      // Act
      const certainGain = expectedImprovement({ mean: 0.5, variance: 0 }, incumbent);
      const certainLoss = expectedImprovement({ mean: 1.5, variance: 0 }, incumbent);
      const uncertainLoss = expectedImprovement({ mean: 1.5, variance: 1 }, incumbent);
      const moreUncertainLoss = expectedImprovement({ mean: 1.5, variance: 4 }, incumbent);

      // Assess
      expect(certainGain).toBeCloseTo(0.5, 12);
      expect(certainLoss).toBe(0);
      expect(uncertainLoss).toBeGreaterThan(0);
      expect(moreUncertainLoss).toBeGreaterThan(uncertainLoss);
    });
  });
});
