import { stepHandler } from '../../aws/middleware/step-handler.js';
import { evaluationMetricsDeps } from '../../aws/wiring/sagemaker.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { computeEvaluationMetrics } from '../../core/steps/compute-evaluation-metrics.js';

const deps = evaluationMetricsDeps(loadRuntimeConfig());

/** The ComputeEvaluationMetrics state: the registry's step for it, with this function's AWS dependencies. */
export const handler = stepHandler('ComputeEvaluationMetrics', computeEvaluationMetrics, deps);
