import middy from '@middy/core';
import { awsStepDeps } from '../../core/aws/deps.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { withStepDefaults } from '../../core/middleware/with-step-defaults.js';
import { validateAndPartition } from '../../core/steps/validate-and-partition.js';

const deps = awsStepDeps(loadRuntimeConfig());

/** The ValidateAndPartition state. */
export const handler = middy((input: unknown) => validateAndPartition(input, deps)).use(withStepDefaults('ValidateAndPartition'));
