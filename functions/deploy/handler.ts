import middy from '@middy/core';
import { awsStepDeps } from '../../core/aws/deps.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { withStepDefaults } from '../../core/middleware/with-step-defaults.js';
import { deploy } from '../../core/steps/deploy.js';

const deps = awsStepDeps(loadRuntimeConfig());

/** The Deploy state. */
export const handler = middy((input: unknown) => deploy(input, deps)).use(withStepDefaults('Deploy'));
