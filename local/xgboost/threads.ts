import { availableParallelism, loadavg } from 'node:os';

/**
 * Feature cells (rows × columns) one XGBoost thread is worth: below it, OpenMP's barriers cost more than the
 * second thread saves (the churn sample, 7k × 19, trains fastest on one thread), and on a shared machine a team
 * of threads waits at every barrier for whichever thread the OS has descheduled.
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
  /** The one-minute load average (default `os.loadavg()[0]`): cores already busy. */
  load?: number;
}

/** How many threads a training uses, and why (for the job's log). */
export interface ThreadChoice {
  threads: number;
  reason: string;
}

/**
 * The threads of one XGBoost training: the spec's `nthread` when set; otherwise as many as the data is worth
 * ({@link CELLS_PER_THREAD}) and no more than the cores actually free (`cores - round(load)`), at least one.
 */
export function chooseThreads(inputs: ThreadInputs): ThreadChoice {
  if (inputs.requested !== undefined) return { threads: inputs.requested, reason: 'nthread hyperparameter' };
  const cores = inputs.cores ?? availableParallelism();
  const load = inputs.load ?? loadavg()[0] ?? 0;
  const free = Math.max(1, cores - Math.round(load));
  const worth = Math.max(1, Math.floor((inputs.rows * inputs.cols) / CELLS_PER_THREAD));
  const threads = Math.min(free, worth);
  return { threads, reason: `${inputs.rows} rows × ${inputs.cols} features, ${free} of ${cores} cores free (load ${load.toFixed(2)})` };
}
