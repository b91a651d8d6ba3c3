/**
 * Test support: BlazingText channel files made the way the pipeline makes them, from the real CSVs through the reviews
 * pipeline's feature SQL and the channel wrapper on DuckDB with Sluice's Trino compatibility.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installTrinoCompat, translateTrinoSql } from '../../../core/sql/trino-compat.js';
import { channelSelectSql } from '../../../core/text/channel-line.js';

/** The repository's root (this file is test/integration/text/). */
export const REPO_ROOT = join(__dirname, '..', '..', '..');

/** The reviews pipeline's feature query. */
export const REVIEWS_FEATURES_SQL = readFileSync(join(REPO_ROOT, 'pipelines', 'reviews', 'features.sql'), 'utf8');

/**
 * Writes the channel lines of `csv` (its `labelColumn` and `textColumn` read as the reviews table's `score` and
 * `review`) to `target`, rows kept when `keep(row number)` holds; returns the lines.
 */
export async function writeChannel(
  csv: string,
  target: string,
  columns: { label: string; text: string },
  keep: string = 'TRUE',
): Promise<string[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await installTrinoCompat(connection);
    await connection.run(
      `CREATE TABLE reviews AS SELECT "${columns.label}" AS score, "${columns.text}" AS review FROM (SELECT *, row_number() OVER () AS rn FROM read_csv('${csv}', header = true, all_varchar = true)) WHERE ${keep}`,
    );
    const reader = await connection.runAndReadAll(translateTrinoSql(channelSelectSql(REVIEWS_FEATURES_SQL)));
    const lines = reader.getRowObjectsJson().map((row) => String(row['line']));
    writeFileSync(target, lines.map((line) => `${line}\n`).join(''));
    return lines;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
