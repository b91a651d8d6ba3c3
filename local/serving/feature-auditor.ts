/**
 * The local endpoint's auditor of compiled raw-record features (core/serving/raw-featurizer.ts, "Compiled"): DuckDB
 * in a worker thread of its own re-featurizes the records the compiled query answered, so the binding and reading of
 * an audit query (milliseconds for a few hundred records) never holds up the thread that answers requests.
 */
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { FeatureAuditor, RawFeatures } from '../../core/serving/raw-featurizer.js';
import type { RawValue } from '../../core/serving/raw-records.js';
import type { RawServingSpec } from '../../core/serving/raw-serving-spec.js';
import { RUNNING_FROM_TYPESCRIPT, startModuleWorker } from '../xgboost/worker-runtime.js';

/** The audit worker stopped or failed: the featurizer stops using the compiled query (it can no longer be audited). */
export class FeatureAuditorError extends Error {
  public override readonly name = 'FeatureAuditorError';
}

type WorkerAnswer =
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly id: number; readonly values: Float32Array; readonly nRows: number; readonly nCols: number }
  | { readonly id: number; readonly message: string };

/**
 * Starts the audit worker for a pipeline's raw-record spec; resolves once its DuckDB is open.
 * @throws FeatureAuditorError when the worker cannot open DuckDB or the scoring query
 */
export function startFeatureAuditor(spec: RawServingSpec): Promise<FeatureAuditor> {
  const worker = startModuleWorker(auditWorkerFile(), { workerData: spec });
  // An idle auditor must not keep a finished process alive.
  worker.unref();
  const waiting = new Map<number, { resolve: (features: RawFeatures) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  let stopped: Error | undefined;
  const stop = (error: Error): void => {
    stopped ??= error;
    for (const pending of waiting.values()) pending.reject(stopped);
    waiting.clear();
  };
  return new Promise<FeatureAuditor>((resolve, reject) => {
    worker.on('message', (answer: WorkerAnswer) => {
      if ('type' in answer) {
        if (answer.type === 'ready') resolve(auditorOf(worker, waiting, () => nextId++, () => stopped));
        else {
          reject(new FeatureAuditorError(`the feature auditor could not open: ${answer.message}`));
          void worker.terminate();
        }
        return;
      }
      const pending = waiting.get(answer.id);
      waiting.delete(answer.id);
      if ('values' in answer) pending?.resolve({ values: answer.values, nRows: answer.nRows, nCols: answer.nCols, texts: [] });
      else pending?.reject(new FeatureAuditorError(answer.message));
    });
    worker.on('error', (error) => {
      stop(new FeatureAuditorError(`the feature auditor failed: ${error.message}`));
      reject(stopped);
    });
    worker.on('exit', (code) => {
      stop(new FeatureAuditorError(`the feature auditor stopped (exit code ${code})`));
      reject(stopped);
    });
  });
}

function auditorOf(
  worker: Worker,
  waiting: Map<number, { resolve: (features: RawFeatures) => void; reject: (error: Error) => void }>,
  nextId: () => number,
  stopped: () => Error | undefined,
): FeatureAuditor {
  return {
    featurize: (rows: readonly (readonly RawValue[])[]) =>
      new Promise<RawFeatures>((resolve, reject) => {
        const error = stopped();
        if (error !== undefined) {
          reject(error);
          return;
        }
        const id = nextId();
        waiting.set(id, { resolve, reject });
        worker.postMessage({ id, rows });
      }),
    close: async () => {
      if (stopped() !== undefined) return;
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      // The worker closes DuckDB, then its port: the thread ends by itself (or is ended, if it does not).
      worker.postMessage({ id: -1 });
      const grace = setTimeout(() => void worker.terminate(), CLOSE_GRACE_MS);
      grace.unref();
      await exited;
      clearTimeout(grace);
    },
  };
}

/** The worker's module, beside this one (compiled JavaScript, or TypeScript under jest). */
function auditWorkerFile(): string {
  return join(__dirname, `feature-audit-worker${RUNNING_FROM_TYPESCRIPT ? '.ts' : '.js'}`);
}

/** Milliseconds the worker gets to close DuckDB and end by itself before it is terminated. */
const CLOSE_GRACE_MS = 5000;
