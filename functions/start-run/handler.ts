import middy from '@middy/core';
import { startRunDeps } from '../../aws/wiring/start-run.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { withStepDefaults } from '../../aws/middleware/with-step-defaults.js';
import { startRun } from '../../core/steps/start-run.js';

const deps = startRunDeps(loadRuntimeConfig());

/** EventBridge target for S3 "Object Created" events in the drop zone: starts one run per object version. */
export const handler = middy((event: unknown) => startRun(event, deps)).use(withStepDefaults('StartRun'));
