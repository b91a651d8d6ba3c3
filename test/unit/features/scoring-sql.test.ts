import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { featureColumnNames } from '../../../core/features/feature-sql.js';
import { scoringSelectSql } from '../../../core/features/scoring-sql.js';
import { loadPipelineSpec } from '../../../core/spec/load-spec.js';
import { installTrinoCompat, translateTrinoSql } from '../../../core/sql/trino-compat.js';
import { channelText } from '../../../core/text/channel-line.js';
import { REPO_ROOT, specFrom } from '../../support/spec-fixtures.js';

const PIPELINES = path.join(REPO_ROOT, 'pipelines');

async function withDuckDb<T>(act: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await installTrinoCompat(connection);
    return await act(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const CHURN_ROW =
  "1 AS source_row, 1 AS female, 0 AS senior_citizen, 1 AS partner, 0 AS dependents, 1 AS tenure, 0 AS phone_service, 'No phone service' AS multiple_lines, " +
  "'DSL' AS internet_service, 'No' AS online_security, 'Yes' AS online_backup, 'No' AS device_protection, 'No' AS tech_support, 'No' AS streaming_tv, " +
  "'No' AS streaming_movies, 'Month-to-month' AS contract, 1 AS paperless_billing, 'Electronic check' AS payment_method, 29.85 AS monthly_charges, CAST(NULL AS DOUBLE) AS total_charges";

describe('scoringSelectSql', () => {
  describe('an XGBoost pipeline (churn) scored without its label', () => {
    it('returns the ids, then the label computed from NULL, then the features training has, when the file lacks the label', async () => {
      // Prepare
      const spec = loadPipelineSpec('churn', PIPELINES);
      const sql = scoringSelectSql(spec, 'scoring_rows', { idColumns: ['source_row'], labelPresent: false });

      // Act
      const { names, row } = await withDuckDb(async (connection) => {
        await connection.run(`CREATE TABLE scoring_rows AS SELECT ${CHURN_ROW}`);
        const reader = await connection.runAndReadAll(translateTrinoSql(sql));
        return { names: reader.columnNames(), row: reader.getRowObjectsJson()[0] };
      });

      // Assess
      const training = featureColumnNames(sql.slice(sql.indexOf('\n')), []);
      expect(names[0]).toBe('source_row');
      expect(names.slice(1)).toEqual(training.slice(1));
      expect(names[1]).toBe('label');
      expect(row).toMatchObject({ source_row: 1, label: 0, tenure: 1, total_charges: 0, total_charges_missing: 1, internet_dsl: 1, pay_electronic_check: 1, pay_automatic: 0 });
    });

    it('computes the label from the file when the label is present', async () => {
      // Prepare
      const spec = loadPipelineSpec('churn', PIPELINES);
      const sql = scoringSelectSql(spec, 'scoring_rows', { idColumns: [], labelPresent: true });

      // Act
      const rows = await withDuckDb(async (connection) => {
        await connection.run(`CREATE TABLE scoring_rows AS SELECT ${CHURN_ROW}, 'Yes' AS churn`);
        return (await connection.runAndReadAll(translateTrinoSql(sql))).getRowObjectsJson();
      });

      // Assess
      expect(rows).toHaveLength(1);
      expect(rows[0]?.['label']).toBe(1);
      expect(Object.keys(rows[0] ?? {})[0]).toBe('label');
    });
  });

  describe('a text pipeline (reviews)', () => {
    it('returns the ids, the label and the text as a channel line holds it, when BlazingText scores', async () => {
      // Prepare
      const spec = loadPipelineSpec('reviews', PIPELINES);
      const sql = scoringSelectSql(spec, 'scoring_rows', { idColumns: ['source_row', 'product'], labelPresent: false });

      // Act
      const rows = await withDuckDb(async (connection) => {
        await connection.run("CREATE TABLE scoring_rows AS SELECT 7 AS source_row, 'B001' AS product, 'Great taste!<br />__label__great' AS review");
        return (await connection.runAndReadAll(translateTrinoSql(sql))).getRowObjectsJson();
      });

      // Assess
      expect(rows).toEqual([{ source_row: 7, product: 'B001', label: null, text: channelText('great taste ! _ _ label _ _ great') }]);
    });
  });

  describe('queries that cannot score row by row', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'scoring-sql-'));
    });
    afterEach(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    const specWith = (sql: string) => {
      writeFileSync(path.join(dir, 'features.sql'), sql);
      return specFrom('name: orders\nsource: { format: csv }\ncontract:\n  columns:\n    - { name: id, type: integer }\n    - { name: status, type: string }\nfeatures: {}\n', dir);
    };

    it('refuses a query that selects * when scoring', () => {
      // Prepare
      const spec = specWith('SELECT * FROM orders');

      // Act
      const act = () => scoringSelectSql(spec, 'r', { idColumns: ['source_row'], labelPresent: false });

      // Assess
      expect(act).toThrow(/selects "\*"/);
    });

    it('refuses a query that aggregates when scoring', () => {
      // Prepare
      const spec = specWith('SELECT max(status) AS label, count(*) AS n FROM orders GROUP BY id');

      // Act
      const act = () => scoringSelectSql(spec, 'r', { idColumns: ['source_row'], labelPresent: false });

      // Assess
      expect(act).toThrow(/GROUP BY/);
    });

    it('keeps an aliased table, DISTINCT and an id that is also a feature, when the query uses them', async () => {
      // Prepare
      const spec = specWith("SELECT DISTINCT IF(o.status = 'open', 1, 0) AS label, o.id FROM orders o");
      const sql = scoringSelectSql(spec, 'r', { idColumns: ['id'], labelPresent: false });

      // Act
      const rows = await withDuckDb(async (connection) => {
        await connection.run('CREATE TABLE r AS SELECT 5 AS id');
        const reader = await connection.runAndReadAll(translateTrinoSql(sql));
        return { names: reader.columnNames(), values: reader.getRowsJson() };
      });

      // Assess
      expect(sql).toContain('CAST(NULL AS VARCHAR) AS "status"');
      expect(rows.names[0]).toBe('id');
      expect(rows.values).toEqual([[5, 0, 5]]);
    });
  });
});
