import { createHash } from 'node:crypto';
import { openDuckDb } from '../../../core/duckdb/open-duckdb.js';
import { checkFeatureQuery, featureUnloadSql, InvalidFeatureQueryError, parseUnload, splitBucketExpression } from '../../../core/features/feature-sql.js';
import { installTrinoCompat, runTrinoQuery } from '../../../core/sql/trino-compat.js';

describe('feature SQL', () => {
  describe('featureUnloadSql', () => {
    const columns = [
      { name: 'churn', type: 'string' as const },
      { name: 'tenure', type: 'integer' as const },
      { name: 'contract', type: 'string' as const },
    ];
    const base = { database: 'sluice_dev', table: 'churn', splitKey: ['tenure', 'contract'], validationRatio: 0.2, target: 's3://lake/features/churn/r1/', columns, output: { format: 'PARQUET' as const, compression: 'SNAPPY' as const } };
    const bucket = `(from_base(substr(to_hex(md5(to_utf8(concat_ws('|', coalesce(CAST("tenure" AS varchar), ''), coalesce(CAST("contract" AS varchar), ''))))), 1, 8), 16) % 1000)`;
    const rows = `SELECT "churn", "tenure", "contract", CASE WHEN ${bucket} < 800 THEN 'train' ELSE 'validation' END AS "__sluice_split" FROM "sluice_dev"."churn"`;
    const split = '\n, "__sluice_split" AS "split"\n';

    it('writes both sets from one scan, the split last and partitioned, as Parquet when the algorithm reads Parquet', () => {
      // Act
      const sql = featureUnloadSql({ ...base, query: 'SELECT churn, tenure FROM churn' });

      // Assess
      expect(sql).toBe(
        `UNLOAD (SELECT * FROM (\nSELECT churn, tenure ${split}FROM (${rows}) AS "churn"\n)) TO 's3://lake/features/churn/r1/' ` +
          "WITH (format = 'PARQUET', compression = 'SNAPPY', partitioned_by = ARRAY['split'])",
      );
    });

    it('spells a * as the table columns when the query selects *, so the helper column never becomes a feature', () => {
      // Act
      const sql = featureUnloadSql({ ...base, query: 'SELECT * FROM churn' });

      // Assess
      expect(sql).toContain(`SELECT "churn", "tenure", "contract" ${split}FROM (`);
    });

    it('groups by the split too when the outer query aggregates', () => {
      // Act
      const sql = featureUnloadSql({ ...base, query: 'SELECT max(tenure) AS t, contract FROM churn GROUP BY contract ORDER BY 2' });

      // Assess
      expect(sql).toContain(`GROUP BY contract \n, "__sluice_split"\nORDER BY 2`);
    });

    it('keeps the user alias and joins when the table is aliased or joined', () => {
      // Act
      const sql = featureUnloadSql({ ...base, query: 'SELECT c.tenure FROM other o JOIN churn c ON o.id = c.id' });

      // Assess
      expect(sql).toContain(`SELECT c.tenure ${split}FROM other o JOIN (${rows}) c ON o.id = c.id\n`);
    });

    it('leaves strings, comments, columns and qualified names untouched when they spell the table name', () => {
      // Act
      const sql = featureUnloadSql({ ...base, query: "SELECT 'FROM churn' AS s, churn.tenure, x.churn -- FROM churn\nFROM churn, other" });

      // Assess
      expect(sql).toContain(`SELECT 'FROM churn' AS s, churn.tenure, x.churn -- FROM churn\n${split}FROM (${rows}) AS "churn", other\n`);
    });

    it('refuses the query when a WITH clause reads the table, because the split column would not reach the outer query', () => {
      // Act / Assess
      expect(() => featureUnloadSql({ ...base, query: 'WITH x AS (SELECT * FROM churn) SELECT * FROM x' })).toThrow(/read it in the outer SELECT's FROM/);
    });

    it('refuses the query when it reads the table twice', () => {
      // Act / Assess
      expect(() => featureUnloadSql({ ...base, query: 'SELECT a.tenure FROM churn a JOIN churn b ON a.tenure = b.tenure' })).toThrow(/more than once/);
    });

    it('refuses the query when it combines selects with UNION', () => {
      // Act / Assess
      expect(() => featureUnloadSql({ ...base, query: 'SELECT tenure FROM churn UNION ALL SELECT 1 FROM other' })).toThrow(/UNION/);
    });

    it('refuses the query when it names the table but no FROM reads it', () => {
      // Act / Assess
      expect(() => featureUnloadSql({ ...base, query: 'SELECT churn FROM other' })).toThrow(InvalidFeatureQueryError);
    });

    it('refuses the query when it reads the table qualified by a database', () => {
      // Act / Assess
      expect(() => featureUnloadSql({ ...base, query: 'SELECT tenure FROM other o JOIN sluice_dev.churn c ON o.id = c.id' })).toThrow(/write FROM churn/);
    });

    it('round-trips the target, the options and the partition columns when the local engine parses it back', () => {
      // Prepare
      const sql = featureUnloadSql({ ...base, query: "SELECT 'it''s' AS a FROM churn", target: "s3://lake/o'k/" });

      // Act
      const parsed = parseUnload(sql);

      // Assess
      expect(parsed?.target).toBe("s3://lake/o'k/");
      expect(parsed?.options).toEqual({ format: 'PARQUET', compression: 'SNAPPY' });
      expect(parsed?.partitionedBy).toEqual(['split']);
      expect(parsed?.select).toBe(`SELECT * FROM (\nSELECT 'it''s' AS a ${split}FROM (${rows}) AS "churn"\n)`);
    });

    it('gives each row one split that DuckDB computes as Athena would when run on the local engine', async () => {
      // Prepare: 2,000 rows of distinct keys; the split is the md5 bucket of "tenure|contract" against 800
      const db = await openDuckDb({ threads: 1, memoryLimit: '256MB', tempDirectory: '/tmp/sluice-test-spill' });
      await installTrinoCompat(db.connection);
      const select = (parseUnload(featureUnloadSql({ ...base, query: 'SELECT tenure, contract FROM churn' }))?.select ?? '').replace(
        '"sluice_dev"."churn"',
        "(SELECT 'No' AS churn, CAST(i AS integer) AS tenure, 'One year' AS contract FROM range(2000) t(i))",
      );

      // Act
      const reader = await runTrinoQuery(db.connection, select);
      db.close();

      // Assess
      const got = reader.getRowObjectsJson().map((r) => ({ tenure: Number(r['tenure']), split: String(r['split']) }));
      const expected = got.map((r) => ({ tenure: r.tenure, split: Number.parseInt(createHash('md5').update(`${r.tenure}|One year`).digest('hex').slice(0, 8), 16) % 1000 < 800 ? 'train' : 'validation' }));
      expect(got).toHaveLength(2000);
      expect(got).toEqual(expected);
      expect(new Set(got.map((r) => r.split))).toEqual(new Set(['train', 'validation']));
    });
  });

  describe('split buckets on DuckDB', () => {
    it('computes the md5 bucket Trino would when the compatibility layer is installed', async () => {
      // Prepare: md5('12|One year') = 3b1d6f3b..., so the bucket is 0x3b1d6f3b % 1000
      const db = await openDuckDb({ threads: 1, memoryLimit: '256MB', tempDirectory: '/tmp/sluice-test-spill' });
      await installTrinoCompat(db.connection);
      const expected = Number.parseInt(createHash('md5').update('12|One year').digest('hex').slice(0, 8), 16) % 1000;

      // Act
      const reader = await runTrinoQuery(db.connection, `SELECT ${splitBucketExpression(['tenure', 'contract'])} AS b FROM (SELECT 12 AS tenure, 'One year' AS contract)`);
      db.close();

      // Assess
      expect(Number(reader.getRowObjectsJson()[0]?.b)).toBe(expected);
    });
  });

  describe('checkFeatureQuery', () => {
    it.each([
      ['DELETE FROM churn', /must be one SELECT/],
      ['SELECT 1 FROM churn; DROP TABLE churn', /must hold one statement/],
      ['SELECT 1 FROM other', /must select from the pipeline's table "churn"/],
    ])('refuses %j', (sql, message) => {
      expect(() => checkFeatureQuery(sql, 'churn', 'features.sql')).toThrow(InvalidFeatureQueryError);
      expect(() => checkFeatureQuery(sql, 'churn', 'features.sql')).toThrow(message);
    });

    it('drops a trailing semicolon and comments stay when the query is valid', () => {
      expect(checkFeatureQuery('-- label first\nSELECT 1 FROM churn;\n', 'churn', 'f.sql')).toBe('-- label first\nSELECT 1 FROM churn');
    });
  });
});
