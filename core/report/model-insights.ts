/**
 * What the plots of a model need and the run manifest does not hold: curve points, residuals, feature importance and
 * the tuning trials. Recorded beside the model artifact (`.../output/insights.json`) by the local trainer; the console
 * and the run report read it and never write it. A model without one (a cloud model: SageMaker's container writes no
 * such file) is shown with what the manifest and the registry hold.
 */

/** Points of a curve, `x[i]`, `y[i]` at `threshold[i]` (ROC: false / true positive rate; PR: recall / precision). */
export interface CurvePoints {
  readonly x: readonly number[];
  readonly y: readonly number[];
  readonly threshold: readonly number[];
}

/** One feature's importance as XGBoost computes it (`XGBoosterFeatureScore`). */
export interface FeatureImportance {
  readonly feature: string;
  /** Average gain of the splits on the feature. */
  readonly gain: number;
  /** Number of splits on the feature, over all trees. */
  readonly weight: number;
}

/** One trial of a tuning job, as the tuner ran it. */
export interface TuningTrialRecord {
  /** 0-based, in the order the trials ran. */
  readonly index: number;
  readonly jobName: string;
  /** The objective metric's final value; absent when the trial produced none. */
  readonly objective?: number;
  readonly stoppedEarly: boolean;
  /** The hyperparameters the tuner chose for the trial (the tuned ones). */
  readonly hyperparameters: Readonly<Record<string, string>>;
}

/** The tuning job's trials and what they optimised. */
export interface TuningHistory {
  readonly metric: string;
  readonly direction: 'Maximize' | 'Minimize';
  readonly trials: readonly TuningTrialRecord[];
}

/** A model's plot data, scored on its run's validation set. */
export interface ModelInsights {
  readonly kind: 'binary' | 'multiclass' | 'regression' | 'text';
  /** Validation rows scored. */
  readonly rows: number;
  readonly roc?: CurvePoints;
  readonly precisionRecall?: CurvePoints;
  /** A sample of at most {@link MAX_RESIDUALS} (actual, predicted) pairs of a regression model. */
  readonly residuals?: { readonly actual: readonly number[]; readonly predicted: readonly number[] };
  /** Features by gain, highest first; names from the lineage's feature list. */
  readonly importance?: readonly FeatureImportance[];
  readonly tuning?: TuningHistory;
}

/** Points kept per curve: enough to draw it, small enough for the record and the report. */
export const MAX_CURVE_POINTS = 200;
/** Residual pairs kept. */
export const MAX_RESIDUALS = 500;

/** The key of a model's insights, beside its artifact (`.../output/model.tar.gz` → `.../output/insights.json`). */
export function insightsKeyOf(modelArtifactKey: string): string {
  const slash = modelArtifactKey.lastIndexOf('/');
  return `${modelArtifactKey.slice(0, slash + 1)}insights.json`;
}

/** What a model's objective draws: curves for `binary:*`, residuals for regression, neither for `multi:*`. */
export function insightsKind(objective: string): 'binary' | 'multiclass' | 'regression' {
  return objective.startsWith('binary:') ? 'binary' : objective.startsWith('multi:') ? 'multiclass' : 'regression';
}

/**
 * The plot data an XGBoost model's validation predictions give, whoever scored them: the local trainer with its
 * booster (local/console/record-model-insights.ts) or ComputeEvaluationMetrics from the candidate's evaluation
 * transform (core/evaluation/evaluation-metrics.ts). ROC and precision-recall for a binary objective, a residual
 * sample for regression; `predictions` holds one value per row for those two.
 */
export function predictionInsights(objective: string, labels: ArrayLike<number>, predictions: ArrayLike<number>): ModelInsights {
  const kind = insightsKind(objective);
  const curves = kind === 'binary' ? binaryCurves(labels, predictions) : undefined;
  return {
    kind,
    rows: labels.length,
    ...(curves ? { roc: curves.roc, precisionRecall: curves.precisionRecall } : {}),
    ...(kind === 'regression' ? { residuals: residualSample(labels, predictions) } : {}),
  };
}

/**
 * ROC and precision-recall curves of a binary classifier: one point per distinct score (descending), thinned to
 * {@link MAX_CURVE_POINTS}. Tied scores move together, as scikit-learn's `roc_curve` treats them. Undefined when
 * one of the two classes is absent (neither curve is defined then).
 */
export function binaryCurves(labels: ArrayLike<number>, scores: ArrayLike<number>): { roc: CurvePoints; precisionRecall: CurvePoints } | undefined {
  const order = Array.from({ length: labels.length }, (_, i) => i).sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0));
  let positives = 0;
  for (let i = 0; i < labels.length; i += 1) if ((labels[i] ?? 0) > 0.5) positives += 1;
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return undefined;
  const roc = { x: [0], y: [0], threshold: [Number.POSITIVE_INFINITY] };
  const pr = { x: [0], y: [1], threshold: [Number.POSITIVE_INFINITY] };
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < order.length; i += 1) {
    const row = order[i] ?? 0;
    if ((labels[row] ?? 0) > 0.5) tp += 1;
    else fp += 1;
    const score = scores[row] ?? 0;
    const next = order[i + 1];
    if (next !== undefined && scores[next] === score) continue;
    roc.x.push(fp / negatives);
    roc.y.push(tp / positives);
    roc.threshold.push(score);
    pr.x.push(tp / positives);
    pr.y.push(tp / (tp + fp));
    pr.threshold.push(score);
  }
  return { roc: thin(roc), precisionRecall: thin(pr) };
}

/** An evenly spaced sample of at most {@link MAX_RESIDUALS} (actual, predicted) pairs. */
export function residualSample(labels: ArrayLike<number>, predictions: ArrayLike<number>): { actual: number[]; predicted: number[] } {
  const step = Math.max(1, Math.ceil(labels.length / MAX_RESIDUALS));
  const actual: number[] = [];
  const predicted: number[] = [];
  for (let i = 0; i < labels.length; i += step) {
    actual.push(labels[i] ?? 0);
    predicted.push(predictions[i] ?? 0);
  }
  return { actual, predicted };
}

/**
 * Joins XGBoost's gain and weight scores into one row per feature, named from `featureNames` (XGBoost names a
 * feature `f<i>` when the booster has no names, as Sluice's boosters do); a feature that never splits is left out,
 * as `get_score` leaves it out.
 */
export function featureImportance(
  gain: { features: readonly string[]; scores: readonly number[] },
  weight: { features: readonly string[]; scores: readonly number[] },
  featureNames: readonly string[],
): FeatureImportance[] {
  const name = (xgbName: string): string => {
    const match = /^f(\d+)$/.exec(xgbName);
    return match ? (featureNames[Number(match[1])] ?? xgbName) : xgbName;
  };
  const weights = new Map(weight.features.map((f, i) => [f, weight.scores[i] ?? 0]));
  return gain.features
    .map((f, i) => ({ feature: name(f), gain: gain.scores[i] ?? 0, weight: weights.get(f) ?? 0 }))
    .sort((a, b) => b.gain - a.gain);
}

function thin(curve: { x: number[]; y: number[]; threshold: number[] }): CurvePoints {
  const n = curve.x.length;
  if (n <= MAX_CURVE_POINTS) return { x: curve.x, y: curve.y, threshold: curve.threshold.map(finite) };
  const keep: number[] = [];
  for (let k = 0; k < MAX_CURVE_POINTS; k += 1) keep.push(Math.round((k * (n - 1)) / (MAX_CURVE_POINTS - 1)));
  return { x: keep.map((i) => curve.x[i] ?? 0), y: keep.map((i) => curve.y[i] ?? 0), threshold: keep.map((i) => finite(curve.threshold[i] ?? 0)) };
}

// JSON has no Infinity: the curve's first point (nothing predicted positive) is at threshold 1 for a probability.
const finite = (value: number): number => (Number.isFinite(value) ? value : 1);
