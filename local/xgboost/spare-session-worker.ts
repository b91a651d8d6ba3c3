/**
 * A training session's worker started before the session exists, so that the worker's boot (a Node thread, the
 * trainer's modules, koffi and the XGBoost library: about 0.15 s on this machine class) overlaps the steps before
 * training instead of delaying it. A run starts one when its features are being made (run-local.ts); the first
 * session of this process that wants a worker for the same library takes it (training-session.ts), and a spare that
 * nobody took is ended when the run ends. A spare holds no data and trains nothing until a session adopts it: until
 * then it only has the library loaded, so ending it is always safe.
 */
import type { Worker } from 'node:worker_threads';
import { resolveTrainingLibrary } from './library-path.js';
import type { TrainingLibrary } from './library-path.js';
import type { SessionWorkerInput } from './session-worker.js';
import { siblingModule, startModuleWorker } from './worker-runtime.js';

/** A session worker thread and the flag its session sets to stop the current training. */
export interface BootedSessionWorker {
  readonly worker: Worker;
  /** One Int32 in a SharedArrayBuffer (see `SessionWorkerInput.stopFlag`). */
  readonly stopFlag: Int32Array;
}

interface Spare extends BootedSessionWorker {
  readonly libraryPath: string;
  readonly expectedVersion: string | null;
  readonly ignoreError: () => void;
  gone: boolean;
}

let spare: Spare | undefined;

/** Starts a session worker (session-worker.ts) for `libraryPath`; it loads the library at once. */
export function bootSessionWorker(libraryPath: string, expectedVersion: string | null): BootedSessionWorker {
  const stopFlag = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  const workerData: SessionWorkerInput = { libraryPath, expectedVersion, stopFlag };
  return { worker: startModuleWorker(siblingModule('session-worker'), { workerData }), stopFlag };
}

/**
 * Starts a spare session worker for the configured XGBoost library, unless one is waiting already. It does not keep
 * the process alive. A library that cannot be found starts nothing: the session reports that itself.
 */
export function prestartSessionWorker(options: { readonly libraryPath?: string; readonly expectedVersion?: string | null } = {}): void {
  if (spare !== undefined && !spare.gone) return;
  let library: TrainingLibrary;
  try {
    library = resolveTrainingLibrary(options);
  } catch {
    return;
  }
  const { libraryPath, expectedVersion } = library;
  const booted = bootSessionWorker(libraryPath, expectedVersion);
  // A spare that fails is dropped, and the session starts its own worker, which meets the same failure and reports it.
  const ignoreError = (): void => undefined;
  const entry: Spare = { ...booted, libraryPath, expectedVersion, ignoreError, gone: false };
  booted.worker.on('error', ignoreError);
  booted.worker.once('exit', () => {
    entry.gone = true;
    if (spare === entry) spare = undefined;
  });
  booted.worker.unref();
  spare = entry;
}

/** The waiting spare worker when it was started for this library and version (it is then the caller's), or undefined. */
export function takeSpareSessionWorker(libraryPath: string, expectedVersion: string | null): BootedSessionWorker | undefined {
  const taken = spare;
  if (taken === undefined || taken.gone || taken.libraryPath !== libraryPath || taken.expectedVersion !== expectedVersion) return undefined;
  spare = undefined;
  taken.worker.off('error', taken.ignoreError);
  taken.worker.ref();
  return { worker: taken.worker, stopFlag: taken.stopFlag };
}

/** Ends the spare worker nobody took (it holds no data); resolves once it has exited: true, or false when none waited. */
export async function releaseSpareSessionWorker(): Promise<boolean> {
  const left = spare;
  spare = undefined;
  if (left === undefined || left.gone) return false;
  await left.worker.terminate();
  return true;
}
