/**
 * A model loaded for serving: same archive reader, same library and the same {@link XgboostModel} interface as
 * `loadXgboostModel`, with changes that make a one-row prediction cost far less (the first two: about 24 µs instead of
 * 60 µs, and instead of 1.5-2.4 ms on a busy machine), measured on this 2-core machine with a 100-tree model:
 *
 * 1. One thread per prediction, as SageMaker's container does (`booster.set_param('nthread', 1)` in
 *    `serve_utils.get_loaded_booster`; it scales with one worker process per CPU instead). With every OpenMP thread
 *    (`loadXgboostModel`'s `nthread` 0) the team waits at its barrier for a thread the OS has descheduled whenever
 *    other work runs, and a request of one row gains nothing from a second thread anyway.
 * 2. In-place prediction on one reused proxy DMatrix (`XGProxyDMatrixCreate` once, then
 *    `XGBoosterPredictFromDense` per call) instead of a new DMatrix per call: building a DMatrix constructs an
 *    XGBoost `Context`, which reads two cgroup files (`cpu.cfs_quota_us`, `cpu.cfs_period_us`) every time (seen with
 *    strace). Results are identical to `XGBoosterPredictFromDMatrix` (checked by the integration tests).
 * 3. The answer read through views made once per XGBoost output buffer (see {@link OutputReader}) rather than two
 *    external `ArrayBuffer`s per call: 27 µs -> 16.5 µs per one-row call, CPU time, measured on a loaded machine
 *    (docs/serving-performance.md).
 *
 * The two C functions of (2) are bound here rather than in `local/xgboost/native.ts`, which does not have them.
 */
import koffi, { type LibraryHandle } from 'koffi';
import { ModelFormatError, XgboostNativeError } from '../xgboost/errors.js';
import type { ModelDescription, XgboostModel } from '../xgboost/model.js';
import { describeBooster, loadBooster } from '../xgboost/model.js';
import { loadXgboostNative } from '../xgboost/native.js';
import type { BoosterHandle, DMatrixHandle, XgboostLibraryOptions, XgboostNative } from '../xgboost/native.js';

/** How to load a serving model. */
export interface ServingModelOptions extends XgboostLibraryOptions {
  /** OpenMP threads per prediction (default 1, the container's setting; 0 means all). */
  readonly nthread?: number;
}

type KoffiFunction = ReturnType<LibraryHandle['func']>;

/** The in-place prediction entry points, bound once per library path. */
interface InplaceApi {
  readonly proxyCreate: KoffiFunction;
  readonly predictFromDense: KoffiFunction;
  readonly lastError: KoffiFunction;
}

const inplaceApis = new Map<string, InplaceApi>();

function inplaceApi(native: XgboostNative): InplaceApi {
  let api = inplaceApis.get(native.libraryPath);
  if (api === undefined) {
    // The library is already loaded by native.ts; loading it again returns the same mapping.
    const lib = koffi.load(native.libraryPath);
    api = {
      proxyCreate: lib.func('int XGProxyDMatrixCreate(_Out_ void **out)'),
      predictFromDense: lib.func(
        'int XGBoosterPredictFromDense(void *handle, const char *array_interface, const char *config, void *m, ' +
          '_Out_ void **out_shape, _Out_ uint64_t *out_dim, _Out_ void **out_result)',
      ),
      lastError: lib.func('const char *XGBGetLastError()'),
    };
    inplaceApis.set(native.libraryPath, api);
  }
  return api;
}

/** All trees (`iteration_end` 0), normal output, NaN as the missing value: what the container's `predict` does. */
const PREDICT_CONFIG =
  '{"type":0,"training":false,"iteration_begin":0,"iteration_end":0,"strict_shape":false,"cache_id":0,"missing":NaN}';

/**
 * Loads a `model.tar.gz` (trainer or SageMaker `1.7-1` output) or a bare `xgboost-model` file for serving.
 * `predict` must be called from the thread that loaded the model. Call `free()` when done: the booster, the proxy
 * DMatrix and the input buffer live in native memory.
 * @throws ModelFormatError when the file is not an XGBoost model
 * @throws XgboostNotInstalledError, XgboostVersionError when the library is missing or not 1.7
 */
export function loadServingModel(modelTarGzOrFile: string, options: ServingModelOptions = {}): XgboostModel {
  const native = loadXgboostNative(options);
  const api = inplaceApi(native);
  const booster = loadBooster(native, modelTarGzOrFile);
  let description: ModelDescription;
  try {
    native.boosterSetParam(booster, 'nthread', String(options.nthread ?? 1));
    description = describeBooster(native, booster);
  } catch (cause) {
    native.boosterFree(booster);
    throw new ModelFormatError(`${modelTarGzOrFile} is not an XGBoost model: ${(cause as Error).message}`, { cause });
  }
  const proxyOut: unknown[] = [null];
  if (api.proxyCreate(proxyOut) !== 0) {
    native.boosterFree(booster);
    throw new XgboostNativeError('XGProxyDMatrixCreate', String(api.lastError()));
  }
  const proxy = proxyOut[0] as DMatrixHandle;
  const input = new InputBuffer();
  const output = new OutputReader();
  let freed = false;
  return {
    ...description,
    predict(rows, nRows, nCols) {
      if (freed) throw new ModelFormatError('this model was freed');
      if (rows.length !== nRows * nCols) {
        throw new RangeError(`dense matrix has ${rows.length} values, expected ${nRows} x ${nCols}`);
      }
      if (nRows === 0) return new Float32Array(0);
      return predictInPlace(api, booster, proxy, input.hold(rows, nRows, nCols), output);
    },
    free() {
      if (freed) return;
      freed = true;
      native.dmatrixFree(proxy);
      native.boosterFree(booster);
      input.free();
      output.clear();
    },
  };
}

function predictInPlace(api: InplaceApi, booster: BoosterHandle, proxy: DMatrixHandle, arrayInterface: string, output: OutputReader): Float32Array {
  const code: unknown = api.predictFromDense(
    booster,
    arrayInterface,
    PREDICT_CONFIG,
    proxy,
    output.shapeOut,
    output.dimensionsOut,
    output.resultOut,
  );
  if (code !== 0) throw new XgboostNativeError('XGBoosterPredictFromDense', String(api.lastError()));
  return output.read();
}

/**
 * Reads what `XGBoosterPredictFromDense` returned. Its shape and result live in buffers XGBoost keeps per thread and
 * reuses from call to call (they move only when a larger answer makes them grow), so the views over them are made once
 * per address rather than once per call, and the out-parameter arrays are reused: a one-row prediction then allocates
 * only its answer, a small array on V8's heap, instead of two external buffers and three arrays.
 */
class OutputReader {
  /** Out-parameters of the call (koffi writes each one's element 0). */
  public readonly shapeOut: unknown[] = [0n];
  public readonly dimensionsOut: unknown[] = [0];
  public readonly resultOut: unknown[] = [0n];
  private shapeAddress = 0n;
  private shape = new BigUint64Array(0);
  private resultAddress = 0n;
  private result = new Float32Array(0);

  /** Copies the last call's predictions out: the next call overwrites XGBoost's buffer. */
  public read(): Float32Array {
    const dimensions = Number(this.dimensionsOut[0]);
    const shapeAddress = this.shapeOut[0] as bigint;
    if (shapeAddress !== this.shapeAddress || dimensions > this.shape.length) {
      this.shape = new BigUint64Array(koffi.view(shapeAddress, dimensions * 8));
      this.shapeAddress = shapeAddress;
    }
    let length = 1;
    for (let i = 0; i < dimensions; i++) length *= Number(this.shape[i]);
    const resultAddress = this.resultOut[0] as bigint;
    if (resultAddress !== this.resultAddress || length > this.result.length) {
      this.result = new Float32Array(koffi.view(resultAddress, length * 4));
      this.resultAddress = resultAddress;
    }
    return this.result.slice(0, length);
  }

  /** Forgets the views (the model is freed; XGBoost's buffers are not ours to keep). */
  public clear(): void {
    this.shapeAddress = 0n;
    this.shape = new BigUint64Array(0);
    this.resultAddress = 0n;
    this.result = new Float32Array(0);
  }
}

/**
 * Native memory the rows are copied into before a prediction. V8 may move small typed arrays during garbage
 * collection, so XGBoost is never handed the address of a JavaScript array; the buffer grows to the largest request.
 */
class InputBuffer {
  private pointer: unknown;
  private view = new Float32Array(0);
  /** The array interface's text up to the shape: the address is fixed until the buffer grows. */
  private prefix = '';
  /** The last array interface made, and the shape it was made for (requests of one size repeat it). */
  private last = { nRows: -1, nCols: -1, text: '' };

  /** Copies `rows` in and returns the array interface (`__array_interface__`, version 3) describing them. */
  public hold(rows: Float32Array, nRows: number, nCols: number): string {
    if (rows.length > this.view.length) {
      this.free();
      const capacity = Math.max(rows.length, 1024);
      this.pointer = koffi.alloc('float', capacity) as unknown;
      this.view = new Float32Array(koffi.view(this.pointer, capacity * 4));
      this.prefix = `{"data":[${koffi.address(this.pointer)},true],"shape":[`;
    }
    this.view.set(rows);
    const last = this.last;
    if (last.nRows !== nRows || last.nCols !== nCols) {
      this.last = { nRows, nCols, text: `${this.prefix}${nRows},${nCols}],"typestr":"<f4","version":3}` };
    }
    return this.last.text;
  }

  public free(): void {
    if (this.pointer !== undefined) koffi.free(this.pointer);
    this.pointer = undefined;
    this.view = new Float32Array(0);
    this.prefix = '';
    this.last = { nRows: -1, nCols: -1, text: '' };
  }
}
