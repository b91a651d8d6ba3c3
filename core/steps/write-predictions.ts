import { createReadStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import * as z from 'zod';
import type { DuckDbLimits, DuckDbSession } from '../duckdb/open-duckdb.js';
import { openDuckDb } from '../duckdb/open-duckdb.js';
import { labelSourceColumns, readFeatureQuery } from '../features/feature-sql.js';
import { scoringSelectSql } from '../features/scoring-sql.js';
import type { Logger } from '../log/logger.js';
import type { SpecCatalog } from '../pipelines/spec-catalog.js';
import type { ObjectStore } from '../ports/object-store.js';
import { lakeLayout } from '../run/lake-layout.js';
import { tableName } from '../run/naming.js';
import { parseStateInput } from '../run/state-input.js';
import { featureCount, valuesPerRow } from '../scoring/batch-transform.js';
import type { PredictionShape } from '../scoring/prediction-rows.js';
import { PredictionOutputError, predictionColumns, readPredictionLine } from '../scoring/prediction-rows.js';
import { scoringAlgorithm } from '../scoring/scoring-query.js';
import type { PredictionsResult } from '../scoring/scoring-state.js';
import { scoringContextSchema, scoringValidationSchema, transformProgressSchema } from '../scoring/scoring-state.js';
import type { PipelineSpec } from '../spec/load-spec.js';
import { COLUMN_TYPES } from '../spec/schema.js';
import { SOURCE_ROW_COLUMN } from '../spec/scoring-rules.js';
import { quoteIdentifier, quoteLiteral } from '../sql/quote.js';
import { installTrinoCompat, translateTrinoSql } from '../sql/trino-compat.js';

/** What WritePredictions needs. */
export interface WritePredictionsDeps {
  store: ObjectStore;
  specs: SpecCatalog;
  logger: Logger;
  workDir: string;
  duckdb: Omit<DuckDbLimits, 'tempDirectory'>;
}

const inputSchema = z.object({ scoring: scoringContextSchema, validation: scoringValidationSchema, transform: transformProgressSchema }).passthrough();

/** DuckDB type names as Athena DDL names them (the predictions table's columns). */
const GLUE_OF_DUCKDB: Readonly<Record<string, string>> = { BIGINT: 'bigint', INTEGER: 'int', DOUBLE: 'double', VARCHAR: 'string', BOOLEAN: 'boolean', DATE: 'date', TIMESTAMP: 'timestamp' };

/**
 * WritePredictions: the transform's output as the predictions table's rows.
 *
 * 1. Reads every `*.out` file of `transform-output/`: each line is a record's `source_row` and the model's answer
 *    (core/scoring/prediction-rows.ts): the class named with the user's label (for classifiers), its probability or
 *    each class's probability, or the predicted value.
 * 2. Joins them on `source_row` to the run's valid rows, which carry the spec's `scoring.idColumns`, and adds the model
 *    version and the scoring run id.
 * 3. Writes one Parquet file, `predictions/<pipeline>/score_date=<date>/part-<scoreRunId>.parquet` (a redrive or retry
 *    replaces it), and returns its key, row count and columns (with Athena types) for CatalogPredictions.
 */
export async function writePredictions(rawInput: unknown, deps: WritePredictionsDeps): Promise<PredictionsResult> {
  const { scoring, validation, transform } = parseStateInput('WritePredictions', inputSchema, rawInput);
  const spec = deps.specs.get(scoring.pipeline);
  const scratch = path.join(deps.workDir, scoring.scoreRunId, 'predictions');
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  let session: DuckDbSession | undefined;
  try {
    const db = (session = await openDuckDb({ ...deps.duckdb, tempDirectory: path.join(scratch, 'spill') }));
    const shape: PredictionShape = {
      algorithm: scoringAlgorithm(spec),
      objective: String(spec.training?.hyperparameters['objective'] ?? 'binary:logistic'),
      valuesPerRow: valuesPerRow(spec),
      features: featureCount(spec),
      labelNames: await learnLabelNames(db, spec),
    };
    const columns = predictionColumns(shape);
    const rowsFile = path.join(scratch, 'predictions.jsonl');
    const predicted = await readTransformOutput(deps.store, transform.output, scratch, shape, columns.map((c) => c.name), rowsFile);
    const input = await deps.store.localCopy({ bucket: scoring.bucket, key: validation.inputKey }, scratch);
    const outFile = path.join(scratch, 'part.parquet');
    try {
      const ids = (spec.scoring?.idColumns ?? []).map((id) => `i.${quoteIdentifier(id)}`);
      const jsonColumns = [`${quoteLiteral(SOURCE_ROW_COLUMN)}: 'BIGINT'`, ...columns.map((c) => `${quoteLiteral(c.name)}: '${c.type}'`)].join(', ');
      const select = [
        `i.${quoteIdentifier(SOURCE_ROW_COLUMN)}`,
        ...ids,
        ...columns.map((c) => `p.${quoteIdentifier(c.name)}`),
        `CAST(${transform.model.version} AS BIGINT) AS model_version`,
        `${quoteLiteral(scoring.scoreRunId)} AS scoring_run_id`,
      ].join(', ');
      await db.connection.run(
        `COPY (SELECT ${select} FROM read_parquet(${quoteLiteral(input.path)}) i JOIN read_json(${quoteLiteral(rowsFile)}, format = 'newline_delimited', columns = {${jsonColumns}}) p USING (${quoteIdentifier(SOURCE_ROW_COLUMN)}) ORDER BY 1) TO ${quoteLiteral(outFile)} (FORMAT parquet, COMPRESSION zstd)`,
      );
      const [count] = await db.rows(`SELECT count(*) AS n FROM read_parquet(${quoteLiteral(outFile)})`);
      const rows = Number(count?.n ?? 0);
      if (rows !== predicted || rows !== validation.rows.valid) {
        throw new PredictionOutputError(`${validation.rows.valid} valid rows were scored, the transform answered ${predicted} and ${rows} joined their row: the outputs do not reconcile`);
      }
      const described = await db.rows(`DESCRIBE SELECT * FROM read_parquet(${quoteLiteral(outFile)})`);
      const tableColumns = described.map((r) => ({ name: String(r.column_name), type: GLUE_OF_DUCKDB[String(r.column_type)] ?? 'string' }));
      const key = lakeLayout.predictionsKey(spec.name, scoring.scoreDate, scoring.scoreRunId);
      await deps.store.putFile(outFile, { bucket: scoring.bucket, key }, 'application/vnd.apache.parquet');
      deps.logger.info('predictions written', { key, rows });
      return { key, prefix: lakeLayout.predictionsPartitionPrefix(spec.name, scoring.scoreDate), rows, columns: tableColumns };
    } finally {
      await input.release();
    }
  } finally {
    session?.close();
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Reads every `.out` file of the output folder into a JSON Lines file of `source_row` and the prediction columns. */
async function readTransformOutput(store: ObjectStore, output: string, scratch: string, shape: PredictionShape, names: readonly string[], rowsFile: string): Promise<number> {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(output);
  if (match?.[1] === undefined || match[2] === undefined) throw new PredictionOutputError(`Not an s3:// location: ${output}`);
  const objects = (await store.list(match[1], match[2])).filter((o) => o.key.endsWith('.out'));
  let lines = '';
  let count = 0;
  for (const object of objects) {
    const local = await store.localCopy(object, scratch);
    try {
      for await (const line of createInterface({ input: createReadStream(local.path), crlfDelay: Infinity })) {
        if (line.trim() === '') continue;
        const { sourceRow, values } = readPredictionLine(line, shape);
        const record: Record<string, string | number> = { [SOURCE_ROW_COLUMN]: sourceRow };
        names.forEach((name, i) => {
          const value = values[i];
          if (value !== undefined) record[name] = value;
        });
        lines += `${JSON.stringify(record)}\n`;
        count++;
      }
    } finally {
      await local.release();
    }
  }
  await writeFile(rowsFile, lines);
  return count;
}

/**
 * The user's value of each class number: the feature query's label over one row per allowed value of the label's one
 * column (every other column NULL), as the raw-record endpoint names its classes. Undefined (classes named by number)
 * when the label reads several columns, its column has no allowed values, or two values give one class.
 */
async function learnLabelNames(session: DuckDbSession, spec: PipelineSpec): Promise<ReadonlyMap<number, string> | undefined> {
  if (spec.training?.algorithm === 'blazingtext') return undefined;
  const names = spec.contract.columns.map((c) => c.name);
  const label = labelSourceColumns(readFeatureQuery(spec, tableName(spec.name)), names);
  const column = label.length === 1 ? spec.contract.columns.find((c) => c.name === label[0]) : undefined;
  if (column?.allowed === undefined) return undefined;
  const table = '__sluice_label_values';
  await installTrinoCompat(session.connection);
  const declared = spec.contract.columns.map((c) => `${quoteIdentifier(c.name)} ${COLUMN_TYPES[c.type]}`).join(', ');
  try {
    await session.connection.run(`CREATE TEMP TABLE ${table} (${SOURCE_ROW_COLUMN} BIGINT, ${declared})`);
    const values = column.allowed.map((v, i) => `(${i}, CAST(${typeof v === 'string' ? quoteLiteral(v) : String(v)} AS ${COLUMN_TYPES[column.type]}))`);
    await session.connection.run(`INSERT INTO ${table} (${SOURCE_ROW_COLUMN}, ${quoteIdentifier(column.name)}) VALUES ${values.join(', ')}`);
    const sql = scoringSelectSql(spec, table, { idColumns: [SOURCE_ROW_COLUMN], labelPresent: true });
    const rows = (await session.connection.runAndReadAll(translateTrinoSql(sql))).getRowsJS();
    const classes = new Map<number, string>();
    for (const row of rows) {
      const value = Number(row[1]);
      const allowed = column.allowed[Number(row[0])];
      if (!Number.isInteger(value) || classes.has(value) || allowed === undefined) return undefined;
      classes.set(value, String(allowed));
    }
    return classes.size === column.allowed.length ? classes : undefined;
  } catch {
    // Names are a courtesy: a label query that cannot run on one column alone names classes by number.
    return undefined;
  } finally {
    await session.connection.run(`DROP TABLE IF EXISTS ${table}`);
  }
}
