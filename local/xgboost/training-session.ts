/**
 * Many trainings on the same channels (a tuning job's trials, or a run's one training job) in one worker thread.
 *
 * `trainXgboost` starts a worker per job: that worker boots Node, loads the trainer's modules and XGBoost, and builds
 * the channels' DMatrix pair before its first round, about half a second of CPU on this machine whatever the data
 * size, paid again by every trial of a tuning job. A session pays it once: its worker starts on the first trial,
 * before the channels are read, so its start and XGBoost's loading overlap the reading (on another core); it takes
 * the channels once read, builds the matrices on the first trial and keeps them; each trial creates its booster,
 * trains, hands its saved model's bytes to this thread (which writes `model.tar.gz`, with tar loaded here while the
 * worker trains, so the worker loads no tar), and frees the booster before it reports, so between trials the session
 * holds the channels (as a single training does) and nothing of the trial before. The models are those
 * `trainXgboost` writes: same calls, same matrices, same threads, same archive writer.
 *
 * Trials go through the same queue as `trainXgboost`'s jobs (one training at a time in this process), are stopped
 * the same way (a shared flag read between rounds, never `terminate()` mid-training), and reject with
 * TrainingAbortedError when their signal aborts. `close()` frees the matrices and resolves once the thread is gone.
 */
import { deserializeError, TrainingAbortedError } from './errors.js';
import { parseHyperparameters } from './hyperparameters.js';
import { resolveTrainingLibrary } from './library-path.js';
import type { PreloadedChannels } from './train-core.js';
import { inTrainingQueue } from './train.js';
import type { TrainOptions, TrainRequest, TrainResult } from './train.js';
import type { SessionWorkerMessage, SessionWorkerRequest } from './session-worker.js';
import type * as ModelArchive from './model-archive.js';
import { bootSessionWorker, takeSpareSessionWorker } from './spare-session-worker.js';
import type { Worker } from 'node:worker_threads';

/** Trainings on one pair of channels, in one worker. */
export interface TrainingSession {
  /**
   * Trains one model on the session's channels (`request.trainFiles` / `validationFiles` / `data` are not read: the
   * session's channels are used). Queued behind any training running in this process.
   * @throws HyperparameterValidationError at once, before queueing
   * @throws XgboostNativeError from the training
   * @throws TrainingAbortedError when `options.signal` aborts or the worker dies
   */
  train(request: TrainRequest, options?: SessionTrainOptions): Promise<TrainResult>;
  /** Frees the channels' matrices and ends the worker; resolves once it has exited. Trainings after it reject. */
  close(): Promise<void>;
}

/** Options of {@link openTrainingSession}. */
export interface TrainingSessionOptions extends Pick<TrainOptions, 'libraryPath' | 'expectedVersion'> {
  /** Reads the channels (into SharedArrayBuffer-backed arrays); called once, on the first training. */
  readonly data: () => Promise<PreloadedChannels>;
}

/** Options of one training of a session: {@link TrainOptions}, and whether to score the validation channel. */
export interface SessionTrainOptions extends TrainOptions {
  /**
   * Return the saved model's validation predictions and importance (`TrainResult.validationScores`), from which the
   * caller records the model's insights without loading the model again (training-insights.ts).
   */
  readonly scoreValidation?: boolean | undefined;
}

interface RunningTraining {
  readonly resolve: (result: TrainResult) => void;
  readonly reject: (error: unknown) => void;
  readonly options: TrainOptions;
  /** The training's `model.tar.gz` being written from the bytes the worker handed over (its result waits for it). */
  archived: Promise<void> | undefined;
}

interface SessionWorker {
  readonly worker: Worker;
  readonly stopFlag: Int32Array;
  readonly exited: Promise<void>;
  /** Whether this worker has the channels (a worker that died is replaced by one that needs them again). */
  hasData: boolean;
}

/**
 * Opens a training session; nothing starts until the first `train`.
 * @throws XgboostNotInstalledError at once when the library cannot be found
 */
export function openTrainingSession(options: TrainingSessionOptions): TrainingSession {
  const { libraryPath, expectedVersion } = resolveTrainingLibrary(options);
  let data: Promise<PreloadedChannels> | undefined;
  let current: SessionWorker | undefined;
  let running: RunningTraining | undefined;
  let closed = false;
  // model-archive.ts (with tar), loaded in this thread while the first training runs in the worker: the worker hands
  // each saved model's bytes over, and this thread writes model.tar.gz while the worker scores the model.
  let archiver: Promise<typeof ModelArchive> | undefined;
  const loadArchiver = (): Promise<typeof ModelArchive> => {
    archiver ??= import('./model-archive.js');
    return archiver;
  };
  const writeArchive = (outputDir: string, bytes: Uint8Array): Promise<void> => {
    const written = loadArchiver().then(async (archive) => {
      await archive.writeModelArchive(outputDir, bytes);
    });
    // Observed by the training's result; a training that ends otherwise (aborted, its worker gone) must not leave
    // the rejection unhandled.
    written.catch(() => undefined);
    return written;
  };

  const settle = (outcome: { result: TrainResult } | { error: unknown }): void => {
    const training = running;
    if (training === undefined) return;
    running = undefined;
    // No trim here: the worker freed the training's boosters before it reported and hands the pages back itself
    // (malloc_trim is process-wide), before it reads the next trial's message (session-worker.ts).
    const { signal } = training.options;
    if (signal?.aborted) {
      // Aborted means no model, even when the last round ended before the flag was read.
      const how = 'error' in outcome && outcome.error instanceof TrainingAbortedError ? outcome.error.message : 'before the worker stopped';
      training.reject(new TrainingAbortedError(`training aborted: ${how}`, { cause: signal.reason }));
    } else if ('result' in outcome) {
      const { result } = outcome;
      if (training.archived === undefined) training.resolve(result);
      else training.archived.then(() => training.resolve(result), training.reject);
    } else {
      training.reject(outcome.error);
    }
  };

  const startWorker = (): SessionWorker => {
    // A worker the run started ahead of training (spare-session-worker.ts) when there is one for this library.
    const { worker, stopFlag } = takeSpareSessionWorker(libraryPath, expectedVersion) ?? bootSessionWorker(libraryPath, expectedVersion);
    worker.on('message', (message: SessionWorkerMessage) => {
      switch (message.type) {
        case 'round':
          if (running !== undefined && running.options.signal?.aborted !== true) running.options.onRound?.(message.record);
          break;
        case 'model':
          if (running !== undefined) running.archived = writeArchive(message.outputDir, message.bytes);
          break;
        case 'result':
          settle({ result: message.result });
          break;
        case 'error':
          settle({ error: deserializeError(message.error) });
          break;
      }
    });
    worker.on('error', (error) => {
      settle({ error: new TrainingAbortedError(`training worker failed: ${error.message}`, { cause: error }) });
    });
    const exited = new Promise<void>((resolve) => {
      worker.once('exit', (code) => {
        // A worker that died takes no more trainings: the next one starts a fresh worker.
        if (current?.worker === worker) current = undefined;
        settle({ error: new TrainingAbortedError(`training worker exited (code ${code}) without a result`) });
        resolve();
      });
    });
    return { worker, stopFlag, exited, hasData: false };
  };

  const runOne = async (request: TrainRequest, trainOptions: SessionTrainOptions): Promise<TrainResult> => {
    if (closed) throw new TrainingAbortedError('the training session is closed');
    // The worker first: it boots and loads XGBoost while this thread reads the channels.
    const session = (current ??= startWorker());
    data ??= options.data();
    const channels = await data;
    if (current !== session) throw new TrainingAbortedError('the training worker exited before it had its channels');
    if (!session.hasData) {
      const message: SessionWorkerRequest = { type: 'data', data: channels };
      session.worker.postMessage(message);
      session.hasData = true;
    }
    return new Promise<TrainResult>((resolve, reject) => {
      const { signal } = trainOptions;
      if (signal?.aborted) {
        reject(new TrainingAbortedError('training aborted before it started', { cause: signal.reason }));
        return;
      }
      Atomics.store(session.stopFlag, 0, 0);
      const onAbort = (): void => {
        Atomics.store(session.stopFlag, 0, 1);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      running = {
        resolve: (result) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(result);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
        options: trainOptions,
        archived: undefined,
      };
      const { data: _preloaded, ...sent } = request;
      const message: SessionWorkerRequest = { type: 'train', request: sent, evaluateTrainEveryRound: trainOptions.evaluateTrainEveryRound, scoreValidation: trainOptions.scoreValidation };
      session.worker.postMessage(message);
      // While the worker trains: its model's archive is written here.
      loadArchiver().catch(() => undefined);
    });
  };

  return {
    train: (request, trainOptions = {}) => {
      try {
        // Fail fast, before waiting in the queue, as trainXgboost does.
        parseHyperparameters(request.hyperparameters);
      } catch (error) {
        return Promise.reject(error);
      }
      return inTrainingQueue(() => runOne(request, trainOptions), trainOptions.signal);
    },
    close: async () => {
      closed = true;
      // Behind any training still queued or running, so the matrices are never freed under one.
      await inTrainingQueue(async () => {
        const session = current;
        if (session === undefined) return;
        const message: SessionWorkerRequest = { type: 'close' };
        session.worker.postMessage(message);
        await session.exited;
      }, undefined);
    },
  };
}
