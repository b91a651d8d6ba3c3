import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDbLimits } from '../../core/duckdb/open-duckdb.js';
import { confineDuckDb, openDuckDb } from '../../core/duckdb/open-duckdb.js';
import { parseUnload } from '../../core/features/feature-sql.js';
import type { QueryEngine, QueryRequest, QueryStatus } from '../../core/ports/query-engine.js';
import { quoteIdentifier, quoteLiteral } from '../../core/sql/quote.js';
import { installTrinoCompat, runTrinoQuery } from '../../core/sql/trino-compat.js';
import { FolderObjectStore } from './folder-object-store.js';
import type { LocalCatalog } from './local-catalog.js';
import { LocalJobBoard } from './local-jobs.js';

/**
 * The local Athena: DuckDB over the lake folder, with every table of the local catalog as a view (Hive partitions
 * typed as the catalog types them) and Trino's functions installed. `UNLOAD … TO 's3://…'` becomes a COPY into the
 * matching lake folder, written as Athena's TEXTFILE writes it (gzip, no header, NULL as \N). As with Athena, starting a
 * query returns at once: it runs in the background of this process (DuckDB works off the event loop) and its status
 * is polled. A request's `timeoutSeconds` stops (interrupts) a query still running then: CANCELLED, `timedOut`.
 */
export class DuckDbQueryEngine implements QueryEngine {
  private readonly queries = new Map<string, QueryStatus>();
  private readonly byToken = new Map<string, string>();
  private readonly lake: FolderObjectStore;

  public constructor(
    lakeRoot: string,
    private readonly catalog: LocalCatalog,
    private readonly duckdb: DuckDbLimits,
    private readonly board: LocalJobBoard = new LocalJobBoard(),
  ) {
    this.lake = new FolderObjectStore(lakeRoot);
  }

  public async startQuery(request: QueryRequest): Promise<{ queryId: string }> {
    const known = this.byToken.get(request.requestToken);
    if (known) return { queryId: known };
    const queryId = randomUUID();
    this.byToken.set(request.requestToken, queryId);
    this.queries.set(queryId, { state: 'RUNNING' });
    const started = Date.now();
    // As Athena's StartQueryExecution, return at once: the query runs in the background and its status is polled.
    this.board.launch<QueryStatus>(
      async (signal) => {
        await this.run(request, signal);
        return { state: 'SUCCEEDED', engineMs: Date.now() - started };
      },
      (status) => this.queries.set(queryId, status),
      (error) => ({ state: 'FAILED', reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error), engineMs: Date.now() - started }),
      request.timeoutSeconds === undefined
        ? undefined
        : {
            seconds: request.timeoutSeconds,
            status: () => ({ state: 'CANCELLED', timedOut: true, reason: `the query ran past its limit of ${request.timeoutSeconds} s and was stopped`, engineMs: Date.now() - started }),
          },
    );
    return { queryId };
  }

  /** Stops every query still running (the run that started them is over). */
  public stopAll(): void {
    this.board.stopAll();
  }

  public async queryStatus(queryId: string): Promise<QueryStatus> {
    return this.queries.get(queryId) ?? { state: 'FAILED', reason: `no query ${queryId}` };
  }

  private localPath(uri: string): string {
    return this.lake.pathOfUri(uri);
  }

  private async run(request: QueryRequest, signal: AbortSignal): Promise<void> {
    const session = await openDuckDb(this.duckdb);
    // Stopping the job interrupts the statement DuckDB is running; it then fails and the session closes.
    const interrupt = (): void => session.connection.interrupt();
    signal.addEventListener('abort', interrupt, { once: true });
    try {
      signal.throwIfAborted();
      await installTrinoCompat(session.connection);
      const tables = await this.createViews(session, request.database);
      const unload = parseUnload(request.sql);
      if (!unload) {
        // The author's SQL reads the tables and nothing else, and writes nothing.
        await confineDuckDb(session.connection, tables);
        await runTrinoQuery(session.connection, request.sql);
        return;
      }
      const dir = this.localPath(unload.target);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      // The UNLOAD wrapper is not SQL DuckDB knows: DuckDB checks the author's SELECT alone (one SELECT, nothing
      // else), then the one COPY Sluice wraps it in. Confined, it reads only the tables and writes only this folder.
      await confineDuckDb(session.connection, [...tables, dir]);
      const file = quoteLiteral(path.join(dir, 'part-00000.csv.gz'));
      await runTrinoQuery(session.connection, unload.select, {
        // The newline ends a trailing `--` comment of the author's SQL before Sluice's closing parenthesis.
        copy: (select) => `COPY (\n${select}\n) TO ${file} (FORMAT csv, COMPRESSION gzip, HEADER false, DELIMITER ',', NULLSTR '\\N', QUOTE '"')`,
      });
    } finally {
      signal.removeEventListener('abort', interrupt);
      session.close();
    }
  }

  /** Creates a view per table of the database; returns the tables' folders, the only ones a query may read. */
  private async createViews(session: Awaited<ReturnType<typeof openDuckDb>>, database: string): Promise<string[]> {
    await session.connection.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(database)}`);
    const locations: string[] = [];
    for (const table of await this.catalog.tables(database)) {
      const location = this.localPath(table.StorageDescriptor.Location);
      const hiveTypes = table.PartitionKeys.map((k) => `${quoteLiteral(k.Name)}: 'VARCHAR'`).join(', ');
      await session.connection.run(
        `CREATE OR REPLACE VIEW ${quoteIdentifier(database)}.${quoteIdentifier(table.Name)} AS SELECT * FROM read_parquet(${quoteLiteral(path.join(location, '**', '*.parquet'))}, hive_partitioning = true, union_by_name = true${hiveTypes ? `, hive_types = {${hiveTypes}}` : ''})`,
      );
      locations.push(location);
    }
    return locations;
  }
}
