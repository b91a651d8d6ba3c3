import type { DuckDbSession } from '../duckdb/open-duckdb.js';
import type { ColumnType } from '../spec/schema.js';
import { quoteIdentifier } from '../sql/quote.js';
import type { FeatureStatistics, InferredType, KllBucket, Quantile, Statistics } from './model-monitor-formats.js';

/** A column to profile: its name and contract type. */
export interface ProfiledColumn {
  name: string;
  type: ColumnType;
  /** The contract lists its values (`allowed`): few enough to count every one without estimating how many first. */
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

/**
 * Profiles `relation` (a table name or a parenthesised SELECT) with the DuckDB session that holds it, in two scans:
 * the first counts, and takes each number's min, max, sum, mean and population standard deviation; the second, knowing the ranges, fills each number's equal-width histogram and each string's value
 * counts. A string column with more distinct values than {@link TOP_VALUES} gets a third, grouped scan for its top
 * values. The result is Model Monitor's `statistics.json`.
 */
export async function profileRelation(session: DuckDbSession, relation: string, columns: readonly ProfiledColumn[]): Promise<Statistics> {
  const numeric = columns.filter((c) => inferredType(c.type) !== 'String');
  const first = [
    'count(*) AS "n"',
    // Only strings get a distinct count (numbers have none in the format): HyperLogLog costs as much as a histogram.
    ...columns.map((c, i) =>
      inferredType(c.type) === 'String' && c.fewValues !== true
        ? `count(${quoteIdentifier(c.name)}) AS "p${i}", approx_count_distinct(${quoteIdentifier(c.name)}) AS "d${i}"`
        : `count(${quoteIdentifier(c.name)}) AS "p${i}"`,
    ),
    ...numeric.map((c) => {
      const i = columns.indexOf(c);
      const x = `CAST(${quoteIdentifier(c.name)} AS DOUBLE)`;
      return [
        `min(${x}) AS "min${i}"`,
        `max(${x}) AS "max${i}"`,
        `sum(${x}) AS "sum${i}"`,
        `stddev_pop(${x}) AS "sd${i}"`,
      ].join(', ');
    }),
  ];
  const [row = {}] = await session.rows(`SELECT ${first.join(', ')} FROM ${relation}`);
  const itemCount = Number(row.n ?? 0);
  const present = (i: number) => Number(row[`p${i}`] ?? 0);

  // Second scan: bucket index per number, value counts per string of small cardinality.
  const second: string[] = [];
  const ranges = new Map<number, { min: number; max: number }>();
  columns.forEach((c, i) => {
    const name = quoteIdentifier(c.name);
    if (inferredType(c.type) === 'String') {
      // A string column is counted as it is (CSV reads a column with allowed values as an ENUM: no text per row).
      const value = c.type === 'string' ? name : `CAST(${name} AS VARCHAR)`;
      if (c.fewValues === true || Number(row[`d${i}`] ?? 0) <= TOP_VALUES * 1.1) second.push(`histogram(${value}) AS "h${i}"`);
      return;
    }
    if (present(i) === 0) return;
    const min = Number(row[`min${i}`]);
    const max = Number(row[`max${i}`]);
    ranges.set(i, { min, max });
    const width = (max - min) / HISTOGRAM_BUCKETS;
    // The maximum falls in the last bucket (upper bounds are inclusive there), as in a closed histogram.
    const bucket = width > 0 ? `least(CAST(floor((CAST(${name} AS DOUBLE) - ${min}) / ${width}) AS INTEGER), ${HISTOGRAM_BUCKETS - 1})` : '0';
    second.push(`histogram(CASE WHEN ${name} IS NOT NULL THEN ${bucket} END) AS "h${i}"`);
  });
  const [histograms = {}] = second.length > 0 ? await session.rows(`SELECT ${second.join(', ')} FROM ${relation}`) : [{}];

  const features: FeatureStatistics[] = [];
  for (const [i, c] of columns.entries()) {
    const common = { num_present: present(i), num_missing: itemCount - present(i) };
    const type = inferredType(c.type);
    if (type === 'String') {
      let counts = mapEntries(histograms[`h${i}`]);
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
    const range = ranges.get(i);
    const sum = Number(row[`sum${i}`] ?? 0);
    const buckets = range ? histogramBuckets(range, mapEntries(histograms[`h${i}`])) : [];
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
  return { version: 0, dataset: { item_count: itemCount }, features };
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
