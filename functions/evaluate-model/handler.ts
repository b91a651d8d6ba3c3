import middy from '@middy/core';
import { awsStepDeps } from '../../core/aws/deps.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { withStepDefaults } from '../../core/middleware/with-step-defaults.js';
import { evaluateModel } from '../../core/steps/evaluate-model.js';

const deps = awsStepDeps(loadRuntimeConfig());

/** The EvaluateModel state. */
export const handler = middy((input: unknown) => evaluateModel(input, deps)).use(withStepDefaults('EvaluateModel'));
