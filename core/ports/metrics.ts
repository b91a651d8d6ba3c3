/**
 * Custom metrics of a run, recorded by the steps where the numbers are known. The AWS adapter
 * (aws/adapters/powertools-metrics.ts) prints them as CloudWatch Embedded Metric Format lines flushed at the end of each
 * invocation; locally nothing is recorded (the run report and manifest already carry the same numbers).
 */

/** The CloudWatch units the steps use (a subset of CloudWatch's StandardUnit). */
export type MetricUnit = 'Count' | 'Percent' | 'Bytes' | 'Seconds' | 'Milliseconds' | 'None';

/**
 * The dimensions of a metric. Keep them low-cardinality (pipeline, step, state, the model's role): each distinct set is
 * a separate CloudWatch metric, billed as such. Never a run id.
 */
export type MetricDimensions = Readonly<Record<string, string>>;

/** The metric names the steps emit: the dashboard (deploy/dashboard.js) and the tests name the same ones. */
export const METRIC_NAMES = {
  rowsIn: 'RowsIn',
  rowsValid: 'RowsValid',
  rowsQuarantined: 'RowsQuarantined',
  quarantineRate: 'QuarantineRate',
  bytesScanned: 'AthenaBytesScanned',
  trainingDuration: 'TrainingDuration',
  tuningDuration: 'TuningDuration',
  modelMetric: 'ModelMetric',
  promoted: 'ModelPromoted',
  rejected: 'ModelRejected',
  failures: 'RunFailures',
  runDuration: 'RunDuration',
} as const;

/** One of {@link METRIC_NAMES}. */
export type MetricName = (typeof METRIC_NAMES)[keyof typeof METRIC_NAMES];

/** The metrics port. `record` never throws and never does I/O: the adapter flushes after the step. */
export interface RunMetrics {
  record(name: MetricName, unit: MetricUnit, value: number, dimensions: MetricDimensions): void;
}

/** What a step that emits metrics adds to its dependencies; optional, so a runtime without metrics wires nothing. */
export interface MetricsDeps {
  metrics?: RunMetrics;
}

/** The port that records nothing: the local runtime's, and the default of a step whose deps carry none. */
export const noMetrics: RunMetrics = { record: () => undefined };
