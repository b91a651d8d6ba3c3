import { CELLS_PER_THREAD, chooseThreads } from '../../../local/xgboost/threads.js';

describe('chooseThreads', () => {
  describe('small data', () => {
    it('trains on one thread when the data is worth less than two threads, however many cores are free', () => {
      // Act
      const choice = chooseThreads({ rows: 5_560, cols: 25, cores: 16, load: 0 });

      // Assess
      expect(choice.threads).toBe(1);
      expect(choice.reason).toBe('5560 rows × 25 features, 16 of 16 cores free (load 0.00)');
    });
  });

  describe('large data', () => {
    it('uses every free core when the data is worth more threads than there are cores', () => {
      // Act
      const choice = chooseThreads({ rows: 2_000_000, cols: 9, cores: 2, load: 0.2 });

      // Assess
      expect(choice.threads).toBe(2);
    });

    it('leaves busy cores alone when the machine is loaded', () => {
      // Act
      const choice = chooseThreads({ rows: 2_000_000, cols: 9, cores: 8, load: 5.4 });

      // Assess
      expect(choice).toEqual({ threads: 3, reason: '2000000 rows × 9 features, 3 of 8 cores free (load 5.40)' });
    });

    it('still trains on one thread when the load exceeds the cores', () => {
      // Act
      const choice = chooseThreads({ rows: 2_000_000, cols: 9, cores: 2, load: 12 });

      // Assess
      expect(choice.threads).toBe(1);
    });

    it('adds a thread per CELLS_PER_THREAD cells of data', () => {
      // Act
      const choice = chooseThreads({ rows: CELLS_PER_THREAD * 3, cols: 1, cores: 64, load: 0 });

      // Assess
      expect(choice.threads).toBe(3);
    });
  });

  describe('a spec that sets nthread', () => {
    it('uses the nthread hyperparameter whatever the data and the load', () => {
      // Act
      const choice = chooseThreads({ rows: 100, cols: 2, requested: 4, cores: 2, load: 12 });

      // Assess
      expect(choice).toEqual({ threads: 4, reason: 'nthread hyperparameter' });
    });
  });
});
