/**
 * Trino (Athena) SQL on DuckDB: the local engine runs the feature query a pipeline will later run on Athena.
 *
 * Three parts:
 * 1. `installTrinoCompat(connection)` sets Athena's session semantics (UTC time zone, integer division) and
 *    creates `TRINO_COMPAT_MACROS`, temporary macros that give DuckDB the Trino functions it lacks.
 * 2. `translateTrinoSql(sql)` is a pre-pass for what a macro cannot do. A DuckDB built-in that shares a Trino
 *    function's name but not its meaning (`date_add`, `date_diff`, `element_at`, `regexp_replace`, ...) is left
 *    alone: the call sites are renamed to `trino_`-prefixed macros instead (DuckDB 1.5 lets a macro shadow a
 *    built-in, but that would change the built-in for every query on the connection, and `IF` is parsed by DuckDB
 *    itself so it cannot be shadowed at all). It also maps Trino `EXTRACT` fields and `TIMESTAMP '... zone'`
 *    literals. String literals, quoted identifiers and comments are never touched.
 * 3. `findUnsupportedTrinoFunctions` and `explainDuckDbError` turn "this only runs on Athena" into a named error
 *    (`UnsupportedSqlFunctionError`), and every other DuckDB failure into a `FeatureQueryError`.
 *
 * `runTrinoQuery` chains the three.
 */
import type { DuckDBConnection, DuckDBResultReader } from '@duckdb/node-api';
import { FeatureQueryError, UnsupportedSqlFunctionError } from './feature-query-errors.js';
import { prepareSingleStatement } from './single-statement.js';
import type { StatementConnection } from './single-statement.js';
import { findCallSites, isSignificant, nextSignificant, tokenizeSql } from './trino-compat-lexer.js';
import type { SqlToken } from './trino-compat-lexer.js';
import { TRINO_COMPAT_MACRO_DEFINITIONS, TRINO_PLAIN_RENAMES, createMacroStatement } from './trino-compat-macros.js';

export { FeatureQueryError, UnsupportedSqlFunctionError } from './feature-query-errors.js';
export type { FeatureQueryErrorOptions } from './feature-query-errors.js';

/** Session settings that make DuckDB evaluate like an Athena query: UTC session zone, `5 / 2 = 2`. */
export const TRINO_SESSION_SETTINGS: readonly string[] = [
  "SET SESSION TimeZone = 'UTC'",
  'SET SESSION integer_division = true',
];

/** The `CREATE OR REPLACE TEMP MACRO` statements, in the order `installTrinoCompat` runs them. */
export const TRINO_COMPAT_MACROS: readonly string[] = TRINO_COMPAT_MACRO_DEFINITIONS.map(createMacroStatement);

/**
 * Trino function name → the DuckDB name `translateTrinoSql` writes at its call sites, for every Trino function whose
 * name DuckDB already uses with another meaning.
 */
export const TRINO_RENAMED_FUNCTIONS: ReadonlyMap<string, string> = new Map([
  ...TRINO_COMPAT_MACRO_DEFINITIONS.flatMap(({ macro, trino }) =>
    trino !== undefined && trino !== macro ? [[trino, macro] as const] : [],
  ),
  ...TRINO_PLAIN_RENAMES,
]);

/** Every Trino function the local engine emulates with a macro or a rename (lower case, sorted). */
export const TRINO_EMULATED_FUNCTIONS: readonly string[] = [
  ...TRINO_COMPAT_MACRO_DEFINITIONS.flatMap(({ trino }) => (trino === undefined ? [] : [trino])),
  ...TRINO_PLAIN_RENAMES.keys(),
].sort();

/**
 * Trino functions known to have no equivalent in Sluice's local DuckDB engine: a query using one can run on Athena
 * only. `findUnsupportedTrinoFunctions` names them before execution.
 */
export const TRINO_UNSUPPORTED_FUNCTIONS: readonly string[] = [
  // Parsing and formatting with MySQL or Joda patterns, time zones, durations.
  'date_parse',
  'parse_datetime',
  'format_datetime',
  'with_timezone',
  'at_timezone',
  'from_unixtime_nanos',
  'from_iso8601_timestamp_nanos',
  'parse_duration',
  'human_readable_seconds',
  // Sketches and approximate structures.
  'approx_most_frequent',
  'approx_set',
  'numeric_histogram',
  'qdigest_agg',
  'tdigest_agg',
  'value_at_quantile',
  // Aggregates and lambdas DuckDB spells differently enough that no rename keeps Trino's meaning.
  'map_agg',
  'multimap_agg',
  'reduce_agg',
  'checksum',
  'zip_with',
  'map_zip_with',
  'map_filter',
  'transform_keys',
  'transform_values',
  'combinations',
  'ngrams',
  // Strings, URLs and JSON.
  'split_to_map',
  'split_to_multimap',
  'regexp_position',
  'word_stem',
  'luhn_check',
  'url_extract_host',
  'url_extract_path',
  'url_extract_parameter',
  'url_extract_port',
  'url_extract_protocol',
  'url_extract_query',
  'url_extract_fragment',
  'json_array_get',
  'json_array_contains',
  'is_json_scalar',
  'json_size',
];

const UNSUPPORTED = new Set(TRINO_UNSUPPORTED_FUNCTIONS);

/** Trino `EXTRACT` fields whose DuckDB spelling or meaning differs (DuckDB's `dow` has Sunday = 0). */
const EXTRACT_FIELDS: ReadonlyMap<string, string> = new Map([
  ['dow', 'isodow'],
  ['day_of_week', 'isodow'],
  ['day_of_year', 'doy'],
  ['day_of_month', 'day'],
  ['year_of_week', 'isoyear'],
  ['yow', 'isoyear'],
]);

/** `TIMESTAMP '2020-03-01 00:00 UTC'`: a Trino timestamp-with-time-zone literal (DuckDB wants seconds and TIMESTAMPTZ). */
const ZONED_TIMESTAMP =
  /^'(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2})(:\d{2}(?:\.\d+)?)?\s*([+-]\d{1,2}(?::?\d{2})?|[A-Za-z][\w/+-]*)'$/;

/** The DuckDB connection surface `runTrinoQuery` needs (it parses and prepares before it runs). */
export type TrinoCompatConnection = StatementConnection;

/** Lower-case macro name → its index in `TRINO_COMPAT_MACRO_DEFINITIONS`. */
const MACRO_INDEX: ReadonlyMap<string, number> = new Map(TRINO_COMPAT_MACRO_DEFINITIONS.map(({ macro }, index) => [macro.toLowerCase(), index]));

/** The macros whose names `sql` holds, as a word or a quoted identifier (a superset of its calls), by index. */
function macrosNamedIn(sql: string): Set<number> {
  const named = new Set<number>();
  for (const token of tokenizeSql(sql)) {
    const name = token.kind === 'word' ? token.text : token.kind === 'quoted' ? token.text.slice(1, -1) : undefined;
    const index = name === undefined ? undefined : MACRO_INDEX.get(name.toLowerCase());
    if (index !== undefined) named.add(index);
  }
  return named;
}

/** For each macro (by index), the macros its bodies use: the helpers that must exist beside it. */
const MACRO_USES: readonly (readonly number[])[] = TRINO_COMPAT_MACRO_DEFINITIONS.map(({ overloads }) => [...macrosNamedIn(overloads.map(([, body]) => body).join('\n'))]);

/**
 * The macros a query needs, in definition order: those its text names, before or after `translateTrinoSql` (which
 * renames calls to `trino_` macros and folds md5 chains into one), and every helper they use.
 */
function macrosNeededBy(sql: string): number[] {
  const needed = new Set<number>();
  const add = (index: number): void => {
    if (needed.has(index)) return;
    needed.add(index);
    MACRO_USES[index]?.forEach(add);
  };
  macrosNamedIn(`${sql}\n${translateTrinoSql(sql)}`).forEach(add);
  return [...needed].sort((a, b) => a - b);
}

/**
 * `TRINO_SESSION_SETTINGS` then `TRINO_COMPAT_MACROS` as one script. The binding's `run` hands the whole text to DuckDB,
 * which parses it and runs every statement in order, stopping at the first that fails: one trip instead of 47, which
 * cost 44 ms of CPU per session against 19 ms for the script (measured here, loaded 2-core machine, 10 sessions).
 */
const TRINO_COMPAT_SCRIPT = [...TRINO_SESSION_SETTINGS, ...TRINO_COMPAT_MACROS].join(';\n');

/**
 * Makes `connection` speak Trino: Athena's session settings, then the compatibility macros, in one script. Given the
 * SQL the connection will run (`sql`), only the macros that SQL names and the helpers they use: the churn features
 * need 3 of the 45, which take 1.8 ms of CPU to create against 11.5 ms for all (measured here, 15 sessions). A name
 * counts wherever it stands as a word or a quoted identifier, so a query never misses a macro it calls.
 *
 * @example
 * await installTrinoCompat(connection, featureSql);
 * await runTrinoQuery(connection, featureSql);
 */
export async function installTrinoCompat(connection: Pick<DuckDBConnection, 'run'>, sql?: string): Promise<void> {
  if (sql === undefined) {
    await connection.run(TRINO_COMPAT_SCRIPT);
    return;
  }
  await connection.run([...TRINO_SESSION_SETTINGS, ...macrosNeededBy(sql).flatMap((index) => TRINO_COMPAT_MACROS[index] ?? [])].join(';\n'));
}

/**
 * Rewrites Trino SQL so DuckDB runs it with Trino's meaning once `installTrinoCompat` ran on the connection:
 * renames clashing function calls (`date_add(` → `trino_date_add(`), maps `EXTRACT` fields, and turns
 * `TIMESTAMP '... <zone>'` literals into `TIMESTAMPTZ` ones. Everything else, string literals, quoted identifiers,
 * comments and whitespace included, comes back unchanged.
 */
export function translateTrinoSql(sql: string): string {
  const tokens: SqlToken[] = collapseMd5Chains(tokenizeSql(sql));
  for (const { index, name } of findCallSites(tokens)) {
    const renamed = TRINO_RENAMED_FUNCTIONS.get(name);
    if (renamed !== undefined) tokens[index] = { kind: 'word', text: renamed };
    if (name === 'extract') mapExtractField(tokens, index);
  }
  tokens.forEach((token, index) => {
    if (token.kind === 'word' && token.text.toLowerCase() === 'timestamp') mapZonedTimestamp(tokens, index);
  });
  return tokens.map((token) => token.text).join('');
}

/**
 * The functions in `sql` known to have no local equivalent (`TRINO_UNSUPPORTED_FUNCTIONS`), lower case, each once,
 * in order of first use. Names inside string literals, quoted identifiers and comments do not count.
 */
export function findUnsupportedTrinoFunctions(sql: string): string[] {
  const found = findCallSites(tokenizeSql(sql))
    .map(({ name }) => name)
    .filter((name) => UNSUPPORTED.has(name));
  return [...new Set(found)];
}

const MISSING_FUNCTION = /(?:Scalar|Table|Aggregate|Pragma|Macro)?\s*Function with name "?([^\s"!]+)"? does not exist/i;
// DuckDB refuses file access outside the allowed directories, extension loading and locked settings this way.
const PERMISSION_ERROR = /^(?:Permission Error: (?:Cannot access (?:file|directory) "([^"]*)")?|Invalid Input Error: Cannot change configuration option)/;
const MACRO_ARGUMENTS = /Macro "?([^\s"(]+)"?\(\) does not support the supplied arguments/i;

/**
 * Turns an error thrown by DuckDB while running (translated) Trino SQL into a Sluice error:
 * an unknown function becomes an `UnsupportedSqlFunctionError` naming it (by its Trino name), and so does a
 * compatibility macro called with an argument form it does not emulate; a file, extension or setting refused by a
 * confined session (`confineDuckDb`) becomes a `FeatureQueryError` saying the query may read only the pipeline's
 * tables; anything else becomes a `FeatureQueryError` with DuckDB's first line as its message. The original error is
 * kept as `cause`.
 */
export function explainDuckDbError(error: unknown, sql: string): Error {
  if (error instanceof UnsupportedSqlFunctionError || error instanceof FeatureQueryError) return error;
  const message = messageOf(error);
  const missing = MISSING_FUNCTION.exec(message)?.[1]?.toLowerCase();
  if (missing !== undefined) {
    if (TRINO_COMPAT_MACRO_DEFINITIONS.some(({ macro }) => macro === missing)) {
      return new FeatureQueryError(
        `Function ${trinoNameOf(missing)} needs Sluice's Trino compatibility macros: run installTrinoCompat on this connection first.`,
        { cause: error, sql },
      );
    }
    const detail = UNSUPPORTED.has(missing)
      ? 'It runs on Athena only.'
      : 'It is neither a DuckDB function nor a Trino function Sluice emulates (check the spelling).';
    return new UnsupportedSqlFunctionError([trinoNameOf(missing)], { cause: error, sql, detail });
  }
  const macro = MACRO_ARGUMENTS.exec(message)?.[1]?.toLowerCase();
  const definition = TRINO_COMPAT_MACRO_DEFINITIONS.find((candidate) => candidate.macro === macro);
  if (definition?.trino !== undefined) {
    const arities = [...new Set(definition.overloads.map(([parameters]) => parameters.split(',').length))];
    return new UnsupportedSqlFunctionError([definition.trino], {
      cause: error,
      sql,
      detail: `Locally it accepts ${arities.join(' or ')} argument(s), of the types Trino documents.`,
    });
  }
  const refused = PERMISSION_ERROR.exec(message);
  if (refused !== null) {
    const what = refused[1] === undefined ? firstLine(message).replace(/^Permission Error:\s*/, '') : `it tried to access "${refused[1]}"`;
    return new FeatureQueryError(
      `The feature query may read only the pipeline's tables (the local engine allows no other file, extension or setting): ${what}.`,
      { cause: error, sql },
    );
  }
  if (message.includes('strftime format must be a constant')) {
    return new FeatureQueryError('date_format: locally the format must be a constant string, such as a literal.', {
      cause: error,
      sql,
    });
  }
  // The node binding prefixes parser errors with the C API call that failed; the author needs DuckDB's own line.
  return new FeatureQueryError(renameBack(firstLine(message).replace(/^Failed to extract statements:\s*/, '')), { cause: error, sql });
}

/** How `runTrinoQuery` runs the query. */
export interface TrinoQueryOptions {
  /**
   * Wraps the translated SELECT, once checked, in the one `COPY … TO` that writes its result (the local UNLOAD).
   * The wrapper is Sluice's, never the author's, and is itself checked to be exactly one COPY before it runs.
   */
  readonly copy?: (select: string) => string;
}

/**
 * Runs Trino SQL on a connection prepared by `installTrinoCompat`: refuses known Athena-only functions, translates,
 * has DuckDB parse it and refuses anything but exactly one SELECT (`prepareSingleStatement`), runs it (or the COPY
 * `options.copy` wraps it in), and explains failures (`UnsupportedSqlFunctionError`, `FeatureQueryError`).
 */
export async function runTrinoQuery(connection: TrinoCompatConnection, sql: string, options: TrinoQueryOptions = {}): Promise<DuckDBResultReader> {
  const unsupported = findUnsupportedTrinoFunctions(sql);
  if (unsupported.length > 0) {
    throw new UnsupportedSqlFunctionError(unsupported, { sql, detail: 'The query runs on Athena only.' });
  }
  const translated = translateTrinoSql(sql);
  try {
    const select = await prepareSingleStatement(connection, translated, 'SELECT', sql);
    if (options.copy === undefined) return await runPrepared(select);
    select.destroySync();
    return await runPrepared(await prepareSingleStatement(connection, options.copy(translated), 'COPY', sql));
  } catch (error) {
    throw explainDuckDbError(error, sql);
  }
}

async function runPrepared(statement: Awaited<ReturnType<typeof prepareSingleStatement>>): Promise<DuckDBResultReader> {
  try {
    return await statement.runAndReadAll();
  } finally {
    statement.destroySync();
  }
}

/** Where a call chain pattern takes the innermost call's argument (any balanced tokens). */
const ARGUMENT = Symbol('argument');
type ChainStep = string | typeof ARGUMENT;

/**
 * Chains of Trino calls that the macro-by-macro translation runs with string round trips (hex text, blobs, casts),
 * each rewritten to one macro of DuckDB natives with the same value (`trino_md5_prefix32`, `trino_md5_hex` in
 * trino-compat-macros.ts). The first is the split bucket of core/features/feature-sql.ts (splitBucketExpression),
 * evaluated for every row of the table; the second orders the row-based split. Longest first: the bucket holds the hex chain.
 */
const MD5_CHAINS: readonly (readonly [macro: string, steps: readonly ChainStep[]])[] = [
  ['trino_md5_prefix32', ['from_base', '(', 'substr', '(', 'to_hex', '(', 'md5', '(', 'to_utf8', '(', ARGUMENT, ')', ')', ')', ',', '1', ',', '8', ')', ',', '16', ')']],
  ['trino_md5_hex', ['to_hex', '(', 'md5', '(', 'to_utf8', '(', ARGUMENT, ')', ')', ')']],
];

/**
 * The tokens with every unqualified call chain of `MD5_CHAINS` replaced by its macro over the chain's argument (itself
 * collapsed). Whitespace and comments between the chain's own tokens go; the argument's tokens come back unchanged.
 */
function collapseMd5Chains(tokens: readonly SqlToken[]): SqlToken[] {
  const starts = new Set(findCallSites(tokens).filter(({ name }) => name === 'from_base' || name === 'to_hex').map(({ index }) => index));
  const out: SqlToken[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === undefined) break;
    const matched = starts.has(i) ? firstChainAt(tokens, i) : undefined;
    if (matched === undefined) {
      out.push(token);
      continue;
    }
    out.push({ kind: 'word', text: matched.macro }, { kind: 'symbol', text: '(' }, ...collapseMd5Chains(matched.argument), { kind: 'symbol', text: ')' });
    i = matched.end;
  }
  return out;
}

function firstChainAt(tokens: readonly SqlToken[], start: number): { macro: string; argument: SqlToken[]; end: number } | undefined {
  for (const [macro, steps] of MD5_CHAINS) {
    const matched = matchChain(tokens, start, steps);
    if (matched !== undefined) return { macro, ...matched };
  }
  return undefined;
}

/** Matches `steps` from `tokens[start]`, skipping whitespace and comments; returns the argument and the last index. */
function matchChain(tokens: readonly SqlToken[], start: number, steps: readonly ChainStep[]): { argument: SqlToken[]; end: number } | undefined {
  let at = start;
  let argument: SqlToken[] = [];
  for (const [n, step] of steps.entries()) {
    if (step === ARGUMENT) {
      // Up to the parenthesis that closes the call, which the next step matches.
      let depth = 0;
      const from = at;
      for (; at < tokens.length; at++) {
        const text = tokens[at]?.text;
        if (text === '(') depth++;
        else if (text === ')' && depth-- === 0) break;
      }
      argument = tokens.slice(from, at);
      if (!argument.some(isSignificant)) return undefined;
      continue;
    }
    const token = n === 0 ? { token: tokens[at], index: at } : nextSignificant(tokens, at - 1);
    if (token?.token === undefined || token.token.text.toLowerCase() !== step) return undefined;
    at = token.index + 1;
  }
  return { argument, end: at - 1 };
}

function mapExtractField(tokens: SqlToken[], extractIndex: number): void {
  const open = nextSignificant(tokens, extractIndex);
  const field = open === undefined ? undefined : nextSignificant(tokens, open.index);
  const from = field === undefined ? undefined : nextSignificant(tokens, field.index);
  if (field?.token.kind !== 'word' || from?.token.text.toLowerCase() !== 'from') return;
  const mapped = EXTRACT_FIELDS.get(field.token.text.toLowerCase());
  if (mapped !== undefined) tokens[field.index] = { kind: 'word', text: mapped };
}

function mapZonedTimestamp(tokens: SqlToken[], timestampIndex: number): void {
  const literal = nextSignificant(tokens, timestampIndex);
  if (literal?.token.kind !== 'string') return;
  const match = ZONED_TIMESTAMP.exec(literal.token.text);
  if (match === null) return;
  const [, date, hoursMinutes, seconds, zone] = match;
  tokens[timestampIndex] = { kind: 'word', text: 'TIMESTAMPTZ' };
  tokens[literal.index] = { kind: 'string', text: `'${date} ${hoursMinutes}${seconds ?? ':00'} ${zone}'` };
}

function trinoNameOf(duckDbName: string): string {
  for (const [trino, renamed] of TRINO_RENAMED_FUNCTIONS) if (renamed === duckDbName) return trino;
  return duckDbName;
}

function renameBack(message: string): string {
  return message.replace(/\btrino_(\w+)\b/g, (whole: string) => trinoNameOf(whole.toLowerCase()));
}

// Not `instanceof Error`: errors from the native binding may come from another realm (jest runs tests in a vm).
function messageOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string') {
    return error.message;
  }
  return String(error);
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]?.trim() ?? '';
}
