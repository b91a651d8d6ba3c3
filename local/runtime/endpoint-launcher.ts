import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ServerLauncher } from '../adapters/local-hosting.js';

/** What a running local endpoint server records about itself in its endpoint folder. */
export interface ServerRecord {
  pid: number;
  url: string;
  startedAt: string;
}

/** The file a server writes once it listens. */
export function serverRecordFile(endpointDir: string): string {
  return path.join(endpointDir, 'server.json');
}

/** The record of the server of an endpoint folder, when its process is alive. */
export async function liveServer(endpointDir: string): Promise<ServerRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(serverRecordFile(endpointDir), 'utf8')) as ServerRecord;
    process.kill(record.pid, 0);
    return record;
  } catch {
    return undefined;
  }
}

const START_TIMEOUT_MS = 20_000;

/**
 * Finds the endpoint's server, or starts one as a detached background process (`sluice serve --endpoint-dir`) that
 * outlives the run, as a SageMaker endpoint outlives its deployment. Returns its base URL.
 */
export function detachedServerLauncher(projectRoot: string): ServerLauncher {
  return async (endpointDir) => {
    const running = await liveServer(endpointDir);
    if (running) return running.url;
    const child = spawn(process.execPath, [path.join(projectRoot, 'bin', 'sluice.js'), 'serve', '--endpoint-dir', endpointDir, '--port', '0'], {
      detached: true,
      stdio: 'ignore',
    });
    child.unref();
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const started = await liveServer(endpointDir);
      if (started) return started.url;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`The local endpoint server for ${endpointDir} did not start within ${START_TIMEOUT_MS / 1000} s`);
  };
}
