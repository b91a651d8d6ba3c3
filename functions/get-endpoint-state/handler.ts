import middy from '@middy/core';
import { deployDeps } from '../../aws/wiring/sagemaker.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { withStepDefaults } from '../../aws/middleware/with-step-defaults.js';
import { getEndpointState } from '../../core/steps/deploy.js';

const deps = deployDeps(loadRuntimeConfig());

/** The GetEndpointState state. */
export const handler = middy((input: unknown) => getEndpointState(input, deps)).use(withStepDefaults('GetEndpointState'));
