/**
 * The DuckDB macros that give Trino (Athena) functions their Trino meaning in Sluice's local engine.
 *
 * Three kinds of entries:
 * - a Trino name DuckDB lacks (`regexp_like`, `day_of_week`, ...) becomes a macro of that same name;
 * - a Trino name DuckDB already has with another meaning (`date_add`, `date_diff`, `element_at`, ...) becomes a
 *   `trino_`-prefixed macro, and `translateTrinoSql` renames the call sites (see `TRINO_RENAMED_FUNCTIONS`);
 * - internal helpers (`trino_interval`, ...) used by the macros above.
 *
 * Every macro is created `TEMP`: it lives on one connection only, never lands in a database file, and cannot
 * change what another connection on the same DuckDB instance sees.
 */

/** One macro: its DuckDB name and one or more overloads (parameter list, SQL body). */
export interface TrinoCompatMacro {
  /** The macro's name in DuckDB. */
  readonly macro: string;
  /** The Trino function it implements; absent for internal helpers. */
  readonly trino?: string;
  /** Overloads as `[parameters, body]`; DuckDB picks one by arity (and by type where a parameter is typed). */
  readonly overloads: readonly (readonly [parameters: string, body: string])[];
}

const INTERVAL_UNITS = 'millisecond, second, minute, hour, day, week, month, quarter, year';

/** MySQL `date_format` specifiers (as Trino documents them) and their DuckDB `strftime` equivalents. */
const MYSQL_TO_STRFTIME: readonly (readonly [mysql: string, strftime: string])[] = [
  ['%a', '%a'], // abbreviated weekday name
  ['%b', '%b'], // abbreviated month name
  ['%c', '%-m'], // month, 1..12
  ['%d', '%d'], // day of month, 01..31
  ['%e', '%-d'], // day of month, 1..31
  ['%f', '%g000'], // Trino prints 6 digits but truncates to milliseconds
  ['%H', '%H'],
  ['%h', '%I'],
  ['%I', '%I'],
  ['%i', '%M'], // minutes
  ['%j', '%j'],
  ['%k', '%-H'],
  ['%l', '%-I'],
  ['%M', '%B'], // month name
  ['%m', '%m'],
  ['%p', '%p'],
  ['%r', '%I:%M:%S %p'],
  ['%S', '%S'],
  ['%s', '%S'],
  ['%T', '%H:%M:%S'],
  ['%v', '%V'], // ISO week, Monday first
  ['%W', '%A'], // weekday name
  ['%x', '%G'], // ISO week-year
  ['%Y', '%Y'],
  ['%y', '%y'],
  ['%%', '%%'],
];

/** Specifiers Trino documents as unsupported: it rejects them, so the local engine does too. */
const MYSQL_UNSUPPORTED = ['%D', '%U', '%u', '%V', '%w', '%X'];

const quote = (text: string): string => `'${text.replaceAll("'", "''")}'`;

// strftime needs a constant format, so the translation is a chain of replace() calls DuckDB folds at bind time (a
// lambda would not fold). Every '%' the chain writes is first written as chr(2), so no later step re-reads it.
const PERCENT_SENTINEL = 'chr(2)';
const ESCAPED_PERCENT_SENTINEL = 'chr(1)';
const sentinelled = (strftime: string): string =>
  strftime
    .split('%')
    .flatMap((part, index) => [...(index === 0 ? [] : [PERCENT_SENTINEL]), ...(part === '' ? [] : [quote(part)])])
    .join(' || ');

const mysqlFormatBody = [
  ...MYSQL_TO_STRFTIME.filter(([mysql]) => mysql !== '%%').map(
    ([mysql, strftime]) => (inner: string) => `replace(${inner}, ${quote(mysql)}, ${sentinelled(strftime)})`,
  ),
  // Trino: "%x for any x not listed above" is x itself; a lone trailing '%' stays a '%'.
  (inner: string) => `regexp_replace(${inner}, '(?s)%(.)', '\\1', 'g')`,
  (inner: string) => `replace(${inner}, '%', '%%')`,
  (inner: string) => `replace(${inner}, ${PERCENT_SENTINEL}, '%')`,
  (inner: string) => `replace(${inner}, ${ESCAPED_PERCENT_SENTINEL}, '%%')`,
].reduce((inner, wrap) => wrap(inner), `replace(fmt, '%%', ${ESCAPED_PERCENT_SENTINEL})`);

const dateFormatBody = `CASE WHEN regexp_matches(replace(fmt, '%%', ''), '%[${MYSQL_UNSUPPORTED.map((spec) => spec.slice(1)).join('')}]')
  THEN error('date_format: format specifier ' || regexp_extract(replace(fmt, '%%', ''), '%[${MYSQL_UNSUPPORTED.map((spec) => spec.slice(1)).join('')}]') || ' is not supported by Trino')
  ELSE strftime(ts, trino_mysql_format(fmt)) END`;

// Java's Matcher replacement syntax turned into RE2's, with replace() calls DuckDB can fold: an escaped backslash
// (set aside as chr(1)) and an escaped dollar (chr(3)) first, then other escapes lose their backslash, then $N
// becomes \N.
const javaReplacementBody = String.raw`replace(replace(
  regexp_replace(
    regexp_replace(replace(replace(replacement, '\\', chr(1)), '\$', chr(3)), '\\(.)', '\1', 'g'),
    '\$(\d)', '\\\1', 'g'),
  chr(1), '\\'), chr(3), '$')`;

const regexpReplaceBody = String.raw`CASE WHEN regexp_matches(replace(replace(replacement, '\\', ''), '\$', ''), '\$\{')
  THEN error('regexp_replace: named group references are not supported locally')
  ELSE regexp_replace(s, pattern, trino_java_replacement(replacement), 'g') END`;

const isoDateBody = String.raw`CASE
  WHEN regexp_full_match(s, '\d{4}-W\d{2}(-\d)?') THEN
    make_date(CAST(substr(s, 1, 4) AS INTEGER), 1, 4)
      - CAST(isodow(make_date(CAST(substr(s, 1, 4) AS INTEGER), 1, 4)) - 1 AS INTEGER)
      + (CAST(substr(s, 7, 2) AS INTEGER) - 1) * 7
      + (coalesce(CAST(nullif(substr(s, 10, 1), '') AS INTEGER), 1) - 1)
  WHEN regexp_full_match(s, '\d{4}-\d{3}') THEN
    make_date(CAST(substr(s, 1, 4) AS INTEGER), 1, 1) + (CAST(substr(s, 6, 3) AS INTEGER) - 1)
  WHEN regexp_full_match(s, '\d{4}-\d{2}') THEN CAST(s || '-01' AS DATE)
  WHEN regexp_full_match(s, '\d{4}') THEN CAST(s || '-01-01' AS DATE)
  ELSE CAST(s AS DATE)
END`;

const cardinalityBody = `CASE WHEN json_type(to_json(x)) = 'ARRAY' THEN json_array_length(to_json(x))
  ELSE len(json_keys(to_json(x))) END`;

/** Every compatibility macro, helpers first. */
export const TRINO_COMPAT_MACRO_DEFINITIONS: readonly TrinoCompatMacro[] = [
  // Helpers.
  {
    macro: 'trino_interval',
    overloads: [
      [
        'unit, amount',
        `CASE lower(unit)
  WHEN 'millisecond' THEN to_milliseconds(CAST(amount AS BIGINT))
  WHEN 'second' THEN to_seconds(CAST(amount AS BIGINT))
  WHEN 'minute' THEN to_minutes(CAST(amount AS BIGINT))
  WHEN 'hour' THEN to_hours(CAST(amount AS BIGINT))
  WHEN 'day' THEN to_days(CAST(amount AS INTEGER))
  WHEN 'week' THEN to_weeks(CAST(amount AS INTEGER))
  WHEN 'month' THEN to_months(CAST(amount AS INTEGER))
  WHEN 'quarter' THEN to_months(CAST(amount AS INTEGER) * 3)
  WHEN 'year' THEN to_years(CAST(amount AS INTEGER))
  ELSE error('unit ''' || unit || ''' is not one of ${INTERVAL_UNITS}')
END`,
      ],
    ],
  },
  { macro: 'trino_mysql_format', overloads: [['fmt', mysqlFormatBody]] },
  { macro: 'trino_java_replacement', overloads: [['replacement', javaReplacementBody]] },
  { macro: 'trino_json_path', overloads: [['path', String.raw`regexp_replace(path, '\["([^"]*)"\]', '."\1"', 'g')`]] },

  // Date and time.
  {
    macro: 'trino_date_add',
    trino: 'date_add',
    overloads: [
      ['unit, amount, ts DATE', 'CAST(ts + trino_interval(unit, amount) AS DATE)'],
      ['unit, amount, ts', 'ts + trino_interval(unit, amount)'],
    ],
  },
  // DuckDB's date_diff counts unit boundaries crossed; Trino's (like DuckDB's date_sub) counts whole units elapsed.
  { macro: 'trino_date_diff', trino: 'date_diff', overloads: [['unit, ts1, ts2', 'date_sub(lower(unit), ts1, ts2)']] },
  {
    macro: 'trino_date_trunc',
    trino: 'date_trunc',
    overloads: [
      ['unit, x DATE', 'CAST(date_trunc(lower(unit), x) AS DATE)'],
      ['unit, x', 'date_trunc(lower(unit), x)'],
    ],
  },
  { macro: 'date_format', trino: 'date_format', overloads: [['ts, fmt', dateFormatBody]] },
  { macro: 'day_of_week', trino: 'day_of_week', overloads: [['x', 'isodow(x)']] },
  { macro: 'dow', trino: 'dow', overloads: [['x', 'isodow(x)']] },
  { macro: 'day_of_year', trino: 'day_of_year', overloads: [['x', 'dayofyear(x)']] },
  { macro: 'doy', trino: 'doy', overloads: [['x', 'dayofyear(x)']] },
  { macro: 'day_of_month', trino: 'day_of_month', overloads: [['x', 'day(x)']] },
  { macro: 'week_of_year', trino: 'week_of_year', overloads: [['x', 'week(x)']] },
  { macro: 'year_of_week', trino: 'year_of_week', overloads: [['x', 'isoyear(x)']] },
  { macro: 'yow', trino: 'yow', overloads: [['x', 'isoyear(x)']] },
  { macro: 'last_day_of_month', trino: 'last_day_of_month', overloads: [['x', 'last_day(x)']] },
  // DuckDB's millisecond() includes the seconds (5.123 s gives 5123); Trino's is the millisecond of the second.
  { macro: 'trino_millisecond', trino: 'millisecond', overloads: [['x', 'millisecond(x) % 1000']] },
  { macro: 'trino_date', trino: 'date', overloads: [['x', 'CAST(x AS DATE)']] },
  {
    macro: 'from_unixtime',
    trino: 'from_unixtime',
    overloads: [
      ['unixtime', 'to_timestamp(unixtime)'],
      // DuckDB values carry no zone of their own: give the wall-clock time in that zone.
      ['unixtime, zone', 'timezone(zone, to_timestamp(unixtime))'],
      ['unixtime, hours, minutes', "timezone('UTC', to_timestamp(unixtime)) + to_hours(hours) + to_minutes(minutes)"],
    ],
  },
  { macro: 'to_unixtime', trino: 'to_unixtime', overloads: [['ts', 'epoch(ts)']] },
  { macro: 'from_iso8601_timestamp', trino: 'from_iso8601_timestamp', overloads: [['s', 'CAST(s AS TIMESTAMPTZ)']] },
  { macro: 'from_iso8601_date', trino: 'from_iso8601_date', overloads: [['s', isoDateBody]] },
  {
    macro: 'to_iso8601',
    trino: 'to_iso8601',
    overloads: [
      ['x DATE', "strftime(x, '%Y-%m-%d')"],
      // Without this overload DuckDB would cast a TIMESTAMP to TIMESTAMPTZ and pick the next one.
      ['x TIMESTAMP', "strftime(x, '%Y-%m-%dT%H:%M:%S.%g')"],
      ['x TIMESTAMPTZ', "strftime(timezone('UTC', x), '%Y-%m-%dT%H:%M:%S.%g') || 'Z'"],
      ['x', "strftime(x, '%Y-%m-%dT%H:%M:%S.%g')"],
    ],
  },

  // Regular expressions (DuckDB uses RE2, Trino Java-like patterns: the common subset behaves the same).
  { macro: 'regexp_like', trino: 'regexp_like', overloads: [['s, pattern', 'regexp_matches(s, pattern)']] },
  // DuckDB returns '' when nothing matches; Trino returns null.
  {
    macro: 'trino_regexp_extract',
    trino: 'regexp_extract',
    overloads: [
      ['s, pattern', 'CASE WHEN regexp_matches(s, pattern) THEN regexp_extract(s, pattern) END'],
      ['s, pattern, grp', 'CASE WHEN regexp_matches(s, pattern) THEN regexp_extract(s, pattern, grp) END'],
    ],
  },
  // DuckDB replaces the first match unless told 'g', and writes group references \1 where Trino writes $1.
  {
    macro: 'trino_regexp_replace',
    trino: 'regexp_replace',
    overloads: [
      ['s, pattern', "regexp_replace(s, pattern, '', 'g')"],
      ['s, pattern, replacement', regexpReplaceBody],
    ],
  },
  { macro: 'regexp_count', trino: 'regexp_count', overloads: [['s, pattern', 'len(regexp_extract_all(s, pattern))']] },
  { macro: 'regexp_split', trino: 'regexp_split', overloads: [['s, pattern', 'string_split_regex(s, pattern)']] },

  // Strings.
  {
    macro: 'trino_split',
    trino: 'split',
    overloads: [
      ['s, delimiter', 'string_split(s, delimiter)'],
      [
        's, delimiter, lim',
        `CASE
  WHEN lim <= 0 THEN error('split: limit must be positive')
  WHEN len(string_split(s, delimiter)) <= lim THEN string_split(s, delimiter)
  ELSE list_append(string_split(s, delimiter)[1:lim - 1], array_to_string(string_split(s, delimiter)[lim:], delimiter))
END`,
      ],
    ],
  },
  // DuckDB returns '' past the last field; Trino returns null.
  {
    macro: 'trino_split_part',
    trino: 'split_part',
    overloads: [
      [
        's, delimiter, idx',
        `CASE WHEN idx <= 0 THEN error('split_part: index must be greater than zero')
  WHEN idx <= len(string_split(s, delimiter)) THEN split_part(s, delimiter, idx) END`,
      ],
    ],
  },

  // JSON.
  {
    macro: 'json_extract_scalar',
    trino: 'json_extract_scalar',
    overloads: [
      [
        'json, path',
        `CASE WHEN json_valid(json) AND json_type(json, trino_json_path(path)) NOT IN ('OBJECT', 'ARRAY')
  THEN json_extract_string(json, trino_json_path(path)) END`,
      ],
    ],
  },
  { macro: 'json_parse', trino: 'json_parse', overloads: [['s', 'json(s)']] },
  { macro: 'json_format', trino: 'json_format', overloads: [['j', 'CAST(json(j) AS VARCHAR)']] },

  // Aggregates.
  {
    macro: 'approx_distinct',
    trino: 'approx_distinct',
    overloads: [
      ['x', 'approx_count_distinct(x)'],
      ['x, max_standard_error', 'approx_count_distinct(x)'],
    ],
  },
  { macro: 'approx_percentile', trino: 'approx_percentile', overloads: [['x, percentage', 'approx_quantile(x, percentage)']] },
  { macro: 'every', trino: 'every', overloads: [['x', 'bool_and(x)']] },

  // Binary and hashing: Sluice's train/validation split hashes keys with md5 and must split the same way in both
  // engines. Trino's md5 returns varbinary; DuckDB's returns hex text, hence the rename.
  { macro: 'to_utf8', trino: 'to_utf8', overloads: [['x', 'encode(x)']] },
  { macro: 'trino_md5', trino: 'md5', overloads: [['x', 'unhex(md5(x))']] },
  // `translateTrinoSql` turns the split's hash chains (see `MD5_CHAINS` in trino-compat.ts) into these two, DuckDB
  // natives with no string round trip. md5_number is the 16-byte digest read as one integer in the CPU's (little-endian)
  // byte order (duckdb/duckdb src/core_functions/scalar/string/md5.cpp, MD5Number128Operator:
  // `return *reinterpret_cast<hugeint_t *>(digest)`; on DuckDB 1.5 here md5_number('abc') is
  // 0x727FE1287D3F96D6B04FD23C98500190 and md5('abc') '900150983cd24fb0…'), so its low 32 bits hold
  // the digest's first 4 bytes reversed: swapped back, they are the big-endian value Trino's
  // `from_base(substr(to_hex(…), 1, 8), 16)` reads. The lambda binds the digest once (a repeated md5_number is
  // computed once only where DuckDB's common-subexpression pass runs: projections, not filters or aggregates).
  {
    macro: 'trino_md5_prefix32',
    overloads: [
      [
        'x',
        `list_transform([CAST(CAST(md5_number(encode(x)) & 4294967295 AS UINTEGER) AS BIGINT)],
  lambda u: ((u & 255) << 24) | (((u >> 8) & 255) << 16) | (((u >> 16) & 255) << 8) | ((u >> 24) & 255))[1]`,
      ],
    ],
  },
  // Trino's to_hex writes upper-case hex (as DuckDB's to_hex of a blob); DuckDB's md5 writes lower case.
  { macro: 'trino_md5_hex', overloads: [['x', 'upper(md5(encode(x)))']] },
  {
    macro: 'from_base',
    trino: 'from_base',
    overloads: [
      [
        'x, radix',
        "CASE radix WHEN 16 THEN CAST('0x' || x AS BIGINT) WHEN 2 THEN CAST('0b' || x AS BIGINT) WHEN 10 THEN CAST(x AS BIGINT) ELSE error('from_base: the local engine handles radix 2, 10 and 16') END",
      ],
    ],
  },

  // Arrays and maps.
  { macro: 'trino_cardinality', trino: 'cardinality', overloads: [['x', cardinalityBody]] },
  // `[]` on a DuckDB list is 1-based, counts negative indexes from the end and gives null out of range, and on a
  // map it gives the value: Trino's element_at exactly. DuckDB's own element_at returns a list for maps.
  { macro: 'trino_element_at', trino: 'element_at', overloads: [['container, key', 'container[key]']] },
  {
    macro: 'array_join',
    trino: 'array_join',
    overloads: [
      ['x, delimiter', 'array_to_string(x, delimiter)'],
      [
        'x, delimiter, null_replacement',
        'array_to_string(list_transform(x, lambda e: coalesce(CAST(e AS VARCHAR), null_replacement)), delimiter)',
      ],
    ],
  },
  // Trino's array_max/array_min are null when any element is null; DuckDB's list_max/list_min skip nulls.
  {
    macro: 'array_max',
    trino: 'array_max',
    overloads: [['x', 'CASE WHEN len(list_filter(x, lambda e: e IS NULL)) = 0 THEN list_max(x) END']],
  },
  {
    macro: 'array_min',
    trino: 'array_min',
    overloads: [['x', 'CASE WHEN len(list_filter(x, lambda e: e IS NULL)) = 0 THEN list_min(x) END']],
  },

  // Conditionals: DuckDB parses IF itself and only with three arguments.
  {
    macro: 'trino_if',
    trino: 'if',
    overloads: [
      ['condition, true_value', 'CASE WHEN condition THEN true_value END'],
      ['condition, true_value, false_value', 'CASE WHEN condition THEN true_value ELSE false_value END'],
    ],
  },
];

/** Trino functions that need no macro, only a new name: DuckDB's function of that name behaves like Trino's. */
export const TRINO_PLAIN_RENAMES: ReadonlyMap<string, string> = new Map([['transform', 'list_transform']]);

/** The `CREATE OR REPLACE TEMP MACRO` statement for one definition. */
export function createMacroStatement(definition: TrinoCompatMacro): string {
  const overloads = definition.overloads.map(([parameters, body]) => `(${parameters}) AS ${body}`).join(',\n');
  return `CREATE OR REPLACE TEMP MACRO ${definition.macro}${overloads}`;
}
