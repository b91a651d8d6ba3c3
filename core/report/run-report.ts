import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from '../log/logger.js';
import type { RunManifest } from '../manifest/run-manifest.js';
import type { ObjectStore } from '../ports/object-store.js';
import { renderRunReport } from './render.js';
import type { ReportSources } from './run-view.js';
import { loadRunView } from './run-view.js';

/** What RecordRun needs to write the run report; without `report` no report is written. */
export interface RunReportDeps {
  store: ObjectStore;
  lakeBucket: string;
  logger: Logger;
  /** Chart.js and what the lake alone does not hold (the workflow, the states' outcomes, the registry). */
  report?: ReportSources;
}

/** The report's key: beside the manifest, `runs/<pipeline>/<runId>.html`. */
export function runReportKey(manifestKey: string): string {
  return manifestKey.replace(/\.json$/, '.html');
}

/**
 * Writes the run's self-contained HTML report beside its manifest and returns its key and size. The report is for
 * people: a failure to build it is logged and the run stays recorded (the manifest is the record).
 */
export async function writeRunReport(manifest: RunManifest, manifestKey: string, deps: RunReportDeps): Promise<{ key: string; bytes: number } | undefined> {
  const sources = deps.report;
  if (!sources) return undefined;
  // Parquet footers (quarantine sample, feature sets) are read from files: S3 objects are copied here first.
  const workDir = await mkdtemp(path.join(tmpdir(), 'sluice-report-'));
  try {
    const view = await loadRunView(manifest, { store: deps.store, bucket: deps.lakeBucket, workDir }, sources);
    const html = renderRunReport(view, await sources.chartLibrary());
    const key = runReportKey(manifestKey);
    await deps.store.putText({ bucket: deps.lakeBucket, key }, html, 'text/html; charset=utf-8');
    const bytes = Buffer.byteLength(html);
    deps.logger.info('run report written', { reportKey: key, bytes });
    return { key, bytes };
  } catch (error) {
    deps.logger.warn('run report not written', { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    return undefined;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
