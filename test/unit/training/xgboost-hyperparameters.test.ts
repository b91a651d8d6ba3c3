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
        const raw = { num_round: '10', objective: 'binary:logistic', eval_metric: 'error@0.7,ndcg@5' };

        // Act
        const check = checkXgboostHyperparameters(raw);

        // Assess
        expect(check.problems).toEqual([]);
        expect(check.values.get('eval_metric')).toEqual(['error@0.7', 'ndcg@5']);
      });

      // Names and values the container accepts that this list once lacked (the cloud path sent them unchecked).
      it.each([
        ['aft_loss_distribution', { objective: 'survival:aft', aft_loss_distribution: 'logistic' }, 'aft_loss_distribution', 'logistic'],
        ['aft_loss_distribution_scale', { objective: 'survival:aft', aft_loss_distribution_scale: '1.2' }, 'aft_loss_distribution_scale', 1.2],
        ['sampling_method', { tree_method: 'gpu_hist', sampling_method: 'gradient_based' }, 'sampling_method', 'gradient_based'],
        ['prob_buffer_row', { prob_buffer_row: '2' }, 'prob_buffer_row', 2],
        ['predictor auto', { predictor: 'auto' }, 'predictor', 'auto'],
        ['objective reg:absoluteerror', { objective: 'reg:absoluteerror' }, 'objective', 'reg:absoluteerror'],
        ['eval_metric aft-nloglik with survival:aft', { objective: 'survival:aft', eval_metric: 'aft-nloglik' }, 'eval_metric', ['aft-nloglik']],
        ['num_class without an objective (XGBoost then trains multi:softmax)', { num_class: '3' }, 'num_class', 3],
        ['a threshold in exponent form', { objective: 'binary:logistic', eval_metric: 'error@1e-1' }, 'eval_metric', ['error@1e-1']],
        ['an integer with underscores, as Python int() reads it', { max_bin: '1_024' }, 'max_bin', 1024],
        ['an updater sequence for an update process', { process_type: 'update', updater: 'refresh,prune' }, 'updater', ['refresh', 'prune']],
        ['a linear updater for gblinear', { booster: 'gblinear', updater: 'coord_descent' }, 'updater', ['coord_descent']],
        ['the tuning metric a tuning job adds', { objective: 'binary:logistic', _tuning_objective_metric: 'validation:auc' }, '_tuning_objective_metric', ['auc']],
      ] as const)('accepts %s as the container does', (_case, given, name, expected) => {
        // Prepare
        const raw = { num_round: '10', ...given };

        // Act
        const check = checkXgboostHyperparameters(raw);

        // Assess
        expect(check.unknown).toEqual([]);
        expect(check.problems).toEqual([]);
        expect(check.values.get(name)).toEqual(expected);
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

      // Values the container refuses; each message names the hyperparameter.
      it.each([
        ['an aft_loss_distribution it does not know', { aft_loss_distribution: 'gaussian' }, 'aft_loss_distribution must be one of normal, logistic, extreme; got "gaussian"'],
        ['a negative aft_loss_distribution_scale', { aft_loss_distribution_scale: '-1' }, 'aft_loss_distribution_scale must be in [0, inf), got "-1"'],
        ['a sampling_method it does not know', { sampling_method: 'random' }, 'sampling_method must be one of uniform, gradient_based; got "random"'],
        ['prob_buffer_row 1 (it must be above 1)', { prob_buffer_row: '1' }, 'prob_buffer_row must be in (1, inf), got "1"'],
        ['a decimal prob_buffer_row (an integer there)', { prob_buffer_row: '1.5' }, 'prob_buffer_row must be an integer, got "1.5"'],
        ['a predictor it does not know', { predictor: 'cpu' }, 'predictor must be one of auto, cpu_predictor, gpu_predictor; got "cpu"'],
        ['a category with a space around it (matched exactly)', { tree_method: ' hist' }, 'tree_method must be one of auto, exact, approx, hist, gpu_hist; got " hist"'],
        ['a switch written True (only "true" and "false")', { save_model_on_termination: 'True' }, 'save_model_on_termination must be "true" or "false" (lowercase), got "True"'],
        ['an integer too large to print without an exponent', { seed: 1e21 }, 'seed must be an integer, got 1e+21'],
        ['an infinite number', { gamma: 'inf' }, 'gamma must be a finite number, got "inf"'],
        ['eval_metric with a space after the comma', { eval_metric: 'logloss, rmse' }, 'eval_metric " rmse": no spaces around the commas (SageMaker\'s container splits on "," only), got "logloss, rmse"'],
        ['eval_metric with a stray comma', { eval_metric: 'rmse,' }, 'eval_metric has an empty metric (a stray comma), got "rmse,"'],
        ['an ndcg cut-off with XGBoost\'s "-" (not a float)', { objective: 'rank:pairwise', eval_metric: 'ndcg@5-' }, "eval_metric ndcg@5-: the threshold in 'ndcg@t' must be a number"],
        ['aft-nloglik without survival:aft', { objective: 'reg:squarederror', eval_metric: 'aft-nloglik' }, "eval_metric 'aft-nloglik' can only be applied to objective survival:aft"],
        ['the objective aft_loss_distribution (a parameter, not an objective)', { objective: 'aft_loss_distribution' }, 'objective must be one of '],
        ['the updater grow_quantile_histmaker (outside the container\'s range)', { updater: 'grow_quantile_histmaker' }, 'updater must be a comma-separated list (no spaces) of '],
        ['an updater XGBoost 1.7 no longer has', { updater: 'grow_skmaker' }, 'updater grow_skmaker: not an updater of XGBoost 1.7 (the job would fail at its first round); got "grow_skmaker"'],
        ['a tree updater for gblinear', { booster: 'gblinear', updater: 'grow_colmaker' }, 'updater with booster gblinear must be exactly one of shotgun, coord_descent'],
        ['a grow updater for an update process', { process_type: 'update', updater: 'grow_colmaker,prune' }, "updater with process_type 'update' can only be refresh and prune"],
        ['a linear updater for a tree booster', { updater: 'shotgun' }, 'updater shotgun is for booster gblinear only; a tree booster takes tree updaters'],
        ['two tree grow plugins', { updater: 'grow_colmaker,grow_histmaker' }, 'updater can hold only one tree grow plugin (grow_colmaker, distcol, grow_histmaker, grow_local_histmaker)'],
        ['an interaction constraint on feature 0 (the container counts from 1)', { tree_method: 'hist', interaction_constraints: '[[0,1],[2,3]]' }, 'interaction_constraints must be a nested list of feature indexes, each at least 1'],
        ['a tuning metric on the train channel', { _tuning_objective_metric: 'train:rmse' }, '_tuning_objective_metric must look like "validation:<metric>", got "train:rmse"'],
        ['a tuning metric with a threshold', { _tuning_objective_metric: 'validation:error@0.5' }, '_tuning_objective_metric error@0.5 is not a supported metric'],
        ['silent (not a hyperparameter of the container)', { silent: '1' }, undefined],
      ] as const)('refuses %s', (_case, given, expected) => {
        // Prepare
        const raw = { num_round: '10', ...given };

        // Act
        const check = checkXgboostHyperparameters(raw);

        // Assess
        if (expected === undefined) {
          expect(check.unknown).toEqual(Object.keys(given));
          expect(check.problems).toEqual([]);
        } else {
          expect(check.problems.map(xgboostProblemMessage)).toEqual([expect.stringContaining(expected)]);
        }
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
