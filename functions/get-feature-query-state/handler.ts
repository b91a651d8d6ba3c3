import { stepHandler } from '../../aws/middleware/step-handler.js';
import { featureQueryDeps } from '../../aws/wiring/catalog.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { getFeatureQueryState } from '../../core/steps/get-feature-query-state.js';

const deps = featureQueryDeps(loadRuntimeConfig());

/** The GetFeatureQueryState state: the registry's step for it, with this function's AWS dependencies. */
export const handler = stepHandler('GetFeatureQueryState', getFeatureQueryState, deps);
