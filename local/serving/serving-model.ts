/**
 * A model loaded for serving: like `loadXgboostModel` (same archive reader, same C API, same {@link XgboostModel}
 * interface) but predicting on one thread, as SageMaker's container does (`booster.set_param('nthread', 1)` in
 * `serve_utils.get_loaded_booster`; it scales with one worker process per CPU instead).
 *
 * Why not `loadXgboostModel` as it is: it predicts with every OpenMP thread (`nthread` 0). On this 2-core machine
 * with other work running, one-row predictions took 1.5-2.4 ms that way against 0.06-0.2 ms on one thread: the
 * OpenMP team waits at its barrier for a thread the OS has descheduled. A request of one row gains nothing from a
 * second thread anyway. Once `loadXgboostModel` takes an `nthread` option this file can become a call to it.
 */
import { ModelFormatError } from '../xgboost/errors.js';
import { readModelBytes } from '../xgboost/model-archive.js';
import type { XgboostModel } from '../xgboost/model.js';
import { loadXgboostNative } from '../xgboost/native.js';
import type { XgboostLibraryOptions } from '../xgboost/native.js';

/** How to load a serving model. */
export interface ServingModelOptions extends XgboostLibraryOptions {
  /** OpenMP threads per prediction (default 1, the container's setting). */
  readonly nthread?: number;
}

interface LearnerConfig {
  learner?: {
    objective?: { name?: string };
    learner_model_param?: { num_class?: string };
  };
}

/**
 * Loads a `model.tar.gz` (trainer or SageMaker `1.7-1` output) or a bare `xgboost-model` file for serving.
 * Call `free()` when done: the booster lives in native memory.
 * @throws ModelFormatError when the file is not an XGBoost model
 * @throws XgboostNotInstalledError, XgboostVersionError when the library is missing or not 1.7
 */
export function loadServingModel(modelTarGzOrFile: string, options: ServingModelOptions = {}): XgboostModel {
  const native = loadXgboostNative(options);
  const nthread = options.nthread ?? 1;
  const bytes = readModelBytes(modelTarGzOrFile);
  if (bytes[0] === 0x80) {
    throw new ModelFormatError(
      `${modelTarGzOrFile} is a pickled Python Booster (what SageMaker XGBoost 0.90 and 1.0 containers wrote); ` +
        'load it in Python and save it with booster.save_model() first',
    );
  }
  const booster = native.boosterCreate([]);
  let config: LearnerConfig;
  try {
    native.boosterLoadModelFromBuffer(booster, bytes);
    native.boosterSetParam(booster, 'nthread', String(nthread));
    config = native.boosterJsonConfig(booster) as LearnerConfig;
  } catch (cause) {
    native.boosterFree(booster);
    throw new ModelFormatError(`${modelTarGzOrFile} is not an XGBoost model: ${(cause as Error).message}`, { cause });
  }
  const attributes: Record<string, string> = {};
  for (const key of ['best_iteration', 'best_ntree_limit', 'best_score']) {
    const value = native.boosterGetAttr(booster, key);
    if (value !== undefined) attributes[key] = value;
  }
  let freed = false;
  return {
    objective: config.learner?.objective?.name ?? 'unknown',
    numClass: Number(config.learner?.learner_model_param?.num_class ?? 0),
    numFeatures: native.boosterNumFeature(booster),
    rounds: native.boosterBoostedRounds(booster),
    attributes,
    predict(rows, nRows, nCols) {
      if (freed) throw new ModelFormatError('this model was freed');
      const matrix = native.dmatrixFromDense(rows, nRows, nCols, Number.NaN, nthread);
      try {
        return native.boosterPredict(booster, matrix).values;
      } finally {
        native.dmatrixFree(matrix);
      }
    },
    free() {
      if (freed) return;
      freed = true;
      native.boosterFree(booster);
    },
  };
}
