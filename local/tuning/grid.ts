/**
 * The Grid strategy as SageMaker runs it ("How Hyperparameter Tuning Works" > "Grid search"): the tuning job runs one
 * training job per distinct combination of the categorical ranges' values, so the number of jobs is the product of
 * the ranges' sizes. Which ranges may make a grid is a rule of `core/training/tuning-ranges.ts` (categorical only,
 * at most `MAX_GRID_COMBINATIONS` combinations).
 *
 * Order: the ranges in the order they are declared, the last one varying fastest (an odometer), so the first
 * trial takes every range's first value. SageMaker does not document its order; this one is at least predictable.
 */
import { gridProblems, gridSize } from '../../core/training/tuning-ranges.js';
import { TuningConfigurationError } from './errors.js';
import type { Configuration, SearchRanges } from './search-space.js';

/**
 * Every combination of the categorical ranges' values, in odometer order.
 * @throws TuningConfigurationError when the ranges cannot make a grid (see `gridProblems`: a range is not categorical,
 *   or there are more combinations than a tuning job may run)
 */
export function gridConfigurations(ranges: SearchRanges): Configuration[] {
  const problems = gridProblems(ranges);
  if (problems.length > 0) throw new TuningConfigurationError(problems.join('; '));
  const entries = Object.entries(ranges);
  const axes = entries.map(([name, range]) => ({ name, values: range.type === 'categorical' ? range.values : [] }));
  const total = gridSize(ranges);
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
