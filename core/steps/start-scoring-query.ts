import * as z from 'zod';
import type { ScoringQueryDeps } from '../scoring/scoring-query.js';
import { startScoringQuery as start } from '../scoring/scoring-query.js';
import type { ScoringQuery } from '../scoring/scoring-state.js';
import { scoringContextSchema } from '../scoring/scoring-state.js';
import { parseStateInput } from '../run/state-input.js';
import { redriveCountSchema } from '../run/workflow-state.js';

const inputSchema = z.object({ scoring: scoringContextSchema, redriveCount: redriveCountSchema }).passthrough();

/**
 * StartScoringQuery: starts the pipeline's own feature query in scoring mode over the run's valid rows.
 *
 * 1. Reads `$.scoring` and the execution's redrive count.
 * 2. Empties `scoring/<pipeline>/runs/<id>/transform-input/` and starts one UNLOAD there of features.sql rewritten by
 *    `scoringSelectSql` (core/features/scoring-sql.ts) over the run's partition of `<pipeline>_scoring_input`, in the
 *    format the model container reads for inference (core/scoring/scoring-format.ts), `source_row` first.
 * 3. Returns the progress at `$.query`.
 */
export async function startScoringQuery(rawInput: unknown, deps: ScoringQueryDeps): Promise<ScoringQuery> {
  const { scoring, redriveCount } = parseStateInput('StartScoringQuery', inputSchema, rawInput);
  return start(scoring, redriveCount, deps);
}
