/**
 * Predictions in the user's terms: the class as the user's label value (`"Yes"`, not `1`) next to the model's own
 * numbers, which are kept exactly as the model gave them (float32 widened to double), so an answer compares to the
 * float with batch scoring and evaluation.
 *
 * - `binary:logistic`: `score` is P(class 1); `label` is class 1's name when `score >= 0.5`, class 0's otherwise;
 *   `probabilities` gives both classes.
 * - `multi:softprob`: `score` is the list of class probabilities; `label` the most probable class.
 * - `multi:softmax`, `binary:hinge`: `score` is the class number; `label` its name.
 * - `binary:logitraw`: `score` is the margin; `label` class 1 when it is above 0.
 * - regression and ranking objectives: `score` alone.
 * - text (BlazingText): `label` the most probable label without `__label__`, `score` its probability, `probabilities`
 *   the `k` labels asked for.
 */

/** One record's prediction. */
export interface RawPrediction {
  /** The predicted class, as the user's label value when known (else the class number). */
  readonly label?: string | number;
  /** The model's output for the record: a probability, a margin, a class number, a value, or class probabilities. */
  readonly score: number | readonly number[];
  /** Each class's probability, keyed by the user's label value (classifiers that give probabilities). */
  readonly probabilities?: Readonly<Record<string, number>>;
}

/** The predictions of an XGBoost model for `nRows` records (`predictions` as the model returns them, row-major). */
export function labelledPredictions(
  predictions: Float32Array,
  nRows: number,
  objective: string,
  labelNames: ReadonlyMap<number, string> | undefined,
): RawPrediction[] {
  const name = (index: number): string | number => labelNames?.get(index) ?? index;
  const perRow = nRows === 0 ? 0 : predictions.length / nRows;
  const out: RawPrediction[] = [];
  for (let r = 0; r < nRows; r++) {
    if (perRow > 1) {
      const scores = Array.from(predictions.subarray(r * perRow, (r + 1) * perRow));
      const best = scores.reduce((at, value, i) => (value > (scores[at] ?? -Infinity) ? i : at), 0);
      const probabilities = Object.fromEntries(scores.map((p, i) => [String(name(i)), p]));
      out.push({ label: name(best), score: scores, probabilities });
      continue;
    }
    const score = predictions[r] ?? Number.NaN;
    if (objective === 'binary:logistic') {
      out.push({ label: name(score >= 0.5 ? 1 : 0), score, probabilities: { [String(name(0))]: 1 - score, [String(name(1))]: score } });
    } else if (objective === 'multi:softmax' || objective === 'binary:hinge') {
      out.push({ label: name(Math.round(score)), score });
    } else if (objective === 'binary:logitraw') {
      out.push({ label: name(score > 0 ? 1 : 0), score });
    } else {
      out.push({ score });
    }
  }
  return out;
}

/** The predictions of a text model: fastText's labels without their `__label__` prefix. */
export function labelledTextPredictions(predictions: readonly { readonly labels: readonly string[]; readonly probabilities: readonly number[] }[]): RawPrediction[] {
  return predictions.map((p) => {
    const labels = p.labels.map((l) => (l.startsWith('__label__') ? l.slice('__label__'.length) : l));
    return {
      label: labels[0] ?? '',
      score: p.probabilities[0] ?? 0,
      probabilities: Object.fromEntries(labels.map((l, i) => [l, p.probabilities[i] ?? 0])),
    };
  });
}
