import { stepHandler } from '../../aws/middleware/step-handler.js';
import { batchTransformDeps } from '../../aws/wiring/scoring.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { describeBatchTransform } from '../../core/steps/describe-batch-transform.js';

const deps = batchTransformDeps(loadRuntimeConfig());

/** The DescribeBatchTransform state: the registry's step for it, with this function's AWS dependencies. */
export const handler = stepHandler('DescribeBatchTransform', describeBatchTransform, deps);
