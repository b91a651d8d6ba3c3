import { createGunzip } from 'node:zlib';
import { createReadStream } from 'node:fs';
import * as z from 'zod';
import { TerminalStepError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { SpecCatalog } from '../pipelines/spec-catalog.js';
import type { PipelineSpec } from '../spec/load-spec.js';
import type { EndpointInvoker, EndpointSpec, ModelHosting } from '../ports/model-hosting.js';
import type { ModelRegistry, ModelVersion } from '../ports/model-registry.js';
import type { ObjectStore } from '../ports/object-store.js';
import { resourceName } from '../run/job-names.js';
import { runContextSchema } from '../run/run-context.js';
import { parseStateInput } from '../run/state-input.js';
import type { Evaluation } from './evaluate-model.js';
import { featureProgressSchema } from './feature-query.js';

/** The endpoint ended Failed (or failed its update); the previous model, if any, keeps serving. */
export class DeploymentFailedError extends TerminalStepError {
  public override readonly name = 'DeploymentFailedError';
}

/** The update was rolled back (an alarm fired): the endpoint serves the previous model again. */
export class DeploymentRolledBackError extends TerminalStepError {
  public override readonly name = 'DeploymentRolledBackError';
}

/** The endpoint did not reach InService in time. */
export class DeploymentTimeoutError extends TerminalStepError {
  public override readonly name = 'DeploymentTimeoutError';
}

/** The deployed endpoint answered the smoke test wrongly or not at all. */
export class SmokeTestFailedError extends TerminalStepError {
  public override readonly name = 'SmokeTestFailedError';
}

/** What the deployment steps need. */
export interface DeployDeps {
  hosting: ModelHosting;
  invoker: EndpointInvoker;
  registry: ModelRegistry;
  store: ObjectStore;
  specs: SpecCatalog;
  logger: Logger;
  /** Endpoints are `<endpointPrefix><pipeline>`. */
  endpointPrefix: string;
  /** Scratch space for the smoke test's sample. */
  workDir: string;
}

/** The deployment's progress, kept at `$.deployment`. */
export const deploymentProgressSchema = z
  .object({
    endpointName: z.string(),
    endpointConfigName: z.string(),
    modelName: z.string(),
    modelVersion: z.number().int(),
    operation: z.enum(['create', 'update']),
    attempt: z.number().int().nonnegative(),
    maxAttempts: z.number().int().positive(),
    pollSeconds: z.number().int().positive(),
    state: z.string(),
    address: z.string().optional(),
  })
  .strict();

/** The deployment progress at `$.deployment`. */
export type DeploymentProgress = z.infer<typeof deploymentProgressSchema>;

const evaluationSchema = z.custom<Evaluation>((v) => typeof v === 'object' && v !== null && 'candidate' in v);
const deployInput = z.object({ run: runContextSchema, evaluation: evaluationSchema, nonce: z.string().min(1).default('0') }).passthrough();
const stateInput = z.object({ run: runContextSchema, deployment: deploymentProgressSchema }).passthrough();
const smokeInput = z.object({ run: runContextSchema, features: featureProgressSchema, deployment: deploymentProgressSchema }).passthrough();
const promoteInput = z.object({ run: runContextSchema, evaluation: evaluationSchema, deployment: deploymentProgressSchema }).passthrough();

const POLL_SECONDS = 30;
/** Endpoint creation takes 8-15 minutes and a canary update longer: allow an hour. */
const DEPLOY_TIMEOUT_SECONDS = 3600;
const SMOKE_ROWS = 5;

/** What to deploy where: the spec's serving settings, this deployment's names, the model version. */
function endpointSpec(
  settings: NonNullable<PipelineSpec['deployment']>,
  names: { endpointName: string; modelName: string; endpointConfigName: string },
  model: ModelVersion,
): EndpointSpec {
  return {
    ...names,
    image: model.image,
    modelArtifact: model.modelArtifact,
    modelVersion: model.version,
    mode: settings.mode,
    instanceType: settings.instanceType,
    instanceCount: settings.instanceCount,
    serverlessMemoryMb: settings.serverlessMemoryMb,
    serverlessMaxConcurrency: settings.serverlessMaxConcurrency,
    trafficShift: settings.trafficShift,
  };
}

/**
 * Deploy: creates the pipeline's endpoint for its first model, or updates it blue/green (canary or linear traffic
 * shifting with automatic rollback on the stack's alarms) for a later one. Model and endpoint-config names derive
 * from the run, its start time and the redrive count, so they never collide with an earlier deployment.
 */
export async function deploy(rawInput: unknown, deps: DeployDeps): Promise<DeploymentProgress> {
  const { run, evaluation, nonce } = parseStateInput('Deploy', deployInput, rawInput);
  const spec = deps.specs.get(run.pipeline);
  const settings = spec.deployment;
  if (!settings) throw new DeploymentFailedError(`Pipeline ${spec.name} has no deployment section`);
  const candidate: ModelVersion = evaluation.candidate;
  const endpointName = `${deps.endpointPrefix}${spec.name}`;
  const modelName = resourceName(run.runId, 'model', nonce, endpointName);
  const endpointConfigName = resourceName(run.runId, 'config', nonce, endpointName);
  const { operation } = await deps.hosting.deploy(endpointSpec(settings, { endpointName, modelName, endpointConfigName }, candidate));
  deps.logger.info('deployment started', { endpointName, endpointConfigName, operation, version: candidate.version });
  return {
    endpointName,
    endpointConfigName,
    modelName,
    modelVersion: candidate.version,
    operation,
    attempt: 0,
    maxAttempts: Math.ceil(DEPLOY_TIMEOUT_SECONDS / POLL_SECONDS),
    pollSeconds: POLL_SECONDS,
    state: 'Creating',
  };
}

/**
 * GetEndpointState: one poll. InService on this run's endpoint config moves on; InService on another config means
 * the update rolled back (DeploymentRolledBackError, the previous model serving); Failed fails the run with the
 * endpoint's reason.
 */
export async function getEndpointState(rawInput: unknown, deps: DeployDeps): Promise<DeploymentProgress> {
  const { deployment } = parseStateInput('GetEndpointState', stateInput, rawInput);
  const status = await deps.hosting.status(deployment.endpointName);
  const attempt = deployment.attempt + 1;
  if (!status) throw new DeploymentFailedError(`Endpoint ${deployment.endpointName} does not exist`);
  if (status.state === 'Failed' || status.state === 'UpdateRollbackFailed') {
    throw new DeploymentFailedError(`Endpoint ${deployment.endpointName} ${status.state}: ${status.failureReason ?? 'no reason given'}`);
  }
  if (status.state === 'InService') {
    if (status.endpointConfigName !== undefined && status.endpointConfigName !== deployment.endpointConfigName) {
      throw new DeploymentRolledBackError(
        `Endpoint ${deployment.endpointName} rolled back to ${status.endpointConfigName}: the previous model keeps serving${status.failureReason ? ` (${status.failureReason})` : ''}`,
      );
    }
    return { ...deployment, attempt, state: 'InService', address: status.address };
  }
  if (attempt >= deployment.maxAttempts) throw new DeploymentTimeoutError(`Endpoint ${deployment.endpointName} still ${status.state} after ${attempt * deployment.pollSeconds} s`);
  return { ...deployment, attempt, state: status.state };
}

/** The first rows of a gzip CSV feature file, label column removed. */
async function sampleRows(path: string, count: number): Promise<string[]> {
  const lines: string[] = [];
  let rest = '';
  const stream = createReadStream(path).pipe(createGunzip());
  for await (const chunk of stream) {
    const parts = (rest + (chunk as Buffer).toString('utf8')).split('\n');
    rest = parts.pop() ?? '';
    lines.push(...parts.filter((l) => l.length > 0));
    if (lines.length >= count) break;
  }
  stream.destroy();
  return lines.slice(0, count).map((l) => l.slice(l.indexOf(',') + 1));
}

/**
 * SmokeTest: sends rows of the validation set (label removed) to the endpoint as `text/csv` and checks that one
 * finite score comes back per row. When the new model does not answer properly, the production model (if there is
 * one) is deployed again before the run fails with SmokeTestFailedError, so a broken candidate does not keep serving.
 */
export async function smokeTest(rawInput: unknown, deps: DeployDeps): Promise<{ rows: number; predictions: number[] }> {
  const { run, features, deployment } = parseStateInput('SmokeTest', smokeInput, rawInput);
  try {
    return await checkEndpoint(run.runId, features.validation.location, deployment, deps);
  } catch (error) {
    if (!(error instanceof SmokeTestFailedError)) throw error;
    const restored = await restoreProduction(run.pipeline, run.runId, deployment, deps);
    throw new SmokeTestFailedError(`${error.message}; ${restored}`, { cause: error });
  }
}

async function checkEndpoint(runId: string, validationLocation: string, deployment: DeploymentProgress, deps: DeployDeps): Promise<{ rows: number; predictions: number[] }> {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(validationLocation);
  if (!match?.[1]) throw new SmokeTestFailedError(`No validation set at ${validationLocation}`);
  const files = (await deps.store.list(match[1], match[2] ?? '')).filter((o) => o.size > 0);
  const first = files[0];
  if (!first) throw new SmokeTestFailedError(`The validation set ${validationLocation} is empty`);
  const local = await deps.store.localCopy(first, `${deps.workDir}/${runId}/smoke`);
  let rows: string[];
  try {
    rows = await sampleRows(local.path, SMOKE_ROWS);
  } finally {
    await local.release();
  }
  const address = deployment.address ?? deployment.endpointName;
  let body: string;
  try {
    body = (await deps.invoker.invoke(address, { contentType: 'text/csv', accept: 'text/csv', body: `${rows.join('\n')}\n` })).body;
  } catch (error) {
    throw new SmokeTestFailedError(`Endpoint ${deployment.endpointName} did not answer: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const predictions = body.split(/[\n,]/).map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (predictions.length !== rows.length || predictions.some((p) => !Number.isFinite(p))) {
    throw new SmokeTestFailedError(`Endpoint ${deployment.endpointName} answered ${rows.length} rows with "${body.slice(0, 200)}": expected ${rows.length} numbers`);
  }
  return { rows: rows.length, predictions };
}

/** Deploys the production model again after a failed smoke test; says what it did. */
async function restoreProduction(pipeline: string, runId: string, deployment: DeploymentProgress, deps: DeployDeps): Promise<string> {
  const settings = deps.specs.get(pipeline).deployment;
  const production = await deps.registry.production(pipeline);
  if (!production || !settings) return 'there is no production model to restore';
  const names = {
    endpointName: deployment.endpointName,
    modelName: resourceName(runId, 'restore-model', deployment.endpointConfigName, deployment.endpointName),
    endpointConfigName: resourceName(runId, 'restore-config', deployment.endpointConfigName, deployment.endpointName),
  };
  await deps.hosting.deploy(endpointSpec(settings, names, production));
  deps.logger.warn('smoke test failed: production model redeployed', { version: production.version, endpointConfigName: names.endpointConfigName });
  return `production version ${production.version} is being deployed again (${names.endpointConfigName})`;
}

/**
 * PromoteModel: the candidate is deployed and answers, so it becomes the production model in the registry; models
 * and endpoint configs beyond the spec's `keepVersions` are deleted.
 */
export async function promoteModel(rawInput: unknown, deps: DeployDeps): Promise<{ version: number; endpoint: string; cleanedUp: string[] }> {
  const { run, evaluation, deployment } = parseStateInput('PromoteModel', promoteInput, rawInput);
  const spec = deps.specs.get(run.pipeline);
  await deps.registry.decide(evaluation.candidate, 'Approved', evaluation.decision.reasons.join('; '));
  const { deleted } = await deps.hosting.cleanup(deployment.endpointName, spec.deployment?.keepVersions ?? 3);
  return { version: evaluation.candidate.version, endpoint: deployment.address ?? deployment.endpointName, cleanedUp: deleted };
}
