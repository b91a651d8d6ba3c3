import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import * as z from 'zod';
import { RetryableStepError } from '../errors.js';
import type { DeployDeps } from '../deployment/deployment.js';
import { SmokeTestFailedError, endpointSpec } from '../deployment/deployment.js';
import { readPredictionAnswer } from '../deployment/prediction-answer.js';
import { BLAZINGTEXT_CONTENT_TYPE, blazingTextRequestBody, readTextPredictionAnswer, sentenceOfChannelLine } from '../deployment/text-prediction.js';
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
 *
 * A text (BlazingText) model is sent the first lines of the validation channel, label token removed, in BlazingText's
 * JSON contract (core/deployment/text-prediction.ts), and must answer a label and a probability per instance; the
 * scores returned are each instance's top probability. Retries and the restore are the same.
 */
export async function smokeTest(rawInput: unknown, deps: DeployDeps): Promise<SmokeTestResult> {
  const { run, features, deployment } = parseStateInput('SmokeTest', inputSchema, rawInput);
  try {
    const text = deps.specs.get(run.pipeline).training?.algorithm === 'blazingtext';
    return await (text ? checkTextEndpoint : checkEndpoint)(run.runId, features.validation.location, deployment, deps);
  } catch (error) {
    if (!(error instanceof SmokeTestFailedError)) throw error;
    const restored = await restoreProduction(run.pipeline, run.runId, deployment, deps);
    throw new SmokeTestFailedError(`${error.message}; ${restored}`, { cause: error });
  }
}

async function checkEndpoint(runId: string, validationLocation: string, deployment: DeploymentProgress, deps: DeployDeps): Promise<SmokeTestResult> {
  const rows = await sampleRows(runId, validationLocation, deps, sampleFeatureRows);
  const { body, contentType } = await send(deployment, deps, { contentType: 'text/csv', accept: 'text/csv', body: `${rows.join('\n')}\n` });
  const answer = readPredictionAnswer(body, contentType, rows.length);
  if (!answer.ok) {
    throw new SmokeTestFailedError(
      `Endpoint ${deployment.endpointName} answered ${rows.length} rows with "${body.slice(0, 200)}": ${answer.problem}; ` +
        `for multi:softprob expected ${rows.length} lines of class probabilities, else expected ${rows.length} numbers`,
    );
  }
  return { rows: rows.length, predictions: answer.rows.values };
}

async function checkTextEndpoint(runId: string, validationLocation: string, deployment: DeploymentProgress, deps: DeployDeps): Promise<SmokeTestResult> {
  const sentences = (await sampleRows(runId, validationLocation, deps, firstLines)).map(sentenceOfChannelLine);
  const request = { contentType: BLAZINGTEXT_CONTENT_TYPE, accept: BLAZINGTEXT_CONTENT_TYPE, body: blazingTextRequestBody(sentences, 1) };
  const { body } = await send(deployment, deps, request);
  const answer = readTextPredictionAnswer(body, sentences.length);
  if (!answer.ok) {
    throw new SmokeTestFailedError(
      `Endpoint ${deployment.endpointName} answered ${sentences.length} reviews with "${body.slice(0, 200)}": ${answer.problem}; ` +
        `expected BlazingText's [{"label": [...], "prob": [...]}, ...], one per instance`,
    );
  }
  return { rows: sentences.length, predictions: answer.predictions.map((p) => p.prob[0] ?? 0) };
}

/** The first rows of the validation set's first non-empty object, read by `read`. */
async function sampleRows(runId: string, validationLocation: string, deps: DeployDeps, read: (file: string, rows: number) => Promise<string[]>): Promise<string[]> {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(validationLocation);
  if (!match?.[1]) throw new SmokeTestFailedError(`No validation set at ${validationLocation}`);
  const files = (await deps.store.list(match[1], match[2] ?? '')).filter((o) => o.size > 0);
  const first = files[0];
  if (!first) throw new SmokeTestFailedError(`The validation set ${validationLocation} is empty`);
  const local = await deps.store.localCopy(first, `${deps.workDir}/${runId}/smoke`);
  try {
    return await read(local.path, SMOKE_ROWS);
  } finally {
    await local.release();
  }
}

/** The first `count` lines of a plain text file (a BlazingText channel), read as a stream: the file may be large. */
async function firstLines(file: string, count: number): Promise<string[]> {
  const lines: string[] = [];
  const reader = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  try {
    for await (const line of reader) {
      if (line !== '') lines.push(line);
      if (lines.length >= count) break;
    }
  } finally {
    reader.close();
  }
  return lines;
}

async function send(
  deployment: DeploymentProgress,
  deps: DeployDeps,
  request: { contentType: string; accept: string; body: string },
): Promise<{ body: string; contentType: string }> {
  const address = deployment.address ?? deployment.endpointName;
  try {
    return await deps.invoker.invoke(address, request);
  } catch (error) {
    // A throttle, a 5xx or SageMaker Runtime's ModelNotReadyException ("Wait and try your request again", SageMaker
    // Runtime API reference, InvokeEndpoint errors) says nothing about the candidate: the ASL's Retry sends the request
    // again. Calling it a failed smoke test would redeploy production over a candidate that may be fine.
    if (error instanceof RetryableStepError) throw error;
    throw new SmokeTestFailedError(`Endpoint ${deployment.endpointName} did not answer: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
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
