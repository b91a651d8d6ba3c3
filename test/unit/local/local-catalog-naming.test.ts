import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDuckDb } from '../../../core/duckdb/open-duckdb.js';
import { tableName } from '../../../core/run/naming.js';
import { LocalCatalog } from '../../../local/adapters/local-catalog.js';
import { LocalJobBoard } from '../../../local/adapters/local-jobs.js';

describe('LocalCatalog', () => {
  describe('a pipeline whose name has dashes', () => {
    let lake: string;

    beforeEach(async () => {
      lake = await mkdtemp(path.join(tmpdir(), 'sluice-catalog-naming-'));
    });

    afterEach(async () => {
      await rm(lake, { recursive: true, force: true });
    });

    it('records the table under the name core reads and Glue is given when the curated folder has dashes', async () => {
      // Prepare: one Parquet file under curated/churn-v2/, as ingest writes it
      const limits = { threads: 1, memoryLimit: '256MB', tempDirectory: path.join(lake, 'spill') };
      const folder = path.join(lake, 'lake', 'curated', 'churn-v2', 'ingest_date=2026-11-29');
      await mkdir(folder, { recursive: true });
      const db = await openDuckDb(limits);
      try {
        await db.connection.run(`COPY (SELECT 1 AS tenure) TO '${path.join(folder, 'part-0.parquet')}' (FORMAT parquet)`);
      } finally {
        db.close();
      }
      const board = new LocalJobBoard();
      const catalog = new LocalCatalog(lake, limits, () => new Date(), board);
      const target = { crawlerName: 'sluice-local-churn-v2', database: 'sluice_local', table: tableName('churn-v2'), bucket: 'lake', prefix: 'curated/churn-v2/' };

      // Act
      const { startedAt } = await catalog.startCrawl(target);
      await board.settledOrAfter(30_000);
      const status = await catalog.crawlStatus(target, startedAt);

      // Assess
      expect(status.state).toBe('SUCCEEDED');
      expect((await catalog.tables('sluice_local')).map((t) => t.Name)).toEqual(['churn_v2']);
      expect((await catalog.table('sluice_local', 'churn_v2'))?.StorageDescriptor.Location).toBe('s3://lake/curated/churn-v2/');
    });
  });
});
