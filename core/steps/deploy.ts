import * as z from 'zod';
import type { DeployDeps } from '../deployment/deployment.js';
import { DeploymentFailedError, endpointSpec } from '../deployment/deployment.js';
import { resourceName } from '../run/job-names.js';
import { runContextSchema } from '../run/run-context.js';
import { parseStateInput } from '../run/state-input.js';
import type { DeploymentProgress } from '../run/workflow-state.js';
import { evaluationSchema, nonceSchema } from '../run/workflow-state.js';

const inputSchema = z.object({ run: runContextSchema, evaluation: evaluationSchema, nonce: nonceSchema }).passthrough();

const POLL_SECONDS = 30;
/** Endpoint creation takes 8-15 minutes and a canary update longer: allow an hour. */
const DEPLOY_TIMEOUT_SECONDS = 3600;

/**
 * Deploy: puts the promoted candidate on the pipeline's endpoint.
 *
 * 1. Reads `$.run`, `$.evaluation` and the nonce; a pipeline without a deployment section fails the run with
 *    DeploymentFailedError.
 * 2. Names the model and endpoint config from the run, its start time and the redrive count, so they never collide
 *    with an earlier deployment.
 * 3. Creates the endpoint for the pipeline's first model, or updates it blue/green (canary or linear traffic shifting
 *    with automatic rollback on the stack's alarms) for a later one.
 * 4. Returns the progress at `$.deployment`, its polls bounded by an hour.
 */
export async function deploy(rawInput: unknown, deps: DeployDeps): Promise<DeploymentProgress> {
  const { run, evaluation, nonce } = parseStateInput('Deploy', inputSchema, rawInput);
  const spec = deps.specs.get(run.pipeline);
  const settings = spec.deployment;
  if (!settings) throw new DeploymentFailedError(`Pipeline ${spec.name} has no deployment section`);
  const candidate = evaluation.candidate;
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
