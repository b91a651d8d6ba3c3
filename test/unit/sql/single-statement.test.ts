import { DuckDBInstance, StatementType } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FeatureQueryError } from '../../../core/sql/feature-query-errors.js';
import { prepareSingleStatement } from '../../../core/sql/single-statement.js';
import { installTrinoCompat, runTrinoQuery } from '../../../core/sql/trino-compat.js';

/** Statements an author could hide in features.sql, each of which is one statement DuckDB parses as something else. */
const NOT_A_SELECT: readonly (readonly [string, string, string])[] = [
  ['COPY', "COPY (SELECT 42) TO 'pwned.csv'", 'COPY'],
  ['ATTACH', "ATTACH 'other.db' AS other", 'ATTACH'],
  ['INSTALL', 'INSTALL httpfs', 'LOAD'],
  ['LOAD', 'LOAD httpfs', 'LOAD'],
  ['SET', 'SET enable_external_access = true', 'SET'],
  ['PRAGMA', 'PRAGMA enable_profiling', 'PRAGMA'],
  ['CREATE', 'CREATE TABLE t AS SELECT 1 AS one', 'CREATE'],
];

describe('prepareSingleStatement', () => {
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;
  let folder: string;

  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
    connection = await instance.connect();
    await installTrinoCompat(connection);
  });

  beforeEach(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'sluice-single-statement-'));
  });

  afterAll(() => {
    connection.closeSync();
    instance.closeSync();
  });

  describe('one SELECT', () => {
    it('prepares the statement when the text is one SELECT with a trailing semicolon and comments', async () => {
      // Prepare
      const sql = 'WITH t AS (SELECT 1 AS one) -- a comment; with a semicolon\nSELECT one FROM t;';

      // Act
      const prepared = await prepareSingleStatement(connection, sql, 'SELECT');
      const type = prepared.statementType;
      const rows = (await prepared.runAndReadAll()).getRowObjectsJson();
      prepared.destroySync();

      // Assess
      expect(type).toBe(StatementType.SELECT);
      expect(rows).toEqual([{ one: 1 }]);
    });

    it('keeps a semicolon inside a dollar-quoted string as text when DuckDB parses one statement', async () => {
      // Prepare
      const sql = 'SELECT $$;$$ AS s';

      // Act
      const prepared = await prepareSingleStatement(connection, sql, 'SELECT');
      const rows = (await prepared.runAndReadAll()).getRowObjectsJson();
      prepared.destroySync();

      // Assess
      expect(rows).toEqual([{ s: ';' }]);
    });
  });

  describe('more than one statement', () => {
    it('refuses the text when a $$ string hides a COPY between two SELECTs from a hand lexer', async () => {
      // Prepare: a lexer that knows only '…' strings sees no ";" here; DuckDB sees three statements
      const target = path.join(folder, 'pwned.csv');
      const sql = `SELECT 1 AS label WHERE $$'$$ <> 'a'; COPY (SELECT 42) TO '${target}'; SELECT 1 WHERE $$'$$ <> 'a'`;

      // Act
      const attempt = prepareSingleStatement(connection, sql, 'SELECT');

      // Assess
      await expect(attempt).rejects.toThrow(FeatureQueryError);
      await expect(attempt).rejects.toThrow('The query must be one SELECT statement (Athena runs exactly one); DuckDB parsed 3 statements.');
      expect(await readdir(folder)).toEqual([]);
    });

    it('refuses the text when a second SELECT follows the first', async () => {
      // Prepare
      const sql = 'SELECT 1 AS a; SELECT 2 AS b';

      // Act
      const attempt = prepareSingleStatement(connection, sql, 'SELECT');

      // Assess
      await expect(attempt).rejects.toThrow('DuckDB parsed 2 statements');
    });

    it('refuses the text when it holds only comments', async () => {
      // Prepare
      const sql = '-- nothing here\n/* nor here */ ;';

      // Act
      const attempt = prepareSingleStatement(connection, sql, 'SELECT');

      // Assess
      await expect(attempt).rejects.toThrow('The query holds no statement: it must be one SELECT.');
    });
  });

  describe('one statement that is not a SELECT', () => {
    it.each(NOT_A_SELECT)('refuses %s when a SELECT is expected', async (_kind, sql, parsedAs) => {
      // Prepare: run from the temporary folder's names only, so nothing could land in the working directory
      const statement = sql.replace(/'([a-z]+\.(?:csv|db))'/, (_whole, name: string) => `'${path.join(folder, name)}'`);

      // Act
      const attempt = prepareSingleStatement(connection, statement, 'SELECT');

      // Assess
      await expect(attempt).rejects.toThrow(`The query must be one SELECT statement; DuckDB parsed a ${parsedAs} statement.`);
      expect(await readdir(folder)).toEqual([]);
    });
  });

  describe('runTrinoQuery', () => {
    it('refuses a second statement before anything runs when the Trino SQL holds two', async () => {
      // Prepare
      const target = path.join(folder, 'pwned.csv');
      const sql = `SELECT 1 AS label; COPY (SELECT 42) TO '${target}'`;

      // Act
      const attempt = runTrinoQuery(connection, sql);

      // Assess
      await expect(attempt).rejects.toThrow(FeatureQueryError);
      expect(await readdir(folder)).toEqual([]);
    });

    it('runs the COPY Sluice wraps around the SELECT when asked to copy', async () => {
      // Prepare
      const target = path.join(folder, 'out.csv');

      // Act
      await runTrinoQuery(connection, "SELECT IF(1 = 1, 'yes', 'no') AS answer", {
        copy: (select) => `COPY (\n${select}\n) TO '${target}' (FORMAT csv, HEADER false)`,
      });

      // Assess
      expect(await readdir(folder)).toEqual(['out.csv']);
    });

    it('refuses the wrapper when it is not exactly one COPY', async () => {
      // Prepare
      const target = path.join(folder, 'out.csv');

      // Act
      const attempt = runTrinoQuery(connection, 'SELECT 1 AS one', { copy: (select) => `COPY (${select}) TO '${target}'; SELECT 2` });

      // Assess
      await expect(attempt).rejects.toThrow('The query must be one COPY statement (Athena runs exactly one); DuckDB parsed 2 statements.');
      expect(await readdir(folder)).toEqual([]);
    });
  });
});
