import { stepHandler } from '../../aws/middleware/step-handler.js';
import { recordFailureDeps } from '../../aws/wiring/sagemaker.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { recordFailure } from '../../core/steps/record-failure.js';

const deps = recordFailureDeps(loadRuntimeConfig());

/** The RecordFailure state: the registry's step for it, with this function's AWS dependencies. */
export const handler = stepHandler('RecordFailure', recordFailure, deps);
