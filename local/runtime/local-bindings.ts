import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/log/logger.js';
import type { LambdaErrorCause } from '../../core/run/workflow-state.js';
import type { StateName } from '../../core/steps/registry.js';
import { stateNames, stepRegistry } from '../../core/steps/registry.js';
import type { LocalDeps } from './local-deps.js';

/** A JSON document, as states pass them to each other. */
export type JSONValue = string | number | boolean | null | JSONValue[] | { [key: string]: JSONValue };

/** A Task state's local implementation: the same step code the Lambda handler calls. */
export type LocalTask = (input: JSONValue) => Promise<JSONValue>;

/**
 * A step's error as Step Functions receives it from a Lambda function: `name` is the Lambda error document's
 * `errorType` (what `Retry` and `Catch` match, and the caught `Error`), `message` the document itself as JSON (the
 * caught `Cause`). aws-local-stepfunctions makes `{Error: name, Cause: message}` of a thrown error, so throwing this
 * gives a Catch the same `$.error` as on AWS.
 */
export class LambdaFunctionError extends Error {
  public override readonly name: string;
  /** The error document, as the Lambda Node.js runtime would have returned it. */
  public readonly document: LambdaErrorCause;

  public constructor(document: LambdaErrorCause) {
    // No `cause`: the engine reports `error.cause ?? error.message` in its event log, which must be the Cause string.
    super(JSON.stringify(document));
    this.name = document.errorType;
    this.document = document;
  }
}

/**
 * The Lambda Node.js runtime's error document of a thrown value: its name as `errorType`, its message, its stack line
 * by line as `trace` (a thrown non-Error becomes an `Error` with its string as message, as the runtime does).
 */
export function lambdaErrorDocument(error: unknown): LambdaErrorCause {
  const { name, message } = describeError(error);
  const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : `${name}: ${message}`;
  return { errorType: name, errorMessage: message, trace: stack.split('\n') };
}

/**
 * Binds every Task state to the registry's step for it, with the local adapters. The result goes through JSON, as it
 * would between Lambda and Step Functions, so a step cannot hand the next one something AWS could not carry; a thrown
 * error reaches the state machine as a Lambda function error does (see {@link LambdaFunctionError}).
 */
export function localBindings(deps: LocalDeps): Record<StateName, LocalTask> {
  const bindings = {} as Record<StateName, LocalTask>;
  for (const state of stateNames) bindings[state] = bind(state, deps);
  return bindings;
}

function bind(state: StateName, deps: LocalDeps): LocalTask {
  return async (input) => {
    const logger = withStep(deps.logger, state);
    let result: unknown;
    try {
      result = await stepRegistry[state](input, { ...deps, logger });
    } catch (error) {
      throw new LambdaFunctionError(lambdaErrorDocument(error));
    }
    return JSON.parse(JSON.stringify(result ?? null)) as JSONValue;
  };
}

function withStep(logger: Logger, step: string): Logger {
  return {
    debug: (m, f) => logger.debug(m, { step, ...f }),
    info: (m, f) => logger.info(m, { step, ...f }),
    warn: (m, f) => logger.warn(m, { step, ...f }),
    error: (m, f) => logger.error(m, { step, ...f }),
  };
}
