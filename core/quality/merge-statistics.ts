import type { FeatureStatistics, KllBucket, NumericalStatistics, Statistics, StringStatistics } from './model-monitor-formats.js';
import { HISTOGRAM_BUCKETS, TOP_VALUES, quantileOf } from './profile.js';

/**
 * The profile of the union of several datasets from their profiles: the training set's profile from the profiles of
 * the files it is made of, without reading the rows again.
 *
 * Exact: item counts, present and missing counts, sums, means, min and max, the standard deviation (pooled from each
 * part's count, mean and population deviation), and value counts of strings whose every value was counted.
 * Approximate: numeric histograms (each part's bucket counts are spread evenly over the merged equal-width buckets
 * they overlap), quantiles (read from that histogram), the distinct count of numbers (the largest part's) and the
 * top values of strings with more than {@link TOP_VALUES} values.
 */
export function mergeStatistics(parts: readonly Statistics[]): Statistics | undefined {
  const [first] = parts;
  if (!first) return undefined;
  if (parts.length === 1) return first;
  const names = [...new Set(parts.flatMap((p) => p.features.map((f) => f.name)))];
  const features = names.flatMap((name): FeatureStatistics[] => {
    const of = parts.flatMap((p) => p.features.filter((f) => f.name === name));
    const [head] = of;
    if (!head) return [];
    const numeric = of.flatMap((f) => (f.numerical_statistics ? [f.numerical_statistics] : []));
    if (numeric.length > 0) return [{ name, inferred_type: head.inferred_type, numerical_statistics: mergeNumeric(numeric) }];
    const strings = of.flatMap((f) => (f.string_statistics ? [f.string_statistics] : []));
    return [{ name, inferred_type: head.inferred_type, string_statistics: mergeStrings(strings) }];
  });
  return { version: 0, dataset: { item_count: parts.reduce((s, p) => s + p.dataset.item_count, 0) }, features };
}

function mergeNumeric(parts: readonly NumericalStatistics[]): NumericalStatistics {
  const present = parts.reduce((s, p) => s + p.common.num_present, 0);
  const missing = parts.reduce((s, p) => s + p.common.num_missing, 0);
  const sum = parts.reduce((s, p) => s + p.sum, 0);
  const mean = present > 0 ? sum / present : 0;
  // Σ n_i (σ_i² + μ_i²) / N − μ²: the population variance of the union.
  const squares = parts.reduce((s, p) => s + p.common.num_present * (p.std_dev ** 2 + p.mean ** 2), 0);
  const std = present > 0 ? Math.sqrt(Math.max(0, squares / present - mean ** 2)) : 0;
  const withRows = parts.filter((p) => p.common.num_present > 0);
  const min = Math.min(...withRows.map((p) => p.min));
  const max = Math.max(...withRows.map((p) => p.max));
  const buckets = withRows.length > 0 ? rebucket(withRows.flatMap((p) => p.distribution.kll.buckets), min, max) : [];
  return {
    common: { num_present: present, num_missing: missing },
    mean,
    sum,
    std_dev: std,
    min: withRows.length > 0 ? min : 0,
    max: withRows.length > 0 ? max : 0,
    distribution: { kll: { buckets } },
    approximate_quantiles: (parts[0]?.approximate_quantiles ?? []).map((q) => ({ quantile: q.quantile, value: quantileOf(buckets, q.quantile) })),
  };
}

/** Spreads each bucket's count evenly over the equal-width buckets of [min, max] it overlaps. */
export function rebucket(buckets: readonly KllBucket[], min: number, max: number): KllBucket[] {
  const width = (max - min) / HISTOGRAM_BUCKETS;
  if (width === 0) return [{ lower_bound: min, upper_bound: max, count: buckets.reduce((s, b) => s + b.count, 0) }];
  const counts = new Array<number>(HISTOGRAM_BUCKETS).fill(0);
  for (const b of buckets) {
    const span = b.upper_bound - b.lower_bound;
    for (let i = 0; i < HISTOGRAM_BUCKETS; i += 1) {
      const lo = min + i * width;
      const hi = i === HISTOGRAM_BUCKETS - 1 ? max : lo + width;
      if (span === 0) {
        if (b.lower_bound >= lo && (b.lower_bound < hi || i === HISTOGRAM_BUCKETS - 1)) {
          counts[i] = (counts[i] ?? 0) + b.count;
          break;
        }
        continue;
      }
      const overlap = Math.max(0, Math.min(hi, b.upper_bound) - Math.max(lo, b.lower_bound));
      counts[i] = (counts[i] ?? 0) + (b.count * overlap) / span;
    }
  }
  return counts.map((count, i) => ({ lower_bound: min + i * width, upper_bound: i === HISTOGRAM_BUCKETS - 1 ? max : min + (i + 1) * width, count: Math.round(count) }));
}

function mergeStrings(parts: readonly StringStatistics[]): StringStatistics {
  const counts = new Map<string, number>();
  for (const p of parts) for (const b of p.distribution.categorical.buckets) counts.set(b.value, (counts.get(b.value) ?? 0) + b.count);
  const exact = parts.every((p) => p.distribution.categorical.buckets.length === p.distinct_count);
  const buckets = [...counts].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
  return {
    common: { num_present: parts.reduce((s, p) => s + p.common.num_present, 0), num_missing: parts.reduce((s, p) => s + p.common.num_missing, 0) },
    distinct_count: exact ? counts.size : Math.max(counts.size, ...parts.map((p) => p.distinct_count)),
    distribution: { categorical: { buckets: buckets.slice(0, TOP_VALUES) } },
  };
}
