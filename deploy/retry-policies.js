'use strict';

/**
 * The retry policies of the state machine's Task states: the one place their `Retry` arrays are written.
 * deploy/state-machine.js gives every Task of state-machines/sluice.asl.json the default policy, or the one it names
 * with `"Retry": "<policy>"`, and serverless.yml and the local runner both load that generated definition.
 *
 * The error codes are the `name`s of core/errors.ts: retryable errors are retried here, everything else falls through
 * to the Task's Catch (test/unit/runtime/asl.test.ts checks that every retryable code is retried).
 */

/**
 * One retrier of a Task's `Retry` (Step Functions developer guide, "Handling errors in Step Functions workflows").
 * @typedef {object} Retrier
 * @property {readonly string[]} ErrorEquals
 * @property {number} IntervalSeconds
 * @property {number} MaxAttempts
 * @property {number} BackoffRate
 * @property {'FULL' | 'NONE'} JitterStrategy
 */

/**
 * A failure that may pass on its own: core's TransientServiceError (throttling, timeouts, 5xx of a service a step
 * calls) and the Lambda service errors AWS recommends retrying for every Lambda task. Four attempts over about 30 s:
 * long enough for a throttle to clear, short enough that a real outage fails the run soon.
 * @type {Readonly<Retrier>}
 */
const TRANSIENT = Object.freeze({
  ErrorEquals: Object.freeze([
    'TransientServiceError',
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'Lambda.TooManyRequestsException',
  ]),
  IntervalSeconds: 2,
  MaxAttempts: 4,
  BackoffRate: 2,
  JitterStrategy: 'FULL',
});

/**
 * SageMaker refusing a job for lack of capacity or quota (core's ResourceLimitError): instances free up in minutes,
 * not seconds, so the backoff starts at a minute and five attempts wait about half an hour in all.
 * @type {Readonly<Retrier>}
 */
const RESOURCE_LIMIT = Object.freeze({
  ErrorEquals: Object.freeze(['ResourceLimitError']),
  IntervalSeconds: 60,
  MaxAttempts: 5,
  BackoffRate: 2,
  JitterStrategy: 'FULL',
});

/**
 * The named policies, each the `Retry` array a Task gets:
 * - `standard`: transient failures only; every Task that names no policy.
 * - `capacity`: transient failures, and SageMaker's capacity and quota refusals with a long backoff; the Tasks that
 *   start SageMaker jobs.
 * @satisfies {Readonly<Record<string, readonly Readonly<Retrier>[]>>}
 */
const RETRY_POLICIES = Object.freeze({
  standard: Object.freeze([TRANSIENT]),
  capacity: Object.freeze([TRANSIENT, RESOURCE_LIMIT]),
});

/** The policy of a Task whose definition names none. */
const DEFAULT_RETRY_POLICY = 'standard';

module.exports = { DEFAULT_RETRY_POLICY, RETRY_POLICIES };
