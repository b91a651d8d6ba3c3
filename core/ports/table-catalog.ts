/**
 * Tables Sluice defines itself in the data catalog (no crawler): a scoring run's input rows and the predictions table.
 * Glue's CreateTable / UpdateTable / CreatePartition in AWS (aws/adapters/glue-tables.ts), the local catalog's table
 * records locally (local/adapters/local-catalog.ts), which the local query engine reads as views.
 */

/** A column as Glue records it: a name and an Athena DDL type (`bigint`, `double`, `string`, …). */
export interface TableColumn {
  name: string;
  type: string;
}

/** A Parquet table under one prefix of the lake, Hive-partitioned. */
export interface TableDefinition {
  database: string;
  table: string;
  /** `s3://<bucket>/<prefix>` ending in `/`. */
  location: string;
  columns: TableColumn[];
  partitionKeys: TableColumn[];
  /** Table properties (`projection.*` for partition projection, in AWS). */
  parameters?: Record<string, string>;
  description?: string;
}

/** Creates or updates tables and registers their partitions. */
export interface TableCatalog {
  /** Creates the table, or updates its columns and parameters when it exists; `created` says which. */
  putTable(table: TableDefinition): Promise<{ created: boolean }>;
  /** Registers a partition (`values` in the order of the partition keys); one already registered is left as it is. */
  addPartition(table: TableDefinition, values: readonly string[], location: string): Promise<void>;
}
