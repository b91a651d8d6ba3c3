import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TerminalStepError } from '../errors.js';
import type { PipelineSpec } from '../spec/load-spec.js';
import type { ColumnType } from '../spec/schema.js';
import { isSignificant, nextSignificant, tokenizeSql } from '../sql/trino-compat-lexer.js';
import type { SqlToken } from '../sql/trino-compat-lexer.js';
import { numberLiteral, quoteIdentifier, quoteLiteral } from '../sql/quote.js';

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

/** What the wrapper needs to build one split's UNLOAD. */
export interface FeatureUnloadInput {
  query: string;
  database: string;
  table: string;
  /** Columns hashed into buckets, rows of one key together; empty: a row-based split over `columns`. */
  splitKey: readonly string[];
  validationRatio: number;
  split: FeatureSplit;
  /** `s3://bucket/features/<pipeline>/<runId>/<split>/` */
  target: string;
  /** The table's columns in order (required for a row-based split: hashed, and listed so no helper column shows). */
  columns?: readonly TableColumn[];
  /** Row-based split: columns whose values each get the validation share (the label's). */
  strata?: readonly string[];
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
 * Wraps the user's SELECT for one split: each reference to the pipeline's table in a FROM clause (`FROM churn`,
 * `JOIN churn c`) becomes a subquery of only that split's rows under the table's name, so the user's query runs
 * unchanged over it; `UNLOAD` writes the result where SageMaker's XGBoost reads `text/csv`: no header, label first,
 * comma-separated. Athena always gzips TEXTFILE output (UNLOAD has no compression option for it), so the training
 * channels declare `CompressionType: Gzip` and use Pipe mode, the mode in which the XGBoost container reads
 * compressed CSV.
 *
 * The statement has the one shape Athena's UNLOAD documents, `UNLOAD (SELECT col_name[, ...] FROM old_table) TO …`
 * (https://docs.aws.amazon.com/athena/latest/ug/unload.html): `SELECT * FROM (<the user's query>)`. A subquery in
 * FROM is a full query, WITH clause included, in Athena's SELECT syntax (`from_item` is `( select )`, and `select`
 * starts with `[ WITH with_query ]`: https://docs.aws.amazon.com/athena/latest/ug/select.html), so a user's own WITH
 * stays inside it and never leads the UNLOAD. The table is rewritten token by token (core/sql's lexer), so strings,
 * quoted names and comments that spell the table's name are left alone.
 */
export function featureUnloadSql(input: FeatureUnloadInput): string {
  const source = `${quoteIdentifier(input.database)}.${quoteIdentifier(input.table)}`;
  let splitRows: string;
  if (input.splitKey.length > 0) {
    const cut = Math.round(SPLIT_BUCKETS * (1 - input.validationRatio));
    const predicate = `${splitBucketExpression(input.splitKey)} ${input.split === 'train' ? '<' : '>='} ${numberLiteral(cut)}`;
    splitRows = `SELECT * FROM ${source} WHERE ${predicate}`;
  } else {
    splitRows = rowSplitSelect(input, source);
  }
  const select = narrowTable(input.query, input.table, splitRows);
  return `UNLOAD (SELECT * FROM (\n${select}\n)) TO ${quoteLiteral(input.target)} WITH (format = 'TEXTFILE', field_delimiter = ',')`;
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
function narrowTable(query: string, table: string, rows: string): string {
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

/**
 * The row-based split: rows ordered by an md5 of their values (string, integer, boolean and date columns, whose text
 * both engines write alike), the first `round(n * validationRatio)` of each stratum to validation. The share is exact
 * (to a row per stratum), the same rows in Athena and DuckDB, and the same on every re-run of the same data.
 */
function rowSplitSelect(input: FeatureUnloadInput, source: string): string {
  const columns = input.columns ?? [];
  if (columns.length === 0) throw new InvalidFeatureQueryError('a row-based split needs the table\'s columns');
  const hashed = columns.filter((c) => HASHABLE_TYPES.has(c.type)).map((c) => `coalesce(CAST(${quoteIdentifier(c.name)} AS varchar), '')`);
  const hash = `to_hex(md5(to_utf8(concat_ws('|', ${hashed.length > 0 ? hashed.join(', ') : "''"}))))`;
  const strata = (input.strata ?? []).map(quoteIdentifier).join(', ');
  const partition = strata === '' ? '' : `PARTITION BY ${strata} `;
  const list = columns.map((c) => quoteIdentifier(c.name)).join(', ');
  const ratio = numberLiteral(input.validationRatio);
  const rank = `row_number() OVER (${partition}ORDER BY ${hash}) AS "__sluice_rank"`;
  const size = `count(*) OVER (${partition.trim()}) AS "__sluice_rows"`;
  const side = input.split === 'train' ? '>' : '<=';
  return `SELECT ${list} FROM (SELECT *, ${rank}, ${size} FROM ${source}) WHERE "__sluice_rank" ${side} round("__sluice_rows" * ${ratio})`;
}

/** The parts of an UNLOAD statement Sluice wrote, for the local engine. */
export function parseUnload(sql: string): { select: string; target: string } | undefined {
  const match = /^\s*UNLOAD\s*\(([\s\S]*)\)\s*TO\s*'((?:[^']|'')*)'\s*WITH\s*\(([\s\S]*)\)\s*$/i.exec(sql);
  if (!match?.[1] || match[2] === undefined) return undefined;
  return { select: match[1], target: match[2].replaceAll("''", "'") };
}
