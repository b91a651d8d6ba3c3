import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import type { ServerLauncher } from '../adapters/local-hosting.js';
import type { ServeRequest } from '../serving/serve-main.js';
import { currentProcess, isProcessAlive } from './pipeline-lock.js';

/** What a running local endpoint server records about itself in its endpoint folder (and in the user's index). */
export interface ServerRecord {
  pid: number;
  /** Start time of the server's process (`/proc/<pid>/stat`): with the pid, it names that process for good. */
  startTicks: string | null;
  hostname: string;
  url: string;
  startedAt: string;
  /** The endpoint folder it serves (`<lake>/endpoints/<endpoint>`). */
  endpointDir: string;
}

/** The file a server writes once it listens. */
export function serverRecordFile(endpointDir: string): string {
  return path.join(endpointDir, 'server.json');
}

/**
 * The folder where every local endpoint server of this user records itself, whatever its lake: what
 * `sluice endpoints` lists and `sluice stop --all` stops.
 */
export function serverIndexDir(): string {
  return path.join(tmpdir(), `sluice-${userInfo().uid}`, 'servers');
}

/**
 * Whether a record names a live sluice endpoint server: the process exists, started when the record says (a reused
 * pid started later) and runs `sluice … serve` or the lean serving entry (`…/serving/serve-main.js`). Only such a
 * process may be signalled.
 */
export function isOurServer(record: ServerRecord): boolean {
  if (!isProcessAlive(record)) return false;
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${record.pid}/cmdline`, 'utf8').split('\0');
  } catch {
    // No /proc (not Linux): the pid and its liveness are all there is to go on.
    return record.startTicks === null;
  }
  if (argv.some((a) => a.endsWith(LEAN_ENTRY))) return true;
  return argv.includes('serve') && argv.some((a) => a.endsWith(path.join('bin', 'sluice.js')) || a.endsWith('sluice'));
}

const LEAN_ENTRY = path.join('serving', 'serve-main.js');

async function readRecord(file: string): Promise<ServerRecord | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as ServerRecord;
  } catch {
    return undefined;
  }
}

/** The record of the server of an endpoint folder, when that server is alive (and is a sluice server). */
export async function liveServer(endpointDir: string): Promise<ServerRecord | undefined> {
  const record = await readRecord(serverRecordFile(endpointDir));
  return record !== undefined && isOurServer(record) ? record : undefined;
}

/**
 * Records this process as the server of `endpointDir`, unless a live server is recorded there already (then returns
 * that one and records nothing). Exclusive: of two servers started at once for one endpoint, one wins.
 */
export async function claimEndpoint(endpointDir: string, url: string): Promise<{ claimed: ServerRecord } | { running: ServerRecord }> {
  const record: ServerRecord = { ...currentProcess(), url, startedAt: new Date().toISOString(), endpointDir };
  const text = `${JSON.stringify(record)}\n`;
  const file = serverRecordFile(endpointDir);
  for (;;) {
    try {
      await writeFile(file, text, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const existing = await readRecord(file);
    if (existing !== undefined && isOurServer(existing)) return { running: existing };
    // A record of a server that is gone: remove it (only if it is still that one) and claim again.
    const again = await readRecord(file);
    if (again === undefined || JSON.stringify(again) === JSON.stringify(existing)) await rm(file, { force: true });
  }
  await mkdir(serverIndexDir(), { recursive: true });
  await writeFile(path.join(serverIndexDir(), `${record.pid}.json`), text);
  return { claimed: record };
}

/** Removes this process's records (endpoint folder and index), leaving another server's record alone. */
export async function releaseEndpoint(record: ServerRecord): Promise<void> {
  const current = await readRecord(serverRecordFile(record.endpointDir));
  if (current?.pid === record.pid && current.startTicks === record.startTicks) await rm(serverRecordFile(record.endpointDir), { force: true });
  await rm(path.join(serverIndexDir(), `${record.pid}.json`), { force: true });
}

/**
 * Every live sluice endpoint server of this user, optionally only those serving an endpoint of `lakeRoot`. Records of
 * servers that are gone are removed on the way.
 */
export async function listServers(lakeRoot?: string): Promise<ServerRecord[]> {
  const dir = serverIndexDir();
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json'));
  const servers: ServerRecord[] = [];
  for (const name of names) {
    const record = await readRecord(path.join(dir, name));
    if (record === undefined || !isOurServer(record)) {
      await rm(path.join(dir, name), { force: true });
      continue;
    }
    if (lakeRoot === undefined || record.endpointDir.startsWith(path.resolve(lakeRoot) + path.sep)) servers.push(record);
  }
  return servers.sort((a, b) => a.endpointDir.localeCompare(b.endpointDir));
}

/**
 * Stops a server after checking that the record still names a live sluice server (a pid of a server that is gone
 * may belong to any process by now). Returns whether it was signalled.
 */
export function stopServer(record: ServerRecord): boolean {
  if (!isOurServer(record)) return false;
  process.kill(record.pid, 'SIGTERM');
  return true;
}

/** Options of {@link stopServerAndWait}. */
export interface StopOptions {
  /** How long a signalled server may take to exit before it is killed (default 10 s: a hang guard, a server exits in ms). */
  readonly graceMs?: number;
}

/** How often a stopper looks whether the server is gone: a process that is not our child sends us no exit event. */
const STOP_POLL_MS = 10;

/**
 * Stops a server (see {@link stopServer}) and resolves once its process is gone, so "stopped" means that its port,
 * memory and record are released; a server still there after the grace period is killed. Returns how it ended, or
 * false when the record named no live sluice server (nothing was signalled).
 */
export async function stopServerAndWait(record: ServerRecord, options: StopOptions = {}): Promise<'stopped' | 'killed' | false> {
  if (!stopServer(record)) return false;
  const graceMs = options.graceMs ?? 10_000;
  if (await goneWithin(record, graceMs)) return 'stopped';
  if (isOurServer(record)) process.kill(record.pid, 'SIGKILL');
  await goneWithin(record, graceMs);
  return 'killed';
}

/** Whether the server's process is gone within `ms` (a zombie counts as gone: its command line is empty). */
async function goneWithin(record: ServerRecord, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isOurServer(record)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, STOP_POLL_MS));
  }
  return true;
}

/** A hang guard, not a pace: the launcher answers on the server's own report. */
const START_TIMEOUT_MS = 20_000;

/** The lean serving entry a run starts for an endpoint (compiled by `npm run build`). */
export function serveMainPath(projectRoot: string): string {
  return path.join(projectRoot, 'dist', 'local', 'serving', 'serve-main.js');
}

/** What the lean server reports on its IPC channel (see local/serving/serve-main.ts). */
type ServeReport = { type: 'listening'; url: string } | { type: 'running'; url: string } | { type: 'failed'; message: string };

function isServeReport(message: unknown): message is ServeReport {
  return typeof message === 'object' && message !== null && typeof (message as { type?: unknown }).type === 'string';
}

/**
 * Finds the endpoint's server, or starts one as a detached background process that outlives the run, as a SageMaker
 * endpoint outlives its deployment. Returns its base URL. The process is the lean serving entry
 * (`dist/local/serving/serve-main.js`), which loads the serving code only, not a second full CLI. It reports on an IPC
 * channel once it listens with the model loaded (or why it cannot); the launcher answers on that event, then lets go
 * of the channel so the run can end without it. The caller holds the endpoint's lock, so one run starts one server;
 * the server's exclusive claim covers any other starter.
 */
export function detachedServerLauncher(projectRoot: string): ServerLauncher {
  return warmServerLauncher(projectRoot).launch;
}

/** A {@link detachedServerLauncher} that can start its server process ahead of the deployment. */
export interface WarmServerLauncher {
  /** Finds or starts the endpoint's server (a warm process when one is waiting). */
  readonly launch: ServerLauncher;
  /**
   * Starts the serving process now, without an endpoint (`serve-main --await-endpoint`): it loads the serving code while
   * the run does other work (its training), and `launch` hands it the endpoint. Once per launcher; a no-op after.
   */
  readonly warm: () => void;
  /**
   * Lets a warm process that was never used go (it exits when its channel closes): call when the run ends. Resolves
   * once it has exited (at once when there is none); nothing needs to wait for that but a test.
   */
  readonly release: () => Promise<void>;
}

/**
 * The launcher a run uses: the same server and reports as {@link detachedServerLauncher}, with {@link WarmServerLauncher.warm}
 * so a run that will deploy starts the serving process while it trains, off the critical path (about a third of a
 * second of module loading that Deploy otherwise waits for).
 */
export function warmServerLauncher(projectRoot: string): WarmServerLauncher {
  let warmed = false;
  let waiting: ChildProcess | undefined;
  const spawnServer = (args: readonly string[]): ChildProcess =>
    spawn(process.execPath, [serveMainPath(projectRoot), ...args], { detached: true, stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  const letGo = (child: ChildProcess): void => {
    child.removeAllListeners();
    // The run no longer watches the server: a late error event (a failed disconnect) must not throw in it.
    child.on('error', () => undefined);
    if (child.connected) child.disconnect();
    child.unref();
  };
  return {
    warm: () => {
      if (warmed) return;
      warmed = true;
      const child = spawnServer(['--await-endpoint']);
      // Until it is used, it must not keep the run's process alive, nor fail it.
      child.on('error', () => undefined);
      child.once('exit', () => {
        if (waiting === child) waiting = undefined;
      });
      child.unref();
      child.channel?.unref();
      waiting = child;
    },
    release: () => {
      const child = waiting;
      waiting = undefined;
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      letGo(child);
      return new Promise<void>((resolve) => child.once('exit', () => resolve()));
    },
    launch: async (endpointDir) => {
      const running = await liveServer(endpointDir);
      if (running) return running.url;
      let child = waiting;
      waiting = undefined;
      if (child?.connected === true) {
        child.channel?.ref();
        const request: ServeRequest = { type: 'serve', endpointDir };
        child.send(request);
      } else {
        if (child !== undefined) letGo(child);
        child = spawnServer(['--endpoint-dir', endpointDir, '--port', '0']);
      }
      preloadSampleRowReader();
      try {
        return await serverReport(child, endpointDir);
      } finally {
        letGo(child);
      }
    },
  };
}

let sampleRowReader: Promise<unknown> | undefined;

/**
 * Starts loading hyparquet, the Parquet reader SmokeTest takes its sample rows with (core/features/feature-rows.ts),
 * once per process. SmokeTest runs as soon as the server is up, and this thread does nothing while the server loads
 * the model (tens of ms), which covers most of the reader's ESM loading (25-75 ms here); the step's own `import()` is
 * then answered from Node's module cache (issue 16). A failure is the step's to report, not this.
 */
function preloadSampleRowReader(): void {
  sampleRowReader ??= import('hyparquet').catch(() => undefined);
}

/** What the server reports first: its URL (it listens, or another server does), or why it could not start. */
function serverReport(child: ChildProcess, endpointDir: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The local endpoint server for ${endpointDir} did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    const settle = (outcome: () => void): void => {
      clearTimeout(timer);
      outcome();
    };
    child.on('message', (message: unknown) => {
      if (!isServeReport(message)) return;
      if (message.type === 'failed') settle(() => reject(new Error(`The local endpoint server for ${endpointDir} could not start: ${message.message}`)));
      else settle(() => resolve(message.url));
    });
    child.once('error', (error) => settle(() => reject(error)));
    child.once('exit', (code, signal) =>
      settle(() =>
        reject(new Error(`The local endpoint server for ${endpointDir} exited at start (${signal ?? `code ${code}`}; run \`sluice serve --endpoint-dir ${endpointDir}\` to see why)`)),
      ),
    );
  });
}
