import middy from '@middy/core';
import { awsStepDeps } from '../../core/aws/deps.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { withStepDefaults } from '../../core/middleware/with-step-defaults.js';
import { recordFailure } from '../../core/steps/record-run.js';

const deps = awsStepDeps(loadRuntimeConfig());

/** The RecordFailure state. */
export const handler = middy((input: unknown) => recordFailure(input, deps)).use(withStepDefaults('RecordFailure'));
