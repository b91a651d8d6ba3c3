import type { PipelineSpec } from '../spec/load-spec.js';
import { quoteIdentifier, quoteLiteral } from '../sql/quote.js';
import type { ContractRule } from './contract-rules.js';
import {
  RECORD_OK_COLUMN,
  TYPE_DESCRIPTIONS,
  castByRules,
  enumColumns,
  enumTypeName,
  rawColumn,
  rowMessagesExpression,
  sqlType,
  strictCastSql,
  violationsExpression,
} from './contract-rules.js';

/** Name of the staging partition key that separates good rows from rows that broke a rule. */
export const VIOLATIONS_KEY = '_violations';
/** The folder DuckDB writes NULL partition values to: the good rows. */
export const GOOD_ROWS_FOLDER = `${VIOLATIONS_KEY}=__HIVE_DEFAULT_PARTITION__`;
/** DuckDB's table of rows its CSV reader rejected (type casts, column counts, bad quoting). */
export const REJECTS_TABLE = 'sluice_rejects';

/** The column holding a JSON Lines line as read. */
const LINE_COLUMN = '"__line"';
/** JSON forbids raw control characters, so this delimiter never splits a line of valid JSON Lines. */
const NO_DELIMITER = '\u0001';

/** What the ingest SQL needs to know about one input file. */
export interface IngestSqlInput {
  spec: PipelineSpec;
  rules: readonly ContractRule[];
  /**
   * The file's fields in order, named as the contract names them (a header name the spec maps, or matches without
   * case, is already the contract name here); a field the contract does not declare keeps its name in the file.
   */
  header: readonly string[];
  /** Contract column → its name in the file (CSV header or JSON key), when they differ. */
  sourceNames?: ReadonlyMap<string, string>;
  inputPath: string;
  stagingDir: string;
  /** Short hash of the source's content: file names derive from it so a re-run replaces its own files. */
  sourceHash: string;
  ingestDate: string;
}

/**
 * Builds the reader for the file. CSV: every contract column is cast to its declared type while reading, so values
 * that do not cast are caught by DuckDB's reject mechanism with their line; integers are read as text and cast
 * strictly (the reader would round `27.5`), a bad one breaking a type rule. JSON Lines: the file is read line by line,
 * so a malformed line breaks a rule instead of failing the file, and every value is cast from text. Unknown columns
 * are dropped; declared columns missing from the file (allowed when not required) are NULL.
 *
 * `rejects`: `store` keeps the lines the reader rejects in `REJECTS_TABLE` (the staging pass); `ignore` skips them
 * (the quarantine pass, which already has them).
 */
export function readerSql(input: IngestSqlInput, rejects: 'store' | 'ignore' = 'store'): string {
  const { spec, header, inputPath } = input;
  const rejectOptions =
    rejects === 'store' ? ['store_rejects = true', `rejects_table = '${REJECTS_TABLE}'`, `rejects_scan = '${REJECTS_TABLE}_scan'`] : ['ignore_errors = true'];
  const byName = new Map(spec.contract.columns.map((c) => [c.name, c]));
  if (spec.source.format === 'csv') {
    const csv = spec.source.csv;
    const enums = new Set(enumColumns(spec.contract.columns).map((c) => c.name));
    const strict = header.flatMap((name) => {
      const column = byName.get(name);
      return column && castByRules(column, 'csv') ? [column] : [];
    });
    const columnTypes = header
      .map((name, index) => {
        const column = byName.get(name);
        if (!column) return `${quoteLiteral(`_unknown_${index}`)}: 'VARCHAR'`;
        if (castByRules(column, 'csv')) return `${quoteLiteral(`${name}__raw`)}: 'VARCHAR'`;
        return `${quoteLiteral(name)}: '${enums.has(name) ? enumTypeName(name) : sqlType(column.type)}'`;
      })
      .join(', ');
    const options = [
      `header = ${csv.header ? 'true' : 'false'}`,
      'auto_detect = false',
      // Raw files live under ingest_date=… folders: those are not columns of the file.
      'hive_partitioning = false',
      `delim = ${quoteLiteral(csv.delimiter)}`,
      `quote = ${quoteLiteral(csv.quote)}`,
      `escape = ${quoteLiteral(csv.escape)}`,
      `nullstr = [${csv.nullValues.map(quoteLiteral).join(', ')}]`,
      `columns = {${columnTypes}}`,
      ...rejectOptions,
    ];
    const read = `read_csv(${quoteLiteral(inputPath)}, ${options.join(', ')})`;
    if (strict.length === 0) return read;
    const casts = strict.map((c) => `${strictCastSql(rawColumn(c.name), c.type)} AS ${quoteIdentifier(c.name)}`);
    return `(SELECT *, ${casts.join(', ')} FROM ${read})`;
  }
  const lines = jsonLinesSql(inputPath, rejectOptions);
  const recordOk = `CASE WHEN json_valid(line) THEN json_type(line) = 'OBJECT' ELSE FALSE END`;
  const columns = spec.contract.columns
    .filter((c) => header.includes(c.name))
    .flatMap((c) => {
      const key = input.sourceNames?.get(c.name) ?? c.name;
      const raw = `json_extract_string(CASE WHEN ${RECORD_OK_COLUMN} THEN ${LINE_COLUMN} END, ${quoteLiteral(jsonPointer(key))})`;
      const typed = c.type === 'string' ? raw : strictCastSql(raw, c.type);
      return [`${typed} AS ${quoteIdentifier(c.name)}`, `${raw} AS ${rawColumn(c.name)}`];
    });
  return `(SELECT ${[...columns, LINE_COLUMN, RECORD_OK_COLUMN].join(', ')} FROM (SELECT line AS ${LINE_COLUMN}, ${recordOk} AS ${RECORD_OK_COLUMN} FROM ${lines}) WHERE trim(${LINE_COLUMN}) <> '')`;
}

/**
 * Reads a JSON Lines file as one text column `line`, one row per line, so that each line is judged alone: a malformed
 * line is a row to quarantine, not a file that cannot be read.
 */
export function jsonLinesSql(inputPath: string, rejectOptions: readonly string[] = ['ignore_errors = true']): string {
  return [
    `read_csv(${quoteLiteral(inputPath)}`,
    'header = false',
    'auto_detect = false',
    'hive_partitioning = false',
    `columns = {'line': 'VARCHAR'}`,
    `delim = ${quoteLiteral(NO_DELIMITER)}`,
    `quote = ''`,
    `escape = ''`,
    `${rejectOptions.join(', ')})`,
  ].join(', ');
}

/** A JSON pointer to a top-level key: no key can be mistaken for a JSONPath (`$x`) this way. */
function jsonPointer(key: string): string {
  return `/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
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
 * What a line the reader rejected broke, in the user's words: `tenure: "abc" is not an integer`, `the line has 6
 * values where the header has 8 columns`, rather than DuckDB's cast and column-count messages.
 */
export function rejectReasonSql(input: IngestSqlInput): string {
  if (input.spec.source.format === 'jsonl') return quoteLiteral('not a JSON Lines record (a control character, or a line longer than 2 MB)');
  const byName = new Map(input.spec.contract.columns.map((c) => [c.name, c]));
  const described = input.header
    .map((name) => byName.get(name))
    .filter((c) => c !== undefined)
    .map((c) => {
      const what = c.type === 'string' && c.allowed ? `one of ${c.allowed.map((v) => JSON.stringify(String(v))).join(', ')}` : TYPE_DESCRIPTIONS[c.type];
      return `WHEN ${quoteLiteral(c.name)} THEN ${quoteLiteral(what)}`;
    });
  const expected = input.spec.source.csv.header ? 'the header has' : 'the contract has';
  const value = `CAST(to_json(regexp_extract(error_message, 'Could not convert string "(.*)" to ''', 1)) AS VARCHAR)`;
  const counts = `'the line has ' || regexp_extract(error_message, 'Found: ([0-9]+)', 1) || ' values where ${expected} ' || regexp_extract(error_message, 'Expected Number of Columns: ([0-9]+)', 1) || ' columns'`;
  return [
    'CASE error_type',
    `WHEN 'CAST' THEN column_name || ': ' || ${value} || ' is not ' || ${described.length > 0 ? `CASE column_name ${described.join(' ')} ELSE 'valid' END` : `'valid'`}`,
    `WHEN 'MISSING COLUMNS' THEN ${counts}`,
    `WHEN 'TOO MANY COLUMNS' THEN ${counts}`,
    `WHEN 'UNQUOTED VALUE' THEN 'a value holds a quote character but is not quoted'`,
    `WHEN 'INVALID UNICODE' THEN 'the line is not valid UTF-8'`,
    `WHEN 'LINE SIZE OVER MAXIMUM' THEN 'the line is longer than 2 MB'`,
    // A reject of a kind DuckDB adds later keeps DuckDB's words rather than none.
    `ELSE split_part(error_message, chr(10), 1) END`,
  ].join(' ');
}

/**
 * Gathers the quarantined rows into one Parquet file: lines the reader rejected (with their line number and text),
 * and rows that broke a contract rule, found by reading the file a second time (only when there are such rows) so
 * that each message can quote the value as it was in the file.
 */
export function quarantineCopySql(input: IngestSqlInput, options: { hasRuleViolations: boolean; hasRejects: boolean; outputPath: string }): string {
  const parts: string[] = [];
  if (options.hasRejects) {
    parts.push(
      // DuckDB reports a short line once per missing column: its first report gives the line's real count.
      `SELECT CAST(line AS BIGINT) AS source_line, any_value(csv_line) AS record, string_agg(${rejectReasonSql(input)}, '; ' ORDER BY column_idx) AS errors FROM (SELECT * FROM ${REJECTS_TABLE} QUALIFY error_type NOT IN ('MISSING COLUMNS', 'TOO MANY COLUMNS') OR row_number() OVER (PARTITION BY line, error_type ORDER BY column_idx) = 1) GROUP BY line`,
    );
  }
  if (options.hasRuleViolations) {
    const record =
      input.spec.source.format === 'jsonl'
        ? LINE_COLUMN
        : `CAST(to_json({${input.spec.contract.columns
            .map((c) => {
              const value = !input.header.includes(c.name) ? 'NULL' : castByRules(c, 'csv') ? rawColumn(c.name) : quoteIdentifier(c.name);
              return `${quoteLiteral(c.name)}: ${value}`;
            })
            .join(', ')}}) AS VARCHAR)`;
    parts.push(
      `SELECT CAST(NULL AS BIGINT) AS source_line, ${record} AS record, ${rowMessagesExpression(input.rules)} AS errors FROM ${readerSql(input, 'ignore')} WHERE ${violationsExpression(input.rules)} IS NOT NULL`,
    );
  }
  return `COPY (${parts.join(' UNION ALL ')} ORDER BY source_line NULLS LAST) TO ${quoteLiteral(options.outputPath)} (FORMAT parquet)`;
}
