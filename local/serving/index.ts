/**
 * The local stand-in for a SageMaker real-time endpoint running the built-in XGBoost `1.7-1` container:
 * `startEndpointServer` (HTTP, hot swap through a pointer file), `writeModelPointer` (the deploy step's side),
 * `predictFile` (offline predictions), and the contract functions and errors they use. Text (BlazingText / fastText)
 * models are served by the same server with BlazingText's JSON contract; `predictTextFile` predicts raw texts offline.
 */
export { startEndpointServer } from './endpoint-server.js';
export type { EndpointEvent, EndpointServer, EndpointServerOptions, ModelSource } from './endpoint-server.js';
export { predictFile } from './predict-file.js';
export type { PredictFileOptions, PredictFileResult } from './predict-file.js';
export { parseModelPointer, readModelPointer, resolveModelArtifact, writeModelPointer } from './model-pointer.js';
export type { ModelPointer } from './model-pointer.js';
export type { ModelInfo } from './model-slot.js';
export {
  DEFAULT_MAX_PAYLOAD_BYTES,
  formatPredictions,
  negotiateAccept,
  parseContentType,
  parseCsvFeatures,
  parseFeatures,
  parseJsonFeatures,
} from './contract.js';
export type { FeatureMatrix, RequestFormat, ResponseFormat } from './contract.js';
export { predictTextFile, formatTextPredictions } from './predict-text-file.js';
export type { PredictTextFileOptions, PredictTextFileResult } from './predict-text-file.js';
export { checkTextContentType, formatTextAnswer, parseTextRequest } from './text-contract.js';
export type { TextRequest } from './text-contract.js';
export { loadTextServingModel } from './text-model.js';
export type { TextServingModel, TextModelOptions } from './text-model.js';
export type { TextServingSpec } from './text-serving-spec.js';
export { loadServingModel } from './serving-model.js';
export type { ServingModelOptions } from './serving-model.js';
export * from './errors.js';
