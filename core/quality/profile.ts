import type { DuckDbSession } from '../duckdb/open-duckdb.js';
import type { ColumnType } from '../spec/schema.js';
import { quoteIdentifier } from '../sql/quote.js';
import type { FeatureStatistics, InferredType, KllBucket, Quantile, Statistics } from './model-monitor-formats.js';

/** A column to profile: its name and contract type. */
export interface ProfiledColumn {
  name: string;
  type: ColumnType;
  /**
   * The contract lists its values (`allowed`): few enough to count every one without estimating how many first (a
   * string), or to count each value and bucket the counts rather than bucket every row (a number).
   */
  fewValues?: boolean;
}

/** Buckets of a numeric histogram: the number Model Monitor's prebuilt container materializes (not configurable there). */
export const HISTOGRAM_BUCKETS = 10;

/** How many values a string column's profile lists (all of them when it has at most this many distinct values). */
export const TOP_VALUES = 100;

/** The quantiles every numeric profile carries. */
export const PROFILE_QUANTILES = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99] as const;

/** Model Monitor's type for a contract type: numbers are Integral or Fractional, everything else is profiled as text. */
export function inferredType(type: ColumnType): InferredType {
  return type === 'integer' ? 'Integral' : type === 'double' ? 'Fractional' : 'String';
}

/** A numeric column's smallest and largest value, when known before the profile reads the rows. */
export interface KnownRange {
  min: number;
  max: number;
}

/**
 * Profiles `relation` (a table name or a parenthesised SELECT) with the DuckDB session that holds it, in one scan when
 * every number's range is known (`ranges`: the ingest takes them from the statistics its curated Parquet write returns,
 * so reading the rows once more for them would only repeat what it already knows). That scan counts, takes each
 * number's sum and population standard deviation and fills its equal-width histogram, and counts each string's values.
 * Numbers whose range is not given get a narrow first scan of their min and max. A string column without an `allowed`
 * list is first estimated (HyperLogLog, in the same scan): with few distinct values, a narrow follow-up scan counts them;
 * with more than {@link TOP_VALUES}, a grouped scan finds its top values. The result is Model Monitor's `statistics.json`.
 */
export async function profileRelation(
  session: DuckDbSession,
  relation: string,
  columns: readonly ProfiledColumn[],
  options: { ranges?: ReadonlyMap<string, KnownRange> } = {},
): Promise<Statistics> {
  return (await profileWith(session, relation, columns, options)).statistics;
}

/**
 * {@link profileRelation}, with more aggregates of the caller's computed in the same scan (`extra`: name → aggregate SQL
 * over `relation`), returned by name as the JSON row helpers give them: the ingest's bias counts ride along this way
 * instead of reading the rows once more.
 */
export async function profileWith(
  session: DuckDbSession,
  relation: string,
  columns: readonly ProfiledColumn[],
  options: { ranges?: ReadonlyMap<string, KnownRange>; extra?: Readonly<Record<string, string>> } = {},
): Promise<{ statistics: Statistics; extra: Record<string, unknown> }> {
  const ranges = new Map<number, KnownRange>();
  const unknown: number[] = [];
  columns.forEach((c, i) => {
    if (inferredType(c.type) === 'String') return;
    const known = options.ranges?.get(c.name);
    if (known && Number.isFinite(known.min) && Number.isFinite(known.max)) ranges.set(i, known);
    else unknown.push(i);
  });
  if (unknown.length > 0) {
    const bounds = unknown.map((i) => {
      const x = asDouble(columns[i]?.name ?? '');
      return `min(${x}) AS "min${i}", max(${x}) AS "max${i}"`;
    });
    const [row = {}] = await session.rows(`SELECT ${bounds.join(', ')} FROM ${relation}`);
    // A column with no value has no range (and no histogram), as before.
    for (const i of unknown) if (row[`min${i}`] !== null && row[`min${i}`] !== undefined) ranges.set(i, { min: Number(row[`min${i}`]), max: Number(row[`max${i}`]) });
  }

  const aggregates = ['count(*) AS "n"'];
  columns.forEach((c, i) => {
    const name = quoteIdentifier(c.name);
    aggregates.push(`count(${name}) AS "p${i}"`);
    if (inferredType(c.type) === 'String') {
      // A string column is counted as it is (CSV reads a column with allowed values as an ENUM: no text per row).
      // Only strings get a distinct count (numbers have none in the format): HyperLogLog costs as much as a histogram.
      aggregates.push(c.fewValues === true ? `histogram(${stringValue(c)}) AS "h${i}"` : `approx_count_distinct(${name}) AS "d${i}"`);
      return;
    }
    const x = asDouble(c.name);
    aggregates.push(`sum(${x}) AS "sum${i}"`, `stddev_pop(${x}) AS "sd${i}"`);
    const range = ranges.get(i);
    if (!range) return;
    // A number the contract lists the values of is counted by value (cheaper than computing each row's bucket: 0.7 CPU
    // seconds of the 1 GB bench file's five flags) and bucketed here, with the same double arithmetic as the SQL below.
    if (c.fewValues === true) {
      aggregates.push(`histogram(${name}) AS "v${i}"`);
      return;
    }
    const width = (range.max - range.min) / HISTOGRAM_BUCKETS;
    // The maximum falls in the last bucket (upper bounds are inclusive there), as in a closed histogram.
    const bucket = width > 0 ? `least(CAST(floor((${x} - ${range.min}) / ${width}) AS INTEGER), ${HISTOGRAM_BUCKETS - 1})` : '0';
    aggregates.push(`histogram(CASE WHEN ${name} IS NOT NULL THEN ${bucket} END) AS "h${i}"`);
  });
  const extraNames = Object.keys(options.extra ?? {});
  extraNames.forEach((name, k) => aggregates.push(`${options.extra?.[name] ?? 'NULL'} AS "x${k}"`));
  const [row = {}] = await session.rows(`SELECT ${aggregates.join(', ')} FROM ${relation}`);
  const itemCount = Number(row.n ?? 0);
  const present = (i: number) => Number(row[`p${i}`] ?? 0);

  // Strings of few distinct values the contract does not list: one narrow scan counts every value of all of them.
  const small = columns.flatMap((c, i) => (inferredType(c.type) === 'String' && c.fewValues !== true && present(i) > 0 && Number(row[`d${i}`] ?? 0) <= TOP_VALUES * 1.1 ? [i] : []));
  const [counted = {}] =
    small.length > 0 ? await session.rows(`SELECT ${small.map((i) => `histogram(${stringValue(columns[i] ?? { name: '', type: 'string' })}) AS "h${i}"`).join(', ')} FROM ${relation}`) : [{}];

  const features: FeatureStatistics[] = [];
  for (const [i, c] of columns.entries()) {
    const common = { num_present: present(i), num_missing: itemCount - present(i) };
    const type = inferredType(c.type);
    if (type === 'String') {
      let counts = mapEntries(row[`h${i}`] ?? counted[`h${i}`]);
      const exact = counts.length > 0 || common.num_present === 0;
      if (!exact) {
        const name = quoteIdentifier(c.name);
        const top = await session.rows(
          `SELECT CAST(${name} AS VARCHAR) AS "key", count(*) AS "value" FROM ${relation} WHERE ${name} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ${TOP_VALUES}`,
        );
        counts = top.map((r) => ({ key: String(r.key), value: Number(r.value) }));
      }
      const sorted = counts.sort((a, b) => b.value - a.value || (a.key < b.key ? -1 : 1));
      features.push({
        name: c.name,
        inferred_type: type,
        string_statistics: {
          common,
          // Exact when every value was counted; HyperLogLog's estimate (never above the rows present) otherwise.
          distinct_count: exact ? sorted.length : Math.min(Number(row[`d${i}`] ?? 0), common.num_present),
          distribution: { categorical: { buckets: sorted.slice(0, TOP_VALUES).map((e) => ({ value: e.key, count: e.value })) } },
        },
      });
      continue;
    }
    const range = common.num_present > 0 ? ranges.get(i) : undefined;
    const sum = Number(row[`sum${i}`] ?? 0);
    const counts = row[`v${i}`] !== undefined && range ? bucketIndexCounts(range, mapEntries(row[`v${i}`])) : mapEntries(row[`h${i}`]);
    const buckets = range ? histogramBuckets(range, counts) : [];
    features.push({
      name: c.name,
      inferred_type: type,
      numerical_statistics: {
        common,
        mean: common.num_present > 0 ? sum / common.num_present : 0,
        sum,
        std_dev: Number(row[`sd${i}`] ?? 0) || 0,
        min: range?.min ?? 0,
        max: range?.max ?? 0,
        distribution: { kll: { buckets } },
        approximate_quantiles: buckets.length > 0 ? PROFILE_QUANTILES.map((quantile): Quantile => ({ quantile, value: quantileOf(buckets, quantile) })) : [],
      },
    });
  }
  return { statistics: { version: 0, dataset: { item_count: itemCount }, features }, extra: Object.fromEntries(extraNames.map((name, k) => [name, row[`x${k}`]])) };
}

/** Value → count as bucket index → count: `least(floor((x − min) / width), last)`, as the profile's SQL computes it. */
function bucketIndexCounts(range: KnownRange, values: readonly { key: string; value: number }[]): { key: string; value: number }[] {
  const width = (range.max - range.min) / HISTOGRAM_BUCKETS;
  const byIndex = new Map<number, number>();
  for (const { key, value } of values) {
    const index = width > 0 ? Math.min(Math.floor((Number(key) - range.min) / width), HISTOGRAM_BUCKETS - 1) : 0;
    byIndex.set(index, (byIndex.get(index) ?? 0) + value);
  }
  return [...byIndex].map(([index, value]) => ({ key: String(index), value }));
}

/** A number as the profile reads it. */
function asDouble(column: string): string {
  return `CAST(${quoteIdentifier(column)} AS DOUBLE)`;
}

/** A string-profiled column's value as text (a contract string is already text, or an ENUM that counts as its label). */
function stringValue(column: ProfiledColumn): string {
  const name = quoteIdentifier(column.name);
  return column.type === 'string' ? name : `CAST(${name} AS VARCHAR)`;
}

/** Equal-width buckets over [min, max] from `histogram()`'s bucket index → count. */
export function histogramBuckets(range: { min: number; max: number }, counts: readonly { key: string; value: number }[]): KllBucket[] {
  const width = (range.max - range.min) / HISTOGRAM_BUCKETS;
  if (width === 0) return [{ lower_bound: range.min, upper_bound: range.max, count: counts.reduce((s, e) => s + e.value, 0) }];
  const byIndex = new Map(counts.map((e) => [Number(e.key), e.value]));
  return Array.from({ length: HISTOGRAM_BUCKETS }, (_, b) => ({
    lower_bound: range.min + b * width,
    upper_bound: b === HISTOGRAM_BUCKETS - 1 ? range.max : range.min + (b + 1) * width,
    count: byIndex.get(b) ?? 0,
  }));
}

/**
 * The value below which a share `q` of a histogram's rows lie, interpolating within a bucket. Read from the histogram
 * rather than computed by DuckDB's approx_quantile: with T-Digests over every number (and a distinct count of every
 * column) the profile cost 39% more CPU than the ingest without it on the 1 GB bench file, above the 20% budget; the
 * buckets already bound each quantile to a tenth of the range.
 */
export function quantileOf(buckets: readonly KllBucket[], q: number): number {
  const total = buckets.reduce((s, b) => s + b.count, 0);
  let seen = 0;
  for (const b of buckets) {
    if (b.count > 0 && seen + b.count >= q * total) return b.lower_bound + ((q * total - seen) / b.count) * (b.upper_bound - b.lower_bound);
    seen += b.count;
  }
  return buckets.at(-1)?.upper_bound ?? 0;
}

/** A DuckDB MAP as the JSON row helpers give it: `[{ key, value }]`. */
function mapEntries(value: unknown): { key: string; value: number }[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null || !('key' in entry) || !('value' in entry)) return [];
    return [{ key: String(entry.key), value: Number(entry.value) }];
  });
}
