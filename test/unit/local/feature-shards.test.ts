import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDuckDb } from '../../../core/duckdb/open-duckdb.js';
import type { DuckDbSession } from '../../../core/duckdb/open-duckdb.js';
import { quoteLiteral } from '../../../core/sql/quote.js';
import { installTrinoCompat, translateTrinoSql } from '../../../core/sql/trino-compat.js';
import { contiguousGroups, rowWiseTable } from '../../../local/adapters/duckdb-query-engine.js';

describe('contiguousGroups', () => {
  describe('files of about equal size', () => {
    it('keeps the files in order and gives each group half of them when split in two', () => {
      // Prepare
      const files = ['a', 'b', 'c', 'd'].map((file) => ({ file, bytes: 100 }));

      // Act
      const groups = contiguousGroups(files, 2);

      // Assess
      expect(groups).toEqual([
        ['a', 'b'],
        ['c', 'd'],
      ]);
    });
  });

  describe('one file holding most of the bytes', () => {
    it('drops the groups left empty when a file is larger than a group', () => {
      // Prepare
      const files = [
        { file: 'small', bytes: 1 },
        { file: 'large', bytes: 1_000 },
      ];

      // Act
      const groups = contiguousGroups(files, 3);

      // Assess: "small" sits in the first third, "large"'s middle byte in the second
      expect(groups).toEqual([['small'], ['large']]);
    });

    it('puts every file in one group when there is only one group', () => {
      // Act / Assess
      expect(contiguousGroups([{ file: 'x', bytes: 0 }, { file: 'y', bytes: 0 }], 1)).toEqual([['x', 'y']]);
    });
  });
});

describe('rowWiseTable', () => {
  let root: string;
  let session: DuckDbSession;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'sluice-row-wise-'));
    await mkdir(path.join(root, 'orders'), { recursive: true });
    session = await openDuckDb({ threads: 1, memoryLimit: '256MB', tempDirectory: path.join(root, 'spill') });
    await installTrinoCompat(session.connection);
    const file = path.join(root, 'orders', 'part-0.parquet');
    await session.connection.run(`COPY (SELECT range AS id, range * 1.5 AS amount FROM range(10)) TO ${quoteLiteral(file)} (FORMAT parquet)`);
    await session.connection.run(`CREATE SCHEMA db; CREATE VIEW db.orders AS SELECT * FROM read_parquet(${quoteLiteral(file)}); CREATE VIEW db.other AS SELECT * FROM read_parquet(${quoteLiteral(file)})`);
  });

  afterAll(async () => {
    session.close();
    await rm(root, { recursive: true, force: true });
  });

  it.each([
    ['a projection with a keyed split', "SELECT IF(amount > 3, 1, 0) AS label, id, CASE WHEN id % 10 < 8 THEN 'train' ELSE 'validation' END AS split FROM (SELECT id, amount FROM db.orders) AS orders"],
    ['a filter', 'SELECT amount, id FROM db.orders WHERE amount > 2'],
  ])('names the table when the query is %s', async (_title, sql) => {
    // Act
    const table = await rowWiseTable(session.connection, translateTrinoSql(sql), 'db');

    // Assess
    expect(table).toBe('orders');
  });

  it.each([
    ['a window (the row-based split)', 'SELECT id, row_number() OVER (ORDER BY amount) AS n FROM db.orders'],
    ['an aggregate', 'SELECT count(*) AS n FROM db.orders'],
    ['DISTINCT', 'SELECT DISTINCT id FROM db.orders'],
    ['ORDER BY', 'SELECT id FROM db.orders ORDER BY amount'],
    ['LIMIT', 'SELECT id FROM db.orders LIMIT 3'],
    ['a join of two tables', 'SELECT o.id FROM db.orders o JOIN db.other t ON o.id = t.id'],
    ['a table that is not in the database', `SELECT id FROM read_parquet(${quoteLiteral(path.join('{root}', 'orders', 'part-0.parquet'))})`],
  ])('returns undefined when the query holds %s', async (_title, sql) => {
    // Act
    const table = await rowWiseTable(session.connection, sql.replace('{root}', root), 'db');

    // Assess
    expect(table).toBeUndefined();
  });
});
