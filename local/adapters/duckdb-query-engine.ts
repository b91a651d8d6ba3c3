import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDbLimits } from '../../core/duckdb/open-duckdb.js';
import { openDuckDb } from '../../core/duckdb/open-duckdb.js';
import { parseUnload } from '../../core/features/feature-sql.js';
import type { QueryEngine, QueryRequest, QueryStatus } from '../../core/ports/query-engine.js';
import { quoteIdentifier, quoteLiteral } from '../../core/sql/quote.js';
import { installTrinoCompat, runTrinoQuery, translateTrinoSql } from '../../core/sql/trino-compat.js';
import { FolderObjectStore } from './folder-object-store.js';
import type { LocalCatalog } from './local-catalog.js';

/**
 * The local Athena: DuckDB over the lake folder, with every table of the local catalog as a view (Hive partitions
 * typed as the catalog types them) and Trino's functions installed. `UNLOAD … TO 's3://…'` becomes a COPY into the
 * matching lake folder, written as Athena's TEXTFILE writes it (gzip, no header, NULL as \N). A query runs to completion
 * when it starts; its status is then read back like Athena's.
 */
export class DuckDbQueryEngine implements QueryEngine {
  private readonly queries = new Map<string, QueryStatus>();
  private readonly byToken = new Map<string, string>();
  private readonly lake: FolderObjectStore;

  public constructor(
    lakeRoot: string,
    private readonly catalog: LocalCatalog,
    private readonly duckdb: DuckDbLimits,
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
    try {
      await this.run(request);
      this.queries.set(queryId, { state: 'SUCCEEDED', engineMs: Date.now() - started });
    } catch (error) {
      this.queries.set(queryId, { state: 'FAILED', reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error), engineMs: Date.now() - started });
    }
    return { queryId };
  }

  public async queryStatus(queryId: string): Promise<QueryStatus> {
    return this.queries.get(queryId) ?? { state: 'FAILED', reason: `no query ${queryId}` };
  }

  private localPath(uri: string): string {
    return this.lake.pathOfUri(uri);
  }

  private async run(request: QueryRequest): Promise<void> {
    const session = await openDuckDb(this.duckdb);
    try {
      await installTrinoCompat(session.connection);
      await this.createViews(session, request.database);
      const unload = parseUnload(request.sql);
      if (!unload) {
        await runTrinoQuery(session.connection, request.sql);
        return;
      }
      const dir = this.localPath(unload.target);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      // Check and translate the SELECT on its own (the UNLOAD wrapper is not SQL DuckDB knows), then COPY it.
      await runTrinoQuery(session.connection, `SELECT * FROM (${unload.select}) LIMIT 0`);
      await session.connection.run(
        `COPY (${translateTrinoSql(unload.select)}) TO ${quoteLiteral(path.join(dir, 'part-00000.csv.gz'))} (FORMAT csv, COMPRESSION gzip, HEADER false, DELIMITER ',', NULLSTR '\\N', QUOTE '"')`,
      );
    } finally {
      session.close();
    }
  }

  private async createViews(session: Awaited<ReturnType<typeof openDuckDb>>, database: string): Promise<void> {
    await session.connection.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(database)}`);
    for (const table of await this.catalog.tables(database)) {
      const location = this.localPath(table.StorageDescriptor.Location);
      const hiveTypes = table.PartitionKeys.map((k) => `${quoteLiteral(k.Name)}: 'VARCHAR'`).join(', ');
      await session.connection.run(
        `CREATE OR REPLACE VIEW ${quoteIdentifier(database)}.${quoteIdentifier(table.Name)} AS SELECT * FROM read_parquet(${quoteLiteral(path.join(location, '**', '*.parquet'))}, hive_partitioning = true, union_by_name = true${hiveTypes ? `, hive_types = {${hiveTypes}}` : ''})`,
      );
    }
  }
}
