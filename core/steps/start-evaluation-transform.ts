import * as z from 'zod';
import type { EvaluationTransformDeps } from '../evaluation/evaluation-jobs.js';
import { startEvaluationTransform as start } from '../evaluation/evaluation-jobs.js';
import type { EvaluationJobs } from '../evaluation/evaluation-state.js';
import { runContextSchema } from '../run/run-context.js';
import { parseStateInput } from '../run/state-input.js';
import { featureProgressSchema, nonceSchema, redriveCountSchema, trainingProgressSchema } from '../run/workflow-state.js';

const inputSchema = z
  .object({ run: runContextSchema, features: featureProgressSchema, training: trainingProgressSchema, nonce: nonceSchema, redriveCount: redriveCountSchema })
  .passthrough();

/**
 * StartEvaluationTransform: scores the candidate's validation set with the models the gate compares
 * (core/evaluation/evaluation-jobs.ts).
 *
 * 1. Looks up the production version when the pipeline has a gate; the candidate is scored when its trainer gave no
 *    full evaluation of its own (SageMaker's training container: always; the local trainer: never).
 * 2. Nothing to score returns `Skipped` at once, and the workflow goes straight to EvaluateModel.
 * 3. Writes the transform input from the validation channel in the container's inference format, then starts one
 *    transform job per model (SageMaker Batch Transform in AWS, the local batch scorer locally).
 * 4. Returns the jobs' progress at `$.evaluationJobs`.
 */
export async function startEvaluationTransform(rawInput: unknown, deps: EvaluationTransformDeps): Promise<EvaluationJobs> {
  const { run, features, training, nonce, redriveCount } = parseStateInput('StartEvaluationTransform', inputSchema, rawInput);
  return start({ run, features, training }, nonce, redriveCount, deps);
}
