/**
 * Reads a transform's output back into prediction rows, per algorithm and objective, and names the classes the way
 * the user labelled them.
 *
 * XGBoost (`text/csv` joined output, core/scoring/scoring-format.ts): `source_row,<value>` with `OutputFilter`
 * `$[0,-1]`, or the whole joined line (`source_row,label,<features…>,<p1,…,pk>`) for `multi:softprob`, whose answer is
 * the class probabilities on the record's line (core/deployment/prediction-answer.ts). What a value means is the
 * objective's (XGBoost 1.7 "Learning Task Parameters"): `binary:logistic` the probability of class 1, `multi:softprob`
 * one probability per class, `multi:softmax` and `binary:hinge` the class, `reg:*` and the others the predicted value.
 *
 * BlazingText (`application/jsonlines`): `{"source_row": N, "SageMakerOutput": {"label": ["__label__…"], "prob": [p]}}`
 * (the answer's shape, core/deployment/text-prediction.ts); the label is the user's through the label mapping
 * (core/text/label-mapping.ts), the same one the endpoint uses.
 */
import { TerminalStepError } from '../errors.js';
import { fromFastTextLabel } from '../text/label-mapping.js';

/** An output line that is not what the transform was asked to write. */
export class PredictionOutputError extends TerminalStepError {
  public override readonly name = 'PredictionOutputError';
}

/** A prediction column: its name and DuckDB type. */
export interface PredictionColumn {
  name: string;
  type: 'VARCHAR' | 'DOUBLE';
}

/** How to read and name one model's predictions. */
export interface PredictionShape {
  algorithm: 'xgboost' | 'blazingtext';
  /** The XGBoost objective (`binary:logistic` by default, as SageMaker's XGBoost). */
  objective: string;
  /** Values per row of the model's answer (`num_class` for `multi:softprob`). */
  valuesPerRow: number;
  /** Features per record, to find the answer at the end of a whole joined line. */
  features: number;
  /** The user's label of each class number, when the label is computed from one column with allowed values. */
  labelNames?: ReadonlyMap<number, string> | undefined;
}

/** The prediction columns of a model, in order. */
export function predictionColumns(shape: PredictionShape): PredictionColumn[] {
  if (shape.algorithm === 'blazingtext') return [{ name: 'predicted_label', type: 'VARCHAR' }, { name: 'probability', type: 'DOUBLE' }];
  const kind = objectiveKind(shape.objective);
  if (kind === 'probability') return [{ name: 'predicted_label', type: 'VARCHAR' }, { name: 'probability', type: 'DOUBLE' }];
  if (kind === 'probabilities') {
    return [{ name: 'predicted_label', type: 'VARCHAR' }, ...classColumnNames(shape).map((name) => ({ name, type: 'DOUBLE' as const }))];
  }
  if (kind === 'class') return [{ name: 'predicted_label', type: 'VARCHAR' }];
  return [{ name: 'prediction', type: 'DOUBLE' }];
}

/** One output line as `source_row` and the prediction columns' values, in {@link predictionColumns} order. */
export function readPredictionLine(line: string, shape: PredictionShape): { sourceRow: number; values: (string | number)[] } {
  if (shape.algorithm === 'blazingtext') {
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      throw new PredictionOutputError(`a transform output line is not JSON: ${line.slice(0, 200)}`);
    }
    const { source_row: sourceRow, SageMakerOutput: output } = (record ?? {}) as { source_row?: unknown; SageMakerOutput?: { label?: unknown; prob?: unknown } };
    const label = Array.isArray(output?.label) ? output.label[0] : undefined;
    const prob = Array.isArray(output?.prob) ? output.prob[0] : undefined;
    if (typeof sourceRow !== 'number' || typeof label !== 'string' || typeof prob !== 'number') {
      throw new PredictionOutputError(`a transform output line lacks source_row, SageMakerOutput.label or SageMakerOutput.prob: ${line.slice(0, 200)}`);
    }
    return { sourceRow, values: [fromFastTextLabel(label), prob] };
  }
  const fields = line.split(',');
  const sourceRow = Number(fields[0]);
  const answer = (shape.valuesPerRow > 1 ? fields.slice(2 + shape.features) : fields.slice(-1)).map(Number);
  if (!Number.isInteger(sourceRow) || answer.length !== shape.valuesPerRow || answer.some((v) => !Number.isFinite(v))) {
    throw new PredictionOutputError(`a transform output line is not source_row and ${shape.valuesPerRow} number(s): ${line.slice(0, 200)}`);
  }
  const kind = objectiveKind(shape.objective);
  const first = answer[0] ?? Number.NaN;
  if (kind === 'probability') return { sourceRow, values: [className(first >= 0.5 ? 1 : 0, shape), first] };
  if (kind === 'probabilities') {
    const best = answer.indexOf(Math.max(...answer));
    return { sourceRow, values: [className(best, shape), ...answer] };
  }
  if (kind === 'class') return { sourceRow, values: [className(Math.round(first), shape)] };
  return { sourceRow, values: [first] };
}

type ObjectiveKind = 'probability' | 'probabilities' | 'class' | 'value';

function objectiveKind(objective: string): ObjectiveKind {
  if (objective === 'binary:logistic') return 'probability';
  if (objective === 'multi:softprob') return 'probabilities';
  if (objective === 'multi:softmax' || objective === 'binary:hinge') return 'class';
  return 'value';
}

function className(index: number, shape: PredictionShape): string {
  return shape.labelNames?.get(index) ?? String(index);
}

/** `probability_<class>`: the class's name made an identifier, or its number when names clash or are missing. */
function classColumnNames(shape: PredictionShape): string[] {
  const names = Array.from({ length: shape.valuesPerRow }, (_, i) => {
    const label = shape.labelNames?.get(i);
    const token = label === undefined ? '' : label.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
    return token === '' ? String(i) : token;
  });
  const unique = new Set(names).size === names.length;
  return names.map((name, i) => `probability_${unique ? name : String(i)}`);
}
