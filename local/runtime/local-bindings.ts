import type { Logger } from '../../core/log/logger.js';
import { getCrawlerState, startCrawler } from '../../core/steps/crawl.js';
import { getFeatureQueryState, startFeatureQuery } from '../../core/steps/feature-query.js';
import { deploy, getEndpointState, promoteModel, smokeTest } from '../../core/steps/deploy.js';
import { evaluateModel } from '../../core/steps/evaluate-model.js';
import { normalizeInput } from '../../core/steps/normalize-input.js';
import { recordFailure, recordRun } from '../../core/steps/record-run.js';
import { describeTraining, describeTuning, startTraining, startTuning } from '../../core/steps/training.js';
import { validateAndPartition } from '../../core/steps/validate-and-partition.js';
import type { LocalDeps } from './local-deps.js';

/** A JSON document, as states pass them to each other. */
export type JSONValue = string | number | boolean | null | JSONValue[] | { [key: string]: JSONValue };

/** A Task state's local implementation: the same step code the Lambda handler calls. */
export type LocalTask = (input: JSONValue) => Promise<JSONValue>;

type Step = (input: unknown, deps: LocalDeps) => Promise<unknown>;

/** The step each Task state runs, by state name (the same names as in the ASL). */
export const STEP_BY_STATE: Readonly<Record<string, Step>> = {
  NormalizeInput: normalizeInput,
  ValidateAndPartition: validateAndPartition,
  StartCrawler: startCrawler,
  GetCrawlerState: getCrawlerState,
  StartFeatureQuery: startFeatureQuery,
  GetFeatureQueryState: getFeatureQueryState,
  StartTraining: startTraining,
  DescribeTraining: describeTraining,
  StartTuning: startTuning,
  DescribeTuning: describeTuning,
  EvaluateModel: evaluateModel,
  Deploy: deploy,
  GetEndpointState: getEndpointState,
  SmokeTest: smokeTest,
  PromoteModel: promoteModel,
  RecordRun: recordRun,
  RecordFailure: recordFailure,
};

/**
 * Binds every Task state to its step with the local adapters. The result goes through JSON, as it would between
 * Lambda and Step Functions, so a step cannot hand the next one something AWS could not carry.
 */
export function localBindings(deps: LocalDeps): Record<string, LocalTask> {
  return Object.fromEntries(
    Object.entries(STEP_BY_STATE).map(([state, step]) => [
      state,
      async (input: JSONValue) => {
        const logger = withStep(deps.logger, state);
        const result = await step(input, { ...deps, logger });
        return JSON.parse(JSON.stringify(result ?? null)) as JSONValue;
      },
    ]),
  );
}

function withStep(logger: Logger, step: string): Logger {
  return {
    debug: (m, f) => logger.debug(m, { step, ...f }),
    info: (m, f) => logger.info(m, { step, ...f }),
    warn: (m, f) => logger.warn(m, { step, ...f }),
    error: (m, f) => logger.error(m, { step, ...f }),
  };
}
