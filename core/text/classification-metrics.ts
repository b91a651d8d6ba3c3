/**
 * Multi-class classification metrics over the user's own labels: accuracy, per-class precision, recall and F1,
 * macro-F1, and the confusion matrix. Definitions follow scikit-learn (`sklearn.metrics.precision_recall_fscore_support`
 * and `confusion_matrix`, https://scikit-learn.org/stable/modules/generated/sklearn.metrics.precision_recall_fscore_support.html)
 * with `zero_division=0`: a class never predicted has precision 0, a class absent from the truth has recall 0, and
 * F1 is 0 when precision + recall is 0. Macro-F1 is the unweighted mean of the per-class F1 over every class seen in
 * the truth or the predictions (scikit-learn's `labels=None`), so a class the model never predicts pulls it down.
 */
import { TerminalStepError } from '../errors.js';

/** One class's figures. */
export interface ClassMetrics {
  readonly label: string;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** Rows whose true label is this class. */
  readonly support: number;
}

/** Every metric of a classifier on one labelled set. */
export interface ClassificationMetrics {
  readonly accuracy: number;
  readonly macroF1: number;
  /** Sorted by label (code-unit order), as `labels`. */
  readonly perClass: readonly ClassMetrics[];
  /** The classes, sorted: the rows and columns of `confusionMatrix`. */
  readonly labels: readonly string[];
  /** `confusionMatrix[actual][predicted]`: counts keyed by the user's labels. */
  readonly confusionMatrix: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly rows: number;
}

/** Two label lists of different lengths, or none at all. */
export class MetricsInputError extends TerminalStepError {
  public override readonly name = 'MetricsInputError';
}

/**
 * The metrics of `predicted` against `actual` (same order, same length).
 * @throws MetricsInputError when the lengths differ or the lists are empty (every metric would be undefined)
 */
export function classificationMetrics(actual: readonly string[], predicted: readonly string[]): ClassificationMetrics {
  if (actual.length !== predicted.length) {
    throw new MetricsInputError(`${actual.length} true labels but ${predicted.length} predictions: they must pair up one to one`);
  }
  if (actual.length === 0) throw new MetricsInputError('No rows to evaluate: every metric is undefined on an empty set');
  const labels = [...new Set([...actual, ...predicted])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const matrix = new Map(labels.map((label) => [label, new Map(labels.map((other) => [other, 0]))]));
  let correct = 0;
  actual.forEach((truth, i) => {
    const guess = predicted[i] as string;
    const row = matrix.get(truth) as Map<string, number>;
    row.set(guess, (row.get(guess) ?? 0) + 1);
    if (truth === guess) correct++;
  });
  const perClass = labels.map((label): ClassMetrics => {
    const truePositives = matrix.get(label)?.get(label) ?? 0;
    const support = sum([...(matrix.get(label)?.values() ?? [])]);
    const predictedCount = sum(labels.map((other) => matrix.get(other)?.get(label) ?? 0));
    const precision = predictedCount === 0 ? 0 : truePositives / predictedCount;
    const recall = support === 0 ? 0 : truePositives / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { label, precision, recall, f1, support };
  });
  return {
    accuracy: correct / actual.length,
    macroF1: sum(perClass.map((c) => c.f1)) / perClass.length,
    perClass,
    labels,
    confusionMatrix: Object.fromEntries(labels.map((label) => [label, Object.fromEntries(matrix.get(label) ?? [])])),
    rows: actual.length,
  };
}

/** The accuracy of always answering the most frequent true label: the baseline a text model must beat. */
export function majorityBaselineAccuracy(actual: readonly string[]): number {
  if (actual.length === 0) throw new MetricsInputError('No rows: the majority baseline is undefined on an empty set');
  const counts = new Map<string, number>();
  for (const label of actual) counts.set(label, (counts.get(label) ?? 0) + 1);
  return Math.max(...counts.values()) / actual.length;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** Sluice's evaluation keys of a text model, as the gate and the registry see them (`evaluation:<key>`). */
export const TEXT_EVALUATION_PREFIX = 'evaluation:';

/** The confusion matrix's key in a job's evaluation: kept in the record and the manifest, never a gate metric. */
export const CONFUSION_MATRIX_KEY = 'confusion_matrix';

/**
 * A text model's evaluation as a trainer reports it in `JobStatus.evaluation` (EvaluateModel prefixes each number
 * with `evaluation:`): `accuracy`, `macro_f1`, `precision@<label>`, `recall@<label>`, `f1@<label>` with the user's
 * labels, `rows`, and `confusion_matrix` (`[actual][predicted]` counts, not a number, so not a gate metric).
 */
export function textEvaluation(metrics: ClassificationMetrics): Record<string, number | ClassificationMetrics['confusionMatrix']> {
  const evaluation: Record<string, number | ClassificationMetrics['confusionMatrix']> = { accuracy: metrics.accuracy, macro_f1: metrics.macroF1 };
  for (const { label, precision, recall, f1 } of metrics.perClass) {
    evaluation[`precision@${label}`] = precision;
    evaluation[`recall@${label}`] = recall;
    evaluation[`f1@${label}`] = f1;
  }
  evaluation['rows'] = metrics.rows;
  evaluation[CONFUSION_MATRIX_KEY] = metrics.confusionMatrix;
  return evaluation;
}

/**
 * Whether `metric` is one a text model's gate may use: BlazingText's `validation:accuracy` (the trainer's final
 * metric, in both runtimes) or one of Sluice's `evaluation:` numbers of {@link textEvaluation} (per-label ones name
 * a label of the user's data, which only the run knows, so any label is accepted here).
 */
export function isTextGateMetric(metric: string): boolean {
  return (
    metric === 'validation:accuracy' ||
    metric === 'evaluation:accuracy' ||
    metric === 'evaluation:macro_f1' ||
    /^evaluation:(precision|recall|f1)@.+$/.test(metric)
  );
}
