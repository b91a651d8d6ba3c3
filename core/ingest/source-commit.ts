import * as z from 'zod';
import type { Logger } from '../log/logger.js';
import type { ObjectStore } from '../ports/object-store.js';
import { lakeLayout } from '../run/lake-layout.js';

/**
 * How one source's output reaches the lake all at once or not at all, in both runtimes (S3 has no rename, and no
 * transaction over several objects):
 *
 * 1. Before writing anything, the step leaves a *pending* marker under `ingest/<pipeline>/staging/` naming what it
 *    is about to write (its staging folder, the raw archive it makes).
 * 2. Curated and quarantine files are written under the staging folder, which no reader looks at (the crawler, the
 *    catalog and the feature query read `curated/` only).
 * 3. The *commit record* is written: every staged key → final key, and every earlier file of the same source to
 *    delete. Writing this one object is the commit point.
 * 4. The record is applied: staged files moved into place (a rename locally, copy + delete on S3), the earlier files
 *    deleted, the source record written, then the record, the marker and the staging folder removed.
 *
 * The next ingest of the pipeline first recovers (`recoverIngest`): a commit record left by a killed run is applied
 * again (every action is idempotent), so the source ends up fully committed; a pending marker without a commit
 * record is rolled back (its staging folder and its raw archive deleted) when its source is being ingested again or
 * when it is older than any run can be.
 */

/** After this long a pending ingest is abandoned: Lambda stops any invocation at 15 minutes. */
export const ABANDONED_AFTER_MS = 15 * 60 * 1000;

const pendingSchema = z.object({ runId: z.string(), sourceHash: z.string(), stagingPrefix: z.string(), rawKey: z.string().optional(), startedAt: z.string() });

/** What a run is about to write for one source. */
export type PendingIngest = z.infer<typeof pendingSchema>;

/** What the lake remembers of a source (its content hash): which run last ingested it, from which object. */
export const sourceRecordSchema = z.object({
  sourceHash: z.string(),
  ingestDate: z.string(),
  runId: z.string(),
  key: z.string(),
  rawKey: z.string(),
  curatedKeys: z.array(z.string()),
  quarantineKey: z.string().optional(),
  /** Every object key this content arrived under, oldest first. */
  keys: z.array(z.string()),
  committedAt: z.string(),
});

/** The source record: `ingest/<pipeline>/sources/<hash>.json`. */
export type SourceRecord = z.infer<typeof sourceRecordSchema>;

const commitSchema = z.object({
  pending: pendingSchema,
  moves: z.array(z.object({ from: z.string(), to: z.string() })),
  deletes: z.array(z.string()),
  source: sourceRecordSchema,
});

/** The commit record: once written, the source's new output is the lake's, whatever happens next. */
export type CommitRecord = z.infer<typeof commitSchema>;

/** Marks the start of a source's ingest (step 1). */
export async function beginIngest(store: ObjectStore, bucket: string, pipeline: string, pending: PendingIngest): Promise<void> {
  await store.putText({ bucket, key: lakeLayout.pendingKey(pipeline, pending.runId, pending.sourceHash) }, JSON.stringify(pending));
}

/** Writes the commit record (step 3, the commit point) and applies it (step 4). */
export async function commitIngest(store: ObjectStore, bucket: string, pipeline: string, commit: CommitRecord): Promise<void> {
  await store.putText({ bucket, key: lakeLayout.commitKey(pipeline, commit.pending.runId, commit.pending.sourceHash) }, JSON.stringify(commit));
  await applyCommit(store, bucket, pipeline, commit);
}

/** Drops what a run staged for a source that it will not commit (a failed file); the raw archive is kept. */
export async function abandonIngest(store: ObjectStore, bucket: string, pipeline: string, pending: PendingIngest): Promise<void> {
  await store.deletePrefix(bucket, pending.stagingPrefix);
  await store.delete([{ bucket, key: lakeLayout.pendingKey(pipeline, pending.runId, pending.sourceHash) }]);
}

/** The lake's record of a source, or undefined when its content was never committed. */
export async function readSourceRecord(store: ObjectStore, bucket: string, pipeline: string, sourceHash: string): Promise<SourceRecord | undefined> {
  const text = await store.getText({ bucket, key: lakeLayout.sourceRecordKey(pipeline, sourceHash) });
  return text === undefined ? undefined : sourceRecordSchema.parse(JSON.parse(text));
}

async function applyCommit(store: ObjectStore, bucket: string, pipeline: string, commit: CommitRecord): Promise<void> {
  const targets = new Set(commit.moves.map((m) => m.to));
  for (const move of commit.moves) {
    // Applied again after a crash, a move already done has nothing left to move.
    if (!(await store.head({ bucket, key: move.from }))) continue;
    try {
      await store.move({ bucket, key: move.from }, { bucket, key: move.to });
    } catch (error) {
      // Someone else applying the same record (a recovery racing its run) moved it first: the move is done.
      if ((await store.head({ bucket, key: move.from })) || !(await store.head({ bucket, key: move.to }))) throw error;
    }
  }
  await store.delete(commit.deletes.filter((key) => !targets.has(key)).map((key) => ({ bucket, key })));
  await store.putText({ bucket, key: lakeLayout.sourceRecordKey(pipeline, commit.source.sourceHash) }, JSON.stringify(commit.source, null, 2));
  await store.deletePrefix(bucket, commit.pending.stagingPrefix);
  await store.delete([
    { bucket, key: lakeLayout.pendingKey(pipeline, commit.pending.runId, commit.pending.sourceHash) },
    { bucket, key: lakeLayout.commitKey(pipeline, commit.pending.runId, commit.pending.sourceHash) },
  ]);
}

/** What recovery did, for the log and for tests. */
export interface Recovery {
  /** Commit records of killed runs, applied. */
  rolledForward: string[];
  /** Pending ingests of killed runs, undone (staging and raw archive deleted). */
  rolledBack: string[];
}

/**
 * Finishes or undoes what killed runs left for a pipeline (see the module comment): a commit record is applied, a
 * pending ingest of the source about to be ingested (`sourceHash`), or one older than `ABANDONED_AFTER_MS`, is rolled
 * back. A pending ingest of another source that may still be running is left alone.
 */
export async function recoverIngest(
  store: ObjectStore,
  bucket: string,
  pipeline: string,
  options: { sourceHash: string; runId: string; inputKey: string; now: Date; logger: Logger },
): Promise<Recovery> {
  const recovery: Recovery = { rolledForward: [], rolledBack: [] };
  const markers = await store.list(bucket, lakeLayout.ingestStagingPrefix(pipeline));
  const commits = new Set<string>();
  for (const marker of markers.filter((m) => m.key.endsWith(lakeLayout.COMMIT_SUFFIX))) {
    const text = await store.getText(marker);
    if (text === undefined) continue;
    const commit = commitSchema.parse(JSON.parse(text));
    commits.add(lakeLayout.pendingKey(pipeline, commit.pending.runId, commit.pending.sourceHash));
    // Another file of this very run (the workflow maps over files) is applying its own record right now.
    if (commit.pending.runId === options.runId) continue;
    await applyCommit(store, bucket, pipeline, commit);
    recovery.rolledForward.push(marker.key);
  }
  for (const marker of markers.filter((m) => m.key.endsWith(lakeLayout.PENDING_SUFFIX) && !commits.has(m.key))) {
    const text = await store.getText(marker);
    if (text === undefined) continue;
    const pending = pendingSchema.parse(JSON.parse(text));
    // This run's own files: the same file retried restages itself; another file of the run is still being written.
    if (pending.runId === options.runId) continue;
    const abandoned = options.now.getTime() - Date.parse(pending.startedAt) > ABANDONED_AFTER_MS;
    if (pending.sourceHash !== options.sourceHash && !abandoned) continue;
    await store.deletePrefix(bucket, pending.stagingPrefix);
    // A re-run of that very archive (`sluice run raw/…`) keeps it: it is this run's input.
    if (pending.rawKey && pending.rawKey !== options.inputKey) await store.deletePrefix(bucket, pending.rawKey);
    await store.delete([marker]);
    recovery.rolledBack.push(marker.key);
  }
  if (recovery.rolledForward.length + recovery.rolledBack.length > 0) options.logger.warn('recovered the ingests of killed runs', { ...recovery });
  return recovery;
}
