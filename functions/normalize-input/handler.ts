import { stepHandler } from '../../aws/middleware/step-handler.js';
import { ingestDeps } from '../../aws/wiring/ingest.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { normalizeInput } from '../../core/steps/normalize-input.js';

const deps = ingestDeps(loadRuntimeConfig());

/** The NormalizeInput state: the registry's step for it, with this function's AWS dependencies. */
export const handler = stepHandler('NormalizeInput', normalizeInput, deps);
