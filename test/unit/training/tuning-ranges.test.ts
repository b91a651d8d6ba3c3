import {
  gridProblems,
  gridSize,
  HYPERBAND_MAX_RESOURCE,
  hyperbandMaxResource,
  MAX_GRID_COMBINATIONS,
  rangeProblems,
  tuningProblemMessage,
  tuningProblems,
} from '../../../core/training/tuning-ranges.js';
import type { TuningJobDefinition } from '../../../core/training/tuning-ranges.js';
import { BAD_TUNING_RANGES } from '../../support/bad-tuning-ranges.js';

/** The churn pipeline's tuning job: Bayesian search over four hyperparameters, on AUC. */
function churnTuning(overrides: Partial<TuningJobDefinition> = {}): TuningJobDefinition {
  return {
    strategy: 'Bayesian',
    objective: { metric: 'validation:auc' },
    ranges: {
      eta: { type: 'continuous', min: 0.01, max: 0.3, scaling: 'Logarithmic' },
      max_depth: { type: 'integer', min: 3, max: 10, scaling: 'Auto' },
      min_child_weight: { type: 'continuous', min: 1, max: 10, scaling: 'Auto' },
      subsample: { type: 'continuous', min: 0.5, max: 1, scaling: 'Linear' },
    },
    maxJobs: 20,
    maxParallelJobs: 2,
    earlyStopping: true,
    staticHyperparameters: { objective: 'binary:logistic', eval_metric: 'auc', num_round: '200', early_stopping_rounds: '10' },
    ...overrides,
  };
}

/** The messages of a job's problems, as the adapter and the local tuner print them. */
function messagesOf(job: TuningJobDefinition): string[] {
  return tuningProblems(job).map(tuningProblemMessage);
}

describe('tuning-ranges', () => {
  describe('rangeProblems', () => {
    it.each([
      ['continuous and linear', { type: 'continuous', min: 2, max: 10, scaling: 'Linear' }],
      ['integer and logarithmic', { type: 'integer', min: 1, max: 1000, scaling: 'Logarithmic' }],
      ['reverse-logarithmic within [0, 1)', { type: 'continuous', min: 0.9, max: 0.9999, scaling: 'ReverseLogarithmic' }],
      ['categorical', { type: 'categorical', values: ['gbtree', 'dart'] }],
    ] as const)('finds nothing when the range is %s', (_case, range) => {
      // Act
      const problems = rangeProblems(range);

      // Assess
      expect(problems).toEqual([]);
    });

    // From the local tuner's search-space tests and the SageMaker adapter's tests: one rule set, both runtimes.
    const infiniteEnd: (typeof BAD_TUNING_RANGES)[number] = ['an infinite end', { type: 'continuous', min: 0, max: Number.POSITIVE_INFINITY, scaling: 'Linear' }, /finite numbers/];
    it.each([...BAD_TUNING_RANGES, infiniteEnd])('names the problem when the range is %s', (_case, range, message) => {
      // Act
      const problems = rangeProblems(range);

      // Assess
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(message);
    });
  });

  describe('tuningProblems', () => {
    it('finds nothing when the job is the churn pipeline’s', () => {
      // Act
      const problems = tuningProblems(churnTuning());

      // Assess
      expect(problems).toEqual([]);
    });

    // The cases the SageMaker adapter checked before CreateHyperParameterTuningJob, with the messages of the one rule set.
    it.each([
      [
        'Grid has a numeric range',
        churnTuning({ strategy: 'Grid' }),
        'the Grid strategy supports only categorical ranges (as in SageMaker); eta, max_depth, min_child_weight, subsample are numeric',
      ],
      ['Hyperband runs with early stopping', churnTuning({ strategy: 'Hyperband' }), 'Hyperband stops poor training jobs itself: turn earlyStopping off'],
      [
        'Hyperband has no num_round',
        churnTuning({ strategy: 'Hyperband', earlyStopping: false, staticHyperparameters: { objective: 'binary:logistic', eval_metric: 'auc' } }),
        'Hyperband needs num_round',
      ],
      [
        'Hyperband would run more than 20,000 rounds',
        churnTuning({ strategy: 'Hyperband', earlyStopping: false, staticHyperparameters: { num_round: '50000' } }),
        'must be a whole number from 1 to 20000',
      ],
      [
        'a logarithmic range reaches 0',
        churnTuning({ ranges: { eta: { type: 'continuous', min: 0, max: 0.3, scaling: 'Logarithmic' } } }),
        'hyperparameter range eta: Logarithmic scaling works only for ranges whose values are all greater than 0 (min is 0)',
      ],
      [
        'an integer range scales reverse-logarithmically',
        churnTuning({ ranges: { max_depth: { type: 'integer', min: 3, max: 10, scaling: 'ReverseLogarithmic' } } }),
        'hyperparameter range max_depth: ReverseLogarithmic scaling is not supported for integer ranges',
      ],
      [
        'a range is upside down',
        churnTuning({ ranges: { subsample: { type: 'continuous', min: 1, max: 0.5, scaling: 'Auto' } } }),
        'hyperparameter range subsample: min (1) must be below max (0.5)',
      ],
      ['there are no ranges', churnTuning({ ranges: {} }), 'a tuning job needs at least one hyperparameter range'],
      ['the objective metric has no channel', churnTuning({ objective: { metric: 'auc' } }), 'the objective metric must look like "validation:<metric>"'],
      ['maxJobs is 0', churnTuning({ maxJobs: 0 }), 'maxJobs must be an integer >= 1, got 0'],
      ['maxParallelJobs is fractional', churnTuning({ maxParallelJobs: 1.5 }), 'maxParallelJobs must be an integer >= 1, got 1.5'],
    ])('names the problem when %s', (_case, job, message) => {
      // Act
      const messages = messagesOf(job);

      // Assess
      expect(messages).toHaveLength(1);
      expect(messages[0]).toContain(message);
    });

    it('reports every problem with the field at fault when a job breaks several rules', () => {
      // Prepare
      const job = churnTuning({
        strategy: 'Hyperband',
        objective: { metric: 'auc' },
        ranges: { eta: { type: 'continuous', min: 0, max: 0.3, scaling: 'Logarithmic' } },
        staticHyperparameters: {},
      });

      // Act
      const problems = tuningProblems(job);

      // Assess
      expect(problems.map((problem) => problem.field)).toEqual(['objective.metric', 'ranges.eta', 'earlyStopping', 'strategy']);
      expect(problems[1]?.message).toBe('Logarithmic scaling works only for ranges whose values are all greater than 0 (min is 0)');
    });

    it('skips maxJobs for Grid, which runs one training job per combination', () => {
      // Prepare
      const job = churnTuning({ strategy: 'Grid', maxJobs: 0, ranges: { booster: { type: 'categorical', values: ['gbtree', 'dart'] } } });

      // Act
      const problems = tuningProblems(job);

      // Assess
      expect(problems).toEqual([]);
    });

    it('leaves maxParallelJobs and the Hyperband bound alone when the job does not give them', () => {
      // Prepare
      const { maxParallelJobs: _parallel, staticHyperparameters: _static, ...local } = churnTuning({ strategy: 'Hyperband', earlyStopping: false });

      // Act
      const problems = tuningProblems(local);

      // Assess
      expect(problems).toEqual([]);
    });
  });

  describe('gridProblems', () => {
    it('finds nothing and counts every combination when every range is categorical', () => {
      // Prepare
      const ranges = { booster: { type: 'categorical', values: ['gbtree', 'dart'] }, max_depth: { type: 'categorical', values: ['3', '6', '9'] } } as const;

      // Act
      const problems = gridProblems(ranges);

      // Assess
      expect(problems).toEqual([]);
      expect(gridSize(ranges)).toBe(6);
    });

    it('refuses a grid with more combinations than a tuning job runs', () => {
      // Prepare
      const values = Array.from({ length: 30 }, (_, i) => String(i));
      const ranges = { a: { type: 'categorical', values }, b: { type: 'categorical', values } } as const;

      // Act
      const problems = gridProblems(ranges);

      // Assess
      expect(problems).toEqual([`the grid has 900 combinations; a tuning job runs at most ${MAX_GRID_COMBINATIONS} training jobs`]);
    });

    it('refuses an empty grid', () => {
      // Act
      const problems = gridProblems({});

      // Assess
      expect(problems).toEqual(['a Grid tuning job needs at least one categorical range']);
    });
  });

  describe('hyperbandMaxResource', () => {
    it('takes the static num_round when num_round is not tuned', () => {
      // Act / Assess
      expect(hyperbandMaxResource(churnTuning().ranges, { num_round: '200' })).toBe(200);
    });

    it('takes the top of the num_round range when num_round is tuned', () => {
      // Prepare
      const ranges = { ...churnTuning().ranges, num_round: { type: 'integer', min: 50, max: 400, scaling: 'Auto' } } as const;

      // Act / Assess
      expect(hyperbandMaxResource(ranges, { num_round: '200' })).toBe(400);
      expect(hyperbandMaxResource({ num_round: { type: 'categorical', values: ['10', '300', '20'] } }, {})).toBe(300);
    });

    it('has no bound when num_round is neither static nor tuned', () => {
      // Act / Assess
      expect(hyperbandMaxResource(churnTuning().ranges, { eta: '0.1' })).toBeUndefined();
      expect(HYPERBAND_MAX_RESOURCE).toBe(20_000);
    });
  });
});
