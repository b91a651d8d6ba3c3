import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDbLimits } from '../../core/duckdb/open-duckdb.js';
import { openDuckDb } from '../../core/duckdb/open-duckdb.js';
import type { Catalog, CrawlStatus, CrawlTarget } from '../../core/ports/catalog.js';
import type { TableCatalog, TableDefinition } from '../../core/ports/table-catalog.js';
import { quoteLiteral } from '../../core/sql/quote.js';
import { LocalJobBoard } from './local-jobs.js';
import { withLakeLock } from '../runtime/pipeline-lock.js';

/** A column as Glue records it. */
export interface GlueColumn {
  Name: string;
  Type: string;
}

/** A table as the Glue Data Catalog records it (the fields Sluice uses). */
export interface GlueTableRecord {
  Name: string;
  DatabaseName: string;
  TableType: 'EXTERNAL_TABLE';
  Parameters: Record<string, string>;
  StorageDescriptor: { Columns: GlueColumn[]; Location: string; InputFormat: string; OutputFormat: string; SerdeInfo: { SerializationLibrary: string } };
  PartitionKeys: GlueColumn[];
  Partitions: { Values: string[]; StorageDescriptor: { Location: string } }[];
  UpdateTime: string;
}

/** Curated files vanished while a crawl read them (another run committed its ingest): the crawl starts over. */
class FilesChangedError extends Error {
  public override readonly name = 'FilesChangedError';
}

const CRAWL_ATTEMPTS = 5;

/** Two files of a table give one column two types: the crawl fails rather than cast one of them. */
export class SchemaConflictError extends Error {
  public override readonly name = 'SchemaConflictError';
}

/**
 * The local catalog: a "crawl" reads the Parquet footers of a pipeline's curated files with DuckDB and keeps a
 * Glue-shaped table record in `<lake>/catalog/<database>/<table>.json`. Schema evolution follows what users expect
 * of a crawler: a new column is added (older partitions read it as missing); a column whose type changes fails the
 * crawl with both types and an example file of each.
 */
export class LocalCatalog implements Catalog, TableCatalog {
  private readonly running = new Set<string>();
  private readonly results = new Map<string, { startedAt: string; status: CrawlStatus }>();

  public constructor(
    private readonly lakeRoot: string,
    private readonly duckdb: DuckDbLimits,
    private readonly clock: () => Date = () => new Date(),
    private readonly board: LocalJobBoard = new LocalJobBoard(),
  ) {}

  /** Folder of the catalog's table records. */
  public get catalogDir(): string {
    return path.join(this.lakeRoot, 'catalog');
  }

  public async startCrawl(target: CrawlTarget): Promise<{ started: boolean; startedAt: string }> {
    const startedAt = this.clock().toISOString();
    if (this.running.has(target.crawlerName)) return { started: false, startedAt };
    this.running.add(target.crawlerName);
    // As Glue's StartCrawler, return at once: the crawl runs in the background and its state is polled.
    this.board.launch<CrawlStatus>(
      async (signal) => {
        await this.crawl(target, signal);
        return { state: 'SUCCEEDED' };
      },
      (status) => {
        this.results.set(target.crawlerName, { startedAt, status });
        this.running.delete(target.crawlerName);
      },
      (error) => ({ state: 'FAILED', message: error instanceof Error ? error.message : String(error) }),
      target.timeoutSeconds === undefined
        ? undefined
        : { seconds: target.timeoutSeconds, status: () => ({ state: 'CANCELLED', timedOut: true, message: `the crawl ran past its limit of ${target.timeoutSeconds} s and was stopped` }) },
    );
    return { started: true, startedAt };
  }

  public async crawlStatus(target: CrawlTarget, startedAt: string): Promise<CrawlStatus & { idle: boolean }> {
    if (this.running.has(target.crawlerName)) return { state: 'RUNNING', idle: false };
    const last = this.results.get(target.crawlerName);
    if (!last || last.startedAt < startedAt) return { state: 'RUNNING', idle: true };
    return { ...last.status, idle: true };
  }

  /** Stops every crawl still running (the run that started them is over). */
  public stopAll(): void {
    this.board.stopAll();
  }

  /** The table record, or undefined before the first crawl. */
  public async table(database: string, table: string): Promise<GlueTableRecord | undefined> {
    try {
      return JSON.parse(await readFile(this.recordPath(database, table), 'utf8')) as GlueTableRecord;
    } catch {
      return undefined;
    }
  }

  /** Every table of a database. */
  public async tables(database: string): Promise<GlueTableRecord[]> {
    const dir = path.join(this.catalogDir, database);
    const files = await readdir(dir).catch(() => [] as string[]);
    const records = await Promise.all(files.filter((f) => f.endsWith('.json')).map((f) => this.table(database, f.slice(0, -5))));
    return records.filter((r): r is GlueTableRecord => r !== undefined);
  }

  /**
   * Defines a table Sluice writes itself (batch scoring's input and predictions, core/scoring/scoring-tables.ts), as
   * Glue's CreateTable or UpdateTable would: columns and parameters replaced, partitions kept.
   */
  public async putTable(table: TableDefinition): Promise<{ created: boolean }> {
    return withLakeLock(this.lakeRoot, `catalog-${table.database}.${table.table}`, `defining ${table.table}`, async () => {
      const existing = await this.table(table.database, table.table);
      await this.writeRecord({
        Name: table.table,
        DatabaseName: table.database,
        TableType: 'EXTERNAL_TABLE',
        Parameters: { classification: 'parquet', ...table.parameters },
        StorageDescriptor: {
          Columns: table.columns.map((c) => ({ Name: c.name, Type: c.type })),
          Location: table.location,
          InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
          SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
        },
        PartitionKeys: table.partitionKeys.map((k) => ({ Name: k.name, Type: k.type })),
        Partitions: existing?.Partitions ?? [],
        UpdateTime: this.clock().toISOString(),
      });
      return { created: existing === undefined };
    });
  }

  /** Registers a partition of a table {@link putTable} defined; one already registered is left as it is. */
  public async addPartition(table: TableDefinition, values: readonly string[], location: string): Promise<void> {
    await withLakeLock(this.lakeRoot, `catalog-${table.database}.${table.table}`, `adding a partition to ${table.table}`, async () => {
      const record = await this.table(table.database, table.table);
      if (!record) throw new Error(`No table ${table.database}.${table.table} in the local catalog to add a partition to`);
      if (record.Partitions.some((p) => p.Values.join('\u0000') === values.join('\u0000'))) return;
      const partitions = [...record.Partitions, { Values: [...values], StorageDescriptor: { Location: location } }].sort((a, b) => (a.Values.join('/') < b.Values.join('/') ? -1 : 1));
      await this.writeRecord({ ...record, Partitions: partitions, UpdateTime: this.clock().toISOString() });
    });
  }

  private async writeRecord(record: GlueTableRecord): Promise<void> {
    const file = this.recordPath(record.DatabaseName, record.Name);
    await mkdir(path.dirname(file), { recursive: true });
    // A name of its own per write, as the crawl's: a fixed one would be renamed away under a concurrent writer.
    const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temporary, `${JSON.stringify(record, null, 2)}\n`);
    await rename(temporary, file);
  }

  private recordPath(database: string, table: string): string {
    return path.join(this.catalogDir, database, `${table}.json`);
  }

  private crawl(target: CrawlTarget, signal: AbortSignal): Promise<void> {
    // Runs of one pipeline crawl its table at the same time: listing the files and the read-merge-write of the record
    // are one writer's, or a crawl that listed fewer files could overwrite a newer record.
    return withLakeLock(this.lakeRoot, `catalog-${target.database}.${target.table}`, `crawling ${target.table}`, async () => {
      // Another run's ingest may replace curated files while this crawl reads their footers: crawl them again.
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.crawlLocked(target, signal);
        } catch (error) {
          if (!(error instanceof FilesChangedError) || attempt >= CRAWL_ATTEMPTS) throw error instanceof FilesChangedError && error.cause instanceof Error ? error.cause : error;
        }
      }
    });
  }

  private async crawlLocked(target: CrawlTarget, signal: AbortSignal): Promise<void> {
    const root = path.join(this.lakeRoot, target.bucket, target.prefix);
    const files = (await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []))
      .filter((e) => e.isFile() && e.name.endsWith('.parquet'))
      .map((e) => path.join(e.parentPath, e.name))
      .sort();
    if (files.length === 0) throw new Error(`No Parquet files under s3://${target.bucket}/${target.prefix}: nothing to crawl`);
    const session = await openDuckDb(this.duckdb);
    // A crawl stopped at its limit interrupts the footer scan and writes no record.
    const interrupt = (): void => session.connection.interrupt();
    signal.addEventListener('abort', interrupt, { once: true });
    let columns: GlueColumn[];
    try {
      columns = await this.inferColumns(session, files);
    } catch (error) {
      if (files.some((f) => !existsSync(f))) throw new FilesChangedError('curated files changed during the crawl', { cause: error });
      throw error;
    } finally {
      signal.removeEventListener('abort', interrupt);
      session.close();
    }
    signal.throwIfAborted();
    const partitionNames = partitionKeysOf(path.relative(root, files[0] ?? ''));
    const previous = await this.table(target.database, target.table);
    const merged = mergeColumns(previous?.StorageDescriptor.Columns ?? [], columns, target.table);
    const location = `s3://${target.bucket}/${target.prefix}`;
    const partitions = [...new Set(files.map((f) => path.dirname(path.relative(root, f))))].sort().map((dir) => ({
      Values: dir.split(path.sep).map((segment) => decodeHive(segment.slice(segment.indexOf('=') + 1))),
      StorageDescriptor: { Location: `${location}${dir.split(path.sep).join('/')}/` },
    }));
    const record: GlueTableRecord = {
      Name: target.table,
      DatabaseName: target.database,
      TableType: 'EXTERNAL_TABLE',
      Parameters: { classification: 'parquet', sluice_crawler: target.crawlerName },
      StorageDescriptor: {
        Columns: merged,
        Location: location,
        InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
        OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
        SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
      },
      // Glue's crawler types Hive partition keys as strings.
      PartitionKeys: partitionNames.map((Name) => ({ Name, Type: 'string' })),
      Partitions: partitions,
      UpdateTime: this.clock().toISOString(),
    };
    const file = this.recordPath(target.database, target.table);
    await mkdir(path.dirname(file), { recursive: true });
    // A name of its own per write: a fixed one would be renamed away under a concurrent writer.
    const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temporary, `${JSON.stringify(record, null, 2)}\n`);
    await rename(temporary, file);
  }

  private async inferColumns(session: Awaited<ReturnType<typeof openDuckDb>>, files: readonly string[]): Promise<GlueColumn[]> {
    const list = files.map(quoteLiteral).join(', ');
    // One row per leaf column per file: the footer only, no data is read.
    const rows = await session.rows(
      `SELECT file_name, name, type, converted_type, logical_type FROM parquet_schema([${list}]) WHERE num_children IS NULL OR num_children = 0`,
    );
    const byColumn = new Map<string, { type: string; file: string }>();
    const order: string[] = [];
    for (const row of rows) {
      const name = String(row.name);
      const type = glueType(row);
      const seen = byColumn.get(name);
      if (!seen) {
        byColumn.set(name, { type, file: String(row.file_name) });
        order.push(name);
      } else if (seen.type !== type) {
        throw new SchemaConflictError(
          `column "${name}" is ${seen.type} in ${path.basename(seen.file)} but ${type} in ${String(row.file_name)}; the catalog does not cast one to the other: rewrite or remove the older files`,
        );
      }
    }
    return order.map((Name) => ({ Name, Type: byColumn.get(Name)?.type ?? 'string' }));
  }
}

/** Merges a crawl's columns into the table's: new ones are added at the end; a changed type is a conflict. */
export function mergeColumns(existing: readonly GlueColumn[], found: readonly GlueColumn[], table: string): GlueColumn[] {
  const merged = [...existing];
  for (const column of found) {
    const known = merged.find((c) => c.Name === column.Name);
    if (!known) merged.push(column);
    else if (known.Type !== column.Type) {
      throw new SchemaConflictError(`column "${column.Name}" of table ${table} was ${known.Type} and is now ${column.Type} in the new files; the catalog does not cast one to the other`);
    }
  }
  return merged;
}

function glueType(row: Record<string, unknown>): string {
  const physical = String(row.type);
  const converted = String(row.converted_type ?? '');
  const logical = String(row.logical_type ?? '');
  if (converted === 'UTF8' || logical.includes('String')) return 'string';
  if (converted === 'DATE' || logical.includes('Date')) return 'date';
  if (logical.includes('Timestamp') || converted.startsWith('TIMESTAMP')) return 'timestamp';
  if (converted === 'DECIMAL') return 'decimal';
  switch (physical) {
    case 'INT64':
      return 'bigint';
    case 'INT32':
      return 'int';
    case 'DOUBLE':
      return 'double';
    case 'FLOAT':
      return 'float';
    case 'BOOLEAN':
      return 'boolean';
    default:
      return 'binary';
  }
}

function partitionKeysOf(relativeFile: string): string[] {
  return path
    .dirname(relativeFile)
    .split(path.sep)
    .filter((s) => s.includes('='))
    .map((s) => s.slice(0, s.indexOf('=')));
}

function decodeHive(value: string): string {
  return value.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
