/**
 * Progress lines of a training or a tuning job for the live view (`sluice run` without `--json`): where the time
 * goes while a long step runs. A training reports its round, the watched metric and the best value so far, every
 * {@link ROUNDS_PER_LINE} rounds or once a second, whichever comes first; a tuning job reports each trial as it
 * ends (its objective, the best so far) and its rounds as a training does.
 */
import { isMaximizeMetric } from './eval-log.js';
import type { RoundRecord } from './train-core.js';

/** A line is printed at least every this many rounds. */
export const ROUNDS_PER_LINE = 10;

/** And at least once this often while rounds keep coming. */
export const PROGRESS_INTERVAL_MS = 1000;

/** Where progress lines go, and the clock that paces them. */
export interface ProgressOptions {
  /** Receives each line, without a newline. */
  readonly write: (line: string) => void;
  /** Milliseconds, monotonic (default `performance.now`). */
  readonly now?: (() => number) | undefined;
}

/**
 * A per-round callback that writes a line every {@link ROUNDS_PER_LINE} rounds or {@link PROGRESS_INTERVAL_MS},
 * e.g. `training job-1: round 20, validation-auc 0.861234 (best 0.862001 at round 17)`. The metric shown is the
 * last validation metric (the one early stopping watches), else the last train metric.
 */
export function roundProgress(label: string, options: ProgressOptions): (record: RoundRecord) => void {
  const now = options.now ?? (() => performance.now());
  let lastLine = now();
  let rounds = 0;
  let best: { value: number; round: number } | undefined;
  return (record) => {
    const watched = watchedMetric(record);
    if (watched !== undefined && !Number.isNaN(watched.value)) {
      const maximize = isMaximizeMetric(watched.metric);
      if (best === undefined || (maximize ? watched.value > best.value : watched.value < best.value)) {
        best = { value: watched.value, round: record.round };
      }
    }
    const at = now();
    // Rounds since the last line, not multiples of ten: a line a second never sits right next to a tenth-round one.
    rounds += 1;
    if (rounds < ROUNDS_PER_LINE && at - lastLine < PROGRESS_INTERVAL_MS) return;
    lastLine = at;
    rounds = 0;
    const metric = watched === undefined ? '' : `, ${watched.name} ${formatValue(watched.value)}`;
    const bestText = best === undefined || watched === undefined ? '' : ` (best ${formatValue(best.value)} at round ${best.round + 1})`;
    options.write(`${label}: round ${record.round + 1}${metric}${bestText}`);
  };
}

/** The line of a tuning trial that ended: `tuning job: trial 3/8 validation:auc 0.861234, best 0.862001 (trial 2)`. */
export function trialProgressLine(
  label: string,
  trial: { readonly index: number; readonly objective: number; readonly stoppedEarly: boolean },
  total: number,
  objectiveMetric: string,
  best: { readonly index: number; readonly objective: number } | undefined,
): string {
  const stopped = trial.stoppedEarly ? ' (stopped early)' : '';
  const bestText = best === undefined ? 'no eligible trial yet' : `best ${formatValue(best.objective)} (trial ${best.index + 1})`;
  return `${label}: trial ${trial.index + 1}/${total} ${objectiveMetric} ${formatValue(trial.objective)}${stopped}, ${bestText}`;
}

function watchedMetric(record: RoundRecord): { name: string; metric: string; value: number } | undefined {
  for (const [set, scores] of [['validation', record.validation], ['train', record.train]] as const) {
    const entries = Object.entries(scores);
    const last = entries.at(-1);
    if (last !== undefined) return { name: `${set}-${last[0]}`, metric: last[0], value: last[1] };
  }
  return undefined;
}

function formatValue(value: number): string {
  return Number.isFinite(value) ? value.toFixed(6) : String(value);
}
