import { CreatePartitionCommand, CreateTableCommand, GetTableCommand, UpdateTableCommand } from '@aws-sdk/client-glue';
import type { GlueClient, StorageDescriptor, TableInput } from '@aws-sdk/client-glue';
import type { TableCatalog, TableDefinition } from '../../core/ports/table-catalog.js';
import { callAws, callAwsTolerating, isAwsError } from './aws-errors.js';

/**
 * Tables Sluice defines itself in the Glue Data Catalog (batch scoring's input and predictions tables,
 * core/scoring/scoring-tables.ts): Parquet external tables, Hive-partitioned.
 *
 * - `GetTable` then `CreateTable` or `UpdateTable` with the whole TableInput (Glue API, CreateTable / UpdateTable:
 *   `DatabaseName`, `TableInput` with `Name`, `TableType` `EXTERNAL_TABLE`, `Parameters`, `PartitionKeys` and a
 *   `StorageDescriptor` of columns, location and the Parquet SerDe, as Athena's own `CREATE EXTERNAL TABLE … STORED AS
 *   PARQUET` records it). A concurrent create answers AlreadyExistsException: the other writer made the same table.
 * - `CreatePartition` of a run's partition; AlreadyExistsException means it is registered (a retry, or another run of
 *   the same date).
 */
export class GlueTables implements TableCatalog {
  public constructor(private readonly glue: GlueClient) {}

  public async putTable(table: TableDefinition): Promise<{ created: boolean }> {
    const input = tableInput(table);
    const exists = await callAwsTolerating(
      `GetTable ${table.database}.${table.table}`,
      async () => (await this.glue.send(new GetTableCommand({ DatabaseName: table.database, Name: table.table }))).Table !== undefined,
      (error) => isAwsError(error, 'EntityNotFoundException'),
    );
    if (exists === true) {
      await callAws(`UpdateTable ${table.table}`, () => this.glue.send(new UpdateTableCommand({ DatabaseName: table.database, TableInput: input })));
      return { created: false };
    }
    await callAwsTolerating(`CreateTable ${table.table}`, () => this.glue.send(new CreateTableCommand({ DatabaseName: table.database, TableInput: input })), (error) => isAwsError(error, 'AlreadyExistsException'));
    return { created: true };
  }

  public async addPartition(table: TableDefinition, values: readonly string[], location: string): Promise<void> {
    await callAwsTolerating(
      `CreatePartition ${table.table} ${values.join('/')}`,
      () => this.glue.send(new CreatePartitionCommand({ DatabaseName: table.database, TableName: table.table, PartitionInput: { Values: [...values], StorageDescriptor: storage(table, location) } })),
      (error) => isAwsError(error, 'AlreadyExistsException'),
    );
  }
}

function storage(table: TableDefinition, location: string): StorageDescriptor {
  return {
    Columns: table.columns.map((c) => ({ Name: c.name, Type: c.type })),
    Location: location,
    InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
    OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
    SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
  };
}

/** The Glue TableInput of a table definition. */
export function tableInput(table: TableDefinition): TableInput {
  return {
    Name: table.table,
    TableType: 'EXTERNAL_TABLE',
    ...(table.description ? { Description: table.description } : {}),
    Parameters: { EXTERNAL: 'TRUE', ...table.parameters },
    PartitionKeys: table.partitionKeys.map((k) => ({ Name: k.name, Type: k.type })),
    StorageDescriptor: storage(table, table.location),
  };
}
