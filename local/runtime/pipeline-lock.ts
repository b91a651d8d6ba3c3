/**
 * One writer at a time on a lake's shared records (a pipeline's registry, its catalog table, its endpoint), across
 * runs in one process and across processes.
 *
 * Why not `proper-lockfile`: it detects a dead holder only by an mtime that stops being refreshed (10 s by default),
 * so a killed run blocks the next one for that long and a run stalled by a busy machine (a long DuckDB call starves
 * the refresh timer) loses its lock while it still writes. A lock that names its holder is decided at once and
 * exactly: the file holds the holder's pid, the start time of that process (`/proc/<pid>/stat`, so a reused pid is
 * not mistaken for the holder) and the host; it is stale when that process is gone.
 *
 * Acquiring is an exclusive create (`wx`) of the lock file; a waiter watches the lock's folder (plus a short poll,
 * since a killed holder makes no file event) and breaks a stale lock by renaming it away, which only one waiter can
 * do. Runs in one process share a pid: they queue on an in-memory chain first, so the file only arbitrates between
 * processes.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { link, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';

/** What a lock file says about its holder. */
export interface LockHolder {
  pid: number;
  /** Start time of the holder's process in clock ticks since boot (`/proc/<pid>/stat` field 22); null off Linux. */
  startTicks: string | null;
  hostname: string;
  token: string;
  /** What the holder is doing, for the message of a waiter that gives up. */
  purpose: string;
  acquiredAt: string;
}

/** Waiting for a lock took longer than allowed; the message names the holder. */
export class LockTimeoutError extends Error {
  public override readonly name = 'LockTimeoutError';
}

/** How to wait for a lock. */
export interface LockOptions {
  /** Give up after this many ms (default 10 minutes: a deployment holds the endpoint's lock for seconds). */
  readonly timeoutMs?: number;
  /** Re-check period while waiting, for holders that die without a file event (default 200 ms). */
  readonly pollMs?: number;
  /** Create the lock's folder when missing (default true); false for a lock inside something that may be deleted. */
  readonly createFolder?: boolean;
}

/** The lock file of a named resource of a lake: `<lake>/.locks/<name>.lock`. */
export function lakeLockFile(lakeRoot: string, name: string): string {
  return path.join(lakeRoot, '.locks', `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.lock`);
}

/**
 * The start time of a process (clock ticks since boot), or undefined when it does not exist or `/proc` is absent.
 * With the pid it names one process for good: a pid is reused, a (pid, start time) pair is not.
 */
export function processStartTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

/** The start time of this process, read once. */
const ownStartTicks: string | null = processStartTicks(process.pid) ?? null;

/** This process, as a lock file or a server record names it. */
export function currentProcess(): { pid: number; startTicks: string | null; hostname: string } {
  return { pid: process.pid, startTicks: ownStartTicks, hostname: hostname() };
}

/**
 * Whether the process a record names still runs: same host, the pid exists and, where `/proc` tells, started at the
 * recorded time. A record from another host counts as alive (it cannot be checked from here).
 */
export function isProcessAlive(holder: { pid: number; startTicks: string | null; hostname: string }): boolean {
  if (holder.hostname !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (holder.startTicks === null) return true;
  const ticks = processStartTicks(holder.pid);
  return ticks === undefined || ticks === holder.startTicks;
}

/** Tokens of the locks this process holds now. */
const heldTokens = new Set<string>();
/** Per lock file, the tail of this process's queue. */
const queues = new Map<string, Promise<void>>();

/**
 * Runs `fn` holding the lock `lockFile`, and releases it however `fn` ends. Not reentrant: `fn` must not ask for the
 * same lock again.
 * @throws LockTimeoutError when the lock stays held by a live process past `timeoutMs`
 */
export async function withLock<T>(lockFile: string, purpose: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const previous = queues.get(lockFile) ?? Promise.resolve();
  let done!: () => void;
  const mine = new Promise<void>((resolve) => {
    done = resolve;
  });
  const tail = previous.then(() => mine);
  queues.set(lockFile, tail);
  try {
    await previous;
    const token = await acquire(lockFile, purpose, options);
    try {
      return await fn();
    } finally {
      await release(lockFile, token);
    }
  } finally {
    done();
    if (queues.get(lockFile) === tail) queues.delete(lockFile);
  }
}

/** Runs `fn` holding the lake-wide lock named `name` (see {@link lakeLockFile}). */
export function withLakeLock<T>(lakeRoot: string, name: string, purpose: string, fn: () => Promise<T>, options?: LockOptions): Promise<T> {
  return withLock(lakeLockFile(lakeRoot, name), purpose, fn, options);
}

async function acquire(lockFile: string, purpose: string, options: LockOptions): Promise<string> {
  if (options.createFolder !== false) await mkdir(path.dirname(lockFile), { recursive: true });
  const token = randomBytes(8).toString('hex');
  const holder: LockHolder = { ...currentProcess(), token, purpose, acquiredAt: new Date().toISOString() };
  const text = `${JSON.stringify(holder)}\n`;
  const timeoutMs = options.timeoutMs ?? 600_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await tryCreate(lockFile, text)) {
      heldTokens.add(token);
      return token;
    }
    const seen = await readHolder(lockFile);
    if (seen === undefined) continue; // released between our create and our read
    if (isStale(seen.holder)) {
      await breakStale(lockFile, seen.text);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new LockTimeoutError(
        `${lockFile} is still held after ${Math.round(timeoutMs / 1000)} s by process ${seen.holder.pid} on ${seen.holder.hostname} (${seen.holder.purpose}, since ${seen.holder.acquiredAt}); if that process is not a sluice run, delete the file`,
      );
    }
    await changeOf(lockFile, Math.min(options.pollMs ?? 200, Math.max(1, deadline - Date.now())));
  }
}

async function tryCreate(lockFile: string, text: string): Promise<boolean> {
  try {
    const handle = await open(lockFile, 'wx');
    try {
      await handle.writeFile(text, 'utf8');
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function readHolder(lockFile: string): Promise<{ holder: LockHolder; text: string } | undefined> {
  let text: string;
  try {
    text = await readFile(lockFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return { holder: JSON.parse(text) as LockHolder, text };
  } catch {
    // A holder killed between create and write leaves an empty or partial file: nobody holds it.
    return { holder: { pid: -1, startTicks: null, hostname: hostname(), token: '', purpose: 'unknown', acquiredAt: '' }, text };
  }
}

function isStale(holder: LockHolder): boolean {
  if (holder.pid <= 0) return true;
  const self = currentProcess();
  // Our own pid: held only if one of our live locks has that token (else a run of ours ended without releasing).
  if (holder.pid === self.pid && holder.hostname === self.hostname && holder.startTicks === self.startTicks) return !heldTokens.has(holder.token);
  return !isProcessAlive(holder);
}

/**
 * Removes a stale lock whose contents were `staleText`. The rename is atomic, so of several waiters one moves the
 * file; if what it moved is no longer the stale lock (another waiter broke it and took the lock meanwhile) it puts
 * that lock back, with `link`, which never overwrites.
 */
async function breakStale(lockFile: string, staleText: string): Promise<void> {
  const aside = `${lockFile}.${process.pid}.${randomBytes(6).toString('hex')}.stale`;
  try {
    await rename(lockFile, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = await readFile(aside, 'utf8').catch(() => staleText);
  if (moved !== staleText) await link(aside, lockFile).catch(() => undefined);
  await rm(aside, { force: true });
}

async function release(lockFile: string, token: string): Promise<void> {
  heldTokens.delete(token);
  const seen = await readHolder(lockFile).catch(() => undefined);
  // Only our own lock is removed: after a stale break by mistake the file may be someone else's.
  if (seen?.holder.token === token) await rm(lockFile, { force: true });
}

/** Resolves when the lock's folder changes or after `ms`, whichever comes first. */
function changeOf(lockFile: string, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    let watcher: FSWatcher | undefined;
    const finish = (): void => {
      clearTimeout(timer);
      watcher?.close();
      resolve();
    };
    const timer = setTimeout(finish, ms);
    try {
      watcher = watch(path.dirname(lockFile), { persistent: false }, (_event, name) => {
        if (name === null || name === path.basename(lockFile)) finish();
      });
      watcher.on('error', finish);
    } catch {
      watcher = undefined;
    }
  });
}
