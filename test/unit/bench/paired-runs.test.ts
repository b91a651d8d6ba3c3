import { runPaired, summarize } from '../../../bench/support/paired-runs.js';

describe('paired-runs', () => {
  describe('summarize', () => {
    it('gives min, median and max when the count is odd', () => {
      // Prepare
      const samples = [3, 1, 2];

      // Act
      const summary = summarize(samples);

      // Assess
      expect(summary).toEqual({ samples: [3, 1, 2], min: 1, median: 2, max: 3 });
    });

    it('averages the middle two when the count is even', () => {
      // Act
      const summary = summarize([4, 1, 3, 2]);

      // Assess
      expect(summary.median).toBe(2.5);
    });

    it('refuses an empty list', () => {
      // Act + Assess
      expect(() => summarize([])).toThrow(RangeError);
    });
  });

  describe('runPaired', () => {
    it('interleaves baseline and sluice runs and compares medians when run three times', async () => {
      // Prepare
      const order: string[] = [];
      let b = 0;
      let s = 0;

      // Act
      const result = await runPaired({
        repeats: 3,
        baseline: async () => {
          order.push('b');
          b += 1;
          return { value: b * 10, detail: `b${b}` };
        },
        sluice: async () => {
          order.push('s');
          s += 1;
          return { value: s * 5, detail: `s${s}` };
        },
      });

      // Assess
      expect(order).toEqual(['b', 's', 'b', 's', 'b', 's']);
      expect(result.baseline.median).toBe(20);
      expect(result.sluice.median).toBe(10);
      expect(result.ratioOfMedians).toBe(0.5);
      expect(result.baselineDetail).toBe('b2');
      expect(result.sluiceDetail).toBe('s2');
    });
  });
});
