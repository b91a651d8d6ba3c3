/**
 * The local SageMaker XGBoost `1.7-1` equivalent: train (`trainXgboost`, in a worker thread, one job at a time),
 * serve (`loadXgboostModel`), evaluate (`evaluatePredictions`), with the named errors they throw.
 */
export { trainXgboost } from './train.js';
export type { RoundRecord, TrainOptions, TrainRequest, TrainResult, TrainTimings } from './train.js';
export { loadXgboostModel } from './model.js';
export type { XgboostModel } from './model.js';
export { binaryMetrics, evaluatePredictions, multiclassMetrics, regressionMetrics, rocAuc } from '../../core/evaluation/model-metrics.js';
export type { BinaryMetrics, ModelMetrics, MulticlassMetrics, RegressionMetrics } from '../../core/evaluation/model-metrics.js';
export { parseHyperparameters, SUPPORTED_HYPERPARAMETERS } from './hyperparameters.js';
export type { RawHyperparameters, XgboostTrainingConfig } from './hyperparameters.js';
export { readChannel } from './data.js';
export type { CsvDataset } from './data.js';
export { XGBOOST_INSTALL_HINT } from './native.js';
export * from './errors.js';
