import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { RunManifest } from '../../core/manifest/run-manifest.js';
import { numberField, record, stringField } from '../../core/report/html.js';
import type { EndpointView } from '../../core/report/run-view.js';
import { liveServer } from '../runtime/endpoint-launcher.js';
import { LOCAL_ENDPOINT_PREFIX, LOCAL_LAKE_BUCKET } from '../runtime/local-names.js';
import { readRequestCounts } from './request-counter.js';
import { listStepJournals } from './step-journal.js';

/** One run as the runs list shows it. */
export interface RunRow {
  readonly runId: string;
  readonly pipeline: string;
  readonly status: 'SUCCEEDED' | 'FAILED' | 'RUNNING';
  readonly trigger: string;
  readonly startedAt: string;
  readonly durationMs?: number;
  readonly rows?: { readonly input: number; readonly valid: number; readonly quarantined: number };
  readonly modelVersion?: number;
  /** `promoted`, `kept` (the gate kept production), or none. */
  readonly gate?: string;
  /** A running run's current state; a failed run's failed state. */
  readonly state?: string;
}

/** The lake's bucket folder (`<lake>/lake`). */
export function bucketDir(lakeRoot: string): string {
  return path.join(lakeRoot, LOCAL_LAKE_BUCKET);
}

/** A run's manifest, or undefined when it has none (yet). */
export async function readManifest(lakeRoot: string, pipeline: string, runId: string): Promise<RunManifest | undefined> {
  try {
    return JSON.parse(await readFile(path.join(bucketDir(lakeRoot), 'runs', pipeline, `${runId}.json`), 'utf8')) as RunManifest;
  } catch {
    return undefined;
  }
}

/** The pipelines that have runs, a registry or a journal in the lake. */
export async function listPipelines(lakeRoot: string): Promise<string[]> {
  const names = new Set<string>();
  for (const folder of ['runs', 'registry']) for (const name of await readdir(path.join(bucketDir(lakeRoot), folder)).catch(() => [] as string[])) names.add(name);
  for (const journal of await listStepJournals(lakeRoot)) names.add(journal.pipeline);
  return [...names].sort();
}

/**
 * Every run of the lake, newest first: the recorded ones from their manifests, and the ones still running from their
 * step journals (a journal without a manifest, updated by a live run).
 */
export async function listRuns(lakeRoot: string): Promise<RunRow[]> {
  const rows = new Map<string, RunRow>();
  const runsDir = path.join(bucketDir(lakeRoot), 'runs');
  for (const pipeline of await readdir(runsDir).catch(() => [] as string[])) {
    const files = (await readdir(path.join(runsDir, pipeline)).catch(() => [] as string[])).filter((f) => f.endsWith('.json'));
    const manifests = await Promise.all(files.map((f) => readManifest(lakeRoot, pipeline, f.slice(0, -'.json'.length))));
    for (const m of manifests) if (m) rows.set(m.runId, runRow(m));
  }
  for (const journal of await listStepJournals(lakeRoot)) {
    if (rows.has(journal.runId)) continue;
    const last = journal.steps.at(-1);
    rows.set(journal.runId, {
      runId: journal.runId,
      pipeline: journal.pipeline,
      status: journal.steps.some((s) => s.status === 'FAILED') ? 'FAILED' : 'RUNNING',
      trigger: 'manual',
      startedAt: journal.startedAt,
      durationMs: Date.parse(journal.updatedAt) - Date.parse(journal.startedAt),
      ...(last ? { state: last.name } : {}),
    });
  }
  return [...rows.values()].sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.runId.localeCompare(a.runId));
}

/** A recorded run's row. */
export function runRow(m: RunManifest): RunRow {
  const evaluation = record(m.stages['evaluation']);
  const candidate = record(evaluation?.['candidate']);
  const version = numberField(candidate?.['version']);
  const durationMs = Date.parse(m.finishedAt) - Date.parse(m.startedAt);
  return {
    runId: m.runId,
    pipeline: m.pipeline,
    status: m.status,
    trigger: m.trigger,
    startedAt: m.startedAt,
    ...(Number.isFinite(durationMs) ? { durationMs } : {}),
    rows: m.rows,
    ...(version === undefined ? {} : { modelVersion: version }),
    ...(evaluation ? { gate: evaluation['promote'] === true ? 'promoted' : 'kept' } : {}),
    ...(m.execution?.failedState ? { state: m.execution.failedState } : {}),
  };
}

/**
 * A pipeline's local endpoint: the version its pointer names and since when, whether a server answers, and the
 * requests it answered (`requests.json`, written by the server).
 */
export async function endpointOf(lakeRoot: string, pipeline: string): Promise<EndpointView | undefined> {
  const name = `${LOCAL_ENDPOINT_PREFIX}${pipeline}`;
  const dir = path.join(lakeRoot, 'endpoints', name);
  let pointer: Record<string, unknown> | undefined;
  try {
    pointer = record(JSON.parse(await readFile(path.join(dir, 'pointer.json'), 'utf8')));
  } catch {
    return undefined;
  }
  const [server, requests] = await Promise.all([liveServer(dir), readRequestCounts(dir)]);
  const version = numberField(pointer?.['version']);
  const since = stringField(pointer?.['deployedAt']);
  return {
    name,
    ...(version === undefined ? {} : { version }),
    ...(since === undefined ? {} : { since }),
    ...(server ? { url: server.url } : {}),
    live: server !== undefined,
    ...(requests ? { requests } : {}),
  };
}

/**
 * A stamp that changes when anything the console shows changes: the newest modification time among the folders
 * runs, journals and registry records are written to (each is written by a rename, which touches its folder) and the
 * endpoints' record files. The pages poll it and reload when it moves.
 */
export async function lakeStamp(lakeRoot: string): Promise<string> {
  const bucket = bucketDir(lakeRoot);
  const folders = [path.join(lakeRoot, 'logs'), path.join(bucket, 'runs'), path.join(bucket, 'registry'), path.join(lakeRoot, 'endpoints')];
  for (const parent of [path.join(bucket, 'runs'), path.join(bucket, 'registry')]) {
    for (const name of await readdir(parent).catch(() => [] as string[])) folders.push(path.join(parent, name));
  }
  // An endpoint's folder changes every second while its server watches it (the pointer's supervision): its records'
  // own files are what the console shows.
  for (const name of await readdir(path.join(lakeRoot, 'endpoints')).catch(() => [] as string[])) {
    for (const file of ['pointer.json', 'server.json', 'requests.json']) folders.push(path.join(lakeRoot, 'endpoints', name, file));
  }
  const times = await Promise.all(folders.map((f) => stat(f).then((s) => s.mtimeMs).catch(() => 0)));
  return String(Math.max(0, ...times));
}
