import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { claimEndpoint, isOurServer, listServers, releaseEndpoint, serverIndexDir, serverRecordFile, stopServer, stopServerAndWait } from '../../../local/runtime/endpoint-launcher.js';
import type { ServerRecord } from '../../../local/runtime/endpoint-launcher.js';
import { processStartTicks } from '../../../local/runtime/pipeline-lock.js';

/** A process that idles until killed, with the given arguments after node's `-e` script. */
async function idleProcess(args: readonly string[]): Promise<ChildProcess & { pid: number }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)', ...args], { stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  return child as ChildProcess & { pid: number };
}

function exited(child: ChildProcess): Promise<NodeJS.Signals | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
}

function recordOf(child: { pid: number }, endpointDir: string, startTicks = processStartTicks(child.pid) ?? null): ServerRecord {
  return { pid: child.pid, startTicks, hostname: hostname(), url: 'http://127.0.0.1:1', startedAt: '2026-11-29T20:00:00.000Z', endpointDir };
}

describe('endpoint server records', () => {
  let lake: string;
  let endpointDir: string;
  const children: ChildProcess[] = [];

  beforeEach(async () => {
    lake = await mkdtemp(path.join(tmpdir(), 'sluice-servers-'));
    endpointDir = path.join(lake, 'endpoints', 'sluice-local-churn');
    await mkdir(endpointDir, { recursive: true });
  });

  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited(child);
      }
    }
    await rm(lake, { recursive: true, force: true });
  });

  describe('stopServer', () => {
    it('does not signal a live process that is not a sluice server when the record names its pid', async () => {
      // Prepare: the recorded server is gone and its pid now belongs to an unrelated process.
      const unrelated = await idleProcess(['--some-other-program']);
      children.push(unrelated);

      // Act
      const signalled = stopServer(recordOf(unrelated, endpointDir));

      // Assess
      expect(signalled).toBe(false);
      expect(unrelated.exitCode).toBeNull();
      expect(unrelated.signalCode).toBeNull();
    });

    it('does not signal a sluice server that started after the recorded one when the pid was reused', async () => {
      // Prepare
      const later = await idleProcess([path.join(lake, 'bin', 'sluice.js'), 'serve', '--endpoint-dir', endpointDir]);
      children.push(later);

      // Act
      const signalled = stopServer(recordOf(later, endpointDir, 'an-earlier-start'));

      // Assess
      expect(signalled).toBe(false);
    });

    it('stops the recorded sluice server with SIGTERM when the record still names it', async () => {
      // Prepare
      const server = await idleProcess([path.join(lake, 'bin', 'sluice.js'), 'serve', '--endpoint-dir', endpointDir]);
      children.push(server);

      // Act
      const signalled = stopServer(recordOf(server, endpointDir));

      // Assess
      expect(signalled).toBe(true);
      expect(await exited(server)).toBe('SIGTERM');
    });
    it('stops the recorded lean serving process with SIGTERM when the record still names it', async () => {
      // Prepare: what a run's Deploy starts (dist/local/serving/serve-main.js), not a `sluice serve` CLI.
      const server = await idleProcess([path.join(lake, 'dist', 'local', 'serving', 'serve-main.js'), '--endpoint-dir', endpointDir]);
      children.push(server);

      // Act
      const signalled = stopServer(recordOf(server, endpointDir));

      // Assess
      expect(signalled).toBe(true);
      expect(await exited(server)).toBe('SIGTERM');
    });
  });

  describe('stopServerAndWait', () => {
    it('resolves once the server process is gone when the server exits on SIGTERM', async () => {
      // Prepare
      const server = await idleProcess([path.join(lake, 'bin', 'sluice.js'), 'serve', '--endpoint-dir', endpointDir]);
      children.push(server);
      const record = recordOf(server, endpointDir);

      // Act
      const how = await stopServerAndWait(record);

      // Assess: gone when the promise resolves, not merely signalled
      expect(how).toBe('stopped');
      expect(isOurServer(record)).toBe(false);
      expect(await exited(server)).toBe('SIGTERM');
    });

    it('kills the server after the grace period when it ignores SIGTERM', async () => {
      // Prepare: a server that never exits on SIGTERM, and a grace period it cannot use
      const server = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); process.stdout.write('ready'); setInterval(() => {}, 1 << 30)", path.join(lake, 'bin', 'sluice.js'), 'serve'], { stdio: ['ignore', 'pipe', 'ignore'] });
      children.push(server);
      await new Promise((resolve) => server.stdout.once('data', resolve));
      const record = recordOf(server as ChildProcess & { pid: number }, endpointDir);

      // Act
      const how = await stopServerAndWait(record, { graceMs: 50 });

      // Assess
      expect(how).toBe('killed');
      expect(await exited(server)).toBe('SIGKILL');
    });

    it('signals nothing and returns false when the record names no live sluice server', async () => {
      // Prepare
      const unrelated = await idleProcess(['--some-other-program']);
      children.push(unrelated);

      // Act
      const how = await stopServerAndWait(recordOf(unrelated, endpointDir));

      // Assess
      expect(how).toBe(false);
      expect(unrelated.signalCode).toBeNull();
    });
  });

  describe('claimEndpoint', () => {
    it('refuses a second server when a live sluice server has claimed the endpoint', async () => {
      // Prepare
      const first = await idleProcess([path.join(lake, 'bin', 'sluice.js'), 'serve', '--endpoint-dir', endpointDir]);
      children.push(first);
      await writeFile(serverRecordFile(endpointDir), JSON.stringify(recordOf(first, endpointDir)));

      // Act
      const claim = await claimEndpoint(endpointDir, 'http://127.0.0.1:2');

      // Assess
      expect(claim).toEqual({ running: recordOf(first, endpointDir) });
    });

    it('takes over the record of a server that is gone', async () => {
      // Prepare
      const gone = await idleProcess([path.join(lake, 'bin', 'sluice.js'), 'serve', '--endpoint-dir', endpointDir]);
      children.push(gone);
      const stale = recordOf(gone, endpointDir);
      gone.kill('SIGKILL');
      await exited(gone);
      await writeFile(serverRecordFile(endpointDir), JSON.stringify(stale));

      // Act
      const claim = await claimEndpoint(endpointDir, 'http://127.0.0.1:2');

      // Assess
      expect(claim).toMatchObject({ claimed: { pid: process.pid, url: 'http://127.0.0.1:2', endpointDir } });
      expect(JSON.parse(await readFile(serverRecordFile(endpointDir), 'utf8'))).toMatchObject({ pid: process.pid });
      if ('claimed' in claim) await releaseEndpoint(claim.claimed);
      expect(existsSync(serverRecordFile(endpointDir))).toBe(false);
    });
  });

  describe('listServers', () => {
    it('lists the live sluice servers of a lake and drops records of servers that are gone', async () => {
      // Prepare: a live server and a record of one that was killed, both indexed as servers record themselves.
      const live = await idleProcess([path.join(lake, 'bin', 'sluice.js'), 'serve', '--endpoint-dir', endpointDir]);
      const gone = await idleProcess([path.join(lake, 'bin', 'sluice.js'), 'serve', '--endpoint-dir', endpointDir]);
      children.push(live, gone);
      const goneRecord = recordOf(gone, path.join(lake, 'endpoints', 'sluice-local-other'));
      gone.kill('SIGKILL');
      await exited(gone);
      await mkdir(serverIndexDir(), { recursive: true });
      await writeFile(path.join(serverIndexDir(), `${live.pid}.json`), JSON.stringify(recordOf(live, endpointDir)));
      await writeFile(path.join(serverIndexDir(), `${gone.pid}.json`), JSON.stringify(goneRecord));

      // Act
      const servers = await listServers(lake);

      // Assess
      expect(servers).toEqual([recordOf(live, endpointDir)]);
      expect(existsSync(path.join(serverIndexDir(), `${gone.pid}.json`))).toBe(false);
      await rm(path.join(serverIndexDir(), `${live.pid}.json`), { force: true });
    });
  });
});
