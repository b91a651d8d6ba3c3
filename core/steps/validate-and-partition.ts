import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import path from 'node:path';
import * as z from 'zod';
import type { DuckDbLimits, DuckDbSession } from '../duckdb/open-duckdb.js';
import { openDuckDb } from '../duckdb/open-duckdb.js';
import { AllRowsRejectedError, UnreadableFileError } from '../errors.js';
import { castByRules, contractRules, enumColumns, enumTypesSql, recordRule, typeRules } from '../ingest/contract-rules.js';
import { checkHeader, firstLine, probeFile, readHeader } from '../ingest/inspect-file.js';
import { ingestThreads, readableBytes } from '../ingest/ingest-threads.js';
import type { IngestSqlInput } from '../ingest/ingest-sql.js';
import { CLASSIFIED_COUNTS_SQL, GOOD_ROWS_RELATION, REJECTS_TABLE, classifySql, curatedColumnRanges, curatedCopySql, quarantineCopySql } from '../ingest/ingest-sql.js';
import type { PendingIngest } from '../ingest/source-commit.js';
import { abandonIngest, beginIngest, commitIngest, readSourceRecord, recoverIngest } from '../ingest/source-commit.js';
import type { Logger } from '../log/logger.js';
import { ingestListingKey, writeIngestListing } from '../manifest/ingest-listing.js';
import type { SpecCatalog } from '../pipelines/spec-catalog.js';
import type { PipelineSpec } from '../spec/load-spec.js';
import type { MetricsDeps } from '../ports/metrics.js';
import { METRIC_NAMES, noMetrics } from '../ports/metrics.js';
import type { LocalCopy, ObjectStore } from '../ports/object-store.js';
import { checkIngestQuality, writeSourceProfile } from '../quality/ingest-quality.js';
import { lakeLayout } from '../run/lake-layout.js';
import { runContextSchema, runObjectSchema } from '../run/run-context.js';
import { parseStateInput } from '../run/state-input.js';
import type { IngestResult, RowCounts } from '../run/workflow-state.js';

/** What ValidateAndPartition needs. */
export interface ValidateAndPartitionDeps extends MetricsDeps {
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
 * 1. Identifies the source by its content: the SHA-256 of its bytes, computed while DuckDB reads it (S3's ETag is an
 *    MD5 only for single-part uploads, so it is not used). A re-run of the same bytes, under any name, replaces the rows
 *    it produced; the same bytes under another name are reported (`sameContentAs`).
 * 2. Finishes or undoes what killed runs left (see `core/ingest/source-commit.ts`), then archives the original,
 *    unchanged, under `raw/` before reading it, so it is kept whatever happens.
 * 3. Refuses a file that cannot be read as the declared format (empty, binary, wrong delimiter, missing required or
 *    unknown columns) with UnreadableFileError, writing nothing to `curated/`.
 * 4. Reads the file once with DuckDB into a table of classified rows (spilling to disk past the memory limit),
 *    casting each column to its declared type and checking every contract rule.
 * 5. Writes rejected rows, from that table and the reader's rejects, to one quarantine file with the rule each broke,
 *    and fails with AllRowsRejectedError when no row is good.
 * 6. Stages good rows from that table, then commits them all at once: `curated/<pipeline>/ingest_date=…/<partition keys>/
 *    part-<source hash>-N.parquet`, replacing the files an earlier ingest of the same content wrote.
 * 7. Removes the original from the drop zone once it is archived and committed.
 * 5b. Profiles the good rows with the same DuckDB, once they are staged (the write returns every number's range, so the
 *    profile reads the rows once), and checks them against the pipeline's constraints and the production
 *    model's training profile (core/quality/ingest-quality.ts); a violation the spec says quarantines sets the whole
 *    file aside: its good rows join the quarantine file and none is committed.
 * 8. Writes the curated keys to the run's listing of the file (core/manifest/ingest-listing.ts), and returns the
 *    file's result for `$.ingest.files`: counts, prefixes and the listing's key, row counts that reconcile; no key list,
 *    whose size would grow with the partitions.
 */
export async function validateAndPartition(rawInput: unknown, deps: ValidateAndPartitionDeps): Promise<IngestResult> {
  const started = Date.now();
  const { run, object } = parseStateInput('ValidateAndPartition', validateAndPartitionInputSchema, rawInput);
  const spec = deps.specs.get(run.pipeline);
  const where = `s3://${object.bucket}/${object.key}`;
  const bucket = run.bucket;

  const scratch = path.join(deps.workDir, run.runId, createHash('sha256').update(`${object.bucket}/${object.key}`).digest('hex').slice(0, 16));
  const stagingDir = path.join(scratch, 'staging');
  // DuckDB builds its catalog (about 20 ms) on a pool thread while this one clears the scratch folder and fetches the
  // file; it creates its spill folder only when it first spills, so clearing the scratch folder meanwhile is safe.
  const opening = settle(openDuckDb({ ...deps.duckdb, threads: 1, tempDirectory: path.join(scratch, 'spill') }));
  let local: LocalCopy;
  try {
    await rm(scratch, { recursive: true, force: true });
    await mkdir(stagingDir, { recursive: true });
    local = await deps.store.localCopy(object, scratch);
  } catch (error) {
    const opened = await opening;
    if ('value' in opened) opened.value.close();
    throw error;
  }
  let session: DuckDbSession | undefined;
  let classifying: Promise<unknown> | undefined;
  let uploading: Promise<unknown> | undefined;
  let pending: PendingIngest | undefined;
  let committed = false;
  try {
    const opened = await opening;
    if ('error' in opened) throw opened.error;
    const db = (session = opened.value);
    // Threads by the file's size: a small file is read by one scanner, and a second thread only adds work (ingest-threads.ts).
    const threads = ingestThreads(await readableBytes(local.path, isGzip(object.key)), deps.duckdb.threads);
    if (threads > 1) await db.connection.run(`SET threads = ${threads}`);
    // DuckDB reads the file on its own threads while this one hashes it and archives it: the file is read for its rows
    // and for its identity at the same time (issue 16). A file DuckDB cannot read is refused after it is archived.
    let readStarted = (): void => {};
    const handedOver = new Promise<void>((resolve) => (readStarted = resolve));
    const reading = settle(classifyFile(db, spec, local.path, object.key, where, stagingDir, deps.logger, readStarted));
    classifying = reading;
    // The hash and the archive start once DuckDB has the read (or the file was refused before it): before, their turns
    // on this thread delayed the checks that precede the read, so the read started later than it had to.
    await Promise.race([handedOver, reading]);
    const contentHash = await sha256File(local.path);
    const sourceHash = contentHash.slice(0, 16);
    await recoverIngest(deps.store, bucket, spec.name, { sourceHash, runId: run.runId, inputKey: object.key, now: new Date(), logger: deps.logger });
    const earlier = await readSourceRecord(deps.store, bucket, spec.name, sourceHash);
    // A re-run lands in the partition of the first ingest; new content is dated by its upload.
    const ingestDate = earlier?.ingestDate ?? (object.lastModified ?? run.startedAt).slice(0, 10);
    const archived = object.bucket === bucket && lakeLayout.parseRawKey(spec.name, object.key) !== undefined;
    const rawKey = archived ? object.key : lakeLayout.rawKey(spec.name, ingestDate, run.runId, object.key.split('/').pop() ?? 'input');
    const stagingPrefix = lakeLayout.stagingPrefix(spec.name, run.runId, sourceHash);
    pending = { runId: run.runId, sourceHash, stagingPrefix, ...(archived ? {} : { rawKey }), startedAt: new Date().toISOString() };
    await beginIngest(deps.store, bucket, spec.name, pending);
    await deps.store.deletePrefix(bucket, stagingPrefix);
    if (!archived) await deps.store.copy(object, { bucket, key: rawKey });
    // "Another name" is another file name: the same file dropped again, in any folder or from its raw/ archive, is a re-run.
    const sameContentAs = earlier && fileName(earlier.key) !== fileName(object.key) ? { runId: earlier.runId, key: earlier.key } : undefined;
    if (sameContentAs) {
      deps.logger.warn('same content as an earlier file: its rows are replaced, not added', { object: where, earlier: `s3://${bucket}/${earlier?.key ?? ''}`, run: earlier?.runId });
    }

    const classified = await reading;
    if ('error' in classified) throw classified.error;
    const { counts } = classified.value;
    const sql: IngestSqlInput = { ...classified.value.sql, sourceHash, ingestDate };
    const accepted: RowCounts = { input: counts.read + counts.rejectedLines, valid: counts.read - counts.broken, quarantined: counts.broken + counts.rejectedLines };
    if (accepted.input === 0) throw new UnreadableFileError(`${where} has a header but no rows`);
    // Staged before the profile, whose numbers' ranges come back with the write (issue 15: one profile scan instead of
    // two). A file the profile sets aside leaves its staged files unused: they are in scratch, never uploaded.
    const written = accepted.valid > 0 ? await runIngestSql(db, curatedCopySql(sql), where) : [];
    const curatedPrefix = lakeLayout.curatedPrefix(spec.name);
    // The staged files are uploaded while DuckDB profiles the rows: the one waits on the network (or the disk), the
    // other on the CPU. Files of a file set aside are never moved, and the commit deletes its staging folder.
    const staging = settle(accepted.valid > 0 ? stageCurated(deps.store, bucket, stagingDir, stagingPrefix, curatedPrefix) : Promise.resolve([]));
    uploading = staging;
    const checked =
      spec.quality.profile && accepted.valid > 0
        ? await checkIngestQuality({
            session: db,
            relation: GOOD_ROWS_RELATION,
            spec,
            store: deps.store,
            bucket,
            runId: run.runId,
            sourceHash,
            fileColumns: classified.value.sql.header.filter((name) => spec.contract.columns.some((c) => c.name === name)),
            extraColumns: classified.value.extraColumns,
            ranges: curatedColumnRanges(written),
            logger: deps.logger,
          })
        : undefined;
    const setAside = checked?.quality.effect === 'quarantine' ? checked.quality.findings.filter((f) => f.effect === 'quarantine') : undefined;
    const rows: RowCounts = setAside ? { input: accepted.input, valid: 0, quarantined: accepted.input } : accepted;
    const staged = await staging;
    if ('error' in staged) throw staged.error;

    let quarantineKey: string | undefined;
    const moves: { from: string; to: string }[] = [];
    if (rows.quarantined > 0) {
      quarantineKey = lakeLayout.quarantineKey(spec.name, ingestDate, run.runId, sourceHash);
      const quarantineFile = path.join(scratch, 'quarantine.parquet');
      const setAsideBecause = setAside ? `data quality: ${setAside.map((f) => `${f.kind} (${f.features.join(', ')})`).join('; ')}` : undefined;
      await runIngestSql(
        db,
        quarantineCopySql(sql, { hasRejects: counts.rejectedLines > 0, hasRuleViolations: counts.broken > 0, outputPath: quarantineFile, ...(setAsideBecause ? { setAsideBecause } : {}) }),
        where,
      );
      const stagedKey = `${stagingPrefix}${quarantineKey}`;
      await deps.store.putFile(quarantineFile, { bucket, key: stagedKey }, 'application/vnd.apache.parquet');
      moves.push({ from: stagedKey, to: quarantineKey });
    }
    const curatedKeys: string[] = [];
    if (rows.valid > 0) {
      for (const move of staged.value) {
        moves.push(move);
        curatedKeys.push(move.to);
      }
    }
    // Everything an earlier ingest of the same content wrote is replaced, whichever run and partition it was in.
    const previous = [
      ...(await deps.store.list(bucket, curatedPrefix)).filter((o) => (o.key.split('/').pop() ?? '').startsWith(`part-${sourceHash}-`)),
      ...(await deps.store.list(bucket, lakeLayout.quarantinePrefix(spec.name))).filter((o) => o.key.endsWith(`-${sourceHash}.parquet`)),
    ].map((o) => o.key);
    const keys = earlier && !earlier.keys.includes(object.key) ? [...earlier.keys, object.key] : (earlier?.keys ?? [object.key]);
    await commitIngest(deps.store, bucket, spec.name, {
      pending,
      moves,
      deletes: previous,
      source: {
        sourceHash,
        ingestDate,
        runId: run.runId,
        key: object.key,
        rawKey,
        curatedKeys: curatedKeys.sort(),
        ...(quarantineKey ? { quarantineKey } : {}),
        keys,
        committedAt: new Date().toISOString(),
      },
    });
    committed = true;
    // The training set's profile is merged from the profiles of the sources the curated table keeps.
    if (checked) await writeSourceProfile(deps.store, bucket, spec.name, sourceHash, setAside ? undefined : checked);
    if (rows.valid === 0 && !setAside) {
      throw new AllRowsRejectedError(`${where}: all ${rows.input} rows broke the data contract; they are in s3://${bucket}/${quarantineKey ?? ''}`);
    }
    // The keys go to the lake, the state gets counts (core/manifest/ingest-listing.ts): thousands of partitions would
    // push `$.ingest` past Step Functions' 256 KiB. Written before the drop zone is cleared, so a retry redoes both.
    const listingKey = ingestListingKey(spec.name, run.runId, object);
    await writeIngestListing(deps.store, bucket, listingKey, { source: where, curatedKeys });
    if (object.key.startsWith(spec.source.prefix)) await deps.store.delete([object]);
    const result: IngestResult = {
      source: object,
      sourceHash,
      ingestDate,
      rawKey,
      curatedPrefix,
      curatedFiles: curatedKeys.length,
      partitions: new Set(curatedKeys.map((k) => k.slice(0, k.lastIndexOf('/')))).size,
      listingKey,
      ...(quarantineKey ? { quarantineKey } : {}),
      ...(sameContentAs ? { sameContentAs } : {}),
      rows,
      durationMs: Date.now() - started,
      ...(checked ? { quality: checked.quality } : {}),
    };
    deps.logger.info('file ingested', { object: where, rows, files: curatedKeys.length });
    recordRows(deps.metrics ?? noMetrics, spec.name, rows);
    return result;
  } finally {
    // Never close DuckDB under a running query: a failed hash or archive waits for the read to end; nor abandon the
    // staging folder under a running upload, which would leave files there after it is gone.
    await classifying;
    await uploading;
    session?.close();
    // A file that failed leaves nothing staged; its raw archive stays, as the README promises.
    if (pending && !committed) await abandonIngest(deps.store, bucket, spec.name, pending);
    await local.release();
    await rm(scratch, { recursive: true, force: true });
  }
}

/** What the one read of a file leaves: the SQL inputs that do not depend on its identity, and its counts. */
interface ClassifiedFile {
  sql: Omit<IngestSqlInput, 'sourceHash' | 'ingestDate'>;
  /** Columns of the file the contract does not declare (dropped, or the file refused, by `unknownColumns`). */
  extraColumns: string[];
  counts: { read: number; broken: number; rejectedLines: number };
}

/**
 * Steps 3 and 4: refuses a file that cannot be read as the declared format, then reads it once into DuckDB's table of
 * classified rows (`classifySql`) and counts them. `started` is called once the read is handed to DuckDB.
 */
async function classifyFile(
  session: DuckDbSession,
  spec: PipelineSpec,
  file: string,
  key: string,
  where: string,
  stagingDir: string,
  logger: Logger,
  started: () => void,
): Promise<ClassifiedFile> {
  await probeFile(file, where, isGzip(key));
  const fileHeader = await readHeader(session, spec, file, where);
  const { header, sourceNames, unknown } = checkHeader(spec, fileHeader, where);
  if (unknown.length > 0) logger.warn('unknown columns dropped', { columns: unknown, object: where });

  const present = spec.contract.columns.filter((c) => header.includes(c.name));
  const format = spec.source.format;
  const csv = format === 'csv';
  // One script for every type: one trip through the binding, not one per enum column.
  const types = csv ? enumTypesSql(spec.contract.columns) : [];
  if (types.length > 0) await session.connection.run(types.join(';\n'));
  const fromText = present.filter((c) => castByRules(c, format));
  const valueRules = contractRules(spec.contract.columns, {
    castFromText: fromText.map((c) => c.name),
    ...(csv ? { allowedCheckedByReader: enumColumns(spec.contract.columns).map((c) => c.name) } : {}),
  });
  const typed = typeRules(fromText, valueRules.length + 1);
  const rules = csv ? [...valueRules, ...typed] : [recordRule(valueRules.length + typed.length + 1), ...valueRules, ...typed];
  const sql = { spec, rules, header, sourceNames, inputPath: file, stagingDir };
  // Neither the hash nor the date is part of the table: the curated copy adds them once they are known.
  const read = runIngestSql(session, classifySql({ ...sql, sourceHash: '', ingestDate: '' }), where);
  started();
  await read;
  const [classified] = await session.rows(CLASSIFIED_COUNTS_SQL);
  const [rejected] = await session.rows(`SELECT count(DISTINCT line) AS n FROM ${REJECTS_TABLE}`);
  return { sql, extraColumns: unknown, counts: { read: Number(classified?.read ?? 0), broken: Number(classified?.broken ?? 0), rejectedLines: Number(rejected?.n ?? 0) } };
}

/** A gzip file, by its name: DuckDB's CSV reader decompresses it by its extension too. */
function isGzip(key: string): boolean {
  return /\.gz$/i.test(key);
}

/** A promise that never rejects: its outcome, to act on once the work that must come first is done. */
async function settle<T>(promise: Promise<T>): Promise<{ value: T } | { error: unknown }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}

/** SHA-256 of a file, streamed: the source's identity, the same in both runtimes whatever the upload did. */
async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  // 1 MiB reads: the default 64 KiB chunks cost three times the CPU for the same hash (measured on a 200 MB file).
  await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), hash);
  return hash.digest('hex');
}

async function runIngestSql(session: DuckDbSession, sql: string, where: string): Promise<Record<string, unknown>[]> {
  try {
    return await session.rows(sql);
  } catch (error) {
    throw new UnreadableFileError(`${where} could not be read: ${firstLine(error)}`, { cause: error });
  }
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

/** Uploads the curated files DuckDB staged locally to the lake's staging folder; returns the moves that commit them. */
async function stageCurated(store: ObjectStore, bucket: string, stagingDir: string, stagingPrefix: string, curatedPrefix: string): Promise<{ from: string; to: string }[]> {
  const moves: { from: string; to: string }[] = [];
  for (const file of await listFiles(stagingDir)) {
    const key = curatedPrefix + path.relative(stagingDir, file).split(path.sep).map(hiveSegment).join('/');
    const stagedKey = `${stagingPrefix}${key}`;
    await store.putFile(file, { bucket, key: stagedKey }, 'application/vnd.apache.parquet');
    moves.push({ from: stagedKey, to: key });
  }
  return moves;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && e.name.endsWith('.parquet')).map((e) => path.join(e.parentPath, e.name)).sort();
}

/** The last segment of an object key: the name a user gave the file. */
function fileName(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

/** One file's rows as metrics: in, valid, quarantined and the quarantine rate (the dashboard's data-quality graph). */
function recordRows(metrics: NonNullable<MetricsDeps['metrics']>, pipeline: string, rows: RowCounts): void {
  const dimensions = { pipeline };
  metrics.record(METRIC_NAMES.rowsIn, 'Count', rows.input, dimensions);
  metrics.record(METRIC_NAMES.rowsValid, 'Count', rows.valid, dimensions);
  metrics.record(METRIC_NAMES.rowsQuarantined, 'Count', rows.quarantined, dimensions);
  if (rows.input > 0) metrics.record(METRIC_NAMES.quarantineRate, 'Percent', (100 * rows.quarantined) / rows.input, dimensions);
}
