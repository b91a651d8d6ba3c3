/**
 * A trained XGBoost model loaded for serving: `predict` runs synchronously in the calling thread (a local
 * endpoint answers one `POST /invocations` at a time with it), through the same library the trainer uses.
 */
import { describeLearner } from './booster-config.js';
import { readModelBytes } from './model-archive.js';
import { ModelFormatError } from './errors.js';
import { loadXgboostNative } from './native.js';
import type { BoosterHandle, XgboostLibraryOptions, XgboostNative } from './native.js';

/** A loaded model. Call {@link XgboostModel.free} when done: the booster lives in native memory. */
export interface XgboostModel {
  /** XGBoost objective the model was trained with, e.g. `binary:logistic`. */
  readonly objective: string;
  /** `num_class` for `multi:*` models, else 0. */
  readonly numClass: number;
  /** Features the model was trained on. */
  readonly numFeatures: number;
  /** Boosting rounds in the model. */
  readonly rounds: number;
  /** Booster attributes (`best_iteration`, `best_ntree_limit`, `best_score` when present). */
  readonly attributes: Readonly<Record<string, string>>;
  /**
   * Predicts `nRows` rows of `nCols` row-major features (NaN = missing). Returns one value per row, or `numClass`
   * per row (row-major) for `multi:softprob`.
   */
  predict(rows: Float32Array, nRows: number, nCols: number): Float32Array;
  /** Releases the native booster; the model cannot predict afterwards. */
  free(): void;
}

/**
 * Loads a `model.tar.gz` written by the trainer or by SageMaker's XGBoost `1.7-1` container, or a bare
 * `xgboost-model` file (binary, JSON or UBJSON).
 * @throws ModelFormatError when the file is not an XGBoost model (e.g. a pickled Python Booster)
 */
export function loadXgboostModel(modelTarGzOrFile: string, options: XgboostLibraryOptions = {}): XgboostModel {
  const native = loadXgboostNative(options);
  return wrap(native, loadBooster(native, modelTarGzOrFile));
}

/**
 * Reads a model archive (or a bare model file) into a new native booster; the caller frees it.
 * @throws ModelFormatError when the file is not an XGBoost model (e.g. a pickled Python Booster)
 */
export function loadBooster(native: XgboostNative, modelTarGzOrFile: string): BoosterHandle {
  const bytes = readModelBytes(modelTarGzOrFile);
  if (bytes[0] === 0x80) {
    throw new ModelFormatError(
      `${modelTarGzOrFile} is a pickled Python Booster (what SageMaker XGBoost 0.90 and 1.0 containers wrote); ` +
        'load it in Python and save it with booster.save_model() first',
    );
  }
  const booster = native.boosterCreate([]);
  try {
    native.boosterLoadModelFromBuffer(booster, bytes);
  } catch (cause) {
    native.boosterFree(booster);
    throw new ModelFormatError(`${modelTarGzOrFile} is not an XGBoost model: ${(cause as Error).message}`, { cause });
  }
  return booster;
}

/** What a loaded model says about itself. */
export type ModelDescription = Pick<XgboostModel, 'objective' | 'numClass' | 'numFeatures' | 'rounds' | 'attributes'>;

/**
 * A booster's objective, class count, features, rounds, and the attributes XGBoost's early stopping leaves on it
 * (`best_iteration`, `best_ntree_limit`, `best_score`).
 */
export function describeBooster(native: XgboostNative, booster: BoosterHandle): ModelDescription {
  return { ...describeLearner(native, booster), numFeatures: native.boosterNumFeature(booster), rounds: native.boosterBoostedRounds(booster), attributes: attributesOf(native, booster) };
}

/** A booster's objective (booster-config.ts, where the training worker reads it without loading this module's tar). */
export { boosterObjective } from './booster-config.js';

function attributesOf(native: XgboostNative, booster: BoosterHandle): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const key of ['best_iteration', 'best_ntree_limit', 'best_score']) {
    const value = native.boosterGetAttr(booster, key);
    if (value !== undefined) attributes[key] = value;
  }
  return attributes;
}

/** Frees boosters whose model object was garbage-collected without `free()` (a safety net, not the plan). */
const unreleased = new FinalizationRegistry<{ native: XgboostNative; booster: BoosterHandle }>(({ native, booster }) =>
  native.boosterFree(booster),
);

function wrap(native: XgboostNative, booster: BoosterHandle): XgboostModel {
  let freed = false;
  const token = {};
  const model: XgboostModel = {
    ...describeBooster(native, booster),
    predict(rows, nRows, nCols) {
      if (freed) throw new ModelFormatError('this model was freed');
      const matrix = native.dmatrixFromDense(rows, nRows, nCols);
      try {
        return native.boosterPredict(booster, matrix).values;
      } finally {
        native.dmatrixFree(matrix);
      }
    },
    free() {
      if (freed) return;
      freed = true;
      unreleased.unregister(token);
      native.boosterFree(booster);
    },
  };
  unreleased.register(model, { native, booster }, token);
  return model;
}
