import { CELLS_PER_THREAD, chooseThreads } from '../../../local/xgboost/threads.js';

describe('chooseThreads', () => {
  describe('small data', () => {
    it('trains on one thread when the data is worth less than two threads, however many cores there are', () => {
      // Act
      const choice = chooseThreads({ rows: 5_560, cols: 25, cores: 16 });

      // Assess
      expect(choice.threads).toBe(1);
      expect(choice.reason).toBe('5560 rows × 25 features, worth 1 thread(s), 16 cores');
    });
  });

  describe('large data', () => {
    it('uses every core when the data is worth more threads than there are cores', () => {
      // Act
      const choice = chooseThreads({ rows: 2_000_000, cols: 9, cores: 2 });

      // Assess
      expect(choice).toEqual({ threads: 2, reason: '2000000 rows × 9 features, worth 18 thread(s), 2 cores' });
    });

    it('adds a thread per CELLS_PER_THREAD cells of data', () => {
      // Act
      const choice = chooseThreads({ rows: CELLS_PER_THREAD * 3, cols: 1, cores: 64 });

      // Assess
      expect(choice.threads).toBe(3);
    });

  });

  describe('a spec that sets nthread', () => {
    it('uses the nthread hyperparameter whatever the data and the cores', () => {
      // Act
      const choice = chooseThreads({ rows: 100, cols: 2, requested: 4, cores: 2 });

      // Assess
      expect(choice).toEqual({ threads: 4, reason: 'nthread hyperparameter' });
    });
  });
});
