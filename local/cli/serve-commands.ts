import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ModelVersion } from '../../core/ports/model-registry.js';
import type { PipelineSpec } from '../../core/spec/load-spec.js';
import { FolderObjectStore } from '../adapters/folder-object-store.js';
import { endpointDir, pointerFile, readPointer, writePointer } from '../adapters/local-hosting.js';
import { LocalRegistry } from '../adapters/local-registry.js';
import { listServers, liveServer, serverRecordFile, stopServerAndWait } from '../runtime/endpoint-launcher.js';
import { LOCAL_ENDPOINT_PREFIX, LOCAL_LAKE_BUCKET } from '../runtime/local-names.js';
import { projectRoot } from '../runtime/project-root.js';
import type { ModelSource } from '../serving/endpoint-server.js';
import { ServeRefusedError } from '../serving/errors.js';
import { enforceProduction } from '../serving/production-guard.js';
import type { TextServingSpec } from '../serving/text-serving-spec.js';

// The spec loader (zod, yaml) and XGBoost (koffi, tar) load when a command needs them: `stop --all` and `endpoints`
// read server records only.

/** Thrown for a command line that cannot be acted on; the message says what to do. */
export class CommandError extends Error {
  public override readonly name = 'CommandError';
}

function lakeOf(value: string | undefined): string {
  return path.resolve(value ?? 'sluice-lake');
}

/** The pipeline spec named on the command line: a pipeline under pipelines/, or a folder or file of the user's. */
async function specOf(pipeline: string): Promise<PipelineSpec> {
  const { loadPipelineSpec } = await import('../../core/spec/load-spec.js');
  return loadPipelineSpec(pipeline, path.join(projectRoot(), 'pipelines'));
}

/** The endpoint folder of a pipeline, with a pointer to its production model (written from the registry if need be). */
async function productionEndpoint(pipeline: string, lake: string): Promise<string> {
  const spec = await specOf(pipeline);
  const dir = endpointDir(lake, `${LOCAL_ENDPOINT_PREFIX}${spec.name}`);
  const store = new FolderObjectStore(lake);
  const registryDir = store.pathOf({ bucket: LOCAL_LAKE_BUCKET, key: `registry/${spec.name}` });
  if (await readPointer(dir)) {
    // The pointer may name a model that a failed or killed run left behind: serve production, or say there is none.
    const verdict = await enforceProduction(pointerFile(dir));
    if (verdict.action !== 'cleared') return dir;
  }
  const production = await new LocalRegistry(store, LOCAL_LAKE_BUCKET).production(spec.name);
  if (!production) throw new CommandError(`No model of pipeline "${spec.name}" is in production in ${lake}: run \`sluice run FILE --pipeline ${spec.name}\` first`);
  await writePointer(dir, {
    version: production.version,
    modelArtifact: store.pathOfUri(production.modelArtifact),
    endpointConfigName: 'from-registry',
    modelName: 'from-registry',
    deployedAt: new Date().toISOString(),
    registryDir,
    lakeRoot: lake,
    // A text pipeline's server normalises raw texts with the pipeline's feature SQL, as a run's Deploy records it.
    ...(await textNormalisationField(spec)),
    // Raw records (the contract's columns) are answered with the pipeline's scoring query (serving/raw-route.ts).
    ...(await import('../serving/raw-spec-field.js')).rawRecordsField(spec),
  });
  return dir;
}

/** The text serving spec of a pipeline (undefined for a tabular one); the SQL helpers load only when asked. */
async function textServingSpecOf(spec: PipelineSpec): Promise<TextServingSpec | undefined> {
  return (await import('../serving/text-normaliser.js')).textServingSpecOf(spec);
}

/** The pointer's `textNormalisation` field for a text pipeline (none for a tabular one). */
async function textNormalisationField(spec: PipelineSpec): Promise<{ textNormalisation?: TextServingSpec }> {
  const textNormalisation = await textServingSpecOf(spec);
  return textNormalisation === undefined ? {} : { textNormalisation };
}

/**
 * `sluice serve --pipeline NAME [--port N] [--lake DIR]`: serves the pipeline's production model on 127.0.0.1 with
 * SageMaker's container contract, following promotions without dropping requests, until stopped. (`--endpoint-dir`
 * is how runs start it in the background.)
 *
 * What it serves is the registry's production model or a candidate a live run is deploying, checked at start and
 * every second; it stops by itself when its pointer or lake disappears, or when only a rejected model is left.
 */
export async function serveCommand(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: { pipeline: { type: 'string' }, port: { type: 'string' }, lake: { type: 'string' }, 'endpoint-dir': { type: 'string' } },
  });
  const dir = values['endpoint-dir'] ? path.resolve(values['endpoint-dir']) : values.pipeline ? await productionEndpoint(values.pipeline, lakeOf(values.lake)) : undefined;
  if (!dir) throw new CommandError('sluice serve: give --pipeline NAME');
  const { serveEndpoint, stopOnSignals } = await import('../serving/serve-endpoint.js');
  try {
    await serveEndpoint({
      endpointDir: dir,
      port: Number(values.port ?? 8080),
      output: { info: (line) => process.stdout.write(`${line}\n`), warn: (line) => process.stderr.write(`${line}\n`) },
      stopSignal: stopOnSignals(),
    });
  } catch (error) {
    if (error instanceof ServeRefusedError) throw new CommandError(error.message, { cause: error });
    throw error;
  }
  return 0;
}

/**
 * `sluice stop --pipeline NAME [--lake DIR]` stops the pipeline's background endpoint server; `sluice stop --all
 * [--lake DIR]` stops every endpoint server of this user (of one lake with `--lake`). Only a process that is still
 * the recorded sluice server is signalled: a pid whose server is gone may belong to anything by now.
 */
export async function stopCommand(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...args], options: { pipeline: { type: 'string' }, lake: { type: 'string' }, all: { type: 'boolean', default: false } } });
  if (values.all === true) {
    const servers = await listServers(values.lake === undefined ? undefined : lakeOf(values.lake));
    // One after another: each is stopped when its process is gone, so the report is true when printed.
    for (const server of servers) {
      const how = await stopServerAndWait(server);
      if (how !== false) process.stdout.write(`sluice: ${how} ${server.url} (${server.endpointDir}, process ${server.pid})\n`);
    }
    if (servers.length === 0) process.stdout.write('sluice: no endpoint is running\n');
    return 0;
  }
  if (!values.pipeline) throw new CommandError('sluice stop: give --pipeline NAME, or --all');
  const spec = await specOf(values.pipeline);
  const dir = endpointDir(lakeOf(values.lake), `${LOCAL_ENDPOINT_PREFIX}${spec.name}`);
  const running = await liveServer(dir);
  if (!running) {
    const stale = existsSync(serverRecordFile(dir));
    if (stale) await rm(serverRecordFile(dir), { force: true });
    process.stdout.write(`sluice: no endpoint of "${spec.name}" is running${stale ? ' (removed the record of a server that is gone; no process was signalled)' : ''}\n`);
    return 0;
  }
  const how = await stopServerAndWait(running);
  process.stdout.write(how === false ? `sluice: the endpoint at ${running.url} had already stopped\n` : `sluice: ${how} the endpoint at ${running.url}\n`);
  return 0;
}

/** `sluice endpoints [--lake DIR]`: the running local endpoint servers of this user (of one lake with `--lake`). */
export async function endpointsCommand(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...args], options: { lake: { type: 'string' } } });
  const servers = await listServers(values.lake === undefined ? undefined : lakeOf(values.lake));
  if (servers.length === 0) {
    process.stdout.write('sluice: no endpoint is running\n');
    return 0;
  }
  for (const server of servers) {
    const pointer = await readPointer(server.endpointDir);
    const version = pointer === undefined ? 'no model' : `version ${pointer.version}`;
    process.stdout.write(`${server.url}  ${version}  process ${server.pid}  since ${server.startedAt}  ${server.endpointDir}\n`);
  }
  return 0;
}

/** The label's and features' names a model version was registered with (a truncated cloud value is not used). */
async function recordedNames(version: ModelVersion | undefined): Promise<{ featureNames?: string[]; labelName?: string }> {
  const { FEATURES_LINEAGE_KEY, LABEL_LINEAGE_KEY } = await import('../../core/steps/evaluate-model.js');
  const features = version?.lineage[FEATURES_LINEAGE_KEY];
  const label = version?.lineage[LABEL_LINEAGE_KEY];
  return {
    ...(features && !features.endsWith('...') ? { featureNames: features.split(',') } : {}),
    ...(label ? { labelName: label } : {}),
  };
}

/**
 * `sluice predict --pipeline NAME FILE [--label] [--k N] [--lake DIR]`: predictions of the production model for each
 * row of a CSV of features, one line per row (a `multi:softprob` row: its class probabilities, comma-separated). A header row
 * names the columns, found by the model's feature names; without one the columns are the features in training order
 * (`--label`: after the label, as in the feature files). A pipeline without a deployment section has no endpoint:
 * its approved model predicts offline, and the command says so. A text pipeline takes a CSV (header naming its text
 * column) or JSON Lines of raw texts and prints each row's top `--k` labels with their probabilities
 * (`label,prob,...`, see `predict-text-file.ts`).
 */
export async function predictCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { pipeline: { type: 'string' }, lake: { type: 'string' }, label: { type: 'boolean', default: false }, k: { type: 'string' } },
  });
  const file = positionals[0];
  if (!values.pipeline || !file) throw new CommandError('sluice predict: give --pipeline NAME and a FILE');
  const lake = lakeOf(values.lake);
  const spec = await specOf(values.pipeline);
  const store = new FolderObjectStore(lake);
  const registry = new LocalRegistry(store, LOCAL_LAKE_BUCKET);
  let source: ModelSource;
  let version: ModelVersion | undefined;
  if (spec.deployment === undefined) {
    version = await registry.production(spec.name);
    if (!version) {
      throw new CommandError(
        `No model of pipeline "${spec.name}" is approved in ${lake}. The pipeline has no deployment section, so no endpoint serves it; ` +
          `a run approves a model that passes the gate ("approved, not deployed"), and \`sluice predict\` then uses it offline`,
      );
    }
    process.stderr.write(
      `sluice: pipeline "${spec.name}" has no deployment section, so no endpoint serves it: predicting offline with version ${version.version} (approved, not deployed)\n`,
    );
    source = { modelArtifact: store.pathOfUri(version.modelArtifact) };
  } else {
    const dir = await productionEndpoint(values.pipeline, lake);
    const pointer = await readPointer(dir);
    version = (await registry.versions(spec.name)).find((v) => v.version === pointer?.version);
    source = { pointerFile: pointerFile(dir) };
  }
  const normalisation = await textServingSpecOf(spec);
  if (normalisation !== undefined) {
    // A text pipeline: raw texts, normalised by the pipeline's feature SQL, top k labels in the user's labels.
    const k = Number(values.k ?? '1');
    if (!Number.isInteger(k) || k < 1) throw new CommandError(`sluice predict: --k must be a whole number of labels, 1 or more; got "${values.k ?? ''}"`);
    const { predictTextFile, formatTextPredictions } = await import('../serving/predict-text-file.js');
    const result = await predictTextFile({ ...source, file, normalisation, k });
    process.stdout.write(formatTextPredictions(result.predictions));
    return 0;
  }
  if (values.k !== undefined) throw new CommandError(`sluice predict: --k applies to text pipelines; "${spec.name}" is tabular`);
  const [{ predictFile }, { formatPredictions }] = await Promise.all([import('../serving/predict-file.js'), import('../serving/contract.js')]);
  // A file of the contract's columns (label absent or present) is featurized by the pipeline's own query.
  const rawRecords = (await import('../serving/raw-spec-field.js')).rawRecordsOf(spec);
  const result = await predictFile({ ...source, file, labelColumn: values.label === true, ...(await recordedNames(version)), ...(rawRecords === undefined ? {} : { rawRecords }) });
  process.stdout.write(formatPredictions(result.predictions, result.nRows, 'text/csv'));
  return 0;
}
