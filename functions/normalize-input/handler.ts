import middy from '@middy/core';
import { ingestDeps } from '../../aws/wiring/ingest.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { withStepDefaults } from '../../aws/middleware/with-step-defaults.js';
import { normalizeInput } from '../../core/steps/normalize-input.js';

const deps = ingestDeps(loadRuntimeConfig());

/** The NormalizeInput state. */
export const handler = middy((input: unknown) => normalizeInput(input, deps)).use(withStepDefaults('NormalizeInput'));
