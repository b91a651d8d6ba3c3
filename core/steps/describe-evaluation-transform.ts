import * as z from 'zod';
import type { EvaluationTransformDeps } from '../evaluation/evaluation-jobs.js';
import { describeEvaluationTransform as describe } from '../evaluation/evaluation-jobs.js';
import type { EvaluationJobs } from '../evaluation/evaluation-state.js';
import { evaluationJobsSchema } from '../evaluation/evaluation-state.js';
import { runContextSchema } from '../run/run-context.js';
import { parseStateInput } from '../run/state-input.js';
import { featureProgressSchema, nonceSchema, redriveCountSchema, trainingProgressSchema } from '../run/workflow-state.js';

const inputSchema = z
  .object({
    run: runContextSchema,
    features: featureProgressSchema,
    training: trainingProgressSchema,
    evaluationJobs: evaluationJobsSchema,
    nonce: nonceSchema,
    redriveCount: redriveCountSchema,
  })
  .passthrough();

/**
 * DescribeEvaluationTransform: one poll of the evaluation transforms.
 *
 * 1. A failed or stopped job fails the run with BatchTransformFailedError and its reason (a redriven execution starts
 *    the jobs again instead).
 * 2. Completed once every job is; past the loop's poll budget the jobs are stopped and the run fails; otherwise it
 *    waits again.
 */
export async function describeEvaluationTransform(rawInput: unknown, deps: EvaluationTransformDeps): Promise<EvaluationJobs> {
  const { run, features, training, evaluationJobs, nonce, redriveCount } = parseStateInput('DescribeEvaluationTransform', inputSchema, rawInput);
  return describe({ run, features, training }, evaluationJobs, nonce, redriveCount, deps);
}
