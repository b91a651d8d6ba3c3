import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import path from 'node:path';
import { quoteLiteral } from '../sql/quote.js';

/** Resource limits for an embedded DuckDB; the same in Lambda and on a laptop, sized by the caller. */
export interface DuckDbLimits {
  threads: number;
  /** DuckDB memory limit, e.g. "1GB": larger inputs spill to `tempDirectory` instead of failing. */
  memoryLimit: string;
  tempDirectory: string;
}

/** An open in-memory DuckDB; `close()` frees it (each step opens one and closes it when done). */
export interface DuckDbSession {
  connection: DuckDBConnection;
  /** Runs a query and returns its rows as JSON-safe objects (BIGINT as strings). */
  rows(sql: string): Promise<Record<string, unknown>[]>;
  close(): void;
}

/** Opens an in-memory DuckDB with the given limits. */
export async function openDuckDb(limits: DuckDbLimits): Promise<DuckDbSession> {
  const instance = await DuckDBInstance.create(':memory:', {
    threads: String(limits.threads),
    memory_limit: limits.memoryLimit,
    temp_directory: limits.tempDirectory,
    // Partitioned writes keep insertion order per file only if asked; we never need it and it costs memory.
    preserve_insertion_order: 'false',
  });
  const connection = await instance.connect();
  return {
    connection,
    async rows(sql) {
      const reader = await connection.runAndReadAll(sql);
      return reader.getRowObjectsJson() as Record<string, unknown>[];
    },
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/**
 * Confines an open DuckDB before it runs SQL someone else wrote: from now on it reads and writes files only under
 * `allowedDirectories` (absolute; `..` never escapes them), installs and loads no extension, attaches no database,
 * and its settings are locked so no statement can undo this (`SET`, `RESET` and `PRAGMA` settings fail).
 * Run it after everything that needs wider access (views over the tables are bound lazily, so their folders must
 * be among the allowed ones).
 *
 * @example
 * await confineDuckDb(session.connection, ['/lake/curated/churn', '/lake/features/churn/run-1/train']);
 */
export async function confineDuckDb(connection: Pick<DuckDBConnection, 'run'>, allowedDirectories: readonly string[]): Promise<void> {
  const list = allowedDirectories.map((dir) => quoteLiteral(withTrailingSeparator(path.resolve(dir)))).join(', ');
  await connection.run(`SET allowed_directories = [${list}]`);
  await connection.run('SET enable_external_access = false');
  await connection.run('SET lock_configuration = true');
}

// A directory without its separator would also allow its siblings that share the prefix ("churn" and "churn2").
function withTrailingSeparator(dir: string): string {
  return dir.endsWith(path.sep) ? dir : `${dir}${path.sep}`;
}
