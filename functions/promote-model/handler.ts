import { stepHandler } from '../../aws/middleware/step-handler.js';
import { promoteDeps } from '../../aws/wiring/sagemaker.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { promoteModel } from '../../core/steps/promote-model.js';

const deps = promoteDeps(loadRuntimeConfig());

/** The PromoteModel state: the registry's step for it, with this function's AWS dependencies. */
export const handler = stepHandler('PromoteModel', promoteModel, deps);
