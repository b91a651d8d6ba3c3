import middy from '@middy/core';
import { ingestDeps } from '../../aws/wiring/ingest.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { withStepDefaults } from '../../aws/middleware/with-step-defaults.js';
import { recordRun } from '../../core/steps/record-run.js';

const deps = ingestDeps(loadRuntimeConfig());

/** The RecordRun state. */
export const handler = middy((input: unknown) => recordRun(input, deps)).use(withStepDefaults('RecordRun'));
