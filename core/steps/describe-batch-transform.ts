import * as z from 'zod';
import type { BatchTransformDeps } from '../scoring/batch-transform.js';
import { describeBatchTransform as describe } from '../scoring/batch-transform.js';
import type { TransformProgress } from '../scoring/scoring-state.js';
import { scoringContextSchema, transformProgressSchema } from '../scoring/scoring-state.js';
import { parseStateInput } from '../run/state-input.js';
import { redriveCountSchema } from '../run/workflow-state.js';

const inputSchema = z.object({ scoring: scoringContextSchema, redriveCount: redriveCountSchema, transform: transformProgressSchema }).passthrough();

/**
 * DescribeBatchTransform: one poll of the transform job.
 *
 * 1. A failed or stopped job fails the run with BatchTransformFailedError and its reason (a redriven execution starts a
 *    new job instead).
 * 2. Completed moves on; past training.maxRuntimeSeconds of polls the job is stopped and the run fails; otherwise it
 *    waits again.
 */
export async function describeBatchTransform(rawInput: unknown, deps: BatchTransformDeps): Promise<TransformProgress> {
  const { scoring, redriveCount, transform } = parseStateInput('DescribeBatchTransform', inputSchema, rawInput);
  return describe(scoring, redriveCount, transform, deps);
}
