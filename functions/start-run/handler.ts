import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { startRunDeps } from '../../aws/wiring/start-run.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { withStepDefaults } from '../../aws/middleware/with-step-defaults.js';
import { startRun } from '../../core/steps/start-run.js';

const deps = startRunDeps(loadRuntimeConfig());

/**
 * The coalescing queue's drain (deploy/coalescing.js), invoked by the schedule once a minute: starts one run per burst of
 * uploads and per pipeline, within this invocation's remaining time.
 */
export const handler = middy(async (event: unknown, context: Context) => startRun(event, { ...deps, remainingMs: () => context.getRemainingTimeInMillis() })).use(
  withStepDefaults('StartRun'),
);
