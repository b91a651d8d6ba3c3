import {
  BLAZINGTEXT_OBJECTIVE,
  BLAZINGTEXT_TUNING_RANGES,
  blazingTextInstanceProblem,
  checkBlazingTextHyperparameters,
} from '../../../core/training/blazingtext-hyperparameters.js';
import { rangeProblems } from '../../../core/training/tuning-ranges.js';

describe('blazingtext-hyperparameters', () => {
  describe('checkBlazingTextHyperparameters', () => {
    it('fills every documented default when only mode is given', () => {
      // Act
      const check = checkBlazingTextHyperparameters({ mode: 'supervised' });

      // Assess
      expect(check.problems).toEqual([]);
      expect(check.values).toEqual({
        mode: 'supervised',
        buckets: '2000000',
        early_stopping: 'False',
        epochs: '5',
        learning_rate: '0.05',
        min_count: '5',
        min_epochs: '5',
        patience: '4',
        vector_dim: '100',
        word_ngrams: '2',
      });
    });

    it('keeps the given values as strings when numbers and YAML booleans are given', () => {
      // Act
      const check = checkBlazingTextHyperparameters({ mode: 'supervised', epochs: 10, learning_rate: 0.1, min_count: 0, early_stopping: true });

      // Assess
      expect(check.problems).toEqual([]);
      expect(check.values).toMatchObject({ epochs: '10', learning_rate: '0.1', min_count: '0', early_stopping: 'True' });
    });

    it.each([
      [{ mode: 'skipgram' }, /"mode" must be supervised/],
      [{}, /"mode" is required/],
      [{ mode: 'supervised', epochs: 0 }, /"epochs" must be a positive integer, got "0"/],
      [{ mode: 'supervised', epochs: 2.5 }, /"epochs" must be a positive integer/],
      [{ mode: 'supervised', min_count: -1 }, /"min_count" must be a non-negative integer/],
      [{ mode: 'supervised', learning_rate: 0 }, /"learning_rate" must be a positive number/],
      [{ mode: 'supervised', learning_rate: 'fast' }, /"learning_rate" must be a positive number/],
      [{ mode: 'supervised', early_stopping: 'yes' }, /"early_stopping" must be True or False/],
      [{ mode: 'supervised', eta: 0.1 }, /"eta" is not a BlazingText supervised-mode hyperparameter/],
    ])('reports a clear problem when the set is %j', (raw, message) => {
      // Act
      const { problems } = checkBlazingTextHyperparameters(raw);

      // Assess
      expect(problems).toEqual([expect.stringMatching(message)]);
    });

    it('refuses early stopping when there is no validation channel', () => {
      // Act
      const { problems } = checkBlazingTextHyperparameters({ mode: 'supervised', early_stopping: 'True' }, false);

      // Assess
      expect(problems).toEqual([expect.stringMatching(/requires one to stop early/)]);
    });
  });

  describe('tuning', () => {
    it('tunes on validation:accuracy, maximized, with ranges the tuning rules accept', () => {
      // Act / Assess
      expect(BLAZINGTEXT_OBJECTIVE).toEqual({ metric: 'validation:accuracy', direction: 'Maximize' });
      for (const range of Object.values(BLAZINGTEXT_TUNING_RANGES)) expect(rangeProblems(range)).toEqual([]);
      expect(BLAZINGTEXT_TUNING_RANGES['word_ngrams']).toEqual({ type: 'integer', min: 1, max: 3, scaling: 'Auto' });
    });
  });

  describe('blazingTextInstanceProblem', () => {
    it.each([['ml.c5.xlarge'], ['ml.p3.2xlarge'], ['ml.g4dn.xlarge'], ['ml.g5.2xlarge']])('accepts %s on one instance', (type) => {
      // Act / Assess
      expect(blazingTextInstanceProblem(type, 1)).toBeUndefined();
    });

    it('refuses an undocumented family and more than one instance', () => {
      // Act / Assess
      expect(blazingTextInstanceProblem('ml.m5.large', 1)).toMatch(/does not train on ml\.m5\.large/);
      expect(blazingTextInstanceProblem('ml.c5.xlarge', 2)).toMatch(/one instance, not 2/);
    });
  });
});
