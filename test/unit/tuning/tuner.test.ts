import {
  NoEligibleTrialError,
  TrialFailedError,
  TuningConfigurationError,
} from '../../../local/tuning/errors.js';
import { selectBestTrial, tuneLocally } from '../../../local/tuning/tuner.js';
import { BAD_TUNING_RANGES } from '../../support/bad-tuning-ranges.js';
import type {
  LocalTuningRequest,
  TrialContext,
  TrialResult,
  TrialRunner,
  TuningTrial,
} from '../../../local/tuning/tuner.js';

/** A cheap synthetic objective: a 2-D quadratic bowl with its minimum 0 at (0.3, -0.7). */
const bowl = (x: number, y: number): number => (x - 0.3) ** 2 + (y + 0.7) ** 2;

const bowlRunner: TrialRunner = async ({ hyperparameters }) => {
  const value = bowl(Number(hyperparameters['x']), Number(hyperparameters['y']));
  return { metrics: { 'validation:rmse': value }, objective: value, stoppedEarly: false, modelArtifact: 'model.tar.gz' };
};

const bowlRequest = (overrides: Partial<LocalTuningRequest> = {}): LocalTuningRequest => ({
  strategy: 'Random',
  objective: { metric: 'validation:rmse', direction: 'Minimize' },
  ranges: {
    x: { type: 'continuous', min: -2, max: 2, scaling: 'Auto' },
    y: { type: 'continuous', min: -2, max: 2, scaling: 'Linear' },
  },
  maxJobs: 6,
  earlyStopping: false,
  ...overrides,
});

const trial = (index: number, objective: number, extra: Partial<TuningTrial> = {}): TuningTrial => ({
  index,
  hyperparameters: { eta: String(index) },
  metrics: { 'validation:auc': objective },
  objective,
  stoppedEarly: false,
  modelArtifact: `/models/job-${index}/output/model.tar.gz`,
  ...extra,
});

describe('tuner', () => {
  describe('determinism', () => {
    it('proposes the same trials when run twice with the same seed', async () => {
      // Prepare
      const request = bowlRequest({ strategy: 'Bayesian', maxJobs: 8, seed: 17 });

      // Act
      const first = await tuneLocally(request, bowlRunner);
      const second = await tuneLocally(request, bowlRunner);

      // Assess
      expect(second.trials.map((t) => t.hyperparameters)).toEqual(first.trials.map((t) => t.hyperparameters));
      expect(second.best).toEqual(first.best);
    });

    it('proposes different trials when the seed differs', async () => {
      // Prepare
      const one = bowlRequest({ seed: 1 });
      const two = bowlRequest({ seed: 2 });

      // Act
      const first = await tuneLocally(one, bowlRunner);
      const second = await tuneLocally(two, bowlRunner);

      // Assess
      expect(second.trials[0]?.hyperparameters).not.toEqual(first.trials[0]?.hyperparameters);
    });
  });

  describe('running trials', () => {
    it('runs maxJobs trials one at a time, never two at once', async () => {
      // Prepare
      let running = 0;
      let mostAtOnce = 0;
      const runner: TrialRunner = async (context) => {
        running += 1;
        mostAtOnce = Math.max(mostAtOnce, running);
        await new Promise((resolve) => setTimeout(resolve, 2));
        running -= 1;
        return bowlRunner(context);
      };

      // Act
      const result = await tuneLocally(bowlRequest({ maxJobs: 5 }), runner);

      // Assess
      expect(result.trials.map((t) => t.index)).toEqual([0, 1, 2, 3, 4]);
      expect(mostAtOnce).toBe(1);
    });

    it('passes integers for integer ranges and listed values for categorical ones', async () => {
      // Prepare
      const seen: Record<string, string>[] = [];
      const request = bowlRequest({
        ranges: {
          max_depth: { type: 'integer', min: 2, max: 9, scaling: 'Auto' },
          tree_method: { type: 'categorical', values: ['exact', 'hist'] },
        },
        maxJobs: 12,
      });

      // Act
      await tuneLocally(request, async (context) => {
        seen.push({ ...context.hyperparameters });
        return { metrics: {}, objective: 1, stoppedEarly: false, modelArtifact: 'm' };
      });

      // Assess
      for (const hyperparameters of seen) {
        expect(Object.keys(hyperparameters).sort()).toEqual(['max_depth', 'tree_method']);
        expect(hyperparameters['max_depth']).toMatch(/^[2-9]$/);
        expect(['exact', 'hist']).toContain(hyperparameters['tree_method']);
      }
    });

    it('runs every combination once, whatever maxJobs says, when the strategy is Grid', async () => {
      // Prepare
      const request = bowlRequest({
        strategy: 'Grid',
        maxJobs: 10,
        ranges: {
          booster: { type: 'categorical', values: ['gbtree', 'dart'] },
          max_depth: { type: 'categorical', values: ['3', '6'] },
        },
      });

      // Act
      const result = await tuneLocally(request, async () => ({
        metrics: {},
        objective: 1,
        stoppedEarly: false,
        modelArtifact: 'm',
      }));

      // Assess
      expect(result.trials.map((t) => t.hyperparameters)).toEqual([
        { booster: 'gbtree', max_depth: '3' },
        { booster: 'gbtree', max_depth: '6' },
        { booster: 'dart', max_depth: '3' },
        { booster: 'dart', max_depth: '6' },
      ]);
    });

    it('reports each trial as it ends with the trial count and the best eligible trial so far', async () => {
      // Prepare
      const objectives = [0.5, 0.2, 0.4];
      const runner: TrialRunner = async ({ index }) => ({
        metrics: {},
        objective: objectives[index] ?? Number.NaN,
        stoppedEarly: index === 1,
        modelArtifact: index === 1 ? undefined : 'model.tar.gz',
      });
      const seen: { index: number; total: number; best: number | undefined }[] = [];

      // Act
      await tuneLocally(bowlRequest({ maxJobs: 3 }), runner, {
        onTrial: (done, total, best) => seen.push({ index: done.index, total, best: best?.index }),
      });

      // Assess: trial 1 has the lowest objective but no model (stopped early), so it is never the best
      expect(seen).toEqual([
        { index: 0, total: 3, best: 0 },
        { index: 1, total: 3, best: 0 },
        { index: 2, total: 3, best: 2 },
      ]);
    });

    it('throws TrialFailedError naming the trial and keeping the cause when a trial fails', async () => {
      // Prepare
      const cause = new Error('num_round is required');
      const runner: TrialRunner = async (context) => {
        if (context.index === 1) throw cause;
        return bowlRunner(context);
      };

      // Act
      const run = tuneLocally(bowlRequest(), runner);

      // Assess
      await expect(run).rejects.toThrow(TrialFailedError);
      await expect(run).rejects.toMatchObject({ trialIndex: 1, cause, message: expect.stringMatching(/^trial 1 \(x=/) });
    });
  });

  describe('invalid jobs', () => {
    it.each([
      ['a log range reaching 0', { ranges: { eta: { type: 'continuous', min: 0, max: 1, scaling: 'Logarithmic' } } }],
      ['Grid over a numeric range', { strategy: 'Grid' }],
      ['a malformed objective metric', { objective: { metric: 'auc', direction: 'Maximize' } }],
      ['no trials', { maxJobs: 0 }],
      ['a fractional seed', { seed: 0.5 }],
      ['Hyperband with early stopping on', { strategy: 'Hyperband', earlyStopping: true }],
    ] as const)('throws TuningConfigurationError before any trial when given %s', async (_case, overrides) => {
      // Prepare
      const runner = jest.fn(bowlRunner);

      // Act
      const run = tuneLocally(bowlRequest(overrides as Partial<LocalTuningRequest>), runner);

      // Assess
      await expect(run).rejects.toThrow(TuningConfigurationError);
      expect(runner).not.toHaveBeenCalled();
    });

    // Moved from the search-space tests when the range rules moved to core/training/tuning-ranges.ts: the tuner
    // still refuses each of these ranges, by those rules, before any trial.
    it.each(BAD_TUNING_RANGES)('throws TuningConfigurationError naming the range before any trial when the range is %s', async (_case, range, message) => {
      // Prepare
      const runner = jest.fn(bowlRunner);
      const ranges = { eta: range } as unknown as LocalTuningRequest['ranges'];

      // Act
      const run = tuneLocally(bowlRequest({ ranges }), runner);

      // Assess
      await expect(run).rejects.toThrow(TuningConfigurationError);
      await expect(run).rejects.toThrow(message);
      await expect(run).rejects.toThrow('hyperparameter range eta: ');
      expect(runner).not.toHaveBeenCalled();
    });

    it('throws TuningConfigurationError before any trial when there is no range to tune', async () => {
      // Prepare
      const runner = jest.fn(bowlRunner);

      // Act
      const run = tuneLocally(bowlRequest({ ranges: {} }), runner);

      // Assess
      await expect(run).rejects.toThrow(TuningConfigurationError);
      expect(runner).not.toHaveBeenCalled();
    });
  });

  describe('early stopping', () => {
    /** A runner whose trials report a fixed curve per trial and stop when told to. */
    const curveRunner =
      (curves: readonly (readonly number[])[]): TrialRunner =>
      async (context: TrialContext): Promise<TrialResult> => {
        const curve = curves[context.index] ?? [];
        let last = Number.NaN;
        for (const [round, value] of curve.entries()) {
          last = value;
          if (context.shouldStop(round, value)) {
            return { metrics: { 'validation:auc': value }, objective: value, stoppedEarly: true, modelArtifact: undefined };
          }
        }
        return { metrics: { 'validation:auc': last }, objective: last, stoppedEarly: false, modelArtifact: `m${context.index}` };
      };
    const good = [0.7, 0.75, 0.8, 0.82, 0.83];
    const poor = [0.6, 0.6, 0.6, 0.6, 0.6];
    const aucRequest = (overrides: Partial<LocalTuningRequest>): LocalTuningRequest =>
      bowlRequest({ objective: { metric: 'validation:auc', direction: 'Maximize' }, maxJobs: 4, ...overrides });

    it('stops a poor trial by the median rule when earlyStopping is on', async () => {
      // Prepare
      const runner = curveRunner([good, good, good, poor]);

      // Act
      const result = await tuneLocally(aucRequest({ earlyStopping: true }), runner);

      // Assess: judged from round 1 (grace), below the median 0.725 there
      expect(result.trials.map((t) => t.stoppedEarly)).toEqual([false, false, false, true]);
      expect(result.trials[3]).toMatchObject({ objective: 0.6, modelArtifact: undefined });
      expect(result.best.index).toBe(0);
    });

    it('lets every trial finish when earlyStopping is off', async () => {
      // Prepare
      const runner = curveRunner([good, good, good, poor]);

      // Act
      const result = await tuneLocally(aucRequest({ earlyStopping: false }), runner);

      // Assess
      expect(result.trials.every((t) => !t.stoppedEarly)).toBe(true);
    });

    it('stops a trial outside the best third at a rung when the strategy is Hyperband', async () => {
      // Prepare: rungs after rounds 0, 2 (1 and 3 rounds); three earlier trials reach round 2 with 0.8
      const runner = curveRunner([good, good, good, poor]);

      // Act
      const result = await tuneLocally(aucRequest({ strategy: 'Hyperband', earlyStopping: false }), runner);

      // Assess
      expect(result.trials.map((t) => t.stoppedEarly)).toEqual([false, false, false, true]);
    });

    it('fails the trial when its runner reports rounds out of order', async () => {
      // Prepare
      const runner: TrialRunner = async (context) => {
        context.shouldStop(1, 0.5);
        return bowlRunner(context);
      };

      // Act
      const run = tuneLocally(aucRequest({ earlyStopping: true }), runner);

      // Assess
      await expect(run).rejects.toThrow(/reported round 1 after 0 rounds/);
    });
  });

  describe('selectBestTrial', () => {
    it('picks the highest objective when maximizing and the lowest when minimizing', () => {
      // Prepare
      const trials = [trial(0, 0.7), trial(1, 0.9), trial(2, 0.6)];

      // Act
      const highest = selectBestTrial(trials, 'Maximize');
      const lowest = selectBestTrial(trials, 'Minimize');

      // Assess
      expect(highest.index).toBe(1);
      expect(lowest.index).toBe(2);
    });

    it('breaks a tie in favour of the earlier trial in both directions', () => {
      // Prepare
      const trials = [trial(0, 0.5), trial(1, 0.8), trial(2, 0.8), trial(3, 0.5)];

      // Act
      const highest = selectBestTrial(trials, 'Maximize');
      const lowest = selectBestTrial(trials, 'Minimize');

      // Assess
      expect(highest.index).toBe(1);
      expect(lowest.index).toBe(0);
    });

    it('skips trials without a model or with a NaN objective', () => {
      // Prepare
      const trials = [
        trial(0, 0.7),
        trial(1, 0.95, { stoppedEarly: true, modelArtifact: undefined }),
        trial(2, Number.NaN),
      ];

      // Act
      const best = selectBestTrial(trials, 'Maximize');

      // Assess
      expect(best.index).toBe(0);
    });

    it('throws NoEligibleTrialError when no trial produced a model', () => {
      // Prepare
      const trials = [trial(0, 0.7, { stoppedEarly: true, modelArtifact: undefined })];

      // Act
      const act = (): unknown => selectBestTrial(trials, 'Maximize');

      // Assess
      expect(act).toThrow(NoEligibleTrialError);
      expect(act).toThrow(/1 were stopped early/);
    });
  });

  describe('Bayesian against Random', () => {
    it('finds a better optimum on a 2-D quadratic over a fixed budget when compared over several seeds', async () => {
      // Prepare
      const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
      const budget = 20;
      const bestOf = async (strategy: 'Random' | 'Bayesian', seed: number): Promise<number> =>
        (await tuneLocally(bowlRequest({ strategy, maxJobs: budget, seed }), bowlRunner)).best.objective;

      // Act
      const random: number[] = [];
      const bayesian: number[] = [];
      for (const seed of seeds) {
        random.push(await bestOf('Random', seed));
        bayesian.push(await bestOf('Bayesian', seed));
      }

      // Assess: measured, Bayesian wins every seed and its mean is ~100 times lower; the bars leave wide margins
      const wins = seeds.filter((_, i) => (bayesian[i] as number) < (random[i] as number)).length;
      const mean = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;
      expect(wins).toBeGreaterThanOrEqual(6);
      expect(mean(bayesian)).toBeLessThan(mean(random) / 5);
      expect(Math.max(...bayesian)).toBeLessThan(0.05);
    });
  });
});
