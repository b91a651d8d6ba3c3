import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDuckDb } from '../../../core/duckdb/open-duckdb.js';
import { countFeatureRows, parquetRowCount, sampleFeatureRows } from '../../../core/features/feature-rows.js';
import { quoteLiteral } from '../../../core/sql/quote.js';

describe('feature rows', () => {
  let dir: string;
  let file: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sluice-feature-rows-'));
    file = path.join(dir, 'part-00000.parquet');
    const db = await openDuckDb({ threads: 1, memoryLimit: '256MB', tempDirectory: path.join(dir, 'spill') });
    await db.connection.run(
      `COPY (SELECT CAST(i % 2 AS INTEGER) AS label, i * 0.5 AS x, CASE WHEN i = 1 THEN NULL ELSE CAST(i AS BIGINT) END AS n FROM range(1000) t(i)) TO ${quoteLiteral(file)} (FORMAT parquet, COMPRESSION snappy)`,
    );
    db.close();
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('a Snappy Parquet feature file', () => {
    it('samples the first rows as CSV without the label, NULL as an empty field, when the file is Parquet', async () => {
      // Act
      const rows = await sampleFeatureRows(file, 3);

      // Assess
      expect(rows).toEqual(['0,0', '0.5,', '1,2']);
    });

    it('counts the rows from the footer, with or without reading the pages, when the file is Parquet', async () => {
      // Act
      const fromFooter = parquetRowCount(await readFile(file));
      const counted = await countFeatureRows(file);

      // Assess
      expect(fromFooter).toBe(1000);
      expect(counted).toBe(1000);
    });
  });

  describe('bytes that are not Parquet', () => {
    it('returns undefined when the bytes lack the PAR1 footer', () => {
      // Act / Assess
      expect(parquetRowCount(Buffer.from('1,2,3\n4,5,6\n'))).toBeUndefined();
    });
  });
});
