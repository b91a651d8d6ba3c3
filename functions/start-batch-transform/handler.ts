import { stepHandler } from '../../aws/middleware/step-handler.js';
import { batchTransformDeps } from '../../aws/wiring/scoring.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { startBatchTransform } from '../../core/steps/start-batch-transform.js';

const deps = batchTransformDeps(loadRuntimeConfig());

/** The StartBatchTransform state: the registry's step for it, with this function's AWS dependencies. */
export const handler = stepHandler('StartBatchTransform', startBatchTransform, deps);
