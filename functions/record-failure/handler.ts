import middy from '@middy/core';
import { recordFailureDeps } from '../../aws/wiring/sagemaker.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { withStepDefaults } from '../../aws/middleware/with-step-defaults.js';
import { recordFailure } from '../../core/steps/record-run.js';

const deps = recordFailureDeps(loadRuntimeConfig());

/** The RecordFailure state. */
export const handler = middy((input: unknown) => recordFailure(input, deps)).use(withStepDefaults('RecordFailure'));
