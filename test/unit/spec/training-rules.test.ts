import { PipelineSpecError } from '../../../core/errors.js';
import { SMALL_SPEC_YAML, specFrom } from '../../support/spec-fixtures.js';

/** The small spec with a features section and the sections given, as YAML. */
function withTraining(sections: string): string {
  return `${SMALL_SPEC_YAML}features: { splitKey: [id] }\n${sections}`;
}

const TRAINING = `
training:
  hyperparameters: { objective: "binary:logistic", eval_metric: auc, num_round: 100, max_depth: 4, eta: 0.2 }
`;

const TUNING = `
tuning:
  enabled: true
  strategy: Bayesian
  objective: { metric: "validation:auc", direction: Maximize }
  ranges:
    eta: { type: continuous, min: 0.01, max: 0.3, scaling: Logarithmic }
    max_depth: { type: integer, min: 2, max: 8 }
`;

/** What loading the YAML throws (fails the test when it does not throw). */
function loadError(yaml: string): Error {
  try {
    specFrom(yaml);
  } catch (error) {
    return error as Error;
  }
  throw new Error('the spec loaded');
}

describe('loadPipelineSpec', () => {
  describe('training and tuning sections that SageMaker would accept', () => {
    it('loads the spec when its hyperparameters and tuning job are valid', () => {
      // Act
      const spec = specFrom(withTraining(TRAINING + TUNING));

      // Assess
      expect(spec.training?.hyperparameters).toMatchObject({ num_round: 100, max_depth: 4 });
      expect(spec.tuning?.ranges['eta']).toEqual({ type: 'continuous', min: 0.01, max: 0.3, scaling: 'Logarithmic' });
    });

    it('loads the spec when num_round is tuned rather than set', () => {
      // Prepare
      const yaml = withTraining(TRAINING.replace('num_round: 100, ', '') + TUNING.replace('ranges:', 'ranges:\n    num_round: { type: integer, min: 50, max: 300 }'));

      // Act
      const spec = specFrom(yaml);

      // Assess
      expect(spec.training?.hyperparameters).not.toHaveProperty('num_round');
    });

    it('loads the spec when it trains survival:aft with an AFT distribution and scale', () => {
      // Prepare
      const yaml = withTraining(
        'training:\n  hyperparameters: { objective: "survival:aft", eval_metric: aft-nloglik, num_round: 100, aft_loss_distribution: logistic, aft_loss_distribution_scale: 1.2 }\n',
      );

      // Act
      const spec = specFrom(yaml);

      // Assess
      expect(spec.training?.hyperparameters).toMatchObject({ aft_loss_distribution: 'logistic', aft_loss_distribution_scale: 1.2 });
    });

    it("judges BlazingText's hyperparameters by BlazingText's rules, not XGBoost's, and trains it on C5 by default", () => {
      // Prepare
      const yaml = withTraining('training:\n  algorithm: blazingtext\n  hyperparameters: { mode: supervised, epochs: 10 }\n');

      // Act
      const spec = specFrom(yaml);

      // Assess
      expect(spec.training?.algorithm).toBe('blazingtext');
      expect(spec.training?.instanceType).toBe('ml.c5.xlarge');
    });
  });

  describe('training and tuning sections that would fail at training', () => {
    it.each([
      [
        'num_round is not a number',
        withTraining(TRAINING.replace('num_round: 100', 'num_round: "abc"')),
        'training.hyperparameters.num_round: must be an integer, got "abc"',
      ],
      [
        'a hyperparameter is unknown',
        withTraining(TRAINING.replace('max_depth: 4', 'max_dept: 4')),
        'training.hyperparameters.max_dept: not a SageMaker XGBoost 1.7-1 hyperparameter; supported: ',
      ],
      [
        'an AFT distribution is not one XGBoost has',
        withTraining(TRAINING.replace('eta: 0.2', 'aft_loss_distribution: gaussian')),
        'training.hyperparameters.aft_loss_distribution: must be one of normal, logistic, extreme; got "gaussian"',
      ],
      [
        'the tuning objective metric is on the train channel',
        withTraining(TRAINING + TUNING.replace('"validation:auc"', '"train:auc"')),
        'tuning.objective.metric: must look like "validation:<metric>", got "train:auc"',
      ],
      [
        'a value is out of range',
        withTraining(TRAINING.replace('eta: 0.2', 'eta: 2')),
        'training.hyperparameters.eta: must be in [0, 1], got 2',
      ],
      [
        'num_round is missing and the run trains once',
        withTraining(TRAINING.replace('num_round: 100, ', '')),
        'training.hyperparameters: num_round is required (the number of boosting rounds, an integer >= 1)',
      ],
      [
        'num_round is missing and not tuned',
        withTraining(TRAINING.replace('num_round: 100, ', '') + TUNING),
        'training.hyperparameters: num_round is required',
      ],
      [
        'a log-scaled range reaches 0',
        withTraining(TRAINING + TUNING.replace('min: 0.01', 'min: 0')),
        'tuning.ranges.eta: Logarithmic scaling works only for ranges whose values are all greater than 0 (min is 0)',
      ],
      [
        'a range is upside down',
        withTraining(TRAINING + TUNING.replace('min: 2, max: 8', 'min: 8, max: 2')),
        'tuning.ranges.max_depth: min (8) must be below max (2)',
      ],
      [
        'a range goes past what its hyperparameter takes',
        withTraining(TRAINING + TUNING.replace('max: 0.3', 'max: 3')),
        'tuning.ranges.eta.max: must be in [0, 1], got 3',
      ],
      [
        'an integer hyperparameter gets a continuous range',
        withTraining(TRAINING + TUNING.replace('max_depth: { type: integer', 'max_depth: { type: continuous')),
        'tuning.ranges.max_depth: takes integers: tune it with an integer or a categorical range',
      ],
      [
        'a tuned name is unknown',
        withTraining(TRAINING + TUNING.replace('    max_depth:', '    max_dept:')),
        'tuning.ranges.max_dept: is not a SageMaker XGBoost hyperparameter',
      ],
      [
        'Grid gets a numeric range',
        withTraining(TRAINING + TUNING.replace('strategy: Bayesian', 'strategy: Grid')),
        'tuning.strategy: the Grid strategy supports only categorical ranges (as in SageMaker); eta, max_depth are numeric',
      ],
      [
        'Hyperband runs with early stopping',
        withTraining(TRAINING + TUNING.replace('strategy: Bayesian', 'strategy: Hyperband')),
        'tuning.earlyStopping: Hyperband stops poor training jobs itself: turn earlyStopping off',
      ],
      [
        'Hyperband would run more than 20,000 rounds',
        withTraining(TRAINING.replace('num_round: 100', 'num_round: 50000') + TUNING.replace('strategy: Bayesian', 'strategy: Hyperband\n  earlyStopping: false')),
        "tuning.strategy: Hyperband's MaxResource comes from num_round (50000) and must be a whole number from 1 to 20000",
      ],
      [
        'the objective metric has no channel',
        withTraining(TRAINING + TUNING.replace('"validation:auc"', 'auc')),
        'tuning.objective.metric: the objective metric must look like "validation:<metric>" or "train:<metric>", got "auc"',
      ],
      [
        'the objective metric is not one XGBoost reports',
        withTraining(TRAINING + TUNING.replace('"validation:auc"', '"validation:accuracy_score"')),
        'tuning.objective.metric: accuracy_score is not a supported metric',
      ],
      [
        'a tuned objective needs num_class at one end of its range',
        withTraining(TRAINING.replace('eval_metric: auc, ', '') + TUNING.replace('ranges:', 'ranges:\n    objective: { type: categorical, values: ["binary:logistic", "multi:softprob"] }').replace('validation:auc', 'validation:logloss')),
        'training.hyperparameters: num_class is required with objective multi:softprob',
      ],
    ])('names the file and the path when %s', (_case, yaml, expected) => {
      // Act
      const error = loadError(yaml);

      // Assess
      expect(error).toBeInstanceOf(PipelineSpecError);
      expect(error.message).toMatch(/^\/tmp\/pipelines\/orders\/pipeline\.yml: invalid pipeline spec:\n/);
      expect(error.message).toContain(`\n  - ${expected}`);
    });

    it('reports every problem of both sections at once', () => {
      // Prepare
      const yaml = withTraining(TRAINING.replace('num_round: 100', 'num_round: "abc"') + TUNING.replace('min: 0.01', 'min: 0'));

      // Act
      const error = loadError(yaml);

      // Assess
      expect(error.message.split('\n').slice(1)).toEqual([
        '  - training.hyperparameters.num_round: must be an integer, got "abc"',
        '  - tuning.ranges.eta: Logarithmic scaling works only for ranges whose values are all greater than 0 (min is 0)',
      ]);
    });

    it('checks the tuning section even when tuning is off, since turning it on must not reveal a broken spec', () => {
      // Prepare
      const yaml = withTraining(TRAINING + TUNING.replace('enabled: true', 'enabled: false').replace('min: 0.01', 'min: 0'));

      // Act
      const error = loadError(yaml);

      // Assess
      expect(error.message).toContain('\n  - tuning.ranges.eta: Logarithmic scaling works only');
    });
  });
});
