import { stepHandler } from '../../aws/middleware/step-handler.js';
import { ingestDeps } from '../../aws/wiring/ingest.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { validateAndPartition } from '../../core/steps/validate-and-partition.js';

const deps = ingestDeps(loadRuntimeConfig());

/** The ValidateAndPartition state: the registry's step for it, with this function's AWS dependencies. */
export const handler = stepHandler('ValidateAndPartition', validateAndPartition, deps);
