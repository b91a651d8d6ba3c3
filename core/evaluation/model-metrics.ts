/**
 * Model quality metrics from labels and predictions, for the evaluation gate and the run record.
 *
 * Conventions (stated because libraries differ):
 * - binary: predictions are probabilities of class 1; a row is predicted positive when p > 0.5 (XGBoost's `error`
 *   and the container's `round()` both put 0.5 on the negative side). AUC is the ROC AUC with tied scores counted
 *   half (the Mann-Whitney statistic), logloss clips p to [1e-16, 1 - 1e-16] like XGBoost's `logloss`.
 * - multi-class: predictions are either `nRows * numClass` probabilities (`multi:softprob`, row-major) or one class
 *   index per row (`multi:softmax`, no `mlogloss` then). Macro averages run over the classes that occur in the
 *   labels or in the predictions (scikit-learn's default); a ratio with a zero denominator counts as 0.
 * - regression: rmse, mae, r2 (r2 is 1 for a perfect fit of a constant target and 0 for an imperfect one, as in
 *   scikit-learn).
 * - every row counts once: instance weights (`csv_weights`) are not applied, unlike XGBoost's own eval metrics.
 */

/** Counts at threshold 0.5 for a binary problem. */
export interface BinaryConfusionMatrix {
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly trueNegatives: number;
  readonly falseNegatives: number;
}

/** Metrics of a binary classifier. */
export interface BinaryMetrics {
  readonly kind: 'binary';
  readonly rows: number;
  readonly auc: number;
  readonly logloss: number;
  readonly accuracy: number;
  readonly precision: number;
  readonly recall: number;
  readonly specificity: number;
  readonly f1: number;
  readonly confusionMatrix: BinaryConfusionMatrix;
}

/** Metrics of a multi-class classifier. */
export interface MulticlassMetrics {
  readonly kind: 'multiclass';
  readonly rows: number;
  readonly numClass: number;
  readonly accuracy: number;
  /** Undefined when the predictions are class indexes (`multi:softmax`). */
  readonly mlogloss?: number | undefined;
  readonly macroPrecision: number;
  readonly macroRecall: number;
  readonly macroF1: number;
  /** `confusionMatrix[actual][predicted]` = row count. */
  readonly confusionMatrix: readonly (readonly number[])[];
}

/** Metrics of a regression model. */
export interface RegressionMetrics {
  readonly kind: 'regression';
  readonly rows: number;
  readonly rmse: number;
  readonly mae: number;
  readonly r2: number;
}

/** Any of the three. */
export type ModelMetrics = BinaryMetrics | MulticlassMetrics | RegressionMetrics;

const EPSILON = 1e-16;

const ratio = (numerator: number, denominator: number): number => (denominator === 0 ? 0 : numerator / denominator);

function checkLengths(labels: ArrayLike<number>, predictions: ArrayLike<number>, perRow = 1): void {
  if (labels.length === 0) throw new RangeError('no rows to evaluate');
  if (predictions.length !== labels.length * perRow) {
    throw new RangeError(`${predictions.length} predictions for ${labels.length} labels (expected ${perRow} per row)`);
  }
}

/**
 * ROC AUC: the probability that a random positive scores above a random negative, ties counted half.
 * NaN when one of the two classes is absent.
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  checkLengths(labels, scores);
  const order = Array.from({ length: labels.length }, (_, i) => i).sort(
    (a, b) => (scores[a] ?? 0) - (scores[b] ?? 0),
  );
  let positives = 0;
  let rankSumPositives = 0;
  let i = 0;
  while (i < order.length) {
    let j = i;
    const score = scores[order[i] ?? 0] ?? 0;
    while (j + 1 < order.length && scores[order[j + 1] ?? 0] === score) j++;
    // Ranks i+1 .. j+1 share their average.
    const averageRank = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) {
      if ((labels[order[k] ?? 0] ?? 0) > 0.5) {
        positives++;
        rankSumPositives += averageRank;
      }
    }
    i = j + 1;
  }
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSumPositives - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Binary metrics from 0/1 labels and probabilities of class 1. */
export function binaryMetrics(labels: ArrayLike<number>, probabilities: ArrayLike<number>): BinaryMetrics {
  checkLengths(labels, probabilities);
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  let loss = 0;
  for (let i = 0; i < labels.length; i++) {
    const positive = (labels[i] ?? 0) > 0.5;
    const p = probabilities[i] ?? 0;
    const predictedPositive = p > 0.5;
    if (positive && predictedPositive) tp++;
    else if (positive) fn++;
    else if (predictedPositive) fp++;
    else tn++;
    const clipped = Math.min(Math.max(p, EPSILON), 1 - EPSILON);
    loss -= positive ? Math.log(clipped) : Math.log(1 - clipped);
  }
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  return {
    kind: 'binary',
    rows: labels.length,
    auc: rocAuc(labels, probabilities),
    logloss: loss / labels.length,
    accuracy: (tp + tn) / labels.length,
    precision,
    recall,
    specificity: ratio(tn, tn + fp),
    f1: ratio(2 * precision * recall, precision + recall),
    confusionMatrix: { truePositives: tp, falsePositives: fp, trueNegatives: tn, falseNegatives: fn },
  };
}

/**
 * Multi-class metrics. `predictions` holds `labels.length * numClass` probabilities (`multi:softprob`) or
 * `labels.length` class indexes (`multi:softmax`).
 */
export function multiclassMetrics(
  labels: ArrayLike<number>,
  predictions: ArrayLike<number>,
  numClass: number,
): MulticlassMetrics {
  if (!Number.isInteger(numClass) || numClass < 2) throw new RangeError(`numClass must be an integer >= 2`);
  const probabilities = predictions.length === labels.length * numClass;
  checkLengths(labels, predictions, probabilities ? numClass : 1);
  const matrix = Array.from({ length: numClass }, () => new Array<number>(numClass).fill(0));
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    const actual = labels[i] ?? 0;
    if (!Number.isInteger(actual) || actual < 0 || actual >= numClass) {
      throw new RangeError(`label ${actual} at row ${i} is not a class in [0, ${numClass})`);
    }
    let predicted: number;
    if (probabilities) {
      predicted = 0;
      let best = predictions[i * numClass] ?? 0;
      for (let k = 1; k < numClass; k++) {
        const p = predictions[i * numClass + k] ?? 0;
        if (p > best) {
          best = p;
          predicted = k;
        }
      }
      const p = Math.min(Math.max(predictions[i * numClass + actual] ?? 0, EPSILON), 1 - EPSILON);
      loss -= Math.log(p);
    } else {
      predicted = Math.round(predictions[i] ?? 0);
      if (predicted < 0 || predicted >= numClass) {
        throw new RangeError(`prediction ${predicted} at row ${i} is not a class in [0, ${numClass})`);
      }
    }
    const row = matrix[actual];
    if (row !== undefined) row[predicted] = (row[predicted] ?? 0) + 1;
    if (predicted === actual) correct++;
  }
  let precisionSum = 0;
  let recallSum = 0;
  let f1Sum = 0;
  let present = 0;
  for (let k = 0; k < numClass; k++) {
    const truePositives = matrix[k]?.[k] ?? 0;
    const actualCount = (matrix[k] ?? []).reduce((sum, n) => sum + n, 0);
    const predictedCount = matrix.reduce((sum, row) => sum + (row[k] ?? 0), 0);
    if (actualCount === 0 && predictedCount === 0) continue;
    present++;
    const precision = ratio(truePositives, predictedCount);
    const recall = ratio(truePositives, actualCount);
    precisionSum += precision;
    recallSum += recall;
    f1Sum += ratio(2 * precision * recall, precision + recall);
  }
  return {
    kind: 'multiclass',
    rows: labels.length,
    numClass,
    accuracy: correct / labels.length,
    mlogloss: probabilities ? loss / labels.length : undefined,
    macroPrecision: ratio(precisionSum, present),
    macroRecall: ratio(recallSum, present),
    macroF1: ratio(f1Sum, present),
    confusionMatrix: matrix,
  };
}

/** Regression metrics. */
export function regressionMetrics(labels: ArrayLike<number>, predictions: ArrayLike<number>): RegressionMetrics {
  checkLengths(labels, predictions);
  const n = labels.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += labels[i] ?? 0;
  mean /= n;
  let squared = 0;
  let absolute = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i] ?? 0;
    const error = y - (predictions[i] ?? 0);
    squared += error * error;
    absolute += Math.abs(error);
    total += (y - mean) * (y - mean);
  }
  const r2 = total === 0 ? (squared === 0 ? 1 : 0) : 1 - squared / total;
  return { kind: 'regression', rows: n, rmse: Math.sqrt(squared / n), mae: absolute / n, r2 };
}

/**
 * Picks the metric family from the XGBoost objective: `binary:*` -> binary (`binary:logitraw` margins go through
 * the sigmoid first), `multi:*` -> multi-class, anything else -> regression.
 */
export function evaluatePredictions(
  objective: string,
  labels: ArrayLike<number>,
  predictions: ArrayLike<number>,
  numClass?: number,
): ModelMetrics {
  if (objective.startsWith('binary:')) {
    const probabilities =
      objective === 'binary:logitraw' ? Float64Array.from(predictions, (m) => 1 / (1 + Math.exp(-m))) : predictions;
    return binaryMetrics(labels, probabilities);
  }
  if (objective.startsWith('multi:')) {
    if (numClass === undefined) throw new RangeError(`numClass is needed for ${objective}`);
    return multiclassMetrics(labels, predictions, numClass);
  }
  return regressionMetrics(labels, predictions);
}
