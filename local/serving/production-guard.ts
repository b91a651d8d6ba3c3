/**
 * What a local endpoint may serve: the registry's production model, or the candidate a live deployment is putting
 * on it, or nothing. A run killed after Deploy moved the pointer, or a deployment that failed (its candidate is then
 * Rejected by RecordFailure), must not leave the candidate serving: the guard puts the production model back, or,
 * when there is none, takes the pointer away so that the server stops.
 *
 * The pointer says where its registry is (`registryDir`), which lake holds the registry's `s3://` artifacts
 * (`lakeRoot`: `s3://<bucket>/<key>` is `<lakeRoot>/<bucket>/<key>`) and, while a deployment is in flight, which process is
 * deploying (`deployment`). A pointer without `registryDir` (one written by hand or by a test) is left alone.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { isProcessAlive, withLock } from '../runtime/pipeline-lock.js';
import { readModelPointer, writeModelPointer } from './model-pointer.js';
import type { ModelPointer } from './model-pointer.js';

/** The process deploying the pointer's model: while it lives, a candidate pending approval may be served. */
export interface DeploymentMark {
  pid: number;
  startTicks: string | null;
  hostname: string;
  /** Which deployer (one per run) wrote the pointer: runs in one process share the pid. */
  owner?: string;
}

/** The registry fields the guard reads (a subset of a model version record). */
interface RegistryRecord {
  version: number;
  status: string;
  modelArtifact: string;
}

/** What the guard found, and did. */
export type GuardVerdict =
  | { readonly action: 'keep'; readonly version: number | undefined }
  | { readonly action: 'restored'; readonly version: number; readonly reason: string }
  | { readonly action: 'cleared'; readonly reason: string };

/** The lock serialising writers of an endpoint's pointer: Deploy, and the guard putting production back. */
export function endpointLockFile(endpointDir: string): string {
  return path.join(endpointDir, '.lock');
}

/**
 * Checks the pointer of an endpoint folder against its registry and repairs it: keeps it when it names the
 * production version or a candidate whose deployment is still running; otherwise points it at the production
 * version, or removes it when nothing is in production.
 */
export async function enforceProduction(pointerFile: string): Promise<GuardVerdict> {
  if (!existsSync(pointerFile)) return { action: 'keep', version: undefined };
  // The folder is not created: a lake deleted under a running server must stay deleted.
  return withLock(endpointLockFile(path.dirname(pointerFile)), 'checking the served model against the registry', async () => {
    let pointer: ModelPointer;
    try {
      pointer = readModelPointer(pointerFile);
    } catch {
      return { action: 'keep', version: undefined };
    }
    const registryDir = typeof pointer.registryDir === 'string' ? pointer.registryDir : undefined;
    if (registryDir === undefined) return { action: 'keep', version: pointer.version };
    const records = await readRecords(registryDir);
    const production = records.filter((r) => r.status === 'Approved').at(-1);
    const served = records.find((r) => r.version === pointer.version);
    if (production !== undefined && production.version === pointer.version) return { action: 'keep', version: pointer.version };
    const mark = deploymentMark(pointer.deployment);
    if (served?.status === 'PendingManualApproval' && mark !== undefined && isProcessAlive(mark)) return { action: 'keep', version: pointer.version };
    const why =
      served === undefined
        ? `version ${pointer.version} is not in the registry ${registryDir}`
        : served.status === 'PendingManualApproval'
          ? `version ${pointer.version} was being deployed by a run that is gone`
          : `version ${pointer.version} is ${served.status}, not the production model`;
    if (production === undefined) {
      await rm(pointerFile, { force: true });
      return { action: 'cleared', reason: `${why}, and no model is in production` };
    }
    const { deployment: _deployment, ...rest } = pointer;
    await writeModelPointer(pointerFile, {
      ...rest,
      version: production.version,
      modelArtifact: localArtifact(production.modelArtifact, pointer.lakeRoot),
      restoredAt: new Date().toISOString(),
      restoredBecause: why,
    });
    return { action: 'restored', version: production.version, reason: `${why}: production version ${production.version} restored` };
  }, { createFolder: false });
}

/**
 * The deployment another deployer has in flight on a pointer: its candidate is still pending approval and the
 * process deploying it runs. Undefined when the endpoint is free (no pointer, a settled model, a deployer that is
 * gone, or `owner`'s own deployment). The caller holds the endpoint's lock.
 */
export async function deploymentInFlight(pointer: ModelPointer | undefined, owner: string): Promise<{ version: number; mark: DeploymentMark } | undefined> {
  const mark = deploymentMark(pointer?.deployment);
  const registryDir = pointer?.registryDir;
  if (pointer === undefined || mark === undefined || mark.owner === owner || typeof registryDir !== 'string') return undefined;
  const served = (await readRecords(registryDir)).find((r) => r.version === pointer.version);
  if (served?.status !== 'PendingManualApproval' || !isProcessAlive(mark)) return undefined;
  return { version: pointer.version, mark };
}

async function readRecords(registryDir: string): Promise<RegistryRecord[]> {
  const names = (await readdir(registryDir).catch(() => [] as string[])).filter((n) => /^v\d+\.json$/.test(n));
  const records = await Promise.all(
    names.map(async (name) => {
      try {
        return JSON.parse(await readFile(path.join(registryDir, name), 'utf8')) as RegistryRecord;
      } catch {
        return undefined;
      }
    }),
  );
  return records.filter((r): r is RegistryRecord => r !== undefined && typeof r.version === 'number').sort((a, b) => a.version - b.version);
}

function deploymentMark(value: unknown): DeploymentMark | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { pid, startTicks, hostname, owner } = value as Record<string, unknown>;
  if (typeof pid !== 'number' || typeof hostname !== 'string') return undefined;
  return { pid, startTicks: typeof startTicks === 'string' ? startTicks : null, hostname, ...(typeof owner === 'string' ? { owner } : {}) };
}

/** A registry artifact URI as a file of the lake (`s3://bucket/key` is `<lakeRoot>/bucket/key`). */
function localArtifact(uri: string, lakeRoot: unknown): string {
  if (!uri.startsWith('s3://') || typeof lakeRoot !== 'string') return uri;
  const file = path.resolve(lakeRoot, uri.slice('s3://'.length));
  // A record naming a file outside its lake is not followed there.
  if (!file.startsWith(path.resolve(lakeRoot) + path.sep)) throw new Error(`The registry artifact ${uri} is outside the lake ${lakeRoot}`);
  return file;
}

/** How to supervise a running endpoint. */
export interface SuperviseOptions {
  readonly pointerFile: string;
  /** Check period in ms (default 1000): a `stat` and a few small reads. */
  readonly intervalMs?: number;
  /** The server must stop: its pointer (or its whole lake) is gone, or nothing may be served. Called once. */
  readonly onStop: (reason: string) => void;
  /** The guard repaired the pointer (the server follows it by itself). */
  readonly onRestored?: (reason: string) => void;
}

/**
 * Watches a serving endpoint on an unref'd timer (it never keeps the process alive by itself): stops it when its
 * pointer or lake disappears, so a server does not outlive its lake and answer from a deleted model, and runs
 * {@link enforceProduction} so that a failed or abandoned deployment does not keep serving. `close` stops watching.
 */
export function superviseEndpoint(options: SuperviseOptions): { close(): void } {
  let stopped = false;
  let checking = false;
  const stop = (reason: string): void => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    options.onStop(reason);
  };
  const check = async (): Promise<void> => {
    if (stopped || checking) return;
    checking = true;
    try {
      if (!existsSync(options.pointerFile)) {
        stop(`the model pointer ${options.pointerFile} is gone (its lake was deleted or the endpoint removed)`);
        return;
      }
      const verdict = await enforceProduction(options.pointerFile);
      if (verdict.action === 'cleared') stop(verdict.reason);
      else if (verdict.action === 'restored') options.onRestored?.(verdict.reason);
    } catch (error) {
      // The lake went away mid-check (the lock folder with it): the next check sees the pointer gone.
      if (!existsSync(options.pointerFile)) stop(`the model pointer ${options.pointerFile} is gone: ${(error as Error).message}`);
    } finally {
      checking = false;
    }
  };
  const timer = setInterval(() => void check(), options.intervalMs ?? 1000);
  timer.unref();
  return {
    close() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
