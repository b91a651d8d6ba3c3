import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type middy from '@middy/core';
import { describeError } from '../../core/errors.js';
import { powertools } from '../log/powertools-logger.js';

/** Finds the run id in a state input, wherever the state carries it. */
export function runIdOf(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const e = event as { run?: { runId?: unknown }; executionName?: unknown; state?: { run?: { runId?: unknown } } };
  const id = e.run?.runId ?? e.state?.run?.runId ?? e.executionName;
  return typeof id === 'string' ? id : undefined;
}

/**
 * The middleware stack every Sluice function shares: the Lambda context and the step name on every log line, the
 * run id once the input is read, and one error line (with the error's name, the ASL error code) when a step throws.
 */
export function withStepDefaults(step: string): middy.MiddlewareObj[] {
  const tagRun: middy.MiddlewareObj = {
    before: (request) => {
      powertools.appendKeys({ step, runId: runIdOf(request.event) ?? 'none' });
    },
    onError: (request) => {
      powertools.error('step failed', { error: describeError(request.error) });
    },
  };
  return [injectLambdaContext(powertools, { resetKeys: true }), tagRun];
}
