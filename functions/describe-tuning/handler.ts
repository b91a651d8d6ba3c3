import { stepHandler } from '../../aws/middleware/step-handler.js';
import { trainingDeps } from '../../aws/wiring/sagemaker.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { describeTuning } from '../../core/steps/describe-tuning.js';

const deps = trainingDeps(loadRuntimeConfig());

/** The DescribeTuning state: the registry's step for it, with this function's AWS dependencies. */
export const handler = stepHandler('DescribeTuning', describeTuning, deps);
