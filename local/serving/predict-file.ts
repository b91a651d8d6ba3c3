/**
 * Offline predictions for a CSV file of feature rows (what `sluice predict` prints): the same CSV rules, model
 * loader and feature check as the endpoint's `POST /invocations`, without HTTP and without its payload limit.
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { parseCsvFeatures } from './contract.js';
import type { FeatureMatrix } from './contract.js';
import type { ModelSource } from './endpoint-server.js';
import { FeatureCountError, PayloadFormatError } from './errors.js';
import { readModelPointer, resolveModelArtifact } from './model-pointer.js';
import type { ModelInfo } from './model-slot.js';
import { modelInfo } from './model-slot.js';
import { loadServingModel } from './serving-model.js';
import type { ServingModelOptions } from './serving-model.js';

/** What to predict: a model (artifact or pointer) and a CSV file. */
export type PredictFileOptions = ModelSource & {
  /** CSV of numeric feature rows, no header; `.gz` (or gzip bytes) is read too. */
  readonly file: string;
  /** The first column is a label to drop (a `train`/`validation` channel file) (default false). */
  readonly labelColumn?: boolean;
  /** Rows per XGBoost call, to bound native memory on large files (default 65,536). */
  readonly batchRows?: number;
  /** Library path and threads (default one thread, as the endpoint). */
  readonly model?: ServingModelOptions;
};

/** Predictions for every row of the file, in order. */
export interface PredictFileResult {
  /** `nRows * valuesPerRow` values, row-major. */
  readonly predictions: Float32Array;
  readonly nRows: number;
  /** 1, or `num_class` for `multi:softprob`. */
  readonly valuesPerRow: number;
  /** The model used (`loadedAt` is when this call loaded it). */
  readonly model: ModelInfo;
}

/**
 * Predicts every row of a CSV file. Turn the result into the endpoint's CSV answer with
 * `formatPredictions(result.predictions, result.nRows, 'text/csv')`.
 * @throws PayloadFormatError naming the line of a bad value or ragged row
 * @throws FeatureCountError when the rows do not have the model's number of features
 * @throws ModelPointerError, ModelFormatError when the model cannot be found or loaded
 */
export async function predictFile(options: PredictFileOptions): Promise<PredictFileResult> {
  let bytes: Buffer = await readFile(options.file);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  let features: FeatureMatrix;
  try {
    features = parseCsvFeatures(bytes);
  } catch (error) {
    if (error instanceof PayloadFormatError) {
      throw new PayloadFormatError(`${options.file}: ${error.message.replace(/^Loading csv data failed: /, '')}`, { cause: error });
    }
    throw error;
  }
  if (options.labelColumn === true) features = dropFirstColumn(features);

  let version: number | undefined;
  let artifact: string;
  if ('pointerFile' in options) {
    const pointer = readModelPointer(options.pointerFile);
    version = pointer.version;
    artifact = resolveModelArtifact(options.pointerFile, pointer);
  } else {
    artifact = options.modelArtifact;
  }
  const model = loadServingModel(artifact, options.model);
  try {
    if (features.nCols !== model.numFeatures) throw new FeatureCountError(features.nCols, model.numFeatures);
    const batchRows = Math.max(1, options.batchRows ?? 65_536);
    const parts: Float32Array[] = [];
    let total = 0;
    for (let start = 0; start < features.nRows; start += batchRows) {
      const rows = Math.min(batchRows, features.nRows - start);
      const slice = features.values.subarray(start * features.nCols, (start + rows) * features.nCols);
      const part = model.predict(slice, rows, features.nCols);
      parts.push(part);
      total += part.length;
    }
    const predictions = parts.length === 1 && parts[0] !== undefined ? parts[0] : concat(parts, total);
    return {
      predictions,
      nRows: features.nRows,
      valuesPerRow: features.nRows === 0 ? 0 : predictions.length / features.nRows,
      model: modelInfo(model, version, artifact),
    };
  } finally {
    model.free();
  }
}

function dropFirstColumn(features: FeatureMatrix): FeatureMatrix {
  const nCols = features.nCols - 1;
  if (nCols < 1) throw new PayloadFormatError('with labelColumn, each row needs a label and at least one feature');
  const values = new Float32Array(features.nRows * nCols);
  for (let r = 0; r < features.nRows; r++) {
    values.set(features.values.subarray(r * features.nCols + 1, (r + 1) * features.nCols), r * nCols);
  }
  return { values, nRows: features.nRows, nCols };
}

function concat(parts: readonly Float32Array[], total: number): Float32Array {
  const out = new Float32Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
