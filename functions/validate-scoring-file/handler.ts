import { stepHandler } from '../../aws/middleware/step-handler.js';
import { validateScoringDeps } from '../../aws/wiring/scoring.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { validateScoringFile } from '../../core/steps/validate-scoring-file.js';

const deps = validateScoringDeps(loadRuntimeConfig());

/** The ValidateScoringFile state: the registry's step for it, with this function's AWS dependencies. */
export const handler = stepHandler('ValidateScoringFile', validateScoringFile, deps);
