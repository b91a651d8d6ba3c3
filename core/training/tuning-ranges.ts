/**
 * The rules a hyperparameter tuning job must follow, as SageMaker's CreateHyperParameterTuningJob checks them: the
 * one copy the spec loader, the SageMaker trainer adapter and the local tuner all use, so a job that passes here
 * runs in both runtimes.
 *
 * - ranges (ContinuousParameterRange / IntegerParameterRange / CategoricalParameterRange): finite bounds, min below
 *   max, whole-number bounds for an integer range, distinct categorical values;
 * - scaling types ("Hyperparameter Scaling" in the developer guide): `Logarithmic` only when every value is above 0,
 *   `ReverseLogarithmic` only for continuous ranges within 0 <= x < 1 (`Auto` searches as `Linear` would);
 * - Grid ("How Hyperparameter Tuning Works" > "Grid search"): categorical ranges only; the job runs one training job
 *   per combination, so `MaxNumberOfTrainingJobs` is not sent and the combinations are capped at
 *   {@link MAX_GRID_COMBINATIONS};
 * - Hyperband (HyperParameterTuningJobConfig, HyperbandStrategyConfig): early stopping off ("TrainingJobEarlyStoppingType
 *   must be OFF to use Hyperband"), and a MaxResource of 1 to {@link HYPERBAND_MAX_RESOURCE}, which for XGBoost comes
 *   from `num_round`;
 * - the objective metric is `<channel>:<metric>`, the channel `train` or `validation` (as the XGBoost container emits
 *   them); `maxJobs` (except for Grid) and `maxParallelJobs` are whole numbers of at least 1.
 *
 * Rules return problems rather than throw: the spec loader reports them with the spec path, the adapters wrap them in
 * their own error.
 */

/** A tuning range as the rules read it (the port's `HyperparameterRange` and a spec's frozen range both fit). */
export type TuningRange =
  | {
      readonly type: 'continuous' | 'integer';
      readonly min: number;
      readonly max: number;
      readonly scaling: 'Auto' | 'Linear' | 'Logarithmic' | 'ReverseLogarithmic';
    }
  | { readonly type: 'categorical'; readonly values: readonly string[] };

/** The ranges of a tuning job, by hyperparameter name. */
export type TuningRanges = Readonly<Record<string, TuningRange>>;

/** A search strategy of SageMaker automatic model tuning. */
export type TuningStrategy = 'Bayesian' | 'Random' | 'Hyperband' | 'Grid';

/** The part of a tuning job the rules judge. */
export interface TuningJobDefinition {
  readonly strategy: TuningStrategy;
  readonly objective: { readonly metric: string };
  readonly ranges: TuningRanges;
  readonly maxJobs: number;
  /** Not checked when undefined (the local tuner runs one trial at a time and has none). */
  readonly maxParallelJobs?: number | undefined;
  readonly earlyStopping: boolean;
  /**
   * The training jobs' static hyperparameters, when the job trains XGBoost: Hyperband's MaxResource is their
   * `num_round` (or the top of its range). Undefined: the Hyperband bound is not checked.
   */
  readonly staticHyperparameters?: Readonly<Record<string, string | number | boolean>> | undefined;
}

/** One reason a tuning job would be refused. */
export interface TuningProblem {
  /**
   * Where, relative to the tuning job: `ranges.<name>` for a range (the message then does not repeat the name),
   * else the field at fault (`strategy`, `earlyStopping`, `objective.metric`, `maxJobs`, `maxParallelJobs`, `ranges`).
   */
  readonly field: string;
  readonly message: string;
}

/** Hyperband's MaxResource ceiling (HyperbandStrategyConfig: "The maximum value is 20,000 epochs"). */
export const HYPERBAND_MAX_RESOURCE = 20_000;

/** The most training jobs one tuning job may run, and so the largest grid (the pipeline spec's `maxJobs` cap too). */
export const MAX_GRID_COMBINATIONS = 500;

/** `validation:auc`, `train:rmse`: the channel, then the metric as the XGBoost container names it. */
export const OBJECTIVE_METRIC_PATTERN = /^(train|validation):(.+)$/;

/**
 * Every reason SageMaker would refuse one range, as phrases that do not name the range (callers add the name or the
 * spec path). Empty when the range is valid.
 */
export function rangeProblems(range: TuningRange): string[] {
  if (range.type === 'categorical') {
    const problems: string[] = [];
    if (range.values.length === 0) problems.push('a categorical range needs at least one value');
    const repeated = range.values.filter((value, index) => range.values.indexOf(value) !== index);
    if (repeated.length > 0) problems.push(`categorical values must be distinct (${[...new Set(repeated)].map((v) => JSON.stringify(v)).join(', ')} repeated)`);
    return problems;
  }
  // Every other rule compares the bounds: with a NaN or an infinity they would only add noise.
  if (!Number.isFinite(range.min) || !Number.isFinite(range.max)) return [`min and max must be finite numbers (got ${range.min} to ${range.max})`];
  const problems: string[] = [];
  if (range.min >= range.max) problems.push(`min (${range.min}) must be below max (${range.max})`);
  if (range.type === 'integer' && (!Number.isInteger(range.min) || !Number.isInteger(range.max))) {
    problems.push(`an integer range needs integer min and max (got ${range.min} to ${range.max})`);
  }
  if (range.scaling === 'Logarithmic' && range.min <= 0) {
    problems.push(`Logarithmic scaling works only for ranges whose values are all greater than 0 (min is ${range.min})`);
  }
  if (range.scaling === 'ReverseLogarithmic') {
    if (range.type === 'integer') {
      problems.push('ReverseLogarithmic scaling is not supported for integer ranges (continuous ranges only)');
    } else if (range.min < 0 || range.max >= 1) {
      problems.push(`ReverseLogarithmic scaling works only for ranges within 0 <= x < 1 (got [${range.min}, ${range.max}])`);
    }
  }
  return problems;
}

/** How many training jobs a Grid tuning job runs: the product of the categorical ranges' sizes. */
export function gridSize(ranges: TuningRanges): number {
  return Object.values(ranges).reduce((product, range) => product * (range.type === 'categorical' ? range.values.length : 1), 1);
}

/** Every reason SageMaker would refuse these ranges for the Grid strategy. Empty when a grid can be built. */
export function gridProblems(ranges: TuningRanges): string[] {
  const entries = Object.entries(ranges);
  if (entries.length === 0) return ['a Grid tuning job needs at least one categorical range'];
  // "Only categorical parameters are supported when using the grid search strategy."
  const numeric = entries.filter(([, range]) => range.type !== 'categorical').map(([name]) => name);
  if (numeric.length > 0) {
    return [
      `the Grid strategy supports only categorical ranges (as in SageMaker); ${numeric.join(', ')} ` +
        `${numeric.length > 1 ? 'are' : 'is'} numeric: list their values as a categorical range, or use Random or Bayesian`,
    ];
  }
  const total = gridSize(ranges);
  if (total > MAX_GRID_COMBINATIONS) {
    return [`the grid has ${total} combinations; a tuning job runs at most ${MAX_GRID_COMBINATIONS} training jobs`];
  }
  return [];
}

/**
 * Hyperband's MaxResource for XGBoost: its boosting rounds, the unit in which the container reports the objective
 * metric. SageMaker infers MaxResource only from epoch-like static hyperparameters (`epochs`, `num_epochs`, ...), not
 * from `num_round`, so it is given explicitly: the static num_round, or the top of its range when it is tuned.
 * Undefined when num_round is neither.
 */
export function hyperbandMaxResource(
  ranges: TuningRanges,
  staticHyperparameters: Readonly<Record<string, string | number | boolean>>,
): number | undefined {
  const tuned = ranges['num_round'];
  if (tuned) return tuned.type === 'categorical' ? Math.max(...tuned.values.map(Number)) : tuned.max;
  const fixed = staticHyperparameters['num_round'];
  return fixed === undefined ? undefined : Number(fixed);
}

/** Every reason SageMaker would refuse the tuning job, in the order a person would fix them. Empty when valid. */
export function tuningProblems(job: TuningJobDefinition): TuningProblem[] {
  const problems: TuningProblem[] = [];
  const add = (field: string, message: string): void => {
    problems.push({ field, message });
  };
  if (!OBJECTIVE_METRIC_PATTERN.test(job.objective.metric)) {
    add('objective.metric', `the objective metric must look like "validation:<metric>" or "train:<metric>", got "${job.objective.metric}"`);
  }
  const ranges = Object.entries(job.ranges);
  if (ranges.length === 0) add('ranges', 'a tuning job needs at least one hyperparameter range');
  for (const [name, range] of ranges) {
    for (const message of rangeProblems(range)) add(`ranges.${name}`, message);
  }
  if (job.strategy !== 'Grid' && (!Number.isInteger(job.maxJobs) || job.maxJobs < 1)) {
    add('maxJobs', `maxJobs must be an integer >= 1, got ${job.maxJobs}`);
  }
  if (job.maxParallelJobs !== undefined && (!Number.isInteger(job.maxParallelJobs) || job.maxParallelJobs < 1)) {
    add('maxParallelJobs', `maxParallelJobs must be an integer >= 1, got ${job.maxParallelJobs}`);
  }
  if (job.strategy === 'Grid' && ranges.length > 0) {
    for (const message of gridProblems(job.ranges)) add('strategy', message);
  }
  if (job.strategy === 'Hyperband') {
    if (job.earlyStopping) {
      add('earlyStopping', 'Hyperband stops poor training jobs itself: turn earlyStopping off (as SageMaker requires)');
    }
    if (job.staticHyperparameters !== undefined) {
      const maxResource = hyperbandMaxResource(job.ranges, job.staticHyperparameters);
      if (maxResource === undefined) {
        add('strategy', 'Hyperband needs num_round (a static hyperparameter or an integer range) to bound the rounds a training job may run');
      } else if (!Number.isInteger(maxResource) || maxResource < 1 || maxResource > HYPERBAND_MAX_RESOURCE) {
        add('strategy', `Hyperband's MaxResource comes from num_round (${maxResource}) and must be a whole number from 1 to ${HYPERBAND_MAX_RESOURCE}`);
      }
    }
  }
  return problems;
}

/** A problem as one line outside the spec: a range's problem names the range, any other is a sentence already. */
export function tuningProblemMessage(problem: TuningProblem): string {
  return problem.field.startsWith('ranges.') ? `hyperparameter range ${problem.field.slice('ranges.'.length)}: ${problem.message}` : problem.message;
}
