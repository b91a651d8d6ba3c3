import { stepHandler } from '../../aws/middleware/step-handler.js';
import { evaluateModelDeps } from '../../aws/wiring/sagemaker.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { evaluateModel } from '../../core/steps/evaluate-model.js';

const deps = evaluateModelDeps(loadRuntimeConfig());

/** The EvaluateModel state: the registry's step for it, with this function's AWS dependencies. */
export const handler = stepHandler('EvaluateModel', evaluateModel, deps);
