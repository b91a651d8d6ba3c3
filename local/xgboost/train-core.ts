/**
 * The training job itself, as SageMaker's XGBoost `1.7-1` container runs it (`algorithm_mode/train.py`,
 * `callback.py` in aws/sagemaker-xgboost-container), through the C API instead of Python:
 *
 * 1. validate the hyperparameters, read the `train` and `validation` channels (CSV);
 * 2. `xgb.train(params, dtrain, num_round, evals=[(dtrain, 'train'), (dval, 'validation')], callbacks=...)`:
 *    each round `XGBoosterUpdateOneIter`, then `XGBoosterEvalOneIter`. XGBoost evaluates every matrix in the
 *    list it is given, and the train set is the large one (at 1M rows, 6 of 34 s went to `train-*` metrics no one
 *    read), so the train set is evaluated every round only when something reads it (no validation channel, or
 *    `evaluateTrainEveryRound`, which a `train:` tuning objective sets); otherwise once, after the last round run, which
 *    gives the final `train:<metric>` values SageMaker reports (the metric is a function of the model's
 *    predictions after that round, whenever it is computed);
 * 3. with `early_stopping_rounds`, the container adds `xgb.callback.EarlyStopping(rounds, data_name='validation',
 *    metric_name=<last eval metric>, maximize=<metric in its maximize list>, save_best=True)`: after each
 *    improvement XGBoost sets the booster attributes `best_score` / `best_iteration`; training stops after
 *    `rounds` rounds without one; `save_best` then slices the booster to `[0, best_iteration]` (the hyperparameter
 *    page says the same: "SageMaker hosting uses the best model for inference");
 * 4. Python's `CallbackContainer.after_training` then sets `best_iteration` (rounds - 1 when it is not set) and
 *    `best_ntree_limit`, and `xgb.train` returns `bst.copy()` (serialize, unserialize);
 * 5. the container saves with `bst.save_model(model_dir + '/xgboost-model')`.
 *
 * Model format, and the evidence: `train_job()` ends with `model_location = os.path.join(model_dir, MODEL_NAME);
 * bst.save_model(model_location)` where `MODEL_NAME = "xgboost-model"` (no extension). XGBoost 1.7's
 * `XGBoosterSaveModel` picks JSON only for a `.json` name and UBJSON only for `.ubj`; any other name gets the
 * legacy binary format (bytes start with `binf`). So `1.7-1` writes the **legacy binary** format, and so do we
 * (same call, same file name). Older containers (0.90-x, 1.0-1) pickled the Python Booster instead; those files
 * are refused by `loadXgboostModel` with a clear message.
 *
 * Runs in the calling thread and blocks it for the whole training: `train.ts` runs it in a worker thread.
 */
import { mkdir } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { readChannel } from './data.js';
import type { CsvDataset } from './data.js';
import { CsvFormatError, TrainingAbortedError, XgboostError } from './errors.js';
import {
  createEarlyStopping,
  isMaximizeMetric,
  parseEvalLine,
  pythonFloatRepr,
  updateEarlyStopping,
} from './eval-log.js';
import type { EarlyStoppingState } from './eval-log.js';
import { parseHyperparameters } from './hyperparameters.js';
import type { RawHyperparameters, XgboostTrainingConfig } from './hyperparameters.js';
import { evaluatePredictions } from '../../core/evaluation/model-metrics.js';
import type { ModelMetrics } from '../../core/evaluation/model-metrics.js';
import { boosterObjective } from './booster-config.js';
import { loadXgboostNative } from './native.js';
import { chooseThreads } from './threads.js';
import type { FeatureScores } from './training-insights.js';
import type { BoosterHandle, DMatrixHandle, XgboostLibraryOptions, XgboostNative } from './native.js';

/** What to train: the two channels, the SageMaker hyperparameters, where to write `model.tar.gz`. */
export interface TrainRequest {
  /** Files and/or folders of the `train` channel. */
  readonly trainFiles: readonly string[];
  /** Files and/or folders of the `validation` channel; may be empty (no evaluation, no early stopping). */
  readonly validationFiles: readonly string[];
  /** SageMaker XGBoost hyperparameters (strings, as SageMaker passes them, or numbers). */
  readonly hyperparameters: RawHyperparameters;
  /** Folder that receives `model.tar.gz` (created if missing). */
  readonly outputDir: string;
  /**
   * The channels already read (a tuning job reads them once for all its trials, into shared memory): used instead
   * of reading `trainFiles` and `validationFiles`, which then only name them.
   */
  readonly data?: PreloadedChannels | undefined;
}

/** Channels read ahead of the training (arrays backed by a SharedArrayBuffer reach a worker without a copy). */
export interface PreloadedChannels {
  readonly train: CsvDataset;
  readonly validation?: CsvDataset | undefined;
}

/** One boosting round's evaluation. */
export interface RoundRecord {
  /** 0-based, as XGBoost counts. */
  readonly round: number;
  /** Empty on rounds where the train set was not evaluated (see the module's step 2); set on the last round. */
  readonly train: Readonly<Record<string, number>>;
  /** Empty without a validation channel. */
  readonly validation: Readonly<Record<string, number>>;
}

/** Where the time went. */
export interface TrainTimings {
  readonly readDataMs: number;
  readonly trainMs: number;
  readonly saveMs: number;
}

/** The outcome of a training job. */
export interface TrainResult {
  /** `<outputDir>/model.tar.gz`. */
  readonly modelArtifact: string;
  /**
   * The model's `best_iteration` attribute: the best validation round under early stopping (the saved model ends
   * there), else the last round.
   */
  readonly bestIteration: number;
  /** Rounds actually run (fewer than `num_round` when early stopping fired). */
  readonly rounds: number;
  readonly history: readonly RoundRecord[];
  /**
   * The last round's evaluation, keyed as SageMaker names its metrics (`train:auc`, `validation:auc`): what a
   * SageMaker training job reports as its final metrics (under early stopping that is the last round run, not
   * the best one).
   */
  readonly finalMetrics: Readonly<Record<string, number>>;
  /** Metrics of the saved model's predictions on the validation channel; null without one. */
  readonly validationMetrics: ModelMetrics | null;
  /** Things done differently from what was asked, e.g. early stopping that could not apply. */
  readonly warnings: readonly string[];
  readonly timings: TrainTimings;
  readonly durationMs: number;
  /** XGBoost threads the training used, and why that many (see `threads.ts`). */
  readonly threads: number;
  readonly threadReason: string;
  /** The saved model's scores on the validation channel, when asked for (`scoreValidation`) and there is one. */
  readonly validationScores?: ValidationScores | undefined;
}

/**
 * What the console's plots of a model need from the model itself (training-insights.ts): its predictions on the
 * validation channel (the ones its `validationMetrics` come from) and XGBoost's gain and weight importance.
 */
export interface ValidationScores {
  /** `learner.objective.name` of the model's configuration, as `describeBooster` reads it from a loaded model. */
  readonly objective: string;
  readonly predictions: Float32Array;
  readonly gain: FeatureScores;
  readonly weight: FeatureScores;
}

/** Library options plus a per-round callback. */
export interface RunTrainingOptions extends XgboostLibraryOptions {
  /** Called after every round with its evaluation. */
  readonly onRound?: ((record: RoundRecord) => void) | undefined;
  /**
   * Asked before the data is turned into matrices and after every round: `true` ends the training there with
   * {@link TrainingAbortedError}, its native memory freed (a cooperative stop; a terminated worker would leak it).
   */
  readonly shouldStop?: (() => boolean) | undefined;
  /** Evaluate the train set every round, as Python's `xgb.train` does (default: only when something reads it). */
  readonly evaluateTrainEveryRound?: boolean | undefined;
  /**
   * Keep the saved model's validation predictions and importance in the result (`validationScores`), so the caller
   * records the model's insights without loading the model and the validation set again (about 0.3 s of a run).
   */
  readonly scoreValidation?: boolean | undefined;
  /**
   * Writes `model.tar.gz` from the saved model's bytes and returns its path (default: model-archive.ts, loaded with
   * tar when the first archive is written). A training session's worker hands the bytes to the run's thread instead,
   * which loads tar while the worker trains, so the worker neither loads tar before its first round nor writes the
   * archive before scoring the model (session-worker.ts).
   */
  readonly writeModelArchive?: ModelArchiveWriter | undefined;
}

/** Writes a model's `model.tar.gz` into `outputDir` from the model's bytes; resolves with the archive's path. */
export type ModelArchiveWriter = (outputDir: string, modelBytes: Uint8Array) => Promise<string>;

// Loaded on the first archive written, not with this module: a training worker loads this module at start, and tar
// (about 25-35 ms of loading) is not needed until its first model is saved, or at all in a session's worker.
const writeArchiveWithTar: ModelArchiveWriter = async (outputDir, modelBytes) => (await import('./model-archive.js')).writeModelArchive(outputDir, modelBytes);

/**
 * Runs one training job to the end, in this thread.
 * @throws HyperparameterValidationError, CsvFormatError, EmptyChannelError, XgboostNotInstalledError,
 *   XgboostNativeError
 */
export async function runTraining(request: TrainRequest, options: RunTrainingOptions = {}): Promise<TrainResult> {
  const started = performance.now();
  const config = parseHyperparameters(request.hyperparameters);
  const native = loadXgboostNative(options);

  const readStarted = performance.now();
  const train = request.data?.train ?? (await readChannel(request.trainFiles, { weightColumn: config.csvWeights }));
  const validation =
    request.data !== undefined
      ? request.data.validation
      : request.validationFiles.length > 0
        ? await readChannel(request.validationFiles, { weightColumn: config.csvWeights })
        : undefined;
  const channels: PreloadedChannels = { train, validation };
  const readDataMs = performance.now() - readStarted;
  const owned: ChannelMatrices[] = [];
  try {
    return await trainOnMatrices(native, request, options, {
      channels,
      started,
      readDataMs,
      matrices: (threads) => {
        const built = buildChannelMatrices(native, channels, threads);
        owned.push(built);
        return built;
      },
    });
  } finally {
    for (const matrices of owned) freeChannelMatrices(native, matrices);
  }
}

/** The channels as XGBoost matrices, built with `threads` OpenMP threads; freed by {@link freeChannelMatrices}. */
export interface ChannelMatrices {
  readonly threads: number;
  readonly train: DMatrixHandle;
  readonly validation: DMatrixHandle | undefined;
}

/** Builds the DMatrix of each channel (label and weights set). */
export function buildChannelMatrices(native: XgboostNative, channels: PreloadedChannels, threads: number): ChannelMatrices {
  const { train, validation } = channels;
  const owned: DMatrixHandle[] = [];
  try {
    const dtrain = toDMatrix(native, train, owned, threads);
    const dvalidation = validation === undefined ? undefined : toDMatrix(native, validation, owned, threads);
    return { threads, train: dtrain, validation: dvalidation };
  } catch (error) {
    for (const matrix of owned) native.dmatrixFree(matrix);
    throw error;
  }
}

/** Frees what {@link buildChannelMatrices} built. */
export function freeChannelMatrices(native: XgboostNative, matrices: ChannelMatrices): void {
  native.dmatrixFree(matrices.train);
  if (matrices.validation !== undefined) native.dmatrixFree(matrices.validation);
}

/** What {@link trainOnMatrices} trains on: channels already read, and where their matrices come from. */
export interface TrainingInputs {
  readonly channels: PreloadedChannels;
  /**
   * The channels' matrices for a thread count; the caller owns (and frees) them, so a tuning job's trials can share
   * one pair (a booster keeps no state in the DMatrix it trains on that changes the next booster's model).
   */
  readonly matrices: (threads: number) => ChannelMatrices;
  /** When the job started (performance.now()), and how long reading its channels took. */
  readonly started: number;
  readonly readDataMs: number;
}

/**
 * Trains one model on channels already read, in this thread; frees every booster it made, never the matrices.
 * @throws HyperparameterValidationError, XgboostNativeError, TrainingAbortedError (`shouldStop`)
 */
export async function trainOnMatrices(
  native: XgboostNative,
  request: TrainRequest,
  options: RunTrainingOptions,
  inputs: TrainingInputs,
): Promise<TrainResult> {
  const config = parseHyperparameters(request.hyperparameters);
  const warnings: string[] = [];
  const { train, validation } = inputs.channels;
  if (validation !== undefined && validation.nCols !== train.nCols) {
    throw new CsvFormatError(
      `The validation channel has ${validation.nCols} feature columns, the train channel ${train.nCols}`,
    );
  }
  await mkdir(request.outputDir, { recursive: true });
  const stopIfAsked = (rounds: number): void => {
    if (options.shouldStop?.() === true) throw new TrainingAbortedError(`training stopped after ${rounds} round(s)`);
  };
  stopIfAsked(0);

  const boosters: BoosterHandle[] = [];
  try {
    const trainStarted = performance.now();
    const nthread = config.params.find(([name]) => name === 'nthread')?.[1];
    const choice = chooseThreads({ rows: train.nRows, cols: train.nCols, requested: nthread === undefined ? undefined : Number(nthread) });
    const threads = choice.threads;
    const threadReason = `${choice.reason}; OpenMP wait policy ${native.openMpWaitPolicy ?? 'default'}`;
    const { train: dtrain, validation: dvalidation } = inputs.matrices(threads);
    const evalMatrices = dvalidation === undefined ? [dtrain] : [dtrain, dvalidation];
    const evalNames = dvalidation === undefined ? ['train'] : ['train', 'validation'];
    const trainEveryRound = dvalidation === undefined || options.evaluateTrainEveryRound === true;
    const roundMatrices = trainEveryRound || dvalidation === undefined ? evalMatrices : [dvalidation];
    const roundNames = trainEveryRound ? evalNames : ['validation'];

    const booster = native.boosterCreate(evalMatrices);
    boosters.push(booster);
    // Before the spec's parameters, so a spec `nthread` is what the booster ends with.
    native.boosterSetParam(booster, 'nthread', String(threads));
    for (const [name, value] of config.params) native.boosterSetParam(booster, name, value);

    const stopping = earlyStoppingFor(config, dvalidation !== undefined, warnings);
    const history: RoundRecord[] = [];
    for (let round = 0; round < config.numRound; round++) {
      native.boosterUpdateOneIter(booster, round, dtrain);
      let scores = parseEvalLine(native.boosterEvalOneIter(booster, round, roundMatrices, roundNames));
      const stop = stopping !== undefined && stopRound(native, booster, stopping, scores['validation'] ?? {}, round);
      if (!trainEveryRound && (stop || round === config.numRound - 1)) {
        // The last round run: its train metrics are the final ones SageMaker reports.
        scores = parseEvalLine(native.boosterEvalOneIter(booster, round, evalMatrices, evalNames));
      }
      const record: RoundRecord = { round, train: scores['train'] ?? {}, validation: scores['validation'] ?? {} };
      history.push(record);
      options.onRound?.(record);
      if (stop) break;
      stopIfAsked(round + 1);
    }

    let model = booster;
    if (stopping !== undefined) {
      // EarlyStopping(save_best=True).after_training: model[: best_iteration + 1] (attributes are not copied).
      const best = Number(native.boosterGetAttr(booster, 'best_iteration'));
      model = native.boosterSlice(booster, 0, best + 1, 1);
      boosters.push(model);
    }
    const bestIteration = setBestAttributes(native, model);
    // xgb.train returns bst.copy(): a serialize/unserialize round trip, which resets the training state.
    const copy = native.boosterCreate([]);
    boosters.push(copy);
    native.boosterUnserialize(copy, native.boosterSerialize(model));
    const trainMs = performance.now() - trainStarted;

    const saveStarted = performance.now();
    const modelArtifact = await (options.writeModelArchive ?? writeArchiveWithTar)(request.outputDir, native.boosterSaveModelToBuffer(copy, 'deprecated'));
    const saveMs = performance.now() - saveStarted;

    // The saved model's own predictions: `copy` is what model.tar.gz holds (saved just above).
    const predictions = validation === undefined || dvalidation === undefined ? undefined : native.boosterPredict(copy, dvalidation).values;
    const validationMetrics =
      validation === undefined || predictions === undefined
        ? null
        : evaluatePredictions(config.objective, validation.labels, predictions, config.numClass);
    const validationScores: ValidationScores | undefined =
      options.scoreValidation === true && predictions !== undefined
        ? {
            objective: boosterObjective(native, copy),
            predictions,
            gain: native.boosterFeatureScore(copy, 'gain'),
            weight: native.boosterFeatureScore(copy, 'weight'),
          }
        : undefined;

    const last = history.at(-1);
    const finalMetrics: Record<string, number> = {};
    if (last !== undefined) {
      for (const [metric, value] of Object.entries(last.train)) finalMetrics[`train:${metric}`] = value;
      for (const [metric, value] of Object.entries(last.validation)) finalMetrics[`validation:${metric}`] = value;
    }
    return {
      modelArtifact,
      bestIteration,
      rounds: history.length,
      history,
      finalMetrics,
      validationMetrics,
      warnings,
      timings: { readDataMs: inputs.readDataMs, trainMs, saveMs },
      durationMs: performance.now() - inputs.started,
      threads,
      threadReason,
      ...(validationScores === undefined ? {} : { validationScores }),
    };
  } finally {
    for (const booster of boosters) native.boosterFree(booster);
  }
}

function toDMatrix(native: XgboostNative, data: CsvDataset, owned: DMatrixHandle[], threads: number): DMatrixHandle {
  const matrix = native.dmatrixFromDense(data.features, data.nRows, data.nCols, Number.NaN, threads);
  owned.push(matrix);
  native.dmatrixSetFloatInfo(matrix, 'label', data.labels);
  if (data.weights !== undefined) native.dmatrixSetFloatInfo(matrix, 'weight', data.weights);
  return matrix;
}

interface Stopping {
  readonly metric: string;
  readonly state: EarlyStoppingState;
}

function earlyStoppingFor(
  config: XgboostTrainingConfig,
  hasValidation: boolean,
  warnings: string[],
): Stopping | undefined {
  if (config.earlyStoppingRounds === undefined) return undefined;
  if (!hasValidation) {
    warnings.push('early_stopping_rounds ignored: there is no validation channel (as in SageMaker)');
    return undefined;
  }
  if (config.earlyStoppingMetric === undefined) {
    // The container only adds EarlyStopping when it knows the metric (eval_metric or the tuning objective).
    warnings.push('early_stopping_rounds ignored: set eval_metric to choose the metric to watch (as in SageMaker)');
    return undefined;
  }
  const metric = config.earlyStoppingMetric;
  return { metric, state: createEarlyStopping(config.earlyStoppingRounds, isMaximizeMetric(metric)) };
}

/** One round of EarlyStopping.after_iteration; returns whether to stop. */
function stopRound(
  native: XgboostNative,
  booster: BoosterHandle,
  stopping: Stopping,
  validation: Readonly<Record<string, number>>,
  round: number,
): boolean {
  const score = validation[stopping.metric];
  if (score === undefined) {
    throw new XgboostError(
      `early stopping watches validation-${stopping.metric}, which XGBoost did not report ` +
        `(it reported ${Object.keys(validation).join(', ')})`,
    );
  }
  const { improved, stop } = updateEarlyStopping(stopping.state, score, round);
  if (improved) {
    native.boosterSetAttr(booster, 'best_score', pythonFloatRepr(score));
    native.boosterSetAttr(booster, 'best_iteration', String(round));
  }
  return stop;
}

/** CallbackContainer.after_training of Python XGBoost 1.7; returns the resulting `best_iteration`. */
function setBestAttributes(native: XgboostNative, model: BoosterHandle): number {
  const parallelTrees = numParallelTree(native.boosterJsonConfig(model));
  let best: number;
  if (native.boosterGetAttr(model, 'best_score') !== undefined) {
    best = Number(native.boosterGetAttr(model, 'best_iteration'));
  } else {
    best = native.boosterBoostedRounds(model) - 1;
    native.boosterSetAttr(model, 'best_iteration', String(best));
  }
  native.boosterSetAttr(model, 'best_ntree_limit', String((best + 1) * parallelTrees));
  return best;
}

interface BoosterConfig {
  learner?: {
    gradient_booster?: {
      name?: string;
      gbtree?: { gbtree_model_param?: { num_parallel_tree?: string } };
      gbtree_model_param?: { num_parallel_tree?: string };
      gbtree_train_param?: { num_parallel_tree?: string };
    };
  };
}

/** `_get_booster_layer_trees` of Python XGBoost 1.7: trees added per round. */
function numParallelTree(rawConfig: unknown): number {
  const booster = (rawConfig as BoosterConfig).learner?.gradient_booster;
  switch (booster?.name) {
    case 'gblinear':
      return 0;
    case 'dart':
      return Number(booster.gbtree?.gbtree_model_param?.num_parallel_tree ?? 1);
    default:
      return Number(
        booster?.gbtree_model_param?.num_parallel_tree ?? booster?.gbtree_train_param?.num_parallel_tree ?? 1,
      );
  }
}
