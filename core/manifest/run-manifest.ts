import type { Logger } from '../log/logger.js';
import type { ModelRegistry } from '../ports/model-registry.js';
import type { Notifier } from '../ports/notifier.js';
import type { ObjectStore } from '../ports/object-store.js';
import { lakeLayout } from '../run/lake-layout.js';
import type { RunContext } from '../run/run-context.js';
import type { RowCounts } from '../run/workflow-state.js';
import type { RunQuality } from '../quality/ingest-quality-schema.js';
import type { FailedIngest } from './ingest-results.js';
import type { ManifestIngestFile } from './ingest-listing.js';

/** What RecordRun and RecordFailure need. */
export interface RecordRunDeps {
  store: ObjectStore;
  /** To reject a candidate whose deployment failed; absent where no model is ever registered. */
  registry?: ModelRegistry;
  logger: Logger;
  lakeBucket: string;
  clock: () => Date;
  /** Sends each finished run's notification (core/notify/run-notification.ts); absent: none is sent. */
  notifier?: Notifier;
}

/** The run manifest: lineage of one run, written to `runs/<pipeline>/<runId>.json`. */
export interface RunManifest {
  runId: string;
  pipeline: string;
  trigger: RunContext['trigger'] | 'unknown';
  status: 'SUCCEEDED' | 'FAILED';
  startedAt: string;
  finishedAt: string;
  objects: RunContext['objects'];
  rows: RowCounts;
  /** One entry per input file: its state result, with the curated keys its listing holds. */
  ingest: ManifestIngestFile[];
  /** Files whose ingest failed (a failed run's map run), with the error each child execution ended with. */
  failedFiles?: FailedIngest[];
  error?: { name: string; message: string };
  /** What the data-quality checks of the run's files found, and the effect the spec gives each (docs/data-quality.md). */
  quality?: RunQuality;
  /**
   * Why a scheduled run trained nothing: no curated data newer than the production model's (the spec's
   * `schedule.whenNoNewData: skip`, core/trigger/new-data.ts).
   */
  skipped?: string;
  /**
   * A failed run's execution (RecordFailure): what to redrive (`arn`, from `failedState`), how it ended, and how many
   * times it had been redriven when it failed this time.
   */
  execution?: { arn: string; status: 'FAILED' | 'TIMED_OUT' | 'ABORTED'; redriveCount: number; failedState?: string };
  /**
   * Sections later stages add (catalog, features, training, evaluation, deployment), kept as they came. `features` is
   * `$.features` (FeatureProgress): its `query` is the run's one feature query, with the bytes it scanned (Athena's
   * DataScannedInBytes: one scan of the table per run) and its engine time.
   */
  stages: Record<string, unknown>;
}

/** Writes a run manifest to `runs/<pipeline>/<runId>.json`; returns its key. */
export async function writeManifest(manifest: RunManifest, deps: Pick<RecordRunDeps, 'store' | 'lakeBucket'>): Promise<string> {
  const key = lakeLayout.runManifestKey(manifest.pipeline, manifest.runId);
  await deps.store.putText({ bucket: deps.lakeBucket, key }, `${JSON.stringify(manifest, null, 2)}\n`, 'application/json');
  return key;
}

/**
 * What RecordRun returns as the execution's output: the manifest without its per-file key lists, which stay in the
 * manifest object (an execution's output is held to the same 256 KiB as a state's).
 */
export type RecordedRun = Omit<RunManifest, 'ingest' | 'objects'> & {
  /** The files' count and the row counts: a run of ten thousand files would not fit the output with every file. */
  ingest: { files: number; rows: RowCounts };
  /** The input objects when the state held them; a folder run's are in its object list and the manifest. */
  objects: RunContext['objects'];
  manifestKey: string;
};

/** Sums the row counts of a run's files. */
export function totalRows(files: readonly { rows: RowCounts }[]): RowCounts {
  return files.reduce((sum, f) => ({ input: sum.input + f.rows.input, valid: sum.valid + f.rows.valid, quarantined: sum.quarantined + f.rows.quarantined }), {
    input: 0,
    valid: 0,
    quarantined: 0,
  });
}
