/**
 * Worker-thread entry of the local batch transform: scores the `workerData` job with XGBoost and posts
 * `{ ok: true, records }` or `{ ok: false, message }`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { XgboostBatchJob } from './xgboost-batch.js';
import { scoreXgboostFiles } from './xgboost-batch.js';

const port = parentPort;
if (port) {
  scoreXgboostFiles(workerData as XgboostBatchJob).then(
    (records) => port.postMessage({ ok: true, records }),
    (error: unknown) => port.postMessage({ ok: false, message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
  );
}
