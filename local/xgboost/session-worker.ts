/**
 * Worker-thread entry of a training session (`training-session.ts`): one worker for all the trainings of a tuning
 * job, or the one training of a run's job. It loads XGBoost as soon as it starts (while its parent still reads the
 * channels), takes the channels in a `data` message (shared arrays, no copy), builds their DMatrix pair once on the
 * first training and trains each `train` message in turn, handing each saved model's bytes to the parent to archive
 * and freeing that training's boosters before it reports; `close` frees the matrices and ends the thread. Started by
 * `training-session.ts`, never imported.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { serializeError } from './errors.js';
import { loadXgboostNative, releaseFreedNativeMemory } from './native.js';
import type { XgboostNative } from './native.js';
import { buildChannelMatrices, freeChannelMatrices, trainOnMatrices } from './train-core.js';
import type { ChannelMatrices, PreloadedChannels, TrainRequest } from './train-core.js';
import { MODEL_ARCHIVE_NAME } from './model-files.js';
import type { TrainWorkerMessage } from './train-worker.js';

/** What the parent passes as `workerData`. */
export interface SessionWorkerInput {
  readonly libraryPath: string;
  readonly expectedVersion: string | null;
  /**
   * One Int32 in a SharedArrayBuffer: the parent sets it to 1 to stop the current training at its next round
   * boundary (the worker is in native code and reads no messages until the round ends) and back to 0 before the next.
   */
  readonly stopFlag: Int32Array;
}

/**
 * Messages the parent posts: the channels once, before the first training; one training at a time (the next only
 * after the last one's result); then `close`.
 */
export type SessionWorkerRequest =
  | {
      readonly type: 'data';
      /** The channels, in SharedArrayBuffer-backed arrays (no copy reaches the worker). */
      readonly data: PreloadedChannels;
    }
  | {
      readonly type: 'train';
      /** `data` is not sent: the session's channels are the worker's. */
      readonly request: Omit<TrainRequest, 'data'>;
      readonly evaluateTrainEveryRound?: boolean | undefined;
      readonly scoreValidation?: boolean | undefined;
    }
  | { readonly type: 'close' };

/**
 * Messages the worker posts: a training's rounds, result or error (as a training worker's), and, before a training's
 * result, its saved model's bytes, which the parent writes as `<outputDir>/model.tar.gz` (with tar, loaded in the
 * parent while this thread trains) before it hands the result on.
 */
export type SessionWorkerMessage = TrainWorkerMessage | { readonly type: 'model'; readonly outputDir: string; readonly bytes: Uint8Array };

const port = parentPort;
if (port !== null) {
  const input = workerData as SessionWorkerInput;
  const post = (message: SessionWorkerMessage): void => port.postMessage(message);
  // The archive is the parent's to write: this thread goes on to score the model meanwhile, and never loads tar.
  const handOverModel = (outputDir: string, bytes: Uint8Array): Promise<string> => {
    post({ type: 'model', outputDir, bytes });
    return Promise.resolve(join(outputDir, MODEL_ARCHIVE_NAME));
  };
  let native: XgboostNative | undefined;
  let nativeError: unknown;
  let channels: PreloadedChannels | undefined;
  let matrices: ChannelMatrices | undefined;
  // At once, before any message: the library loads while the parent reads the channels. A library that cannot load
  // fails the first training with its error, as a load at that training would.
  try {
    native = loadXgboostNative({ libraryPath: input.libraryPath, expectedVersion: input.expectedVersion });
  } catch (error) {
    nativeError = error;
  }

  // Built for the first training's thread count and kept; a training that asks for other threads (a tuned
  // `nthread`) gets its own pair, as it would have in a worker of its own.
  const matricesFor = (library: XgboostNative, data: PreloadedChannels, threads: number): ChannelMatrices => {
    if (matrices?.threads !== threads) {
      if (matrices !== undefined) freeChannelMatrices(library, matrices);
      matrices = undefined;
      matrices = buildChannelMatrices(library, data, threads);
    }
    return matrices;
  };

  const train = async (message: Extract<SessionWorkerRequest, { type: 'train' }>): Promise<void> => {
    const started = performance.now();
    try {
      if (nativeError !== undefined) {
        // Reported once: the next training tries to load the library again, as it would have without the early load.
        const error = nativeError;
        nativeError = undefined;
        throw error;
      }
      native ??= loadXgboostNative({ libraryPath: input.libraryPath, expectedVersion: input.expectedVersion });
      const library = native;
      const data = channels;
      if (data === undefined) throw new Error('the training session sent no channels before its first training');
      const result = await trainOnMatrices(
        library,
        message.request,
        {
          onRound: (record) => post({ type: 'round', record }),
          shouldStop: () => Atomics.load(input.stopFlag, 0) !== 0,
          evaluateTrainEveryRound: message.evaluateTrainEveryRound,
          scoreValidation: message.scoreValidation,
          writeModelArchive: handOverModel,
        },
        { channels: data, started, readDataMs: 0, matrices: (threads) => matricesFor(library, data, threads) },
      );
      post({ type: 'result', result });
    } catch (error) {
      post({ type: 'error', error: serializeError(error) });
    }
    // The training's boosters are freed: give their pages back (process-wide) after the result is on its way, so the
    // trim costs the run nothing and still comes before the next trial, whose message this thread reads only now.
    releaseFreedNativeMemory();
  };

  port.on('message', (message: SessionWorkerRequest) => {
    if (message.type === 'data') {
      channels = message.data;
      return;
    }
    if (message.type === 'train') {
      void train(message);
      return;
    }
    if (native !== undefined && matrices !== undefined) freeChannelMatrices(native, matrices);
    matrices = undefined;
    releaseFreedNativeMemory();
    // Nothing else keeps the thread's event loop alive: it ends, and the parent sees 'exit'.
    port.close();
  });
}
