import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDuckDb } from '../../../core/duckdb/open-duckdb.js';
import { quoteLiteral } from '../../../core/sql/quote.js';
import { DuckDbQueryEngine } from '../../../local/adapters/duckdb-query-engine.js';
import { LocalCatalog } from '../../../local/adapters/local-catalog.js';
import { LocalJobBoard } from '../../../local/adapters/local-jobs.js';

const DATABASE = 'db';

describe('DuckDbQueryEngine', () => {
  describe('threads of a query', () => {
    let lake: string;
    const limits = (): { threads: number; memoryLimit: string; tempDirectory: string } => ({ threads: 2, memoryLimit: '256MB', tempDirectory: path.join(lake, '.work', 'spill') });

    beforeAll(async () => {
      lake = await mkdtemp(path.join(tmpdir(), 'sluice-engine-threads-'));
      const folder = path.join(lake, 'lake', 'curated', 'orders');
      await mkdir(folder, { recursive: true });
      const db = await openDuckDb({ threads: 1, memoryLimit: '256MB', tempDirectory: path.join(lake, 'spill') });
      await db.connection.run(`COPY (SELECT range AS id FROM range(100)) TO ${quoteLiteral(path.join(folder, 'part-0.parquet'))} (FORMAT parquet)`);
      db.close();
      await new LocalCatalog(lake, limits()).putTable({ database: DATABASE, table: 'orders', location: 's3://lake/curated/orders/', columns: [{ name: 'id', type: 'bigint' }], partitionKeys: [] });
    });

    afterAll(async () => {
      await rm(lake, { recursive: true, force: true });
    });

    /** Runs an UNLOAD of the session's `threads` setting and reads back what it wrote. */
    async function threadsOfQuery(run: string, sharding?: { minTableBytes: number }): Promise<string> {
      const board = new LocalJobBoard();
      const engine = new DuckDbQueryEngine(lake, new LocalCatalog(lake, limits()), limits(), board, sharding);
      const sql = `UNLOAD (SELECT current_setting('threads') AS threads FROM ${DATABASE}.orders LIMIT 1) TO 's3://lake/features/orders/${run}/' WITH (format = 'PARQUET', compression = 'SNAPPY')`;
      const { queryId } = await engine.startQuery({ sql, database: DATABASE, workgroup: 'wg', requestToken: `threads-of-query-${run}-0000000000000000` });
      await board.idle();
      expect(await engine.queryStatus(queryId)).toMatchObject({ state: 'SUCCEEDED' });
      const db = await openDuckDb({ threads: 1, memoryLimit: '256MB', tempDirectory: path.join(lake, 'spill') });
      try {
        const [row] = await db.rows(`SELECT threads FROM read_parquet(${quoteLiteral(path.join(lake, 'lake', 'features', 'orders', run, 'part-00000.parquet'))})`);
        return String(row?.threads);
      } finally {
        db.close();
      }
    }

    it('runs on one thread when the tables are smaller than the sharding threshold', async () => {
      // Act
      const threads = await threadsOfQuery('small');

      // Assess
      expect(threads).toBe('1');
    });

    it('runs on the engine threads when the tables reach the sharding threshold', async () => {
      // Act
      const threads = await threadsOfQuery('large', { minTableBytes: 0 });

      // Assess
      expect(threads).toBe('2');
    });
  });
});
