import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixedSpecCatalog } from '../../core/pipelines/spec-catalog.js';
import type { PipelineSpec } from '../../core/spec/load-spec.js';
import { LOCAL_LAKE_BUCKET } from '../../local/runtime/local-deps.js';
import type { JSONValue } from '../../local/runtime/local-bindings.js';
import type { RunSummary } from '../../local/runtime/run-local.js';
import { runLocal } from '../../local/runtime/run-local.js';
import { REPO_ROOT } from './spec-fixtures.js';
import type { ServerLauncher } from '../../local/adapters/local-hosting.js';
import { pointerFile } from '../../local/adapters/local-hosting.js';
import type { EndpointServer } from '../../local/serving/index.js';
import { startEndpointServer } from '../../local/serving/index.js';

/** A fresh local lake in a temporary folder. */
export async function freshLake(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'sluice-lake-'));
}

/** Drops `content` into the pipeline's drop zone of `lake` and runs the workflow on it, as `sluice run` does. */
export async function runOnContent(spec: PipelineSpec, lake: string, fileName: string, content: string | Buffer, executionName?: string): Promise<RunSummary> {
  const key = `${spec.source.prefix}${fileName}`;
  const file = path.join(lake, LOCAL_LAKE_BUCKET, key);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  return runWithInput(spec, lake, { pipeline: spec.name, key }, executionName);
}

/**
 * Endpoint servers started in this test process (instead of detached `sluice serve` processes), so tests need no
 * build and stop every server they started.
 */
const runningServers = new Map<string, EndpointServer>();

const inProcessLauncher: ServerLauncher = async (dir) => {
  let server = runningServers.get(dir);
  if (!server) {
    server = await startEndpointServer({ host: '127.0.0.1', port: 0, modelSource: { pointerFile: pointerFile(dir) }, pollIntervalMs: 50 });
    runningServers.set(dir, server);
  }
  server.refresh();
  return server.url;
};

/** The test process's endpoint servers: their launcher, and a way to stop them all. */
export const testServers = {
  launcher: inProcessLauncher,
  async closeAll(): Promise<void> {
    await Promise.all([...runningServers.values()].map((s) => s.close()));
    runningServers.clear();
  },
};

/** Runs the workflow with a given execution input. */
export async function runWithInput(spec: PipelineSpec, lake: string, input: JSONValue, executionName?: string): Promise<RunSummary> {
  return runLocal({
    projectRoot: REPO_ROOT,
    spec,
    specs: fixedSpecCatalog([spec]),
    lakeRoot: lake,
    input,
    launcher: testServers.launcher,
    ...(executionName ? { executionName } : {}),
  });
}

/** Every file under a lake prefix, relative to the bucket. */
export async function lakeFiles(lake: string, prefix: string): Promise<string[]> {
  const root = path.join(lake, LOCAL_LAKE_BUCKET);
  const entries = await readdir(path.join(root, prefix), { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
}

/** Absolute path of an object in the local lake. */
export function lakePath(lake: string, key: string): string {
  return path.join(lake, LOCAL_LAKE_BUCKET, key);
}
