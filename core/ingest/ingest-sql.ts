import type { PipelineSpec } from '../spec/load-spec.js';
import { quoteIdentifier, quoteLiteral } from '../sql/quote.js';
import type { ContractRule } from './contract-rules.js';
import { enumColumns, enumTypeName, rawColumn, sqlType, violationMessagesExpression, violationsExpression } from './contract-rules.js';

/** Name of the staging partition key that separates good rows from rows that broke a rule. */
export const VIOLATIONS_KEY = '_violations';
/** The folder DuckDB writes NULL partition values to: the good rows. */
export const GOOD_ROWS_FOLDER = `${VIOLATIONS_KEY}=__HIVE_DEFAULT_PARTITION__`;
/** DuckDB's table of rows its CSV reader rejected (type casts, column counts, bad quoting). */
export const REJECTS_TABLE = 'sluice_rejects';

/** What the ingest SQL needs to know about one input file. */
export interface IngestSqlInput {
  spec: PipelineSpec;
  rules: readonly ContractRule[];
  /** Column names in the file's header, in order. */
  header: readonly string[];
  inputPath: string;
  stagingDir: string;
  /** Short hash of the source object: file names derive from it so a re-run replaces its own files. */
  sourceHash: string;
  ingestDate: string;
}

/**
 * Builds the reader for the file: every contract column cast to its declared type while reading, so values that
 * do not cast are caught by DuckDB's own reject mechanism with their line; unknown columns are read as text and
 * dropped; declared columns missing from the file (allowed when not required) are NULL.
 */
export function readerSql(input: IngestSqlInput): string {
  const { spec, header, inputPath } = input;
  const byName = new Map(spec.contract.columns.map((c) => [c.name, c]));
  if (spec.source.format === 'csv') {
    const csv = spec.source.csv;
    const enums = new Set(enumColumns(spec.contract.columns).map((c) => c.name));
    const columnTypes = header
      .map((name, index) => {
        const column = byName.get(name);
        if (!column) return `${quoteLiteral(`_unknown_${index}`)}: 'VARCHAR'`;
        return `${quoteLiteral(name)}: '${enums.has(name) ? enumTypeName(name) : sqlType(column.type)}'`;
      })
      .join(', ');
    const options = [
      'header = true',
      'auto_detect = false',
      // Raw files live under ingest_date=… folders: those are not columns of the file.
      'hive_partitioning = false',
      `delim = ${quoteLiteral(csv.delimiter)}`,
      `quote = ${quoteLiteral(csv.quote)}`,
      `escape = ${quoteLiteral(csv.escape)}`,
      `nullstr = [${csv.nullValues.map(quoteLiteral).join(', ')}]`,
      `columns = {${columnTypes}}`,
      'store_rejects = true',
      `rejects_table = '${REJECTS_TABLE}'`,
      `rejects_scan = '${REJECTS_TABLE}_scan'`,
    ];
    return `read_csv(${quoteLiteral(inputPath)}, ${options.join(', ')})`;
  }
  // JSON Lines: each value is taken as text, then cast, so a value of the wrong type is a rule violation, not a
  // failed read.
  const columns = spec.contract.columns
    .filter((c) => header.includes(c.name))
    .flatMap((c) => {
      const raw = `json ->> ${quoteLiteral(c.name)}`;
      return [`TRY_CAST(${raw} AS ${sqlType(c.type)}) AS ${quoteIdentifier(c.name)}`, `${raw} AS ${rawColumn(c.name)}`];
    })
    .join(', ');
  return `(SELECT ${columns} FROM read_json_objects(${quoteLiteral(inputPath)}, format = 'newline_delimited', hive_partitioning = false))`;
}

function projectedColumns(input: IngestSqlInput): string {
  return input.spec.contract.columns
    .map((c) => (input.header.includes(c.name) ? quoteIdentifier(c.name) : `CAST(NULL AS ${sqlType(c.type)}) AS ${quoteIdentifier(c.name)}`))
    .join(', ');
}

/**
 * One pass over the file: good rows and rule-breaking rows are written in the same COPY, partitioned by the list of
 * rules they broke (NULL for good rows) then by ingest date and the spec's partition columns. Reading the input once
 * is what keeps validation close to a plain conversion in speed.
 */
export function stagingCopySql(input: IngestSqlInput): string {
  const partitionKeys = [VIOLATIONS_KEY, 'ingest_date', ...input.spec.partitioning.columns].map((k) => quoteIdentifier(k));
  const select = [
    projectedColumns(input),
    `${violationsExpression(input.rules)} AS ${quoteIdentifier(VIOLATIONS_KEY)}`,
    `CAST(${quoteLiteral(input.ingestDate)} AS VARCHAR) AS "ingest_date"`,
  ].join(', ');
  return [
    `COPY (SELECT ${select} FROM ${readerSql(input)})`,
    `TO ${quoteLiteral(input.stagingDir)}`,
    `(FORMAT parquet, COMPRESSION zstd, PARTITION_BY (${partitionKeys.join(', ')}), FILENAME_PATTERN ${quoteLiteral(`part-${input.sourceHash}-{i}`)}, OVERWRITE_OR_IGNORE true)`,
  ].join(' ');
}

/**
 * Gathers the quarantined rows into one Parquet file: rows DuckDB's reader rejected (with their line and the raw
 * text) and rows that broke a contract rule (as JSON, with the rules' messages).
 */
export function quarantineCopySql(input: IngestSqlInput, options: { hasRuleViolations: boolean; hasRejects: boolean; outputPath: string }): string {
  const parts: string[] = [];
  if (options.hasRejects) {
    parts.push(
      `SELECT CAST(line AS BIGINT) AS source_line, any_value(csv_line) AS record, string_agg(error_message, '; ') AS errors FROM ${REJECTS_TABLE} GROUP BY line`,
    );
  }
  if (options.hasRuleViolations) {
    const stagedBad = `read_parquet(${quoteLiteral(`${input.stagingDir}/${VIOLATIONS_KEY}=*/**/*.parquet`)}, hive_partitioning = true, hive_types_autocast = false)`;
    const row = input.spec.contract.columns.map((c) => `${quoteLiteral(c.name)}: ${quoteIdentifier(c.name)}`).join(', ');
    parts.push(
      `SELECT CAST(NULL AS BIGINT) AS source_line, CAST(to_json({${row}}) AS VARCHAR) AS record, ${violationMessagesExpression(input.rules, quoteIdentifier(VIOLATIONS_KEY))} AS errors FROM ${stagedBad} WHERE ${quoteIdentifier(VIOLATIONS_KEY)} IS NOT NULL AND ${quoteIdentifier(VIOLATIONS_KEY)} <> '__HIVE_DEFAULT_PARTITION__'`,
    );
  }
  return `COPY (${parts.join(' UNION ALL ')} ORDER BY source_line NULLS LAST) TO ${quoteLiteral(options.outputPath)} (FORMAT parquet)`;
}
