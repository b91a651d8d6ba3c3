import middy from '@middy/core';
import { deployDeps } from '../../aws/wiring/sagemaker.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { withStepDefaults } from '../../aws/middleware/with-step-defaults.js';
import { deploy } from '../../core/steps/deploy.js';

const deps = deployDeps(loadRuntimeConfig());

/** The Deploy state. */
export const handler = middy((input: unknown) => deploy(input, deps)).use(withStepDefaults('Deploy'));
