import { Metrics } from '@aws-lambda-powertools/metrics';
import type { MetricDimensions, MetricName, MetricUnit, RunMetrics } from '../../core/ports/metrics.js';

/** The one CloudWatch namespace of Sluice's custom metrics; deploy/dashboard.js reads the same one. */
export const METRICS_NAMESPACE = 'Sluice';

/**
 * The Powertools Metrics instance of a function. Its `service` default dimension comes from POWERTOOLS_SERVICE_NAME,
 * which serverless.yml sets to `sluice-<stage>`: the stage dimension, read by Powertools itself. Metrics are printed
 * as Embedded Metric Format lines that CloudWatch turns into metrics
 * (https://docs.aws.amazon.com/powertools/typescript/latest/core/metrics/ "publishStoredMetrics ... emit the metrics
 * to stdout in the Embedded Metric Format").
 */
export const powertoolsMetrics = new Metrics({ namespace: METRICS_NAMESPACE });

/**
 * The RunMetrics port over Powertools. An EMF line carries one dimension set for all its metrics (addDimension adds to
 * it, for every metric of the line), so a record whose dimensions differ from the buffered ones flushes those first;
 * the rest is flushed at the end of the invocation by {@link flushMetrics}.
 */
export function powertoolsRunMetrics(metrics: Metrics = powertoolsMetrics): RunMetrics & { flush(): void } {
  let buffered: string | undefined;
  const flush = (): void => {
    // publishStoredMetrics warns "No application metrics to publish" when empty: most functions record none.
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    buffered = undefined;
  };
  return {
    record(name: MetricName, unit: MetricUnit, value: number, dimensions: MetricDimensions): void {
      const key = JSON.stringify(Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b)));
      if (buffered !== undefined && buffered !== key) flush();
      if (buffered === undefined) for (const [dimension, of] of Object.entries(dimensions)) metrics.addDimension(dimension, of);
      buffered = key;
      metrics.addMetric(name, unit, value);
    },
    flush,
  };
}

/** The port the AWS wiring gives every step; the shared middleware stack flushes it after each invocation. */
export const runMetrics = powertoolsRunMetrics();
