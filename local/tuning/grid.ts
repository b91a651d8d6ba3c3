/**
 * The Grid strategy as SageMaker runs it ("How Hyperparameter Tuning Works" > "Grid search"): only categorical
 * ranges are allowed, and the tuning job runs one training job per distinct combination of their values, so the
 * number of jobs is the product of the ranges' sizes (`MaxNumberOfTrainingJobs` need not be given; when given it
 * must equal that product).
 *
 * Order: the ranges in the order they are declared, the last one varying fastest (an odometer), so the first
 * trial takes every range's first value. SageMaker does not document its order; this one is at least predictable.
 */
import { TuningConfigurationError } from './errors.js';
import type { Configuration, SearchRanges } from './search-space.js';

/** The most training jobs one tuning job may run (the pipeline spec's `maxJobs` cap). */
export const MAX_GRID_COMBINATIONS = 500;

/**
 * Every combination of the categorical ranges' values, in odometer order.
 * @throws TuningConfigurationError when a range is not categorical or there are more than
 *   {@link MAX_GRID_COMBINATIONS} combinations
 */
export function gridConfigurations(ranges: SearchRanges): Configuration[] {
  const entries = Object.entries(ranges);
  if (entries.length === 0) throw new TuningConfigurationError('a Grid tuning job needs at least one categorical range');
  const numeric = entries.filter(([, range]) => range.type !== 'categorical').map(([name]) => name);
  if (numeric.length > 0) {
    throw new TuningConfigurationError(
      `the Grid strategy supports only categorical ranges (as in SageMaker); ${numeric.join(', ')} ` +
        `${numeric.length > 1 ? 'are' : 'is'} numeric: list their values as a categorical range, or use Random or Bayesian`,
    );
  }
  const axes = entries.map(([name, range]) => ({ name, values: range.type === 'categorical' ? range.values : [] }));
  const total = axes.reduce((product, { values }) => product * values.length, 1);
  if (total > MAX_GRID_COMBINATIONS) {
    throw new TuningConfigurationError(
      `the grid has ${total} combinations; a tuning job runs at most ${MAX_GRID_COMBINATIONS} training jobs`,
    );
  }
  const configurations: Configuration[] = [];
  for (let index = 0; index < total; index++) {
    const configuration: Record<string, string> = {};
    let rest = index;
    for (let axis = axes.length - 1; axis >= 0; axis--) {
      const { name, values } = axes[axis] as { name: string; values: readonly string[] };
      configuration[name] = values[rest % values.length] as string;
      rest = Math.floor(rest / values.length);
    }
    configurations.push(configuration);
  }
  return configurations;
}
