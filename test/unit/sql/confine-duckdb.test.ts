import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { confineDuckDb, openDuckDb } from '../../../core/duckdb/open-duckdb.js';
import type { DuckDbSession } from '../../../core/duckdb/open-duckdb.js';
import { FeatureQueryError } from '../../../core/sql/feature-query-errors.js';
import { installTrinoCompat, runTrinoQuery } from '../../../core/sql/trino-compat.js';

/** DuckDB's refusal of a file outside the allowed folders, as the feature query reports it. */
const OUTSIDE = /^The feature query may read only the pipeline's tables \(the local engine allows no other file, extension or setting\)/;

describe('confineDuckDb', () => {
  let root: string;
  let table: string;
  let session: DuckDbSession;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'sluice-confine-'));
    table = path.join(root, 'curated', 'churn');
    await mkdir(table, { recursive: true });
    await mkdir(path.join(root, 'curated', 'churn2'), { recursive: true });
    await writeFile(path.join(root, 'outside.csv'), 'a\n1\n');
    session = await openDuckDb({ threads: 1, memoryLimit: '256MB', tempDirectory: path.join(root, 'spill') });
    await session.connection.run(`COPY (SELECT 1 AS one) TO '${path.join(table, 'part-0.parquet')}'`);
    await session.connection.run(`COPY (SELECT 2 AS one) TO '${path.join(root, 'curated', 'churn2', 'part-0.parquet')}'`);
    await installTrinoCompat(session.connection);
    await confineDuckDb(session.connection, [table]);
  });

  afterEach(() => session.close());

  describe('files under the allowed folders', () => {
    it('reads a table file when it lies under an allowed folder', async () => {
      // Act
      const rows = (await runTrinoQuery(session.connection, `SELECT one FROM read_parquet('${path.join(table, '**', '*.parquet')}')`)).getRowObjectsJson();

      // Assess
      expect(rows).toEqual([{ one: 1 }]);
    });
  });

  describe('files anywhere else', () => {
    it.each([
      ['read_text of /etc/passwd', "SELECT content FROM read_text('/etc/passwd')", '/etc/passwd'],
      ['read_csv of an absolute path', 'SELECT * FROM read_csv(\'{root}/outside.csv\')', '{root}/outside.csv'],
      ['a sibling folder sharing the prefix', "SELECT * FROM read_parquet('{root}/curated/churn2/part-0.parquet')", '{root}/curated/churn2/part-0.parquet'],
      ['a path climbing out with ..', "SELECT * FROM read_text('{table}/../../outside.csv')", '{table}/../../outside.csv'],
    ])('refuses %s naming the file', async (_title, template, file) => {
      // Prepare
      const fill = (text: string): string => text.replaceAll('{root}', root).replaceAll('{table}', table);

      // Act
      const attempt = runTrinoQuery(session.connection, fill(template));

      // Assess
      await expect(attempt).rejects.toThrow(FeatureQueryError);
      await expect(attempt).rejects.toThrow(OUTSIDE);
      await expect(attempt).rejects.toThrow(`it tried to access "${fill(file)}".`);
    });

    it('refuses a COPY TO outside the allowed folders when it runs on the confined connection', async () => {
      // Prepare
      const target = path.join(root, 'pwned.csv');

      // Act
      const attempt = session.connection.run(`COPY (SELECT 42) TO '${target}'`);

      // Assess
      await expect(attempt).rejects.toThrow(/Permission Error/);
      expect(await readdir(root)).not.toContain('pwned.csv');
    });
  });

  describe('extensions, databases and settings', () => {
    it.each([
      ['ATTACH', `ATTACH '/tmp/sluice-confine-attach.db' AS other`],
      ['INSTALL', 'INSTALL httpfs'],
      ['LOAD', 'LOAD httpfs'],
      ['SET', 'SET enable_external_access = true'],
      ['RESET', 'RESET enable_external_access'],
      ['SET of allowed_directories', "SET allowed_directories = ['/']"],
    ])('refuses %s when the connection runs it directly', async (_title, sql) => {
      // Act
      const attempt = session.connection.run(sql);

      // Assess
      await expect(attempt).rejects.toThrow(/Permission Error|configuration has been locked/);
    });
  });
});
