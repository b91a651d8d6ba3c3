/**
 * The records a compiled feature program (core/serving/feature-program.ts) is checked on against DuckDB before it
 * serves: the same rows through both, and every feature must be the same float.
 *
 * What they hold, per column of the contract: the values a feature query most often turns on (the constants the query
 * itself names, and their neighbours: `tenure > 12` is tried at 11, 12 and 13; `contract = 'Two year'` with that very
 * text and near misses), the contract's allowed values, NULL where the column may be NULL, and the edges of each type
 * (zero and minus zero, ±1, integer and float limits, tiny and huge doubles, empty and non-ASCII text). First one
 * record per value of each column (the others at a plain base value), so every value meets every expression at least
 * once; then records mixing them at random, seeded, so the same contract and query always get the same records.
 */
import { mulberry32 } from '../support/mulberry32.js';
import type { RawValue } from './raw-records.js';
import type { RawColumn } from './raw-serving-spec.js';

/** Records generated at random after the one-value-per-column sweep. */
export const RANDOM_VERIFICATION_RECORDS = 1024;

/** The constants a parse tree names (from DuckDB's `json_serialize_sql`): its texts and numbers. */
export interface QueryConstants {
  readonly texts: readonly string[];
  readonly numbers: readonly number[];
}

/** The text and number constants anywhere in a parse tree. */
export function queryConstants(parseTree: unknown): QueryConstants {
  const texts = new Set<string>();
  const numbers = new Set<number>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown>;
    if (record['class'] === 'CONSTANT') {
      const value = record['value'] as { type?: { id?: unknown; type_info?: { scale?: unknown } }; is_null?: unknown; value?: unknown } | undefined;
      const raw = value?.value;
      if (value?.is_null !== true && typeof raw === 'string') texts.add(raw);
      if (value !== undefined && value.is_null !== true && typeof raw === 'number') {
        const scale = value.type?.id === 'DECIMAL' ? Number(value.type.type_info?.scale ?? 0) : 0;
        numbers.add(raw / 10 ** scale);
      }
    }
    for (const child of Object.values(record)) visit(child);
  };
  visit(parseTree);
  return { texts: [...texts], numbers: [...numbers].filter(Number.isFinite) };
}

/**
 * The verification records of a contract's columns (values in the order of `columns`, as a checked row holds them).
 *
 * @param seed the random records' seed (the same seed, columns and constants give the same records)
 */
export function verificationRecords(columns: readonly RawColumn[], constants: QueryConstants, seed = 1): RawValue[][] {
  const pools = columns.map((column) => valuesOf(column, constants));
  const base = columns.map((column, j) => (column.allowed?.[0] as RawValue | undefined) ?? plainValue(column, pools[j] ?? []));
  const records: RawValue[][] = [base];
  for (const [j, pool] of pools.entries()) {
    for (const value of pool) {
      const record = [...base];
      record[j] = value;
      records.push(record);
    }
  }
  const random = mulberry32(seed);
  for (let r = 0; r < RANDOM_VERIFICATION_RECORDS; r++) {
    records.push(pools.map((pool, j) => (random() < 0.5 ? (pool[Math.floor(random() * pool.length)] ?? null) : randomValue(columns[j] as RawColumn, random))));
  }
  return records;
}

const INTEGER_EDGES = [0, 1, -1, 2, -2, 10, 100, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 53 - 1, -(2 ** 53 - 1)];
const DOUBLE_EDGES = [0, -0, 1, -1, 0.5, -0.5, 0.1, 1 / 3, 2.5, 1e-7, 1e-300, 5e-324, 1e300, -1e300, 3.4028234663852886e38, 3.4028235677973366e38, 3.5e38, 2 ** 53, 2 ** 53 + 2];
const TEXT_EDGES = ['', ' ', 'a', 'A', 'Yes', 'No', 'yes', 'NO', 'é', 'É', 'ß', 'İ', '日本', '😀', 'a\nb', 'a\rb', '\u2028', '123', '-1.5', 'true', 'NULL'];

function valuesOf(column: RawColumn, constants: QueryConstants): RawValue[] {
  const values: RawValue[] = [];
  if (column.nullable) values.push(null);
  for (const allowed of column.allowed ?? []) values.push(allowed);
  switch (column.type) {
    case 'integer':
      for (const n of constants.numbers) for (const near of [Math.floor(n) - 1, Math.floor(n), Math.ceil(n), Math.ceil(n) + 1]) if (Number.isSafeInteger(near)) values.push(near);
      values.push(...INTEGER_EDGES);
      break;
    case 'double':
      for (const n of constants.numbers) values.push(n, n - 1, n + 1, n * (1 + Number.EPSILON), n * (1 - Number.EPSILON), -n);
      values.push(...DOUBLE_EDGES);
      break;
    case 'boolean':
      values.push(true, false);
      break;
    case 'string':
      for (const text of constants.texts) values.push(text, text.toUpperCase(), text.toLowerCase(), ` ${text}`, `${text} `, `x${text}`, `${text}x`, text.slice(1), text.slice(0, -1));
      values.push(...TEXT_EDGES);
      break;
    case 'date':
      values.push('1970-01-01', '2024-02-29', '1999-12-31');
      break;
    case 'timestamp':
      values.push('1970-01-01 00:00:00', '2024-02-29 23:59:59', '1999-12-31 12:00:00');
      break;
  }
  return [...new Map(values.map((v) => [typeof v === 'number' && Object.is(v, -0) ? '-0' : `${typeof v}:${String(v)}`, v])).values()];
}

function plainValue(column: RawColumn, pool: readonly RawValue[]): RawValue {
  const plain: Record<RawColumn['type'], RawValue> = { integer: 1, double: 1.5, boolean: true, string: 'a', date: '2024-02-29', timestamp: '2024-02-29 23:59:59' };
  return column.nullable || pool.length === 0 ? plain[column.type] : (pool.find((v) => v !== null) ?? plain[column.type]);
}

function randomValue(column: RawColumn, random: () => number): RawValue {
  if (column.nullable && random() < 0.1) return null;
  switch (column.type) {
    case 'integer':
      return Math.floor(random() * 20000) - 1000;
    case 'double':
      return (random() - 0.3) * 10 ** Math.floor(random() * 8);
    case 'boolean':
      return random() < 0.5;
    case 'string':
      return column.allowed?.length ? (column.allowed[Math.floor(random() * column.allowed.length)] as RawValue) : Math.floor(random() * 1e6).toString(36);
    case 'date':
      return '2024-02-29';
    case 'timestamp':
      return '2024-02-29 23:59:59';
  }
}
