import {
  canonicalXgboostName,
  checkXgboostHyperparameters,
  xgboostProblemMessage,
  xgboostRangeProblems,
} from '../../../core/training/xgboost-hyperparameters.js';
import type { RawHyperparameters } from '../../../core/training/xgboost-hyperparameters.js';

/** Every problem of a set as one sentence each, as the local trainer and the spec loader show them. */
function messagesOf(raw: RawHyperparameters): string[] {
  return checkXgboostHyperparameters(raw).problems.map(xgboostProblemMessage);
}

describe('xgboost-hyperparameters', () => {
  describe('checkXgboostHyperparameters', () => {
    describe('a valid set', () => {
      it('parses every value as the container does when the set is the churn pipeline’s (numbers, as YAML gives them)', () => {
        // Prepare
        const raw = { objective: 'binary:logistic', eval_metric: 'auc', num_round: 300, early_stopping_rounds: 20, eta: 0.05, max_depth: 4, subsample: 0.8 };

        // Act
        const check = checkXgboostHyperparameters(raw);

        // Assess
        expect(check.problems).toEqual([]);
        expect(check.unknown).toEqual([]);
        expect([...check.values]).toEqual([
          ['objective', 'binary:logistic'],
          ['eval_metric', ['auc']],
          ['num_round', 300],
          ['early_stopping_rounds', 20],
          ['eta', 0.05],
          ['max_depth', 4],
          ['subsample', 0.8],
        ]);
      });

      it('resolves the aliases the container declares to their canonical names', () => {
        // Prepare
        const raw = { num_round: '1', learning_rate: '0.05', reg_lambda: '2', reg_alpha: '0.5', min_split_loss: '1' };

        // Act
        const check = checkXgboostHyperparameters(raw);

        // Assess
        expect(check.problems).toEqual([]);
        expect([...check.values.keys()]).toEqual(['num_round', 'eta', 'lambda', 'alpha', 'gamma']);
        expect(canonicalXgboostName('learning_rate')).toBe('eta');
        expect(canonicalXgboostName('etaa')).toBeUndefined();
      });

      it('accepts what SageMaker accepts and the local trainer does not offer (GPU, k-fold, Python-side metrics)', () => {
        // Prepare
        const raw = { num_round: '10', objective: 'binary:logistic', tree_method: 'gpu_hist', _kfold: '5', eval_metric: 'f1', use_dask_gpu_training: true };

        // Act
        const check = checkXgboostHyperparameters(raw);

        // Assess
        expect(check.problems).toEqual([]);
        expect(check.unknown).toEqual([]);
        expect(check.values.get('use_dask_gpu_training')).toBe('true');
      });

      it('accepts a thresholded error metric and an ndcg cut-off when eval_metric has them', () => {
        // Prepare
        const raw = { num_round: '10', objective: 'binary:logistic', eval_metric: 'error@0.7,ndcg@5-' };

        // Act
        const check = checkXgboostHyperparameters(raw);

        // Assess
        expect(check.problems).toEqual([]);
        expect(check.values.get('eval_metric')).toEqual(['error@0.7', 'ndcg@5-']);
      });
    });

    // Moved from the local trainer's tests (test/unit/xgboost/hyperparameters.test.ts) with the rules.
    describe('an invalid set', () => {
      it('lists every unknown name when names are misspelt', () => {
        // Prepare
        const raw = { num_round: '10', max_dept: '3', etaa: '0.1' };

        // Act
        const check = checkXgboostHyperparameters(raw);

        // Assess
        expect(check.unknown).toEqual(['max_dept', 'etaa']);
        expect(check.problems).toEqual([]);
      });

      it('requires num_round', () => {
        // Act
        const messages = messagesOf({ eta: '0.1' });

        // Assess
        expect(messages).toEqual(['num_round is required (the number of boosting rounds, an integer >= 1)']);
      });

      it('refuses a decimal where an integer is expected, as Python int() does', () => {
        // Act
        const messages = messagesOf({ num_round: '10', max_depth: '6.0' });

        // Assess
        expect(messages).toEqual(['max_depth must be an integer, got "6.0"']);
      });

      it('refuses text where an integer is expected, without also asking for num_round', () => {
        // Prepare
        const raw = { num_round: 'abc' };

        // Act
        const check = checkXgboostHyperparameters(raw);

        // Assess
        expect(check.problems).toEqual([{ key: 'num_round', name: 'num_round', detail: 'must be an integer, got "abc"' }]);
      });

      it('refuses text where a number is expected', () => {
        // Act
        const messages = messagesOf({ num_round: '10', eta: 'fast' });

        // Assess
        expect(messages).toEqual(['eta must be a number, got "fast"']);
      });

      it('refuses values out of range and names the interval', () => {
        // Act
        const messages = messagesOf({ num_round: '0', subsample: '0' });

        // Assess
        expect(messages).toEqual(['num_round must be in [1, inf), got "0"', 'subsample must be in (0, 1], got "0"']);
      });

      it('requires num_class with a multi-class objective', () => {
        // Act
        const messages = messagesOf({ num_round: '10', objective: 'multi:softprob' });

        // Assess
        expect(messages).toEqual(['num_class is required with objective multi:softprob']);
      });

      it('refuses auc for a regression objective', () => {
        // Act
        const messages = messagesOf({ num_round: '10', objective: 'reg:squarederror', eval_metric: 'auc' });

        // Assess
        expect(messages).toHaveLength(1);
        expect(messages[0]).toContain("eval_metric 'auc' can only be applied");
      });

      it('refuses a thresholded rmse', () => {
        // Act
        const messages = messagesOf({ num_round: '10', eval_metric: 'rmse@0.5' });

        // Assess
        expect(messages).toEqual(['eval_metric rmse@0.5: a threshold (metric@t) is only for error, ndcg and map']);
      });

      it('refuses monotone_constraints without tree_method exact or hist, as the container does', () => {
        // Act
        const messages = messagesOf({ num_round: '10', monotone_constraints: '(1,0,-1)' });

        // Assess
        expect(messages).toEqual(["monotone_constraints needs tree_method 'exact' or 'hist'"]);
      });

      it('refuses an alias given together with its canonical name', () => {
        // Act
        const messages = messagesOf({ num_round: '10', eta: '0.1', learning_rate: '0.2' });

        // Assess
        expect(messages).toEqual(['eta is given twice (once through its alias learning_rate)']);
      });

      it('names the alias whichever of the two comes first', () => {
        // Act
        const messages = messagesOf({ num_round: '10', learning_rate: '0.2', eta: '0.1' });

        // Assess
        expect(messages).toEqual(['eta is given twice (once through its alias learning_rate)']);
      });

      it('refuses a YAML boolean where a number is expected', () => {
        // Prepare
        const raw = { num_round: '10', eta: true };

        // Act
        const check = checkXgboostHyperparameters(raw);

        // Assess
        expect(check.problems).toEqual([{ key: 'eta', name: 'eta', detail: 'must be a number, got true' }]);
      });
    });
  });

  describe('xgboostRangeProblems', () => {
    it('finds nothing when every range of the churn pipeline fits its hyperparameter', () => {
      // Prepare
      const ranges = {
        eta: { type: 'continuous', min: 0.01, max: 0.3, scaling: 'Logarithmic' },
        max_depth: { type: 'integer', min: 2, max: 8, scaling: 'Auto' },
        subsample: { type: 'continuous', min: 0.5, max: 1, scaling: 'Auto' },
        booster: { type: 'categorical', values: ['gbtree', 'dart'] },
      } as const;

      // Act
      const problems = Object.entries(ranges).flatMap(([name, range]) => xgboostRangeProblems(name, range));

      // Assess
      expect(problems).toEqual([]);
    });

    it.each([
      ['an unknown name', 'max_dept', { type: 'integer', min: 2, max: 8, scaling: 'Auto' }, [undefined, /^is not a SageMaker XGBoost hyperparameter; supported: .*max_depth/]],
      ['a continuous range on an integer', 'max_depth', { type: 'continuous', min: 2, max: 8, scaling: 'Auto' }, [undefined, /^takes integers/]],
      ['a numeric range on a category', 'booster', { type: 'integer', min: 0, max: 2, scaling: 'Auto' }, [undefined, /^is not numeric/]],
      ['an end out of range', 'eta', { type: 'continuous', min: 0.1, max: 2, scaling: 'Linear' }, ['max', /^must be in \[0, 1\], got 2$/]],
      ['a categorical value it does not take', 'booster', { type: 'categorical', values: ['gbtree', 'forest'] }, ['values.1', /^must be one of gbtree, gblinear, dart; got "forest"$/]],
    ] as const)('names the problem and where when the range has %s', (_case, name, range, [at, detail]) => {
      // Act
      const problems = xgboostRangeProblems(name, range);

      // Assess
      expect(problems).toHaveLength(1);
      expect(problems[0]?.at).toBe(at);
      expect(problems[0]?.detail).toMatch(detail);
    });
  });
});
