import { availableParallelism } from 'node:os';

/**
 * Feature cells (rows × columns) one XGBoost thread is worth: below it, OpenMP's barriers cost more than the
 * second thread saves (the churn sample, 7k × 19, trains fastest on one thread).
 */
export const CELLS_PER_THREAD = 1_000_000;

/** What the thread count is chosen from. */
export interface ThreadInputs {
  rows: number;
  cols: number;
  /** The `nthread` hyperparameter, when the spec sets it: it wins. */
  requested?: number | undefined;
  /** Cores this process may use (default `os.availableParallelism()`). */
  cores?: number;
}

/** How many threads a training uses, and why (for the job's log). */
export interface ThreadChoice {
  threads: number;
  reason: string;
}

/**
 * The threads of one XGBoost training: the spec's `nthread` when set; otherwise as many as the data is worth
 * ({@link CELLS_PER_THREAD}) and no more than the machine's cores, at least one.
 *
 * A function of the cores and the data only, never of the machine's current load: XGBoost's histogram sums are
 * split per thread, so the thread count changes the floating-point result, and the same inputs must give the same
 * model on a busy machine and on a quiet one. Contention is handled by OpenMP's passive waiting instead (see
 * `train.ts`), which keeps a descheduled team from burning the cores it waits on.
 */
export function chooseThreads(inputs: ThreadInputs): ThreadChoice {
  if (inputs.requested !== undefined) return { threads: inputs.requested, reason: 'nthread hyperparameter' };
  const cores = Math.max(1, inputs.cores ?? availableParallelism());
  const worth = Math.max(1, Math.floor((inputs.rows * inputs.cols) / CELLS_PER_THREAD));
  const threads = Math.min(cores, worth);
  return { threads, reason: `${inputs.rows} rows × ${inputs.cols} features, worth ${worth} thread(s), ${cores} cores` };
}
