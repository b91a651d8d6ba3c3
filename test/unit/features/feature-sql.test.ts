import { createHash } from 'node:crypto';
import { openDuckDb } from '../../../core/duckdb/open-duckdb.js';
import { checkFeatureQuery, featureUnloadSql, InvalidFeatureQueryError, parseUnload, splitBucketExpression } from '../../../core/features/feature-sql.js';
import { installTrinoCompat, runTrinoQuery } from '../../../core/sql/trino-compat.js';

describe('feature SQL', () => {
  describe('featureUnloadSql', () => {
    const base = { database: 'sluice_dev', table: 'churn', splitKey: ['tenure', 'contract'], validationRatio: 0.2, target: 's3://lake/features/churn/r1/train/' };

    const trainRows = `SELECT * FROM "sluice_dev"."churn" WHERE (from_base(substr(to_hex(md5(to_utf8(concat_ws('|', coalesce(CAST("tenure" AS varchar), ''), coalesce(CAST("contract" AS varchar), ''))))), 1, 8), 16) % 1000) < 800`;

    it('narrows the table to the train rows inside the documented UNLOAD (SELECT … FROM …) when the split is train', () => {
      // Act
      const sql = featureUnloadSql({ ...base, query: 'SELECT churn, tenure FROM churn', split: 'train' });

      // Assess
      expect(sql).toBe(
        `UNLOAD (SELECT * FROM (\nSELECT churn, tenure FROM (${trainRows}) AS "churn"\n)) TO 's3://lake/features/churn/r1/train/' WITH (format = 'TEXTFILE', field_delimiter = ',')`,
      );
    });

    it('keeps the user query WITH inside the FROM subquery when the split is validation', () => {
      // Act
      const sql = featureUnloadSql({ ...base, query: 'WITH x AS (SELECT * FROM churn) SELECT * FROM x', split: 'validation' });

      // Assess
      expect(sql).toMatch(/^UNLOAD \(SELECT \* FROM \(\nWITH x AS \(SELECT \* FROM \(SELECT \* FROM "sluice_dev"\."churn" WHERE .*% 1000\) >= 800\) AS "churn"\) SELECT \* FROM x\n\)\) TO /);
    });

    it('keeps the user alias and joins when the table is aliased or joined', () => {
      // Act
      const sql = featureUnloadSql({ ...base, query: 'SELECT c.tenure FROM other o JOIN churn c ON o.id = c.id', split: 'train' });

      // Assess
      expect(sql).toContain(`SELECT c.tenure FROM other o JOIN (${trainRows}) c ON o.id = c.id\n`);
    });

    it('leaves strings, comments, columns and qualified names untouched when they spell the table name', () => {
      // Act
      const sql = featureUnloadSql({ ...base, query: "SELECT 'FROM churn' AS s, churn.tenure, x.churn -- FROM churn\nFROM churn, other", split: 'train' });

      // Assess
      expect(sql).toContain(`SELECT 'FROM churn' AS s, churn.tenure, x.churn -- FROM churn\nFROM (${trainRows}) AS "churn", other\n`);
    });

    it('narrows every reference when the table is listed after a comma in FROM', () => {
      // Act
      const sql = featureUnloadSql({ ...base, query: 'SELECT a.tenure, churn FROM other a, "churn" WHERE a.id = 1', split: 'train' });

      // Assess
      expect(sql).toContain(`SELECT a.tenure, churn FROM other a, (${trainRows}) AS "churn" WHERE a.id = 1\n`);
    });

    it('refuses the query when it names the table but no FROM reads it', () => {
      // Act / Assess
      expect(() => featureUnloadSql({ ...base, query: 'SELECT churn FROM other', split: 'train' })).toThrow(InvalidFeatureQueryError);
    });

    it('refuses the query when it reads the table qualified by a database', () => {
      // Act / Assess
      expect(() => featureUnloadSql({ ...base, query: 'SELECT tenure FROM other o JOIN sluice_dev.churn c ON o.id = c.id', split: 'train' })).toThrow(/write FROM churn/);
    });

    it('round-trips through the local engine parser when parsed back', () => {
      // Prepare
      const sql = featureUnloadSql({ ...base, query: "SELECT 'it''s' AS a FROM churn", split: 'train', target: "s3://lake/o'k/" });

      // Act
      const parsed = parseUnload(sql);

      // Assess
      expect(parsed?.target).toBe("s3://lake/o'k/");
      expect(parsed?.select).toBe(`SELECT * FROM (\nSELECT 'it''s' AS a FROM (${trainRows}) AS "churn"\n)`);
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
