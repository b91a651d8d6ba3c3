/**
 * Stopping rules that end poor trials early, as pure functions of the objective curves seen so far. A curve is
 * the objective after each round (index = 0-based round, as XGBoost counts).
 */

/** Whether bigger objective values are better. */
export type ObjectiveDirection = 'Maximize' | 'Minimize';

/** An objective curve: `curve[round]` is the objective after that 0-based round. */
export type ObjectiveCurve = readonly number[];

/** Thresholds of {@link medianStoppingRule} that SageMaker does not publish. */
export interface MedianStoppingOptions {
  /**
   * How many earlier trials must have reached the round before the rule may stop anyone (default 3). With fewer,
   * the median says little; 3 is Ray Tune's `min_samples_required` for the same rule.
   */
  readonly minPreviousTrials?: number | undefined;
  /** Rounds before this 0-based round are never judged (default 1: one tree says little about a model). */
  readonly graceRounds?: number | undefined;
}

/** What {@link medianStoppingRule} judges. */
export interface MedianStoppingInput extends MedianStoppingOptions {
  /** The 0-based round the current trial just finished. */
  readonly round: number;
  /** The current trial's objective after that round. */
  readonly objective: number;
  /** The curves of the earlier trials (completed or stopped). */
  readonly previous: readonly ObjectiveCurve[];
  readonly direction: ObjectiveDirection;
}

/** Median of a non-empty list. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * SageMaker's `TrainingJobEarlyStoppingType: Auto` (developer guide, "Stop Training Jobs Early" > "How Early
 * Stopping Works"): after each epoch (here: boosting round) of the current trial, take the running average of the
 * objective of every earlier trial up to the same round, then the median of those averages; stop the current
 * trial when its objective is worse than that median (lower when maximizing, higher when minimizing). A tie does
 * not stop.
 *
 * Earlier trials that did not reach the round (stopped before it, or fewer rounds) are left out, and so are
 * curves holding a NaN up to that round. A NaN current objective counts as worse than any median. The two
 * thresholds in {@link MedianStoppingOptions} are ours: the documentation names none.
 *
 * @returns true when the current trial should stop now
 */
export function medianStoppingRule(input: MedianStoppingInput): boolean {
  const { round, objective, previous, direction } = input;
  const minPreviousTrials = input.minPreviousTrials ?? 3;
  const graceRounds = input.graceRounds ?? 1;
  if (round < graceRounds) return false;
  const averages: number[] = [];
  for (const curve of previous) {
    if (curve.length <= round) continue;
    let sum = 0;
    for (let r = 0; r <= round; r++) sum += curve[r] as number;
    const average = sum / (round + 1);
    if (!Number.isNaN(average)) averages.push(average);
  }
  if (averages.length === 0 || averages.length < minPreviousTrials) return false;
  if (Number.isNaN(objective)) return true;
  const cutoff = median(averages);
  return direction === 'Maximize' ? objective < cutoff : objective > cutoff;
}

/** Settings of {@link successiveHalvingRule}: SageMaker's `HyperbandStrategyConfig` plus the reduction factor. */
export interface SuccessiveHalvingOptions {
  /** Rounds a trial gets before its first judgement (`MinResource`, default 1). */
  readonly minResource?: number | undefined;
  /** Only the best 1/η of the trials at a rung go on (default 3, Hyperband's usual η). */
  readonly reductionFactor?: number | undefined;
}

/** What {@link successiveHalvingRule} judges. */
export interface SuccessiveHalvingInput extends SuccessiveHalvingOptions {
  /** The 0-based round the current trial just finished. */
  readonly round: number;
  readonly objective: number;
  readonly previous: readonly ObjectiveCurve[];
  readonly direction: ObjectiveDirection;
}

/** Whether `round` (0-based) completes a rung: minResource · η^k rounds for some k >= 0. */
export function isRung(round: number, minResource: number, reductionFactor: number): boolean {
  if (!(minResource >= 1) || !(reductionFactor > 1)) return round + 1 === minResource;
  let rung = minResource;
  while (rung < round + 1) rung *= reductionFactor;
  return rung === round + 1;
}

/**
 * The stopping side of Hyperband as asynchronous successive halving (ASHA, Li et al. 2020, one bracket) runs it
 * when trials come one at a time: a trial is judged only when it completes a rung (minResource · η^k rounds); it
 * goes on when it ranks among the best max(1, ⌊n/η⌋) of the n trials (it and the earlier ones) that reached that
 * rung, ties in its favour. A rung with fewer than η earlier trials stops no one (ASHA promotes nobody from a
 * rung until it holds η results). A NaN objective ranks last.
 *
 * @returns true when the current trial should stop now
 */
export function successiveHalvingRule(input: SuccessiveHalvingInput): boolean {
  const { round, objective, previous, direction } = input;
  const minResource = input.minResource ?? 1;
  const reductionFactor = input.reductionFactor ?? 3;
  if (!isRung(round, minResource, reductionFactor)) return false;
  const others = previous.filter((curve) => curve.length > round).map((curve) => curve[round] as number);
  if (others.length < reductionFactor) return false;
  if (Number.isNaN(objective)) return true;
  const better = others.filter((value) =>
    direction === 'Maximize' ? value > objective : value < objective,
  ).length;
  const keep = Math.max(1, Math.floor((others.length + 1) / reductionFactor));
  return better >= keep;
}
