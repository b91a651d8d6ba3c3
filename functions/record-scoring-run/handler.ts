import { stepHandler } from '../../aws/middleware/step-handler.js';
import { scoringStoreDeps } from '../../aws/wiring/scoring.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { recordScoringRun } from '../../core/steps/record-scoring-run.js';

const deps = scoringStoreDeps(loadRuntimeConfig());

/** The RecordScoringRun state: the registry's step for it, with this function's AWS dependencies. */
export const handler = stepHandler('RecordScoringRun', recordScoringRun, deps);
