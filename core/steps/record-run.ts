import * as z from 'zod';
import type { Logger } from '../log/logger.js';
import type { ModelRegistry, ModelVersion } from '../ports/model-registry.js';
import type { ObjectStore } from '../ports/object-store.js';
import { lakeLayout } from '../run/lake-layout.js';
import type { RunContext } from '../run/run-context.js';
import { runContextSchema } from '../run/run-context.js';
import { parseStateInput } from '../run/state-input.js';
import type { IngestResult, RowCounts } from './validate-and-partition.js';

/** What RecordRun and RecordFailure need. */
export interface RecordRunDeps {
  store: ObjectStore;
  /** To reject a candidate whose deployment failed; absent where no model is ever registered. */
  registry?: ModelRegistry;
  logger: Logger;
  lakeBucket: string;
  clock: () => Date;
}

/** The workflow state when the run reaches RecordRun; later stages add their own sections. */
export const recordRunInputSchema = z
  .object({
    run: runContextSchema,
    ingest: z.object({ files: z.array(z.custom<IngestResult>((v) => typeof v === 'object' && v !== null)) }).optional(),
  })
  .passthrough();

/** The run manifest: lineage of one run, written to `runs/<pipeline>/<runId>.json`. */
export interface RunManifest {
  runId: string;
  pipeline: string;
  trigger: RunContext['trigger'] | 'unknown';
  status: 'SUCCEEDED' | 'FAILED';
  startedAt: string;
  finishedAt: string;
  objects: RunContext['objects'];
  rows: RowCounts;
  ingest: IngestResult[];
  error?: { name: string; message: string };
  /** Sections later stages add (catalog, features, training, evaluation, deployment), kept as they came. */
  stages: Record<string, unknown>;
}

/**
 * RecordRun: writes the run manifest of a successful run (what went in, what came out, row counts that reconcile
 * file by file) and returns it as the execution's output.
 */
export async function recordRun(rawInput: unknown, deps: RecordRunDeps): Promise<RunManifest & { manifestKey: string }> {
  const state = parseStateInput('RecordRun', recordRunInputSchema, rawInput);
  const { run, ingest, ...stages } = state;
  const files = ingest?.files ?? [];
  const manifest: RunManifest = {
    runId: run.runId,
    pipeline: run.pipeline,
    trigger: run.trigger,
    status: 'SUCCEEDED',
    startedAt: run.startedAt,
    finishedAt: deps.clock().toISOString(),
    objects: run.objects,
    rows: totalRows(files),
    ingest: files,
    stages,
  };
  const manifestKey = await writeManifest(manifest, deps);
  deps.logger.info('run recorded', { manifestKey, rows: manifest.rows });
  return { ...manifest, manifestKey };
}

/** Writes a run manifest to `runs/<pipeline>/<runId>.json`; returns its key. */
async function writeManifest(manifest: RunManifest, deps: RecordRunDeps): Promise<string> {
  const key = lakeLayout.runManifestKey(manifest.pipeline, manifest.runId);
  await deps.store.putText({ bucket: deps.lakeBucket, key }, `${JSON.stringify(manifest, null, 2)}\n`, 'application/json');
  return key;
}

/** Sums the row counts of a run's files. */
export function totalRows(files: readonly { rows: RowCounts }[]): RowCounts {
  return files.reduce((sum, f) => ({ input: sum.input + f.rows.input, valid: sum.valid + f.rows.valid, quarantined: sum.quarantined + f.rows.quarantined }), {
    input: 0,
    valid: 0,
    quarantined: 0,
  });
}

/** RecordFailure's input: the state when the error was caught, with the Catch's `error` field. */
export const recordFailureInputSchema = z
  .object({
    executionName: z.string(),
    startTime: z.string(),
    state: z.object({ run: runContextSchema.optional(), error: z.object({ Error: z.string(), Cause: z.unknown().optional() }) }).passthrough(),
  })
  .strict();

/**
 * Reads the error Step Functions caught. A Lambda failure's Cause is a JSON document with `errorMessage`; a local
 * one is the message itself.
 */
export function caughtError(error: { Error: string; Cause?: unknown }): { name: string; message: string } {
  const cause = error.Cause;
  if (typeof cause === 'string') {
    try {
      const parsed = JSON.parse(cause) as { errorMessage?: unknown };
      if (typeof parsed.errorMessage === 'string') return { name: error.Error, message: parsed.errorMessage };
    } catch {
      // Not JSON: the cause is the message.
    }
    return { name: error.Error, message: cause };
  }
  return { name: error.Error, message: cause === undefined ? error.Error : JSON.stringify(cause) };
}

/**
 * RecordFailure: writes the manifest of a failed run with the error, whatever stage failed (even NormalizeInput,
 * before there is a run context), and returns the error for the Fail state. It never touches a serving endpoint.
 */
export async function recordFailure(rawInput: unknown, deps: RecordRunDeps): Promise<{ Error: string; Cause: string; manifestKey: string }> {
  const { executionName, startTime, state } = parseStateInput('RecordFailure', recordFailureInputSchema, rawInput);
  const error = caughtError(state.error);
  const run = state.run;
  const { run: _run, error: _error, ingest, ...stages } = state;
  const files = (ingest as { files?: IngestResult[] } | undefined)?.files ?? [];
  const manifest: RunManifest = {
    runId: run?.runId ?? executionName,
    pipeline: run?.pipeline ?? '_unknown',
    trigger: run?.trigger ?? 'unknown',
    status: 'FAILED',
    startedAt: run?.startedAt ?? startTime,
    finishedAt: deps.clock().toISOString(),
    objects: run?.objects ?? [],
    rows: totalRows(files),
    ingest: files,
    error,
    stages,
  };
  const manifestKey = await writeManifest(manifest, deps);
  // A candidate the gate let through but that never reached production is rejected, with the reason.
  const candidate = (stages.evaluation as { promote?: boolean; candidate?: ModelVersion } | undefined)?.candidate;
  if (deps.registry && candidate && candidate.status === 'PendingManualApproval') {
    await deps.registry.decide(candidate, 'Rejected', `not deployed: ${error.name}: ${error.message}`);
  }
  deps.logger.error('run failed', { manifestKey, error });
  return { Error: error.name, Cause: error.message, manifestKey };
}
