import { stepHandler } from '../../aws/middleware/step-handler.js';
import { writePredictionsDeps } from '../../aws/wiring/scoring.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { writePredictions } from '../../core/steps/write-predictions.js';

const deps = writePredictionsDeps(loadRuntimeConfig());

/** The WritePredictions state: the registry's step for it, with this function's AWS dependencies. */
export const handler = stepHandler('WritePredictions', writePredictions, deps);
