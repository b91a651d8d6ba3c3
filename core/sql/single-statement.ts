/**
 * One statement of one kind, as DuckDB itself parses it. The local query engine runs SQL a pipeline author wrote:
 * a hand lexer can be fooled (DuckDB's `$$…$$` strings hide a `;` from it), DuckDB's own parser cannot, so the
 * statement that is checked is the very statement that runs: parsed by `extractStatements`, prepared, its type
 * checked, then executed from the prepared statement.
 */
import type { DuckDBConnection, DuckDBPreparedStatement } from '@duckdb/node-api';
import { StatementType } from '@duckdb/node-api';
import { FeatureQueryError } from './feature-query-errors.js';

/** The statement kinds the local query engine runs: the author's SELECT, and the COPY Sluice wraps it in. */
export type AllowedStatementKind = 'SELECT' | 'COPY';

/** The DuckDB connection surface `prepareSingleStatement` needs. */
export type StatementConnection = Pick<DuckDBConnection, 'extractStatements'>;

const EXPECTED_TYPE: Readonly<Record<AllowedStatementKind, StatementType>> = {
  SELECT: StatementType.SELECT,
  COPY: StatementType.COPY,
};

/**
 * Parses `sql` with DuckDB and prepares it when it is exactly one statement of the `expected` kind; anything else is
 * refused with a `FeatureQueryError` before it runs (a second statement, `COPY`, `ATTACH`, `INSTALL`/`LOAD`, `SET`,
 * `PRAGMA`, DDL…), as Athena runs exactly one statement. DuckDB's own parser and binder errors are thrown as they
 * come (`explainDuckDbError` words them); `original` (the author's SQL) is kept on the errors raised here.
 *
 * @example
 * const prepared = await prepareSingleStatement(connection, 'SELECT 1 AS one', 'SELECT');
 * const reader = await prepared.runAndReadAll();
 */
export async function prepareSingleStatement(
  connection: StatementConnection,
  sql: string,
  expected: AllowedStatementKind,
  original: string = sql,
): Promise<DuckDBPreparedStatement> {
  // DuckDB's C API fails with no message on text that holds no statement at all.
  if (!hasStatementText(sql)) throw new FeatureQueryError(`The query holds no statement: it must be one ${expected}.`, { sql: original });
  const statements = await connection.extractStatements(sql);
  if (statements.count !== 1) {
    throw new FeatureQueryError(
      `The query must be one ${expected} statement (Athena runs exactly one); DuckDB parsed ${statements.count} statements.`,
      { sql: original },
    );
  }
  const prepared = await statements.prepare(0);
  const type = prepared.statementType;
  if (type !== EXPECTED_TYPE[expected]) {
    prepared.destroySync();
    throw new FeatureQueryError(`The query must be one ${expected} statement; DuckDB parsed a ${StatementType[type]} statement.`, {
      sql: original,
    });
  }
  return prepared;
}

// True when something other than whitespace and comments is left; what is left is DuckDB's to judge.
function hasStatementText(sql: string): boolean {
  return sql.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, '').replace(/[\s;]+/g, '').length > 0;
}
