import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDbLimits, DuckDbSession } from '../../core/duckdb/open-duckdb.js';
import { confineDuckDb, openDuckDb } from '../../core/duckdb/open-duckdb.js';
import { parseUnload } from '../../core/features/feature-sql.js';
import type { ParsedUnload } from '../../core/features/feature-sql.js';
import type { QueryEngine, QueryRequest, QueryStatus } from '../../core/ports/query-engine.js';
import { quoteIdentifier, quoteLiteral } from '../../core/sql/quote.js';
import { prepareSingleStatement } from '../../core/sql/single-statement.js';
import { explainDuckDbError, findUnsupportedTrinoFunctions, installTrinoCompat, runTrinoQuery, translateTrinoSql, UnsupportedSqlFunctionError } from '../../core/sql/trino-compat.js';
import { FolderObjectStore } from './folder-object-store.js';
import type { GlueTableRecord, LocalCatalog } from './local-catalog.js';
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

  /**
   * @param sharding a row-wise Parquet UNLOAD over a table of at least `minTableBytes` of Parquet is written on all of
   * `duckdb.threads` (see `writeSharded`); smaller tables on one thread, where a second session costs more than it saves.
   */
  public constructor(
    lakeRoot: string,
    private readonly catalog: LocalCatalog,
    private readonly duckdb: DuckDbLimits,
    private readonly board: LocalJobBoard = new LocalJobBoard(),
    private readonly sharding: { minTableBytes: number } = { minTableBytes: MIN_SHARDED_TABLE_BYTES },
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
    // Tables too small to shard (sharding.minTableBytes) are written on one thread (writeUnload, writeSharded): such a
    // session opens with one, rather than starting a second thread to stop it (`SET threads = 1`: 5-13 ms here) and
    // planning a sharding that the table's size then refuses (EXPLAIN, json_serialize_sql, glob: 10-20 ms of CPU).
    const oneThread = this.duckdb.threads < 2 || (await this.tablesBelowShardingSize(request.database));
    const session = await openDuckDb(oneThread ? { ...this.duckdb, threads: 1 } : this.duckdb);
    // Stopping the job interrupts the statements DuckDB is running (this session's and its shards'); they then fail
    // and the sessions close.
    const sessions = [session];
    const interrupt = (): void => sessions.forEach((s) => s.connection.interrupt());
    signal.addEventListener('abort', interrupt, { once: true });
    try {
      signal.throwIfAborted();
      // Only the macros this query names (and their helpers): the rest would cost the session their creation.
      await installTrinoCompat(session.connection, request.sql);
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
      // A partitioned Parquet UNLOAD is partitioned COPYs that keep their order only on one thread each (writeUnload).
      const shardDirs = isPartitionedParquet(unload) ? Array.from({ length: Math.max(1, this.duckdb.threads) }, (_, k) => shardDir(dir, k)) : [];
      if (isPartitionedParquet(unload)) {
        if (!oneThread) await session.connection.run('SET threads = 1');
        // The partitioned COPY checks the folder itself ("Cannot access file …/<runId>"), which allowed_directories
        // (a prefix ending in a separator) leaves out; allowed_paths lets that one path (or one shard's), and no
        // sibling, through (https://duckdb.org/docs/stable/operations_manual/securing_duckdb/overview,
        // "Restricting File Access").
        await session.connection.run(`SET allowed_paths = [${[dir, ...shardDirs].map((d) => quoteLiteral(path.resolve(d))).join(', ')}]`);
      }
      // The UNLOAD wrapper is not SQL DuckDB knows: DuckDB checks the author's SELECT alone (one SELECT, nothing
      // else), then the statements Sluice wraps it in. Confined, it reads only the tables and writes only this folder.
      await confineDuckDb(session.connection, [...tables, dir]);
      const shards = isPartitionedParquet(unload) && !oneThread ? await this.shardsOf(session, unload, request.database) : undefined;
      if (shards === undefined) {
        await writeUnload(session.connection, unload, dir);
        return;
      }
      await this.writeSharded({ session, sessions, signal }, shards, unload, request.database, tables, dir);
    } finally {
      signal.removeEventListener('abort', interrupt);
      sessions.forEach((s) => s.close());
    }
  }

  /**
   * True when the Parquet under the folders of every table of the database (no table of it can hold more) stays under
   * `sharding.minTableBytes`; it stops counting at the first folder that reaches it. A file another run's ingest
   * replaces meanwhile counts as empty: this only chooses the threads.
   */
  private async tablesBelowShardingSize(database: string): Promise<boolean> {
    const folders = (await this.catalog.tables(database)).map((table) => this.localPath(table.StorageDescriptor.Location));
    let bytes = 0;
    for (const folder of folders) {
      const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []);
      const sizes = await Promise.all(entries.filter((e) => e.isFile() && e.name.endsWith('.parquet')).map(async (e) => (await stat(path.join(e.parentPath, e.name)).catch(() => ({ size: 0 }))).size));
      bytes += sizes.reduce((sum, size) => sum + size, 0);
      if (bytes >= this.sharding.minTableBytes) return false;
    }
    return bytes < this.sharding.minTableBytes;
  }

  /**
   * The table's files in contiguous groups of about equal bytes, one per thread, when the UNLOAD's SELECT can be
   * written shard by shard (see {@link writeSharded}): its plan only scans one table, filters and projects, and the
   * table has files enough and bytes enough (`sharding.minTableBytes`). Undefined otherwise, or when the SELECT does
   * not even plan (the ordinary path then reports the author's error as it always does).
   */
  private async shardsOf(session: DuckDbSession, unload: ParsedUnload, database: string): Promise<Shards | undefined> {
    if (this.duckdb.threads < 2 || findUnsupportedTrinoFunctions(unload.select).length > 0) return undefined;
    const select = translateTrinoSql(unload.select);
    const table = await rowWiseTable(session.connection, select, database).catch(() => undefined);
    if (table === undefined) return undefined;
    const record = (await this.catalog.tables(database)).find((t) => t.Name === table);
    // The shard's view filters on read_parquet's `filename` column, which a table column of that name would shadow.
    if (record === undefined || [...record.StorageDescriptor.Columns, ...record.PartitionKeys].some((c) => c.Name.toLowerCase() === 'filename')) return undefined;
    const files = (await session.rows(`SELECT file FROM glob(${quoteLiteral(viewGlob(this.localPath(record.StorageDescriptor.Location)))})`)).map((r) => String(r['file']));
    const sized = await Promise.all(files.sort(byCodeUnit).map(async (file) => ({ file, bytes: (await stat(file)).size })));
    if (sized.reduce((sum, f) => sum + f.bytes, 0) < this.sharding.minTableBytes) return undefined;
    const groups = contiguousGroups(sized, this.duckdb.threads);
    return groups.length < 2 ? undefined : { table: record, groups };
  }

  /**
   * Writes a row-wise partitioned Parquet UNLOAD on several threads with the files and row order of one thread's:
   * each shard is a session on one thread whose view of the table holds one contiguous group of its files
   * ({@link createView}), and runs the same partitioned COPY into its own folder; the shards run at once, then each
   * shard's files move into the UNLOAD's folder (shard k's `part-0000k0.parquet`). The table is read once (each file
   * by one shard), each row gets its split once, and a row-wise plan (no aggregate, window, join, sort or limit:
   * {@link rowWiseTable}) gives over a group of files exactly the rows it gives over the whole table for them, in
   * scan order ("FROM with a single table", SELECT and WHERE keep the original row order,
   * https://duckdb.org/docs/stable/sql/dialect/order_preservation); so the sets, read in file-name order, hold the
   * one-thread write's rows in its order, byte-identical run to run. The plan streams, so each shard holds only its
   * partitions' open row groups: each gets the engine's limits, on one thread, with a spill folder of its own
   * (DuckDB instances must not share one).
   */
  private async writeSharded(
    { session, sessions, signal }: { session: DuckDbSession; sessions: DuckDbSession[]; signal: AbortSignal },
    shards: Shards,
    unload: ParsedUnload,
    database: string,
    tables: readonly string[],
    dir: string,
  ): Promise<void> {
    const runShard = async (files: readonly string[], k: number): Promise<void> => {
      let shard = session;
      if (k > 0) {
        shard = await openDuckDb({ ...this.duckdb, threads: 1, tempDirectory: path.join(this.duckdb.tempDirectory, `shard-${k}`) });
        sessions.push(shard);
        await installTrinoCompat(shard.connection, unload.select);
        await this.createViews(shard, database, { table: shards.table.Name, files });
        await shard.connection.run('SET preserve_insertion_order = true');
        await shard.connection.run(`SET allowed_paths = [${quoteLiteral(path.resolve(shardDir(dir, k)))}]`);
        await confineDuckDb(shard.connection, [...tables, dir]);
      } else {
        // The first shard is the session that planned the query: its view of the table narrows to its own files.
        await this.createView(shard, database, shards.table, files);
      }
      await mkdir(shardDir(dir, k));
      signal.throwIfAborted();
      await writeUnload(shard.connection, unload, shardDir(dir, k), k);
    };
    // One shard failing stops the others (a stopped shard fails too), and every shard has ended before the sessions
    // close: closing a connection whose statement still runs is not safe.
    const stopper = new AbortController();
    await Promise.all(
      shards.groups.map(async (files, k) => {
        try {
          stopper.signal.throwIfAborted();
          await runShard(files, k);
        } catch (error) {
          // The first failure is the cause; the others are its interruptions.
          if (!stopper.signal.aborted) {
            stopper.abort(error);
            sessions.forEach((s) => s.connection.interrupt());
          }
        }
      }),
    );
    if (stopper.signal.aborted) throw stopper.signal.reason;
    for (const k of shards.groups.keys()) {
      const from = shardDir(dir, k);
      for (const entry of await readdir(from, { withFileTypes: true, recursive: true })) {
        if (!entry.isFile()) continue;
        const folder = path.join(dir, path.relative(from, entry.parentPath));
        await mkdir(folder, { recursive: true });
        await rename(path.join(entry.parentPath, entry.name), path.join(folder, entry.name));
      }
      await rm(from, { recursive: true, force: true });
    }
  }

  /**
   * Creates a view per table of the database; returns the tables' folders, the only ones a query may read. With
   * `shard`, that table's view holds only the given files (see {@link writeSharded}).
   */
  private async createViews(session: DuckDbSession, database: string, shard?: { table: string; files: readonly string[] }): Promise<string[]> {
    await session.connection.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(database)}`);
    const locations: string[] = [];
    for (const table of await this.catalog.tables(database)) {
      await this.createView(session, database, table, table.Name === shard?.table ? shard.files : undefined);
      locations.push(this.localPath(table.StorageDescriptor.Location));
    }
    return locations;
  }

  /**
   * The view of one table: its Parquet files with Hive partitions typed as the catalog types them. With `files`, only
   * those, with the whole table's columns and types: read_parquet over that list when its `union_by_name` schema is
   * the whole table's, else a filter on read_parquet's `filename` column, which DuckDB applies to the file list before
   * it reads any file ("Scanning Files: 15/30" in EXPLAIN ANALYZE) but also row by row (measured here: about 0.3 s of
   * CPU per million rows).
   */
  private async createView(session: DuckDbSession, database: string, table: GlueTableRecord, files?: readonly string[]): Promise<void> {
    const hiveTypes = table.PartitionKeys.map((k) => `${quoteLiteral(k.Name)}: 'VARCHAR'`).join(', ');
    const source = (from: string, extra = ''): string =>
      `read_parquet(${from}, hive_partitioning = true, union_by_name = true${hiveTypes ? `, hive_types = {${hiveTypes}}` : ''}${extra})`;
    const whole = `SELECT * FROM ${source(quoteLiteral(viewGlob(this.localPath(table.StorageDescriptor.Location))))}`;
    let body = whole;
    if (files) {
      const listed = `SELECT * FROM ${source(`[${files.map(quoteLiteral).join(', ')}]`)}`;
      const columns = async (select: string): Promise<string> => JSON.stringify(await session.rows(`DESCRIBE ${select}`));
      body =
        (await columns(listed)) === (await columns(whole))
          ? listed
          : `SELECT * EXCLUDE (filename) FROM ${source(quoteLiteral(viewGlob(this.localPath(table.StorageDescriptor.Location))), ', filename = true')} WHERE filename IN (${files.map(quoteLiteral).join(', ')})`;
    }
    await session.connection.run(`CREATE OR REPLACE VIEW ${quoteIdentifier(database)}.${quoteIdentifier(table.Name)} AS ${body}`);
  }
}

/**
 * The smallest table whose row-wise UNLOAD is written shard by shard. A shard's session costs about 80 ms of CPU to
 * open (DuckDB, Trino's macros, the views; measured here, one core), and one thread writes the churn feature sets at
 * about 160 ms per MB of curated Parquet (2.1 s for 13 MB): two shards pay off from about 1 MB; 2 MiB leaves room.
 */
const MIN_SHARDED_TABLE_BYTES = 2 * 1024 * 1024;

/** A partitioned Parquet UNLOAD written shard by shard: the table it reads and its files, one group per shard. */
interface Shards {
  table: GlueTableRecord;
  groups: string[][];
}

/** The files a table's view reads. */
function viewGlob(location: string): string {
  return path.join(location, '**', '*.parquet');
}

/** Where shard `k` writes before its files move into the UNLOAD's folder: hidden, so no reader takes it for data. */
function shardDir(dir: string, k: number): string {
  return path.join(dir, `.shard-${k}`);
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Splits files (in order) into at most `count` contiguous, non-empty groups of about equal bytes: each file goes to
 * the group its middle byte falls in.
 */
export function contiguousGroups(files: readonly { file: string; bytes: number }[], count: number): string[][] {
  const total = files.reduce((sum, f) => sum + f.bytes, 0);
  const groups: string[][] = Array.from({ length: Math.max(1, count) }, () => []);
  let before = 0;
  for (const { file, bytes } of files) {
    const k = total === 0 ? 0 : Math.min(groups.length - 1, Math.floor(((before + bytes / 2) * groups.length) / total));
    groups[k]?.push(file);
    before += bytes;
  }
  return groups.filter((g) => g.length > 0);
}

/** Plan operators that keep each row to itself: a plan of these over one scan is the same query file by file. */
const ROW_WISE_OPERATORS: ReadonlySet<string> = new Set(['PROJECTION', 'FILTER', 'READ_PARQUET']);

/** A node of DuckDB's `EXPLAIN (FORMAT json)` plan. */
interface PlanNode {
  name?: unknown;
  children?: unknown;
}

/**
 * The table a SELECT reads when its physical plan is one chain of projections and filters over one Parquet scan
 * (DuckDB's `EXPLAIN (FORMAT json)`), and its text names one table of `database` (DuckDB's own parser,
 * `json_serialize_sql`): then it can run over any group of the table's files and give those files' rows. Undefined
 * for anything else (a window, as the row-based split's; an aggregate, join, DISTINCT, ORDER BY or LIMIT).
 */
export async function rowWiseTable(connection: DuckDbSessionConnection, select: string, database: string): Promise<string | undefined> {
  (await prepareSingleStatement(connection, select, 'SELECT')).destroySync();
  const plan: unknown = JSON.parse(String((await connection.runAndReadAll(`EXPLAIN (FORMAT json) ${select}`)).getRows()[0]?.[1] ?? '[]'));
  let node: PlanNode | undefined = Array.isArray(plan) && plan.length === 1 ? (plan[0] as PlanNode) : undefined;
  while (node !== undefined) {
    if (typeof node.name !== 'string' || !ROW_WISE_OPERATORS.has(node.name)) return undefined;
    const children: unknown[] = Array.isArray(node.children) ? node.children : [];
    if (node.name === 'READ_PARQUET') return children.length === 0 ? onlyTable(connection, select, database) : undefined;
    if (children.length !== 1) return undefined;
    node = children[0] as PlanNode;
  }
  return undefined;
}

/** The one table of `database` the SELECT's text names (`"db"."table"`), from DuckDB's parse tree. */
async function onlyTable(connection: DuckDbSessionConnection, select: string, database: string): Promise<string | undefined> {
  const tree: unknown = JSON.parse(String((await connection.runAndReadAll(`SELECT json_serialize_sql(${quoteLiteral(select)})`)).getRows()[0]?.[0] ?? '{}'));
  const names = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (typeof value === 'object' && value !== null) {
      const record = value as Record<string, unknown>;
      if (record['type'] === 'BASE_TABLE' && record['schema_name'] === database && typeof record['table_name'] === 'string') names.add(record['table_name']);
      Object.values(record).forEach(visit);
    }
  };
  visit(tree);
  return names.size === 1 ? [...names][0] : undefined;
}

/** The table the local UNLOAD materialises its result in, so that each partition is written from one scan. */
const UNLOAD_TABLE = '__sluice_unload';

/**
 * Writes an UNLOAD's result into `dir` as Athena would lay it out: one folder per value of the `partitioned_by`
 * columns (`split=train/`), the partition columns left out of the files (they are last in the SELECT list), in the
 * format of the WITH clause. Identical input gives byte-identical files, the SELECT runs once (one scan of the table):
 *
 * - Parquet (the XGBoost feature sets): `COPY … PARTITION_BY`, each on one thread. On several, DuckDB's partitioned
 *   COPY writes row groups in the order its threads finish them and cannot preserve order (`PRESERVE_ORDER is not
 *   supported with these parameters`; duckdb/duckdb#14349; two runs gave different files), so the model's rows, and
 *   with subsampling the model, would change run to run. DuckDB's ordered parallel writer (PhysicalBatchCopyToFile)
 *   does not take partitioned output, so an order-keeping partitioned write runs on one thread (duckdb/ducklake#1357:
 *   "keeping order and write parallelism together would need batch index support in the partitioning … writer"):
 *   each such COPY runs on one thread. A row-wise SELECT (a projection and filter over the table, as the keyed split
 *   gives) then runs as one such COPY per thread over its own contiguous group of the table's files, at once, and
 *   the files of each partition are named in that order (DuckDbQueryEngine.writeSharded); any other SELECT (the
 *   row-based split's window over the whole table, an aggregate, a join) is one COPY on one thread. Measured on the
 *   churn query over 1M rows, 30 files, load ~15 on 2 cores, CPU time (user + system) of the whole query: one COPY
 *   on one thread 2.2-3.2 s; a temporary table then one COPY per split 4.7-4.8 s; one ordered parallel COPY of the
 *   rows with their split to one file, then one COPY per split from that file, 3.0-3.8 s (the write is most of the
 *   work: writing the rows twice costs more than the one thread loses); one COPY per thread, 3.6-4.2 s, or 3.3-3.9 s
 *   with both threads pinned to one core (a second session and each shard's own row groups: more work, over two
 *   cores). Wall times on a loaded machine say little;
 *   bench/features pairs the query with DuckDB's own copy of the rows.
 * - Otherwise the SELECT runs into a temporary table (`CREATE TABLE AS` keeps its order: `preserve_insertion_order`),
 *   and each partition is then one COPY of its rows in that order, to one file named `part-00000.<ext>`.
 */
async function writeUnload(connection: DuckDbSessionConnection, unload: ParsedUnload, dir: string, shard = 0): Promise<void> {
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
    // each row to its partition's one file as it comes. `{i}` numbers a partition's files: one each, part-00000, or
    // part-0000<shard>0 for a shard's (writeSharded), so the shards' files sort in shard order.
    const by = partitions.map(quoteIdentifier).join(', ');
    const target = quoteLiteral(dir);
    const pattern = quoteLiteral(`part-${String(shard).padStart(4, '0')}{i}`);
    await runTrinoQuery(connection, unload.select, { copy: (select) => `COPY (\n${select}\n) TO ${target} (${copyOptions}, PARTITION_BY (${by}), FILENAME_PATTERN ${pattern})` });
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
