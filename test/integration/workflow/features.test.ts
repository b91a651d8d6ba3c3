import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDuckDb } from '../../../core/duckdb/open-duckdb.js';
import { featureUnloadSql } from '../../../core/features/feature-sql.js';
import { quoteLiteral } from '../../../core/sql/quote.js';
import type { QueryStatus } from '../../../core/ports/query-engine.js';
import { loadPipelineSpec } from '../../../core/spec/load-spec.js';
import { DuckDbQueryEngine } from '../../../local/adapters/duckdb-query-engine.js';
import type { GlueTableRecord } from '../../../local/adapters/local-catalog.js';
import { LocalCatalog } from '../../../local/adapters/local-catalog.js';
import { LocalJobBoard } from '../../../local/adapters/local-jobs.js';
import { LOCAL_LAKE_BUCKET, LOCAL_NAMES } from '../../../local/runtime/local-deps.js';
import { freshLake, lakePath, runOnContent, runWithInput, testServers } from '../../support/local-run.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';
import { untunedChurnSpec } from '../../fixtures/untuned-churn.js';

afterAll(() => testServers.closeAll());

/** The churn sample and features.sql, trained once and briefly: these tests are about the feature sets, not the model. */
const churn = untunedChurnSpec();

/** The rows of one feature set (`split=<split>/` of the run's features), each as `label,feature,…` text. */
async function featureLines(lake: string, pipeline: string, runId: string, split: string): Promise<string[]> {
  const dir = lakePath(lake, `features/${pipeline}/${runId}/split=${split}`);
  // In name order, as the trainer reads a channel's files (local/xgboost/data.ts, listChannelFiles).
  const files = (await readdir(dir))
    .filter((f) => f.endsWith('.parquet'))
    .sort()
    .map((f) => path.join(dir, f));
  const db = await openDuckDb({ threads: 1, memoryLimit: '256MB', tempDirectory: path.join(lake, '.work', 'spill') });
  try {
    const reader = await db.connection.runAndReadAll(`SELECT * FROM read_parquet([${files.map(quoteLiteral).join(', ')}], hive_partitioning = false)`);
    return reader.getRowsJson().map((row) => row.map((v) => (v === null ? '' : String(v))).join(','));
  } finally {
    db.close();
  }
}

/** Writes a pipeline folder (spec + features.sql) and loads it. */
async function pipelineDir(spec: string, features: string): Promise<ReturnType<typeof loadPipelineSpec>> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sluice-pipeline-'));
  await writeFile(path.join(dir, 'pipeline.yml'), spec);
  await writeFile(path.join(dir, 'features.sql'), features);
  return loadPipelineSpec(dir, dir);
}

/** Runs `query` on the local engine of `lake`, wrapped as the feature step wraps it, to its end. */
async function runFeatureQuery(lake: string, query: string, run = 'hostile', threads = 1, splitKey: readonly string[] = ['id']): Promise<QueryStatus> {
  const limits = { threads, memoryLimit: '256MB', tempDirectory: path.join(lake, '.work', 'spill') };
  // Any table is sharded here: the tests' tables are far below the size from which sharding pays off.
  const engine = new DuckDbQueryEngine(lake, new LocalCatalog(lake, limits), limits, new LocalJobBoard(), { minTableBytes: 0 });
  const sql = featureUnloadSql({
    query,
    database: LOCAL_NAMES.database,
    table: 'orders',
    splitKey,
    validationRatio: 0.5,
    target: `s3://${LOCAL_LAKE_BUCKET}/features/orders/${run}/`,
    columns: [
      { name: 'id', type: 'integer' },
      { name: 'amount', type: 'double' },
      { name: 'ingest_date', type: 'date' },
      { name: 'status', type: 'string' },
    ],
    output: { format: 'PARQUET', compression: 'SNAPPY' },
  });
  const { queryId } = await engine.startQuery({ sql, database: LOCAL_NAMES.database, workgroup: 'sluice-local-orders', requestToken: queryId32(`${run}${query}`) });
  for (;;) {
    const status = await engine.queryStatus(queryId);
    if (status.state !== 'RUNNING' && status.state !== 'QUEUED') return status;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function queryId32(query: string): string {
  return `hostile-${Buffer.from(query).toString('hex').slice(0, 48).padEnd(32, '0')}`;
}

const ordersSpec = (extraColumn = '', amountType = 'double') => `
name: orders
source: { format: csv }
contract:
  columns:
    - { name: id, type: integer, nullable: false }
    - { name: status, type: string, allowed: [open, closed] }
    - { name: amount, type: ${amountType} }
${extraColumn}
partitioning: { columns: [status] }
catalog: { pollSeconds: 1, timeoutSeconds: 60 }
features: { splitKey: [id], validationRatio: 0.5 }
`;

describe('local workflow: catalog and features', () => {
  describe('the churn pipeline', () => {
    it('writes train and validation Parquet sets, label first and numeric, from one feature query when a file is ingested', async () => {
      // Prepare
      const lake = await freshLake();
      const csv = await readFile(path.join(REPO_ROOT, 'pipelines/churn/data/telco_churn.csv'));

      // Act
      const summary = await runOnContent(churn, lake, 'telco_churn.csv', csv);

      // Assess
      expect(summary.error).toBeUndefined();
      const train = await featureLines(lake, 'churn', summary.runId, 'train');
      const validation = await featureLines(lake, 'churn', summary.runId, 'validation');
      expect(train.length + validation.length).toBe(7043);
      expect(validation.length / 7043).toBeGreaterThan(0.15);
      expect(validation.length / 7043).toBeLessThan(0.25);
      for (const line of [...train, ...validation]) {
        const fields = line.split(',');
        expect(fields).toHaveLength(26);
        expect(['0', '1']).toContain(fields[0]);
        expect(fields.every((f) => f !== '' && Number.isFinite(Number(f)))).toBe(true);
      }
      const table = JSON.parse(await readFile(path.join(lake, 'catalog/sluice_local/churn.json'), 'utf8')) as GlueTableRecord;
      expect(table.PartitionKeys).toEqual([{ Name: 'ingest_date', Type: 'string' }, { Name: 'contract', Type: 'string' }]);
      expect(table.StorageDescriptor.Columns).toContainEqual({ Name: 'total_charges', Type: 'double' });
      expect(table.StorageDescriptor.Columns).toContainEqual({ Name: 'tenure', Type: 'bigint' });
      expect(table.Partitions.map((p) => p.Values[1]).sort()).toEqual(['Month-to-month', 'One year', 'Two year']);
      const manifest = JSON.parse(await readFile(lakePath(lake, `runs/churn/${summary.runId}.json`), 'utf8')) as {
        stages: { features: { query: { queryId: string; engineMs?: number }; train: { queryId: string }; validation: { queryId: string } } };
      };
      expect(manifest.stages.features.query.queryId).toMatch(/^[0-9a-f-]{36}$/);
      expect(manifest.stages.features.train.queryId).toBe(manifest.stages.features.query.queryId);
      expect(manifest.stages.features.validation.queryId).toBe(manifest.stages.features.query.queryId);
      expect(manifest.stages.features.query.engineMs).toEqual(expect.any(Number));
    });

    it('splits the same rows the same way when a retrain on demand queries the curated data again', async () => {
      // Prepare
      const lake = await freshLake();
      const first = await runOnContent(churn, lake, 'telco_churn.csv', await readFile(path.join(REPO_ROOT, 'pipelines/churn/data/telco_churn.csv')));

      // Act: a retrain with no file (a schedule with no new data would skip, by the pipeline's choice)
      const scheduled = await runWithInput(churn, lake, { pipeline: 'churn' });

      // Assess
      expect(scheduled.error).toBeUndefined();
      expect(scheduled.steps.map((s) => s.name)).not.toContain('StartCrawler');
      expect((await featureLines(lake, 'churn', scheduled.runId, 'validation')).sort()).toEqual((await featureLines(lake, 'churn', first.runId, 'validation')).sort());
    });
  });

  describe('schema evolution', () => {
    it('adds a new nullable column to the table and reads it as missing in older partitions', async () => {
      // Prepare
      const lake = await freshLake();
      const v1 = await pipelineDir(ordersSpec(), 'SELECT amount, id FROM orders');
      await runOnContent(v1, lake, 'a.csv', 'id,status,amount\n1,open,10\n2,closed,20\n');
      const v2 = await pipelineDir(ordersSpec('    - { name: discount, type: double }'), 'SELECT coalesce(discount, -1) AS d, id FROM orders');

      // Act
      const summary = await runOnContent(v2, lake, 'b.csv', 'id,status,amount,discount\n3,open,30,0.5\n4,open,40,\n');

      // Assess
      expect(summary.error).toBeUndefined();
      const table = JSON.parse(await readFile(path.join(lake, 'catalog/sluice_local/orders.json'), 'utf8')) as GlueTableRecord;
      expect(table.StorageDescriptor.Columns.map((c) => `${c.Name}:${c.Type}`)).toEqual(['id:bigint', 'amount:double', 'discount:double']);
      const rows = [...(await featureLines(lake, 'orders', summary.runId, 'train')), ...(await featureLines(lake, 'orders', summary.runId, 'validation'))];
      expect(rows.sort()).toEqual(['-1,1', '-1,2', '-1,4', '0.5,3']);
    });

    it('fails the crawl naming the column and both types when a column changes type', async () => {
      // Prepare
      const lake = await freshLake();
      await runOnContent(await pipelineDir(ordersSpec(), 'SELECT amount, id FROM orders'), lake, 'a.csv', 'id,status,amount\n1,open,10.5\n');
      const changed = await pipelineDir(ordersSpec('', 'integer'), 'SELECT amount, id FROM orders');

      // Act
      const summary = await runOnContent(changed, lake, 'b.csv', 'id,status,amount\n2,open,7\n');

      // Assess
      expect(summary.error).toMatchObject({ name: 'CrawlFailedError', state: 'GetCrawlerState' });
      expect(summary.error?.message).toMatch(/Crawler sluice-local-orders failed: column "amount" is (double|bigint) in .* but (bigint|double) in /);
    });
  });

  describe('feature queries that reach outside the lake', () => {
    let lake: string;
    let outside: string;

    beforeAll(async () => {
      lake = await freshLake();
      outside = await mkdtemp(path.join(tmpdir(), 'sluice-outside-'));
      await writeFile(path.join(outside, 'secret.csv'), 'secret\n42\n');
      const spec = await pipelineDir(ordersSpec(), 'SELECT amount, id FROM orders');
      const summary = await runOnContent(spec, lake, 'a.csv', 'id,status,amount\n1,open,10\n2,closed,20\n');
      expect(summary.error).toBeUndefined();
    });

    beforeEach(async () => {
      await rm(path.join(outside, 'pwned.csv'), { force: true });
    });

    it('writes the features when the query reads only its table', async () => {
      // Act
      const status = await runFeatureQuery(lake, 'SELECT amount, id FROM orders');

      // Assess
      expect(status).toMatchObject({ state: 'SUCCEEDED' });
      const folders = await readdir(lakePath(lake, 'features/orders/hostile'));
      expect(folders.length).toBeGreaterThan(0);
      for (const folder of folders) {
        expect(['split=train', 'split=validation']).toContain(folder);
        expect(await readdir(lakePath(lake, `features/orders/hostile/${folder}`))).toEqual(['part-00000.parquet']);
      }
    });

    describe('on several threads', () => {
      let many: string;

      beforeAll(async () => {
        // More rows than one DuckDB vector, in two partition files (status), so that two threads could interleave them
        many = await freshLake();
        const spec = await pipelineDir(ordersSpec(), 'SELECT amount, id FROM orders');
        const rows = Array.from({ length: 20_000 }, (_, i) => `${i},${i % 3 === 0 ? 'closed' : 'open'},${i * 1.5}`).join('\n');
        expect((await runOnContent(spec, many, 'many.csv', `id,status,amount\n${rows}\n`)).error).toBeUndefined();
      });

      /** Each set's files, by name, with their bytes. */
      async function featureFiles(run: string): Promise<Map<string, Buffer>> {
        const files = new Map<string, Buffer>();
        for (const split of ['train', 'validation']) {
          const dir = lakePath(many, `features/orders/${run}/split=${split}`);
          for (const name of (await readdir(dir)).sort()) files.set(`split=${split}/${name}`, await readFile(path.join(dir, name)));
        }
        return files;
      }

      it('writes byte-identical files, one per thread, holding the one-thread rows in their order when a row-wise query runs twice', async () => {
        // Act
        const first = await runFeatureQuery(many, 'SELECT amount, id FROM orders', 'again-1', 2);
        const second = await runFeatureQuery(many, 'SELECT amount, id FROM orders', 'again-2', 2);
        const single = await runFeatureQuery(many, 'SELECT amount, id FROM orders', 'single', 1);

        // Assess: each thread wrote its share of the table's files (the status=closed and status=open files)
        expect([first.state, second.state, single.state]).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
        const [a, b] = [await featureFiles('again-1'), await featureFiles('again-2')];
        expect([...a.keys()]).toEqual(['split=train/part-00000.parquet', 'split=train/part-00010.parquet', 'split=validation/part-00000.parquet', 'split=validation/part-00010.parquet']);
        expect([...b.keys()]).toEqual([...a.keys()]);
        for (const [name, bytes] of a) expect({ name, same: b.get(name)?.equals(bytes) }).toEqual({ name, same: true });
        for (const split of ['train', 'validation']) {
          expect(await featureLines(many, 'orders', 'again-1', split)).toEqual(await featureLines(many, 'orders', 'single', split));
        }
        const rows = (await featureLines(many, 'orders', 'again-1', 'train')).length + (await featureLines(many, 'orders', 'again-1', 'validation')).length;
        expect(rows).toBe(20_000);
      });

      it('writes one byte-identical file per set on one thread when the row-based split ranks the whole table', async () => {
        // Act: no split key: each row's split comes from a window over the whole table, which no shard could compute
        const first = await runFeatureQuery(many, 'SELECT amount, id FROM orders', 'rows-1', 2, []);
        const second = await runFeatureQuery(many, 'SELECT amount, id FROM orders', 'rows-2', 2, []);

        // Assess
        expect([first.state, second.state]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
        const [a, b] = [await featureFiles('rows-1'), await featureFiles('rows-2')];
        expect([...a.keys()]).toEqual(['split=train/part-00000.parquet', 'split=validation/part-00000.parquet']);
        for (const [name, bytes] of a) expect({ name, same: b.get(name)?.equals(bytes) }).toEqual({ name, same: true });
      });
    });

    it.each([
      ['read_text of /etc/passwd', "SELECT length(content) AS n, id FROM read_text('/etc/passwd'), orders", /may read only the pipeline's tables .*: it tried to access "\/etc\/passwd"/],
      ['read_csv of an absolute path', "SELECT secret, id FROM read_csv('{outside}/secret.csv'), orders", /may read only the pipeline's tables .*: it tried to access ".*secret\.csv"/],
      ['a COPY hidden by $$ strings', "SELECT id FROM orders WHERE $$'$$ <> 'a') LIMIT 0; COPY (SELECT 42) TO '{outside}/pwned.csv'; SELECT * FROM (SELECT id FROM orders WHERE $$'$$ <> 'a'", /FeatureQueryError: /],
      ['a second statement', "SELECT id FROM orders;\nCOPY (SELECT 42) TO '{outside}/pwned.csv'", /FeatureQueryError: /],
      ['ATTACH', "ATTACH '{outside}/pwned.csv' AS other", /FeatureQueryError: /],
      ['INSTALL', 'INSTALL httpfs', /FeatureQueryError: /],
      ['LOAD', 'LOAD httpfs', /FeatureQueryError: /],
      ['SET', 'SET enable_external_access = true', /FeatureQueryError: /],
      ['PRAGMA', 'PRAGMA enable_profiling', /FeatureQueryError: /],
    ])('refuses %s with a FeatureQueryError and writes nothing outside the lake', async (_title, template, reason) => {
      // Prepare
      const query = template.replaceAll('{outside}', outside);

      // Act
      const status = await runFeatureQuery(lake, query);

      // Assess
      expect(status.state).toBe('FAILED');
      expect(status.reason).toMatch(reason);
      expect(status.reason).toMatch(/^FeatureQueryError: /);
      expect(await readdir(outside)).toEqual(['secret.csv']);
    });

    it('refuses COPY … TO before it reaches the engine and writes nothing outside the lake', async () => {
      // Act / Assess: the table read inside the COPY's parentheses is no outer FROM the split can be added to
      await expect(runFeatureQuery(lake, `COPY (SELECT id FROM orders) TO '${outside}/pwned.csv'`)).rejects.toThrow(/read it in the outer SELECT's FROM/);
      expect(await readdir(outside)).toEqual(['secret.csv']);
    });

    it('fails the run at the feature query and writes no file when features.sql hides a COPY in $$ strings', async () => {
      // Prepare: a lexer that knows only '…' strings sees one SELECT over "orders" here; DuckDB sees three statements
      const target = path.join(outside, 'pwned.csv');
      const spec = await pipelineDir(
        ordersSpec(),
        `SELECT amount, id FROM orders WHERE $$'$$ <> 'a') LIMIT 0; COPY (SELECT 42) TO '${target}'; SELECT * FROM (SELECT id FROM orders WHERE $$'$$ <> 'a'`,
      );

      // Act
      const summary = await runOnContent(spec, await freshLake(), 'a.csv', 'id,status,amount\n1,open,10\n');

      // Assess
      expect(summary.error).toMatchObject({ name: 'FeatureQueryFailedError', state: 'GetFeatureQueryState' });
      expect(summary.error?.message).toMatch(/FeatureQueryError: /);
      expect(await readdir(outside)).toEqual(['secret.csv']);
    });
  });

  describe('feature queries the local engine cannot run', () => {
    it('fails with the function named when the query uses date_parse', async () => {
      // Prepare
      const lake = await freshLake();
      const spec = await pipelineDir(ordersSpec(), "SELECT amount, date_parse('2026-01-01', '%Y-%m-%d') AS d FROM orders");

      // Act
      const summary = await runOnContent(spec, lake, 'a.csv', 'id,status,amount\n1,open,10\n');

      // Assess
      expect(summary.error).toMatchObject({ name: 'FeatureQueryFailedError', state: 'GetFeatureQueryState' });
      expect(summary.error?.message).toMatch(/UnsupportedSqlFunctionError: .*date_parse/);
    });

    it('fails before querying when features.sql is not a SELECT over the table', async () => {
      // Prepare
      const lake = await freshLake();
      const spec = await pipelineDir(ordersSpec(), 'DROP TABLE orders');

      // Act
      const summary = await runOnContent(spec, lake, 'a.csv', 'id,status,amount\n1,open,10\n');

      // Assess
      expect(summary.error).toMatchObject({ name: 'InvalidFeatureQueryError', state: 'StartFeatureQuery' });
      expect(summary.error?.message).toMatch(/features\.sql: must be one SELECT/);
    });
  });
});
