import { createHash } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import type { DuckDbLimits } from '../duckdb/open-duckdb.js';
import { openDuckDb } from '../duckdb/open-duckdb.js';
import { AllRowsRejectedError, UnreadableFileError } from '../errors.js';
import { contractRules, enumColumns, enumTypesSql, typeRules } from '../ingest/contract-rules.js';
import { checkHeader, firstLine, probeFile, readHeader } from '../ingest/inspect-file.js';
import type { IngestSqlInput } from '../ingest/ingest-sql.js';
import { GOOD_ROWS_FOLDER, REJECTS_TABLE, quarantineCopySql, stagingCopySql } from '../ingest/ingest-sql.js';
import type { Logger } from '../log/logger.js';
import type { SpecCatalog } from '../pipelines/spec-catalog.js';
import type { ObjectStore } from '../ports/object-store.js';
import { lakeLayout } from '../run/lake-layout.js';
import type { RunObject } from '../run/run-context.js';
import { runContextSchema, runObjectSchema } from '../run/run-context.js';
import { parseStateInput } from '../run/state-input.js';
import type { IngestResult, RowCounts } from '../run/workflow-state.js';

/** What ValidateAndPartition needs. */
export interface ValidateAndPartitionDeps {
  store: ObjectStore;
  specs: SpecCatalog;
  logger: Logger;
  /** Scratch space (Lambda: /tmp); the step cleans up after itself. */
  workDir: string;
  duckdb: Omit<DuckDbLimits, 'tempDirectory'>;
}

/** The state input: the run and one of its objects (the workflow maps over the run's objects). */
export const validateAndPartitionInputSchema = z.object({ run: runContextSchema, object: runObjectSchema }).strict();

/**
 * ValidateAndPartition, for one input file (the workflow maps over the run's objects):
 *
 * 1. Archives the original, unchanged, under `raw/` before anything else, so it is kept whatever happens.
 * 2. Refuses a file that cannot be read as the declared format (empty, binary, wrong delimiter, missing required or
 *    unknown columns) with UnreadableFileError, writing nothing to `curated/`.
 * 3. Reads the file once with DuckDB (streamed, spilling to disk past the memory limit), casting each column to its
 *    declared type and checking every contract rule.
 * 4. Writes rejected rows to one quarantine file with the rule each broke, and fails with AllRowsRejectedError when no
 *    row is good.
 * 5. Writes good rows to `curated/<pipeline>/ingest_date=…/<partition keys>/part-<source hash>-N.parquet`, replacing
 *    the files an earlier run of the same object wrote.
 * 6. Removes the original from the drop zone once it is archived and ingested.
 * 7. Returns the file's result (keys written, row counts that reconcile) for `$.ingest.files`.
 */
export async function validateAndPartition(rawInput: unknown, deps: ValidateAndPartitionDeps): Promise<IngestResult> {
  const started = Date.now();
  const { run, object } = parseStateInput('ValidateAndPartition', validateAndPartitionInputSchema, rawInput);
  const spec = deps.specs.get(run.pipeline);
  const where = `s3://${object.bucket}/${object.key}`;
  const { sourceHash, ingestDate, rawKey } = await sourceIdentity(deps.store, run, object);
  if (rawKey !== object.key) await deps.store.copy(object, { bucket: run.bucket, key: rawKey });

  const scratch = path.join(deps.workDir, run.runId, sourceHash);
  const stagingDir = path.join(scratch, 'staging');
  await rm(scratch, { recursive: true, force: true });
  await mkdir(stagingDir, { recursive: true });
  const local = await deps.store.localCopy(object, scratch);
  const session = await openDuckDb({ ...deps.duckdb, tempDirectory: path.join(scratch, 'spill') });
  try {
    await probeFile(local.path, where, /\.gz$/i.test(object.key));
    const header = await readHeader(session, spec, local.path, where);
    const { unknown } = checkHeader(spec, header, where);
    if (unknown.length > 0) deps.logger.warn('unknown columns dropped', { columns: unknown, object: where });

    const present = spec.contract.columns.filter((c) => header.includes(c.name));
    const csv = spec.source.format === 'csv';
    if (csv) for (const statement of enumTypesSql(spec.contract.columns)) await session.connection.run(statement);
    const valueRules = contractRules(spec.contract.columns, csv ? { allowedCheckedByReader: enumColumns(spec.contract.columns).map((c) => c.name) } : {});
    const rules = csv ? valueRules : [...valueRules, ...typeRules(present, valueRules.length + 1)];
    const sql: IngestSqlInput = { spec, rules, header, inputPath: local.path, stagingDir, sourceHash, ingestDate };

    const staged = await runIngestSql(session, stagingCopySql(sql), where);
    const stagedRows = Number(staged[0]?.Count ?? 0);
    const rejectedLines = spec.source.format === 'csv' ? Number((await session.rows(`SELECT count(DISTINCT line) AS n FROM ${REJECTS_TABLE}`))[0]?.n ?? 0) : 0;
    const goodFiles = await listFiles(path.join(stagingDir, GOOD_ROWS_FOLDER));
    const valid = goodFiles.length > 0 ? Number((await session.rows(`SELECT count(*) AS n FROM read_parquet([${goodFiles.map((f) => `'${f.replaceAll("'", "''")}'`).join(', ')}])`))[0]?.n ?? 0) : 0;
    const rows: RowCounts = { input: stagedRows + rejectedLines, valid, quarantined: stagedRows - valid + rejectedLines };
    if (rows.input === 0) throw new UnreadableFileError(`${where} has a header but no rows`);

    let quarantineKey: string | undefined;
    if (rows.quarantined > 0) {
      quarantineKey = lakeLayout.quarantineKey(spec.name, ingestDate, run.runId, sourceHash);
      const quarantineFile = path.join(scratch, 'quarantine.parquet');
      await runIngestSql(session, quarantineCopySql(sql, { hasRejects: rejectedLines > 0, hasRuleViolations: stagedRows > valid, outputPath: quarantineFile }), where);
      await deps.store.putFile(quarantineFile, { bucket: run.bucket, key: quarantineKey }, 'application/vnd.apache.parquet');
    }
    if (rows.valid === 0) {
      throw new AllRowsRejectedError(`${where}: all ${rows.input} rows broke the data contract; they are in s3://${run.bucket}/${quarantineKey ?? ''}`);
    }

    const curatedPrefix = lakeLayout.curatedPrefix(spec.name);
    const curatedKeys = await replaceCuratedFiles(deps.store, run.bucket, curatedPrefix, sourceHash, stagingDir, goodFiles);
    if (object.key.startsWith(spec.source.prefix)) await deps.store.delete([object]);
    const result: IngestResult = {
      source: object,
      sourceHash,
      ingestDate,
      rawKey,
      curatedPrefix,
      curatedKeys,
      ...(quarantineKey ? { quarantineKey } : {}),
      rows,
      durationMs: Date.now() - started,
    };
    deps.logger.info('file ingested', { object: where, rows, files: curatedKeys.length });
    return result;
  } finally {
    session.close();
    await local.release();
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Where a file's rows come from, which decides the names of the files they land in. An object from the drop zone
 * is identified by bucket, key and version, and dated by its upload. An original archived by an earlier run keeps
 * that run's identity, read from its manifest, so re-running it replaces the rows it produced instead of adding them
 * again.
 */
async function sourceIdentity(
  store: ObjectStore,
  run: { pipeline: string; runId: string; bucket: string; startedAt: string },
  object: RunObject,
): Promise<{ sourceHash: string; ingestDate: string; rawKey: string }> {
  const archived = lakeLayout.parseRawKey(run.pipeline, object.key);
  if (archived && object.bucket === run.bucket) {
    const text = await store.getText({ bucket: run.bucket, key: lakeLayout.runManifestKey(run.pipeline, archived.runId) });
    const earlier = text ? (JSON.parse(text) as { ingest?: IngestResult[] }).ingest?.find((f) => f.rawKey === object.key) : undefined;
    if (earlier) return { sourceHash: earlier.sourceHash, ingestDate: earlier.ingestDate, rawKey: object.key };
  }
  const version = object.versionId ?? object.etag ?? '';
  const sourceHash = createHash('sha256').update(`${object.bucket}\n${object.key}\n${version}`).digest('hex').slice(0, 16);
  // The ingest date is the object's, not the run's: a re-run of the same object lands in the same partition.
  const ingestDate = (object.lastModified ?? run.startedAt).slice(0, 10);
  const fileName = object.key.split('/').pop() ?? 'input';
  return { sourceHash, ingestDate, rawKey: lakeLayout.rawKey(run.pipeline, ingestDate, run.runId, fileName) };
}

async function runIngestSql(session: Awaited<ReturnType<typeof openDuckDb>>, sql: string, where: string): Promise<Record<string, unknown>[]> {
  try {
    return await session.rows(sql);
  } catch (error) {
    throw new UnreadableFileError(`${where} could not be read: ${firstLine(error)}`, { cause: error });
  }
}

/** Puts a run's good files in place, first removing every file an earlier run of the same source wrote. */
async function replaceCuratedFiles(
  store: ObjectStore,
  bucket: string,
  curatedPrefix: string,
  sourceHash: string,
  stagingDir: string,
  goodFiles: readonly string[],
): Promise<string[]> {
  const mine = `part-${sourceHash}-`;
  const previous = (await store.list(bucket, curatedPrefix)).filter((o) => (o.key.split('/').pop() ?? '').startsWith(mine));
  await store.delete(previous);
  const goodRoot = path.join(stagingDir, GOOD_ROWS_FOLDER);
  const keys: string[] = [];
  for (const file of goodFiles) {
    const key = curatedPrefix + path.relative(goodRoot, file).split(path.sep).map(hiveSegment).join('/');
    await store.putFile(file, { bucket, key }, 'application/vnd.apache.parquet');
    keys.push(key);
  }
  return keys.sort();
}

/** Characters Hive (and so Glue and Athena) escapes in partition folder names; a space is not one of them. */
// eslint-disable-next-line no-control-regex -- Hive escapes control characters too.
const HIVE_ESCAPED = /["#%'*/:=?\\\x00-\x1f\x7f{[\]^]/g;

/**
 * Re-encodes a `key=value` folder DuckDB wrote (which percent-encodes spaces and more) the way Hive does, so the
 * value Glue catalogs is the value in the data.
 */
export function hiveSegment(segment: string): string {
  const eq = segment.indexOf('=');
  if (eq < 0 || segment.endsWith('.parquet')) return segment;
  const value = decodeURIComponent(segment.slice(eq + 1));
  return `${segment.slice(0, eq)}=${value.replace(HIVE_ESCAPED, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)}`;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && e.name.endsWith('.parquet')).map((e) => path.join(e.parentPath, e.name)).sort();
}
