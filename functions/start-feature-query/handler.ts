import { stepHandler } from '../../aws/middleware/step-handler.js';
import { featureQueryDeps } from '../../aws/wiring/catalog.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { startFeatureQuery } from '../../core/steps/start-feature-query.js';

const deps = featureQueryDeps(loadRuntimeConfig());

/** The StartFeatureQuery state: the registry's step for it, with this function's AWS dependencies. */
export const handler = stepHandler('StartFeatureQuery', startFeatureQuery, deps);
