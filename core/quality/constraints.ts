import type { Constraints, FeatureConstraint, KllBucket, MonitoringConfig, Statistics, Violation } from './model-monitor-formats.js';

/**
 * The monitoring settings Sluice suggests: the values the constraints schema shows (model-monitor-byoc-constraints:
 * thresholds 0.1), with the Robust comparison and the L-infinity categorical distance.
 */
export const DEFAULT_MONITORING_CONFIG: MonitoringConfig = {
  evaluate_constraints: 'Enabled',
  emit_metrics: 'Enabled',
  datatype_check_threshold: 0.1,
  domain_content_threshold: 0.1,
  distribution_constraints: {
    perform_comparison: 'Enabled',
    comparison_threshold: 0.1,
    comparison_method: 'Robust',
    categorical_comparison_threshold: 0.1,
    categorical_drift_method: 'LInfinity',
  },
};

/** A string column with at most this many distinct values gets a `domains` constraint (the schema's "small cardinality"). */
export const MAX_DOMAIN_VALUES = 50;

/**
 * Suggests constraints from a (training set's) profile, as Model Monitor's baselining job does: each column's type,
 * its observed completeness, non-negativity of numbers that were never negative, the domain of strings with few values.
 */
export function suggestConstraints(stats: Statistics): Constraints {
  const items = stats.dataset.item_count;
  const features = stats.features.map((f): FeatureConstraint => {
    const common = f.numerical_statistics?.common ?? f.string_statistics?.common;
    // Rounded down, so that the training set itself passes its own constraint.
    const completeness = items > 0 && common ? Math.floor((common.num_present / items) * 10_000) / 10_000 : 1;
    const constraint: FeatureConstraint = { name: f.name, inferred_type: f.inferred_type, completeness };
    if (f.numerical_statistics) constraint.num_constraints = { is_non_negative: f.numerical_statistics.common.num_present === 0 || f.numerical_statistics.min >= 0 };
    const strings = f.string_statistics;
    if (strings && strings.distinct_count <= MAX_DOMAIN_VALUES && strings.distribution.categorical.buckets.length === strings.distinct_count) {
      constraint.string_constraints = { domains: strings.distribution.categorical.buckets.map((b) => b.value).sort() };
    }
    return constraint;
  });
  return { version: 0, features, monitoring_config: DEFAULT_MONITORING_CONFIG };
}

/** What {@link checkStatistics} compares. */
export interface CheckInput {
  /** The profile of the data that arrived. */
  current: Statistics;
  /** The columns the file had (contract names), and the ones it had that the contract does not declare. */
  fileColumns: readonly string[];
  extraColumns: readonly string[];
  constraints?: Constraints;
  /** The production model's training profile: the drift baseline. */
  baseline?: Statistics;
}

/** A column's drift from the baseline: the distance, and the threshold it was held to. */
export interface Drift {
  feature: string;
  distance: number;
  threshold: number;
}

/**
 * Checks a profile against constraints and the baseline's distributions, returning violations named and described
 * as Model Monitor names them (model-monitor-interpreting-violations), and every column's drift distance.
 */
export function checkStatistics(input: CheckInput): { violations: Violation[]; drift: Drift[] } {
  const violations: Violation[] = [];
  const drift: Drift[] = [];
  const { current, constraints, baseline } = input;
  const config = constraints?.monitoring_config ?? DEFAULT_MONITORING_CONFIG;
  const byName = new Map(current.features.map((f) => [f.name, f]));
  if (constraints && config.evaluate_constraints === 'Enabled') {
    for (const c of constraints.features) {
      const f = byName.get(c.name);
      if (!f || !input.fileColumns.includes(c.name)) {
        violations.push({ feature_name: c.name, constraint_check_type: 'missing_column_check', description: `There are missing columns in current dataset: the baseline has "${c.name}", the file does not` });
        continue;
      }
      const compatible = f.inferred_type === c.inferred_type || (c.inferred_type === 'Fractional' && f.inferred_type === 'Integral');
      if (!compatible) {
        violations.push({ feature_name: c.name, constraint_check_type: 'data_type_check', description: `Data type of the feature is ${f.inferred_type}, the baseline constraint expects ${c.inferred_type}` });
      }
      const common = f.numerical_statistics?.common ?? f.string_statistics?.common;
      const completeness = common && current.dataset.item_count > 0 ? common.num_present / current.dataset.item_count : 1;
      if (c.completeness !== undefined && completeness < c.completeness) {
        violations.push({ feature_name: c.name, constraint_check_type: 'completeness_check', description: `Data completeness ${round(completeness)} is below the baseline constraint ${c.completeness}` });
      }
      if (c.num_constraints?.is_non_negative && f.numerical_statistics && f.numerical_statistics.common.num_present > 0 && f.numerical_statistics.min < 0) {
        violations.push({ feature_name: c.name, constraint_check_type: 'data_type_check', description: `The baseline constraint says non-negative; the minimum is ${f.numerical_statistics.min}` });
      }
      const domains = c.string_constraints?.domains;
      const strings = f.string_statistics;
      if (domains && strings && strings.common.num_present > 0) {
        const allowed = new Set(domains);
        const outside = strings.distribution.categorical.buckets.filter((b) => !allowed.has(b.value));
        const share = outside.reduce((s, b) => s + b.count, 0) / strings.common.num_present;
        if (share > config.domain_content_threshold) {
          const values = outside.map((b) => JSON.stringify(b.value)).join(', ');
          violations.push({
            feature_name: c.name,
            constraint_check_type: 'categorical_values_check',
            description: `${round(share * 100)}% of values are outside the baseline domain (${values}), more than the domain_content_threshold ${config.domain_content_threshold}`,
          });
        }
      }
    }
    const known = new Set(constraints.features.map((c) => c.name));
    for (const extra of [...input.extraColumns, ...input.fileColumns.filter((c) => !known.has(c))]) {
      violations.push({ feature_name: extra, constraint_check_type: 'extra_column_check', description: `There are extra columns in current dataset: "${extra}" is not in the baseline` });
    }
  }
  const comparison = config.distribution_constraints;
  if (baseline && comparison.perform_comparison === 'Enabled') {
    for (const b of baseline.features) {
      const f = byName.get(b.name);
      if (!f) continue;
      const measured = distance(b, f);
      if (!measured) continue;
      const base = measured.categorical ? (comparison.categorical_comparison_threshold ?? comparison.comparison_threshold) : comparison.comparison_threshold;
      const threshold = comparison.comparison_method === 'Robust' ? Math.max(base, ksCriticalDistance(measured.n, measured.m)) : base;
      drift.push({ feature: b.name, distance: measured.value, threshold });
      if (measured.value > threshold) {
        violations.push({
          feature_name: b.name,
          constraint_check_type: 'baseline_drift_check',
          description: `Baseline drift distance: ${round(measured.value)} exceeds threshold: ${round(threshold)} (L-infinity distance between the ${measured.categorical ? 'value frequencies' : 'cumulative distributions'})`,
        });
      }
    }
  }
  return { violations, drift };
}

type Profiled = Statistics['features'][number];

/**
 * The L-infinity distance between a column's distributions in two profiles. Numbers: the largest gap between their
 * cumulative distribution functions (the two-sample Kolmogorov-Smirnov statistic), read from the histograms at every
 * bucket edge of both, linear within a bucket. Strings: the largest gap between a value's shares. `n`, `m`: the rows
 * present on each side.
 */
export function distance(baseline: Profiled, current: Profiled): { value: number; categorical: boolean; n: number; m: number } | undefined {
  const bn = baseline.numerical_statistics;
  const cn = current.numerical_statistics;
  if (bn && cn) {
    const a = bn.distribution.kll.buckets;
    const b = cn.distribution.kll.buckets;
    if (bn.common.num_present === 0 || cn.common.num_present === 0 || a.length === 0 || b.length === 0) return undefined;
    const edges = [...new Set([...a, ...b].flatMap((x) => [x.lower_bound, x.upper_bound]))];
    const value = Math.max(...edges.map((x) => Math.abs(cdfAt(a, x) - cdfAt(b, x))));
    return { value, categorical: false, n: bn.common.num_present, m: cn.common.num_present };
  }
  const bs = baseline.string_statistics;
  const cs = current.string_statistics;
  if (bs && cs) {
    if (bs.common.num_present === 0 || cs.common.num_present === 0) return undefined;
    const share = (s: typeof bs) => new Map(s.distribution.categorical.buckets.map((x) => [x.value, x.count / s.common.num_present]));
    const p = share(bs);
    const q = share(cs);
    const values = new Set([...p.keys(), ...q.keys()]);
    const value = Math.max(0, ...[...values].map((v) => Math.abs((p.get(v) ?? 0) - (q.get(v) ?? 0))));
    return { value, categorical: true, n: bs.common.num_present, m: cs.common.num_present };
  }
  return undefined;
}

/** The share of a histogram's rows at or below `x`, assuming rows spread evenly within a bucket. */
export function cdfAt(buckets: readonly KllBucket[], x: number): number {
  const total = buckets.reduce((s, b) => s + b.count, 0);
  if (total === 0) return 0;
  let below = 0;
  for (const b of buckets) {
    if (x >= b.upper_bound) below += b.count;
    else if (x > b.lower_bound) below += (b.count * (x - b.lower_bound)) / (b.upper_bound - b.lower_bound);
  }
  return below / total;
}

/**
 * The distance two samples of sizes n and m may differ by at 95% confidence under the two-sample Kolmogorov-Smirnov
 * test, c(α)·√((n+m)/(n·m)) with c(0.05) = 1.358: the Robust comparison never flags a gap that small samples explain.
 */
export function ksCriticalDistance(n: number, m: number): number {
  return 1.358 * Math.sqrt((n + m) / (n * m));
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
