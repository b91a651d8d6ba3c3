import * as z from 'zod';
import type { DeployDeps } from '../deployment/deployment.js';
import { DeploymentFailedError, DeploymentRolledBackError, DeploymentTimeoutError } from '../deployment/deployment.js';
import { runContextSchema } from '../run/run-context.js';
import { parseStateInput } from '../run/state-input.js';
import type { DeploymentProgress } from '../run/workflow-state.js';
import { deploymentProgressSchema } from '../run/workflow-state.js';

const inputSchema = z.object({ run: runContextSchema, deployment: deploymentProgressSchema }).passthrough();

/**
 * GetEndpointState: one poll of the endpoint Deploy created or updated.
 *
 * 1. Reads `$.deployment`.
 * 2. Asks the hosting how the endpoint stands; an endpoint that does not exist fails the run with
 *    DeploymentFailedError.
 * 3. Failed (or UpdateRollbackFailed) fails the run with DeploymentFailedError and the endpoint's reason.
 * 4. InService on this run's endpoint config moves on, with the address it serves at; InService on another config
 *    means the update rolled back, and fails the run with DeploymentRolledBackError, the previous model serving.
 * 5. Too many polls fail the run with DeploymentTimeoutError; otherwise it waits again.
 */
export async function getEndpointState(rawInput: unknown, deps: DeployDeps): Promise<DeploymentProgress> {
  const { deployment } = parseStateInput('GetEndpointState', inputSchema, rawInput);
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
