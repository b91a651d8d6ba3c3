import middy from '@middy/core';
import { startScoringRunDeps } from '../../aws/wiring/start-scoring-run.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { withStepDefaults } from '../../aws/middleware/with-step-defaults.js';
import { startScoringRun } from '../../core/steps/start-scoring-run.js';

const deps = startScoringRunDeps(loadRuntimeConfig());

/**
 * The scoring rule's target (deploy/scoring.js): starts the scoring state machine for a file dropped under `score/`,
 * named after the object version, so a duplicated event starts nothing new.
 */
export const handler = middy((event: unknown) => startScoringRun(event, deps)).use(withStepDefaults('StartScoringRun'));
