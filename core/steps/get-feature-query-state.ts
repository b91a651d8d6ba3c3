import * as z from 'zod';
import type { FeatureQueryDeps } from '../features/feature-query.js';
import { channelFormat } from '../features/channel-format.js';
import { mergeChannelParts } from '../features/channel-merge.js';
import { FEATURE_SPLITS, algorithmOf, FeatureQueryFailedError, FeatureQueryTimeoutError, featureTimeoutMessage, startFeatureQueries, withQueryStatus } from '../features/feature-query.js';
import type { MetricsDeps } from '../ports/metrics.js';
import { METRIC_NAMES, noMetrics } from '../ports/metrics.js';
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
 * 5. For an algorithm whose channel is one plain file (BlazingText), gunzips and concatenates each split's parts
 *    into `split=<s>/data.txt` (core/features/channel-merge.ts) before reporting SUCCEEDED.
 * 6. SUCCEEDED moves on; a query the engine stopped at `features.timeoutSeconds`, or too many polls, fail the run with
 *    FeatureQueryTimeoutError naming the setting and the spec file; otherwise it waits again.
 */
export async function getFeatureQueryState(rawInput: unknown, deps: FeatureQueryDeps & MetricsDeps): Promise<FeatureProgress> {
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
  if (status.state === 'SUCCEEDED') {
    // Once per query: only the poll that sees it succeed records what Athena scanned (what the query is billed on).
    if (status.bytesScanned !== undefined) (deps.metrics ?? noMetrics).record(METRIC_NAMES.bytesScanned, 'Bytes', status.bytesScanned, { pipeline: input.run.pipeline });
    const { singleFile } = channelFormat(algorithmOf(deps.specs.get(input.run.pipeline)));
    if (singleFile !== undefined) {
      for (const split of FEATURE_SPLITS) {
        const { bucket, key } = parseS3Uri(features[split].location);
        await mergeChannelParts(deps.store, bucket, key, singleFile);
      }
    }
    return { ...next, state: 'SUCCEEDED' };
  }
  if (next.attempt >= features.maxAttempts) {
    throw new FeatureQueryTimeoutError(featureTimeoutMessage(deps.specs.get(input.run.pipeline), `the feature query ${queryId}, still running after ${next.attempt} polls of ${features.pollSeconds} s,`));
  }
  return next;
}

/** `s3://bucket/key…` as bucket and key (the feature sets' locations are always written so). */
function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (match?.[1] === undefined || match[2] === undefined) throw new FeatureQueryFailedError(`Not an s3:// location: ${uri}`);
  return { bucket: match[1], key: match[2] };
}
