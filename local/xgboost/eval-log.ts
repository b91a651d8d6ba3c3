/**
 * What Python XGBoost 1.7's training loop does around the C API, redone so local models are the same bytes:
 * parsing the `XGBoosterEvalOneIter` line, the `EarlyStopping` callback's bookkeeping, and Python's `str(float)`
 * (the `best_score` attribute is written with it and ends up in the saved model).
 */
import { XGBOOST_MAXIMIZE_METRICS } from '../../core/training/xgboost-hyperparameters.js';

/** One evaluation line: `{ train: { auc: 0.9 }, validation: { auc: 0.8 } }`, in the order XGBoost printed them. */
export type EvalScores = Record<string, Record<string, number>>;

/**
 * Parses `[3]\ttrain-auc:0.91\tvalidation-auc:0.88` the way Python's `CallbackContainer` does: drop the round,
 * split each item on its first `-` (data set names may not contain one, metric names may: `cox-nloglik`) and on
 * its last `:`, read the value with `float()`.
 */
export function parseEvalLine(line: string): EvalScores {
  const scores: EvalScores = {};
  const items = line.trim().split(/\s+/).slice(1);
  for (const item of items) {
    const dash = item.indexOf('-');
    const colon = item.lastIndexOf(':');
    if (dash <= 0 || colon <= dash + 1) throw new SyntaxError(`unexpected evaluation item "${item}" in "${line}"`);
    const dataName = item.slice(0, dash);
    const metric = item.slice(dash + 1, colon);
    const value = parsePythonFloat(item.slice(colon + 1));
    (scores[dataName] ??= {})[metric] = value;
  }
  return scores;
}

function parsePythonFloat(text: string): number {
  const lower = text.toLowerCase();
  if (lower === 'nan' || lower === '-nan') return Number.NaN;
  if (lower === 'inf' || lower === 'infinity') return Number.POSITIVE_INFINITY;
  if (lower === '-inf' || lower === '-infinity') return Number.NEGATIVE_INFINITY;
  const value = Number(text);
  if (text.trim() === '' || Number.isNaN(value)) throw new SyntaxError(`not a number: "${text}"`);
  return value;
}

/**
 * Python's `repr(float)` / `str(float)`: the shortest digits that round-trip (as JavaScript's), laid out as Python
 * does (`1.0`, `1e-05`, `1e+16`, `inf`, `nan`).
 */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Number.POSITIVE_INFINITY) return 'inf';
  if (value === Number.NEGATIVE_INFINITY) return '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const [mantissa = '', exponentText = '0'] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  const sign = value < 0 ? '-' : '';
  if (exponent < -4 || exponent >= 16) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const exponentSign = exponent < 0 ? '-' : '+';
    return `${sign}${digits[0] ?? ''}${fraction}e${exponentSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const integerPart = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fractionPart = digits.slice(exponent + 1);
  return `${sign}${integerPart}.${fractionPart === '' ? '0' : fractionPart}`;
}

/**
 * Whether early stopping maximizes `metric`. The container looks the name up in its list as is, so `ndcg@5` or
 * `map@3` would be minimized there; we strip the `@...` suffix first (XGBoost's own auto rule maximizes them), the
 * one place we knowingly differ.
 */
export function isMaximizeMetric(metric: string): boolean {
  const base = metric.split('@')[0] ?? metric;
  return XGBOOST_MAXIMIZE_METRICS.includes(base);
}

/** State of XGBoost 1.7's `EarlyStopping` callback for one (data set, metric). */
export interface EarlyStoppingState {
  readonly rounds: number;
  readonly maximize: boolean;
  /** Best score so far and the round it came from; undefined before the first round. */
  best?: { score: number; iteration: number } | undefined;
  /** Rounds since the last improvement. */
  stale: number;
}

/** A fresh {@link EarlyStoppingState}. */
export function createEarlyStopping(rounds: number, maximize: boolean): EarlyStoppingState {
  return { rounds, maximize, stale: 0 };
}

/**
 * Feeds one round's score, as `EarlyStopping._update_rounds` does (strict improvement, `min_delta` 0; NaN never
 * improves). Returns whether it improved (then the caller sets `best_score`/`best_iteration`) and whether to stop.
 */
export function updateEarlyStopping(
  state: EarlyStoppingState,
  score: number,
  iteration: number,
): { improved: boolean; stop: boolean } {
  let improved: boolean;
  if (state.best === undefined) {
    improved = true;
  } else {
    improved = state.maximize ? score > state.best.score : state.best.score > score;
  }
  if (improved) {
    state.best = { score, iteration };
    state.stale = 0;
  } else {
    state.stale += 1;
  }
  return { improved, stop: state.stale >= state.rounds };
}
