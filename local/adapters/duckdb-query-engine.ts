import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDbLimits } from '../../core/duckdb/open-duckdb.js';
import { confineDuckDb, openDuckDb } from '../../core/duckdb/open-duckdb.js';
import { parseUnload } from '../../core/features/feature-sql.js';
import type { ParsedUnload } from '../../core/features/feature-sql.js';
import type { QueryEngine, QueryRequest, QueryStatus } from '../../core/ports/query-engine.js';
import { quoteIdentifier, quoteLiteral } from '../../core/sql/quote.js';
import { prepareSingleStatement } from '../../core/sql/single-statement.js';
import { explainDuckDbError, findUnsupportedTrinoFunctions, installTrinoCompat, runTrinoQuery, translateTrinoSql, UnsupportedSqlFunctionError } from '../../core/sql/trino-compat.js';
import { FolderObjectStore } from './folder-object-store.js';
import type { LocalCatalog } from './local-catalog.js';
import { LocalJobBoard } from './local-jobs.js';

/**
 * The local Athena: DuckDB over the lake folder, with every table of the local catalog as a view (Hive partitions
 * typed as the catalog types them) and Trino's functions installed. `UNLOAD … TO 's3://…' WITH (…)` writes into the
 * matching lake folder as its WITH options ask (see {@link writeUnload}): Parquet (Snappy or gzip) or TEXTFILE (gzip,
 * no header, no quoting, NULL as \N), and `partitioned_by` as Hive folders, `<column>=<value>/`. As with Athena, starting a
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

  /** Stops the query if it still runs: the board holds one run's jobs only, as for the local trainer. */
  public async stopQuery(queryId: string): Promise<void> {
    const state = this.queries.get(queryId)?.state;
    if (state === 'RUNNING' || state === 'QUEUED') this.board.stopAll(`query ${queryId} stopped`);
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
      // Sessions run with preserve_insertion_order off (core/duckdb/open-duckdb.ts); the feature sets need a stable
      // row order (see writeUnload), set before the confinement locks the configuration.
      await session.connection.run('SET preserve_insertion_order = true');
      // A partitioned Parquet UNLOAD is one partitioned COPY that keeps its order only on one thread (writeUnload).
      if (isPartitionedParquet(unload)) {
        await session.connection.run('SET threads = 1');
        // The partitioned COPY checks the folder itself ("Cannot access file …/<runId>"), which allowed_directories
        // (a prefix ending in a separator) leaves out; allowed_paths lets that one path, and no sibling, through
        // (https://duckdb.org/docs/stable/operations_manual/securing_duckdb/overview, "Restricting File Access").
        await session.connection.run(`SET allowed_paths = [${quoteLiteral(path.resolve(dir))}]`);
      }
      // The UNLOAD wrapper is not SQL DuckDB knows: DuckDB checks the author's SELECT alone (one SELECT, nothing
      // else), then the statements Sluice wraps it in. Confined, it reads only the tables and writes only this folder.
      await confineDuckDb(session.connection, [...tables, dir]);
      await writeUnload(session.connection, unload, dir);
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

/** The table the local UNLOAD materialises its result in, so that each partition is written from one scan. */
const UNLOAD_TABLE = '__sluice_unload';

/**
 * Writes an UNLOAD's result into `dir` as Athena would lay it out: one folder per value of the `partitioned_by`
 * columns (`split=train/`), the partition columns left out of the files (they are last in the SELECT list), in the
 * format of the WITH clause. Identical input gives byte-identical files, the SELECT runs once (one scan of the table):
 *
 * - Parquet (the XGBoost feature sets): one `COPY … PARTITION_BY`, on one thread. On several, DuckDB's partitioned
 *   COPY writes row groups in the order its threads finish them and cannot preserve order (`PRESERVE_ORDER is not
 *   supported with these parameters`; duckdb/duckdb#14349; two runs gave different files), so the model's rows, and
 *   with subsampling the model, would change run to run. DuckDB's ordered parallel writer (PhysicalBatchCopyToFile)
 *   does not take partitioned output, so an order-keeping partitioned write runs on one thread (duckdb/ducklake#1357:
 *   "keeping order and write parallelism together would need batch index support in the partitioning … writer"):
 *   that, not the SQL, is what separates this write from a plain two-thread copy in bench/features. On one it is the fastest deterministic way measured here
 *   (the churn query over 1M rows, load ~10 on 2 cores: 3.0-5.7 s, against 7.3-11.7 s for the temporary table below,
 *   5.8-7.5 s for the same COPY on two threads, 4.3-7.5 s for one ordered COPY per split, scanning twice;
 *   bench/features).
 * - Otherwise the SELECT runs into a temporary table (`CREATE TABLE AS` keeps its order: `preserve_insertion_order`),
 *   and each partition is then one COPY of its rows in that order, to one file named `part-00000.<ext>`.
 */
async function writeUnload(connection: DuckDbSessionConnection, unload: ParsedUnload, dir: string): Promise<void> {
  const format = (unload.options['format'] ?? 'TEXTFILE').toUpperCase();
  const compression = (unload.options['compression'] ?? 'gzip').toLowerCase();
  if (format !== 'PARQUET' && format !== 'TEXTFILE') throw new Error(`UNLOAD format '${format}' is not written by the local engine (PARQUET or TEXTFILE)`);
  const [copyOptions, extension] =
    format === 'PARQUET'
      ? [`FORMAT parquet, COMPRESSION ${compression === 'snappy' ? 'snappy' : 'gzip'}`, 'parquet']
      : // Athena's TEXTFILE is Hive's LazySimpleSerDe: fields as they are, no quoting, so a BlazingText line holding a
        // quote or a comma is written unchanged (a quoting CSV writer would wrap it in quotes: not the same bytes).
        [`FORMAT csv, COMPRESSION gzip, HEADER false, DELIMITER ${quoteLiteral(unload.options['field_delimiter'] ?? '\u0001')}, NULLSTR '\\N', QUOTE '', ESCAPE ''`, 'gz'];
  const partitions = unload.partitionedBy;
  if (isPartitionedParquet(unload)) {
    // The session runs on one thread (run): the scan reads the files in order, and DuckDB's partitioned COPY appends
    // each row to its partition's one file as it comes. `{i}` numbers a partition's files: one each, part-00000.
    const by = partitions.map(quoteIdentifier).join(', ');
    const target = quoteLiteral(dir);
    await runTrinoQuery(connection, unload.select, { copy: (select) => `COPY (\n${select}\n) TO ${target} (${copyOptions}, PARTITION_BY (${by}), FILENAME_PATTERN 'part-0000{i}')` });
    return;
  }
  if (partitions.length === 0) {
    const file = quoteLiteral(path.join(dir, `part-00000.${extension}`));
    // The newline ends a trailing `--` comment of the author's SQL before Sluice's closing parenthesis.
    await runTrinoQuery(connection, unload.select, { copy: (select) => `COPY (\n${select}\n) TO ${file} (${copyOptions})` });
    return;
  }
  await materialise(connection, unload.select);
  const columns = partitions.map(quoteIdentifier);
  const values = await connection.runAndReadAll(`SELECT DISTINCT ${columns.join(', ')} FROM ${UNLOAD_TABLE} ORDER BY ALL`);
  for (const row of values.getRows()) {
    const folder = path.join(dir, ...partitions.map((name, i) => `${name}=${String(row[i])}`));
    await mkdir(folder, { recursive: true });
    const where = partitions.map((name, i) => `${quoteIdentifier(name)} IS NOT DISTINCT FROM ${row[i] === null ? 'NULL' : quoteLiteral(String(row[i]))}`).join(' AND ');
    await connection.run(`COPY (SELECT * EXCLUDE (${columns.join(', ')}) FROM ${UNLOAD_TABLE} WHERE ${where}) TO ${quoteLiteral(path.join(folder, `part-00000.${extension}`))} (${copyOptions})`);
  }
  await connection.run(`DROP TABLE ${UNLOAD_TABLE}`);
}

/** Parquet with `partitioned_by`: the feature sets of the XGBoost path, written by one partitioned COPY. */
function isPartitionedParquet(unload: ParsedUnload): boolean {
  return (unload.options['format'] ?? '').toUpperCase() === 'PARQUET' && unload.partitionedBy.length > 0;
}

/** Runs the author's SELECT once into {@link UNLOAD_TABLE}, with the same checks `runTrinoQuery` makes. */
async function materialise(connection: DuckDbSessionConnection, sql: string): Promise<void> {
  const unsupported = findUnsupportedTrinoFunctions(sql);
  if (unsupported.length > 0) throw new UnsupportedSqlFunctionError(unsupported, { sql, detail: 'The query runs on Athena only.' });
  const translated = translateTrinoSql(sql);
  try {
    // Exactly one SELECT, checked by DuckDB's parser, before Sluice's CREATE TABLE wraps it.
    (await prepareSingleStatement(connection, translated, 'SELECT', sql)).destroySync();
    await connection.run(`CREATE TEMP TABLE ${UNLOAD_TABLE} AS\n${translated}\n`);
  } catch (error) {
    throw explainDuckDbError(error, sql);
  }
}

type DuckDbSessionConnection = Awaited<ReturnType<typeof openDuckDb>>['connection'];
