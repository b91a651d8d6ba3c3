import { stepHandler } from '../../aws/middleware/step-handler.js';
import { scoringQueryDeps } from '../../aws/wiring/scoring.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { startScoringQuery } from '../../core/steps/start-scoring-query.js';

const deps = scoringQueryDeps(loadRuntimeConfig());

/** The StartScoringQuery state: the registry's step for it, with this function's AWS dependencies. */
export const handler = stepHandler('StartScoringQuery', startScoringQuery, deps);
