import { stepHandler } from '../../aws/middleware/step-handler.js';
import { evaluationTransformDeps } from '../../aws/wiring/sagemaker.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { describeEvaluationTransform } from '../../core/steps/describe-evaluation-transform.js';

const deps = evaluationTransformDeps(loadRuntimeConfig());

/** The DescribeEvaluationTransform state: the registry's step for it, with this function's AWS dependencies. */
export const handler = stepHandler('DescribeEvaluationTransform', describeEvaluationTransform, deps);
