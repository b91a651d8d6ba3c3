import { stepHandler } from '../../aws/middleware/step-handler.js';
import { catalogPredictionsDeps } from '../../aws/wiring/scoring.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { catalogPredictions } from '../../core/steps/catalog-predictions.js';

const deps = catalogPredictionsDeps(loadRuntimeConfig());

/** The CatalogPredictions state: the registry's step for it, with this function's AWS dependencies. */
export const handler = stepHandler('CatalogPredictions', catalogPredictions, deps);
