import middy from '@middy/core';
import { ingestDeps } from '../../aws/wiring/ingest.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { withStepDefaults } from '../../aws/middleware/with-step-defaults.js';
import { validateAndPartition } from '../../core/steps/validate-and-partition.js';

const deps = ingestDeps(loadRuntimeConfig());

/** The ValidateAndPartition state. */
export const handler = middy((input: unknown) => validateAndPartition(input, deps)).use(withStepDefaults('ValidateAndPartition'));
