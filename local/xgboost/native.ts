/**
 * Binding of XGBoost's C API (`libxgboost.so`, the 1.7 line SageMaker's `1.7-1` container runs) through koffi.
 *
 * Only what training and serving need is bound. Every call that returns a nonzero code throws
 * {@link XgboostNativeError} carrying `XGBGetLastError()`. Handles are koffi 3 pointers (BigInt), branded so a
 * DMatrix handle cannot be passed where a Booster handle is expected.
 *
 * Buffers XGBoost hands back (predictions, model bytes, strings) live in thread-local storage that the next call
 * overwrites: every function here copies them out before returning.
 */
import koffi, { type LibraryHandle } from 'koffi';
import { XgboostNativeError, XgboostNotInstalledError, XgboostVersionError } from './errors.js';
import { DEFAULT_EXPECTED_XGBOOST, resolveXgboostLibrary, XGBOOST_INSTALL_HINT } from './library-path.js';

/** An XGBoost `DMatrixHandle`. */
export type DMatrixHandle = bigint & { readonly __brand: 'DMatrixHandle' };
/** An XGBoost `BoosterHandle`. */
export type BoosterHandle = bigint & { readonly __brand: 'BoosterHandle' };

/** Where and how to load the library. */
export interface XgboostLibraryOptions {
  /** Explicit path to `libxgboost.so` (what `XGBOOST_LIBRARY` sets); searched for when absent. */
  readonly libraryPath?: string | undefined;
  /**
   * `major.minor` the library must report; default `'1.7'` (the version of SageMaker's `1.7-1` container, so that
   * local models match cloud ones). `null` accepts any version.
   */
  readonly expectedVersion?: string | null | undefined;
}

/** `XGBoostVersion()` of the loaded library. */
export interface XgboostVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

/** Options of {@link XgboostNative.predict}, the JSON config of `XGBoosterPredictFromDMatrix`. */
export interface PredictConfig {
  /** 0 normal, 1 output margin, 2 contributions, ... (XGBoost's `type`). Default 0. */
  readonly type?: number;
  readonly iterationBegin?: number;
  /** 0 means all trees. */
  readonly iterationEnd?: number;
  readonly strictShape?: boolean;
}

/** A prediction result: values copied out of XGBoost's buffer, and their shape. */
export interface PredictResult {
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/** The bound C API, as thin typed wrappers. */
export interface XgboostNative {
  readonly libraryPath: string;
  readonly version: XgboostVersion;
  /** `OMP_WAIT_POLICY` as the process environment held it when the library loaded (see {@link preferPassiveOpenMp}). */
  readonly openMpWaitPolicy: string | undefined;
  /** `XGDMatrixCreateFromMat_omp`: row-major dense floats; `missing` (default NaN) marks absent values. */
  dmatrixFromDense(data: Float32Array, nRows: number, nCols: number, missing?: number, nthread?: number): DMatrixHandle;
  /** `XGDMatrixSetFloatInfo`, e.g. `label` or `weight`. */
  dmatrixSetFloatInfo(handle: DMatrixHandle, field: 'label' | 'weight' | 'base_margin', values: Float32Array): void;
  dmatrixNumRow(handle: DMatrixHandle): number;
  dmatrixNumCol(handle: DMatrixHandle): number;
  dmatrixFree(handle: DMatrixHandle): void;
  /** `XGBoosterCreate` with the matrices to cache. */
  boosterCreate(cache: readonly DMatrixHandle[]): BoosterHandle;
  boosterFree(handle: BoosterHandle): void;
  boosterSetParam(handle: BoosterHandle, name: string, value: string): void;
  boosterUpdateOneIter(handle: BoosterHandle, iteration: number, dtrain: DMatrixHandle): void;
  /** `XGBoosterEvalOneIter`: the eval line, e.g. `[3]\ttrain-auc:0.91\tvalidation-auc:0.88`. */
  boosterEvalOneIter(
    handle: BoosterHandle,
    iteration: number,
    matrices: readonly DMatrixHandle[],
    names: readonly string[],
  ): string;
  boosterPredict(handle: BoosterHandle, dmatrix: DMatrixHandle, config?: PredictConfig): PredictResult;
  /** `XGBoosterSlice` on layers [begin, end) (end 0: to the last), a new booster. */
  boosterSlice(handle: BoosterHandle, begin: number, end: number, step?: number): BoosterHandle;
  boosterBoostedRounds(handle: BoosterHandle): number;
  boosterNumFeature(handle: BoosterHandle): number;
  boosterSetAttr(handle: BoosterHandle, key: string, value: string | null): void;
  boosterGetAttr(handle: BoosterHandle, key: string): string | undefined;
  /** `XGBoosterSaveModel`: the format follows the file name (`.json`, `.ubj`, else the legacy binary format). */
  boosterSaveModel(handle: BoosterHandle, file: string): void;
  boosterLoadModel(handle: BoosterHandle, file: string): void;
  /** `XGBoosterSaveModelToBuffer`; `deprecated` is the legacy binary format. */
  boosterSaveModelToBuffer(handle: BoosterHandle, format: 'json' | 'ubj' | 'deprecated'): Buffer;
  /** `XGBoosterLoadModelFromBuffer`: legacy binary, JSON or UBJSON, detected by XGBoost. */
  boosterLoadModelFromBuffer(handle: BoosterHandle, bytes: Uint8Array): void;
  /** `XGBoosterSerializeToBuffer`: model plus training configuration (what Python's pickle/`copy()` uses). */
  boosterSerialize(handle: BoosterHandle): Buffer;
  boosterUnserialize(handle: BoosterHandle, bytes: Uint8Array): void;
  /** `XGBoosterSaveJsonConfig`, parsed. */
  boosterJsonConfig(handle: BoosterHandle): unknown;
  /**
   * `XGBoosterFeatureScore` (XGBoost 1.7.4 `c_api.h`): a tree model's importance of each feature that splits, as
   * Python's `Booster.get_score` reads it; `features` are XGBoost's names (`f0`, `f1`, ... when none were set).
   */
  boosterFeatureScore(handle: BoosterHandle, importanceType: 'weight' | 'gain' | 'cover' | 'total_gain' | 'total_cover'): { features: string[]; scores: number[] };
}

// Where the library is looked for lives in library-path.ts, which loads no koffi: the run's thread resolves the path
// (to hand it to a training worker) without loading the binding it never calls (about 25 ms at a run's StartTraining).
export { resolveXgboostLibrary, XGBOOST_INSTALL_HINT, XGBOOST_LIBRARY_CANDIDATES } from './library-path.js';

type KoffiFunction = ReturnType<LibraryHandle['func']>;

const loaded = new Map<string, XgboostNative>();

/**
 * Loads (once per path and thread) and binds the XGBoost C API.
 * @throws XgboostNotInstalledError when the library is missing or cannot be loaded
 * @throws XgboostVersionError when it is not the expected `major.minor`
 */
export function loadXgboostNative(options: XgboostLibraryOptions = {}): XgboostNative {
  const libraryPath = resolveXgboostLibrary(options.libraryPath);
  let native = loaded.get(libraryPath);
  if (native === undefined) {
    native = bind(libraryPath);
    loaded.set(libraryPath, native);
  }
  const expected = options.expectedVersion === undefined ? DEFAULT_EXPECTED_XGBOOST : options.expectedVersion;
  const { major, minor, patch } = native.version;
  if (expected !== null && `${major}.${minor}` !== expected) {
    throw new XgboostVersionError(
      `${libraryPath} is XGBoost ${major}.${minor}.${patch}, expected ${expected}.x. ${XGBOOST_INSTALL_HINT}`,
    );
  }
  return native;
}

/** The OpenMP wait policy asked for when the environment names none. */
export const DEFAULT_OPENMP_WAIT_POLICY = 'PASSIVE';

/**
 * Makes OpenMP's idle threads sleep instead of spinning, unless the user chose otherwise, and returns the policy in
 * effect. libgomp reads `OMP_WAIT_POLICY` once, when it is loaded (with libxgboost), from the process's real
 * environment; a worker thread's `process.env` is a copy that never reaches it, so the variable is set with libc's
 * `setenv(3)` (overwrite 0: a value already set wins) right before the library loads.
 *
 * Why: libgomp's default lets a thread that reaches a barrier spin for a while. On a machine where other processes
 * hold the cores, a spinning thread burns the time slice the thread it waits for needs. Measured here, 300k × 20
 * rows, 50 rounds, 2 threads, two `yes` processes hogging both cores: 76-87 s by default, 16-18 s with PASSIVE
 * (13-19 s with GOMP_SPINCOUNT=0). The OpenMP spec defines PASSIVE as "waiting threads should mostly be idle".
 * Returns undefined where libc cannot be reached (then the default stands).
 */
export function preferPassiveOpenMp(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const libc = koffi.load('libc.so.6');
    const getenv = libc.func('const char *getenv(const char *name)');
    const setenv = libc.func('int setenv(const char *name, const char *value, int overwrite)');
    setenv('OMP_WAIT_POLICY', DEFAULT_OPENMP_WAIT_POLICY, 0);
    const value: unknown = getenv('OMP_WAIT_POLICY');
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Hands memory that native code freed back to the system (glibc's `malloc_trim(0)`, which trims every arena, not
 * only the heap top). A training's DMatrix and Booster are freed when it ends, but glibc keeps freed chunks of a
 * thread's arena for reuse, and its mmap threshold rises after large frees, so a tuning job's next trial (a new
 * worker thread) can land on fresh pages while the last one's stay resident. Process-wide and thread-safe ("Since
 * glibc 2.8 this function frees memory in all arenas", MT-Safe: malloc_trim(3),
 * https://manpages.ubuntu.com/manpages/noble/en/man3/malloc_trim.3.html), so the training worker
 * calls it itself once its handles are freed (train-worker.ts, session-worker.ts): the run's thread then never loads
 * koffi, and never spends the trim's tens of milliseconds between a training's result and the run's next step.
 * Returns whether it ran (Linux only).
 */
export function releaseFreedNativeMemory(): boolean {
  if (process.platform !== 'linux') return false;
  try {
    const trim = (libcTrim ??= koffi.load('libc.so.6').func('int malloc_trim(size_t pad)'));
    trim(0);
    return true;
  } catch {
    return false;
  }
}

let libcTrim: KoffiFunction | undefined;

function bind(libraryPath: string): XgboostNative {
  const openMpWaitPolicy = preferPassiveOpenMp();
  let lib: LibraryHandle;
  try {
    lib = koffi.load(libraryPath);
  } catch (cause) {
    throw new XgboostNotInstalledError(
      `Cannot load the XGBoost library ${libraryPath}: ${(cause as Error).message}. ${XGBOOST_INSTALL_HINT}`,
      { cause },
    );
  }
  const fn = (definition: string): KoffiFunction => lib.func(definition);

  const XGBoostVersion = fn('void XGBoostVersion(_Out_ int *major, _Out_ int *minor, _Out_ int *patch)');
  const XGBGetLastError = fn('const char *XGBGetLastError()');
  const XGDMatrixCreateFromMat_omp = fn(
    'int XGDMatrixCreateFromMat_omp(const float *data, uint64_t nrow, uint64_t ncol, float missing, _Out_ void **out, int nthread)',
  );
  const XGDMatrixSetFloatInfo = fn(
    'int XGDMatrixSetFloatInfo(void *handle, const char *field, const float *array, uint64_t len)',
  );
  const XGDMatrixNumRow = fn('int XGDMatrixNumRow(void *handle, _Out_ uint64_t *out)');
  const XGDMatrixNumCol = fn('int XGDMatrixNumCol(void *handle, _Out_ uint64_t *out)');
  const XGDMatrixFree = fn('int XGDMatrixFree(void *handle)');
  const XGBoosterCreate = fn('int XGBoosterCreate(void **dmats, uint64_t len, _Out_ void **out)');
  const XGBoosterFree = fn('int XGBoosterFree(void *handle)');
  const XGBoosterSetParam = fn('int XGBoosterSetParam(void *handle, const char *name, const char *value)');
  const XGBoosterUpdateOneIter = fn('int XGBoosterUpdateOneIter(void *handle, int iter, void *dtrain)');
  const XGBoosterEvalOneIter = fn(
    'int XGBoosterEvalOneIter(void *handle, int iter, void **dmats, const char **evnames, uint64_t len, _Out_ const char **out)',
  );
  const XGBoosterPredictFromDMatrix = fn(
    'int XGBoosterPredictFromDMatrix(void *handle, void *dmat, const char *config, _Out_ void **out_shape, _Out_ uint64_t *out_dim, _Out_ void **out_result)',
  );
  const XGBoosterSlice = fn('int XGBoosterSlice(void *handle, int begin, int end, int step, _Out_ void **out)');
  const XGBoosterBoostedRounds = fn('int XGBoosterBoostedRounds(void *handle, _Out_ int *out)');
  const XGBoosterGetNumFeature = fn('int XGBoosterGetNumFeature(void *handle, _Out_ uint64_t *out)');
  const XGBoosterSetAttr = fn('int XGBoosterSetAttr(void *handle, const char *key, const char *value)');
  const XGBoosterGetAttr = fn(
    'int XGBoosterGetAttr(void *handle, const char *key, _Out_ const char **out, _Out_ int *success)',
  );
  const XGBoosterSaveModel = fn('int XGBoosterSaveModel(void *handle, const char *fname)');
  const XGBoosterLoadModel = fn('int XGBoosterLoadModel(void *handle, const char *fname)');
  const XGBoosterSaveModelToBuffer = fn(
    'int XGBoosterSaveModelToBuffer(void *handle, const char *config, _Out_ uint64_t *out_len, _Out_ void **out_dptr)',
  );
  const XGBoosterLoadModelFromBuffer = fn(
    'int XGBoosterLoadModelFromBuffer(void *handle, const void *buf, uint64_t len)',
  );
  const XGBoosterSerializeToBuffer = fn(
    'int XGBoosterSerializeToBuffer(void *handle, _Out_ uint64_t *out_len, _Out_ void **out_dptr)',
  );
  const XGBoosterUnserializeFromBuffer = fn(
    'int XGBoosterUnserializeFromBuffer(void *handle, const void *buf, uint64_t len)',
  );
  // c_api.h 1.7.4: (BoosterHandle, const char *config, bst_ulong *out_n_features, char const ***out_features,
  // bst_ulong *out_dim, bst_ulong const **out_shape, float const **out_scores); bst_ulong is uint64_t.
  const XGBoosterFeatureScore = fn(
    'int XGBoosterFeatureScore(void *handle, const char *config, _Out_ uint64_t *out_n_features, _Out_ void **out_features, _Out_ uint64_t *out_dim, _Out_ void **out_shape, _Out_ void **out_scores)',
  );
  const XGBoosterSaveJsonConfig = fn(
    'int XGBoosterSaveJsonConfig(void *handle, _Out_ uint64_t *out_len, _Out_ const char **out_str)',
  );

  const check = (functionName: string, code: unknown): void => {
    if (code !== 0) throw new XgboostNativeError(functionName, String(XGBGetLastError() ?? 'unknown error'));
  };
  const copyBytes = (pointer: unknown, length: number): Buffer =>
    length === 0 ? Buffer.alloc(0) : Buffer.from(koffi.view(pointer, length).slice(0));

  const major = [0];
  const minor = [0];
  const patch = [0];
  XGBoostVersion(major, minor, patch);
  const version: XgboostVersion = { major: major[0] ?? 0, minor: minor[0] ?? 0, patch: patch[0] ?? 0 };

  return {
    libraryPath,
    version,
    openMpWaitPolicy,
    dmatrixFromDense(data, nRows, nCols, missing = Number.NaN, nthread = 0) {
      if (data.length !== nRows * nCols) {
        throw new RangeError(`dense matrix has ${data.length} values, expected ${nRows} x ${nCols}`);
      }
      const out: unknown[] = [null];
      check('XGDMatrixCreateFromMat_omp', XGDMatrixCreateFromMat_omp(data, nRows, nCols, missing, out, nthread));
      return toHandle<DMatrixHandle>(out[0]);
    },
    dmatrixSetFloatInfo(handle, field, values) {
      check('XGDMatrixSetFloatInfo', XGDMatrixSetFloatInfo(handle, field, values, values.length));
    },
    dmatrixNumRow(handle) {
      const out: unknown[] = [0];
      check('XGDMatrixNumRow', XGDMatrixNumRow(handle, out));
      return Number(out[0]);
    },
    dmatrixNumCol(handle) {
      const out: unknown[] = [0];
      check('XGDMatrixNumCol', XGDMatrixNumCol(handle, out));
      return Number(out[0]);
    },
    dmatrixFree(handle) {
      check('XGDMatrixFree', XGDMatrixFree(handle));
    },
    boosterCreate(cache) {
      const out: unknown[] = [null];
      check('XGBoosterCreate', XGBoosterCreate([...cache], cache.length, out));
      return toHandle<BoosterHandle>(out[0]);
    },
    boosterFree(handle) {
      check('XGBoosterFree', XGBoosterFree(handle));
    },
    boosterSetParam(handle, name, value) {
      check('XGBoosterSetParam', XGBoosterSetParam(handle, name, value));
    },
    boosterUpdateOneIter(handle, iteration, dtrain) {
      check('XGBoosterUpdateOneIter', XGBoosterUpdateOneIter(handle, iteration, dtrain));
    },
    boosterEvalOneIter(handle, iteration, matrices, names) {
      if (matrices.length !== names.length) throw new RangeError('one name per evaluation matrix is needed');
      const out: unknown[] = [null];
      check(
        'XGBoosterEvalOneIter',
        XGBoosterEvalOneIter(handle, iteration, [...matrices], [...names], matrices.length, out),
      );
      return String(out[0]);
    },
    boosterPredict(handle, dmatrix, config = {}) {
      const json = JSON.stringify({
        type: config.type ?? 0,
        training: false,
        iteration_begin: config.iterationBegin ?? 0,
        iteration_end: config.iterationEnd ?? 0,
        strict_shape: config.strictShape ?? false,
      });
      const shapePointer: unknown[] = [null];
      const dimensions: unknown[] = [0];
      const resultPointer: unknown[] = [null];
      check(
        'XGBoosterPredictFromDMatrix',
        XGBoosterPredictFromDMatrix(handle, dmatrix, json, shapePointer, dimensions, resultPointer),
      );
      const dims = Number(dimensions[0]);
      const shape =
        dims === 0
          ? []
          : Array.from(koffi.decode(shapePointer[0], 'uint64_t', dims) as ArrayLike<number | bigint>, Number);
      const length = shape.reduce((product, d) => product * d, 1);
      const values = new Float32Array(length);
      if (length > 0) values.set(new Float32Array(koffi.view(resultPointer[0], length * 4)));
      return { shape, values };
    },
    boosterFeatureScore(handle, importanceType) {
      const nFeatures: unknown[] = [0];
      const featuresPointer: unknown[] = [null];
      const dimensions: unknown[] = [0];
      const shapePointer: unknown[] = [null];
      const scoresPointer: unknown[] = [null];
      const config = JSON.stringify({ importance_type: importanceType });
      check('XGBoosterFeatureScore', XGBoosterFeatureScore(handle, config, nFeatures, featuresPointer, dimensions, shapePointer, scoresPointer));
      const n = Number(nFeatures[0]);
      if (n === 0) return { features: [], scores: [] };
      const dims = Number(dimensions[0]);
      const shape = Array.from(koffi.decode(shapePointer[0], 'uint64_t', dims) as ArrayLike<number | bigint>, Number);
      const length = shape.reduce((product, d) => product * d, 1);
      // The buffers belong to the booster and change on its next call: copy them out now.
      const features = Array.from(koffi.decode(featuresPointer[0], 'const char *', n) as ArrayLike<string>);
      const scores = Array.from(new Float32Array(koffi.view(scoresPointer[0], length * 4).slice(0)));
      return { features, scores };
    },
    boosterSlice(handle, begin, end, step = 1) {
      const out: unknown[] = [null];
      check('XGBoosterSlice', XGBoosterSlice(handle, begin, end, step, out));
      return toHandle<BoosterHandle>(out[0]);
    },
    boosterBoostedRounds(handle) {
      const out: unknown[] = [0];
      check('XGBoosterBoostedRounds', XGBoosterBoostedRounds(handle, out));
      return Number(out[0]);
    },
    boosterNumFeature(handle) {
      const out: unknown[] = [0];
      check('XGBoosterGetNumFeature', XGBoosterGetNumFeature(handle, out));
      return Number(out[0]);
    },
    boosterSetAttr(handle, key, value) {
      check('XGBoosterSetAttr', XGBoosterSetAttr(handle, key, value));
    },
    boosterGetAttr(handle, key) {
      const out: unknown[] = [null];
      const success: unknown[] = [0];
      check('XGBoosterGetAttr', XGBoosterGetAttr(handle, key, out, success));
      return success[0] === 1 ? String(out[0]) : undefined;
    },
    boosterSaveModel(handle, file) {
      check('XGBoosterSaveModel', XGBoosterSaveModel(handle, file));
    },
    boosterLoadModel(handle, file) {
      check('XGBoosterLoadModel', XGBoosterLoadModel(handle, file));
    },
    boosterSaveModelToBuffer(handle, format) {
      const length: unknown[] = [0];
      const pointer: unknown[] = [null];
      check(
        'XGBoosterSaveModelToBuffer',
        XGBoosterSaveModelToBuffer(handle, JSON.stringify({ format }), length, pointer),
      );
      return copyBytes(pointer[0], Number(length[0]));
    },
    boosterLoadModelFromBuffer(handle, bytes) {
      check('XGBoosterLoadModelFromBuffer', XGBoosterLoadModelFromBuffer(handle, bytes, bytes.length));
    },
    boosterSerialize(handle) {
      const length: unknown[] = [0];
      const pointer: unknown[] = [null];
      check('XGBoosterSerializeToBuffer', XGBoosterSerializeToBuffer(handle, length, pointer));
      return copyBytes(pointer[0], Number(length[0]));
    },
    boosterUnserialize(handle, bytes) {
      check('XGBoosterUnserializeFromBuffer', XGBoosterUnserializeFromBuffer(handle, bytes, bytes.length));
    },
    boosterJsonConfig(handle) {
      const length: unknown[] = [0];
      const out: unknown[] = [null];
      check('XGBoosterSaveJsonConfig', XGBoosterSaveJsonConfig(handle, length, out));
      return JSON.parse(String(out[0])) as unknown;
    },
  };
}

function toHandle<T extends bigint>(pointer: unknown): T {
  if (typeof pointer !== 'bigint' || pointer === 0n) {
    throw new XgboostNativeError('handle', `XGBoost returned a null handle (${String(pointer)})`);
  }
  return pointer as T;
}
