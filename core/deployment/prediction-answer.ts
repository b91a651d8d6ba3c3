/**
 * Reads an answer of SageMaker's XGBoost `1.7-1` container (and of the local endpoint, which answers the same bytes)
 * back into one row of numbers per request row. The container answers:
 *
 * - `text/csv`: `np.savetxt` of the predictions, one line per row; a `multi:softprob` row is its class probabilities,
 *   comma-separated on its line (`0.1,0.2,0.7\n`). Older algorithm-mode images joined one-number rows with commas on
 *   a single line, which is read too (one line holding exactly one number per row).
 * - `application/json`: `{"predictions": [{"score": 0.9}, ...]}`, a `multi:softprob` row as a list:
 *   `{"score": [0.1, 0.2, 0.7]}`.
 *
 * Kept apart from the smoke test so that the same reading serves every runtime and is tested on its own.
 */

/** One row of numbers per request row: one number, or `num_class` probabilities. */
export interface PredictionRows {
  /** Row-major values, `rows * valuesPerRow` of them. */
  readonly values: number[];
  readonly rows: number;
  /** 1, or the number of classes of a `multi:softprob` model. */
  readonly valuesPerRow: number;
}

/** The rows read from an answer, or why it could not be read as the rows sent. */
export type PredictionAnswer = { ok: true; rows: PredictionRows } | { ok: false; problem: string };

/** How far a probability vector's sum may stray from 1 (float32 rounding of a softmax over a few classes). */
const PROBABILITY_SUM_TOLERANCE = 1e-3;

/**
 * Parses an answer's body as `expectedRows` rows of finite numbers, every row of the same width; a row of more than
 * one value must be a probability vector (each in [0, 1], summing to 1), as only `multi:softprob` answers vectors.
 */
export function readPredictionAnswer(body: string, contentType: string, expectedRows: number): PredictionAnswer {
  const type = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  const parsed = type === 'application/json' ? jsonRows(body) : csvRows(body, expectedRows);
  if (typeof parsed === 'string') return { ok: false, problem: parsed };
  if (parsed.length !== expectedRows) return { ok: false, problem: `${parsed.length} row(s) of predictions for ${expectedRows} row(s) sent` };
  const width = parsed[0]?.length ?? 0;
  for (const [r, row] of parsed.entries()) {
    if (row.length !== width || width === 0) return { ok: false, problem: `row ${r + 1} holds ${row.length} value(s), row 1 holds ${width}` };
    if (row.some((v) => !Number.isFinite(v))) return { ok: false, problem: `row ${r + 1} holds a value that is not a finite number` };
    if (width > 1) {
      const sum = row.reduce((a, b) => a + b, 0);
      if (row.some((v) => v < 0 || v > 1) || Math.abs(sum - 1) > PROBABILITY_SUM_TOLERANCE) {
        return { ok: false, problem: `row ${r + 1} holds ${width} values that are not class probabilities (they sum to ${sum})` };
      }
    }
  }
  return { ok: true, rows: { values: parsed.flat(), rows: parsed.length, valuesPerRow: width } };
}

function csvRows(body: string, expectedRows: number): number[][] | string {
  const lines = body.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  const rows = lines.map((line) => line.split(',').map((field) => (field.trim() === '' ? Number.NaN : Number(field))));
  const only = rows[0];
  // The older one-line form: `0.1,0.9,0.3` for three rows of one number each.
  if (rows.length === 1 && only !== undefined && expectedRows > 1 && only.length === expectedRows) return only.map((v) => [v]);
  return rows;
}

function jsonRows(body: string): number[][] | string {
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    return 'the answer is not JSON';
  }
  const predictions = typeof document === 'object' && document !== null ? (document as { predictions?: unknown }).predictions : undefined;
  if (!Array.isArray(predictions)) return 'the answer has no "predictions" list';
  const rows: number[][] = [];
  for (const item of predictions) {
    const score = typeof item === 'object' && item !== null ? (item as { score?: unknown }).score : undefined;
    if (typeof score === 'number') rows.push([score]);
    else if (Array.isArray(score) && score.every((v) => typeof v === 'number')) rows.push(score as number[]);
    else return `prediction ${rows.length + 1} has no numeric "score"`;
  }
  return rows;
}
