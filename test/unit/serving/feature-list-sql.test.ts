import { featureListSql } from '../../../core/serving/feature-list-sql.js';
import { RawFeaturizer } from '../../../core/serving/raw-featurizer.js';
import { checkRawRecords } from '../../../core/serving/raw-records.js';
import type { RawServingSpec } from '../../../core/serving/raw-serving-spec.js';

/** Values at a float's edges, picked by each record's `k` (DuckDB lists are 1-based). */
const DOUBLES = ['1e39', '-1e39', "'Infinity'", "'-Infinity'", "'NaN'", 'NULL', '3.4028235677973366e38', '3.4028235677973362e38', '-3.4028235677973366e38', '1e-46', '1e-40', '0.1', "'-0.0'", '16777217'];
const BIGINTS = ['9007199254740993', '9223372036854775807', '-9223372036854775808', '16777217', '-16777219', '36028797018963971', 'NULL', '0', '1', '-1', '123456789012345678', '33554435', '67108869', '1152921573326323713'];

/** A query whose features are every numeric type, holding those edge values. */
const EDGES: RawServingSpec = {
  pipeline: 'float-edges',
  relation: '"__sluice_raw_records"',
  scoringSql: [
    'SELECT "__sluice_record", CAST(NULL AS INTEGER) AS label,',
    `  ([${DOUBLES.map((v) => `CAST(${v} AS DOUBLE)`).join(', ')}])[k + 1] AS d,`,
    `  ([${BIGINTS.map((v) => `CAST(${v} AS BIGINT)`).join(', ')}])[k + 1] AS wide,`,
    "  CAST('12345678901234567890.1234567891' AS DECIMAL(38,10)) - CAST(k AS DECIMAL(38,10)) AS dec, CAST(k AS DECIMAL(9,2)) / 8 AS small_dec,",
    '  CAST(18446744073709551615 AS UBIGINT) - CAST(k AS UBIGINT) * 1000003 AS unsigned, CAST(k / 3 AS FLOAT) AS f,',
    '  k % 2 = 0 AS even, CAST(k * 1000 AS UINTEGER) * 4294 AS wide_unsigned, CAST(k AS TINYINT) AS tiny',
    'FROM "__sluice_raw_records"',
  ].join('\n'),
  nullValues: [''],
  algorithm: 'xgboost',
  unknownColumns: 'reject',
  labelColumns: [],
  columns: [{ name: 'k', type: 'integer', nullable: false }],
};

describe('featureListSql', () => {
  describe('features of every numeric type at a float\'s edges', () => {
    it('gives every feature the float the column-per-feature conversion gives when values overflow, are NaN, NULL, -0 or wide integers', async () => {
      // Prepare
      const listed = await RawFeaturizer.open(EDGES, { results: 'list' });
      const columns = await RawFeaturizer.open(EDGES, { results: 'columns' });
      const records = checkRawRecords(EDGES, DOUBLES.map((_, k) => ({ k })), 'json');

      try {
        // Act: one record per request (the VALUES statement) and all at once (the appender).
        const single = { listed: [] as number[], columns: [] as number[] };
        for (const row of records.rows) {
          const one = { columns: records.columns, rows: [row] };
          single.listed.push(...(await listed.featurize(one)).values);
          single.columns.push(...(await columns.featurize(one)).values);
        }
        const all = await Promise.all([listed.featurize(records), columns.featurize(records)]);

        // Assess: Object.is tells -0 from 0 and NaN from NaN's absence.
        expect([listed.results, columns.results]).toEqual(['list', 'columns']);
        expect(single.listed.length).toBe(DOUBLES.length * 9);
        expect(single.listed.map((v, i) => Object.is(v, single.columns[i]))).not.toContain(false);
        expect([...all[0].values].map((v, i) => Object.is(v, all[1].values[i]))).not.toContain(false);
        expect(single.listed.filter((_, i) => i % 9 === 0)).toEqual([
          Infinity, -Infinity, Infinity, -Infinity, NaN, NaN, Infinity, Math.fround(3.4028235677973362e38), -Infinity, 0, Math.fround(1e-40), Math.fround(0.1), -0, 16777216,
        ]);
      } finally {
        await Promise.all([listed.close(), columns.close()]);
      }
    });
  });

  describe('a type whose conversion to a double may differ', () => {
    it('keeps the query\'s own columns when a feature is a HUGEINT or text', () => {
      // Prepare
      const types = [['BIGINT', 'INTEGER', 'DOUBLE', 'HUGEINT'], ['BIGINT', 'INTEGER', 'VARCHAR'], ['BIGINT', 'INTEGER', 'DECIMAL(18,3)', 'BOOLEAN']];

      // Act
      const wrapped = types.map((t) => featureListSql(t)?.('SELECT 1'));

      // Assess
      expect(wrapped.slice(0, 2)).toEqual([undefined, undefined]);
      expect(wrapped[2]).toContain('CAST(CAST("__sluice_c2" AS DOUBLE) AS FLOAT), CAST("__sluice_c3" AS FLOAT)]');
    });
  });
});
