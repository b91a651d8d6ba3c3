import type { PipelineSpec } from '../spec/load-spec.js';
import { quoteIdentifier, quoteLiteral } from '../sql/quote.js';
import type { ContractRule } from './contract-rules.js';
import {
  RECORD_OK_COLUMN,
  castByRules,
  enumColumns,
  enumTypeName,
  rawColumn,
  rowMessagesExpression,
  sqlType,
  strictCastSql,
  violationsExpression,
} from './contract-rules.js';
import { TYPE_DESCRIPTIONS } from './type-descriptions.js';

/** The column of the classified rows naming the rules a row broke (NULL for a good row). */
export const VIOLATIONS_KEY = '_violations';
/** The temporary table holding every row read, typed and judged (see `classifySql`). */
export const CLASSIFIED_TABLE = 'sluice_classified';
const RECORD_COLUMN = '"_record"';
const ERRORS_COLUMN = '"_errors"';
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
 * The lines the reader rejects are kept in `REJECTS_TABLE`.
 */
export function readerSql(input: IngestSqlInput): string {
  const { spec, header, inputPath } = input;
  const rejectOptions = ['store_rejects = true', `rejects_table = '${REJECTS_TABLE}'`, `rejects_scan = '${REJECTS_TABLE}_scan'`];
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
 * The one read of the file: every row, typed and judged, into a temporary table, which DuckDB spills (compressed) to its
 * temp directory past its memory limit. A row's broken rules are `_violations` (NULL for a good row); a bad row also
 * keeps its quarantine record, quoting its values as they were in the file, and its messages, so that neither the
 * curated nor the quarantine output has to read the file again. Measured on the 1 GB bench file (issue 16): 41 CPU
 * seconds, 49 s and 1,156 MB peak RSS with a 1 GB limit (268 MB spilled); a table in an attached database file was
 * smaller (500 MB RSS) but 40% slower, its compressed checkpoint writing on fewer threads. Reading a file is most of an ingest's cost: a second read for
 * a few bad rows cost 1.6 times the first (measured in bench/ingest, issue 16).
 */
export function classifySql(input: IngestSqlInput): string {
  const violations = quoteIdentifier(VIOLATIONS_KEY);
  const bad = `${violations} IS NOT NULL`;
  return [
    `CREATE TEMP TABLE ${CLASSIFIED_TABLE} AS SELECT ${projectedColumns(input)}, ${violations},`,
    `CASE WHEN ${bad} THEN ${quarantineRecordSql(input)} END AS ${RECORD_COLUMN},`,
    // Messages only for bad rows: CASE evaluates its branch on the rows it selects.
    `CASE WHEN ${bad} THEN ${rowMessagesExpression(input.rules)} END AS ${ERRORS_COLUMN}`,
    `FROM (SELECT *, ${violationsExpression(input.rules)} AS ${violations} FROM ${readerSql(input)})`,
  ].join(' ');
}

/**
 * Writes the good rows of {@link classifySql}'s table to `stagingDir`, partitioned by ingest date then by the spec's
 * partition columns, with file names derived from the source hash so that a re-run replaces its own files.
 */
export function curatedCopySql(input: IngestSqlInput): string {
  const partitionKeys = ['ingest_date', ...input.spec.partitioning.columns].map((k) => quoteIdentifier(k));
  const columns = input.spec.contract.columns.map((c) => quoteIdentifier(c.name));
  const select = [...columns, `CAST(${quoteLiteral(input.ingestDate)} AS VARCHAR) AS "ingest_date"`].join(', ');
  return [
    `COPY (SELECT ${select} FROM ${CLASSIFIED_TABLE} WHERE ${quoteIdentifier(VIOLATIONS_KEY)} IS NULL)`,
    `TO ${quoteLiteral(input.stagingDir)}`,
    // RETURN_STATS: each file's column statistics come back with the write (min, max, nulls; DuckDB COPY statement,
    // "RETURN_STATS"), so the data-quality profile knows every number's range without reading the rows for it.
    `(FORMAT parquet, COMPRESSION zstd, PARTITION_BY (${partitionKeys.join(', ')}), FILENAME_PATTERN ${quoteLiteral(`part-${input.sourceHash}-{i}`)}, OVERWRITE_OR_IGNORE true, RETURN_STATS true)`,
  ].join(' ');
}

/**
 * Each column's smallest and largest value over every file {@link curatedCopySql} wrote, from the statistics the write
 * returned (one row per file, `column_statistics`: quoted column name → min, max, null_count, has_nan…, as text). A
 * column missing from every file's statistics (a partition column, or one with no value) or holding a NaN is left out.
 */
export function curatedColumnRanges(rows: readonly Record<string, unknown>[]): Map<string, { min: number; max: number }> {
  const ranges = new Map<string, { min: number; max: number }>();
  const poisoned = new Set<string>();
  for (const row of rows) {
    for (const [quoted, stats] of mapPairs(row.column_statistics)) {
      const name = quoted.startsWith('"') && quoted.endsWith('"') ? quoted.slice(1, -1).replaceAll('""', '"') : quoted;
      const byKey = new Map(mapPairs(stats).map(([k, v]) => [k, v]));
      const min = Number(byKey.get('min'));
      const max = Number(byKey.get('max'));
      if (byKey.get('has_nan') === 'true') poisoned.add(name);
      if (!byKey.has('min') || !byKey.has('max') || !Number.isFinite(min) || !Number.isFinite(max)) continue;
      const seen = ranges.get(name);
      ranges.set(name, seen ? { min: Math.min(seen.min, min), max: Math.max(seen.max, max) } : { min, max });
    }
  }
  for (const name of poisoned) ranges.delete(name);
  return ranges;
}

/** A DuckDB MAP as the JSON row helpers give it (`[{ key, value }]`), as pairs; anything else is empty. */
function mapPairs(value: unknown): [string, unknown][] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry: unknown): [string, unknown][] =>
    typeof entry === 'object' && entry !== null && 'key' in entry && 'value' in entry ? [[String(entry.key), entry.value]] : [],
  );
}

/** The rows of {@link classifySql}'s table that kept the contract: what the data-quality profile describes. */
export const GOOD_ROWS_RELATION = `(SELECT * FROM ${CLASSIFIED_TABLE} WHERE ${quoteIdentifier(VIOLATIONS_KEY)} IS NULL)`;

/** Counts of {@link classifySql}'s table: rows read (besides the reader's rejects), and of those the bad ones. */
export const CLASSIFIED_COUNTS_SQL = `SELECT count(*) AS "read", count(${quoteIdentifier(VIOLATIONS_KEY)}) AS "broken" FROM ${CLASSIFIED_TABLE}`;

/** A row as the quarantine file shows it: JSON of its values as they were in the file (JSON Lines: the line). */
function quarantineRecordSql(input: IngestSqlInput): string {
  if (input.spec.source.format === 'jsonl') return LINE_COLUMN;
  const fields = input.spec.contract.columns.map((c) => {
    const value = !input.header.includes(c.name) ? 'NULL' : castByRules(c, 'csv') ? rawColumn(c.name) : quoteIdentifier(c.name);
    return `${quoteLiteral(c.name)}: ${value}`;
  });
  return `CAST(to_json({${fields.join(', ')}}) AS VARCHAR)`;
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
 * and rows that broke a contract rule, from {@link classifySql}'s table (their record and messages made as the file
 * was read).
 */
export function quarantineCopySql(
  input: IngestSqlInput,
  options: { hasRuleViolations: boolean; hasRejects: boolean; outputPath: string; setAsideBecause?: string },
): string {
  const parts: string[] = [];
  if (options.hasRejects) {
    parts.push(
      // DuckDB reports a short line once per missing column: its first report gives the line's real count.
      `SELECT CAST(line AS BIGINT) AS source_line, any_value(csv_line) AS record, string_agg(${rejectReasonSql(input)}, '; ' ORDER BY column_idx) AS errors FROM (SELECT * FROM ${REJECTS_TABLE} QUALIFY error_type NOT IN ('MISSING COLUMNS', 'TOO MANY COLUMNS') OR row_number() OVER (PARTITION BY line, error_type ORDER BY column_idx) = 1) GROUP BY line`,
    );
  }
  if (options.hasRuleViolations) {
    parts.push(
      `SELECT CAST(NULL AS BIGINT) AS source_line, ${RECORD_COLUMN} AS record, ${ERRORS_COLUMN} AS errors FROM ${CLASSIFIED_TABLE} WHERE ${quoteIdentifier(VIOLATIONS_KEY)} IS NOT NULL`,
    );
  }
  if (options.setAsideBecause !== undefined) {
    // A file the data-quality checks quarantine (docs/data-quality.md): its good rows join the bad ones, with the reason.
    const fields = input.spec.contract.columns.map((c) => `${quoteLiteral(c.name)}: ${quoteIdentifier(c.name)}`).join(', ');
    parts.push(
      `SELECT CAST(NULL AS BIGINT) AS source_line, CAST(to_json({${fields}}) AS VARCHAR) AS record, ${quoteLiteral(options.setAsideBecause)} AS errors FROM ${GOOD_ROWS_RELATION}`,
    );
  }
  return `COPY (${parts.join(' UNION ALL ')} ORDER BY source_line NULLS LAST) TO ${quoteLiteral(options.outputPath)} (FORMAT parquet)`;
}
