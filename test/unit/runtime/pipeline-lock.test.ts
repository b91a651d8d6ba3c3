import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { LockTimeoutError, lakeLockFile, processStartTicks, withLock } from '../../../local/runtime/pipeline-lock.js';

/** A promise with its resolver, to hold a lock until the test says so. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('withLock', () => {
  let lake: string;

  beforeEach(async () => {
    lake = await mkdtemp(path.join(tmpdir(), 'sluice-lock-'));
  });

  afterEach(async () => {
    await rm(lake, { recursive: true, force: true });
  });

  describe('two writers in one process', () => {
    it('runs the second only after the first has released the lock when both ask at once', async () => {
      // Prepare
      const lockFile = lakeLockFile(lake, 'registry-churn');
      const order: string[] = [];
      const hold = deferred();
      const firstIn = deferred();

      // Act
      const first = withLock(lockFile, 'first', async () => {
        order.push('first in');
        firstIn.resolve();
        await hold.promise;
        order.push('first out');
      });
      const second = withLock(lockFile, 'second', async () => {
        order.push('second in');
      });
      await firstIn.promise;
      const heldBy = JSON.parse(await readFile(lockFile, 'utf8')) as { pid: number; purpose: string };
      hold.resolve();
      await Promise.all([first, second]);

      // Assess
      expect(heldBy).toMatchObject({ pid: process.pid, purpose: 'first' });
      expect(order).toEqual(['first in', 'first out', 'second in']);
    });

    it('releases the lock when the holder throws', async () => {
      // Prepare
      const lockFile = lakeLockFile(lake, 'endpoint');

      // Act
      const failed = withLock(lockFile, 'failing', () => Promise.reject(new Error('boom')));
      await expect(failed).rejects.toThrow('boom');
      const next = await withLock(lockFile, 'next', () => Promise.resolve('acquired'));

      // Assess
      expect(next).toBe('acquired');
    });
  });

  describe('a lock left by a killed holder', () => {
    it('takes the lock at once when the holder process is gone', async () => {
      // Prepare: our pid with another start time is a process that has exited (its pid reused by us).
      const lockFile = lakeLockFile(lake, 'registry-churn');
      await mkdir(path.dirname(lockFile), { recursive: true });
      await writeFile(
        lockFile,
        JSON.stringify({ pid: process.pid, startTicks: 'gone', hostname: hostname(), token: 'dead', purpose: 'killed run', acquiredAt: '' }),
      );

      // Act
      const result = await withLock(lockFile, 'next run', () => Promise.resolve('acquired'), { timeoutMs: 60_000 });

      // Assess
      expect(result).toBe('acquired');
    });

    it('takes the lock when the holder was killed before writing its record', async () => {
      // Prepare
      const lockFile = lakeLockFile(lake, 'catalog');
      await mkdir(path.dirname(lockFile), { recursive: true });
      await writeFile(lockFile, '');

      // Act / Assess
      await expect(withLock(lockFile, 'next run', () => Promise.resolve('acquired'), { timeoutMs: 60_000 })).resolves.toBe('acquired');
    });
  });

  describe('a lock held by another live process', () => {
    it('throws LockTimeoutError naming the holder when it is still held at the deadline', async () => {
      // Prepare: our parent process is alive; the lock names it with its real start time.
      const lockFile = lakeLockFile(lake, 'endpoint');
      await mkdir(path.dirname(lockFile), { recursive: true });
      const holder = { pid: process.ppid, startTicks: processStartTicks(process.ppid) ?? null, hostname: hostname(), token: 'live', purpose: 'deploying version 3', acquiredAt: '2026-11-29T20:00:00.000Z' };
      await writeFile(lockFile, JSON.stringify(holder));
      let ran = false;

      // Act
      const error: unknown = await withLock(lockFile, 'waiter', async () => {
        ran = true;
      }, { timeoutMs: 1, pollMs: 1 }).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(LockTimeoutError);
      expect((error as Error).message).toContain(`held after 0 s by process ${process.ppid} on ${hostname()} (deploying version 3, since 2026-11-29T20:00:00.000Z)`);
      expect(ran).toBe(false);
      expect(JSON.parse(await readFile(lockFile, 'utf8'))).toEqual(holder);
    });

    it('runs as soon as the holder removes its lock file', async () => {
      // Prepare
      const lockFile = lakeLockFile(lake, 'endpoint');
      await mkdir(path.dirname(lockFile), { recursive: true });
      await writeFile(lockFile, JSON.stringify({ pid: process.ppid, startTicks: processStartTicks(process.ppid) ?? null, hostname: hostname(), token: 'live', purpose: 'x', acquiredAt: '' }));
      let ran = false;

      // Act
      const waiting = withLock(lockFile, 'waiter', async () => {
        ran = true;
      }, { timeoutMs: 600_000 });
      // Let the waiter try (and find the lock held) several times: turns of the event loop, not a timer.
      for (let turn = 0; turn < 200; turn += 1) await new Promise((resolve) => setImmediate(resolve));
      const ranBeforeRelease = ran;
      await rm(lockFile);
      await waiting;

      // Assess
      expect(ranBeforeRelease).toBe(false);
      expect(ran).toBe(true);
    });
  });
});
