import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunManifest } from '../../core/manifest/run-manifest.js';
import { runNotification } from '../../core/notify/run-notification.js';
import type { RunOutcome } from '../../core/ports/notifier.js';
import { lakeLayout } from '../../core/run/lake-layout.js';
import type { RecordedNotification } from '../adapters/local-notifier.js';
import { readStepJournal } from '../console/step-journal.js';
import type { StepRecord } from './step-tracker.js';
import { LOCAL_LAKE_BUCKET } from './local-names.js';

/** One run of the lake as `sluice runs` lists it. */
export interface RunListing {
  runId: string;
  pipeline: string;
  trigger: RunManifest['trigger'];
  status: RunManifest['status'];
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  rows: RunManifest['rows'];
  modelVersion?: number;
  /** The gate's decision, or how the run ended without one (core/notify/run-notification.ts). */
  outcome: RunOutcome;
  /** Why a scheduled run trained nothing, or the failed state and error. */
  detail?: string;
  /** The notification the run sent, as the lake recorded it. */
  notification?: RecordedNotification;
}

/** One run in full, as `sluice show` prints it. */
export interface RunDetails {
  listing: RunListing;
  manifest: RunManifest;
  /** Each state with its duration, from the run's step journal (absent for a run recorded without one). */
  steps?: readonly StepRecord[];
}

/** The lake's runs, newest first; only `pipeline`'s when given. */
export async function listRuns(lakeRoot: string, pipeline?: string): Promise<RunListing[]> {
  const runsDir = path.join(lakeRoot, LOCAL_LAKE_BUCKET, 'runs');
  const pipelines = pipeline === undefined ? await readdir(runsDir).catch(() => [] as string[]) : [pipeline];
  const listings: RunListing[] = [];
  for (const name of pipelines) {
    const files = (await readdir(path.join(runsDir, name)).catch(() => [] as string[])).filter((f) => f.endsWith('.json'));
    for (const file of files) {
      const manifest = await readJson<RunManifest>(path.join(runsDir, name, file));
      // Another writer's JSON beside the manifests (none today) is not a run.
      if (manifest?.runId === undefined || manifest.status === undefined) continue;
      listings.push(await listingOf(lakeRoot, manifest));
    }
  }
  return listings.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : a.runId < b.runId ? 1 : -1));
}

/** One run by id, whatever its pipeline; undefined when the lake has no manifest of it. */
export async function showRun(lakeRoot: string, runId: string): Promise<RunDetails | undefined> {
  const runsDir = path.join(lakeRoot, LOCAL_LAKE_BUCKET, 'runs');
  for (const name of await readdir(runsDir).catch(() => [] as string[])) {
    const manifest = await readJson<RunManifest>(path.join(runsDir, name, `${runId}.json`));
    if (manifest === undefined) continue;
    const journal = await readStepJournal(lakeRoot, runId);
    return { listing: await listingOf(lakeRoot, manifest), manifest, ...(journal ? { steps: journal.steps.map((s) => ({ ...s })) } : {}) };
  }
  return undefined;
}

async function listingOf(lakeRoot: string, manifest: RunManifest): Promise<RunListing> {
  const { outcome } = runNotification(manifest, LOCAL_LAKE_BUCKET);
  const evaluation = manifest.stages.evaluation as { candidate?: { version?: unknown } } | undefined;
  const version = evaluation?.candidate?.version;
  const notification = await readJson<RecordedNotification>(path.join(lakeRoot, LOCAL_LAKE_BUCKET, lakeLayout.notificationKey(manifest.pipeline, manifest.runId)));
  const detail = manifest.skipped ?? (manifest.error ? `${manifest.execution?.failedState ?? 'start'}: ${manifest.error.name}: ${manifest.error.message}` : undefined);
  return {
    runId: manifest.runId,
    pipeline: manifest.pipeline,
    trigger: manifest.trigger,
    status: manifest.status,
    startedAt: manifest.startedAt,
    finishedAt: manifest.finishedAt,
    durationMs: Math.max(0, Date.parse(manifest.finishedAt) - Date.parse(manifest.startedAt)),
    rows: manifest.rows,
    ...(typeof version === 'number' ? { modelVersion: version } : {}),
    outcome,
    ...(detail !== undefined ? { detail } : {}),
    ...(notification ? { notification } : {}),
  };
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
