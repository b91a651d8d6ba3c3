/**
 * The raw-record featurizer's result as one column: per row, one FLOAT list holding the record's number and then the
 * features, each cast to FLOAT in SQL so that it is the very float the column-per-feature conversion gives
 * (`Number(value)` then a `Float32Array` store, core/serving/raw-featurizer.ts `featuresOf`).
 *
 * Why: most of what DuckDB spends on a one-record query is per result column, not per row: each column of a
 * materialized result is its own vector in the result collection (`ColumnDataCopy`, one per column in perf) and its
 * own conversion in node-api. Churn's 27 columns (record, label, 25 features) cost 1.4-1.8 ms of CPU per one-record
 * query, the same rows as one list 0.8-1.1 ms as DOUBLEs and 0.55-0.8 ms as FLOATs (median of seven interleaved runs
 * of 1,000 queries each, in-process, load average 7-9 on 2 cores; the FLOAT vectors are half the size of the DOUBLE
 * ones, and a 16 KB DOUBLE vector is the smallest "large" jemalloc allocation, purged and re-faulted between queries).
 *
 * Why each cast is the same float as before (round to nearest, ties to even, in both DuckDB's casts and
 * `Float32Array`):
 * - BOOLEAN, TINYINT, SMALLINT, INTEGER and their unsigned kinds, FLOAT: exact as a JS number, so one rounding to
 *   float either way: `CAST(x AS FLOAT)`.
 * - BIGINT, UBIGINT, DECIMAL: the JS conversion rounds to a double first (`Number(bigint)`, `decimal_to_double`, which
 *   is DuckDB's own DECIMAL to DOUBLE cast), then to float: `CAST(CAST(x AS DOUBLE) AS FLOAT)`, the same two roundings.
 *   None overflows a float (at most about 1.8e19, or 1e38 for DECIMAL(38)).
 * - DOUBLE: DuckDB refuses to cast a DOUBLE beyond FLOAT's range ("Conversion Error: ... out of range for the
 *   destination type FLOAT") where `Float32Array` rounds it to ±Infinity, so values at or beyond the rounding edge
 *   (2^128 - 2^103: above it a double rounds to Infinity, below it to at most FLT_MAX) become ±Infinity here, NaN
 *   stays NaN (DuckDB's CAST keeps it; DuckDB orders NaN above every number, so it is tested first) and NULL stays NULL.
 * - Anything else (HUGEINT, whose JS and DuckDB conversions to double may differ; text; dates): no list, the rows
 *   come back as the query's own columns.
 * The record's number (a BIGINT below 2^24 for any request: at most 10,000 records) is exact as a float.
 */
import { quoteIdentifier } from '../sql/quote.js';

/** Integers a FLOAT holds exactly: a query over more records than this keeps its own columns. */
export const FLOAT_EXACT_RECORDS = 2 ** 24;

/** The double at and beyond which `Float32Array` rounds to Infinity (FLT_MAX plus half its last step). */
const FLOAT_ROUNDS_TO_INFINITY = String(2 ** 128 - 2 ** 103);

const ONE_ROUNDING = new Set(['BOOLEAN', 'TINYINT', 'SMALLINT', 'INTEGER', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'FLOAT']);
const THROUGH_DOUBLE = new Set(['BIGINT', 'UBIGINT']);

/**
 * Wraps a scoring query (its columns: the record's number, the label, then the features) so that it returns one
 * FLOAT list per row: `[record, feature 1, …]`. Undefined when a column's type has no cast giving the same float (see
 * the module comment): the caller keeps the query's own columns.
 *
 * @param types the scoring query's column types as DuckDB names them (`INTEGER`, `DECIMAL(18,3)`, …), in order
 * @example
 * const wrap = featureListSql(['BIGINT', 'INTEGER', 'DOUBLE']);
 * // wrap?.(sql) === 'SELECT [CAST("__sluice_c0" AS FLOAT), CASE … END] AS "__sluice_features" FROM (\n<sql>\n) AS …'
 */
export function featureListSql(types: readonly string[]): ((query: string) => string) | undefined {
  const [recordType, , ...featureTypes] = types;
  if (recordType === undefined || types.length < 2 || !['BIGINT', 'INTEGER'].includes(recordType)) return undefined;
  const names = types.map((_, i) => quoteIdentifier(`__sluice_c${i}`));
  const cells = [`CAST(${names[0] ?? ''} AS FLOAT)`];
  for (const [j, type] of featureTypes.entries()) {
    const cell = floatCast(names[j + 2] ?? '', type);
    if (cell === undefined) return undefined;
    cells.push(cell);
  }
  const list = `[${cells.join(', ')}]`;
  // The query's trailing `-- comment`, if any, must not swallow the closing parenthesis: hence the newline.
  return (query) => `SELECT ${list} AS ${quoteIdentifier('__sluice_features')} FROM (\n${query}\n) AS ${quoteIdentifier('__sluice_scored')}(${names.join(', ')})`;
}

function floatCast(column: string, type: string): string | undefined {
  if (ONE_ROUNDING.has(type)) return `CAST(${column} AS FLOAT)`;
  if (THROUGH_DOUBLE.has(type) || /^DECIMAL\(\d+,\d+\)$/.test(type)) return `CAST(CAST(${column} AS DOUBLE) AS FLOAT)`;
  if (type === 'DOUBLE') {
    return (
      `CASE WHEN isnan(${column}) OR abs(${column}) < ${FLOAT_ROUNDS_TO_INFINITY} THEN CAST(${column} AS FLOAT) ` +
      `WHEN ${column} > 0 THEN CAST('Infinity' AS FLOAT) WHEN ${column} < 0 THEN CAST('-Infinity' AS FLOAT) END`
    );
  }
  return undefined;
}
