import * as z from 'zod';
import type { BatchTransformDeps } from '../scoring/batch-transform.js';
import { startBatchTransform as start } from '../scoring/batch-transform.js';
import type { TransformProgress } from '../scoring/scoring-state.js';
import { scoringContextSchema } from '../scoring/scoring-state.js';
import { parseStateInput } from '../run/state-input.js';
import { redriveCountSchema } from '../run/workflow-state.js';

const inputSchema = z.object({ scoring: scoringContextSchema, redriveCount: redriveCountSchema }).passthrough();

/**
 * StartBatchTransform: scores the transform input with the pipeline's PRODUCTION model.
 *
 * 1. Looks up the registry's production version; none fails with NoProductionModelError.
 * 2. Starts a transform job (SageMaker CreateTransformJob in AWS, a local job of the same model locally) over
 *    `transform-input/`: one record per line, the algorithm's content type, and DataProcessing that shows the model
 *    only its features and keeps each record's `source_row` beside its prediction (core/scoring/scoring-format.ts).
 * 3. Returns the progress at `$.transform`.
 */
export async function startBatchTransform(rawInput: unknown, deps: BatchTransformDeps): Promise<TransformProgress> {
  const { scoring, redriveCount } = parseStateInput('StartBatchTransform', inputSchema, rawInput);
  return start(scoring, redriveCount, deps);
}
