import { HyperparameterValidationError } from '../../../local/xgboost/errors.js';
import { parseHyperparameters } from '../../../local/xgboost/hyperparameters.js';

describe('parseHyperparameters', () => {
  describe('a typical binary classification set, as SageMaker passes it (strings)', () => {
    it('sends XGBoost the parameters in order, eval metrics last, formatted like Python str()', () => {
      // Prepare
      const raw = {
        num_round: '100',
        objective: 'binary:logistic',
        eval_metric: 'logloss,auc',
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

  describe('hyperparameters of the SageMaker 1.7-1 container that XGBoost 1.7 reads', () => {
    it('sends the AFT distribution and its scale, the sampling method and the predictor as Python str() would', () => {
      // Prepare
      const raw = {
        num_round: '10',
        aft_loss_distribution: 'extreme',
        aft_loss_distribution_scale: '1',
        tree_method: 'hist',
        sampling_method: 'uniform',
        predictor: 'auto',
      };

      // Act
      const config = parseHyperparameters(raw);

      // Assess
      expect(config.params).toEqual([
        ['aft_loss_distribution', 'extreme'],
        ['aft_loss_distribution_scale', '1.0'],
        ['tree_method', 'hist'],
        ['sampling_method', 'uniform'],
        ['predictor', 'auto'],
        ['validate_parameters', 'True'],
      ]);
    });

    it('keeps prob_buffer_row away from XGBoost when it is set, since XGBoost 1.7 no longer reads it', () => {
      // Prepare
      const raw = { num_round: '10', prob_buffer_row: '2', max_depth: '3' };

      // Act
      const config = parseHyperparameters(raw);

      // Assess
      expect(config.params).toEqual([
        ['max_depth', '3'],
        ['validate_parameters', 'True'],
      ]);
    });

    it('reports multi:softmax, the objective XGBoost picks, when num_class comes without an objective', () => {
      // Prepare
      const raw = { num_round: '10', num_class: '3' };

      // Act
      const config = parseHyperparameters(raw);

      // Assess
      expect(config.objective).toBe('multi:softmax');
      expect(config.numClass).toBe(3);
      expect(config.params).toEqual([
        ['num_class', '3'],
        ['validate_parameters', 'True'],
      ]);
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

  describe('invalid sets (the SageMaker rules themselves are tested in test/unit/training/xgboost-hyperparameters.test.ts)', () => {
    it('lists every unknown name when names are misspelt', () => {
      // Prepare
      const raw = { num_round: '10', max_dept: '3', etaa: '0.1' };

      // Act
      const act = (): unknown => parseHyperparameters(raw);

      // Assess
      expect(act).toThrow(HyperparameterValidationError);
      expect(act).toThrow(/unknown hyperparameters: max_dept, etaa; supported: .*max_depth/);
    });

    it('refuses values out of range and names the interval, every problem in one HyperparameterValidationError', () => {
      // Prepare
      const raw = { num_round: '0', subsample: '0' };

      // Act
      const act = (): unknown => parseHyperparameters(raw);

      // Assess
      expect(act).toThrow(HyperparameterValidationError);
      expect(act).toThrow(/num_round must be in \[1, inf\), got "0"; subsample must be in \(0, 1\], got "0"/);
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
      const good = { num_round: '10', objective: 'binary:logistic', eval_metric: 'error@0.7,ndcg@5' };
      const bad = { num_round: '10', eval_metric: 'rmse@0.5' };

      // Act
      const config = parseHyperparameters(good);
      const act = (): unknown => parseHyperparameters(bad);

      // Assess
      expect(config.evalMetrics).toEqual(['error@0.7', 'ndcg@5']);
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

    it('refuses gradient-based sampling, naming it and what to use instead', () => {
      // Prepare
      const raw = { num_round: '10', sampling_method: 'gradient_based', subsample: '0.5' };

      // Act
      const act = (): unknown => parseHyperparameters(raw);

      // Assess
      expect(act).toThrow(HyperparameterValidationError);
      expect(act).toThrow('sampling_method "gradient_based": XGBoost offers it with tree_method gpu_hist only');
      expect(act).toThrow('(use uniform, the default)');
    });

    it('refuses survival:aft, which needs label bounds the local trainer does not read', () => {
      // Prepare
      const raw = { num_round: '10', objective: 'survival:aft', aft_loss_distribution: 'logistic' };

      // Act
      const act = (): unknown => parseHyperparameters(raw);

      // Assess
      expect(act).toThrow(HyperparameterValidationError);
      expect(act).toThrow('objective "survival:aft": it needs each row\'s label bounds (label_lower_bound, label_upper_bound)');
      expect(act).toThrow('use another objective for local runs');
    });

    it('refuses an eval_metric list with spaces, as SageMaker\'s container does', () => {
      // Prepare
      const raw = { num_round: '10', objective: 'binary:logistic', eval_metric: 'logloss, auc' };

      // Act
      const act = (): unknown => parseHyperparameters(raw);

      // Assess
      expect(act).toThrow(HyperparameterValidationError);
      expect(act).toThrow('eval_metric " auc": no spaces around the commas');
    });

    it('refuses silent, which SageMaker\'s container no longer takes', () => {
      // Prepare
      const raw = { num_round: '10', silent: '1' };

      // Act
      const act = (): unknown => parseHyperparameters(raw);

      // Assess
      expect(act).toThrow(/unknown hyperparameter: silent; supported: /);
    });

    it('refuses GPU prediction', () => {
      // Prepare
      const raw = { num_round: '10', predictor: 'gpu_predictor' };

      // Act
      const act = (): unknown => parseHyperparameters(raw);

      // Assess
      expect(act).toThrow('predictor "gpu_predictor": GPU prediction is not available locally');
    });
  });
});
