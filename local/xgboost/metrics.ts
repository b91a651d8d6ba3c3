/**
 * The model quality metrics moved to core/evaluation/model-metrics.ts, so that a Lambda function (ComputeEvaluationMetrics)
 * computes the very numbers the local trainer does; this module keeps the local trainer's and the benches' imports.
 */
export { binaryMetrics, evaluatePredictions, multiclassMetrics, regressionMetrics, rocAuc } from '../../core/evaluation/model-metrics.js';
export type { BinaryConfusionMatrix, BinaryMetrics, ModelMetrics, MulticlassMetrics, RegressionMetrics } from '../../core/evaluation/model-metrics.js';
