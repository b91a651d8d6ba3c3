/**
 * SageMaker Model Monitor's documented JSON formats, written so that tooling that reads Model Monitor output reads
 * Sluice's too. Sources (SageMaker developer guide):
 * - "Schema for Statistics (statistics.json file)", model-monitor-byoc-statistics: `version`, `dataset.item_count`,
 *   `features[]` with `name`, `inferred_type`, `numerical_statistics { common { num_present, num_missing }, mean, sum,
 *   std_dev, min, max, distribution { kll { buckets [{ lower_bound, upper_bound, count }], sketch } } }` or
 *   `string_statistics { common, distinct_count, distribution { categorical { buckets [{ value, count }] } } }`, and
 *   "#provision for custom stats"; the prebuilt container materializes 10 buckets (model-monitor-interpreting-statistics).
 * - "Schema for Constraints (constraints.json file)", model-monitor-byoc-constraints.
 * - "Schema for Violations (constraint_violations.json file)", model-monitor-interpreting-violations.
 */

/** Column types as Model Monitor infers them. */
export type InferredType = 'Integral' | 'Fractional' | 'String' | 'Unknown';

/** `common` of a feature's statistics. */
export interface CommonStatistics {
  num_present: number;
  num_missing: number;
}

/** One bucket of a numeric distribution. */
export interface KllBucket {
  lower_bound: number;
  upper_bound: number;
  count: number;
}

/** An approximate quantile: a custom statistic (the schema's "provision for custom stats"). */
export interface Quantile {
  quantile: number;
  value: number;
}

/** Statistics of a numeric feature. */
export interface NumericalStatistics {
  common: CommonStatistics;
  mean: number;
  sum: number;
  std_dev: number;
  min: number;
  max: number;
  /**
   * Equal-width buckets between min and max. DuckDB has no KLL sketch, so `sketch` is not written: a reader gets the
   * buckets the prebuilt container would materialize, and the quantiles as a custom statistic.
   */
  distribution: { kll: { buckets: KllBucket[] } };
  /** Custom statistic: quantiles read from the histogram (see `quantileOf`). */
  approximate_quantiles?: Quantile[];
}

/** Statistics of a string feature. */
export interface StringStatistics {
  common: CommonStatistics;
  distinct_count: number;
  /** The most frequent values (every value when there are few), most frequent first. */
  distribution: { categorical: { buckets: { value: string; count: number }[] } };
}

/** One feature of `statistics.json`. */
export interface FeatureStatistics {
  name: string;
  inferred_type: InferredType;
  numerical_statistics?: NumericalStatistics;
  string_statistics?: StringStatistics;
}

/** `statistics.json`. */
export interface Statistics {
  version: 0;
  dataset: { item_count: number };
  features: FeatureStatistics[];
}

/** One feature of `constraints.json`. */
export interface FeatureConstraint {
  name: string;
  inferred_type: InferredType;
  /** The smallest share of non-null values accepted (0..1). */
  completeness?: number;
  num_constraints?: { is_non_negative: boolean };
  /** The values accepted, for small-cardinality strings. */
  string_constraints?: { domains: string[] };
}

/** `monitoring_config` of `constraints.json`, with the documented defaults. */
export interface MonitoringConfig {
  evaluate_constraints: 'Enabled' | 'Disabled';
  emit_metrics: 'Enabled' | 'Disabled';
  datatype_check_threshold: number;
  domain_content_threshold: number;
  distribution_constraints: {
    perform_comparison: 'Enabled' | 'Disabled';
    comparison_threshold: number;
    comparison_method: 'Simple' | 'Robust';
    categorical_comparison_threshold?: number;
    categorical_drift_method?: 'LInfinity' | 'ChiSquared';
  };
}

/** `constraints.json`. */
export interface Constraints {
  version: 0;
  features: FeatureConstraint[];
  monitoring_config: MonitoringConfig;
}

/** The violation kinds Model Monitor's prebuilt container checks, with their documented names. */
export const CONSTRAINT_CHECK_TYPES = [
  'data_type_check',
  'completeness_check',
  'baseline_drift_check',
  'missing_column_check',
  'extra_column_check',
  'categorical_values_check',
] as const;

/** One of {@link CONSTRAINT_CHECK_TYPES}. */
export type ConstraintCheckType = (typeof CONSTRAINT_CHECK_TYPES)[number];

/** One violation of `constraint_violations.json`. */
export interface Violation {
  feature_name: string;
  constraint_check_type: ConstraintCheckType;
  description: string;
}

/** `constraint_violations.json`. */
export interface ConstraintViolations {
  violations: Violation[];
}
