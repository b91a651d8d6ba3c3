import { stepHandler } from '../../aws/middleware/step-handler.js';
import { trainingDeps } from '../../aws/wiring/sagemaker.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { startTuning } from '../../core/steps/start-tuning.js';

const deps = trainingDeps(loadRuntimeConfig());

/** The StartTuning state: the registry's step for it, with this function's AWS dependencies. */
export const handler = stepHandler('StartTuning', startTuning, deps);
