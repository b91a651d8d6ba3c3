import { stepHandler } from '../../aws/middleware/step-handler.js';
import { deployDeps } from '../../aws/wiring/sagemaker.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { deploy } from '../../core/steps/deploy.js';

const deps = deployDeps(loadRuntimeConfig());

/** The Deploy state: the registry's step for it, with this function's AWS dependencies. */
export const handler = stepHandler('Deploy', deploy, deps);
