import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compileFeatureProgram, RecordNeedsDuckDb, UncompilableQueryError } from '../../../core/serving/feature-program.js';
import type { FeatureProgram } from '../../../core/serving/feature-program.js';
import type { RawValue } from '../../../core/serving/raw-records.js';
import { rawServingSpecOf } from '../../../core/serving/raw-serving-spec-of.js';
import type { RawColumn, RawServingSpec } from '../../../core/serving/raw-serving-spec.js';
import { RAW_ROW_COLUMN } from '../../../core/serving/raw-serving-spec.js';
import { installTrinoCompat, translateTrinoSql } from '../../../core/sql/trino-compat.js';
import { specFrom } from '../../support/spec-fixtures.js';
import { mulberry32 } from '../../../core/support/mulberry32.js';

/*
 * The proof that a compiled feature program answers exactly what DuckDB answers: every query below is built as the
 * raw-record endpoint builds it (the feature SQL of a pipeline through rawServingSpecOf, i.e. scoringSelectSql, then
 * translateTrinoSql), run by DuckDB (in-memory, the Trino-compatibility session) over a few thousand seeded records
 * mixing each type's edge values, and evaluated record by record by the compiled program. For every record either the
 * program throws RecordNeedsDuckDb (and the case says it must), or it writes the very floats DuckDB's answer converts
 * to (`Number(value)` stored in a Float32Array, as the featurizer converts them). NaN equals NaN (both are a missing
 * value); +0 and -0 count as equal because XGBoost's split test (`value < split`) cannot tell them apart.
 */

/** The pipeline the feature queries read (`FROM probe`): one column of each type, the label `y` first. */
const CONTRACT_YAML = `
name: probe
source:
  format: csv
contract:
  columns:
    - { name: y, type: integer, nullable: true }
    - { name: s, type: string, nullable: true }
    - { name: t, type: string, nullable: true }
    - { name: i, type: integer, nullable: true }
    - { name: j, type: integer, nullable: true }
    - { name: d, type: double, nullable: true }
    - { name: e, type: double, nullable: true }
    - { name: b, type: boolean, nullable: true }
    - { name: day, type: date, nullable: true }
features:
  query: features.sql
`;

/** One record, by column name (the label `y` is never sent: the scoring query computes it from NULL). */
interface Row {
  readonly s: string | null;
  readonly t: string | null;
  readonly i: number | null;
  readonly j: number | null;
  readonly d: number | null;
  readonly e: number | null;
  readonly b: boolean | null;
  readonly day: string | null;
}

const INTEGERS: readonly (number | null)[] = [
  null, 0, 1, -1, 2, -2, 3, 7, -7, 10, 12, 46340, 46341, 65536, 94906265, 94906266, 2 ** 31 - 1, -(2 ** 31), 2 ** 31,
  -(2 ** 31) - 1, 2 ** 32, 3037000499, 10 ** 15 + 1, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53,
];
const DOUBLES: readonly (number | null)[] = [
  null, 0, -0, 1, -1, 0.1, 0.5, -0.5, 2.5, 1e-7, 0.30000000000000004, 16777217, 2147483647.5, 2 ** 53 + 2, 1e308, -1e308,
  Number.MAX_VALUE, Number.MIN_VALUE, 2.2250738585072014e-308, 3.4028234663852886e38, 2 ** 128 - 2 ** 103,
  3.4028235677973362e38, 1.401298464324817e-45, 7.006492321624085e-46, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY,
  Number.NaN,
];
const STRINGS: readonly (string | null)[] = [
  null, '', 'a', 'A', 'b', 'z', 'Z', 'Yes', 'No', 'yes', 'YES', 'ab', 'abc', 'ABC', 'a_b', 'a.b', 'a-b', 'x ', ' x', '0', '42',
  'A1', 'é', 'É', 'ß', 'ǅ', 'İ', 'ﬃ', 'Σ', 'Straße', '😀', 'a😀', '\uFFFD', '\uE000', '\uD7FF', 'a\rb', 'a\nb', 'ab\n',
  'a\u2028b', '\t', 'Bank transfer (automatic)', 'Electronic check',
];
const BOOLEANS: readonly (boolean | null)[] = [null, true, false];
const DATES: readonly (string | null)[] = [null, '2024-02-29', '1970-01-01'];

/** Every pair of edge values of the two integer, the two double and the two string columns, then random records. */
function generateRows(): Row[] {
  const random = mulberry32(20261130);
  const pick = <T>(pool: readonly T[]): T => pool[Math.floor(random() * pool.length)] as T;
  const randomInteger = (): number | null => (random() < 0.5 ? pick(INTEGERS) : Math.round((random() - 0.5) * 2 ** (1 + Math.floor(random() * 40))));
  const randomDouble = (): number | null => (random() < 0.5 ? pick(DOUBLES) : (random() - 0.5) * 10 ** Math.floor(random() * 12 - 4));
  const alphabet = ['a', 'b', 'A', 'Z', '0', '9', '_', ' ', '.', '(', ')', '-', 'é', 'ß', '€', '😀', '\r', '\n'];
  const randomString = (): string | null => (random() < 0.5 ? pick(STRINGS) : Array.from({ length: Math.floor(random() * 6) }, () => pick(alphabet)).join(''));
  const base: Row = { s: 'Yes', t: 'No', i: 1, j: 2, d: 0.5, e: 1.5, b: true, day: null };
  const rows: Row[] = [];
  for (const i of INTEGERS) for (const j of INTEGERS) rows.push({ ...base, i, j, b: pick(BOOLEANS) });
  for (const d of DOUBLES) for (const e of DOUBLES) rows.push({ ...base, d, e, i: pick(INTEGERS) });
  for (const s of STRINGS) for (const t of STRINGS) rows.push({ ...base, s, t, b: pick(BOOLEANS) });
  for (let k = 0; k < 1500; k++) {
    rows.push({ s: randomString(), t: randomString(), i: randomInteger(), j: randomInteger(), d: randomDouble(), e: randomDouble(), b: pick(BOOLEANS), day: pick(DATES) });
  }
  return rows;
}

const ROWS = generateRows();

/** A SQL literal of a value, typed as its column. */
function literal(value: string | number | boolean | null, type: string): string {
  if (value === null) return `CAST(NULL AS ${type})`;
  if (typeof value === 'string') return `CAST('${value.replaceAll("'", "''")}' AS ${type})`;
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (type === 'BIGINT') return `CAST('${BigInt(value).toString()}' AS BIGINT)`;
  return `CAST('${Object.is(value, -0) ? '-0' : String(value)}' AS DOUBLE)`;
}

const ROW_TYPES: readonly (readonly [keyof Row, string])[] = [
  ['s', 'VARCHAR'], ['t', 'VARCHAR'], ['i', 'BIGINT'], ['j', 'BIGINT'], ['d', 'DOUBLE'], ['e', 'DOUBLE'], ['b', 'BOOLEAN'], ['day', 'DATE'],
];

let instance: DuckDBInstance;
let connection: DuckDBConnection;
let specDir: string;

beforeAll(async () => {
  specDir = mkdtempSync(path.join(tmpdir(), 'feature-program-'));
  instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  connection = await instance.connect();
  await installTrinoCompat(connection);
  const columns = ROW_TYPES.map(([name, type]) => `${name} ${type}`).join(', ');
  await connection.run(`CREATE TABLE all_rows (${RAW_ROW_COLUMN} BIGINT, ${columns})`);
  for (let start = 0; start < ROWS.length; start += 500) {
    const values = ROWS.slice(start, start + 500).map((row, k) => `(${start + k}, ${ROW_TYPES.map(([name, type]) => literal(row[name], type)).join(', ')})`);
    await connection.run(`INSERT INTO all_rows VALUES ${values.join(', ')}`);
  }
  await connection.run(`CREATE TABLE answered (id BIGINT)`);
  await connection.run(`CREATE VIEW ${quoted('__sluice_raw_records')} AS SELECT * FROM all_rows WHERE ${RAW_ROW_COLUMN} IN (SELECT id FROM answered)`);
});

afterAll(() => {
  connection.closeSync();
  instance.closeSync();
  rmSync(specDir, { recursive: true, force: true });
});

function quoted(name: string): string {
  return `"${name}"`;
}

/** The probe pipeline's raw-serving spec for a feature query (`SELECT y AS label, <features> FROM probe`). */
function servingSpecOf(featureSql: string): RawServingSpec {
  writeFileSync(path.join(specDir, 'features.sql'), featureSql);
  const spec = rawServingSpecOf(specFrom(CONTRACT_YAML, specDir));
  if (spec === undefined) throw new Error('the probe pipeline has no feature query');
  return spec;
}

/** DuckDB's parse tree and prepared column types of a query, and the program compiled from them. */
async function compile(sql: string, columns: readonly RawColumn[]): Promise<FeatureProgram> {
  const reader = await connection.runAndReadAll(`SELECT json_serialize_sql('${sql.replaceAll("'", "''")}')`);
  const tree: unknown = JSON.parse(String(reader.getRowsJS()[0]?.[0]));
  // A query DuckDB cannot prepare (RE2 refuses a lookahead) has no types: the compiler must refuse it all the same.
  const prepared = await connection.prepare(sql).catch(() => undefined);
  const types = prepared === undefined ? [] : Array.from({ length: prepared.columnCount }, (_, k) => prepared.columnType(k).toString());
  return compileFeatureProgram(tree, { relation: '__sluice_raw_records', recordColumn: RAW_ROW_COLUMN, columns }, types);
}

/** The features DuckDB gives the records `ids` (float32, as the featurizer converts them), by record; throws if the query fails. */
async function duckDbFeatures(sql: string, ids: readonly number[]): Promise<Map<number, Float32Array>> {
  await connection.run('DELETE FROM answered');
  for (let start = 0; start < ids.length; start += 1000) {
    const chunk = ids.slice(start, start + 1000);
    if (chunk.length > 0) await connection.run(`INSERT INTO answered VALUES ${chunk.map((id) => `(${id})`).join(', ')}`);
  }
  const rows = (await connection.runAndReadAll(sql)).getRowsJS();
  return new Map(rows.map((row) => [Number(row[0]), Float32Array.from(row.slice(2), (value) => (value === null ? Number.NaN : Number(value)))]));
}

/** The first records of `ids` on which the query fails in DuckDB (by bisection), for a readable failure. */
async function failingRecords(sql: string, ids: readonly number[], found: number[] = []): Promise<number[]> {
  if (found.length >= 3 || ids.length === 0) return found;
  try {
    await duckDbFeatures(sql, ids);
    return found;
  } catch {
    if (ids.length === 1) return [...found, ids[0] as number];
    const half = Math.ceil(ids.length / 2);
    return failingRecords(sql, ids.slice(half), await failingRecords(sql, ids.slice(0, half), found));
  }
}

function sameFeature(a: number, b: number): boolean {
  // +0 and -0 alike: XGBoost compares them equal. NaN alike: both are a missing value.
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

/** What comparing a program with DuckDB found: the records that differ, described. */
interface Comparison {
  readonly differences: string[];
  readonly answered: number;
  readonly needed: number;
}

/**
 * Runs a feature query through DuckDB and the compiled program over every generated record. A record must need
 * DuckDB exactly when `needsDuckDb` says so; every other record must get DuckDB's floats (and DuckDB must not fail
 * on it: a program never answers a record DuckDB would refuse).
 */
async function compareWithDuckDb(features: readonly string[], needsDuckDb: (row: Row) => boolean, from = 'FROM probe'): Promise<Comparison> {
  const spec = servingSpecOf(`SELECT y AS label, ${features.join(',\n  ')}\n${from}`);
  return compareSqlWithDuckDb(translateTrinoSql(spec.scoringSql), recordColumns(spec), needsDuckDb);
}

/** The columns of a record: the contract's but the label's. */
function recordColumns(spec: RawServingSpec): RawColumn[] {
  return spec.columns.filter((c) => !spec.labelColumns.includes(c.name));
}

/** {@link compareWithDuckDb} for a scoring query written whole (record number, label, features). */
async function compareSqlWithDuckDb(sql: string, columns: readonly RawColumn[], needsDuckDb: (row: Row) => boolean): Promise<Comparison> {
  const program = await compile(sql, columns);
  const differences: string[] = [];
  const mine = new Map<number, Float32Array>();
  for (const [id, row] of ROWS.entries()) {
    const values = columns.map((c) => row[c.name as keyof Row] as RawValue);
    const out = new Float32Array(program.nCols);
    let needed = false;
    try {
      program.evaluate(values, out, 0);
    } catch (error) {
      if (!(error instanceof RecordNeedsDuckDb)) throw error;
      needed = true;
    }
    if (needed !== needsDuckDb(row)) differences.push(`record ${JSON.stringify(row)}: the program ${needed ? 'needs' : 'does not need'} DuckDB`);
    if (!needed) mine.set(id, out);
  }
  const ids = [...mine.keys()];
  let duck: Map<number, Float32Array>;
  try {
    duck = await duckDbFeatures(sql, ids);
  } catch (error) {
    const failing = await failingRecords(sql, ids);
    return { differences: [...differences, `DuckDB fails (${(error as Error).message.split('\n')[0] ?? ''}) on answered records ${failing.map((id) => JSON.stringify(ROWS[id])).join(', ')}`], answered: ids.length, needed: ROWS.length - ids.length };
  }
  for (const [id, out] of mine) {
    const expected = duck.get(id);
    if (expected === undefined || !expected.every((value, k) => sameFeature(value, out[k] as number))) {
      differences.push(`record ${JSON.stringify(ROWS[id])}: program ${String([...out])}, DuckDB ${String(expected === undefined ? 'no row' : [...expected])}`);
    }
  }
  return { differences: differences.slice(0, 8), answered: ids.length, needed: ROWS.length - ids.length };
}

const INT32 = 2 ** 31;
/** An integer column value beyond what a double holds exactly: always DuckDB's. */
const unsafe = (value: number | null): boolean => value !== null && !Number.isSafeInteger(value);
/** A double column value that is not finite: always DuckDB's. */
const nonFinite = (value: number | null): boolean => value !== null && !Number.isFinite(value);
/** The bare columns every case also selects, so that reading them decides alone whether a record needs DuckDB. */
const COLUMNS = ['i', 'j', 'd', 'e', 'b'];
const readsNeedDuckDb = (row: Row): boolean => unsafe(row.i) || unsafe(row.j) || nonFinite(row.d) || nonFinite(row.e);
/** Text whose order differs between UTF-16 and UTF-8 (surrogates and U+E000-U+FFFF). */
const orderDiffers = (text: string | null): boolean => text !== null && /[\uD800-\uFFFF]/.test(text);
const beyondAscii = (text: string | null): boolean => text !== null && /[\u0080-\uFFFF]/.test(text);
const outOfInt32 = (value: number): boolean => !(value >= -INT32 && value < INT32);
const both = (a: number | null, b: number | null): [number, number] | undefined => (a === null || b === null ? undefined : [a, b]);

describe('compileFeatureProgram', () => {
  jest.setTimeout(60_000);

  describe('the same floats as DuckDB', () => {
    it.each<[string, readonly string[], (row: Row) => boolean]>([
      ['columns of each type, with a date column in the contract that nothing reads', ['CAST(b AS INTEGER)', 'CAST(b AS DOUBLE)'], () => false],
      [
        'BIGINT arithmetic, integer division (Trino: 5 / 2 = 2), modulo and their zero divisors',
        ['i + j', 'i - j', 'i * j', 'i % j', 'i // j', 'i / j', '-i', 'abs(j)', '+i', 'CAST(i / j AS DOUBLE)', '(i / j) * 0.5e0'],
        (row) => {
          const pair = both(row.i, row.j);
          return pair !== undefined && [pair[0] + pair[1], pair[0] - pair[1], pair[0] * pair[1]].some((v) => !Number.isSafeInteger(v));
        },
      ],
      [
        'INTEGER arithmetic overflowing at 2^31 (DuckDB fails, the program leaves the record to it)',
        ['CAST(i AS INTEGER) + CAST(j AS INTEGER)', 'CAST(i AS INTEGER) * 2', '2147483647 - CAST(j AS INTEGER)', '-CAST(i AS INTEGER)', 'abs(CAST(j AS INTEGER))', 'CAST(i AS INTEGER) // CAST(j AS INTEGER)', 'CAST(i AS INTEGER) % 7', 'CAST(i AS INTEGER) % CAST(j AS INTEGER)'],
        (row) => {
          const { i, j } = row;
          if ((i !== null && outOfInt32(i)) || (j !== null && outOfInt32(j))) return true;
          if (i !== null && [i * 2, -i].some(outOfInt32)) return true;
          if (j !== null && [2147483647 - j, Math.abs(j)].some(outOfInt32)) return true;
          if (i !== null && j !== null && (outOfInt32(i + j) || (j !== 0 && outOfInt32(Math.trunc(i / j))))) return true;
          return false;
        },
      ],
      [
        'DOUBLE arithmetic: division by zero is NULL, modulo by zero NaN, overflow to Infinity',
        ['d + e', 'd - e', 'd * e', 'd / e', 'd % e', '-d', 'abs(e)', 'd * 2', 'e / 2', 'i + d', 'j * e'],
        (row) => {
          const results: number[] = [];
          if (row.d !== null) results.push(-row.d, row.d * 2);
          if (row.e !== null) results.push(row.e / 2);
          if (row.d !== null && row.e !== null) results.push(row.d + row.e, row.d - row.e, row.d * row.e, row.e === 0 ? 0 : row.d / row.e, row.d % row.e);
          if (row.i !== null && row.d !== null) results.push(row.i + row.d);
          if (row.j !== null && row.e !== null) results.push(row.j * row.e);
          return results.some((v) => !Number.isFinite(v));
        },
      ],
      [
        'comparisons of numbers and three-valued AND, OR and NOT',
        ['d < e', 'd = e', 'd <> e', 'i <= j', 'i >= d', 'i = 2', 'd > 0.5', 'b = TRUE', '(d < e) AND (i > j)', '(d < e) OR (i > j)', 'NOT (i = j)', 'NOT b', 'b AND NULL', 'b OR NULL'],
        () => false,
      ],
      [
        'string order with non-ASCII and astral characters, equality, BETWEEN, IN, IS DISTINCT FROM',
        ["s < t", "s > t", "s <= t", "s = t", "s <> t", "s BETWEEN 'a' AND 'z'", "s IN ('Yes', 'No')", "s NOT IN ('Yes', NULL)", 's IS DISTINCT FROM t', 's IS NOT DISTINCT FROM t', "s = 'é'", 's IS NULL'],
        (row) => (row.s !== null && orderDiffers(row.s)) || (row.s !== null && row.t !== null && row.s !== row.t && orderDiffers(row.t)),
      ],
      [
        'lower and upper: ASCII answered, anything beyond left to DuckDB',
        ["lower(s) = 'yes'", "upper(s) = 'YES'", "lower(s) < 'm'", "upper(t) IN ('NO', 'A')"],
        (row) => beyondAscii(row.s) || beyondAscii(row.t),
      ],
      [
        'regexp_like with anchors, classes, \\d, \\w, alternation and . (which RE2 lets match \\r)',
        [
          "regexp_like(s, '^a')", "regexp_like(s, 'b$')", "regexp_like(s, '[A-Z]\\d')", "regexp_like(s, '\\w+_\\w+')", "regexp_like(s, 'Yes|No')",
          "regexp_like(s, '\\(automatic\\)$')", "regexp_like(s, '[^a-z]')", "regexp_like(s, '^$')", "regexp_like(s, 'é|ß')", "regexp_like(s, '^\\W*$')",
          "regexp_like(t, '^.$')", "regexp_like(t, 'a.b')", "regexp_like(t, '^(?:ab)+\\.?[0-9]{1,2}?')", "regexp_like(t, '\\D\\d')",
        ],
        (row) => row.t !== null && /[\r\u2028\u2029]/.test(row.t),
      ],
      [
        'CASE with INTEGER, BIGINT, DECIMAL and DOUBLE branches',
        [
          'CASE WHEN i > 0 THEN i WHEN d > 0 THEN d ELSE 0 END',
          'CASE WHEN b THEN CAST(i AS INTEGER) ELSE j END',
          'CASE WHEN b THEN 1 ELSE 2.25 END',
          'CASE WHEN b THEN 0.5 ELSE CAST(i AS INTEGER) END',
          "CASE s WHEN 'Yes' THEN 1 WHEN 'No' THEN 0 END",
          'CASE WHEN d IS NULL THEN -1 WHEN d < 0 THEN 0 ELSE 3000000000 END',
          'CASE WHEN NULL THEN 1 ELSE 2 END',
        ],
        // CAST(i AS INTEGER) is read in the second CASE when b is true, in the fourth when it is not.
        (row) => row.i !== null && outOfInt32(row.i),
      ],
      [
        'COALESCE and IFNULL with DECIMAL and DOUBLE constants',
        ['COALESCE(d, 0.0)', 'COALESCE(i, 0.5)', 'COALESCE(i, j, 0)', 'IFNULL(d, -1.25)', 'COALESCE(e, 1e300)', 'COALESCE(NULL, 0.1)', 'COALESCE(d, e, i)'],
        () => false,
      ],
      [
        'decimals promoted to a large scale (integers stay exact, a fraction whose digits reach 2^53 is left to DuckDB)',
        [
          'COALESCE(i, CAST(NULL AS DECIMAL(18,10)))',
          'GREATEST(j, CAST(NULL AS DECIMAL(18,10)))',
          'CASE WHEN b THEN 1234567.1 ELSE 0.00000000000001 END',
          'CASE WHEN b THEN 12 ELSE 0.00000000000001 END',
          'CASE WHEN b THEN 0.5 WHEN NOT b THEN 0.25 ELSE 0.000001 END',
        ],
        (row) => row.b === true,
      ],
      [
        'GREATEST and LEAST skipping NULLs',
        ['GREATEST(i, 1)', 'LEAST(d, e)', 'GREATEST(i, j, 0)', 'GREATEST(d, 0.5)', 'LEAST(i, NULL)', 'GREATEST(NULL, d)', 'LEAST(i, d, 2.5e0)'],
        () => false,
      ],
      [
        'IN and NOT IN with NULL in the list, BETWEEN, IS [NOT] DISTINCT FROM',
        ['i IN (1, 2, NULL)', 'i NOT IN (1, NULL)', 'i NOT IN (1, 2)', 'd IN (0.5, 1e300)', 'd BETWEEN 0 AND 1', 'i BETWEEN j AND 10', 'd NOT BETWEEN -1 AND 0.5', 'i IS DISTINCT FROM j', 'd IS NOT DISTINCT FROM e', 'b IS DISTINCT FROM TRUE', 'NULL IS NOT DISTINCT FROM i'],
        () => false,
      ],
      [
        'NULLIF, CAST of TRUE and FALSE, and casts between numbers and booleans',
        ['NULLIF(i, 0)', 'NULLIF(d, 0.5)', 'NULLIF(i, 1.5) IS NULL', "NULLIF(s, '') IS NULL", 'CAST(TRUE AS INTEGER)', 'CAST(FALSE AS DOUBLE)', 'CAST(i AS BOOLEAN)', 'CAST(i AS DOUBLE)', 'CAST(CAST(b AS INTEGER) AS BIGINT) + 1'],
        () => false,
      ],
      [
        "Trino's IF through the compatibility layer",
        ['IF(b, 1, 0)', 'IF(d > 0, d)', 'IF(NULL, 1, 2)', "IF(s = 'Yes', i, j)", 'IF(i > j, 1.5, 0)'],
        () => false,
      ],
    ])('gives DuckDB floats, or leaves exactly the expected records to DuckDB, when the query holds %s', async (_name, features, needsDuckDb) => {
      // Prepare
      const all = [...COLUMNS, ...features];
      const expected = (row: Row): boolean => readsNeedDuckDb(row) || needsDuckDb(row);

      // Act
      const comparison = await compareWithDuckDb(all, expected);

      // Assess
      expect(comparison.differences).toEqual([]);
      expect(comparison.answered).toBeGreaterThan(ROWS.length / 2);
    });

    it('gives DuckDB floats when columns are qualified by the table alias', async () => {
      // Prepare
      const expected = (row: Row): boolean =>
        unsafe(row.i) || nonFinite(row.d) || (row.d !== null && !Number.isFinite(row.d * 2)) || (row.i !== null && (unsafe(row.j) || (row.j !== null && !Number.isSafeInteger(row.i + row.j))));

      // Act
      const comparison = await compareWithDuckDb(['c.i + c.j', 'c.d * 2', "c.s = 'Yes'"], expected, 'FROM probe c');

      // Assess
      expect(comparison.differences).toEqual([]);
      expect(comparison.answered).toBeGreaterThan(ROWS.length / 2);
    });

    // scoringSelectSql refuses a pipeline table read inside a subquery, so these are written as whole scoring queries.
    it.each<[string, string, (row: Row) => boolean]>([
      [
        'a subquery in FROM',
        `SELECT q.${RAW_ROW_COLUMN}, NULL AS label, q.x * 2, q.w, x + w FROM (SELECT ${RAW_ROW_COLUMN}, i + 1 AS x, d AS w FROM __sluice_raw_records) AS q`,
        (row) => unsafe(row.i) || nonFinite(row.d) || (row.i !== null && !Number.isSafeInteger((row.i + 1) * 2)),
      ],
      [
        'nested subqueries selecting *',
        `SELECT *, z * 2 FROM (SELECT ${RAW_ROW_COLUMN}, NULL AS label, z FROM (SELECT *, j - i AS z FROM __sluice_raw_records) AS r) AS q`,
        (row) => unsafe(row.j) || (row.j !== null && (unsafe(row.i) || (row.i !== null && !Number.isSafeInteger((row.j - row.i) * 2)))),
      ],
    ])('gives DuckDB floats when the query holds %s', async (_name, sql, expected) => {
      // Prepare
      const columns = recordColumns(servingSpecOf('SELECT y AS label, i FROM probe'));

      // Act
      const comparison = await compareSqlWithDuckDb(sql, columns, expected);

      // Assess
      expect(comparison.differences).toEqual([]);
      expect(comparison.answered).toBeGreaterThan(ROWS.length / 2);
    });

    // DuckDB cannot hold a lone surrogate (JSON can carry "\ud800"), so these records are not compared with DuckDB.
    it.each([
      ['compared with another column', 's = t', 'a\uD800', 'a\uDC00', undefined],
      ['compared with a constant holding U+FFFD', "s = 'a\uFFFD'", 'a\uD800', null, undefined],
      ['ordered', "s < 'b'", 'a\uD800', null, undefined],
      ['matched by a pattern', "regexp_like(s, '^a')", 'a\uD800', null, undefined],
      ['compared with a constant free of surrogates and U+FFFD (no string holding one can equal it)', "s = 'a'", 'a\uD800', null, 0],
      ['paired, compared with another column', 's = t', 'a\uD83D\uDE00', 'a\uD83D\uDE01', 0],
    ])('leaves a record with a lone surrogate to DuckDB, unless no answer can differ, when the string is %s', async (_name, feature, s, t, answer) => {
      // Prepare
      const spec = servingSpecOf(`SELECT y AS label, ${feature} AS x FROM probe`);
      const columns = recordColumns(spec);
      const program = await compile(translateTrinoSql(spec.scoringSql), columns);
      const record = columns.map((c) => (c.name === 's' ? s : c.name === 't' ? t : null));
      const out = new Float32Array(program.nCols);

      // Act
      const evaluate = () => program.evaluate(record, out, 0);

      // Assess
      if (answer === undefined) {
        expect(evaluate).toThrow(RecordNeedsDuckDb);
      } else {
        evaluate();
        expect(out[0]).toBe(answer);
      }
    });
  });

  describe('queries outside the compiled SQL', () => {
    it.each([
      ['a WHERE clause', 'SELECT y AS label, i FROM probe WHERE i > 0', /WHERE/],
      ['a window function', 'SELECT y AS label, sum(i) OVER () AS w FROM probe', /WINDOW|function/i],
      ['ORDER BY', 'SELECT y AS label, i FROM probe ORDER BY i', /ORDER BY/],
      ['LIMIT', 'SELECT y AS label, i FROM probe LIMIT 3', /LIMIT/],
      ['an unknown function', 'SELECT y AS label, sqrt(d) AS r FROM probe', /sqrt/],
      ['DECIMAL arithmetic', 'SELECT y AS label, COALESCE(i, 0.5) + 1 AS x FROM probe', /DECIMAL/],
      ['a negated DECIMAL', 'SELECT y AS label, -COALESCE(i, 0.5) AS x FROM probe', /DECIMAL/],
      ['CAST of a DOUBLE to INTEGER (rounding)', 'SELECT y AS label, CAST(d AS INTEGER) AS x FROM probe', /CAST from DOUBLE/],
      ['CAST to SMALLINT (a narrower overflow)', 'SELECT y AS label, CAST(i AS SMALLINT) + 1 AS x FROM probe', /SMALLINT/],
      ['CAST of text to a number (parsing)', 'SELECT y AS label, CAST(s AS DOUBLE) AS x FROM probe', /CAST from VARCHAR/],
      ['// on doubles', 'SELECT y AS label, d // e AS x FROM probe', /\/\/ on a DOUBLE/],
      ['a text feature', 'SELECT y AS label, s FROM probe', /text/],
      ['a date column read by an expression', 'SELECT y AS label, day IS NULL AS x FROM probe', /date column day/],
      ['a date column as a feature', 'SELECT y AS label, day FROM probe', /date column day/],
      ['regexp_like with \\s', "SELECT y AS label, regexp_like(s, '\\s') AS x FROM probe", /escape \\s/],
      ['regexp_like with (?i)', "SELECT y AS label, regexp_like(s, '(?i)yes') AS x FROM probe", /\(\?/],
      ['regexp_like with a lookahead', "SELECT y AS label, regexp_like(s, 'a(?=b)') AS x FROM probe", /\(\?/],
      ['regexp_like with a back-reference', "SELECT y AS label, regexp_like(s, '(a)\\1') AS x FROM probe", /escape \\1/],
      ['regexp_like with a POSIX class', "SELECT y AS label, regexp_like(s, '[[:alpha:]]') AS x FROM probe", /\[ inside a class/],
      ['regexp_like with a column as the pattern', 'SELECT y AS label, regexp_like(s, t) AS x FROM probe', /not a constant/],
    ])('throws UncompilableQueryError when the query holds %s', async (_name, featureSql, reason) => {
      // Prepare
      const spec = servingSpecOf(featureSql);
      const sql = translateTrinoSql(spec.scoringSql);

      // Act
      const compiling = compile(sql, spec.columns.filter((c) => !spec.labelColumns.includes(c.name)));

      // Assess
      await expect(compiling).rejects.toThrow(UncompilableQueryError);
      await expect(compiling).rejects.toThrow(reason);
    });

    it.each([
      ['GROUP BY', 'SELECT __sluice_record, NULL AS label, count(*) AS n FROM __sluice_raw_records GROUP BY __sluice_record', /GROUP BY/],
      ['a join', 'SELECT a.__sluice_record, NULL AS label, a.i FROM __sluice_raw_records a JOIN __sluice_raw_records b ON a.i = b.j', /JOIN/],
      ['another table', 'SELECT __sluice_record, NULL AS label, i FROM all_rows', /all_rows/],
    ])('throws UncompilableQueryError when a query written whole holds %s', async (_name, sql, reason) => {
      // Prepare
      const columns = servingSpecOf('SELECT y AS label, i FROM probe').columns.filter((c) => c.name !== 'y');

      // Act
      const compiling = compile(sql, columns);

      // Assess
      await expect(compiling).rejects.toThrow(UncompilableQueryError);
      await expect(compiling).rejects.toThrow(reason);
    });
  });
});
