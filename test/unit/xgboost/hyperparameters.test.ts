import { HyperparameterValidationError } from '../../../local/xgboost/errors.js';
import { parseHyperparameters } from '../../../local/xgboost/hyperparameters.js';

describe('parseHyperparameters', () => {
  describe('a typical binary classification set, as SageMaker passes it (strings)', () => {
    it('sends XGBoost the parameters in order, eval metrics last, formatted like Python str()', () => {
      // Prepare
      const raw = {
        num_round: '100',
        objective: 'binary:logistic',
        eval_metric: 'logloss, auc',
        max_depth: '5',
        eta: '0.2',
        subsample: '1',
        min_child_weight: '1e-5',
        seed: '42',
      };

      // Act
      const config = parseHyperparameters(raw);

      // Assess
      expect(config.params).toEqual([
        ['objective', 'binary:logistic'],
        ['max_depth', '5'],
        ['eta', '0.2'],
        ['subsample', '1.0'],
        ['min_child_weight', '1e-05'],
        ['seed', '42'],
        ['eval_metric', 'logloss'],
        ['eval_metric', 'auc'],
        ['validate_parameters', 'True'],
      ]);
      expect(config.numRound).toBe(100);
      expect(config.objective).toBe('binary:logistic');
      expect(config.evalMetrics).toEqual(['logloss', 'auc']);
    });

    it('accepts numbers as well as strings', () => {
      // Prepare
      const raw = { num_round: 10, eta: 0.1, max_depth: 3 };

      // Act
      const config = parseHyperparameters(raw);

      // Assess
      expect(config.numRound).toBe(10);
      expect(config.params).toContainEqual(['eta', '0.1']);
      expect(config.params).toContainEqual(['max_depth', '3']);
    });

    it('keeps num_round, early_stopping_rounds and csv_weights away from XGBoost', () => {
      // Prepare
      const raw = { num_round: '10', early_stopping_rounds: '3', csv_weights: '1', eval_metric: 'rmse' };

      // Act
      const config = parseHyperparameters(raw);

      // Assess
      const names = config.params.map(([name]) => name);
      expect(names).not.toContain('num_round');
      expect(names).not.toContain('early_stopping_rounds');
      expect(names).not.toContain('csv_weights');
      expect(config.csvWeights).toBe(true);
      expect(config.earlyStoppingRounds).toBe(3);
    });

    it('maps the aliases the container declares to their canonical names', () => {
      // Prepare
      const raw = { num_round: '1', learning_rate: '0.05', reg_lambda: '2', reg_alpha: '0.5', min_split_loss: '1' };

      // Act
      const config = parseHyperparameters(raw);

      // Assess
      expect(config.params).toEqual([
        ['eta', '0.05'],
        ['lambda', '2.0'],
        ['alpha', '0.5'],
        ['gamma', '1.0'],
        ['validate_parameters', 'True'],
      ]);
    });

    it('defaults the objective to reg:squarederror when none is given', () => {
      // Prepare
      const raw = { num_round: '1' };

      // Act
      const config = parseHyperparameters(raw);

      // Assess
      expect(config.objective).toBe('reg:squarederror');
      expect(config.params).toEqual([['validate_parameters', 'True']]);
    });
  });

  describe('early stopping metric', () => {
    it('watches the last eval_metric when early_stopping_rounds is set', () => {
      // Prepare
      const raw = { num_round: '50', objective: 'binary:logistic', eval_metric: 'auc,logloss', early_stopping_rounds: '5' };

      // Act
      const config = parseHyperparameters(raw);

      // Assess
      expect(config.earlyStoppingMetric).toBe('logloss');
    });

    it('has no metric when eval_metric is not set', () => {
      // Prepare
      const raw = { num_round: '50', early_stopping_rounds: '5' };

      // Act
      const config = parseHyperparameters(raw);

      // Assess
      expect(config.earlyStoppingMetric).toBeUndefined();
    });

    it('watches the tuning objective and sorts the metric union when a tuning job sets it', () => {
      // Prepare
      const raw = {
        num_round: '50',
        objective: 'binary:logistic',
        eval_metric: 'logloss,error',
        _tuning_objective_metric: 'validation:auc',
        early_stopping_rounds: '5',
      };

      // Act
      const config = parseHyperparameters(raw);

      // Assess
      expect(config.earlyStoppingMetric).toBe('auc');
      expect(config.evalMetrics).toEqual(['auc', 'error', 'logloss']);
    });
  });

  describe('invalid sets', () => {
    it('lists every unknown name when names are misspelt', () => {
      // Prepare
      const raw = { num_round: '10', max_dept: '3', etaa: '0.1' };

      // Act
      const act = (): unknown => parseHyperparameters(raw);

      // Assess
      expect(act).toThrow(HyperparameterValidationError);
      expect(act).toThrow(/unknown hyperparameters: max_dept, etaa; supported: .*max_depth/);
    });

    it('requires num_round', () => {
      // Prepare
      const raw = { eta: '0.1' };

      // Act
      const act = (): unknown => parseHyperparameters(raw);

      // Assess
      expect(act).toThrow('num_round is required');
    });

    it('refuses a decimal where an integer is expected, as Python int() does', () => {
      // Prepare
      const raw = { num_round: '10', max_depth: '6.0' };

      // Act
      const act = (): unknown => parseHyperparameters(raw);

      // Assess
      expect(act).toThrow('max_depth must be an integer, got "6.0"');
    });

    it('refuses text where a number is expected', () => {
      // Prepare
      const raw = { num_round: '10', eta: 'fast' };

      // Act
      const act = (): unknown => parseHyperparameters(raw);

      // Assess
      expect(act).toThrow('eta must be a number, got "fast"');
    });

    it('refuses values out of range and names the interval', () => {
      // Prepare
      const raw = { num_round: '0', subsample: '0' };

      // Act
      const act = (): unknown => parseHyperparameters(raw);

      // Assess
      expect(act).toThrow(/num_round must be in \[1, inf\), got "0"; subsample must be in \(0, 1\], got "0"/);
    });

    it('requires num_class with a multi-class objective', () => {
      // Prepare
      const raw = { num_round: '10', objective: 'multi:softprob' };

      // Act
      const act = (): unknown => parseHyperparameters(raw);

      // Assess
      expect(act).toThrow('num_class is required with objective multi:softprob');
    });

    it('refuses auc for a regression objective', () => {
      // Prepare
      const raw = { num_round: '10', objective: 'reg:squarederror', eval_metric: 'auc' };

      // Act
      const act = (): unknown => parseHyperparameters(raw);

      // Assess
      expect(act).toThrow("eval_metric 'auc' can only be applied");
    });

    it('refuses the metrics only the container computes, saying so', () => {
      // Prepare
      const raw = { num_round: '10', objective: 'binary:logistic', eval_metric: 'f1' };

      // Act
      const act = (): unknown => parseHyperparameters(raw);

      // Assess
      expect(act).toThrow("computed by SageMaker's container in Python (feval)");
    });

    it('accepts a thresholded error metric and refuses a thresholded rmse', () => {
      // Prepare
      const good = { num_round: '10', objective: 'binary:logistic', eval_metric: 'error@0.7,ndcg@5-' };
      const bad = { num_round: '10', eval_metric: 'rmse@0.5' };

      // Act
      const config = parseHyperparameters(good);
      const act = (): unknown => parseHyperparameters(bad);

      // Assess
      expect(config.evalMetrics).toEqual(['error@0.7', 'ndcg@5-']);
      expect(act).toThrow('a threshold (metric@t) is only for error, ndcg and map');
    });

    it('refuses GPU tree methods', () => {
      // Prepare
      const raw = { num_round: '10', tree_method: 'gpu_hist' };

      // Act
      const act = (): unknown => parseHyperparameters(raw);

      // Assess
      expect(act).toThrow('GPU training is not available locally');
    });

    it('refuses k-fold mode with the reason', () => {
      // Prepare
      const raw = { num_round: '10', _kfold: '5' };

      // Act
      const act = (): unknown => parseHyperparameters(raw);

      // Assess
      expect(act).toThrow('_kfold (the local trainer does not offer k-fold cross-validation mode)');
    });

    it('refuses monotone_constraints without tree_method exact or hist, as the container does', () => {
      // Prepare
      const raw = { num_round: '10', monotone_constraints: '(1,0,-1)' };

      // Act
      const act = (): unknown => parseHyperparameters(raw);

      // Assess
      expect(act).toThrow("monotone_constraints needs tree_method 'exact' or 'hist'");
    });

    it('refuses an alias given together with its canonical name', () => {
      // Prepare
      const raw = { num_round: '10', eta: '0.1', learning_rate: '0.2' };

      // Act
      const act = (): unknown => parseHyperparameters(raw);

      // Assess
      expect(act).toThrow('eta is given twice (once through its alias learning_rate)');
    });
  });
});
