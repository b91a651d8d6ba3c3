import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  FeatureQueryError,
  TRINO_COMPAT_MACROS,
  TRINO_EMULATED_FUNCTIONS,
  TRINO_SESSION_SETTINGS,
  TRINO_UNSUPPORTED_FUNCTIONS,
  UnsupportedSqlFunctionError,
  explainDuckDbError,
  findUnsupportedTrinoFunctions,
  installTrinoCompat,
  runTrinoQuery,
  translateTrinoSql,
} from '../../../core/sql/trino-compat.js';

/**
 * One Trino expression and the value DuckDB must produce for it, as `getRowObjectsJson` renders it (BIGINT as a
 * string, TIMESTAMP as `YYYY-MM-DD HH:MM:SS[.fff]`, TIMESTAMP WITH TIME ZONE with `+00`). The comment above each
 * case cites the Trino documentation (https://trino.io/docs/current/functions/...) it comes from.
 */
interface Case {
  readonly title: string;
  readonly query: string;
  readonly expected: unknown;
}

const DATE_AND_TIME_CASES: readonly Case[] = [
  // datetime.html, day_of_week: "ISO day of the week ... from 1 (Monday) to 7 (Sunday)"; 2024-06-02 is a Sunday.
  { title: 'returns 7 when day_of_week is given a Sunday', query: "SELECT day_of_week(DATE '2024-06-02') AS v", expected: '7' },
  // datetime.html, dow: "alias for day_of_week"; 2024-06-03 is a Monday.
  { title: 'returns 1 when dow is given a Monday', query: "SELECT dow(TIMESTAMP '2024-06-03 10:00:00') AS v", expected: '1' },
  // datetime.html, day_of_year: "ranges from 1 to 366"; 2020 is a leap year.
  { title: 'returns 366 when day_of_year is given the last day of a leap year', query: "SELECT day_of_year(DATE '2020-12-31') AS v", expected: '366' },
  // datetime.html, doy: "alias for day_of_year".
  { title: 'returns 154 when doy is given 2024-06-02', query: "SELECT doy(DATE '2024-06-02') AS v", expected: '154' },
  // datetime.html, day_of_month: "alias for day".
  { title: 'returns 29 when day_of_month is given a 29th', query: "SELECT day_of_month(DATE '2020-02-29') AS v", expected: '29' },
  // datetime.html, week_of_year: ISO week; 2021-01-01 belongs to week 53 of 2020.
  { title: 'returns the ISO week when week_of_year is given a New Year day', query: "SELECT week_of_year(DATE '2021-01-01') AS v", expected: '53' },
  // datetime.html, year_of_week: "year of the ISO week".
  { title: 'returns the ISO year when year_of_week is given a New Year day', query: "SELECT year_of_week(DATE '2021-01-01') AS v", expected: '2020' },
  // datetime.html, yow: "alias for year_of_week".
  { title: 'returns the ISO year when yow is given a New Year day', query: "SELECT yow(DATE '2021-01-01') AS v", expected: '2020' },
  // datetime.html, last_day_of_month: "Returns the last day of the month".
  { title: 'returns Feb 29 when last_day_of_month is given a day of February 2020', query: "SELECT last_day_of_month(DATE '2020-02-10') AS v", expected: '2020-02-29' },
  // datetime.html, millisecond: "the millisecond of the second" (DuckDB's own millisecond() would give 5123).
  { title: 'returns the millisecond of the second when millisecond is given 5.123 s', query: "SELECT millisecond(TIMESTAMP '2020-01-01 00:00:05.123') AS v", expected: '123' },
  // datetime.html, date(x): "alias for CAST(x AS date)".
  { title: 'returns the date when date() is given a timestamp string', query: "SELECT date('2020-02-10 11:00:00') AS v", expected: '2020-02-10' },
  // datetime.html, year/month/day and extract: extract(YEAR FROM TIMESTAMP '2022-10-20 05:10:00') -- 2022.
  { title: 'returns 2022 when extract(YEAR) is given 2022-10-20', query: "SELECT extract(YEAR FROM TIMESTAMP '2022-10-20 05:10:00') AS v", expected: '2022' },
  { title: 'returns the year when year() is given a date', query: "SELECT year(DATE '2022-10-20') AS v", expected: '2022' },
  { title: 'returns the month when month() is given a timestamp', query: "SELECT month(TIMESTAMP '2022-10-20 05:10:00') AS v", expected: '10' },
  { title: 'returns the day when day() is given a date', query: "SELECT day(DATE '2022-10-20') AS v", expected: '20' },
  // datetime.html, extract fields: DOW and DAY_OF_WEEK are day_of_week (DuckDB's own dow has Sunday = 0).
  { title: 'returns 7 when extract(DOW) is given a Sunday', query: "SELECT extract(DOW FROM DATE '2024-06-02') AS v", expected: '7' },
  { title: 'returns 7 when extract(DAY_OF_WEEK) is given a Sunday', query: "SELECT EXTRACT(day_of_week FROM DATE '2024-06-02') AS v", expected: '7' },
  // datetime.html, date_format: date_format(TIMESTAMP '2022-10-20 05:10:00', '%m-%d-%Y %H') -- 10-20-2022 05.
  { title: 'formats like the documented example when date_format is given %m-%d-%Y %H', query: "SELECT date_format(TIMESTAMP '2022-10-20 05:10:00', '%m-%d-%Y %H') AS v", expected: '10-20-2022 05' },
  // datetime.html, MySQL specifier table (%f: 6 digits, truncated to milliseconds; %x: x for any unlisted x).
  {
    title: 'follows the MySQL specifier table when date_format is given every supported specifier',
    query:
      "SELECT date_format(TIMESTAMP '2022-10-20 17:04:09.123456', '%Y|%y|%m|%c|%d|%e|%H|%h|%I|%k|%l|%i|%s|%S|%f|%p|%r|%T|%W|%a|%M|%b|%j|%v|%x|%%|%q') AS v",
    expected: '2022|22|10|10|20|20|17|05|05|17|5|04|09|09|123000|PM|05:04:09 PM|17:04:09|Thursday|Thu|October|Oct|293|42|2022|%|q',
  },
  // datetime.html, %c/%e/%k/%l print without padding; %% is a literal percent sign.
  { title: 'prints unpadded fields when date_format is given %c %e %k %l', query: "SELECT date_format(TIMESTAMP '2022-01-02 07:04:09', '%c/%e %k:%i %l%p %%Y') AS v", expected: '1/2 7:04 7AM %Y' },
  // datetime.html, date_add: date_add('second', 86, TIMESTAMP '2020-03-01 00:00:00') -- 2020-03-01 00:01:26.000.
  { title: 'adds seconds when date_add is given the second unit', query: "SELECT date_add('second', 86, TIMESTAMP '2020-03-01 00:00:00') AS v", expected: '2020-03-01 00:01:26' },
  // datetime.html, date_add: date_add('hour', 9, TIMESTAMP '2020-03-01 00:00:00') -- 2020-03-01 09:00:00.000.
  { title: 'adds hours when date_add is given the hour unit', query: "SELECT date_add('hour', 9, TIMESTAMP '2020-03-01 00:00:00') AS v", expected: '2020-03-01 09:00:00' },
  // datetime.html, date_add: date_add('day', -1, TIMESTAMP '2020-03-01 00:00:00 UTC') -- 2020-02-29 00:00:00.000 UTC.
  { title: 'subtracts a day when date_add is given a negative value and a zoned timestamp', query: "SELECT date_add('day', -1, TIMESTAMP '2020-03-01 00:00:00 UTC') AS v", expected: '2020-02-29 00:00:00+00' },
  // datetime.html, operators: timestamp '2012-10-31 01:00' + interval '1' month -- 2012-11-30 01:00:00.000;
  // date_add returns "[same as input]", so a date stays a date.
  { title: 'keeps a date a date when date_add adds a month to Oct 31', query: "SELECT date_add('month', 1, DATE '2012-10-31') AS v", expected: '2012-11-30' },
  { title: 'returns DATE when date_add is given a DATE', query: "SELECT typeof(date_add('quarter', 1, DATE '2020-01-15')) AS v", expected: 'DATE' },
  // datetime.html, date_diff: date_diff('second', TIMESTAMP '2020-03-01 00:00:00', TIMESTAMP '2020-03-02 00:00:00') -- 86400.
  { title: 'returns 86400 when date_diff counts seconds over a day', query: "SELECT date_diff('second', TIMESTAMP '2020-03-01 00:00:00', TIMESTAMP '2020-03-02 00:00:00') AS v", expected: '86400' },
  // datetime.html, date_diff: date_diff('hour', TIMESTAMP '2020-03-01 00:00:00 UTC', TIMESTAMP '2020-03-02 00:00:00 UTC') -- 24.
  { title: 'returns 24 when date_diff counts hours between zoned timestamps', query: "SELECT date_diff('hour', TIMESTAMP '2020-03-01 00:00:00 UTC', TIMESTAMP '2020-03-02 00:00:00 UTC') AS v", expected: '24' },
  // datetime.html, date_diff: date_diff('day', DATE '2020-03-01', DATE '2020-03-02') -- 1.
  { title: 'returns 1 when date_diff counts days from a date to the next', query: "SELECT date_diff('day', DATE '2020-03-01', DATE '2020-03-02') AS v", expected: '1' },
  // datetime.html, date_diff: "Returns timestamp2 - timestamp1", so the sign follows the argument order.
  { title: 'returns -1 when date_diff is given the later date first', query: "SELECT date_diff('day', DATE '2020-03-02', DATE '2020-03-01') AS v", expected: '-1' },
  // datetime.html, date_diff('millisecond', TIMESTAMP '2020-06-01 12:30:45.000000000', TIMESTAMP '2020-06-02 12:30:45.123456789') -- 86400123.
  { title: 'returns 86400123 when date_diff counts milliseconds', query: "SELECT date_diff('millisecond', TIMESTAMP '2020-06-01 12:30:45.000000000', TIMESTAMP '2020-06-02 12:30:45.123456789') AS v", expected: '86400123' },
  // datetime.html, date_diff: whole units elapsed (40 minutes is 0 hours; DuckDB's date_diff would count 1 boundary).
  { title: 'counts whole units when date_diff spans an hour boundary in 40 minutes', query: "SELECT date_diff('hour', TIMESTAMP '2020-01-01 00:30:00', TIMESTAMP '2020-01-01 01:10:00') AS v", expected: '0' },
  // datetime.html, date_trunc: date_trunc('month', TIMESTAMP '2022-10-20 05:10:00') -- 2022-10-01 00:00:00.000.
  { title: 'truncates to the month when date_trunc is given month', query: "SELECT date_trunc('month', TIMESTAMP '2022-10-20 05:10:00') AS v", expected: '2022-10-01 00:00:00' },
  // datetime.html, date_trunc units table: week of 2001-08-22 03:04:05.321 -- 2001-08-20 00:00:00.000.
  { title: 'truncates to Monday when date_trunc is given week', query: "SELECT date_trunc('week', TIMESTAMP '2001-08-22 03:04:05.321') AS v", expected: '2001-08-20 00:00:00' },
  // datetime.html, date_trunc(unit, x) -> [same as input].
  { title: 'keeps a date a date when date_trunc is given a DATE', query: "SELECT typeof(date_trunc('quarter', DATE '2001-08-22')) AS v", expected: 'DATE' },
  // datetime.html, from_unixtime: "unixtime is the number of seconds since 1970-01-01 00:00:00 UTC".
  { title: 'returns the epoch when from_unixtime is given 0', query: 'SELECT from_unixtime(0) AS v', expected: '1970-01-01 00:00:00+00' },
  // datetime.html, from_unixtime(unixtime, zone): the zone's wall-clock time.
  { title: 'returns Los Angeles wall time when from_unixtime is given a zone', query: "SELECT from_unixtime(0, 'America/Los_Angeles') AS v", expected: '1969-12-31 16:00:00' },
  // datetime.html, from_unixtime(unixtime, hours, minutes): the offset's wall-clock time.
  { title: 'returns offset wall time when from_unixtime is given hours and minutes', query: 'SELECT from_unixtime(0, 5, 30) AS v', expected: '1970-01-01 05:30:00' },
  // datetime.html, to_unixtime: "Returns timestamp as a UNIX timestamp" (a double).
  { title: 'returns seconds since the epoch when to_unixtime is given a day after it', query: "SELECT to_unixtime(TIMESTAMP '1970-01-02 00:00:00') AS v", expected: 86400 },
  // datetime.html, from_iso8601_timestamp('2020-05-11') -- 2020-05-11 00:00:00.000 <session zone> (UTC on Athena).
  { title: 'defaults to midnight when from_iso8601_timestamp is given a date', query: "SELECT from_iso8601_timestamp('2020-05-11') AS v", expected: '2020-05-11 00:00:00+00' },
  // datetime.html, from_iso8601_timestamp('2020-05-11T11:15:05.055+01:00') -- 2020-05-11 11:15:05.055 +01:00, i.e. 10:15:05.055 UTC.
  { title: 'keeps the instant when from_iso8601_timestamp is given an offset', query: "SELECT from_iso8601_timestamp('2020-05-11T11:15:05.055+01:00') AS v", expected: '2020-05-11 10:15:05.055+00' },
  // datetime.html, from_iso8601_date('2020-05-11') -- 2020-05-11.
  { title: 'parses a calendar date when from_iso8601_date is given YYYY-MM-DD', query: "SELECT from_iso8601_date('2020-05-11') AS v", expected: '2020-05-11' },
  // datetime.html, from_iso8601_date('2020-W10') -- 2020-03-02.
  { title: 'parses a week date when from_iso8601_date is given YYYY-Www', query: "SELECT from_iso8601_date('2020-W10') AS v", expected: '2020-03-02' },
  // datetime.html, from_iso8601_date('2020-123') -- 2020-05-02.
  { title: 'parses an ordinal date when from_iso8601_date is given YYYY-DDD', query: "SELECT from_iso8601_date('2020-123') AS v", expected: '2020-05-02' },
  // datetime.html, to_iso8601: "Formats x as an ISO 8601 string" (date, timestamp, timestamp with time zone).
  { title: 'formats a date when to_iso8601 is given a DATE', query: "SELECT to_iso8601(DATE '2020-05-11') AS v", expected: '2020-05-11' },
  { title: 'formats milliseconds when to_iso8601 is given a TIMESTAMP', query: "SELECT to_iso8601(TIMESTAMP '2020-05-11 11:15:05.055') AS v", expected: '2020-05-11T11:15:05.055' },
  { title: 'appends Z when to_iso8601 is given a UTC timestamp with time zone', query: 'SELECT to_iso8601(from_unixtime(0)) AS v', expected: '1970-01-01T00:00:00.000Z' },
];

const STRING_CASES: readonly Case[] = [
  // regexp.html, regexp_like('1a 2b 14m', '\d+b') -- true.
  { title: 'returns true when regexp_like finds the pattern inside the string', query: String.raw`SELECT regexp_like('1a 2b 14m', '\d+b') AS v`, expected: true },
  // regexp.html, regexp_extract('1a 2b 14m', '\d+') -- 1.
  { title: 'returns the first match when regexp_extract is given a pattern', query: String.raw`SELECT regexp_extract('1a 2b 14m', '\d+') AS v`, expected: '1' },
  // regexp.html, regexp_extract('1a 2b 14m', '(\d+)([a-z]+)', 2) -- 'a'.
  { title: 'returns the group when regexp_extract is given a group number', query: String.raw`SELECT regexp_extract('1a 2b 14m', '(\d+)([a-z]+)', 2) AS v`, expected: 'a' },
  // regexp.html, regexp_extract "Returns the first substring matched": nothing matched is null (DuckDB gives '').
  { title: 'returns null when regexp_extract finds no match', query: String.raw`SELECT regexp_extract('abc', '\d+') AS v`, expected: null },
  // regexp.html, regexp_replace('1a 2b 14m', '\d+[ab] ') -- '14m'.
  { title: 'removes every match when regexp_replace is given no replacement', query: String.raw`SELECT regexp_replace('1a 2b 14m', '\d+[ab] ') AS v`, expected: '14m' },
  // regexp.html, regexp_replace('1a 2b 14m', '(\d+)([ab]) ', '3c$2 ') -- '3ca 3cb 14m'.
  { title: 'replaces every match with $ group references when regexp_replace is given a replacement', query: String.raw`SELECT regexp_replace('1a 2b 14m', '(\d+)([ab]) ', '3c$2 ') AS v`, expected: '3ca 3cb 14m' },
  // regexp.html, regexp_replace: "A dollar sign ($) may be included in the replacement by escaping it with a backslash (\$)".
  { title: 'writes a literal dollar when regexp_replace is given \\$', query: String.raw`SELECT regexp_replace('a.b', '\.', '\$') AS v`, expected: 'a$b' },
  // regexp.html, regexp_count('1a 2b 14m', '\s*[a-z]+\s*') -- 3.
  { title: 'counts matches when regexp_count is given a pattern', query: String.raw`SELECT regexp_count('1a 2b 14m', '\s*[a-z]+\s*') AS v`, expected: '3' },
  // regexp.html, regexp_split('1a 2b 14m', '\s*[a-z]+\s*') -- [1, 2, 14, ].
  { title: 'keeps the trailing empty string when regexp_split splits on a pattern', query: String.raw`SELECT regexp_split('1a 2b 14m', '\s*[a-z]+\s*') AS v`, expected: ['1', '2', '14', ''] },
  // string.html, split(string, delimiter): "Splits string on delimiter and returns an array".
  { title: 'keeps empty fields when split is given a delimiter', query: "SELECT split('a,b,,c', ',') AS v", expected: ['a', 'b', '', 'c'] },
  // string.html, split(string, delimiter, limit): "The last element in the array always contain everything left".
  { title: 'leaves the rest in the last element when split is given a limit', query: "SELECT split('a.b.c', '.', 2) AS v", expected: ['a', 'b.c'] },
  // string.html, split_part: "If the index is larger than the number of fields, then null is returned".
  { title: 'returns null when split_part is given an index past the last field', query: "SELECT split_part('a,b', ',', 3) AS v", expected: null },
  { title: 'returns the field when split_part is given an index in range', query: "SELECT split_part('a,b', ',', 2) AS v", expected: 'b' },
  // string.html, strpos: "Positions start with 1. If not found, 0 is returned".
  { title: 'returns a 1-based position when strpos finds the substring', query: "SELECT strpos('high', 'ig') AS v", expected: '2' },
  { title: 'returns 0 when strpos does not find the substring', query: "SELECT strpos('high', 'x') AS v", expected: '0' },
  // string.html, length: "Returns the length of string in characters" (code points, not bytes).
  { title: 'counts characters when length is given a non-ASCII string', query: "SELECT length('héllo') AS v", expected: '5' },
];

const JSON_CASES: readonly Case[] = [
  // json.html, json_extract_scalar('[1, 2, 3]', '$[2]'): the third element, as a string.
  { title: 'returns the element as a string when json_extract_scalar indexes an array', query: "SELECT json_extract_scalar('[1, 2, 3]', '$[2]') AS v", expected: '3' },
  // json.html, json_extract_scalar(json, '$.store.book[0].author').
  {
    title: 'follows a JSONPath when json_extract_scalar is given nested members and an index',
    query: `SELECT json_extract_scalar('{"store": {"book": [{"author": "Nigel Rees"}]}}', '$.store.book[0].author') AS v`,
    expected: 'Nigel Rees',
  },
  // json.html, json_extract_scalar: "The value referenced by json_path must be a scalar" (an object gives null).
  { title: 'returns null when json_extract_scalar reaches an object', query: `SELECT json_extract_scalar('{"a": {"b": 1}}', '$.a') AS v`, expected: null },
  // json.html, JSONPath bracket notation for keys that are not identifiers.
  { title: 'reads a bracketed key when json_extract_scalar is given $["a b"]', query: `SELECT json_extract_scalar('{"a b": true}', '$["a b"]') AS v`, expected: 'true' },
  // json.html, json_parse('[1, 2, 3]') -- JSON '[1,2,3]'.
  { title: 'returns compact JSON when json_parse is given a JSON array', query: "SELECT json_parse('[1, 2, 3]') AS v", expected: '[1,2,3]' },
  // json.html, json_format(JSON '[1, 2, 3]') -- '[1,2,3]'; json_format(JSON '"a"') -- '"a"'.
  { title: 'serializes an array when json_format is given JSON', query: "SELECT json_format(JSON '[1, 2, 3]') AS v", expected: '[1,2,3]' },
  { title: 'keeps the quotes when json_format is given a JSON string', query: `SELECT json_format(JSON '"a"') AS v`, expected: '"a"' },
];

const ARRAY_AND_MAP_CASES: readonly Case[] = [
  // array.html, cardinality: "Returns the cardinality (size) of the array x" (nulls count).
  { title: 'counts elements when cardinality is given an array', query: 'SELECT cardinality(ARRAY[1, 2, NULL]) AS v', expected: '3' },
  // map.html, cardinality: "Returns the cardinality (size) of the map x".
  { title: 'counts entries when cardinality is given a map', query: "SELECT cardinality(MAP(ARRAY['a', 'b'], ARRAY[1, 2])) AS v", expected: '2' },
  // binary.html, md5: "Computes the MD5 hash of binary"; to_hex: "Encodes binary into a hex string representation"
  // (upper case). The MD5 of "abc" is RFC 1321's test vector 900150983cd24fb0d6963f7d28e17f72.
  { title: 'hashes like Trino when md5, to_utf8 and to_hex are combined', query: "SELECT to_hex(md5(to_utf8('abc'))) AS v", expected: '900150983CD24FB0D6963F7D28E17F72' },
  // mathematical.html, from_base: "Returns the value of string interpreted as a base-radix number" (a BIGINT, which
  // the JSON row helper returns as text).
  { title: 'reads a hexadecimal string when from_base is given radix 16', query: "SELECT from_base('ff', 16) AS v", expected: '255' },
  { title: 'reads a binary string when from_base is given radix 2', query: "SELECT from_base('101', 2) AS v", expected: '5' },
  // array.html, element_at: same as the 1-based subscript operator for index > 0.
  { title: 'returns the first element when element_at is given index 1', query: 'SELECT element_at(ARRAY[1, 2, 3], 1) AS v', expected: 1 },
  // array.html, element_at: "If index < 0, element_at accesses elements from the last to the first".
  { title: 'returns the last element when element_at is given index -1', query: 'SELECT element_at(ARRAY[1, 2, 3], -1) AS v', expected: 3 },
  // array.html, element_at: "returns NULL when accessing an index larger than array length".
  { title: 'returns null when element_at is given an index past the end', query: 'SELECT element_at(ARRAY[1, 2, 3], 4) AS v', expected: null },
  // map.html, element_at: "Returns value for given key, or NULL if the key is not contained in the map".
  { title: 'returns the value when element_at is given a map key', query: "SELECT element_at(MAP(ARRAY['a'], ARRAY[10]), 'a') AS v", expected: 10 },
  { title: 'returns null when element_at is given a missing map key', query: "SELECT element_at(MAP(ARRAY['a'], ARRAY[10]), 'z') AS v", expected: null },
  // array.html, array_join: "Concatenates the elements ... using the delimiter and an optional string to replace nulls".
  { title: 'skips nulls when array_join is given no null replacement', query: "SELECT array_join(ARRAY['a', NULL, 'c'], ',') AS v", expected: 'a,c' },
  { title: 'replaces nulls when array_join is given a null replacement', query: "SELECT array_join(ARRAY['a', NULL, 'c'], ',', 'n/a') AS v", expected: 'a,n/a,c' },
  // array.html, array_max / array_min: "Returns the maximum (minimum) value of input array".
  { title: 'returns the largest element when array_max is given numbers', query: 'SELECT array_max(ARRAY[1, 5, 3]) AS v', expected: 5 },
  { title: 'returns the smallest element when array_min is given numbers', query: 'SELECT array_min(ARRAY[4, 2]) AS v', expected: 2 },
  { title: 'returns null when array_max is given a null element', query: 'SELECT array_max(ARRAY[1, NULL]) AS v', expected: null },
  // array.html, transform(ARRAY[5, 6], x -> x + 1) -- [6, 7].
  { title: 'applies the lambda when transform is given an array', query: 'SELECT transform(ARRAY[5, 6], x -> x + 1) AS v', expected: [6, 7] },
];

const AGGREGATE_CASES: readonly Case[] = [
  // aggregate.html, approx_distinct: "an approximation of count(DISTINCT x)" (exact on a handful of values).
  { title: 'counts distinct values when approx_distinct is given a small set', query: 'SELECT approx_distinct(x) AS v FROM (VALUES (1), (1), (2), (3)) t(x)', expected: '3' },
  // aggregate.html, approx_distinct(x, e): the same count with a bound on the standard error.
  { title: 'accepts a standard error when approx_distinct is given two arguments', query: 'SELECT approx_distinct(x, 0.0040625) AS v FROM (VALUES (1), (2)) t(x)', expected: '2' },
  // aggregate.html, approx_distinct: "Zero is returned if all input values are null".
  { title: 'returns 0 when approx_distinct is given only nulls', query: 'SELECT approx_distinct(x) AS v FROM (VALUES (CAST(NULL AS INTEGER)), (NULL)) t(x)', expected: '0' },
  // aggregate.html, approx_percentile(x, percentage): the median of 1..5 is 3.
  { title: 'returns the median when approx_percentile is given 0.5', query: 'SELECT approx_percentile(x, 0.5) AS v FROM (VALUES (1), (2), (3), (4), (5)) t(x)', expected: 3 },
  // aggregate.html, every: "alias for bool_and".
  { title: 'returns false when every sees one false', query: 'SELECT every(x) AS v FROM (VALUES (true), (false)) t(x)', expected: false },
];

const CONDITIONAL_CASES: readonly Case[] = [
  // conditional.html, if(condition, true_value): "otherwise null is returned".
  { title: 'returns null when if has two arguments and a false condition', query: "SELECT if(1 > 2, 'x') AS v", expected: null },
  // conditional.html, if(condition, true_value, false_value).
  { title: 'returns the true value when IF has three arguments and a true condition', query: "SELECT IF(1 < 2, 'x', 'y') AS v", expected: 'x' },
  // conditional.html, nullif: "Returns null if value1 equals value2".
  { title: 'returns null when nullif is given equal values', query: 'SELECT nullif(1, 1) AS v', expected: null },
  // conditional.html, coalesce: "Returns the first non-null value".
  { title: 'returns the first non-null value when coalesce starts with null', query: 'SELECT coalesce(NULL, 2) AS v', expected: 2 },
  // conditional.html, TRY(CAST(origin_zip AS BIGINT)) -- NULL for 'P332a'.
  { title: 'returns null when try wraps an invalid cast', query: "SELECT try(CAST('P332a' AS BIGINT)) AS v", expected: null },
];

const ALL_CASES = [
  ...DATE_AND_TIME_CASES,
  ...STRING_CASES,
  ...JSON_CASES,
  ...ARRAY_AND_MAP_CASES,
  ...AGGREGATE_CASES,
  ...CONDITIONAL_CASES,
];

describe('trino-compat', () => {
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;

  const valueOf = async (query: string): Promise<unknown> => {
    const reader = await runTrinoQuery(connection, query);
    return reader.getRowObjectsJson()[0]?.['v'];
  };

  const failureOf = async (query: string): Promise<unknown> => {
    try {
      await runTrinoQuery(connection, query);
    } catch (error) {
      return error;
    }
    throw new Error(`expected the query to fail: ${query}`);
  };

  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
    connection = await instance.connect();
    await installTrinoCompat(connection);
  });

  afterAll(() => {
    connection.closeSync();
    instance.closeSync();
  });

  describe('date and time functions', () => {
    it.each(DATE_AND_TIME_CASES)('$title', async ({ query, expected }) => {
      // Prepare: the connection speaks Trino (beforeAll)

      // Act
      const value = await valueOf(query);

      // Assess
      expect(value).toEqual(expected);
    });

    it('fails naming the specifier when date_format is given %D, which Trino does not support', async () => {
      // Prepare
      const query = "SELECT date_format(TIMESTAMP '2022-10-20 05:10:00', '%D') AS v";

      // Act
      const error = await failureOf(query);

      // Assess: datetime.html warns "The following specifiers are not currently supported: %D %U %u %V %w %X"
      expect(error).toBeInstanceOf(FeatureQueryError);
      expect((error as Error).message).toBe('Invalid Input Error: date_format: format specifier %D is not supported by Trino');
    });

    it('fails naming the unit when date_add is given a unit Trino does not know', async () => {
      // Prepare
      const query = "SELECT date_add('fortnight', 1, DATE '2020-01-01') AS v";

      // Act
      const error = await failureOf(query);

      // Assess
      expect(error).toBeInstanceOf(FeatureQueryError);
      expect((error as Error).message).toContain("unit 'fortnight' is not one of millisecond");
    });
  });

  describe('string and regular expression functions', () => {
    it.each(STRING_CASES)('$title', async ({ query, expected }) => {
      // Prepare: the connection speaks Trino (beforeAll)

      // Act
      const value = await valueOf(query);

      // Assess
      expect(value).toEqual(expected);
    });
  });

  describe('JSON functions', () => {
    it.each(JSON_CASES)('$title', async ({ query, expected }) => {
      // Prepare: the connection speaks Trino (beforeAll)

      // Act
      const value = await valueOf(query);

      // Assess
      expect(value).toEqual(expected);
    });

    it('returns null per row when json_extract_scalar meets malformed JSON among valid rows', async () => {
      // Prepare
      const query = `SELECT json_extract_scalar(j, '$.a') AS v FROM (VALUES (1, '{"a": 1}'), (2, 'oops'), (3, NULL)) t(k, j) ORDER BY k`;

      // Act
      const reader = await runTrinoQuery(connection, query);

      // Assess
      expect(reader.getRowObjectsJson().map((row) => row['v'])).toEqual(['1', null, null]);
    });
  });

  describe('array and map functions', () => {
    it.each(ARRAY_AND_MAP_CASES)('$title', async ({ query, expected }) => {
      // Prepare: the connection speaks Trino (beforeAll)

      // Act
      const value = await valueOf(query);

      // Assess
      expect(value).toEqual(expected);
    });
  });

  describe('aggregate functions', () => {
    it.each(AGGREGATE_CASES)('$title', async ({ query, expected }) => {
      // Prepare: the connection speaks Trino (beforeAll)

      // Act
      const value = await valueOf(query);

      // Assess
      expect(value).toEqual(expected);
    });

    it('names approx_percentile when it is given the weighted form the local engine lacks', async () => {
      // Prepare
      const query = 'SELECT approx_percentile(x, 1, 0.5) AS v FROM (VALUES (1), (2)) t(x)';

      // Act
      const error = await failureOf(query);

      // Assess
      expect(error).toBeInstanceOf(UnsupportedSqlFunctionError);
      expect((error as UnsupportedSqlFunctionError).functionNames).toEqual(['approx_percentile']);
      expect((error as Error).message).toContain('Locally it accepts 2 argument(s)');
    });
  });

  describe('conditional expressions and session semantics', () => {
    it.each(CONDITIONAL_CASES)('$title', async ({ query, expected }) => {
      // Prepare: the connection speaks Trino (beforeAll)

      // Act
      const value = await valueOf(query);

      // Assess
      expect(value).toEqual(expected);
    });

    it('divides integers like Trino when try and coalesce guard a division by zero', async () => {
      // Prepare: conditional.html, COALESCE(TRY(total_cost / packages), 0) on the documented shipping rows -- 4, 14, 0
      const query = `SELECT COALESCE(TRY(total_cost / packages), 0) AS v
        FROM (VALUES (1, 100, 25), (2, 72, 5), (3, 155, 0)) shipping(k, total_cost, packages) ORDER BY k`;

      // Act
      const reader = await runTrinoQuery(connection, query);

      // Assess
      expect(reader.getRowObjectsJson().map((row) => row['v'])).toEqual([4, 14, 0]);
    });

    it('runs the session in UTC when installTrinoCompat has run', async () => {
      // Prepare: Athena sessions run in UTC

      // Act
      const value = await valueOf("SELECT current_setting('TimeZone') AS v");

      // Assess
      expect(value).toBe('UTC');
    });
  });

  describe('coverage of the emulated functions', () => {
    it('exercises every emulated function when the documented cases run', () => {
      // Prepare
      const allQueries = ALL_CASES.map(({ query }) => query.toLowerCase()).join('\n');

      // Act
      const untested = TRINO_EMULATED_FUNCTIONS.filter((name) => !new RegExp(`\\b${name}\\s*\\(`).test(allQueries));

      // Assess
      expect(untested).toEqual([]);
    });
  });

  describe('unsupported functions', () => {
    it('fails with UnsupportedSqlFunctionError naming date_parse when the query uses date_parse', async () => {
      // Prepare: datetime.html, date_parse('2022/10/20/05', '%Y/%m/%d/%H') runs on Athena only
      const query = "SELECT date_parse('2022/10/20/05', '%Y/%m/%d/%H') AS v";

      // Act
      const error = await failureOf(query);

      // Assess
      expect(error).toBeInstanceOf(UnsupportedSqlFunctionError);
      expect((error as UnsupportedSqlFunctionError).name).toBe('UnsupportedSqlFunctionError');
      expect((error as UnsupportedSqlFunctionError).retryable).toBe(false);
      expect((error as UnsupportedSqlFunctionError).functionNames).toEqual(['date_parse']);
      expect((error as Error).message).toBe(
        "Function date_parse has no local equivalent in Sluice's DuckDB engine. The query runs on Athena only.",
      );
    });

    it('names date_parse when DuckDB reports it missing because the pre-check was skipped', async () => {
      // Prepare
      const sql = "SELECT date_parse('2022/10/20', '%Y/%m/%d')";
      let duckDbError: unknown;
      await connection.run(translateTrinoSql(sql)).catch((error: unknown) => {
        duckDbError = error;
      });

      // Act
      const explained = explainDuckDbError(duckDbError, sql);

      // Assess
      expect(explained).toBeInstanceOf(UnsupportedSqlFunctionError);
      expect(explained.message).toBe(
        "Function date_parse has no local equivalent in Sluice's DuckDB engine. It runs on Athena only.",
      );
      expect(explained.cause).toBe(duckDbError);
      expect((explained as UnsupportedSqlFunctionError).sql).toBe(sql);
    });

    it('fails naming foo_bar when the query calls an unknown function foo_bar', async () => {
      // Prepare
      const query = 'SELECT foo_bar(x) AS v FROM (VALUES (1)) t(x)';

      // Act
      const error = await failureOf(query);

      // Assess
      expect(error).toBeInstanceOf(UnsupportedSqlFunctionError);
      expect((error as UnsupportedSqlFunctionError).functionNames).toEqual(['foo_bar']);
      expect((error as Error).message).toMatch(/^Function foo_bar has no local equivalent in Sluice's DuckDB engine\./);
      expect((error as Error).cause).toEqual(expect.objectContaining({ message: expect.stringContaining('foo_bar') }));
    });

    it('names the table function when FROM calls an unknown table function', async () => {
      // Prepare
      const query = 'SELECT * FROM foo_table(1)';

      // Act
      const error = await failureOf(query);

      // Assess
      expect(error).toBeInstanceOf(UnsupportedSqlFunctionError);
      expect((error as UnsupportedSqlFunctionError).functionNames).toEqual(['foo_table']);
    });

    it('lists only functions DuckDB lacks when the denylist is checked against the installed engine', async () => {
      // Prepare
      const names = TRINO_UNSUPPORTED_FUNCTIONS.map((name) => `'${name}'`).join(', ');

      // Act
      const reader = await connection.runAndReadAll(
        `SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_name IN (${names})`,
      );

      // Assess: a DuckDB upgrade that adds one of these should move it out of the denylist
      expect(reader.getRowObjectsJson()).toEqual([]);
      expect(TRINO_UNSUPPORTED_FUNCTIONS.filter((name) => TRINO_EMULATED_FUNCTIONS.includes(name))).toEqual([]);
    });

    it('asks for installTrinoCompat when a connection without the macros runs Trino SQL', async () => {
      // Prepare
      const bare = await instance.connect();

      // Act
      let error: unknown;
      await runTrinoQuery(bare, "SELECT date_add('day', 1, DATE '2020-01-01')").catch((caught: unknown) => {
        error = caught;
      });
      bare.closeSync();

      // Assess: the macros are TEMP, so a second connection on the same instance does not see them
      expect(error).toBeInstanceOf(FeatureQueryError);
      expect((error as Error).message).toBe(
        "Function date_add needs Sluice's Trino compatibility macros: run installTrinoCompat on this connection first.",
      );
    });
  });

  describe('translateTrinoSql', () => {
    it('renames clashing calls when they appear in any case and with spaces before the parenthesis', () => {
      // Prepare
      const sql = "SELECT DATE_ADD ('day', 1, d), Date_Diff('day', a, b), element_at(m, 'k') FROM t";

      // Act
      const translated = translateTrinoSql(sql);

      // Assess
      expect(translated).toBe(
        "SELECT trino_date_add ('day', 1, d), trino_date_diff('day', a, b), trino_element_at(m, 'k') FROM t",
      );
    });

    it('leaves string literals, quoted identifiers and comments alone when they contain function names', () => {
      // Prepare
      const sql = [
        `SELECT 'date_add(1, 2) and it''s regexp_replace(x)' AS "date_diff(", "if"(x)`,
        '-- date_add(a)',
        "/* element_at(b) */ FROM t WHERE s = 'if(x)'",
      ].join('\n');

      // Act
      const translated = translateTrinoSql(sql);

      // Assess
      expect(translated).toBe(sql);
    });

    it('runs a literal containing a function name unchanged when the query selects it', async () => {
      // Prepare
      const query = "SELECT 'date_add(''day'', 1, x) and date_parse(y)' AS v";

      // Act
      const value = await valueOf(query);

      // Assess
      expect(value).toBe("date_add('day', 1, x) and date_parse(y)");
    });

    it('leaves qualified names alone when a function is called through a schema or a struct', () => {
      // Prepare
      const sql = 'SELECT main.date_add(d, INTERVAL 1 DAY), s.split(x) FROM t';

      // Act
      const translated = translateTrinoSql(sql);

      // Assess
      expect(translated).toBe(sql);
    });

    it('maps Trino EXTRACT fields when they differ from DuckDB fields', () => {
      // Prepare
      const sql = 'SELECT extract(DOW FROM d), EXTRACT( day_of_year FROM d), extract(year FROM d) FROM t';

      // Act
      const translated = translateTrinoSql(sql);

      // Assess
      expect(translated).toBe('SELECT extract(isodow FROM d), EXTRACT( doy FROM d), extract(year FROM d) FROM t');
    });

    it('writes TIMESTAMPTZ with seconds when a TIMESTAMP literal carries a zone', () => {
      // Prepare
      const sql = "SELECT TIMESTAMP '2012-10-31 01:00 UTC', timestamp '2020-03-01 00:00:00 America/Los_Angeles', TIMESTAMP '2020-03-01 00:00:00'";

      // Act
      const translated = translateTrinoSql(sql);

      // Assess
      expect(translated).toBe(
        "SELECT TIMESTAMPTZ '2012-10-31 01:00:00 UTC', TIMESTAMPTZ '2020-03-01 00:00:00 America/Los_Angeles', TIMESTAMP '2020-03-01 00:00:00'",
      );
    });
  });

  describe('findUnsupportedTrinoFunctions', () => {
    it('returns each Athena-only function once when the query calls them, ignoring literals and comments', () => {
      // Prepare
      const sql = `SELECT DATE_PARSE(a, '%Y'), format_datetime(b, 'yyyy'), date_parse(c, '%Y'),
        'url_extract_host(x)' -- json_size(y)
        FROM t`;

      // Act
      const found = findUnsupportedTrinoFunctions(sql);

      // Assess
      expect(found).toEqual(['date_parse', 'format_datetime']);
    });

    it('returns nothing when the query uses only emulated functions', () => {
      // Prepare
      const sql = "SELECT date_format(ts, '%Y'), approx_distinct(user_id) FROM t";

      // Act
      const found = findUnsupportedTrinoFunctions(sql);

      // Assess
      expect(found).toEqual([]);
    });
  });

  describe('explainDuckDbError', () => {
    it('keeps the first line and the cause when DuckDB reports another error', async () => {
      // Prepare
      const query = 'SELECT no_such_column FROM (VALUES (1)) t(x)';

      // Act
      const error = await failureOf(query);

      // Assess
      expect(error).toBeInstanceOf(FeatureQueryError);
      expect((error as FeatureQueryError).name).toBe('FeatureQueryError');
      expect((error as Error).message).toBe('Binder Error: Referenced column "no_such_column" not found in FROM clause!');
      expect(((error as Error).cause as Error).message).toContain('LINE 1');
      expect((error as FeatureQueryError).sql).toBe(query);
    });

    it('speaks of the Trino name when DuckDB reports an error inside a renamed call', () => {
      // Prepare
      const duckDbError = new Error("Binder Error: No function matches 'trino_date_diff(INTEGER, INTEGER)'\nLINE 1: ...");

      // Act
      const explained = explainDuckDbError(duckDbError, 'SELECT date_diff(1, 2)');

      // Assess
      expect(explained.message).toBe("Binder Error: No function matches 'date_diff(INTEGER, INTEGER)'");
    });

    it('wraps a thrown string when the error is not an Error', () => {
      // Prepare
      const thrown = 'Catalog Error: Scalar Function with name bar_baz does not exist!';

      // Act
      const explained = explainDuckDbError(thrown, 'SELECT bar_baz()');

      // Assess
      expect(explained).toBeInstanceOf(UnsupportedSqlFunctionError);
      expect((explained as UnsupportedSqlFunctionError).functionNames).toEqual(['bar_baz']);
      expect(explained.cause).toBe(thrown);
    });
  });

  describe('installTrinoCompat', () => {
    it('sends the session settings and every macro, in order, in one script when it installs', async () => {
      // Prepare
      const sent: string[] = [];
      const recorder = { run: async (sql: string) => (sent.push(sql), connection.run('SELECT 1')) };

      // Act
      await installTrinoCompat(recorder);

      // Assess
      expect(sent).toEqual([[...TRINO_SESSION_SETTINGS, ...TRINO_COMPAT_MACROS].join(';\n')]);
    });

    it('creates the last macro of the script when it runs on a fresh connection', async () => {
      // Prepare
      const fresh = await instance.connect();
      const last = TRINO_COMPAT_MACROS.at(-1)?.match(/MACRO (\w+)/)?.[1];

      // Act
      await installTrinoCompat(fresh);
      const reader = await fresh.runAndReadAll(`SELECT count(*) AS n FROM duckdb_functions() WHERE function_name = '${last ?? ''}'`);
      fresh.closeSync();

      // Assess
      expect(last).toBeDefined();
      expect(Number(reader.getRowObjectsJson()[0]?.n)).toBeGreaterThan(0);
    });
  });

  describe('installTrinoCompat given the query', () => {
    /** A connection of its own (TEMP macros live on one connection), with the macros `query` needs. */
    const connectionFor = async (query: string): Promise<DuckDBConnection> => {
      const own = await instance.connect();
      await installTrinoCompat(own, query);
      return own;
    };

    it.each(ALL_CASES)('gives the documented value with only the macros the query names when it $title', async ({ query, expected }) => {
      // Prepare
      const own = await connectionFor(query);

      // Act
      const reader = await runTrinoQuery(own, query).finally(() => own.closeSync());

      // Assess
      expect(reader.getRowObjectsJson()[0]?.['v']).toEqual(expected);
    });

    it('creates the macro a query calls and its helper, and no other, when the query calls date_add', async () => {
      // Prepare
      const query = "SELECT date_add('day', 1, DATE '2020-01-01') AS v";

      // Act
      const own = await connectionFor(query);
      const reader = await own.runAndReadAll("SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_name LIKE 'trino\\_%' ESCAPE '\\' OR function_name = 'regexp_like' ORDER BY 1");
      own.closeSync();

      // Assess
      expect(reader.getRowObjectsJson().map((row) => row['function_name'])).toEqual(['trino_date_add', 'trino_interval']);
    });

    it('creates a macro named as a quoted identifier when the query calls it so', async () => {
      // Prepare
      const query = `SELECT "regexp_like"('abc', 'b') AS v`;

      // Act
      const own = await connectionFor(query);
      const reader = await own.runAndReadAll(query);
      own.closeSync();

      // Assess
      expect(reader.getRowObjectsJson()[0]?.['v']).toBe(true);
    });
  });

  describe('TRINO_COMPAT_MACROS', () => {
    it('creates only temporary macros when the statements are listed', () => {
      // Prepare
      const prefix = 'CREATE OR REPLACE TEMP MACRO ';

      // Act
      const others = TRINO_COMPAT_MACROS.filter((statement) => !statement.startsWith(prefix));

      // Assess
      expect(others).toEqual([]);
    });
  });
});
