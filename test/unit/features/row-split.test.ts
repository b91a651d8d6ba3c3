import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDuckDb } from '../../../core/duckdb/open-duckdb.js';
import { featureUnloadSql, labelSourceColumns, parseUnload } from '../../../core/features/feature-sql.js';
import type { TableColumn } from '../../../core/features/feature-sql.js';
import { loadPipelineSpec } from '../../../core/spec/load-spec.js';
import { installTrinoCompat, runTrinoQuery } from '../../../core/sql/trino-compat.js';

const columns: TableColumn[] = [
  { name: 'label', type: 'integer' },
  { name: 'x', type: 'double' },
  { name: 'name', type: 'string' },
  { name: 'ingest_date', type: 'date' },
];

/** A table of `rows` rows, one in ten labelled 1, as the DuckDB relation the shadow CTE reads. */
function tableSql(rows: number): string {
  return `(SELECT CAST(i % 10 = 0 AS integer) AS label, i * 0.5 AS x, 'n' || CAST(i AS varchar) AS name, DATE '2026-11-29' AS ingest_date FROM range(${rows}) t(i))`;
}

/** The rows one split gets from the one feature query, run on DuckDB with the Trino-compatibility layer. */
async function splitRows(rows: number, split: 'train' | 'validation', strata: string[]): Promise<{ label: number; name: string }[]> {
  const unload = featureUnloadSql({ query: 'SELECT label, name FROM t', database: 'db', table: 't', splitKey: [], validationRatio: 0.2, target: 's3://lake/f/', columns, strata, output: { format: 'PARQUET', compression: 'SNAPPY' } });
  const select = (parseUnload(unload)?.select ?? '').replace('"db"."t"', tableSql(rows));
  const db = await openDuckDb({ threads: 1, memoryLimit: '256MB', tempDirectory: '/tmp/sluice-test-spill' });
  try {
    await installTrinoCompat(db.connection);
    const reader = await runTrinoQuery(db.connection, select);
    return reader
      .getRowObjectsJson()
      .filter((r) => r['split'] === split)
      .map((r) => ({ label: Number(r['label']), name: String(r['name']) }));
  } finally {
    db.close();
  }
}

describe('row-based split', () => {
  describe('without a split key', () => {
    it('puts exactly the asked share in validation when the table has 1,003 rows', async () => {
      // Act
      const validation = await splitRows(1003, 'validation', []);
      const train = await splitRows(1003, 'train', []);

      // Assess: round(1003 * 0.2) = 201, the rest train, no row on both sides
      expect(validation).toHaveLength(201);
      expect(train).toHaveLength(802);
      const names = new Set(validation.map((r) => r.name));
      expect(train.some((r) => names.has(r.name))).toBe(false);
    });

    it('chooses the rows with the smallest md5 of their text columns, as Athena orders them', async () => {
      // Prepare: the hash of a row is md5 of label|name|ingest_date (the double column is not hashed)
      const hashOf = (i: number) => createHash('md5').update(`${i % 10 === 0 ? 1 : 0}|n${i}|2026-11-29`).digest('hex').toUpperCase();
      const expected = Array.from({ length: 50 }, (_, i) => ({ i, h: hashOf(i) })).sort((a, b) => (a.h < b.h ? -1 : 1)).slice(0, 10).map((r) => `n${r.i}`);

      // Act
      const validation = await splitRows(50, 'validation', []);

      // Assess
      expect(validation.map((r) => r.name).sort()).toEqual(expected.sort());
    });
  });

  describe('stratified by the label', () => {
    it('takes the share within each label value when stratify is on', async () => {
      // Act
      const validation = await splitRows(1000, 'validation', ['label']);

      // Assess: 100 rows labelled 1 and 900 labelled 0 give 20 and 180
      expect(validation.filter((r) => r.label === 1)).toHaveLength(20);
      expect(validation.filter((r) => r.label === 0)).toHaveLength(180);
    });
  });
});

describe('labelSourceColumns', () => {
  describe('the label expression', () => {
    it('names the contract columns the first column reads when it is computed', () => {
      // Act
      const names = labelSourceColumns("SELECT IF(churn = 'Yes', 1, 0) AS label, tenure FROM churn", ['churn', 'tenure']);

      // Assess
      expect(names).toEqual(['churn']);
    });
  });
});

describe('split checks at spec load', () => {
  async function specWith(features: string): Promise<() => unknown> {
    const dir = await mkdtemp(path.join(tmpdir(), 'sluice-split-'));
    await writeFile(
      path.join(dir, 'pipeline.yml'),
      `name: split\nsource: { format: csv }\ncontract:\n  columns:\n    - { name: id, type: integer }\n    - { name: churn, type: string }\n    - { name: x, type: double }\nfeatures: ${features}\n`,
    );
    await writeFile(path.join(dir, 'features.sql'), "SELECT IF(churn = 'Yes', 1, 0) AS label, x FROM split");
    return () => loadPipelineSpec(dir, dir);
  }

  describe('a label in splitKey', () => {
    it('refuses the spec naming the column when splitKey holds the label\'s column', async () => {
      // Prepare
      const load = await specWith('{ splitKey: [id, churn] }');

      // Act + Assess
      expect(load).toThrow('features.splitKey.1: "churn" is the label\'s column (the first column of features.sql reads it)');
    });
  });

  describe('stratification', () => {
    it('refuses stratify when a split key is given', async () => {
      // Prepare
      const load = await specWith('{ splitKey: [id], stratify: true }');

      // Act + Assess
      expect(load).toThrow('features.stratify: a keyed split (splitKey) keeps each key\'s rows together and cannot be stratified');
    });

    it('accepts a row-based stratified split when no key is given', async () => {
      // Prepare
      const load = await specWith('{ stratify: true, validationRatio: 0.25 }');

      // Act
      const spec = load() as { features: { splitKey?: string[]; stratify: boolean } };

      // Assess
      expect(spec.features.splitKey).toBeUndefined();
      expect(spec.features.stratify).toBe(true);
    });
  });
});
