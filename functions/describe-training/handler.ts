import middy from '@middy/core';
import { trainingDeps } from '../../aws/wiring/sagemaker.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { withStepDefaults } from '../../aws/middleware/with-step-defaults.js';
import { describeTraining } from '../../core/steps/training.js';

const deps = trainingDeps(loadRuntimeConfig());

/** The DescribeTraining state. */
export const handler = middy((input: unknown) => describeTraining(input, deps)).use(withStepDefaults('DescribeTraining'));
