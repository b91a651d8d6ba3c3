import * as z from 'zod';
import { RetryableStepError } from '../errors.js';
import type { DeployDeps } from '../deployment/deployment.js';
import { SmokeTestFailedError, endpointSpec } from '../deployment/deployment.js';
import { readPredictionAnswer } from '../deployment/prediction-answer.js';
import { sampleFeatureRows } from '../features/feature-rows.js';
import { resourceName } from '../run/job-names.js';
import { runContextSchema } from '../run/run-context.js';
import { parseStateInput } from '../run/state-input.js';
import type { DeploymentProgress, SmokeTestResult } from '../run/workflow-state.js';
import { deploymentProgressSchema, featureProgressSchema } from '../run/workflow-state.js';

const inputSchema = z.object({ run: runContextSchema, features: featureProgressSchema, deployment: deploymentProgressSchema }).passthrough();

const SMOKE_ROWS = 5;

/**
 * SmokeTest: checks that the deployed candidate answers before it is promoted.
 *
 * 1. Reads `$.run`, `$.features` and `$.deployment`.
 * 2. Takes the first rows of the run's validation set, label removed.
 * 3. Sends them to the endpoint as `text/csv` and expects one row back per row sent, in the container's format: one
 *    finite score, or a `multi:softprob` model's class probabilities (core/deployment/prediction-answer.ts).
 * 4. A retryable failure of the call (a throttle, a service fault, a model not ready yet) is thrown as it is, for the
 *    ASL's Retry.
 * 5. When the candidate does not answer properly, deploys the production model (if there is one) again, then fails the
 *    run with SmokeTestFailedError, so a broken candidate does not keep serving.
 * 6. Returns the rows sent and the scores (row-major, all classes of a row in turn) at `$.smokeTest`.
 */
export async function smokeTest(rawInput: unknown, deps: DeployDeps): Promise<SmokeTestResult> {
  const { run, features, deployment } = parseStateInput('SmokeTest', inputSchema, rawInput);
  try {
    return await checkEndpoint(run.runId, features.validation.location, deployment, deps);
  } catch (error) {
    if (!(error instanceof SmokeTestFailedError)) throw error;
    const restored = await restoreProduction(run.pipeline, run.runId, deployment, deps);
    throw new SmokeTestFailedError(`${error.message}; ${restored}`, { cause: error });
  }
}

async function checkEndpoint(runId: string, validationLocation: string, deployment: DeploymentProgress, deps: DeployDeps): Promise<SmokeTestResult> {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(validationLocation);
  if (!match?.[1]) throw new SmokeTestFailedError(`No validation set at ${validationLocation}`);
  const files = (await deps.store.list(match[1], match[2] ?? '')).filter((o) => o.size > 0);
  const first = files[0];
  if (!first) throw new SmokeTestFailedError(`The validation set ${validationLocation} is empty`);
  const local = await deps.store.localCopy(first, `${deps.workDir}/${runId}/smoke`);
  let rows: string[];
  try {
    rows = await sampleFeatureRows(local.path, SMOKE_ROWS);
  } finally {
    await local.release();
  }
  const address = deployment.address ?? deployment.endpointName;
  let body: string;
  let contentType: string;
  try {
    ({ body, contentType } = await deps.invoker.invoke(address, { contentType: 'text/csv', accept: 'text/csv', body: `${rows.join('\n')}\n` }));
  } catch (error) {
    // A throttle, a 5xx or SageMaker Runtime's ModelNotReadyException ("Wait and try your request again", SageMaker
    // Runtime API reference, InvokeEndpoint errors) says nothing about the candidate: the ASL's Retry sends the request
    // again. Calling it a failed smoke test would redeploy production over a candidate that may be fine.
    if (error instanceof RetryableStepError) throw error;
    throw new SmokeTestFailedError(`Endpoint ${deployment.endpointName} did not answer: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const answer = readPredictionAnswer(body, contentType, rows.length);
  if (!answer.ok) {
    throw new SmokeTestFailedError(
      `Endpoint ${deployment.endpointName} answered ${rows.length} rows with "${body.slice(0, 200)}": ${answer.problem}; ` +
        `for multi:softprob expected ${rows.length} lines of class probabilities, else expected ${rows.length} numbers`,
    );
  }
  return { rows: rows.length, predictions: answer.rows.values };
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
