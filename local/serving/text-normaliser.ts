/**
 * Normalises raw texts (a review as a user writes it) with the pipeline's own feature SQL, so what the endpoint and
 * `sluice predict` feed fastText is what training fed it: the same query, the same engine (DuckDB with the
 * Trino-compatibility macros, `runTrinoQuery`), the same channel-line rules (`channelLine`: line breaks and injected
 * `__label__` words neutralised). No second, hand-written normalisation that could drift from the SQL.
 *
 * How: the request's texts become the rows of an in-memory table named as the pipeline's catalog table, the raw text
 * in the query's text source column and every other contract column NULL (of its contract type); the feature query
 * runs over it and its second column is the normalised text. Row order: "FROM with a single table", SELECT and WHERE
 * preserve the original row order (DuckDB, "Order Preservation",
 * https://duckdb.org/docs/stable/sql/dialect/order_preservation); a query that joins or groups is refused by the
 * row-count check below only when it changes the count, so text pipelines keep to one-table SELECTs as the example does. DuckDB is loaded on the first text request only, so the
 * tabular endpoint never loads it.
 */
import type { DuckDBConnection, DuckDBInstance, DuckDBPreparedStatement } from '@duckdb/node-api';
import { labelSourceColumns, readFeatureQuery } from '../../core/features/feature-sql.js';
import type { PipelineSpec } from '../../core/spec/load-spec.js';
import { tableName } from '../../core/run/naming.js';
import { COLUMN_TYPES } from '../../core/spec/schema.js';
import type { ColumnType } from '../../core/spec/schema.js';
import { prepareSingleStatement } from '../../core/sql/single-statement.js';
import { explainDuckDbError, installTrinoCompat, runTrinoQuery, translateTrinoSql } from '../../core/sql/trino-compat.js';
import { sentenceOfChannelLine } from '../../core/deployment/text-prediction.js';
import { channelLine } from '../../core/text/channel-line.js';
import { ServingError } from './errors.js';
import type { TextServingSpec } from './text-serving-spec.js';

export type { TextServingSpec } from './text-serving-spec.js';

/** A text pipeline's raw text could not be normalised (its feature query failed or dropped rows). */
export class TextNormalisationError extends ServingError {
  public override readonly name = 'TextNormalisationError';
}

/**
 * The serving spec of a text pipeline from its feature query and contract: the text column is the one contract column
 * of type string the query names outside its label expression (e.g. `review`).
 * @throws TextNormalisationError when there is not exactly one such column
 */
export function textServingSpec(pipeline: string, featureSql: string, columns: readonly { readonly name: string; readonly type: ColumnType }[]): TextServingSpec {
  const names = columns.map((column) => column.name);
  const labelSources = new Set(labelSourceColumns(featureSql, names));
  const lowered = featureSql.toLowerCase();
  const candidates = columns.filter((c) => c.type === 'string' && !labelSources.has(c.name) && new RegExp(`(^|[^a-z0-9_])${c.name}([^a-z0-9_]|$)`).test(lowered));
  const [only] = candidates;
  if (only === undefined || candidates.length !== 1) {
    throw new TextNormalisationError(
      `pipeline ${pipeline}: cannot tell which column holds the raw text: the feature query names ${candidates.length === 0 ? 'no string column' : candidates.map((c) => c.name).join(', ')} besides the label`,
    );
  }
  return { featureSql, table: tableName(pipeline), textColumn: only.name, columns };
}

/** The serving spec of a pipeline, or undefined when it is not a text (BlazingText) pipeline. */
export function textServingSpecOf(spec: PipelineSpec): TextServingSpec | undefined {
  if (spec.training?.algorithm !== 'blazingtext') return undefined;
  const table = tableName(spec.name);
  const columns = spec.contract.columns.map((column) => ({ name: column.name, type: column.type }));
  return textServingSpec(spec.name, readFeatureQuery(spec, table), columns);
}

interface Session {
  readonly instance: DuckDBInstance;
  readonly connection: DuckDBConnection;
  /** The feature query, checked and prepared once (`runTrinoQuery`'s checks); it reads the table's current rows. */
  readonly query: DuckDBPreparedStatement;
}

/**
 * Runs a text pipeline's feature SQL over raw texts, on one lazily opened in-memory DuckDB. The table is created and
 * the query prepared once; a request replaces the table's rows and runs the prepared query (measured here: 3.3 ms median
 * for one review, 5.8 ms for 100, against 7 ms for one when the table was recreated and the query prepared per request).
 */
export class TextNormaliser {
  private opened: Promise<Session> | undefined;
  /** Requests run one after the other on the one connection (the table holds one request's rows at a time). */
  private queue: Promise<unknown> = Promise.resolve();

  public constructor(private readonly spec: TextServingSpec) {}

  /** The normalised text of each raw text, in order, as the training channel's line would hold it. */
  public normalise(texts: readonly string[]): Promise<string[]> {
    const next = this.queue.then(() => this.run(texts));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Closes the DuckDB instance, if it was opened. */
  public async close(): Promise<void> {
    const opened = this.opened;
    this.opened = undefined;
    if (opened === undefined) return;
    await this.queue;
    const session = await opened.catch(() => undefined);
    session?.query.destroySync();
    session?.connection.closeSync();
    session?.instance.closeSync();
  }

  private async run(texts: readonly string[]): Promise<string[]> {
    if (texts.length === 0) return [];
    const { connection, query } = await this.open();
    const table = quote(this.spec.table);
    // Literals rather than bound parameters: one statement per request, and a quoted literal cannot leave its quotes.
    const values = texts.map((text) => `(${literal(text)})`).join(', ');
    await connection.run(`DELETE FROM ${table}; INSERT INTO ${table} (${quote(this.spec.textColumn)}) VALUES ${values}`);
    let rows: readonly (readonly unknown[])[];
    try {
      rows = (await query.runAndReadAll()).getRows();
    } catch (error) {
      throw explainDuckDbError(error, this.spec.featureSql);
    }
    if (rows.length !== texts.length) {
      throw new TextNormalisationError(`the feature query returned ${rows.length} rows for ${texts.length} texts: a text endpoint needs one row per text (no WHERE that drops rows)`);
    }
    // The training line's body for the same text: `channelLine` with any label, label token removed.
    return rows.map((row) => sentenceOfChannelLine(channelLine('x', row[1] === null || row[1] === undefined ? '' : String(row[1]))));
  }

  private open(): Promise<Session> {
    this.opened ??= (async () => {
      const { DuckDBInstance: Instance } = await import('@duckdb/node-api');
      // One thread: a request is a few rows, and the endpoint shares the machine with the predictor process.
      const instance = await Instance.create(':memory:', { threads: '1' });
      const connection = await instance.connect();
      await installTrinoCompat(connection);
      const unknown = this.spec.columns.find((c) => !Object.hasOwn(COLUMN_TYPES, c.type));
      if (unknown !== undefined) throw new TextNormalisationError(`column ${unknown.name} has the unknown type "${unknown.type}"`);
      const columns = this.spec.columns.map((c) => `${quote(c.name)} ${COLUMN_TYPES[c.type]}`).join(', ');
      await connection.run(`CREATE TEMP TABLE ${quote(this.spec.table)} (${columns})`);
      // The same checks a feature query gets in a run (Athena-only functions refused, one SELECT), once.
      (await runTrinoQuery(connection, this.spec.featureSql)).getRows();
      const query = await prepareSingleStatement(connection, translateTrinoSql(this.spec.featureSql), 'SELECT', this.spec.featureSql);
      return { instance, connection, query };
    })();
    return this.opened;
  }
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

function literal(text: string): string {
  // DuckDB string literals: a quote is doubled; NUL is not allowed in VARCHAR, and fastText reads it as a separator.
  return `'${text.replaceAll('\0', ' ').replaceAll("'", "''")}'`;
}
