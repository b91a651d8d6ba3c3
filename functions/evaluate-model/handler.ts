import middy from '@middy/core';
import { evaluateModelDeps } from '../../aws/wiring/sagemaker.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { withStepDefaults } from '../../aws/middleware/with-step-defaults.js';
import { evaluateModel } from '../../core/steps/evaluate-model.js';

const deps = evaluateModelDeps(loadRuntimeConfig());

/** The EvaluateModel state. */
export const handler = middy((input: unknown) => evaluateModel(input, deps)).use(withStepDefaults('EvaluateModel'));
