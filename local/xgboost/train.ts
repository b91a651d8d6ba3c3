/**
 * The local stand-in for a SageMaker XGBoost `1.7-1` training job.
 *
 * Training blocks the thread that runs it, so it runs in a worker thread and the caller's event loop stays free
 * (progress events, HTTP, timers). Jobs are queued: one training at a time in this process, because XGBoost's
 * OpenMP threads collapse when two trainings share a small machine.
 */
import { deserializeError, TrainingAbortedError } from './errors.js';
import { parseHyperparameters } from './hyperparameters.js';
import { loadLocalSettings } from '../../core/config/runtime-config.js';
import { resolveXgboostLibrary } from './native.js';
import type { RoundRecord, TrainRequest, TrainResult } from './train-core.js';
import type { TrainWorkerInput, TrainWorkerMessage } from './train-worker.js';
import { siblingModule, startModuleWorker } from './worker-runtime.js';

/** The request and result types of a training job (defined next to the job itself). */
export type { RoundRecord, TrainRequest, TrainResult, TrainTimings } from './train-core.js';

/** How to run a training. */
export interface TrainOptions {
  /** Path to `libxgboost.so`; defaults to `XGBOOST_LIBRARY`, then the usual install locations. */
  readonly libraryPath?: string | undefined;
  /** `major.minor` the library must be (default `'1.7'`); `null` accepts any. */
  readonly expectedVersion?: string | null | undefined;
  /** Called in the caller's thread after every boosting round. */
  readonly onRound?: ((record: RoundRecord) => void) | undefined;
  /** Aborting stops the worker (a queued job never starts) and rejects with TrainingAbortedError. */
  readonly signal?: AbortSignal | undefined;
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Trains an XGBoost model like SageMaker's built-in algorithm (`1.7-1`) would, and writes
 * `<outputDir>/model.tar.gz`. Resolves when the job ends; jobs started while another runs wait for it.
 * @throws XgboostNotInstalledError, HyperparameterValidationError at once, before queueing
 * @throws CsvFormatError, EmptyChannelError, XgboostNativeError from the job
 * @throws TrainingAbortedError when `signal` aborts or the worker dies
 */
export function trainXgboost(request: TrainRequest, options: TrainOptions = {}): Promise<TrainResult> {
  let input: TrainWorkerInput;
  try {
    // Fail fast, before waiting in the queue: a bad hyperparameter or a missing library is known right away.
    parseHyperparameters(request.hyperparameters);
    input = {
      request,
      libraryPath: resolveXgboostLibrary(options.libraryPath ?? loadLocalSettings().xgboostLibrary),
      expectedVersion: options.expectedVersion === undefined ? '1.7' : options.expectedVersion,
    };
  } catch (error) {
    return Promise.reject(error);
  }
  const job = queue.then(() => runInWorker(input, options));
  queue = job.catch(() => undefined);
  const { signal } = options;
  if (signal === undefined) return job;
  // A queued job is rejected at once on abort; it is skipped (never started) when its turn comes.
  return new Promise<TrainResult>((resolve, reject) => {
    const onAbort = (): void => reject(new TrainingAbortedError('training aborted', { cause: signal.reason }));
    signal.addEventListener('abort', onAbort, { once: true });
    job.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function runInWorker(input: TrainWorkerInput, options: TrainOptions): Promise<TrainResult> {
  return new Promise<TrainResult>((resolve, reject) => {
    const { signal } = options;
    if (signal?.aborted) {
      reject(new TrainingAbortedError('training aborted before it started', { cause: signal.reason }));
      return;
    }
    const worker = startModuleWorker(siblingModule('train-worker'), { workerData: input });
    let settled = false;
    const settle = (action: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      action();
    };
    const onAbort = (): void => {
      settle(() => reject(new TrainingAbortedError('training aborted', { cause: signal?.reason })));
      void worker.terminate();
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    worker.on('message', (message: TrainWorkerMessage) => {
      switch (message.type) {
        case 'round':
          options.onRound?.(message.record);
          break;
        case 'result':
          settle(() => resolve(message.result));
          void worker.terminate();
          break;
        case 'error':
          settle(() => reject(deserializeError(message.error)));
          void worker.terminate();
          break;
      }
    });
    worker.on('error', (error) => {
      settle(() => reject(new TrainingAbortedError(`training worker failed: ${error.message}`, { cause: error })));
    });
    worker.on('exit', (code) => {
      settle(() => reject(new TrainingAbortedError(`training worker exited (code ${code}) without a result`)));
    });
  });
}
