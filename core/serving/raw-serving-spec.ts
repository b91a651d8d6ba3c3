/**
 * What an endpoint needs of its pipeline to answer raw records: the data contract (to check each record), the
 * pipeline's own feature query (to turn records into the model's features) and the table name it reads. Plain JSON:
 * local Deploy records it in the model pointer (`rawRecords`), so the endpoint prepares the query of the very spec the
 * model was deployed with, and the inference Lambda builds it from the specs bundled in its zip.
 *
 * Kept free of zod and DuckDB: the lean endpoint server reads it on every pointer change.
 */
import type { ColumnType } from '../spec/schema.js';

/** One contract column and the rules a raw record's value must keep (the spec's, defaults applied). */
export interface RawColumn {
  readonly name: string;
  /** The key in a record (a CSV header or JSON key) when it differs from `name`. */
  readonly sourceName?: string;
  readonly type: ColumnType;
  readonly nullable: boolean;
  readonly allowed?: readonly (string | number | boolean)[];
  readonly min?: string | number;
  readonly max?: string | number;
  readonly pattern?: string;
  readonly maxLength?: number;
}

/** What an endpoint needs of its pipeline to answer raw records. */
export interface RawServingSpec {
  readonly pipeline: string;
  /** The relation the two queries read ({@link RAW_RELATION}): the records of one request. */
  readonly relation: string;
  /**
   * The pipeline's feature query in scoring mode over `relation` (core/features/scoring-sql.ts `scoringSelectSql`,
   * ids `[RAW_ROW_COLUMN]`, label absent): the record's number, the label (from NULL), then the features.
   */
  readonly scoringSql: string;
  /**
   * The same query with the label present and no ids, to learn the label's names: run over one row per allowed value
   * of the label's column, its first column maps each class number to the user's value. Absent when the label is
   * not computed from exactly one column with an allowed list.
   */
  readonly labelSql?: string;
  /** The CSV texts that mean a missing value (the spec's `source.csv.nullValues`, default `['']`). */
  readonly nullValues: readonly string[];
  /** `xgboost` (features) or `blazingtext` (label, text). */
  readonly algorithm: 'xgboost' | 'blazingtext';
  readonly unknownColumns: 'reject' | 'drop';
  readonly columns: readonly RawColumn[];
  /** Text pipelines: the contract column holding the raw text (what a local text model's normaliser reads). */
  readonly textColumn?: string;
  /** The contract columns the label is computed from: absent from a record to score, so their nullability is not checked. */
  readonly labelColumns: readonly string[];
}

/** The relation holding a request's records, as the scoring query reads it (a temporary table or a CTE). */
export const RAW_RELATION = '"__sluice_raw_records"';

/** The column numbering a request's records, carried through the scoring query as its id (answers keep the order). */
export const RAW_ROW_COLUMN = '__sluice_record';

const COLUMN_TYPE_NAMES: readonly ColumnType[] = ['string', 'integer', 'double', 'boolean', 'date', 'timestamp'];

/** Reads a spec recorded in a pointer (its `rawRecords` field); undefined when absent or malformed. */
export function readRawServingSpec(value: unknown): RawServingSpec | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const { pipeline, relation, scoringSql, labelSql, textColumn, nullValues, algorithm, unknownColumns, columns, labelColumns } = v;
  if (typeof pipeline !== 'string' || typeof relation !== 'string' || typeof scoringSql !== 'string') return undefined;
  if (labelSql !== undefined && typeof labelSql !== 'string') return undefined;
  if (textColumn !== undefined && typeof textColumn !== 'string') return undefined;
  if (!Array.isArray(nullValues) || !nullValues.every((n) => typeof n === 'string')) return undefined;
  if (algorithm !== 'xgboost' && algorithm !== 'blazingtext') return undefined;
  if (unknownColumns !== 'reject' && unknownColumns !== 'drop') return undefined;
  if (!Array.isArray(columns) || !Array.isArray(labelColumns) || !labelColumns.every((c) => typeof c === 'string')) return undefined;
  const typed = columns.filter(
    (c): c is RawColumn =>
      typeof c === 'object' &&
      c !== null &&
      typeof (c as Record<string, unknown>)['name'] === 'string' &&
      COLUMN_TYPE_NAMES.includes((c as Record<string, unknown>)['type'] as ColumnType) &&
      typeof (c as Record<string, unknown>)['nullable'] === 'boolean',
  );
  if (typed.length !== columns.length || typed.length === 0) return undefined;
  return {
    pipeline,
    relation,
    scoringSql,
    ...(labelSql === undefined ? {} : { labelSql }),
    ...(textColumn === undefined ? {} : { textColumn }),
    nullValues: nullValues as string[],
    algorithm,
    unknownColumns,
    columns: typed,
    labelColumns: labelColumns as string[],
  };
}
