import * as z from 'zod';
import type { ScoringQueryDeps } from '../scoring/scoring-query.js';
import { ScoringQueryFailedError, startScoringQuery } from '../scoring/scoring-query.js';
import type { ScoringQuery } from '../scoring/scoring-state.js';
import { scoringContextSchema, scoringQuerySchema } from '../scoring/scoring-state.js';
import { parseStateInput } from '../run/state-input.js';
import { redriveCountSchema } from '../run/workflow-state.js';

const inputSchema = z.object({ scoring: scoringContextSchema, redriveCount: redriveCountSchema, query: scoringQuerySchema }).passthrough();

/**
 * GetScoringQueryState: one poll of the scoring query.
 *
 * 1. Asks the query engine how the query stands.
 * 2. A failed or cancelled query fails the run with ScoringQueryFailedError and the engine's reason; in a redriven
 *    execution it starts the query again instead (a redrive re-runs only the failed state).
 * 3. SUCCEEDED moves on; too many polls (features.timeoutSeconds) fail the run; otherwise it waits again.
 */
export async function getScoringQueryState(rawInput: unknown, deps: ScoringQueryDeps): Promise<ScoringQuery> {
  const { scoring, redriveCount, query } = parseStateInput('GetScoringQueryState', inputSchema, rawInput);
  const status = await deps.queryEngine.queryStatus(query.queryId);
  if (status.state === 'FAILED' || status.state === 'CANCELLED' || status.timedOut) {
    if (redriveCount > query.redriveCount && !status.timedOut) return startScoringQuery(scoring, redriveCount, deps);
    throw new ScoringQueryFailedError(`The scoring query ${query.queryId} ${status.timedOut ? 'ran past features.timeoutSeconds' : status.state === 'FAILED' ? 'failed' : 'was cancelled'}: ${status.reason ?? 'no reason given'}`);
  }
  const next = { ...query, state: status.state, attempt: query.attempt + 1 };
  if (status.state === 'SUCCEEDED') return next;
  if (next.attempt >= query.maxAttempts) throw new ScoringQueryFailedError(`The scoring query ${query.queryId} is still running after ${next.attempt} polls of ${query.pollSeconds} s (features.timeoutSeconds)`);
  return next;
}
