import { stepHandler } from '../../aws/middleware/step-handler.js';
import { scoringQueryDeps } from '../../aws/wiring/scoring.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { getScoringQueryState } from '../../core/steps/get-scoring-query-state.js';

const deps = scoringQueryDeps(loadRuntimeConfig());

/** The GetScoringQueryState state: the registry's step for it, with this function's AWS dependencies. */
export const handler = stepHandler('GetScoringQueryState', getScoringQueryState, deps);
