import * as z from 'zod';
import type { FeatureQueryDeps } from '../features/feature-query.js';
import { startFeatureQueries } from '../features/feature-query.js';
import { runContextSchema } from '../run/run-context.js';
import { parseStateInput } from '../run/state-input.js';
import type { FeatureProgress } from '../run/workflow-state.js';
import { redriveCountSchema } from '../run/workflow-state.js';

const inputSchema = z.object({ run: runContextSchema, redriveCount: redriveCountSchema }).passthrough();

/**
 * StartFeatureQuery: starts the pipeline's feature query once per split.
 *
 * 1. Reads `$.run` and the execution's redrive count.
 * 2. Reads the pipeline's features.sql (one SELECT over its table, label first).
 * 3. Per split (train, validation): empties `features/<pipeline>/<runId>/<split>/` and starts the query wrapped in an
 *    UNLOAD there, split by a deterministic md5 of the spec's key columns; request tokens derive from the run, so a
 *    retried state does not start the queries twice.
 * 4. Returns the progress at `$.features`.
 */
export async function startFeatureQuery(rawInput: unknown, deps: FeatureQueryDeps): Promise<FeatureProgress> {
  return startFeatureQueries(parseStateInput('StartFeatureQuery', inputSchema, rawInput), deps);
}
