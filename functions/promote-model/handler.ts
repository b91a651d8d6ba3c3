import middy from '@middy/core';
import { deployDeps } from '../../aws/wiring/sagemaker.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { withStepDefaults } from '../../aws/middleware/with-step-defaults.js';
import { promoteModel } from '../../core/steps/deploy.js';

const deps = deployDeps(loadRuntimeConfig());

/** The PromoteModel state. */
export const handler = middy((input: unknown) => promoteModel(input, deps)).use(withStepDefaults('PromoteModel'));
