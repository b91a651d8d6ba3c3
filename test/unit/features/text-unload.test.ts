import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { channelFormat } from '../../../core/features/channel-format.js';
import { featureUnloadSql } from '../../../core/features/feature-sql.js';
import { installTrinoCompat, translateTrinoSql } from '../../../core/sql/trino-compat.js';
import { channelLine, orderChannelLines } from '../../../core/text/channel-line.js';

const FEATURES_SQL = readFileSync(path.join(__dirname, '..', '..', '..', 'pipelines', 'reviews', 'features.sql'), 'utf8');

const REVIEWS = [
  { product: 'B001', review: 'Great taste!<br />Would buy again.', score: 'great' },
  { product: 'B002', review: 'Stale, "old" and __label__great spam', score: 'other' },
  { product: 'B003', review: 'ok\tfine', score: 'other' },
  { product: 'B004', review: 'Loved it', score: 'great' },
];

function reviewsUnload(): string {
  return featureUnloadSql({
    query: FEATURES_SQL,
    database: 'sluice',
    table: 'reviews',
    splitKey: ['product'],
    validationRatio: 0.5,
    target: 's3://lake/features/reviews/r1/',
    columns: [
      { name: 'product', type: 'string' },
      { name: 'review', type: 'string' },
      { name: 'score', type: 'string' },
    ],
    output: channelFormat('blazingtext').unload,
  });
}

describe('featureUnloadSql', () => {
  describe('a text pipeline (BlazingText channels)', () => {
    it('unloads one column of lines as TEXTFILE partitioned by split, with the ORDER BY at the top, when the algorithm is blazingtext', () => {
      // Act
      const sql = reviewsUnload();

      // Assess
      expect(sql).toMatch(/^UNLOAD \(SELECT CASE WHEN /);
      expect(sql).toMatch(/ AS line, split\nFROM \(\n/);
      expect(sql).toMatch(/\nORDER BY to_hex\(md5\(to_utf8\(line\)\)\), line\) TO 's3:\/\/lake\/features\/reviews\/r1\/' WITH \(format = 'TEXTFILE', partitioned_by = ARRAY\['split'\]\)$/);
    });

    it('gives each split the lines channelLine writes, in channel order, when the local engine runs the query', async () => {
      // Prepare
      const sql = reviewsUnload();
      const select = sql.slice('UNLOAD ('.length, sql.lastIndexOf(') TO '));
      const instance = await DuckDBInstance.create(':memory:');
      const connection = await instance.connect();
      try {
        await installTrinoCompat(connection);
        await connection.run('CREATE SCHEMA sluice');
        const values = REVIEWS.map((r) => `('${r.product}', '${r.review.replaceAll("'", "''").replaceAll('\t', "' || chr(9) || '")}', '${r.score}')`).join(', ');
        await connection.run(`CREATE TABLE sluice.reviews AS SELECT * FROM (VALUES ${values}) AS t(product, review, score)`);

        // Act
        const rows = (await connection.runAndReadAll(translateTrinoSql(select))).getRowObjectsJson();

        // Assess: every review once, and each split's lines are channelLine's, in orderChannelLines' order.
        expect(rows).toHaveLength(REVIEWS.length);
        for (const split of ['train', 'validation']) {
          const lines = rows.filter((row) => row['split'] === split).map((row) => String(row['line']));
          expect(lines).toEqual(orderChannelLines(lines));
        }
        const stale = rows.map((row) => String(row['line'])).find((line) => line.startsWith('__label__other stale'));
        // The pipeline's SQL already splits underscores off as punctuation; the wrapper adds only the label.
        expect(stale).toBe(channelLine('other', 'stale , " old " and _ _ label _ _ great spam'));
      } finally {
        connection.closeSync();
        instance.closeSync();
      }
    });
  });
});
