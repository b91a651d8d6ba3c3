import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type middy from '@middy/core';
import { describeError } from '../../core/errors.js';
import { runMetrics } from '../adapters/powertools-metrics.js';
import { powertools } from '../log/powertools-logger.js';

/**
 * The function's X-Ray tracer: a segment per invocation (captureLambdaHandler), annotated with the step and the run.
 * It turns itself off outside Lambda (unit tests, the local runtime). Its service name comes from
 * POWERTOOLS_SERVICE_NAME (serverless.yml); https://docs.aws.amazon.com/powertools/typescript/latest/core/tracer/
 */
export const tracer = new Tracer();

/** Finds the run id in a state input, wherever the state carries it. */
export function runIdOf(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const e = event as { run?: { runId?: unknown }; executionName?: unknown; state?: { run?: { runId?: unknown } } };
  const id = e.run?.runId ?? e.state?.run?.runId ?? e.executionName;
  return typeof id === 'string' ? id : undefined;
}

/**
 * The middleware stack every Sluice function shares: the Lambda context and the step name on every log line, the
 * run id once the input is read, and one error line (with the error's name, the ASL error code) when a step throws;
 * an X-Ray segment per invocation, and the step's custom metrics flushed as EMF lines when it returns or throws.
 */
export function withStepDefaults(step: string): middy.MiddlewareObj[] {
  const tagRun: middy.MiddlewareObj = {
    before: (request) => {
      const runId = runIdOf(request.event) ?? 'none';
      powertools.appendKeys({ step, runId });
      tracer.putAnnotation('step', step);
      tracer.putAnnotation('runId', runId);
    },
    onError: (request) => {
      powertools.error('step failed', { error: describeError(request.error) });
    },
  };
  // Not Powertools' logMetrics: it warns "No application metrics to publish" on every invocation of the many
  // functions that record none, and the port flushes a line per dimension set itself (aws/adapters/powertools-metrics.ts).
  const flushMetrics: middy.MiddlewareObj = { after: () => runMetrics.flush(), onError: () => runMetrics.flush() };
  return [captureLambdaHandler(tracer), injectLambdaContext(powertools, { resetKeys: true }), tagRun, flushMetrics];
}
