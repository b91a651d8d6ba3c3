import type { TrainingDeps } from '../training/training-job.js';
import { describeJob, jobDescribeInputSchema } from '../training/training-job.js';
import type { MetricsDeps } from '../ports/metrics.js';
import { METRIC_NAMES, noMetrics } from '../ports/metrics.js';
import { parseStateInput } from '../run/state-input.js';
import type { TrainingProgress } from '../run/workflow-state.js';

/**
 * DescribeTuning: one poll of the tuning job StartTuning started.
 *
 * 1. Reads `$.training` (and what StartTuning read, to start again after a redrive).
 * 2. Asks the trainer how the tuning job stands.
 * 3. Failed or Stopped fails the run with TrainingFailedError and SageMaker's FailureReason; in a redriven execution
 *    it starts a new tuning job instead.
 * 4. Completed carries the best training job's name, model, hyperparameters and metrics, and moves on.
 * 5. Too many polls fail the run with TrainingTimeoutError; otherwise it waits again.
 */
export async function describeTuning(rawInput: unknown, deps: TrainingDeps & MetricsDeps): Promise<TrainingProgress> {
  const input = parseStateInput('DescribeTuning', jobDescribeInputSchema, rawInput);
  const progress = await describeJob('tune', input, deps);
  // The job's wall time as the workflow saw it: its polls times the poll interval (within one poll of SageMaker's).
  if (progress.state === 'Completed') {
    (deps.metrics ?? noMetrics).record(METRIC_NAMES.tuningDuration, 'Seconds', progress.attempt * progress.pollSeconds, { pipeline: input.run.pipeline });
  }
  return progress;
}
