import * as z from 'zod';
import type { SpecCatalog } from '../pipelines/spec-catalog.js';
import type { TableCatalog } from '../ports/table-catalog.js';
import type { ResourceNames } from '../run/naming.js';
import { parseStateInput } from '../run/state-input.js';
import type { PredictionsCatalogResult } from '../scoring/scoring-state.js';
import { predictionsResultSchema, scoringContextSchema } from '../scoring/scoring-state.js';
import { predictionsTable } from '../scoring/scoring-tables.js';

/** What CatalogPredictions needs. */
export interface CatalogPredictionsDeps {
  tables: TableCatalog;
  specs: SpecCatalog;
  names: ResourceNames;
}

const inputSchema = z.object({ scoring: scoringContextSchema, predictions: predictionsResultSchema }).passthrough();

/**
 * CatalogPredictions: makes the predictions readable by Athena (and the local engine) beside the curated table.
 *
 * 1. Creates `<pipeline>_predictions` in the stage's database, or updates its columns (a model of another objective
 *    writes other prediction columns; Parquet is read by column name, so older files read a new column as NULL).
 * 2. Registers the run's `score_date` partition (one already registered is left as it is).
 */
export async function catalogPredictions(rawInput: unknown, deps: CatalogPredictionsDeps): Promise<PredictionsCatalogResult> {
  const { scoring, predictions } = parseStateInput('CatalogPredictions', inputSchema, rawInput);
  const spec = deps.specs.get(scoring.pipeline);
  const table = predictionsTable(spec, deps.names.database, scoring.bucket, predictions.columns);
  const { created } = await deps.tables.putTable(table);
  await deps.tables.addPartition(table, [scoring.scoreDate], `s3://${scoring.bucket}/${predictions.prefix}`);
  return { database: table.database, table: table.table, partition: `score_date=${scoring.scoreDate}`, created };
}
