import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDuckDb } from '../../../core/duckdb/open-duckdb.js';
import { channelFormat } from '../../../core/features/channel-format.js';
import { mergeChannelParts } from '../../../core/features/channel-merge.js';
import { featureUnloadSql } from '../../../core/features/feature-sql.js';
import type { QueryStatus } from '../../../core/ports/query-engine.js';
import { quoteLiteral } from '../../../core/sql/quote.js';
import { channelLine, orderChannelLines } from '../../../core/text/channel-line.js';
import { DuckDbQueryEngine } from '../../../local/adapters/duckdb-query-engine.js';
import { FolderObjectStore } from '../../../local/adapters/folder-object-store.js';
import { LocalCatalog } from '../../../local/adapters/local-catalog.js';
import { LOCAL_LAKE_BUCKET, LOCAL_NAMES } from '../../../local/runtime/local-deps.js';

/** Reviews whose text holds what a quoting CSV writer would wrap: quotes, commas, a backslash, a \\001. */
const REVIEWS: readonly (readonly [string, string, string])[] = [
  ['B001', 'great', 'tasty , "really" good \\ yes'],
  ['B002', 'other', 'stale\u0001old'],
  ['B003', 'great', 'love it'],
  ['B004', 'other', 'meh'],
  ['B005', 'mobile web', 'a label with a space'],
  ['B006', '', 'no label: dropped'],
];

describe('DuckDbQueryEngine', () => {
  describe('a text (BlazingText) feature query', () => {
    let lake: string;

    beforeEach(async () => {
      lake = await mkdtemp(path.join(tmpdir(), 'sluice-text-unload-'));
    });

    afterEach(async () => {
      await rm(lake, { recursive: true, force: true });
    });

    it("writes gzip TEXTFILE parts that merge into exactly channelFile's bytes, in channel order, when the query is unloaded", async () => {
      // Prepare: a curated Parquet table of reviews, crawled into the local catalog.
      const limits = { threads: 1, memoryLimit: '256MB', tempDirectory: path.join(lake, '.work', 'spill') };
      const curated = path.join(lake, LOCAL_LAKE_BUCKET, 'curated', 'reviews', 'ingest_date=2026-11-21');
      await mkdir(curated, { recursive: true });
      const db = await openDuckDb(limits);
      try {
        const values = REVIEWS.map((r) => `(${r.map((v) => quoteLiteral(v)).join(', ')})`).join(', ');
        await db.connection.run(`COPY (SELECT * FROM (VALUES ${values}) AS t(product, score, review)) TO ${quoteLiteral(path.join(curated, 'part-0.parquet'))} (FORMAT parquet)`);
      } finally {
        db.close();
      }
      const catalog = new LocalCatalog(lake, limits);
      const target = { crawlerName: 'sluice-local-reviews', database: LOCAL_NAMES.database, table: 'reviews', bucket: LOCAL_LAKE_BUCKET, prefix: 'curated/reviews/' };
      const { startedAt } = await catalog.startCrawl(target);
      while ((await catalog.crawlStatus(target, startedAt)).state === 'RUNNING') await new Promise((resolve) => setImmediate(resolve));
      const engine = new DuckDbQueryEngine(lake, catalog, limits);
      const sql = featureUnloadSql({
        query: 'SELECT score AS label, review AS text FROM reviews',
        database: LOCAL_NAMES.database,
        table: 'reviews',
        splitKey: [],
        validationRatio: 0.01,
        target: `s3://${LOCAL_LAKE_BUCKET}/features/reviews/r1/`,
        columns: [
          { name: 'product', type: 'string' },
          { name: 'score', type: 'string' },
          { name: 'review', type: 'string' },
          { name: 'ingest_date', type: 'date' },
        ],
        output: channelFormat('blazingtext').unload,
      });

      // Act
      const { queryId } = await engine.startQuery({ sql, database: LOCAL_NAMES.database, workgroup: 'sluice-local-reviews', requestToken: 'text-unload-00000000000000000000000' });
      let status: QueryStatus = { state: 'QUEUED' };
      while (status.state === 'QUEUED' || status.state === 'RUNNING') {
        status = await engine.queryStatus(queryId);
        if (status.state === 'QUEUED' || status.state === 'RUNNING') await new Promise((resolve) => setImmediate(resolve));
      }
      const merge = await mergeChannelParts(new FolderObjectStore(lake), LOCAL_LAKE_BUCKET, 'features/reviews/r1/split=train/', 'data.txt');

      // Assess: validationRatio 0.01 of 5 rows rounds to none, so every labelled review is in train.
      expect(status).toMatchObject({ state: 'SUCCEEDED' });
      expect(merge.parts).toEqual(['features/reviews/r1/split=train/part-00000.gz']);
      const lines = REVIEWS.filter(([, label]) => label !== '').map(([, label, text]) => channelLine(label, text));
      const expected = orderChannelLines(lines).map((line) => `${line}\n`).join('');
      expect(await readFile(path.join(lake, LOCAL_LAKE_BUCKET, 'features/reviews/r1/split=train/data.txt'), 'utf8')).toBe(expected);
    });
  });
});
