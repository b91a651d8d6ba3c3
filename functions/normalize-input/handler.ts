import middy from '@middy/core';
import { awsStepDeps } from '../../core/aws/deps.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { withStepDefaults } from '../../core/middleware/with-step-defaults.js';
import { normalizeInput } from '../../core/steps/normalize-input.js';

const deps = awsStepDeps(loadRuntimeConfig());

/** The NormalizeInput state. */
export const handler = middy((input: unknown) => normalizeInput(input, deps)).use(withStepDefaults('NormalizeInput'));
