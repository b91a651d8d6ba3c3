import * as z from 'zod';
import { TerminalStepError } from '../errors.js';
import type { ObjectStore } from '../ports/object-store.js';
import { lakeLayout } from '../run/lake-layout.js';
import { parseStateInput } from '../run/state-input.js';
import {
  predictionsCatalogSchema,
  predictionsResultSchema,
  scoringContextSchema,
  scoringQuerySchema,
  scoringValidationSchema,
  transformProgressSchema,
} from '../scoring/scoring-state.js';

/** The scoring run's counts do not add up: rows were lost or made up between the file and the predictions. */
export class ScoringReconciliationError extends TerminalStepError {
  public override readonly name = 'ScoringReconciliationError';
}

/** What RecordScoringRun needs. */
export interface RecordScoringRunDeps {
  store: ObjectStore;
}

const inputSchema = z
  .object({
    scoring: scoringContextSchema,
    validation: scoringValidationSchema,
    query: scoringQuerySchema,
    transform: transformProgressSchema,
    predictions: predictionsResultSchema,
    catalog: predictionsCatalogSchema,
  })
  .passthrough();

/** The scoring manifest: `scoring/<pipeline>/runs/<scoreRunId>/manifest.json`, and the run's summary. */
export const scoringManifestSchema = z
  .object({
    scoreRunId: z.string(),
    pipeline: z.string(),
    trigger: z.string(),
    source: z.object({ bucket: z.string(), key: z.string() }).passthrough(),
    startedAt: z.string(),
    finishedAt: z.string(),
    model: z.object({ version: z.number(), id: z.string() }).passthrough(),
    rows: z.object({ input: z.number(), valid: z.number(), quarantined: z.number(), scored: z.number() }).strict(),
    labelPresent: z.boolean(),
    outputs: z.object({ predictions: z.string(), quarantine: z.string().optional(), table: z.string(), partition: z.string() }).strict(),
    jobs: z.object({ queryId: z.string(), transformJob: z.string() }).strict(),
  })
  .strict();

/** A scoring run's manifest. */
export type ScoringManifest = z.infer<typeof scoringManifestSchema>;

/**
 * RecordScoringRun: writes the scoring manifest and returns it as the execution's output.
 *
 * 1. Checks the counts reconcile: input = valid + quarantined, and every valid row was scored once
 *    (ScoringReconciliationError otherwise).
 * 2. Writes what went in (the file, its version), with which model, the query and transform job, the counts and where
 *    the predictions and quarantined rows are, to `scoring/<pipeline>/runs/<scoreRunId>/manifest.json`.
 */
export async function recordScoringRun(rawInput: unknown, deps: RecordScoringRunDeps): Promise<ScoringManifest> {
  const { scoring, validation, query, transform, predictions, catalog } = parseStateInput('RecordScoringRun', inputSchema, rawInput);
  const { input, valid, quarantined } = validation.rows;
  if (input !== valid + quarantined || predictions.rows !== valid) {
    throw new ScoringReconciliationError(`Scoring run ${scoring.scoreRunId}: ${input} rows in, ${valid} valid, ${quarantined} quarantined, ${predictions.rows} scored: the counts do not reconcile`);
  }
  const manifest: ScoringManifest = {
    scoreRunId: scoring.scoreRunId,
    pipeline: scoring.pipeline,
    trigger: scoring.trigger,
    source: scoring.object,
    startedAt: scoring.startedAt,
    finishedAt: new Date().toISOString(),
    model: { version: transform.model.version, id: transform.model.id, artifact: transform.model.artifact },
    rows: { input, valid, quarantined, scored: predictions.rows },
    labelPresent: validation.labelPresent,
    outputs: {
      predictions: `s3://${scoring.bucket}/${predictions.key}`,
      ...(validation.quarantineKey ? { quarantine: `s3://${scoring.bucket}/${validation.quarantineKey}` } : {}),
      table: `${catalog.database}.${catalog.table}`,
      partition: catalog.partition,
    },
    jobs: { queryId: query.queryId, transformJob: transform.jobName },
  };
  await deps.store.putText({ bucket: scoring.bucket, key: lakeLayout.scoringManifestKey(scoring.pipeline, scoring.scoreRunId) }, `${JSON.stringify(manifest, null, 2)}\n`, 'application/json');
  return manifest;
}
