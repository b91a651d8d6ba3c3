/**
 * Dynamic batching of the endpoint's tabular predictions: the small requests whose bodies completed in the same turn
 * of the event loop are predicted in one XGBoost call, each then answered with its own rows.
 *
 * Why: a one-row XGBoost call costs far more than its row (the call into the library, the proxy DMatrix set-up, the
 * OpenMP region's wake-ups), and under concurrent load several connections' requests complete together. Nothing waits
 * on a timer: the batch is predicted in the same loop turn's check phase (`setImmediate`), so a lone request is
 * delayed by microseconds, and requests only share a call when they were already waiting together.
 *
 * The answers are the ones each request would get alone: XGBoost predicts each row from its own features (trees summed
 * in tree order per row), whatever rows share the call; test/integration/serving/endpoint-server.test.ts checks it
 * to the float. A batch whose call fails is predicted again request by request, so one request's failure (or its
 * error message) is never another's.
 */
import type { XgboostModel } from '../xgboost/model.js';

/** Requests of more rows than this are predicted alone: a large request gains nothing from company. */
export const BATCHED_REQUEST_MAX_ROWS = 64;

/** A batch holds at most this many rows; the next requests wait for the next call (in the same check phase). */
export const BATCH_MAX_ROWS = 1024;

/** One request's rows, and what to do with its predictions (or with the error of its own prediction). */
export interface BatchedPrediction {
  readonly model: XgboostModel;
  /** `nRows * nCols` features, row-major; `nCols` is the model's feature count (checked before it is queued). */
  readonly values: Float32Array;
  readonly nRows: number;
  readonly nCols: number;
  /** Called once, synchronously after the call: the request's own predictions (read them before returning). */
  readonly settle: (predictions: Float32Array | undefined, error?: unknown) => void;
}

/**
 * Collects the predictions asked for in one loop turn and runs them in as few XGBoost calls as their models allow.
 *
 * @example
 * const batcher = new PredictionBatcher();
 * batcher.predict({ model, values, nRows: 1, nCols, settle: (predictions, error) => answer(predictions, error) });
 */
export class PredictionBatcher {
  private pending: BatchedPrediction[] = [];
  private scheduled = false;

  /** Predicts now when the request is large, else with the requests completing in the same loop turn. */
  public predict(item: BatchedPrediction): void {
    if (item.nRows > BATCHED_REQUEST_MAX_ROWS) {
      predictAlone(item);
      return;
    }
    this.pending.push(item);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const items = this.pending;
    this.pending = [];
    let start = 0;
    while (start < items.length) {
      // Consecutive requests on the same model (a hot swap changes the model between two of them), up to the row cap.
      const first = items[start] as BatchedPrediction;
      let end = start + 1;
      let rows = first.nRows;
      for (let next = items[end]; next !== undefined && next.model === first.model && rows + next.nRows <= BATCH_MAX_ROWS; next = items[end]) {
        rows += next.nRows;
        end += 1;
      }
      if (end - start === 1) predictAlone(first);
      else predictTogether(items.slice(start, end), rows);
      start = end;
    }
  };
}

function predictAlone(item: BatchedPrediction): void {
  let predictions: Float32Array;
  try {
    predictions = item.model.predict(item.values, item.nRows, item.nCols);
  } catch (error) {
    item.settle(undefined, error);
    return;
  }
  item.settle(predictions);
}

function predictTogether(items: readonly BatchedPrediction[], rows: number): void {
  const { model, nCols } = items[0] as BatchedPrediction;
  const values = new Float32Array(rows * nCols);
  let at = 0;
  for (const item of items) {
    values.set(item.values, at);
    at += item.values.length;
  }
  let predictions: Float32Array;
  try {
    predictions = model.predict(values, rows, nCols);
  } catch {
    for (const item of items) predictAlone(item);
    return;
  }
  const width = predictions.length / rows;
  let row = 0;
  for (const item of items) {
    item.settle(predictions.subarray(row * width, (row + item.nRows) * width));
    row += item.nRows;
  }
}
