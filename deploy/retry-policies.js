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
 * @property {number} [MaxDelaySeconds] the cap on one wait (Amazon States Language, retrier fields added 2023-09-07)
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
 * An endpoint busy with another execution's change: Deploy's adapter turns SageMaker's `ValidationException: Cannot
 * update in-progress endpoint` into a TransientServiceError (aws/adapters/sagemaker-endpoint-deployer.ts), and the
 * change in the way is another run's create or blue/green update, which that run's WaitForEndpoint waits on for up to
 * an hour (core/steps/deploy.ts, DEPLOY_TIMEOUT_SECONDS). So this retrier waits at least that long: 60, 120, 240 s,
 * then 300 s (MaxDelaySeconds caps the backoff) eleven times, 3,720 s in all. No jitter: FULL jitter draws each wait
 * between 0 and the computed one (Step Functions developer guide, "Handling errors", JitterStrategy; the CDK's
 * JitterType), which would cut the total wait in half on average; there is one writer per endpoint, so there is no herd
 * to spread. Throttles and Lambda service errors of Deploy wait the same way: a few minutes more before a run fails.
 * @type {Readonly<Retrier>}
 */
const ENDPOINT_BUSY = Object.freeze({
  ErrorEquals: TRANSIENT.ErrorEquals,
  IntervalSeconds: 60,
  MaxAttempts: 14,
  BackoffRate: 2,
  MaxDelaySeconds: 300,
  JitterStrategy: 'NONE',
});

/**
 * A Fargate task that could not be placed: with the callback pattern, RunTask's non-empty `Failures` (no capacity in
 * the subnets' zones, an image pull refused) fail the state as `AmazonECS.Unknown` (Step Functions developer guide,
 * "Run Amazon ECS or Fargate tasks with Step Functions"). Capacity comes back in minutes; the ingest is idempotent
 * (a re-run of the same bytes replaces its rows), so the task is simply started again.
 * @type {Readonly<Retrier>}
 */
const FARGATE_PLACEMENT = Object.freeze({
  ErrorEquals: Object.freeze(['AmazonECS.Unknown']),
  IntervalSeconds: 30,
  MaxAttempts: 3,
  BackoffRate: 2,
  JitterStrategy: 'FULL',
});

/**
 * The named policies, each the `Retry` array a Task gets:
 * - `standard`: transient failures only; every Task that names no policy.
 * - `capacity`: transient failures, and SageMaker's capacity and quota refusals with a long backoff; the Tasks that
 *   start SageMaker jobs.
 * - `endpoint-busy`: transient failures, waited on for as long as another execution's endpoint change may take;
 *   Deploy, whose retries otherwise give up after about 30 s while the endpoint is still updating.
 * - `fargate`: transient failures, and a Fargate task that could not be placed; the large-file ingest route.
 * @satisfies {Readonly<Record<string, readonly Readonly<Retrier>[]>>}
 */
const RETRY_POLICIES = Object.freeze({
  standard: Object.freeze([TRANSIENT]),
  capacity: Object.freeze([TRANSIENT, RESOURCE_LIMIT]),
  'endpoint-busy': Object.freeze([ENDPOINT_BUSY]),
  // The large-file route (ValidateAndPartitionOnFargate): the step's own transient errors, and placement failures.
  fargate: Object.freeze([TRANSIENT, FARGATE_PLACEMENT]),
});

/** The policy of a Task whose definition names none. */
const DEFAULT_RETRY_POLICY = 'standard';

module.exports = { DEFAULT_RETRY_POLICY, RETRY_POLICIES };
