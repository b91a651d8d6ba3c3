/**
 * The local stand-in for a SageMaker XGBoost `1.7-1` training job.
 *
 * Training blocks the thread that runs it, so it runs in a worker thread and the caller's event loop stays free
 * (progress events, HTTP, timers). Jobs are queued: one training at a time in this process, because XGBoost's
 * OpenMP threads collapse when two trainings share a small machine.
 */
import { deserializeError, TrainingAbortedError } from './errors.js';
import { parseHyperparameters } from './hyperparameters.js';
import { resolveTrainingLibrary } from './library-path.js';
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
  /**
   * Aborting stops the training at its next round boundary (a queued job never starts) and rejects with
   * TrainingAbortedError once the worker has freed its native memory and exited.
   */
  readonly signal?: AbortSignal | undefined;
  /** Evaluate the train set every round, as Python's `xgb.train` does (default: only when something reads it). */
  readonly evaluateTrainEveryRound?: boolean | undefined;
}

/**
 * Trains an XGBoost model like SageMaker's built-in algorithm (`1.7-1`) would, and writes
 * `<outputDir>/model.tar.gz`. Resolves when the job ends and its worker has exited; jobs started while another runs
 * wait for it, so two jobs never hold native memory at once.
 * @throws XgboostNotInstalledError, HyperparameterValidationError at once, before queueing
 * @throws CsvFormatError, EmptyChannelError, XgboostNativeError from the job
 * @throws TrainingAbortedError when `signal` aborts or the worker dies
 */
export function trainXgboost(request: TrainRequest, options: TrainOptions = {}): Promise<TrainResult> {
  let input: Omit<TrainWorkerInput, 'stopFlag'>;
  try {
    // Fail fast, before waiting in the queue: a bad hyperparameter or a missing library is known right away.
    parseHyperparameters(request.hyperparameters);
    input = { request, ...resolveTrainingLibrary(options), evaluateTrainEveryRound: options.evaluateTrainEveryRound };
  } catch (error) {
    return Promise.reject(error);
  }
  return inTrainingQueue(() => runInWorker(input, options), options.signal);
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `start` when every training queued before it has settled, so two trainings never hold native memory (or
 * XGBoost's OpenMP threads) at once in this process: `trainXgboost`'s jobs and a training session's trials share
 * this one queue. A job aborted while it waits is rejected at once and skipped when its turn comes; a running one
 * settles when `start`'s promise does (its worker has stopped), so whoever aborted it cannot start the next job over
 * it.
 */
export function inTrainingQueue<T>(start: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  let started = false;
  const job = queue.then(() => {
    started = true;
    if (signal?.aborted) return Promise.reject(new TrainingAbortedError('training aborted before it started', { cause: signal.reason }));
    return start();
  });
  queue = job.catch(() => undefined);
  if (signal === undefined) return job;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      if (!started) reject(new TrainingAbortedError('training aborted before it started', { cause: signal.reason }));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    job.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

type Outcome = { readonly result: TrainResult } | { readonly error: unknown };

function runInWorker(input: Omit<TrainWorkerInput, 'stopFlag'>, options: TrainOptions): Promise<TrainResult> {
  return new Promise<TrainResult>((resolve, reject) => {
    const { signal } = options;
    if (signal?.aborted) {
      reject(new TrainingAbortedError('training aborted before it started', { cause: signal.reason }));
      return;
    }
    const stopFlag = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
    const workerData: TrainWorkerInput = { ...input, stopFlag };
    const worker = startModuleWorker(siblingModule('train-worker'), { workerData });
    let outcome: Outcome | undefined;
    const conclude = (value: Outcome): void => {
      outcome ??= value;
    };
    // Cooperative: the worker is inside XGBoost and reads no messages, so it polls the flag between rounds, frees
    // its DMatrix and Booster handles and reports. terminate() there would skip that cleanup and leak the memory.
    const onAbort = (): void => {
      Atomics.store(stopFlag, 0, 1);
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    worker.on('message', (message: TrainWorkerMessage) => {
      switch (message.type) {
        case 'round':
          if (!signal?.aborted) options.onRound?.(message.record);
          break;
        case 'result':
          conclude({ result: message.result });
          // Its handles are freed (runTraining's finally ran before the result was posted): nothing is left to
          // clean up, only an idle event loop to end.
          void worker.terminate();
          break;
        case 'error':
          conclude({ error: deserializeError(message.error) });
          void worker.terminate();
          break;
      }
    });
    worker.on('error', (error) => {
      conclude({ error: new TrainingAbortedError(`training worker failed: ${error.message}`, { cause: error }) });
    });
    // Settle only once the thread is gone, so the next job never overlaps this one.
    worker.on('exit', (code) => {
      signal?.removeEventListener('abort', onAbort);
      // The worker freed its handles and gave the pages back before it reported (train-worker.ts), so the next job,
      // which starts only now, never lands on fresh pages while this one's stay resident.
      const ended = outcome ?? { error: new TrainingAbortedError(`training worker exited (code ${code}) without a result`) };
      if (signal?.aborted) {
        // Aborted means no model, even when the last round ended before the flag was read.
        const how = 'error' in ended && ended.error instanceof TrainingAbortedError ? ended.error.message : 'before the worker stopped';
        reject(new TrainingAbortedError(`training aborted: ${how}`, { cause: signal.reason }));
      } else if ('result' in ended) {
        resolve(ended.result);
      } else {
        reject(ended.error);
      }
    });
  });
}
