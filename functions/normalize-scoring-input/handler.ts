import { stepHandler } from '../../aws/middleware/step-handler.js';
import { scoringStoreDeps } from '../../aws/wiring/scoring.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { normalizeScoringInput } from '../../core/steps/normalize-scoring-input.js';

const deps = scoringStoreDeps(loadRuntimeConfig());

/** The NormalizeScoringInput state: the registry's step for it, with this function's AWS dependencies. */
export const handler = stepHandler('NormalizeScoringInput', normalizeScoringInput, deps);
