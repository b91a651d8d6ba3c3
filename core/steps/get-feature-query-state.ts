import * as z from 'zod';
import type { FeatureQueryDeps } from '../features/feature-query.js';
import { FeatureQueryFailedError, FeatureQueryTimeoutError, featureTimeoutMessage, startFeatureQueries, withQueryStatus } from '../features/feature-query.js';
import { runContextSchema } from '../run/run-context.js';
import { parseStateInput } from '../run/state-input.js';
import type { FeatureProgress } from '../run/workflow-state.js';
import { featureProgressSchema, redriveCountSchema } from '../run/workflow-state.js';

const inputSchema = z.object({ run: runContextSchema, redriveCount: redriveCountSchema, features: featureProgressSchema }).passthrough();

/**
 * GetFeatureQueryState: one poll of the run's feature query.
 *
 * 1. Reads `$.run`, `$.features` and the execution's redrive count.
 * 2. Asks the query engine how the query stands (one query writes both feature sets).
 * 3. A failed or cancelled query fails the run with FeatureQueryFailedError and the engine's reason; in a redriven
 *    execution (redrive re-runs only this state) it starts the query again instead, under a new request token.
 * 4. Records the query's state, bytes scanned and engine time (they reach the run manifest with `$.features`).
 * 5. SUCCEEDED moves on; a query the engine stopped at `features.timeoutSeconds`, or too many polls, fail the run with
 *    FeatureQueryTimeoutError naming the setting and the spec file; otherwise it waits again.
 */
export async function getFeatureQueryState(rawInput: unknown, deps: FeatureQueryDeps): Promise<FeatureProgress> {
  const input = parseStateInput('GetFeatureQueryState', inputSchema, rawInput);
  const { features } = input;
  const { queryId } = features.query;
  const status = await deps.queryEngine.queryStatus(queryId);
  if (status.timedOut) throw new FeatureQueryTimeoutError(featureTimeoutMessage(deps.specs.get(input.run.pipeline), `the feature query ${queryId}`));
  if (status.state === 'FAILED' || status.state === 'CANCELLED') {
    // Redrive re-runs only this state: a redriven execution starts the query again, under a new request token.
    if (input.redriveCount > features.redriveCount) return startFeatureQueries(input, deps);
    throw new FeatureQueryFailedError(`The feature query ${queryId} ${status.state === 'FAILED' ? 'failed' : 'was cancelled'}: ${status.reason ?? 'no reason given'}`);
  }
  const next = { ...withQueryStatus(features, status), attempt: features.attempt + 1 };
  if (status.state === 'SUCCEEDED') return { ...next, state: 'SUCCEEDED' };
  if (next.attempt >= features.maxAttempts) {
    throw new FeatureQueryTimeoutError(featureTimeoutMessage(deps.specs.get(input.run.pipeline), `the feature query ${queryId}, still running after ${next.attempt} polls of ${features.pollSeconds} s,`));
  }
  return next;
}
