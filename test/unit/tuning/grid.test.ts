import { MAX_GRID_COMBINATIONS } from '../../../core/training/tuning-ranges.js';
import { TuningConfigurationError } from '../../../local/tuning/errors.js';
import { gridConfigurations } from '../../../local/tuning/grid.js';
import type { SearchRanges } from '../../../local/tuning/search-space.js';

describe('grid', () => {
  describe('gridConfigurations', () => {
    it('enumerates every combination once, the last range varying fastest, when every range is categorical', () => {
      // Prepare
      const ranges: SearchRanges = {
        booster: { type: 'categorical', values: ['gbtree', 'dart'] },
        max_depth: { type: 'categorical', values: ['3', '6', '9'] },
      };

      // Act
      const configurations = gridConfigurations(ranges);

      // Assess
      expect(configurations).toEqual([
        { booster: 'gbtree', max_depth: '3' },
        { booster: 'gbtree', max_depth: '6' },
        { booster: 'gbtree', max_depth: '9' },
        { booster: 'dart', max_depth: '3' },
        { booster: 'dart', max_depth: '6' },
        { booster: 'dart', max_depth: '9' },
      ]);
    });

    it('throws TuningConfigurationError naming the range when a range is numeric', () => {
      // Prepare
      const ranges: SearchRanges = {
        booster: { type: 'categorical', values: ['gbtree'] },
        eta: { type: 'continuous', min: 0.1, max: 0.5, scaling: 'Auto' },
      };
      const act = (): unknown => gridConfigurations(ranges);

      // Act & Assess
      expect(act).toThrow(TuningConfigurationError);
      expect(act).toThrow(/only categorical ranges.*eta is numeric/);
    });

    it('throws TuningConfigurationError when the grid is larger than a tuning job may run', () => {
      // Prepare
      const values = Array.from({ length: 30 }, (_, i) => String(i));
      const ranges: SearchRanges = {
        a: { type: 'categorical', values },
        b: { type: 'categorical', values },
      };
      const act = (): unknown => gridConfigurations(ranges);

      // Act & Assess
      expect(act).toThrow(new RegExp(`900 combinations.*at most ${MAX_GRID_COMBINATIONS}`));
    });
  });
});
