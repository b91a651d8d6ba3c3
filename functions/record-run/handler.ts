import middy from '@middy/core';
import { awsStepDeps } from '../../core/aws/deps.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { withStepDefaults } from '../../core/middleware/with-step-defaults.js';
import { recordRun } from '../../core/steps/record-run.js';

const deps = awsStepDeps(loadRuntimeConfig());

/** The RecordRun state. */
export const handler = middy((input: unknown) => recordRun(input, deps)).use(withStepDefaults('RecordRun'));
