/**
 * Turns checked raw records into the model's input with the pipeline's own feature query in scoring mode
 * (`RawServingSpec.scoringSql`), on one in-memory DuckDB with the Trino-compatibility macros, as the feature query runs
 * in a local run. Opened once per model version: the statements are parsed, checked (one SELECT, no Athena-only
 * function) and prepared once, then every request only binds its values and runs.
 *
 * How the rows reach the query, without a table scan: a request of up to {@link VALUES_MAX_ROWS} records runs one
 * prepared statement whose relation is a `VALUES` list of typed parameters (`WITH <relation> AS (SELECT * FROM
 * (VALUES (CAST($1 AS BIGINT), …)) AS t(…)) SELECT * FROM (<scoring query>) ORDER BY <record>`), prepared once per row
 * count; a larger request goes through a temporary table filled by DuckDB's appender and one prepared query over it.
 * Measured in-process on the churn query (bench/score-endpoint.ts, docs/scoring.md), one record, on a 2-core machine
 * shared with other work: median 1.9 ms through `VALUES` against 6.1 ms through the appender (DELETE, append, flush,
 * query) at load average 12, and 4.2 ms against 63 ms at load average 17.
 *
 * Row order: the record's number travels through the query as its id column and the result is ordered by it; a
 * query that drops a record (a WHERE) is refused for that record, since an answer must have one prediction per record.
 *
 * Dynamic batching: requests that arrive while a query runs wait, and the next query featurizes all of them at once
 * (up to {@link BATCH_MAX_ROWS} records), each request getting its own rows back. Under concurrent load the per-query
 * cost (milliseconds of DuckDB's own work, against tens of microseconds for the model) is then paid once per batch instead of once per request, which
 * is what keeps a raw request's latency close to a featurized one's when requests queue (bench/score-endpoint.ts).
 * A batch whose query fails is retried request by request, so one request's failure is never another's.
 */
import type { DuckDBConnection, DuckDBInstance, DuckDBPreparedStatement } from '@duckdb/node-api';
import { TerminalStepError } from '../errors.js';
import { COLUMN_TYPES } from '../spec/schema.js';
import { quoteIdentifier } from '../sql/quote.js';
import { prepareSingleStatement } from '../sql/single-statement.js';
import { explainDuckDbError, installTrinoCompat, translateTrinoSql } from '../sql/trino-compat.js';
import type { CheckedRecords, RawValue } from './raw-records.js';
import type { RawColumn, RawServingSpec } from './raw-serving-spec.js';
import { RAW_ROW_COLUMN } from './raw-serving-spec.js';

/** The feature query could not turn a request's records into features (it failed, or dropped a record). */
export class RawFeatureQueryError extends TerminalStepError {
  public override readonly name = 'RawFeatureQueryError';
}

/** Requests of at most this many records run through a `VALUES` statement prepared for their row count. */
export const VALUES_MAX_ROWS = 16;

/** Requests waiting together are featurized in one query of at most this many records (dynamic batching). */
export const BATCH_MAX_ROWS = 256;

/** The model's input for a request: tabular features, or the text column of a text pipeline. */
export interface RawFeatures {
  /** `nRows * nCols` features, row-major, as float32 (what XGBoost receives; NULL is NaN, a missing value). */
  readonly values: Float32Array;
  readonly nRows: number;
  readonly nCols: number;
  /** Text pipelines: the query's `text` column of each record (empty for tabular ones). */
  readonly texts: readonly string[];
}

/** How the rows reach the query: a prepared `VALUES` statement, or the appender and a temporary table. */
export type RawFeedMode = 'values' | 'appender';

/** Options of {@link RawFeaturizer.open}. */
export interface RawFeaturizerOptions {
  /** Force one way of feeding rows (default: `values` up to {@link VALUES_MAX_ROWS} records, `appender` above). */
  readonly mode?: RawFeedMode;
}

/**
 * One model version's featurizer. Requests are served one after the other on its one connection.
 *
 * @example
 * const featurizer = await RawFeaturizer.open(spec);
 * const features = await featurizer.featurize(checkRawRecords(spec, records, 'json'));
 * await featurizer.close();
 */
export class RawFeaturizer {
  private readonly byRows = new Map<number, DuckDBPreparedStatement>();
  private readonly pending: Waiting[] = [];
  private running: Promise<void> | undefined;
  private closed = false;

  private constructor(
    private readonly spec: RawServingSpec,
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly tableQuery: DuckDBPreparedStatement,
    private readonly columns: readonly RawColumn[],
    private readonly options: RawFeaturizerOptions,
    /** The user's value of each class number, when the label comes from one column with an allowed list. */
    public readonly labelNames: ReadonlyMap<number, string> | undefined,
  ) {}

  /**
   * Opens an in-memory DuckDB (one thread: a request is a few rows), creates the request table, checks and prepares
   * the scoring query, and learns the label's names.
   * @throws FeatureQueryError, UnsupportedSqlFunctionError when the query is not one SELECT DuckDB can run
   */
  public static async open(spec: RawServingSpec, options: RawFeaturizerOptions = {}): Promise<RawFeaturizer> {
    const { DuckDBInstance: Instance } = await import('@duckdb/node-api');
    const instance = await Instance.create(':memory:', { threads: '1' });
    try {
      const connection = await instance.connect();
      await installTrinoCompat(connection);
      const label = new Set(spec.labelColumns);
      const columns = spec.columns.filter((c) => !label.has(c.name));
      const definition = [`${quoteIdentifier(RAW_ROW_COLUMN)} BIGINT`, ...columns.map((c) => `${quoteIdentifier(c.name)} ${COLUMN_TYPES[c.type]}`)].join(', ');
      await connection.run(`CREATE TEMP TABLE ${spec.relation} (${definition})`);
      const ordered = `SELECT * FROM (\n${spec.scoringSql}\n) ORDER BY ${quoteIdentifier(RAW_ROW_COLUMN)}`;
      const tableQuery = await prepare(connection, ordered, spec.scoringSql);
      const labelNames = spec.labelSql === undefined ? undefined : await learnLabelNames(connection, spec, spec.labelSql);
      return new RawFeaturizer(spec, instance, connection, tableQuery, columns, options, labelNames);
    } catch (error) {
      instance.closeSync();
      throw error;
    }
  }

  /** The features of checked records, one row per record in order. */
  public featurize(records: CheckedRecords): Promise<RawFeatures> {
    if (this.closed) return Promise.reject(new RawFeatureQueryError('the featurizer is closed (its model was replaced)'));
    if (records.rows.length === 0) return Promise.resolve({ values: new Float32Array(0), nRows: 0, nCols: 0, texts: [] });
    return new Promise<RawFeatures>((resolve, reject) => {
      this.pending.push({ rows: records.rows, resolve, reject });
      this.pump();
    });
  }

  /** Frees the statements and the database once the requests in progress are done. */
  public async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.running !== undefined) await this.running;
    for (const statement of this.byRows.values()) statement.destroySync();
    this.tableQuery.destroySync();
    this.connection.closeSync();
    this.instance.closeSync();
  }

  /** Runs the waiting requests, a batch at a time, until none is left. */
  private pump(): void {
    if (this.running !== undefined || this.pending.length === 0) return;
    const batch: Waiting[] = [];
    let total = 0;
    while (this.pending.length > 0) {
      const next = this.pending[0];
      if (next === undefined || (batch.length > 0 && total + next.rows.length > BATCH_MAX_ROWS)) break;
      batch.push(next);
      total += next.rows.length;
      this.pending.shift();
    }
    this.running = this.runBatch(batch).finally(() => {
      this.running = undefined;
      this.pump();
    });
  }

  private async runBatch(batch: readonly Waiting[]): Promise<void> {
    let rows: unknown[][];
    try {
      rows = await this.query(batch.flatMap((waiting) => waiting.rows));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      // One request's failure must not fail the others: each runs on its own.
      for (const waiting of batch) {
        try {
          waiting.resolve(this.answerOf(await this.query(waiting.rows), 0, waiting.rows.length));
        } catch (own) {
          waiting.reject(own);
        }
      }
      return;
    }
    let offset = 0;
    for (const waiting of batch) {
      try {
        waiting.resolve(this.answerOf(rows, offset, waiting.rows.length));
      } catch (error) {
        waiting.reject(error);
      }
      offset += waiting.rows.length;
    }
  }

  /** The rows of one request, records `offset` to `offset + n` of the batch (the result is ordered by record). */
  private answerOf(rows: readonly unknown[][], offset: number, n: number): RawFeatures {
    const own = rows.filter((row) => {
      const record = Number(row[0]);
      return record >= offset && record < offset + n;
    });
    if (own.length !== n) {
      const seen = new Set(own.map((row) => Number(row[0]) - offset));
      const dropped = Array.from({ length: n }, (_, i) => i).find((i) => !seen.has(i)) ?? 0;
      throw new RawFeatureQueryError(`record ${dropped}: the feature query returned no row for it (a WHERE dropped it): each record needs one row to be scored`);
    }
    return this.spec.algorithm === 'blazingtext' ? textsOf(own) : featuresOf(own);
  }

  private async query(values: readonly (readonly RawValue[])[]): Promise<unknown[][]> {
    if (this.closed && this.running === undefined) throw new RawFeatureQueryError('the featurizer is closed (its model was replaced)');
    const mode = this.options.mode ?? (values.length <= VALUES_MAX_ROWS ? 'values' : 'appender');
    try {
      return mode === 'values' ? await this.viaValues(values) : await this.viaAppender(values);
    } catch (error) {
      throw explainDuckDbError(error, this.spec.scoringSql);
    }
  }

  private async viaValues(values: readonly (readonly RawValue[])[]): Promise<unknown[][]> {
    let statement = this.byRows.get(values.length);
    if (statement === undefined) {
      const width = this.columns.length + 1;
      const tuples = values.map((_, r) => {
        const cells = [`CAST($${r * width + 1} AS BIGINT)`, ...this.columns.map((c, j) => `CAST($${r * width + j + 2} AS ${COLUMN_TYPES[c.type]})`)];
        return `(${cells.join(', ')})`;
      });
      const names = [RAW_ROW_COLUMN, ...this.columns.map((c) => c.name)].map(quoteIdentifier).join(', ');
      const sql = `WITH ${this.spec.relation} AS (SELECT * FROM (VALUES ${tuples.join(', ')}) AS t(${names}))\nSELECT * FROM (\n${this.spec.scoringSql}\n) ORDER BY ${quoteIdentifier(RAW_ROW_COLUMN)}`;
      statement = await prepare(this.connection, sql, this.spec.scoringSql);
      this.byRows.set(values.length, statement);
    }
    let parameter = 1;
    for (const [r, row] of values.entries()) {
      statement.bindBigInt(parameter++, BigInt(r));
      for (const [j, column] of this.columns.entries()) bindValue(statement, parameter++, row[j] ?? null, column);
    }
    return (await statement.runAndReadAll()).getRowsJS() as unknown[][];
  }

  private async viaAppender(values: readonly (readonly RawValue[])[]): Promise<unknown[][]> {
    await this.connection.run(`DELETE FROM ${this.spec.relation}`);
    const appender = await this.connection.createAppender(this.spec.relation.slice(1, -1).replaceAll('""', '"'));
    try {
      for (const [r, row] of values.entries()) {
        appender.appendBigInt(BigInt(r));
        for (const [j, column] of this.columns.entries()) appendValue(appender, row[j] ?? null, column);
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    return (await this.tableQuery.runAndReadAll()).getRowsJS() as unknown[][];
  }
}

/** A request waiting for its features. */
interface Waiting {
  readonly rows: readonly (readonly RawValue[])[];
  readonly resolve: (features: RawFeatures) => void;
  readonly reject: (error: unknown) => void;
}

async function prepare(connection: DuckDBConnection, sql: string, original: string): Promise<DuckDBPreparedStatement> {
  try {
    return await prepareSingleStatement(connection, translateTrinoSql(sql), 'SELECT', original);
  } catch (error) {
    throw explainDuckDbError(error, original);
  }
}

type Binder = Pick<DuckDBPreparedStatement, 'bindNull' | 'bindVarchar' | 'bindBigInt' | 'bindDouble' | 'bindBoolean'>;

function bindValue(statement: Binder, index: number, value: RawValue, column: RawColumn): void {
  if (value === null) statement.bindNull(index);
  else if (column.type === 'integer') statement.bindBigInt(index, BigInt(value as number));
  else if (column.type === 'double') statement.bindDouble(index, value as number);
  else if (column.type === 'boolean') statement.bindBoolean(index, value as boolean);
  // Strings, and dates and timestamps as ISO text the CAST reads.
  else statement.bindVarchar(index, String(value));
}

type Appender = Awaited<ReturnType<DuckDBConnection['createAppender']>>;

function appendValue(appender: Appender, value: RawValue, column: RawColumn): void {
  if (value === null) appender.appendNull();
  else if (column.type === 'integer') appender.appendBigInt(BigInt(value as number));
  else if (column.type === 'double') appender.appendDouble(value as number);
  else if (column.type === 'boolean') appender.appendBoolean(value as boolean);
  else if (column.type === 'string') appender.appendVarchar(String(value));
  // Dates and timestamps: appended as text, DuckDB casts them to the column's type.
  else appender.appendValue(String(value));
}

/** Tabular rows: the record's number, the label, then the features (float32, NULL as NaN). */
function featuresOf(rows: readonly unknown[][]): RawFeatures {
  const nCols = Math.max(0, (rows[0]?.length ?? 2) - 2);
  const values = new Float32Array(rows.length * nCols);
  for (const [r, row] of rows.entries()) {
    for (let j = 0; j < nCols; j++) values[r * nCols + j] = toNumber(row[j + 2]);
  }
  return { values, nRows: rows.length, nCols, texts: [] };
}

/** Text rows: the record's number, the label, the text as a channel line holds it. */
function textsOf(rows: readonly unknown[][]): RawFeatures {
  return { values: new Float32Array(0), nRows: rows.length, nCols: 0, texts: rows.map((row) => (row[2] === null || row[2] === undefined ? '' : String(row[2]))) };
}

function toNumber(value: unknown): number {
  if (value === null || value === undefined) return Number.NaN;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return Number(value);
}

/**
 * The user's value of each class number: the label query over one row per allowed value of the label's column (every
 * other column NULL). Undefined when the query fails or drops rows there, or two values give one class (then the
 * answer names classes by number).
 */
async function learnLabelNames(connection: DuckDBConnection, spec: RawServingSpec, labelSql: string): Promise<ReadonlyMap<number, string> | undefined> {
  const [labelName] = spec.labelColumns;
  const column = spec.columns.find((c) => c.name === labelName);
  if (column?.allowed === undefined) return undefined;
  const columns = spec.columns.map((c) => `${quoteIdentifier(c.name)} ${COLUMN_TYPES[c.type]}`).join(', ');
  const relation = spec.relation;
  await connection.run(`CREATE TEMP TABLE __sluice_label_values (${columns})`);
  try {
    const literals = column.allowed.map((v) => `CAST(${typeof v === 'string' ? `'${v.replaceAll("'", "''")}'` : String(v)} AS ${COLUMN_TYPES[column.type]})`);
    await connection.run(`INSERT INTO __sluice_label_values (${quoteIdentifier(column.name)}) VALUES ${literals.map((l) => `(${l})`).join(', ')}`);
    const sql = `WITH ${relation} AS (SELECT * FROM __sluice_label_values)\n${labelSql.trimStart().toLowerCase().startsWith('with') ? `SELECT * FROM (\n${labelSql}\n)` : labelSql}`;
    const rows = (await connection.runAndReadAll(translateTrinoSql(sql))).getRowsJS();
    if (rows.length !== column.allowed.length) return undefined;
    const names = new Map<number, string>();
    for (const [i, row] of rows.entries()) {
      const value = Number(row[0]);
      if (!Number.isInteger(value) || names.has(value)) return undefined;
      names.set(value, String(column.allowed[i]));
    }
    return names;
  } catch {
    // Label names are a courtesy: a query that cannot compute the label from one column answers class numbers.
    return undefined;
  } finally {
    await connection.run('DROP TABLE IF EXISTS __sluice_label_values');
  }
}
