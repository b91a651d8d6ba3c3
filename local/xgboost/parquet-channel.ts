/**
 * Reads Parquet training channels the way SageMaker's XGBoost 1.7-1 container reads `application/x-parquet` in File
 * mode (aws/sagemaker-xgboost-container, `data_utils.py`, `_get_parquet_dmatrix_file_mode`): the files are read as one
 * table (`pyarrow.parquet.read_table`), turned into one numpy array (`to_pandas().to_numpy()`: float64 for numeric
 * columns, a NULL becoming NaN), and handed to `xgb.DMatrix(data[:, 1:], label=data[:, 0])`, which stores float32.
 * So: the first column is the label, every other column a feature, NULL is missing (NaN), each value is rounded to a
 * double and then to float32, and `csv_weights` does not apply (the container reads no weight column from Parquet).
 *
 * Reading runs on DuckDB (`@duckdb/node-api`, already the local engine): it decodes the files in parallel and casts
 * each column in SQL, `CAST(CAST(c AS DOUBLE) AS FLOAT)`, the container's double-then-float32 rounding.
 */
// A static import: this module itself is loaded on a Parquet channel's first read (data.ts), so a training worker handed
// its channels loads neither. An `import()` of DuckDB here made Node's ESM loader scan the CommonJS sources of the whole
// package for its export names (cjs-module-lexer), about 0.06-0.1 s, even with DuckDB already loaded by the run.
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteIdentifier, quoteLiteral } from '../../core/sql/quote.js';
import { CsvFormatError, EmptyChannelError } from './errors.js';

/** Column types the container turns into numbers (pyarrow → numpy); anything else fails there as it does here. */
const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL\(\d+,\d+\)|BOOLEAN)$/;

/** A Parquet channel in dense arrays. */
export interface ParquetChannelData {
  readonly features: Float32Array;
  readonly labels: Float32Array;
  readonly nRows: number;
  readonly nCols: number;
  /** Column names, label first. */
  readonly columns: readonly string[];
}

/** How {@link readParquetChannels} allocates its arrays. */
export interface ParquetReadOptions {
  /** Back the arrays by SharedArrayBuffer, so worker threads can read them without a copy. */
  readonly shared?: boolean;
}

/**
 * Reads channels, each a list of Parquet files (in the order given), into a row-major feature matrix and a label
 * vector each, in one DuckDB instance: a training job's train and validation sets cost one instance's start and close
 * (tens of milliseconds each, on the run's critical path) instead of two. Each channel has its own connection and the
 * channels are read at once: DuckDB reads one while this thread copies the other's chunks out (each channel's rows
 * keep their order, into arrays of its own).
 * @throws CsvFormatError naming the file of a column that is not numeric, or of a missing label, for the first channel
 *   that has the problem
 * @throws EmptyChannelError when a channel's files hold no rows
 */
export async function readParquetChannels(channels: readonly (readonly string[])[], options: ParquetReadOptions = {}): Promise<ParquetChannelData[]> {
  const instance = await DuckDBInstance.create(':memory:', { preserve_insertion_order: 'true' });
  const connections: DuckDBConnection[] = [];
  try {
    const reads = await Promise.allSettled(
      channels.map(async (files) => {
        const connection = await instance.connect();
        connections.push(connection);
        return readWith(connection, files, options);
      }),
    );
    const read: ParquetChannelData[] = [];
    for (const outcome of reads) {
      // The first channel's problem in the caller's order, whichever read failed first in time.
      if (outcome.status === 'rejected') throw outcome.reason;
      read.push(outcome.value);
    }
    return read;
  } finally {
    // Closed once the caller's promise continuations have run (setImmediate comes after the microtask queue), not
    // here: `closeSync` blocks this thread for 20-60 ms (DuckDB joins its threads and frees its buffers), and a
    // training session hands the arrays to its worker in those continuations, so the worker trains while this
    // thread closes the instance instead of waiting for it (issue 16).
    setImmediate(() => {
      for (const connection of connections) connection.closeSync();
      instance.closeSync();
    });
  }
}

async function readWith(connection: DuckDBConnection, files: readonly string[], options: ParquetReadOptions): Promise<ParquetChannelData> {
  // No Hive partitioning: a feature set's folder is `split=train/`, and the split is no feature (the container
  // reads the files themselves, symlinked into one folder).
  const source = `read_parquet([${files.map(quoteLiteral).join(', ')}], hive_partitioning = false)`;
  const described = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`)).getRowObjectsJson();
  const columns = described.map((row) => ({ name: String(row['column_name']), type: String(row['column_type']) }));
  const wrong = columns.find((c) => !NUMERIC.test(c.type));
  if (wrong) {
    throw new CsvFormatError(`${files.join(', ')}: column "${wrong.name}" is ${wrong.type}; SageMaker XGBoost Parquet input is numeric only, label first`);
  }
  if (columns.length < 2) throw new CsvFormatError(`${files.join(', ')}: a row needs a label and at least one feature, found ${columns.length} column(s)`);
  const nRows = Number((await connection.runAndReadAll(`SELECT count(*) FROM ${source}`)).getRows()[0]?.[0] ?? 0);
  if (nRows === 0) throw new EmptyChannelError(`No data rows in channel ${files.join(', ')}`);
  const nCols = columns.length - 1;
  const floats = (length: number): Float32Array => (options.shared === true ? new Float32Array(new SharedArrayBuffer(length * 4)) : new Float32Array(length));
  const labels = floats(nRows);
  const features = floats(nRows * nCols);
  const casts = columns.map((c) => `CAST(CAST(${quoteIdentifier(c.name)} AS DOUBLE) AS FLOAT)`).join(', ');
  await fill(connection, `SELECT ${casts} FROM ${source}`, labels, features, nCols, files);
  return { features, labels, nRows, nCols, columns: columns.map((c) => c.name) };
}

async function fill(connection: DuckDBConnection, sql: string, labels: Float32Array, features: Float32Array, nCols: number, files: readonly string[]): Promise<void> {
  const result = await connection.stream(sql);
  let row = 0;
  for (let chunk = await result.fetchChunk(); chunk !== null && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    const count = chunk.rowCount;
    const label = chunk.getColumnVector(0);
    for (let i = 0; i < count; i++) {
      const value = label.getItem(i);
      if (typeof value !== 'number' || Number.isNaN(value)) throw new CsvFormatError(`${files.join(', ')}: row ${row + i + 1}: the label (column 1) is missing`);
      labels[row + i] = value;
    }
    for (let j = 0; j < nCols; j++) {
      const vector = chunk.getColumnVector(j + 1);
      let offset = row * nCols + j;
      for (let i = 0; i < count; i++, offset += nCols) {
        const value = vector.getItem(i);
        features[offset] = typeof value === 'number' ? value : Number.NaN;
      }
    }
    row += count;
  }
}
