import { createHash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import type { DuckDbLimits, DuckDbSession } from '../duckdb/open-duckdb.js';
import { openDuckDb } from '../duckdb/open-duckdb.js';
import { AllRowsRejectedError, UnreadableFileError } from '../errors.js';
import { labelSourceColumns, readFeatureQuery } from '../features/feature-sql.js';
import { castByRules, contractRules, enumColumns, enumTypesSql, recordRule, typeRules } from '../ingest/contract-rules.js';
import { checkHeader, firstLine, probeFile, readHeader } from '../ingest/inspect-file.js';
import type { IngestSqlInput } from '../ingest/ingest-sql.js';
import { CLASSIFIED_COUNTS_SQL, CLASSIFIED_TABLE, REJECTS_TABLE, VIOLATIONS_KEY, classifySql, quarantineCopySql } from '../ingest/ingest-sql.js';
import type { Logger } from '../log/logger.js';
import type { SpecCatalog } from '../pipelines/spec-catalog.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { TableCatalog } from '../ports/table-catalog.js';
import { lakeLayout } from '../run/lake-layout.js';
import type { ResourceNames } from '../run/naming.js';
import { tableName } from '../run/naming.js';
import { parseStateInput } from '../run/state-input.js';
import { scoringInputTable } from '../scoring/scoring-tables.js';
import type { ScoringValidation } from '../scoring/scoring-state.js';
import { scoringContextSchema } from '../scoring/scoring-state.js';
import type { PipelineSpec } from '../spec/load-spec.js';
import { COLUMN_TYPES } from '../spec/schema.js';
import { SOURCE_ROW_COLUMN } from '../spec/scoring-rules.js';
import { quoteIdentifier, quoteLiteral } from '../sql/quote.js';

/** What ValidateScoringFile needs. */
export interface ValidateScoringFileDeps {
  store: ObjectStore;
  specs: SpecCatalog;
  logger: Logger;
  tables: TableCatalog;
  names: ResourceNames;
  /** Scratch space (Lambda: /tmp); the step cleans up after itself. */
  workDir: string;
  duckdb: Omit<DuckDbLimits, 'tempDirectory'>;
}

const inputSchema = z.object({ scoring: scoringContextSchema }).passthrough();

/**
 * ValidateScoringFile: the scoring file against the pipeline's contract, with the ingest's own code
 * (core/ingest/: header check, one DuckDB read classifying every row by the contract's rules, quarantine format).
 *
 * 1. The contract as scoring sees it: the columns the label is computed from (read from features.sql) may be absent
 *    and empty, every other rule holds. A file that cannot be read as the declared format fails with
 *    UnreadableFileError, as in training.
 * 2. Numbers each record: `source_row`, its 1-based position among the file's records (the read keeps the file's order,
 *    `preserve_insertion_order`, and the lines DuckDB's reader rejected keep their numbers too).
 * 3. Writes the rows that broke a rule to `scoring/<pipeline>/runs/<id>/quarantine.parquet` (the ingest's format: the
 *    record and the rules it broke), and the valid rows, every contract column typed plus `source_row`, to the
 *    `score_run=<id>` partition of `<pipeline>_scoring_input` (defined in the catalog here, so the scoring query can
 *    read it in both runtimes). Fails with AllRowsRejectedError when no row is valid.
 */
export async function validateScoringFile(rawInput: unknown, deps: ValidateScoringFileDeps): Promise<ScoringValidation> {
  const { scoring } = parseStateInput('ValidateScoringFile', inputSchema, rawInput);
  const spec = deps.specs.get(scoring.pipeline);
  const where = `s3://${scoring.object.bucket}/${scoring.object.key}`;
  const scratch = path.join(deps.workDir, scoring.scoreRunId, createHash('sha256').update(where).digest('hex').slice(0, 16));
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  const local = await deps.store.localCopy(scoring.object, scratch);
  let session: DuckDbSession | undefined;
  try {
    const db = (session = await openDuckDb({ ...deps.duckdb, tempDirectory: path.join(scratch, 'spill') }));
    // The row numbers come from the read order: keep it (open-duckdb turns it off for the ingest's partitioned writes).
    await db.connection.run('SET preserve_insertion_order = true');
    const label = labelSourceColumns(readFeatureQuery(spec, tableName(spec.name)), spec.contract.columns.map((c) => c.name));
    const scoringSpec = withOptionalLabel(spec, label);
    const { sql, counts, header } = await classify(db, scoringSpec, local.path, scoring.object.key, where);
    const rows = { input: counts.read + counts.rejectedLines, valid: counts.read - counts.broken, quarantined: counts.broken + counts.rejectedLines };
    if (rows.input === 0) throw new UnreadableFileError(`${where} has a header but no rows`);

    let quarantineKey: string | undefined;
    if (rows.quarantined > 0) {
      quarantineKey = lakeLayout.scoringQuarantineKey(spec.name, scoring.scoreRunId);
      const file = path.join(scratch, 'quarantine.parquet');
      await run(db, quarantineCopySql(sql, { hasRejects: counts.rejectedLines > 0, hasRuleViolations: counts.broken > 0, outputPath: file }), where);
      await deps.store.putFile(file, { bucket: scoring.bucket, key: quarantineKey }, 'application/vnd.apache.parquet');
    }
    if (rows.valid === 0) throw new AllRowsRejectedError(`${where}: all ${rows.input} rows broke the data contract; they are in s3://${scoring.bucket}/${quarantineKey ?? ''}`);

    const validFile = path.join(scratch, 'valid.parquet');
    await run(db, validRowsCopySql(spec, counts.rejectedLines > 0, spec.source.format === 'csv' && spec.source.csv.header ? 1 : 0, validFile), where);
    const inputKey = lakeLayout.scoringInputKey(spec.name, scoring.scoreRunId);
    await deps.store.putFile(validFile, { bucket: scoring.bucket, key: inputKey }, 'application/vnd.apache.parquet');
    const table = scoringInputTable(spec, deps.names.database, scoring.bucket);
    // The run's partition is projected (scoring-tables.ts): only the table is defined, idempotently.
    await deps.tables.putTable(table);
    deps.logger.info('scoring file validated', { object: where, rows });
    return { inputKey, ...(quarantineKey ? { quarantineKey } : {}), labelPresent: label.every((c) => header.includes(c)), rows };
  } finally {
    session?.close();
    await local.release();
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The contract with the label's columns optional and nullable: a scoring file may not know the answer yet. */
function withOptionalLabel(spec: PipelineSpec, label: readonly string[]): PipelineSpec {
  const columns = spec.contract.columns.map((c) => (label.includes(c.name) ? { ...c, required: false, nullable: true } : c));
  return { ...spec, contract: { ...spec.contract, columns } };
}

/** The one read of the file, as ValidateAndPartition's classifyFile does it. */
async function classify(session: DuckDbSession, spec: PipelineSpec, file: string, key: string, where: string) {
  await probeFile(file, where, /\.gz$/i.test(key));
  const fileHeader = await readHeader(session, spec, file, where);
  const { header, sourceNames } = checkHeader(spec, fileHeader, where);
  const format = spec.source.format;
  const csv = format === 'csv';
  if (csv) for (const statement of enumTypesSql(spec.contract.columns)) await session.connection.run(statement);
  const present = spec.contract.columns.filter((c) => header.includes(c.name));
  const fromText = present.filter((c) => castByRules(c, format));
  // Rules of the columns the file holds: a label column it lacks is NULL after the read, not a column the rules can see.
  const valueRules = contractRules(present, {
    castFromText: fromText.map((c) => c.name),
    ...(csv ? { allowedCheckedByReader: enumColumns(spec.contract.columns).map((c) => c.name) } : {}),
  });
  const typed = typeRules(fromText, valueRules.length + 1);
  const rules = csv ? [...valueRules, ...typed] : [recordRule(valueRules.length + typed.length + 1), ...valueRules, ...typed];
  const sql: IngestSqlInput = { spec, rules, header, sourceNames, inputPath: file, stagingDir: path.dirname(file), sourceHash: '', ingestDate: '' };
  await run(session, classifySql(sql), where);
  const [classified] = await session.rows(CLASSIFIED_COUNTS_SQL);
  const [rejected] = await session.rows(`SELECT count(DISTINCT line) AS n FROM ${REJECTS_TABLE}`);
  return { sql, header, counts: { read: Number(classified?.read ?? 0), broken: Number(classified?.broken ?? 0), rejectedLines: Number(rejected?.n ?? 0) } };
}

/**
 * The valid rows with their `source_row`, in file order. The classified table holds the records the reader kept, in
 * file order (rowid); the reader's rejected lines are numbered by DuckDB (`line`, the header being line 1 of a CSV with
 * one), so a kept record's number is the rowid-th number that is not a rejected one. A quoted value spanning lines
 * counts its lines in DuckDB's `line`: records are numbered, not physical lines, for files without such values.
 */
function validRowsCopySql(spec: PipelineSpec, hasRejects: boolean, headerLines: number, outputPath: string): string {
  const columns = spec.contract.columns.map((c) => `CAST(${quoteIdentifier(c.name)} AS ${COLUMN_TYPES[c.type]}) AS ${quoteIdentifier(c.name)}`);
  const row = quoteIdentifier(SOURCE_ROW_COLUMN);
  const numbered = hasRejects
    ? `WITH kept AS (SELECT n, row_number() OVER (ORDER BY n) - 1 AS k FROM range(1, (SELECT count(*) FROM ${CLASSIFIED_TABLE}) + (SELECT count(DISTINCT line) FROM ${REJECTS_TABLE}) + 1) t(n) WHERE n NOT IN (SELECT DISTINCT line - ${headerLines} FROM ${REJECTS_TABLE}))
SELECT kept.n AS ${row}, c.* FROM (SELECT rowid AS k, * FROM ${CLASSIFIED_TABLE}) c JOIN kept USING (k)`
    : `SELECT rowid + 1 AS ${row}, * FROM ${CLASSIFIED_TABLE}`;
  return `COPY (SELECT CAST(${row} AS BIGINT) AS ${row}, ${columns.join(', ')} FROM (${numbered}) WHERE ${quoteIdentifier(VIOLATIONS_KEY)} IS NULL ORDER BY ${row}) TO ${quoteLiteral(outputPath)} (FORMAT parquet)`;
}

async function run(session: DuckDbSession, sql: string, where: string): Promise<void> {
  try {
    await session.connection.run(sql);
  } catch (error) {
    throw new UnreadableFileError(`${where} could not be read: ${firstLine(error)}`, { cause: error });
  }
}
