import { createHash } from 'node:crypto';
import { openDuckDb } from '../../../core/duckdb/open-duckdb.js';
import { checkFeatureQuery, featureUnloadSql, InvalidFeatureQueryError, parseUnload, splitBucketExpression } from '../../../core/features/feature-sql.js';
import { installTrinoCompat, runTrinoQuery } from '../../../core/sql/trino-compat.js';

describe('feature SQL', () => {
  describe('featureUnloadSql', () => {
    const base = { database: 'sluice_dev', table: 'churn', splitKey: ['tenure', 'contract'], validationRatio: 0.2, target: 's3://lake/features/churn/r1/train/' };

    it('shadows the table with the train rows and unloads headerless CSV when the split is train', () => {
      // Act
      const sql = featureUnloadSql({ ...base, query: 'SELECT churn, tenure FROM churn', split: 'train' });

      // Assess
      expect(sql).toBe(
        `UNLOAD (\nWITH "churn" AS (SELECT * FROM "sluice_dev"."churn" WHERE (from_base(substr(to_hex(md5(to_utf8(concat_ws('|', coalesce(CAST("tenure" AS varchar), ''), coalesce(CAST("contract" AS varchar), ''))))), 1, 8), 16) % 1000) < 800)\nSELECT churn, tenure FROM churn\n) TO 's3://lake/features/churn/r1/train/' WITH (format = 'TEXTFILE', field_delimiter = ',')`,
      );
    });

    it('keeps the rest of the rows and merges into the user query CTEs when the split is validation', () => {
      // Act
      const sql = featureUnloadSql({ ...base, query: 'WITH x AS (SELECT * FROM churn) SELECT * FROM x', split: 'validation' });

      // Assess
      expect(sql).toContain('% 1000) >= 800), x AS (SELECT * FROM churn) SELECT * FROM x\n) TO');
    });

    it('round-trips through the local engine parser when parsed back', () => {
      // Prepare
      const sql = featureUnloadSql({ ...base, query: "SELECT 'it''s' AS a FROM churn", split: 'train', target: "s3://lake/o'k/" });

      // Act
      const parsed = parseUnload(sql);

      // Assess
      expect(parsed?.target).toBe("s3://lake/o'k/");
      expect(parsed?.select).toContain("SELECT 'it''s' AS a FROM churn");
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
