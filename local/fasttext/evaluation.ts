/**
 * A text model's evaluation as the training job and the gate record it: the numbers keyed `accuracy`, `macro_f1`,
 * `precision@<label>`, `recall@<label>`, `f1@<label>` (the user's labels), which EvaluateModel prefixes with
 * `evaluation:`; the confusion matrix is kept in the record (`confusion_matrix`, keyed by the user's labels) but is not
 * a number the gate can compare; `rows` says how many lines were scored.
 */
import type { ClassificationMetrics } from '../../core/text/classification-metrics.js';

/** The evaluation record of a text model (see the module comment). */
export function textEvaluation(metrics: ClassificationMetrics): Record<string, unknown> {
  const record: Record<string, unknown> = { accuracy: metrics.accuracy, macro_f1: metrics.macroF1 };
  for (const c of metrics.perClass) {
    record[`precision@${c.label}`] = c.precision;
    record[`recall@${c.label}`] = c.recall;
    record[`f1@${c.label}`] = c.f1;
  }
  record['confusion_matrix'] = metrics.confusionMatrix;
  record['rows'] = metrics.rows;
  return record;
}

/** The numbers of {@link textEvaluation} keyed `evaluation:<name>`, as the gate compares them (`rows` left out). */
export function textEvaluationMetrics(metrics: ClassificationMetrics): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(textEvaluation(metrics))) {
    if (name !== 'rows' && typeof value === 'number' && Number.isFinite(value)) out[`evaluation:${name}`] = value;
  }
  return out;
}
