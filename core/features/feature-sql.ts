import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TerminalStepError } from '../errors.js';
import type { PipelineSpec } from '../spec/load-spec.js';
import type { ColumnType } from '../spec/schema.js';
import { isSignificant, nextSignificant, tokenizeSql } from '../sql/trino-compat-lexer.js';
import type { SqlToken } from '../sql/trino-compat-lexer.js';
import { numberLiteral, quoteIdentifier, quoteLiteral } from '../sql/quote.js';
import { channelSelectSql } from '../text/channel-line.js';

/** A features.sql that cannot be wrapped: not one SELECT, or not over the pipeline's table. */
export class InvalidFeatureQueryError extends TerminalStepError {
  public override readonly name = 'InvalidFeatureQueryError';
}

/** The two feature sets a run produces. */
export type FeatureSplit = 'train' | 'validation';

/** Resolution of the split hash: keys fall into one of this many buckets. */
const SPLIT_BUCKETS = 1000;

/** Reads the pipeline's feature query and checks it is one SELECT over its table. */
export function readFeatureQuery(spec: PipelineSpec, table: string): string {
  if (!spec.features) throw new InvalidFeatureQueryError(`${spec.file}: the pipeline has no features section`);
  const file = path.resolve(spec.dir, spec.features.query);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InvalidFeatureQueryError(`${file}: cannot read the feature query`, { cause: error });
  }
  return checkFeatureQuery(text, table, file);
}

/** Checks a feature query's shape; returns it without a trailing semicolon. */
export function checkFeatureQuery(text: string, table: string, where: string): string {
  const tokens = tokenizeSql(text).filter(isSignificant);
  while (tokens.length > 0 && tokens[tokens.length - 1]?.text === ';') tokens.pop();
  const first = tokens[0]?.text.toLowerCase();
  if (first !== 'select' && first !== 'with') throw new InvalidFeatureQueryError(`${where}: must be one SELECT (or WITH … SELECT); it starts with "${tokens[0]?.text ?? ''}"`);
  if (tokens.some((t) => t.text === ';')) throw new InvalidFeatureQueryError(`${where}: must hold one statement; found a ";" inside`);
  const words = tokens.filter((t) => t.kind === 'word' || t.kind === 'quoted').map((t) => t.text.replaceAll('"', '').toLowerCase());
  if (!words.includes(table)) throw new InvalidFeatureQueryError(`${where}: must select from the pipeline's table "${table}"`);
  const trimmed = text.trim();
  return trimmed.endsWith(';') ? trimmed.slice(0, trimmed.lastIndexOf(';')).trim() : trimmed;
}

/** Words that end an expression rather than alias it (`CASE … END`, a literal). */
const NOT_AN_ALIAS = new Set(['end', 'null', 'true', 'false', 'and', 'or', 'not', 'is', 'in', 'between', 'like', 'then', 'else', 'when', 'distinct']);

type Token = ReturnType<typeof tokenizeSql>[number];

/** The items of the outer SELECT list (the last SELECT at depth 0, after any `WITH … AS (…)`), as token lists. */
function selectItems(query: string): Token[][] {
  const tokens = tokenizeSql(query).filter(isSignificant);
  let depth = 0;
  let start = -1;
  for (const [i, token] of tokens.entries()) {
    if (token.text === '(') depth++;
    else if (token.text === ')') depth--;
    else if (depth === 0 && token.text.toLowerCase() === 'select') {
      start = i + 1;
      break;
    }
  }
  if (start < 0) return [];
  const items: Token[][] = [[]];
  depth = 0;
  for (let i = start; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === undefined) break;
    const word = token.text.toLowerCase();
    if (depth === 0 && (word === 'from' || word === 'union' || word === 'order' || word === 'limit')) break;
    if (token.text === '(') depth++;
    else if (token.text === ')') depth--;
    if (depth === 0 && token.text === ',') items.push([]);
    else items.at(-1)?.push(token);
  }
  const first = items[0]?.[0]?.text.toLowerCase();
  if (first === 'distinct' || first === 'all') items[0]?.shift();
  return items;
}

/**
 * The table columns the label (the query's first column) is computed from: the contract columns its expression
 * names (`IF(churn = 'Yes', 1, 0) AS label` → `churn`). A split on them, or stratification, uses these.
 */
export function labelSourceColumns(query: string, contractColumns: readonly string[]): string[] {
  const item = selectItems(query)[0] ?? [];
  const asAt = item.findIndex((t) => t.text.toLowerCase() === 'as' && item.indexOf(t) === item.length - 2);
  const expression = asAt >= 0 ? item.slice(0, asAt) : item;
  const known = new Set(contractColumns);
  const names = expression
    .filter((t) => t.kind === 'word' || t.kind === 'quoted')
    .map((t) => (t.kind === 'quoted' ? t.text.slice(1, -1) : t.text.toLowerCase()))
    .filter((name) => known.has(name));
  return [...new Set(names)];
}

/**
 * The names of the columns a feature query returns, in order, as Athena names them: the alias (`… AS name` or
 * `… name`), a column's own name (`t.tenure` → `tenure`), `_col<i>` for an unnamed expression, and the table's
 * columns (`contractColumns`) for `*`. The first is the label; the rest are the model's features, recorded with the
 * model so that `sluice predict` finds them by header name. Read from the query's text, the same in both runtimes.
 */
export function featureColumnNames(query: string, contractColumns: readonly string[]): string[] {
  const items = selectItems(query);
  return items.flatMap((item, i) => {
    const last = item.at(-1);
    const before = item.at(-2);
    if (last === undefined) return [];
    if (last.text === '*') return before?.text === '.' || item.length === 1 ? [...contractColumns] : [`_col${i}`];
    const name = last.kind === 'quoted' ? last.text.slice(1, -1).replaceAll('""', '"') : last.text;
    const isName = last.kind === 'quoted' || (last.kind === 'word' && !NOT_AN_ALIAS.has(name.toLowerCase()));
    // A lone column, `t.column`, `… AS name` or `… name` (an implicit alias after a complete expression).
    if (isName && (item.length === 1 || before?.text === '.' || before?.text.toLowerCase() === 'as' || (before !== undefined && (before.text === ')' || before.kind !== 'symbol')))) {
      return [last.kind === 'quoted' ? name : name.toLowerCase()];
    }
    return [`_col${i}`];
  });
}

/**
 * A SQL expression giving each row a bucket in [0, 1000) from an md5 of its split key: deterministic, and computed
 * the same way by Athena and by the local engine (whose compatibility layer gives md5/to_utf8/from_base Trino's
 * meaning), so the same rows land in the same set in both.
 */
export function splitBucketExpression(keys: readonly string[]): string {
  const parts = keys.map((k) => `coalesce(CAST(${quoteIdentifier(k)} AS varchar), '')`).join(', ');
  return `(from_base(substr(to_hex(md5(to_utf8(concat_ws('|', ${parts})))), 1, 8), 16) % ${SPLIT_BUCKETS})`;
}

/** A column of the pipeline's table, as the row-based split needs it. */
export interface TableColumn {
  name: string;
  type: ColumnType;
}

/** The name of the column that says which feature set a row belongs to: UNLOAD's partition column, last. */
export const SPLIT_COLUMN = 'split';
/** The helper column the narrowed table carries: the row's split, computed once per row of the table. */
const ROW_SPLIT = '__sluice_split';

/** How UNLOAD writes a feature set: the `format` and `compression` of its WITH clause. */
export interface UnloadFormat {
  format: 'PARQUET' | 'TEXTFILE';
  /** Parquet only: Athena's UNLOAD takes `gzip` or `snappy` for Parquet, and always gzips TEXTFILE. */
  compression?: 'SNAPPY' | 'GZIP';
  /**
   * TEXTFILE only: the user's query returns `label` and `text`, and what is written is one column of BlazingText
   * lines, `__label__<label> <text>` (`channelSelectSql` of core/text/channel-line.ts), in its stable hash order.
   */
  lines?: 'blazingtext';
}

/** What the wrapper needs to build the run's one UNLOAD. */
export interface FeatureUnloadInput {
  query: string;
  database: string;
  table: string;
  /** Columns hashed into buckets, rows of one key together; empty: a row-based split over `columns`. */
  splitKey: readonly string[];
  validationRatio: number;
  /** `s3://bucket/features/<pipeline>/<runId>/`: UNLOAD writes `split=train/` and `split=validation/` below it. */
  target: string;
  /** The table's columns in order: a `*` of the query stands for them, and the row-based split hashes them. */
  columns: readonly TableColumn[];
  /** Row-based split: columns whose values each get the validation share (the label's). */
  strata?: readonly string[];
  /** The channel format of the pipeline's algorithm (core/features/channel-format.ts). */
  output: UnloadFormat;
}

/** Column types whose text is the same in Athena and DuckDB (`CAST(x AS varchar)`), so both hash a row alike. */
const HASHABLE_TYPES: ReadonlySet<ColumnType> = new Set(['string', 'integer', 'boolean', 'date']);

/** What StartFeatureQuery passes for a spec's split: key, table columns, strata. */
export function splitSettings(spec: PipelineSpec): Pick<FeatureUnloadInput, 'splitKey' | 'columns' | 'strata'> {
  const features = spec.features;
  const partitions = ['ingest_date', ...spec.partitioning.columns];
  const columns: TableColumn[] = [
    ...spec.contract.columns.filter((c) => !partitions.includes(c.name)).map((c) => ({ name: c.name, type: c.type })),
    { name: 'ingest_date', type: 'date' },
    ...spec.partitioning.columns.map((name) => ({ name, type: spec.contract.columns.find((c) => c.name === name)?.type ?? 'string' })),
  ];
  const strata = features?.stratify === true && features.splitKey === undefined ? labelColumnsOf(spec) : [];
  return { splitKey: features?.splitKey ?? [], columns, strata };
}

function labelColumnsOf(spec: PipelineSpec): string[] {
  if (!spec.features) return [];
  try {
    return labelSourceColumns(readFileSync(path.resolve(spec.dir, spec.features.query), 'utf8'), spec.contract.columns.map((c) => c.name));
  } catch {
    return [];
  }
}

/**
 * Problems of a spec's split, found at spec load: a split key that holds the label's column (every row of one label
 * value would land on one side: a model trained without the other), and stratification asked for a keyed split
 * (rows of one key must stay together, which stratifying by label would break) or for a label read from no column.
 */
export function splitProblems(
  spec: { features?: { query: string; splitKey?: readonly string[] | undefined; stratify: boolean } | undefined; contract: { columns: readonly { name: string }[] } },
  dir: string,
): string[] {
  const features = spec.features;
  if (!features) return [];
  let query: string;
  try {
    query = readFileSync(path.resolve(dir, features.query), 'utf8');
  } catch {
    // A missing query file is reported when the features run; the split settings alone are still checked.
    return features.stratify && features.splitKey ? ['features.stratify: a keyed split (splitKey) keeps each key\'s rows together and cannot be stratified; remove one of them'] : [];
  }
  const label = labelSourceColumns(query, spec.contract.columns.map((c) => c.name));
  const problems: string[] = [];
  (features.splitKey ?? []).forEach((key, index) => {
    if (label.includes(key)) {
      problems.push(
        `features.splitKey.${index}: "${key}" is the label's column (the first column of ${features.query} reads it); ` +
          'a split on the label puts each label value on one side only. Split on an id, or remove splitKey for a row-based split',
      );
    }
  });
  if (features.stratify && features.splitKey) {
    problems.push("features.stratify: a keyed split (splitKey) keeps each key's rows together and cannot be stratified; remove one of them");
  } else if (features.stratify && label.length === 0) {
    problems.push(`features.stratify: the first column of ${features.query} (the label) reads no contract column to stratify by`);
  }
  return problems;
}

/**
 * Wraps the user's SELECT into the run's one UNLOAD: the table is read once, each row gets its split once, and Athena
 * writes both feature sets from that one scan, `<target>split=train/` and `<target>split=validation/`.
 *
 * - The reference to the pipeline's table in the outer query's FROM (`FROM churn`, `JOIN churn c`) becomes a subquery
 *   of the table's columns plus the row's split (`__sluice_split`): the md5 bucket of the spec's key columns, or the
 *   row-based split's rank; the user's query runs unchanged over it.
 * - The outer SELECT list gets the split as its last column, `split` (UNLOAD: "make sure that the names of the
 *   partitioned columns are last in your list of columns"; partition columns are not written into the files), a
 *   `GROUP BY` gets it too (groups never mix the sets), and a `*` over the table stands for the table's columns so the
 *   helper column never becomes a feature.
 * - `WITH (format = 'PARQUET', compression = 'SNAPPY', partitioned_by = ARRAY['split'])` for XGBoost, whose 1.7-1
 *   container reads `application/x-parquet` (core/features/channel-format.ts); the format is the algorithm's choice.
 *
 * The statement has the one shape Athena's UNLOAD documents, `UNLOAD (SELECT col_name[, ...] FROM old_table) TO …`
 * (https://docs.aws.amazon.com/athena/latest/ug/unload.html, awsdocs/amazon-athena-user-guide doc_source/unload.md):
 * `SELECT * FROM (<the user's query>)`. A subquery in FROM is a full query, WITH clause included
 * (https://docs.aws.amazon.com/athena/latest/ug/select.html). The table is rewritten token by token (core/sql's lexer),
 * so strings, quoted names and comments that spell the table's name are left alone. The query must read the table
 * once, in its outer FROM: a CTE or subquery reading it would hide the split column (refused, with what to write).
 */
export function featureUnloadSql(input: FeatureUnloadInput): string {
  const source = `${quoteIdentifier(input.database)}.${quoteIdentifier(input.table)}`;
  const list = input.columns.map((c) => quoteIdentifier(c.name)).join(', ');
  if (list === '') throw new InvalidFeatureQueryError("the feature query wrapper needs the table's columns");
  const rows = `SELECT ${list}, ${splitExpression(input)} AS ${quoteIdentifier(ROW_SPLIT)} FROM ${source}`;
  const split = withSplitColumn(narrowTable(input.query, input.table, rows), input.table, input.columns);
  // Text: the split passes through the line wrapper, still last (UNLOAD's partition column rule).
  const select = input.output.lines === 'blazingtext' ? channelSelectSql(split, 'label', 'text', [SPLIT_COLUMN]) : split;
  const options = [`format = '${input.output.format}'`];
  if (input.output.compression) options.push(`compression = '${input.output.compression}'`);
  // One column of lines needs no delimiter (Athena's default, \001, never appears between fields).
  if (input.output.format === 'TEXTFILE' && input.output.lines === undefined) options.push("field_delimiter = ','");
  options.push(`partitioned_by = ARRAY['${SPLIT_COLUMN}']`);
  // Text: the line query is itself a plain SELECT … FROM (…) with its ORDER BY at the top, where Trino keeps it (an
  // ORDER BY inside a subquery without LIMIT is dropped, Trino docs, "ORDER BY clause").
  const body = input.output.lines === 'blazingtext' ? select : `SELECT * FROM (\n${select}\n)`;
  return `UNLOAD (${body}) TO ${quoteLiteral(input.target)} WITH (${options.join(', ')})`;
}

/**
 * The row's split, `'train'` or `'validation'`. Keyed: the md5 bucket of the key columns against the cut. Row-based:
 * rows ordered by an md5 of their values (string, integer, boolean and date columns, whose text both engines write
 * alike), the first `round(n * validationRatio)` of each stratum to validation. Both are the same rows in Athena and
 * DuckDB, and the same on every re-run of the same data.
 */
function splitExpression(input: FeatureUnloadInput): string {
  if (input.splitKey.length > 0) {
    const cut = Math.round(SPLIT_BUCKETS * (1 - input.validationRatio));
    return `CASE WHEN ${splitBucketExpression(input.splitKey)} < ${numberLiteral(cut)} THEN 'train' ELSE 'validation' END`;
  }
  const hashed = input.columns.filter((c) => HASHABLE_TYPES.has(c.type)).map((c) => `coalesce(CAST(${quoteIdentifier(c.name)} AS varchar), '')`);
  const hash = `to_hex(md5(to_utf8(concat_ws('|', ${hashed.length > 0 ? hashed.join(', ') : "''"}))))`;
  const strata = (input.strata ?? []).map(quoteIdentifier).join(', ');
  const partition = strata === '' ? '' : `PARTITION BY ${strata} `;
  const rank = `row_number() OVER (${partition}ORDER BY ${hash})`;
  const size = `count(*) OVER (${partition.trim()})`;
  return `CASE WHEN ${rank} <= round(${size} * ${numberLiteral(input.validationRatio)}) THEN 'validation' ELSE 'train' END`;
}

/** Words that end the outer SELECT list or a GROUP BY list at depth 0. */
const END_OF_GROUP_BY = new Set(['having', 'order', 'limit', 'offset', 'fetch', 'window', 'union', 'except', 'intersect']);

/** Where the clauses of a query's outer SELECT start, as token indexes (-1 when absent). */
export interface OuterSelect {
  /** The last SELECT at depth 0 (after any `WITH … AS (…)`). */
  selectAt: number;
  /** Its FROM. */
  fromAt: number;
  /** The BY of its GROUP BY. */
  groupByAt: number;
  /** The word that ends its GROUP BY (HAVING, ORDER, LIMIT, …). */
  groupEnd: number;
  /** UNION, EXCEPT or INTERSECT at depth 0, when the query combines queries. */
  setOperator?: string;
}

/** Finds the clauses of the outer SELECT of a tokenized query: what the split and the scoring rewrites edit. */
export function outerSelect(tokens: readonly SqlToken[]): OuterSelect {
  let depth = 0;
  const found: OuterSelect = { selectAt: -1, fromAt: -1, groupByAt: -1, groupEnd: -1 };
  let previousWord: string | undefined;
  for (const [i, token] of tokens.entries()) {
    if (!isSignificant(token)) continue;
    if (token.text === '(') depth++;
    else if (token.text === ')') depth--;
    if (depth !== 0) continue;
    const word = token.kind === 'word' ? token.text.toLowerCase() : undefined;
    if (word === 'union' || word === 'except' || word === 'intersect') found.setOperator ??= word;
    if (word === 'select') found.selectAt = i;
    else if (word === 'from' && found.selectAt >= 0 && found.fromAt < found.selectAt) found.fromAt = i;
    else if (word === 'by' && found.groupByAt < 0 && found.fromAt >= 0 && previousWord === 'group') found.groupByAt = i;
    else if (word !== undefined && found.groupByAt >= 0 && found.groupEnd < 0 && END_OF_GROUP_BY.has(word)) found.groupEnd = i;
    previousWord = token.text.toLowerCase();
  }
  return found;
}

/**
 * The outer query with the row's split as its last column (and in its GROUP BY), and any `*` or `<table>.*` of its
 * SELECT list spelled as the table's columns. The outer query is the last SELECT at depth 0 (after a WITH).
 */
function withSplitColumn(query: string, table: string, columns: readonly TableColumn[]): string {
  const tokens = tokenizeSql(query);
  const { selectAt, fromAt, groupByAt, groupEnd, setOperator } = outerSelect(tokens);
  if (setOperator !== undefined) {
    throw new InvalidFeatureQueryError(`the feature query combines queries with ${setOperator.toUpperCase()}: write one SELECT over ${table} (a WITH clause may prepare other tables)`);
  }
  // Not a SELECT … FROM: left as it is, for the spec check (checkFeatureQuery) and the engine's own guards to refuse.
  if (selectAt < 0 || fromAt < selectAt) return query;
  const out = tokens.map((t) => t.text);
  const star = columns.map((c) => quoteIdentifier(c.name)).join(', ');
  for (let i = selectAt + 1; i < fromAt; i++) {
    const token = tokens[i];
    if (token?.text !== '*') continue;
    const before = tokens.slice(0, i).filter(isSignificant);
    const previous = before.at(-1);
    if (previous?.text === '.') {
      const qualifier = before.at(-2);
      if (qualifier !== undefined && isTableName(qualifier, table)) out[i] = columns.map((c) => quoteIdentifier(c.name)).join(`, ${qualifier.text}.`);
    } else if (previous?.text === ',' || previous?.text.toLowerCase() === 'select' || previous?.text.toLowerCase() === 'distinct' || previous?.text.toLowerCase() === 'all') {
      out[i] = star;
    }
  }
  const split = `${quoteIdentifier(ROW_SPLIT)} AS ${quoteIdentifier(SPLIT_COLUMN)}`;
  // The newline ends a trailing `--` comment of the last select item before the added column.
  out[fromAt] = `\n, ${split}\n${out[fromAt] ?? 'FROM'}`;
  if (groupByAt >= 0) {
    const at = groupEnd >= 0 ? groupEnd : out.length;
    if (at === out.length) out.push(`\n, ${quoteIdentifier(ROW_SPLIT)}`);
    else out[at] = `\n, ${quoteIdentifier(ROW_SPLIT)}\n${out[at] ?? ''}`;
  }
  return out.join('');
}

/** Words that start the clause after a FROM list: a table reference followed by one of them has no alias. */
const AFTER_FROM_ITEM = new Set([
  'where', 'group', 'having', 'order', 'limit', 'offset', 'fetch', 'union', 'except', 'intersect', 'window', 'join', 'inner',
  'left', 'right', 'full', 'cross', 'natural', 'on', 'using', 'tablesample', 'for', 'match_recognize',
]);
/** Words that end a FROM list at their depth (a comma after them no longer separates tables). */
const END_OF_FROM = new Set(['where', 'group', 'having', 'order', 'limit', 'offset', 'fetch', 'union', 'except', 'intersect', 'window', 'select']);

/**
 * `query` with every reference to `table` in a FROM list (after FROM, JOIN or a FROM list's comma; not `x.table`,
 * not `table.column`, not `table(…)`) replaced by `(<rows>) AS table`, or by `(<rows>)` when the user gave it an
 * alias. Every other token comes back byte for byte. Fails on a reference it cannot narrow (`FROM db.table`), and when
 * the query names the table but reads it nowhere in a FROM list: either would read the whole table, both splits. A
 * query that never names the table is left to the spec check (checkFeatureQuery) and to the engine's own guards.
 */
export function narrowTable(query: string, table: string, rows: string): string {
  const tokens = tokenizeSql(query);
  // Whether each parenthesis depth is inside a FROM list, so a comma there separates tables, not select items.
  const inFrom: boolean[] = [false];
  let previous: SqlToken | undefined;
  let beforePrevious: SqlToken | undefined;
  let qualifierStart: string | undefined;
  let named = false;
  let replaced = 0;
  const out = tokens.map((token, index) => {
    if (!isSignificant(token)) return token.text;
    const depth = inFrom.length - 1;
    const word = token.kind === 'word' ? token.text.toLowerCase() : undefined;
    let text = token.text;
    if (token.text === '(') inFrom.push(false);
    else if (token.text === ')') inFrom.length = Math.max(1, inFrom.length - 1);
    else if (word === 'from') inFrom[depth] = true;
    else if (word !== undefined && END_OF_FROM.has(word)) inFrom[depth] = false;
    else if (isTableName(token, table)) {
      named = true;
      const before = previous?.text.toLowerCase();
      if (before === '.' && beforePrevious?.kind !== 'symbol' && (qualifierStart === 'from' || qualifierStart === 'join' || (qualifierStart === ',' && inFrom[depth] === true))) {
        throw new InvalidFeatureQueryError(`the feature query reads the table qualified ("${beforePrevious?.text ?? ''}.${table}"); write FROM ${table} so that Sluice can narrow it to one split`);
      }
      const next = nextSignificant(tokens, index)?.token;
      const isReference = before === 'from' || before === 'join' || (before === ',' && inFrom[depth] === true);
      if (isReference && next?.text !== '.' && next?.text !== '(') {
        // One scan carries each row's split out through the outer query: a CTE or subquery reading the table (or a
        // second reference to it) would hide the split column or mix the sets.
        if (depth > 0) throw new InvalidFeatureQueryError(`the feature query reads "${table}" inside a subquery or WITH clause; read it in the outer SELECT's FROM (FROM ${table}), where Sluice adds each row's split`);
        if (replaced > 0) throw new InvalidFeatureQueryError(`the feature query reads "${table}" more than once; read it once, in the outer SELECT's FROM`);
        const nextWord = next?.kind === 'word' || next?.kind === 'quoted' ? next.text.toLowerCase() : undefined;
        const hasAlias = nextWord !== undefined && !AFTER_FROM_ITEM.has(nextWord);
        text = hasAlias ? `(${rows})` : `(${rows}) AS ${quoteIdentifier(table)}`;
        replaced++;
      }
    }
    // The token before a `qualifier.` (FROM, JOIN or a comma), to spot `FROM db.table`.
    qualifierStart = token.text === '.' ? beforePrevious?.text.toLowerCase() : qualifierStart;
    beforePrevious = previous;
    previous = token;
    return text;
  });
  if (named && replaced === 0) throw new InvalidFeatureQueryError(`the feature query must read the pipeline's table "${table}" in a FROM or JOIN (FROM ${table})`);
  return out.join('');
}

function isTableName(token: SqlToken, table: string): boolean {
  if (token.kind === 'word') return token.text.toLowerCase() === table;
  return token.kind === 'quoted' && token.text.startsWith('"') && token.text.slice(1, -1).replaceAll('""', '"') === table;
}

/** The parts of an UNLOAD statement Sluice wrote, for the local engine: the SELECT, the target and the WITH options. */
export interface ParsedUnload {
  select: string;
  target: string;
  /** `format`, `compression`, `field_delimiter`, lower-cased names, values as written. */
  options: Record<string, string>;
  /** `partitioned_by = ARRAY['…']`: the partition columns, last in the SELECT list. */
  partitionedBy: string[];
}

/** The parts of an UNLOAD statement Sluice wrote, for the local engine. */
export function parseUnload(sql: string): ParsedUnload | undefined {
  const match = /^\s*UNLOAD\s*\(([\s\S]*)\)\s*TO\s*'((?:[^']|'')*)'\s*WITH\s*\(([\s\S]*)\)\s*$/i.exec(sql);
  if (!match?.[1] || match[2] === undefined) return undefined;
  const withText = match[3] ?? '';
  const options: Record<string, string> = {};
  for (const option of withText.matchAll(/(\w+)\s*=\s*'((?:[^']|'')*)'/g)) {
    if (option[1] !== undefined && option[2] !== undefined) options[option[1].toLowerCase()] = option[2].replaceAll("''", "'");
  }
  const partitioned = /partitioned_by\s*=\s*ARRAY\s*\[([^\]]*)\]/i.exec(withText)?.[1] ?? '';
  const partitionedBy = [...partitioned.matchAll(/'((?:[^']|'')*)'/g)].map((m) => (m[1] ?? '').replaceAll("''", "'"));
  return { select: match[1], target: match[2].replaceAll("''", "'"), options, partitionedBy };
}
