/**
 * Runs an analyst's Athena-style SELECT on the local lake, as Athena would run it over the Glue catalog: every table of
 * the local catalog's database is a view over its Parquet files (Hive partitions as VARCHAR columns, as the local query
 * engine makes them, local/adapters/duckdb-query-engine.ts), with Trino's functions installed. For the README's
 * predictions query (README, "Scoring") and its test.
 */
import { openDuckDb } from '../../core/duckdb/open-duckdb.js';
import { quoteIdentifier, quoteLiteral } from '../../core/sql/quote.js';
import { installTrinoCompat, translateTrinoSql } from '../../core/sql/trino-compat.js';
import { FolderObjectStore } from '../adapters/folder-object-store.js';
import { LocalCatalog } from '../adapters/local-catalog.js';
import { LOCAL_NAMES } from '../runtime/local-names.js';
import path from 'node:path';

/** The rows of `sql` (Trino dialect) over the local catalog's tables of `database` (default the local database). */
export async function localAthenaQuery(lakeRoot: string, sql: string, database: string = LOCAL_NAMES.database): Promise<Record<string, unknown>[]> {
  const limits = { threads: 2, memoryLimit: '1GB', tempDirectory: path.join(lakeRoot, '.work', 'spill') };
  const catalog = new LocalCatalog(lakeRoot, limits);
  const store = new FolderObjectStore(lakeRoot);
  const session = await openDuckDb(limits);
  try {
    await installTrinoCompat(session.connection);
    await session.connection.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(database)}`);
    await session.connection.run(`SET search_path = ${quoteLiteral(`${database},main`)}`);
    for (const table of await catalog.tables(database)) {
      const location = store.pathOfUri(table.StorageDescriptor.Location);
      const hiveTypes = table.PartitionKeys.map((k) => `${quoteLiteral(k.Name)}: 'VARCHAR'`).join(', ');
      await session.connection.run(
        `CREATE OR REPLACE VIEW ${quoteIdentifier(database)}.${quoteIdentifier(table.Name)} AS SELECT * FROM read_parquet(${quoteLiteral(path.join(location, '**', '*.parquet'))}, hive_partitioning = true, union_by_name = true${hiveTypes ? `, hive_types = {${hiveTypes}}` : ''})`,
      );
    }
    return await session.rows(translateTrinoSql(sql));
  } finally {
    session.close();
  }
}
