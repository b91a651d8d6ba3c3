import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadPipelineSpec } from '../../core/spec/load-spec.js';
import { FolderObjectStore } from '../adapters/folder-object-store.js';
import { endpointDir, pointerFile, readPointer, writePointer } from '../adapters/local-hosting.js';
import { LocalRegistry } from '../adapters/local-registry.js';
import { liveServer, serverRecordFile } from '../runtime/endpoint-launcher.js';
import type { ServerRecord } from '../runtime/endpoint-launcher.js';
import { LOCAL_ENDPOINT_PREFIX, LOCAL_LAKE_BUCKET } from '../runtime/local-deps.js';
import { projectRoot } from '../runtime/project-root.js';
import { formatPredictions, predictFile, startEndpointServer } from '../serving/index.js';

/** Thrown for a command line that cannot be acted on; the message says what to do. */
export class CommandError extends Error {
  public override readonly name = 'CommandError';
}

function lakeOf(value: string | undefined): string {
  return path.resolve(value ?? 'sluice-lake');
}

/** The endpoint folder of a pipeline, with a pointer to its production model (written from the registry if need be). */
async function productionEndpoint(pipeline: string, lake: string): Promise<string> {
  const spec = loadPipelineSpec(pipeline, path.join(projectRoot(), 'pipelines'));
  const dir = endpointDir(lake, `${LOCAL_ENDPOINT_PREFIX}${spec.name}`);
  if (await readPointer(dir)) return dir;
  const store = new FolderObjectStore(lake);
  const production = await new LocalRegistry(store, LOCAL_LAKE_BUCKET).production(spec.name);
  if (!production) throw new CommandError(`No model of pipeline "${spec.name}" is in production in ${lake}: run \`sluice run FILE --pipeline ${spec.name}\` first`);
  await writePointer(dir, {
    version: production.version,
    modelArtifact: store.pathOfUri(production.modelArtifact),
    endpointConfigName: 'from-registry',
    modelName: 'from-registry',
    deployedAt: new Date().toISOString(),
  });
  return dir;
}

/**
 * `sluice serve --pipeline NAME [--port N] [--lake DIR]`: serves the pipeline's production model on 127.0.0.1 with
 * SageMaker's container contract, following promotions without dropping requests, until stopped. (`--endpoint-dir`
 * is how runs start it in the background.)
 */
export async function serveCommand(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: { pipeline: { type: 'string' }, port: { type: 'string' }, lake: { type: 'string' }, 'endpoint-dir': { type: 'string' } },
  });
  const dir = values['endpoint-dir'] ? path.resolve(values['endpoint-dir']) : values.pipeline ? await productionEndpoint(values.pipeline, lakeOf(values.lake)) : undefined;
  if (!dir) throw new CommandError('sluice serve: give --pipeline NAME');
  const running = await liveServer(dir);
  if (running) throw new CommandError(`already serving at ${running.url} (process ${running.pid}); stop it with \`sluice stop --pipeline …\``);
  const port = Number(values.port ?? 8080);
  const server = await startEndpointServer({
    host: '127.0.0.1',
    port,
    modelSource: { pointerFile: pointerFile(dir) },
    onEvent: (event) => {
      if (event.type === 'model-loaded') process.stdout.write(`serving model version ${event.model.version ?? '?'} (loaded in ${event.loadMs} ms)\n`);
      if (event.type === 'model-load-failed') process.stderr.write(`could not load ${event.source}: ${event.error.message}\n`);
    },
  });
  const record: ServerRecord = { pid: process.pid, url: server.url, startedAt: new Date().toISOString() };
  await writeFile(serverRecordFile(dir), `${JSON.stringify(record)}\n`);
  process.stdout.write(`sluice: endpoint listening on ${server.url}  (GET /ping, POST /invocations)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  await rm(serverRecordFile(dir), { force: true });
  return 0;
}

/** `sluice stop --pipeline NAME [--lake DIR]`: stops the pipeline's background endpoint server. */
export async function stopCommand(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...args], options: { pipeline: { type: 'string' }, lake: { type: 'string' } } });
  if (!values.pipeline) throw new CommandError('sluice stop: give --pipeline NAME');
  const spec = loadPipelineSpec(values.pipeline, path.join(projectRoot(), 'pipelines'));
  const dir = endpointDir(lakeOf(values.lake), `${LOCAL_ENDPOINT_PREFIX}${spec.name}`);
  const running = await liveServer(dir);
  if (!running) {
    process.stdout.write(`sluice: no endpoint of "${spec.name}" is running\n`);
    return 0;
  }
  process.kill(running.pid, 'SIGTERM');
  process.stdout.write(`sluice: stopped the endpoint at ${running.url}\n`);
  return 0;
}

/**
 * `sluice predict --pipeline NAME FILE [--label] [--lake DIR]`: predictions of the production model for each row of a
 * CSV of features (no header; `--label` when the first column is a label to skip), one line per row.
 */
export async function predictCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { pipeline: { type: 'string' }, lake: { type: 'string' }, label: { type: 'boolean', default: false } },
  });
  const file = positionals[0];
  if (!values.pipeline || !file) throw new CommandError('sluice predict: give --pipeline NAME and a FILE');
  const dir = await productionEndpoint(values.pipeline, lakeOf(values.lake));
  const result = await predictFile({ pointerFile: pointerFile(dir), file, labelColumn: values.label === true });
  process.stdout.write(formatPredictions(result.predictions, result.nRows, 'text/csv'));
  return 0;
}
