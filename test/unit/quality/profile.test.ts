import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DuckDbSession } from '../../../core/duckdb/open-duckdb.js';
import { openDuckDb } from '../../../core/duckdb/open-duckdb.js';
import { cdfAt, checkStatistics, distance, suggestConstraints } from '../../../core/quality/constraints.js';
import { mergeStatistics } from '../../../core/quality/merge-statistics.js';
import type { Statistics } from '../../../core/quality/model-monitor-formats.js';
import { profileRelation, profileWith } from '../../../core/quality/profile.js';

const COLUMNS = [
  { name: 'tenure', type: 'integer' as const },
  { name: 'charges', type: 'double' as const },
  { name: 'method', type: 'string' as const },
];
/** tenure 0..99, charges = tenure / 2 with every tenth NULL, method one of three values. */
const TABLE = `(SELECT CAST(i AS BIGINT) AS tenure, CASE WHEN i % 10 = 9 THEN NULL ELSE i / 2 END AS charges, ['card', 'check', 'bank'][i % 3 + 1] AS method FROM range(100) t(i))`;

describe('data profiles', () => {
  let dir: string;
  let db: DuckDbSession;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sluice-profile-'));
    db = await openDuckDb({ threads: 1, memoryLimit: '256MB', tempDirectory: path.join(dir, 'spill') });
  });

  afterAll(async () => {
    db.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe('a table of numbers and strings', () => {
    it("writes Model Monitor's statistics.json with counts, moments, 10 buckets and value counts when profiled", async () => {
      // Act
      const stats = await profileRelation(db, TABLE, COLUMNS);

      // Assess
      expect(stats.version).toBe(0);
      expect(stats.dataset.item_count).toBe(100);
      const [tenure, charges, method] = stats.features;
      expect(tenure?.inferred_type).toBe('Integral');
      // 0..99: mean 49.5, population std √((100² − 1) / 12) = 28.866070
      expect(tenure?.numerical_statistics).toMatchObject({ common: { num_present: 100, num_missing: 0 }, sum: 4950, mean: 49.5, min: 0, max: 99 });
      expect(tenure?.numerical_statistics?.std_dev).toBeCloseTo(28.86607, 4);
      const buckets = tenure?.numerical_statistics?.distribution.kll.buckets ?? [];
      expect(buckets).toHaveLength(10);
      expect(buckets[0]).toEqual({ lower_bound: 0, upper_bound: 9.9, count: 10 });
      expect(buckets.reduce((s, b) => s + b.count, 0)).toBe(100);
      expect(charges).toMatchObject({ inferred_type: 'Fractional', numerical_statistics: { common: { num_present: 90, num_missing: 10 } } });
      expect(method?.string_statistics).toEqual({
        common: { num_present: 100, num_missing: 0 },
        distinct_count: 3,
        distribution: { categorical: { buckets: [{ value: 'card', count: 34 }, { value: 'bank', count: 33 }, { value: 'check', count: 33 }] } },
      });
    });
  });

  describe('a table whose numbers\' ranges are known before it is read', () => {
    it('writes the same statistics as when it finds the ranges itself when given the true ranges', async () => {
      // Prepare
      const found = await profileRelation(db, TABLE, COLUMNS);
      const ranges = new Map([
        ['tenure', { min: 0, max: 99 }],
        ['charges', { min: 0, max: 49 }],
      ]);

      // Act
      const known = await profileRelation(db, TABLE, COLUMNS, { ranges });

      // Assess
      expect(known).toEqual(found);
    });

    it('reads the rows once, plus a narrow count of a string the contract does not list, with its caller\'s aggregates in that scan when every range is known', async () => {
      // Prepare: count the statements the session runs
      const statements: string[] = [];
      const counting: DuckDbSession = { ...db, rows: (sql) => (statements.push(sql), db.rows(sql)) };
      const ranges = new Map([
        ['tenure', { min: 0, max: 99 }],
        ['charges', { min: 0, max: 49 }],
      ]);

      // Act
      const { statistics, extra } = await profileWith(counting, TABLE, COLUMNS, { ranges, extra: { odd: 'count(*) FILTER (WHERE tenure % 2 = 1)' } });

      // Assess: the three-valued method is counted in the same scan only when the contract lists its values
      expect(statements).toHaveLength(2);
      expect(extra).toEqual({ odd: '50' });
      expect(statistics.features[0]?.numerical_statistics?.distribution.kll.buckets[0]).toEqual({ lower_bound: 0, upper_bound: 9.9, count: 10 });
      statements.length = 0;
      await profileWith(counting, TABLE, COLUMNS.map((c) => (c.name === 'method' ? { ...c, fewValues: true } : c)), { ranges });
      expect(statements).toHaveLength(1);
    });

    it('buckets numbers counted by value exactly as numbers bucketed row by row when the contract lists their values', async () => {
      // Prepare: whole and fractional numbers, with the maximum in the last bucket
      const byRow = await profileRelation(db, TABLE, COLUMNS);

      // Act
      const byValue = await profileRelation(db, TABLE, COLUMNS.map((c) => ({ ...c, fewValues: true })));

      // Assess
      expect(byValue).toEqual(byRow);
      // charges: 90 halves from 0 to 49 (every tenth missing), 9 in each bucket of width 4.9, 49 in the last
      expect(byValue.features[1]?.numerical_statistics?.distribution.kll.buckets.map((b) => b.count)).toEqual(Array.from({ length: 10 }, () => 9));
    });

    it('buckets the numbers over the given range when one is given', async () => {
      // Act: a range wider than the data's
      const stats = await profileRelation(db, TABLE, COLUMNS, { ranges: new Map([['tenure', { min: 0, max: 199 }]]) });

      // Assess
      const tenure = stats.features[0]?.numerical_statistics;
      expect(tenure).toMatchObject({ min: 0, max: 199 });
      expect(tenure?.distribution.kll.buckets.map((b) => b.count)).toEqual([20, 20, 20, 20, 20, 0, 0, 0, 0, 0]);
    });
  });

  describe('profiles of two parts of a table', () => {
    it('merges into the exact counts, mean, deviation and range of the whole when merged', async () => {
      // Prepare
      const whole = await profileRelation(db, TABLE, COLUMNS);
      const low = await profileRelation(db, `(SELECT * FROM ${TABLE} WHERE tenure < 30)`, COLUMNS);
      const high = await profileRelation(db, `(SELECT * FROM ${TABLE} WHERE tenure >= 30)`, COLUMNS);

      // Act
      const merged = mergeStatistics([low, high]);

      // Assess
      expect(merged?.dataset.item_count).toBe(100);
      const [tenure, , method] = merged?.features ?? [];
      const exact = whole.features[0]?.numerical_statistics;
      expect(tenure?.numerical_statistics).toMatchObject({ common: exact?.common, sum: exact?.sum, min: 0, max: 99 });
      expect(tenure?.numerical_statistics?.std_dev).toBeCloseTo(exact?.std_dev ?? 0, 9);
      expect(tenure?.numerical_statistics?.distribution.kll.buckets.reduce((s, b) => s + b.count, 0)).toBe(100);
      expect(method?.string_statistics).toEqual(whole.features[2]?.string_statistics);
    });
  });
});

describe('constraints and violations', () => {
  const baseline: Statistics = {
    version: 0,
    dataset: { item_count: 1000 },
    features: [
      {
        name: 'charges',
        inferred_type: 'Fractional',
        numerical_statistics: {
          common: { num_present: 1000, num_missing: 0 },
          mean: 50,
          sum: 50_000,
          std_dev: 28,
          min: 0,
          max: 100,
          distribution: { kll: { buckets: [{ lower_bound: 0, upper_bound: 100, count: 1000 }] } },
        },
      },
      {
        name: 'method',
        inferred_type: 'String',
        string_statistics: {
          common: { num_present: 1000, num_missing: 0 },
          distinct_count: 2,
          distribution: { categorical: { buckets: [{ value: 'card', count: 500 }, { value: 'check', count: 500 }] } },
        },
      },
      {
        name: 'tenure',
        inferred_type: 'Integral',
        numerical_statistics: {
          common: { num_present: 1000, num_missing: 0 },
          mean: 5,
          sum: 5000,
          std_dev: 1,
          min: 0,
          max: 10,
          distribution: { kll: { buckets: [{ lower_bound: 0, upper_bound: 10, count: 1000 }] } },
        },
      },
    ],
  };

  describe('suggested constraints', () => {
    it('suggest types, completeness, non-negativity and small domains when taken from a profile', () => {
      // Act
      const constraints = suggestConstraints(baseline);

      // Assess
      expect(constraints.features).toEqual([
        { name: 'charges', inferred_type: 'Fractional', completeness: 1, num_constraints: { is_non_negative: true } },
        { name: 'method', inferred_type: 'String', completeness: 1, string_constraints: { domains: ['card', 'check'] } },
        { name: 'tenure', inferred_type: 'Integral', completeness: 1, num_constraints: { is_non_negative: true } },
      ]);
      expect(constraints.monitoring_config.distribution_constraints).toMatchObject({ comparison_method: 'Robust', comparison_threshold: 0.1 });
    });
  });

  describe('the L-infinity distance', () => {
    it('is the largest gap between the cumulative distributions when the columns are numbers', () => {
      // Prepare: uniform on [0, 100] against uniform on [50, 150]: at 100 the CDFs are 1 and 0.5
      const current = { ...baseline.features[0], name: 'charges', inferred_type: 'Fractional' as const, numerical_statistics: { ...baseline.features[0]?.numerical_statistics, common: { num_present: 10, num_missing: 0 }, mean: 100, sum: 1000, std_dev: 28, min: 50, max: 150, distribution: { kll: { buckets: [{ lower_bound: 50, upper_bound: 150, count: 10 }] } } } };

      // Act
      const measured = baseline.features[0] ? distance(baseline.features[0], current) : undefined;

      // Assess
      expect(cdfAt([{ lower_bound: 0, upper_bound: 100, count: 4 }], 25)).toBe(0.25);
      expect(measured).toEqual({ value: 0.5, categorical: false, n: 1000, m: 10 });
    });
  });

  describe('a file that drifted, has a new value, lacks a column and has an extra one', () => {
    it('reports each violation kind by its Model Monitor name when checked against constraints and baseline', () => {
      // Prepare: charges doubled, a third method on 40% of rows, tenure missing, an extra column, 10% missing charges
      const current: Statistics = {
        version: 0,
        dataset: { item_count: 1000 },
        features: [
          {
            name: 'charges',
            inferred_type: 'Fractional',
            numerical_statistics: {
              common: { num_present: 900, num_missing: 100 },
              mean: 100,
              sum: 90_000,
              std_dev: 56,
              min: 0,
              max: 200,
              distribution: { kll: { buckets: [{ lower_bound: 0, upper_bound: 200, count: 900 }] } },
            },
          },
          {
            name: 'method',
            inferred_type: 'String',
            string_statistics: {
              common: { num_present: 1000, num_missing: 0 },
              distinct_count: 3,
              distribution: { categorical: { buckets: [{ value: 'crypto', count: 400 }, { value: 'card', count: 300 }, { value: 'check', count: 300 }] } },
            },
          },
        ],
      };

      // Act
      const { violations, drift } = checkStatistics({ current, fileColumns: ['charges', 'method'], extraColumns: ['coupon'], constraints: suggestConstraints(baseline), baseline });

      // Assess: charges' CDFs differ most at 100 (1 against 0.5); method's shares differ most on crypto (0.4)
      expect(violations.map((v) => [v.constraint_check_type, v.feature_name])).toEqual([
        ['completeness_check', 'charges'],
        ['categorical_values_check', 'method'],
        ['missing_column_check', 'tenure'],
        ['extra_column_check', 'coupon'],
        ['baseline_drift_check', 'charges'],
        ['baseline_drift_check', 'method'],
      ]);
      expect(drift.map((d) => [d.feature, d.distance])).toEqual([
        ['charges', 0.5],
        ['method', 0.4],
      ]);
    });

    it('reports nothing when the file is the baseline itself', () => {
      // Act
      const { violations } = checkStatistics({ current: baseline, fileColumns: ['charges', 'method', 'tenure'], extraColumns: [], constraints: suggestConstraints(baseline), baseline });

      // Assess
      expect(violations).toEqual([]);
    });
  });
});
