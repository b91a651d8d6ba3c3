import * as z from 'zod';
import type { FeatureQueryDeps } from '../features/feature-query.js';
import { FEATURE_SPLITS, FeatureQueryFailedError, FeatureQueryTimeoutError, featureTimeoutMessage, startFeatureQueries } from '../features/feature-query.js';
import { runContextSchema } from '../run/run-context.js';
import { parseStateInput } from '../run/state-input.js';
import type { FeatureProgress } from '../run/workflow-state.js';
import { featureProgressSchema, redriveCountSchema } from '../run/workflow-state.js';

const inputSchema = z.object({ run: runContextSchema, redriveCount: redriveCountSchema, features: featureProgressSchema }).passthrough();

/**
 * GetFeatureQueryState: one poll of both feature queries.
 *
 * 1. Reads `$.run`, `$.features` and the execution's redrive count.
 * 2. Asks the query engine how each split's query stands.
 * 3. A failed or cancelled query fails the run with FeatureQueryFailedError and the engine's reason; in a redriven
 *    execution (redrive re-runs only this state) it starts the queries again instead, under new request tokens.
 * 4. Records each query's state, bytes scanned and engine time.
 * 5. Both SUCCEEDED moves on; a query the engine stopped at `features.timeoutSeconds`, or too many polls, fail the
 *    run with FeatureQueryTimeoutError naming the setting and the spec file; otherwise it waits again.
 */
export async function getFeatureQueryState(rawInput: unknown, deps: FeatureQueryDeps): Promise<FeatureProgress> {
  const input = parseStateInput('GetFeatureQueryState', inputSchema, rawInput);
  const { features } = input;
  const next = { ...features, attempt: features.attempt + 1 };
  for (const split of FEATURE_SPLITS) {
    const status = await deps.queryEngine.queryStatus(features[split].queryId);
    if (status.timedOut) throw new FeatureQueryTimeoutError(featureTimeoutMessage(deps.specs.get(input.run.pipeline), `the ${split} feature query ${features[split].queryId}`));
    if (status.state === 'FAILED' || status.state === 'CANCELLED') {
      // Redrive re-runs only this state: a redriven execution starts the queries again, under new request tokens.
      if (input.redriveCount > features.redriveCount) return startFeatureQueries(input, deps);
      throw new FeatureQueryFailedError(`The ${split} feature query ${features[split].queryId} ${status.state === 'FAILED' ? 'failed' : 'was cancelled'}: ${status.reason ?? 'no reason given'}`);
    }
    next[split] = {
      ...features[split],
      state: status.state,
      ...(status.bytesScanned !== undefined ? { bytesScanned: status.bytesScanned } : {}),
      ...(status.engineMs !== undefined ? { engineMs: status.engineMs } : {}),
    };
  }
  if (next.train.state === 'SUCCEEDED' && next.validation.state === 'SUCCEEDED') return { ...next, state: 'SUCCEEDED' };
  if (next.attempt >= features.maxAttempts) {
    throw new FeatureQueryTimeoutError(featureTimeoutMessage(deps.specs.get(input.run.pipeline), `the feature queries, still running after ${next.attempt} polls of ${features.pollSeconds} s,`));
  }
  return next;
}
