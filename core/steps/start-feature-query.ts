import * as z from 'zod';
import type { FeatureQueryDeps } from '../features/feature-query.js';
import { startFeatureQueries } from '../features/feature-query.js';
import { runContextSchema } from '../run/run-context.js';
import { parseStateInput } from '../run/state-input.js';
import type { FeatureProgress } from '../run/workflow-state.js';
import { redriveCountSchema } from '../run/workflow-state.js';

const inputSchema = z.object({ run: runContextSchema, redriveCount: redriveCountSchema }).passthrough();

/**
 * StartFeatureQuery: starts the run's one feature query, which writes both feature sets from one scan.
 *
 * 1. Reads `$.run` and the execution's redrive count.
 * 2. Reads the pipeline's features.sql (one SELECT over its table, label first).
 * 3. Empties `features/<pipeline>/<runId>/` and starts one query: the SELECT wrapped in an UNLOAD there, each row's
 *    split (a deterministic md5 of the spec's key columns, or the row-based split) computed once and written as the
 *    partition column, so Athena writes `split=train/` and `split=validation/` in the algorithm's channel format
 *    (Parquet for XGBoost). The request token derives from the run, so a retried state does not start it twice.
 * 4. Returns the progress at `$.features`.
 */
export async function startFeatureQuery(rawInput: unknown, deps: FeatureQueryDeps): Promise<FeatureProgress> {
  return startFeatureQueries(parseStateInput('StartFeatureQuery', inputSchema, rawInput), deps);
}
