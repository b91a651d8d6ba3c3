/**
 * The two catalog tables of batch scoring, defined by Sluice (no crawler), the same in both runtimes:
 *
 * - `<pipeline>_scoring_input`: each scoring run's valid rows (contract columns and `source_row`), partitioned by
 *   `score_run`. The scoring query reads one run's partition (`WHERE score_run = '<id>'`). In AWS the partition is
 *   projected, not registered: `projection.score_run.type = injected`, which "uses values from the query itself to
 *   compute the set of partitions that will be read" when the query holds a static equality on the key (Athena user
 *   guide, "Use dynamic ID partitioning", https://docs.aws.amazon.com/athena/latest/ug/partition-projection-dynamic-id-partitioning.html),
 *   with `storage.location.template` naming each run's folder.
 * - `<pipeline>_predictions`: the predictions, partitioned by `score_date`, beside the curated table, for analysts'
 *   queries that join the two (README, "Scoring"); each run's date partition is registered by CatalogPredictions.
 */
import type { TableColumn, TableDefinition } from '../ports/table-catalog.js';
import { lakeLayout } from '../run/lake-layout.js';
import { tableName } from '../run/naming.js';
import type { PipelineSpec } from '../spec/load-spec.js';
import type { ColumnType } from '../spec/schema.js';
import { SOURCE_ROW_COLUMN } from '../spec/scoring-rules.js';

/** Athena DDL type names of the contract's column types (Athena user guide, "Data types in Amazon Athena"). */
export const GLUE_TYPES: Readonly<Record<ColumnType, string>> = {
  string: 'string',
  integer: 'bigint',
  double: 'double',
  boolean: 'boolean',
  date: 'date',
  timestamp: 'timestamp',
};

/** The partition key of the scoring input table. */
export const SCORE_RUN_COLUMN = 'score_run';
/** The partition key of the predictions table. */
export const SCORE_DATE_COLUMN = 'score_date';

/** The name of a pipeline's scoring input table. */
export function scoringInputTableName(pipeline: string): string {
  return `${tableName(pipeline)}_scoring_input`;
}

/** The name of a pipeline's predictions table. */
export function predictionsTableName(pipeline: string): string {
  return `${tableName(pipeline)}_predictions`;
}

/** The scoring input table of a pipeline. */
export function scoringInputTable(spec: PipelineSpec, database: string, bucket: string): TableDefinition {
  const location = `s3://${bucket}/${lakeLayout.scoringInputPrefix(spec.name)}`;
  return {
    database,
    table: scoringInputTableName(spec.name),
    location,
    columns: [{ name: SOURCE_ROW_COLUMN, type: 'bigint' }, ...spec.contract.columns.map((c) => ({ name: c.name, type: GLUE_TYPES[c.type] }))],
    partitionKeys: [{ name: SCORE_RUN_COLUMN, type: 'string' }],
    parameters: {
      classification: 'parquet',
      'projection.enabled': 'true',
      [`projection.${SCORE_RUN_COLUMN}.type`]: 'injected',
      'storage.location.template': `${location}${SCORE_RUN_COLUMN}=\${${SCORE_RUN_COLUMN}}/`,
    },
    description: `Valid rows of each scoring run of ${spec.name} (Sluice batch scoring)`,
  };
}

/** The predictions table of a pipeline, with the columns WritePredictions wrote. */
export function predictionsTable(spec: PipelineSpec, database: string, bucket: string, columns: readonly TableColumn[]): TableDefinition {
  return {
    database,
    table: predictionsTableName(spec.name),
    location: `s3://${bucket}/${lakeLayout.predictionsPrefix(spec.name)}`,
    columns: [...columns],
    partitionKeys: [{ name: SCORE_DATE_COLUMN, type: 'string' }],
    parameters: { classification: 'parquet' },
    description: `Batch predictions of ${spec.name}, one file per scoring run (Sluice batch scoring)`,
  };
}
