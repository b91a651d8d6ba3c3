import { stepHandler } from '../../aws/middleware/step-handler.js';
import { trainingDeps } from '../../aws/wiring/sagemaker.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { startTraining } from '../../core/steps/start-training.js';

const deps = trainingDeps(loadRuntimeConfig());

/** The StartTraining state: the registry's step for it, with this function's AWS dependencies. */
export const handler = stepHandler('StartTraining', startTraining, deps);
