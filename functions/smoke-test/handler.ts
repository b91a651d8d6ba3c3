import middy from '@middy/core';
import { awsStepDeps } from '../../core/aws/deps.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { withStepDefaults } from '../../core/middleware/with-step-defaults.js';
import { smokeTest } from '../../core/steps/deploy.js';

const deps = awsStepDeps(loadRuntimeConfig());

/** The SmokeTest state. */
export const handler = middy((input: unknown) => smokeTest(input, deps)).use(withStepDefaults('SmokeTest'));
