import { stepHandler } from '../../aws/middleware/step-handler.js';
import { endpointStateDeps } from '../../aws/wiring/sagemaker.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { getEndpointState } from '../../core/steps/get-endpoint-state.js';

const deps = endpointStateDeps(loadRuntimeConfig());

/** The GetEndpointState state: the registry's step for it, with this function's AWS dependencies. */
export const handler = stepHandler('GetEndpointState', getEndpointState, deps);
