/**
 * The one place that reads SDK errors: their name and message, the "not found" and "already exists" answers that mean
 * a retried call's work is done, and the mapping of throttles, timeouts and 5xx to the errors Step Functions retries.
 * Every adapter in aws/adapters goes through it, so a new SDK quirk is handled once.
 */
import { ResourceLimitError, TransientServiceError } from '../../core/errors.js';

const TRANSIENT_NAMES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'InternalServerError',
  'InternalServiceException',
  'RequestTimeout',
  'TimeoutError',
  'ECONNRESET',
]);

/** Options of {@link classifyAwsError} and the call helpers. */
export interface ClassifyOptions {
  /**
   * More exception names that mean "try again later" for this service, beyond the throttles and 5xx every service
   * shares: Glue's OperationTimeoutException comes with HTTP 400, Athena's InternalServerException may come without a
   * status, the SageMaker runtime's ModelNotReadyException is a serverless variant still starting.
   */
  transientNames?: readonly string[];
}

/**
 * The exception name of an SDK error (`ThrottlingException`, `ValidationException`, ...), or '' for something that is
 * not an error object. A network failure reaches the adapters as a plain Node error named `Error`, its kind in `code`
 * (`ECONNRESET`): that code is its name here.
 */
export function awsErrorName(error: unknown): string {
  if (typeof error !== 'object' || error === null) return '';
  const { name, code } = error as { name?: unknown; code?: unknown };
  if ((name === undefined || name === 'Error') && typeof code === 'string') return code;
  return name === undefined ? '' : String(name);
}

/** The message of an SDK error, or '' when it has none. */
export function awsErrorMessage(error: unknown): string {
  if (typeof error !== 'object' || error === null || !('message' in error)) return '';
  return String(error.message);
}

/**
 * Whether an SDK error is one of `names` and, when a pattern is given, says what it matches: SageMaker answers a
 * missing or duplicate resource with a ValidationException told apart from the others only by its message.
 *
 * @example isAwsError(error, ['NotFound', 'NoSuchKey']) // S3 HeadObject / GetObject of a missing key
 */
export function isAwsError(error: unknown, names: string | readonly string[], message?: RegExp): boolean {
  const name = awsErrorName(error);
  if (typeof names === 'string' ? name !== names : !names.includes(name)) return false;
  return message === undefined || message.test(awsErrorMessage(error));
}

/**
 * SageMaker answers a missing endpoint, endpoint config or model with a ValidationException "Could not find endpoint
 * "arn:…"." (or "endpoint configuration", "model"); some APIs use ResourceNotFound.
 */
export function isSageMakerNotFound(error: unknown): boolean {
  return isAwsError(error, 'ResourceNotFound') || isAwsError(error, 'ValidationException', /could not find/i);
}

/**
 * SageMaker answers a duplicate endpoint, endpoint config or model name with a ValidationException "Cannot create
 * already existing model "arn:…"." (some APIs with ResourceInUse).
 */
export function isSageMakerAlreadyExisting(error: unknown): boolean {
  return isAwsError(error, ['ValidationException', 'ResourceInUse'], /already existing|already exists/i);
}

/**
 * Classifies an SDK error: a throttle, a timeout or a 5xx (or a name in `options.transientNames`) becomes a
 * TransientServiceError, a SageMaker ResourceLimitExceeded a ResourceLimitError (the state machine retries both, the
 * latter with a long backoff); anything else is returned as it is.
 */
export function classifyAwsError(error: unknown, action: string, options: ClassifyOptions = {}): unknown {
  if (typeof error !== 'object' || error === null) return error;
  const name = awsErrorName(error);
  const message = awsErrorMessage(error) || name;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
  // The SDK marks the errors its retry strategy would retry (throttles, transient faults) with $retryable.
  const retryable = (error as { $retryable?: unknown }).$retryable !== undefined;
  if (name === 'ResourceLimitExceeded') {
    return new ResourceLimitError(`${action} hit a SageMaker limit (${name}): ${message}`, { cause: error });
  }
  if (TRANSIENT_NAMES.has(name) || options.transientNames?.includes(name) || status >= 500 || retryable) {
    return new TransientServiceError(`${action} failed for now (${name}): ${message}`, { cause: error });
  }
  return error;
}

/** Runs an SDK call, turning transient failures into TransientServiceError (see {@link classifyAwsError}). */
export async function callAws<T>(action: string, call: () => Promise<T>, options?: ClassifyOptions): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw classifyAwsError(error, action, options);
  }
}

/**
 * Runs an SDK call like {@link callAws}, except that a failure `tolerated` accepts resolves to undefined: for calls whose
 * failure means there is nothing (more) to do, as a create that finds the resource an earlier attempt of the state
 * made, or a describe or delete that finds it gone.
 *
 * @example await callAwsTolerating(`DeleteModel ${name}`, () => client.send(new DeleteModelCommand({ ModelName: name })), isSageMakerNotFound);
 */
export async function callAwsTolerating<T>(
  action: string,
  call: () => Promise<T>,
  tolerated: (error: unknown) => boolean,
  options?: ClassifyOptions,
): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if (tolerated(error)) return undefined;
    throw classifyAwsError(error, action, options);
  }
}
