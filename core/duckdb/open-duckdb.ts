import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';

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
