import { stepHandler } from '../../aws/middleware/step-handler.js';
import { smokeTestDeps } from '../../aws/wiring/sagemaker.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { smokeTest } from '../../core/steps/smoke-test.js';

const deps = smokeTestDeps(loadRuntimeConfig());

/** The SmokeTest state: the registry's step for it, with this function's AWS dependencies. */
export const handler = stepHandler('SmokeTest', smokeTest, deps);
