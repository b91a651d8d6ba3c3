import * as z from 'zod';
import { withCuratedKeys } from '../manifest/ingest-listing.js';
import type { RecordRunDeps, RunManifest } from '../manifest/run-manifest.js';
import { totalRows, writeManifest } from '../manifest/run-manifest.js';
import { runContextSchema } from '../run/run-context.js';
import { parseStateInput } from '../run/state-input.js';
import type { Failure } from '../run/workflow-state.js';
import { caughtErrorSchema, describeCaughtError, evaluationSchema, ingestSectionSchema } from '../run/workflow-state.js';

/**
 * RecordFailure's input: the state when the error was caught, with the Catch's `$.error`. `$.run` is absent when
 * NormalizeInput failed; the state is then the execution input.
 */
const inputSchema = z
  .object({
    executionName: z.string(),
    startTime: z.string(),
    state: z
      .object({ run: runContextSchema.optional(), error: caughtErrorSchema, ingest: ingestSectionSchema.optional(), evaluation: evaluationSchema.optional() })
      .passthrough(),
  })
  .strict();

/**
 * RecordFailure: records a failed run, whatever stage failed (even NormalizeInput, before there is a run context). It
 * never touches a serving endpoint.
 *
 * 1. Reads the state as it was when the error was caught, the execution's name and start time.
 * 2. Reads the caught error at `$.error`: its name, and its message from the Lambda error document in its Cause.
 * 3. Writes the failed run's manifest, with the error and the curated keys of the files ingested before the failure
 *    (read back from their listings, core/manifest/ingest-listing.ts), to `runs/<pipeline>/<runId>.json` (`runs/_unknown/` before
 *    there is a run context).
 * 4. Rejects a candidate the gate let through but that never reached production, with the error as the reason.
 * 5. Returns the error's name and message, for the Fail state, and the manifest's key at `$.failure`.
 */
export async function recordFailure(rawInput: unknown, deps: RecordRunDeps): Promise<Failure> {
  const { executionName, startTime, state } = parseStateInput('RecordFailure', inputSchema, rawInput);
  const error = describeCaughtError(state.error);
  const { run, error: _error, ingest, ...stages } = state;
  const files = ingest?.files ?? [];
  const manifest: RunManifest = {
    runId: run?.runId ?? executionName,
    pipeline: run?.pipeline ?? '_unknown',
    trigger: run?.trigger ?? 'unknown',
    status: 'FAILED',
    startedAt: run?.startedAt ?? startTime,
    finishedAt: deps.clock().toISOString(),
    objects: run?.objects ?? [],
    rows: totalRows(files),
    ingest: await withCuratedKeys(files, deps),
    error,
    stages,
  };
  const manifestKey = await writeManifest(manifest, deps);
  // A candidate the gate let through but that never reached production is rejected, with the reason.
  const candidate = state.evaluation?.candidate;
  if (deps.registry && candidate && candidate.status === 'PendingManualApproval') {
    await deps.registry.decide(candidate, 'Rejected', `not deployed: ${error.name}: ${error.message}`);
  }
  deps.logger.error('run failed', { manifestKey, error });
  return { Error: error.name, Cause: error.message, manifestKey };
}
