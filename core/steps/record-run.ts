import * as z from 'zod';
import { withCuratedKeys } from '../manifest/ingest-listing.js';
import { readIngestResults } from '../manifest/ingest-results.js';
import { readObjectList } from '../manifest/object-list.js';
import type { RecordRunDeps, RecordedRun, RunManifest } from '../manifest/run-manifest.js';
import { totalRows, writeManifest } from '../manifest/run-manifest.js';
import { notifyRun } from '../notify/run-notification.js';
import type { MetricsDeps } from '../ports/metrics.js';
import { METRIC_NAMES, noMetrics } from '../ports/metrics.js';
import type { RunReportDeps } from '../report/run-report.js';
import { writeRunReport } from '../report/run-report.js';
import { runContextSchema } from '../run/run-context.js';
import { parseStateInput } from '../run/state-input.js';
import { ingestSectionSchema } from '../run/workflow-state.js';
import { runQuality } from '../quality/ingest-quality-schema.js';

/** The manifest's `quality` entry, when any file was profiled. */
function withRunQuality(files: Parameters<typeof runQuality>[0]): { quality?: NonNullable<ReturnType<typeof runQuality>> } {
  const quality = runQuality(files);
  return quality ? { quality } : {};
}

/** The workflow state when the run reaches RecordRun: later stages' sections pass through into the manifest. */
const inputSchema = z.object({ run: runContextSchema, ingest: ingestSectionSchema.optional() }).passthrough();

/**
 * RecordRun: records a successful run.
 *
 * 1. Reads the whole workflow state: `$.run`, `$.ingest` (absent for a retraining on curated data; each file's result
 *    is read from where the IngestFiles map run wrote it, core/manifest/ingest-results.ts) and whatever later stages added.
 * 2. Builds the run manifest: what went in, what came out (each file's curated keys read back from its listing,
 *    core/manifest/ingest-listing.ts), row counts that reconcile file by file, every stage's section as it came.
 * 3. Writes it to `runs/<pipeline>/<runId>.json`, and beside it the run's HTML report (`<runId>.html`, charts and data
 *    inline, core/report/) when `deps.report` is wired.
 * 4. Sends the run's notification (promoted, not promoted with the gate's reasons, or skipped), if a notifier is wired.
 * 5. Returns it, with its key and with counts in place of the per-file list (the state's 256 KiB), as the execution's output.
 */
export async function recordRun(rawInput: unknown, deps: RecordRunDeps & MetricsDeps & Pick<RunReportDeps, 'report'>): Promise<RecordedRun> {
  const { run, ingest, ...stages } = parseStateInput('RecordRun', inputSchema, rawInput);
  const files = ingest ? (await readIngestResults(deps.store, ingest)).files : [];
  // A folder run's objects are only in its object list: the manifest names every one.
  const objects = run.objectList && run.objects.length === 0 ? await readObjectList(deps.store, run.objectList.bucket, run.objectList.key) : run.objects;
  const manifest: RunManifest = {
    runId: run.runId,
    pipeline: run.pipeline,
    trigger: run.trigger,
    status: 'SUCCEEDED',
    startedAt: run.startedAt,
    finishedAt: deps.clock().toISOString(),
    objects,
    rows: totalRows(files),
    ingest: await withCuratedKeys(files, deps),
    ...withRunQuality(files),
    ...(run.skipped ? { skipped: run.skipped } : {}),
    stages,
  };
  const manifestKey = await writeManifest(manifest, deps);
  deps.logger.info('run recorded', { manifestKey, rows: manifest.rows });
  await writeRunReport(manifest, manifestKey, deps);
  await notifyRun(manifest, deps);
  const seconds = (Date.parse(manifest.finishedAt) - Date.parse(manifest.startedAt)) / 1000;
  if (Number.isFinite(seconds)) (deps.metrics ?? noMetrics).record(METRIC_NAMES.runDuration, 'Seconds', seconds, { pipeline: run.pipeline, status: 'SUCCEEDED' });
  return { ...manifest, objects: run.objects, ingest: { files: files.length, rows: manifest.rows }, manifestKey };
}
