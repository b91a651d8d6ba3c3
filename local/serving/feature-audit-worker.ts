/**
 * The worker thread of a featurizer's auditor (local/serving/feature-auditor.ts): DuckDB featurizes the records the
 * compiled query answered, with the pipeline's scoring query, away from the thread that answers requests.
 *
 * Messages in: the spec once (`workerData`), then `{ id, rows }`. Out: `{ type: 'ready' }` or `{ type: 'failed',
 * message }` once, then `{ id, values, nRows, nCols }` (the values' buffer transferred) or `{ id, message }`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDuckDbAuditor } from '../../core/serving/raw-featurizer.js';
import type { FeatureAuditor } from '../../core/serving/raw-featurizer.js';
import type { RawValue } from '../../core/serving/raw-records.js';
import type { RawServingSpec } from '../../core/serving/raw-serving-spec.js';

const port = parentPort;
if (port === null) throw new Error('feature-audit-worker runs as a worker thread');

void (async () => {
  let auditor: FeatureAuditor;
  try {
    auditor = await openDuckDbAuditor(workerData as RawServingSpec);
  } catch (error) {
    port.postMessage({ type: 'failed', message: (error as Error).message });
    return;
  }
  port.on('message', (request: { readonly id: number; readonly rows?: readonly (readonly RawValue[])[] }) => {
    if (request.rows === undefined) {
      // The owner is closing: free DuckDB, then let the thread end.
      void auditor.close().finally(() => port.close());
      return;
    }
    auditor.featurize(request.rows).then(
      (features) => port.postMessage({ id: request.id, values: features.values, nRows: features.nRows, nCols: features.nCols }, [features.values.buffer as ArrayBuffer]),
      (error: unknown) => port.postMessage({ id: request.id, message: (error as Error).message }),
    );
  });
  port.postMessage({ type: 'ready' });
})();
