import { ResourceLimitError, TransientServiceError } from '../../core/errors.js';

const TRANSIENT_NAMES = new Set([
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

/**
 * Classifies an SDK error: a throttle, a timeout or a 5xx becomes a TransientServiceError, a SageMaker
 * ResourceLimitExceeded a ResourceLimitError (the state machine retries both, the latter with a long backoff);
 * anything else is returned as it is.
 */
export function classifyAwsError(error: unknown, action: string): unknown {
  if (typeof error !== 'object' || error === null) return error;
  const name = 'name' in error ? String(error.name) : '';
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
  const retryable = (error as { $retryable?: unknown }).$retryable !== undefined;
  if (name === 'ResourceLimitExceeded') {
    const message = 'message' in error ? String(error.message) : name;
    return new ResourceLimitError(`${action} hit a SageMaker limit (${name}): ${message}`, { cause: error });
  }
  if (TRANSIENT_NAMES.has(name) || status >= 500 || retryable) {
    const message = 'message' in error ? String(error.message) : name;
    return new TransientServiceError(`${action} failed for now (${name}): ${message}`, { cause: error });
  }
  return error;
}

/** Runs an SDK call, turning transient failures into TransientServiceError. */
export async function callAws<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw classifyAwsError(error, action);
  }
}
