/**
 * Worker-thread entry of the trainer: runs one {@link runTraining} with the `workerData` it was started with and
 * reports every round, then the result or the error, to the parent. Started by `train.ts`, never imported.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serializeError } from './errors.js';
import { releaseFreedNativeMemory } from './native.js';
import type { SerializedError } from './errors.js';
import { runTraining } from './train-core.js';
import type { RoundRecord, TrainRequest, TrainResult } from './train-core.js';

/** What the parent passes as `workerData`. */
export interface TrainWorkerInput {
  readonly request: TrainRequest;
  readonly libraryPath: string;
  readonly expectedVersion: string | null;
  /**
   * One Int32 in a SharedArrayBuffer: the parent sets it to 1 to stop the training at the next round boundary (the
   * worker is busy in native code and reads no messages until the training returns).
   */
  readonly stopFlag: Int32Array;
  readonly evaluateTrainEveryRound?: boolean | undefined;
}

/** Messages the worker posts. */
export type TrainWorkerMessage =
  | { readonly type: 'round'; readonly record: RoundRecord }
  | { readonly type: 'result'; readonly result: TrainResult }
  | { readonly type: 'error'; readonly error: SerializedError };

const port = parentPort;
if (port !== null) {
  const input = workerData as TrainWorkerInput;
  const post = (message: TrainWorkerMessage): void => port.postMessage(message);
  runTraining(input.request, {
    libraryPath: input.libraryPath,
    expectedVersion: input.expectedVersion,
    onRound: (record) => post({ type: 'round', record }),
    shouldStop: () => Atomics.load(input.stopFlag, 0) !== 0,
    evaluateTrainEveryRound: input.evaluateTrainEveryRound,
  })
    .then(
      (result): TrainWorkerMessage => ({ type: 'result', result }),
      (error: unknown): TrainWorkerMessage => ({ type: 'error', error: serializeError(error) }),
    )
    .then((message) => {
      // runTraining freed its handles: give the pages back (malloc_trim is process-wide) before reporting, since the
      // parent terminates this thread on the report, and the next job starts once it is gone.
      releaseFreedNativeMemory();
      post(message);
    });
}
