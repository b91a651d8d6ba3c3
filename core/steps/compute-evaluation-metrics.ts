import * as z from 'zod';
import type { EvaluationMetricsDeps } from '../evaluation/evaluation-metrics.js';
import { computeEvaluationMetrics as compute } from '../evaluation/evaluation-metrics.js';
import type { EvaluationJobs } from '../evaluation/evaluation-state.js';
import { evaluationJobsSchema } from '../evaluation/evaluation-state.js';
import { runContextSchema } from '../run/run-context.js';
import { parseStateInput } from '../run/state-input.js';
import { featureProgressSchema, trainingProgressSchema } from '../run/workflow-state.js';

/** What ComputeEvaluationMetrics needs: the lake and the specs, no SageMaker. */
export type ComputeEvaluationMetricsDeps = EvaluationMetricsDeps;

const inputSchema = z
  .object({ run: runContextSchema, features: featureProgressSchema, training: trainingProgressSchema, evaluationJobs: evaluationJobsSchema })
  .passthrough();

/**
 * ComputeEvaluationMetrics: each evaluation transform's output to its model's full evaluation.
 *
 * 1. Reads every `.out` file of each job: per line the true label and the model's answer.
 * 2. Computes the local trainer's metric set (core/evaluation/model-metrics.ts for XGBoost, by objective;
 *    core/text/classification-metrics.ts for text).
 * 3. Writes the candidate's plot data (ROC and precision-recall, or residuals) beside its artifact, where the run
 *    report reads insights.json (core/report/model-insights.ts), so the cloud report draws them (issue 14).
 * 4. Returns `$.evaluationJobs` with each model's evaluation under `results`, which EvaluateModel gates on.
 */
export async function computeEvaluationMetrics(rawInput: unknown, deps: ComputeEvaluationMetricsDeps): Promise<EvaluationJobs> {
  const { run, features, training, evaluationJobs } = parseStateInput('ComputeEvaluationMetrics', inputSchema, rawInput);
  return compute({ run, features, training }, evaluationJobs, deps);
}
