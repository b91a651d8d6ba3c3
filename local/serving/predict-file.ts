/**
 * Offline predictions for a CSV file of feature rows (what `sluice predict` prints): the same CSV rules, model
 * loader and feature check as the endpoint's `POST /invocations`, without HTTP and without its payload limit.
 *
 * A file with a header row has its columns found by name among the model's feature names (recorded at training
 * from the feature query), in any order; the label column is skipped by its name. A file without a header is read
 * by position: the model's features in training order, preceded by the label with `labelColumn` (the layout of the
 * `train`/`validation` channel files). Rows of any other shape are refused, saying what was expected.
 *
 * With `rawRecords` (a tabular pipeline's raw-record spec), a file whose header names contract columns is raw records:
 * checked against the contract and featurized by the pipeline's scoring query, as the endpoint does (raw-route.ts),
 * the label column absent or present.
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { parseCsvFeatures } from './contract.js';
import type { FeatureMatrix } from './contract.js';
import type { ModelSource } from './endpoint-server.js';
import { FeatureColumnsError, FeatureCountError, PayloadFormatError } from './errors.js';
import { readModelPointer, resolveModelArtifact } from './model-pointer.js';
import type { ModelInfo } from './model-slot.js';
import { modelInfo } from './model-slot.js';
import { loadServingModel } from './serving-model.js';
import type { RawServingSpec } from '../../core/serving/raw-serving-spec.js';
import type { ServingModelOptions } from './serving-model.js';

/** What to predict: a model (artifact or pointer) and a CSV file. */
export type PredictFileOptions = ModelSource & {
  /** CSV of numeric feature rows, no header; `.gz` (or gzip bytes) is read too. */
  readonly file: string;
  /**
   * The file holds the label column, to skip: found by `labelName` under a header, else the first column (a
   * `train`/`validation` channel file) (default false).
   */
  readonly labelColumn?: boolean;
  /** The model's feature names in training order (the registry's `features` lineage), to read a header by. */
  readonly featureNames?: readonly string[];
  /** The label's name (the registry's `label` lineage); with `labelColumn`, a header's only non-feature column is the label too. */
  readonly labelName?: string;
  /** Rows per XGBoost call, to bound native memory on large files (default 65,536). */
  readonly batchRows?: number;
  /** Library path and threads (default one thread, as the endpoint). */
  readonly model?: ServingModelOptions;
  /** The pipeline's raw-record spec: a header of contract columns is then read as raw records. */
  readonly rawRecords?: RawServingSpec;
};

/** Predictions for every row of the file, in order. */
export interface PredictFileResult {
  /** `nRows * valuesPerRow` values, row-major. */
  readonly predictions: Float32Array;
  readonly nRows: number;
  /** 1, or `num_class` for `multi:softprob`. */
  readonly valuesPerRow: number;
  /** The model used (`loadedAt` is when this call loaded it). */
  readonly model: ModelInfo;
}

/**
 * Predicts every row of a CSV file. Turn the result into the endpoint's CSV answer with
 * `formatPredictions(result.predictions, result.nRows, 'text/csv')`.
 * @throws PayloadFormatError naming the line of a bad value or ragged row
 * @throws FeatureCountError when the rows do not have the model's number of features
 * @throws ModelPointerError, ModelFormatError when the model cannot be found or loaded
 */
export async function predictFile(options: PredictFileOptions): Promise<PredictFileResult> {
  let bytes: Buffer = await readFile(options.file);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  const header = headerOf(bytes);
  const raw = options.rawRecords;
  const isRaw = header !== undefined && raw !== undefined && isContractHeader(header.names, raw);
  let features: FeatureMatrix;
  if (isRaw) {
    features = await rawFeatures(bytes.toString('utf8'), raw, options.file);
  } else {
    try {
      features = parseCsvFeatures(header ? bytes.subarray(header.length) : bytes);
    } catch (error) {
      if (error instanceof PayloadFormatError) {
        const message = error.message.replace(/^Loading csv data failed: /, '').replace(/line (\d+)/, (_, n: string) => `line ${Number(n) + (header ? 1 : 0)}`);
        throw new PayloadFormatError(`${options.file}: ${message}`, { cause: error });
      }
      throw error;
    }
  }

  let version: number | undefined;
  let artifact: string;
  if ('pointerFile' in options) {
    const pointer = readModelPointer(options.pointerFile);
    version = pointer.version;
    artifact = resolveModelArtifact(options.pointerFile, pointer);
  } else {
    artifact = options.modelArtifact;
  }
  const model = loadServingModel(artifact, options.model);
  try {
    if (!isRaw) {
      features = header
        ? selectByName(features, header.names, model.numFeatures, options)
        : selectByPosition(features, model.numFeatures, options);
    }
    if (features.nCols !== model.numFeatures) throw new FeatureCountError(features.nCols, model.numFeatures);
    const batchRows = Math.max(1, options.batchRows ?? 65_536);
    const parts: Float32Array[] = [];
    let total = 0;
    for (let start = 0; start < features.nRows; start += batchRows) {
      const rows = Math.min(batchRows, features.nRows - start);
      const slice = features.values.subarray(start * features.nCols, (start + rows) * features.nCols);
      const part = model.predict(slice, rows, features.nCols);
      parts.push(part);
      total += part.length;
    }
    const predictions = parts.length === 1 && parts[0] !== undefined ? parts[0] : concat(parts, total);
    return {
      predictions,
      nRows: features.nRows,
      valuesPerRow: features.nRows === 0 ? 0 : predictions.length / features.nRows,
      model: modelInfo(model, version, artifact),
    };
  } finally {
    model.free();
  }
}

/** Whether every name of a header is a contract column (or its `sourceName`). */
function isContractHeader(names: readonly string[], raw: RawServingSpec): boolean {
  const known = new Set(raw.columns.flatMap((c) => (c.sourceName === undefined ? [c.name] : [c.name, c.sourceName])));
  return names.every((name) => known.has(name));
}

/** Raw records checked and featurized by the pipeline's scoring query; a broken rule names the file's line. */
async function rawFeatures(text: string, raw: RawServingSpec, file: string): Promise<FeatureMatrix> {
  const [{ readRawRequest }, { checkRawRecords, RawRecordError }, { RawFeaturizer }] = await Promise.all([
    import('../../core/serving/raw-request.js'),
    import('../../core/serving/raw-records.js'),
    import('../../core/serving/raw-featurizer.js'),
  ]);
  let checked: ReturnType<typeof checkRawRecords>;
  try {
    const request = readRawRequest(text, 'text/csv; header=present', raw);
    checked = checkRawRecords(raw, request?.records ?? [], 'csv', raw.nullValues);
  } catch (error) {
    if (error instanceof RawRecordError) throw new PayloadFormatError(`${file}: line ${error.record + 2}: ${error.message}`, { cause: error });
    throw error;
  }
  const featurizer = await RawFeaturizer.open(raw);
  try {
    const { values, nRows, nCols } = await featurizer.featurize(checked);
    return { values, nRows, nCols };
  } finally {
    await featurizer.close();
  }
}

const NUMBER_LIKE = /^([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?nan|[+-]?inf(inity)?)?$/i;

/** The first line's names and byte length when it is a header (a field that is not a number), else undefined. */
function headerOf(bytes: Buffer): { names: string[]; length: number } | undefined {
  const end = bytes.indexOf(0x0a);
  const line = bytes.subarray(0, end === -1 ? bytes.length : end).toString('utf8');
  const names = line.split(',').map((field) => field.trim().replace(/^"(.*)"$/, '$1').trim());
  if (names.every((name) => NUMBER_LIKE.test(name))) return undefined;
  return { names, length: end === -1 ? bytes.length : end + 1 };
}

function expectedText(numFeatures: number, options: PredictFileOptions): string {
  const names = options.featureNames;
  const list = names === undefined ? `${numFeatures} features` : `${names.length} features (${names.join(', ')})`;
  return options.labelColumn === true ? `the label${options.labelName ? ` "${options.labelName}"` : ''} and ${list}` : list;
}

/** Columns found by header name, in the model's feature order; the label (by name) skipped with `labelColumn`. */
function selectByName(features: FeatureMatrix, header: readonly string[], numFeatures: number, options: PredictFileOptions): FeatureMatrix {
  const names = options.featureNames;
  if (names === undefined || names.length !== numFeatures) {
    throw new FeatureColumnsError(
      `${options.file} has a header, but the model's feature names were not recorded (a model registered before they were): ` +
        `send rows without a header, ${options.labelColumn === true ? 'the label first, then ' : ''}the model's ${numFeatures} features in training order`,
    );
  }
  const index = new Map<string, number>();
  header.forEach((name, i) => index.set(name.toLowerCase(), i));
  const missing = names.filter((name) => !index.has(name.toLowerCase()));
  const known = new Set(names.map((n) => n.toLowerCase()));
  const others = header.filter((name) => !known.has(name.toLowerCase()));
  // The label is the column of the label's name, or else, with --label, the one column that is not a feature (the
  // feature query may have renamed it: `species AS label`).
  const named = options.labelName === undefined ? undefined : others.find((n) => n.toLowerCase() === options.labelName?.toLowerCase());
  const label = options.labelColumn === true ? (named ?? (others.length === 1 ? others[0] : undefined)) : undefined;
  if (options.labelColumn === true && label === undefined && missing.length === 0) {
    const found = others.length === 0 ? 'the header has no column besides the features' : `the header has ${others.length} columns besides the features (${others.join(', ')})`;
    throw new FeatureColumnsError(`${options.file}: --label, but ${found}; expected ${expectedText(numFeatures, options)}`);
  }
  const extra = others.filter((name) => name !== label);
  if (missing.length > 0 || extra.length > 0) {
    const labelHint = options.labelColumn !== true && named !== undefined ? ' (pass --label to skip the label column)' : '';
    const parts = [missing.length > 0 ? `lacks ${missing.join(', ')}` : '', extra.length > 0 ? `has unexpected column(s) ${extra.join(', ')}${labelHint}` : ''].filter(Boolean);
    throw new FeatureColumnsError(`${options.file}: the header ${parts.join(' and ')}; expected ${expectedText(numFeatures, options)}`);
  }
  if (features.nCols !== header.length) {
    throw new FeatureColumnsError(`${options.file}: rows have ${features.nCols} values, the header names ${header.length} columns`);
  }
  const order = names.map((name) => index.get(name.toLowerCase()) ?? 0);
  const values = new Float32Array(features.nRows * numFeatures);
  for (let r = 0; r < features.nRows; r++) {
    for (const [j, c] of order.entries()) values[r * numFeatures + j] = features.values[r * features.nCols + c] ?? Number.NaN;
  }
  return { values, nRows: features.nRows, nCols: numFeatures };
}

/** Columns by position: the features in training order, after the label with `labelColumn`. */
function selectByPosition(features: FeatureMatrix, numFeatures: number, options: PredictFileOptions): FeatureMatrix {
  const labelled = options.labelColumn === true;
  const expected = numFeatures + (labelled ? 1 : 0);
  if (features.nCols !== expected && !labelled) throw new FeatureCountError(features.nCols, numFeatures);
  if (features.nCols !== expected) {
    throw new FeatureColumnsError(
      `${options.file}: each row has ${features.nCols} value(s); expected ${expectedText(numFeatures, options)}, the label first ` +
        '(or a header row naming the columns)',
    );
  }
  return labelled ? dropFirstColumn(features) : features;
}

function dropFirstColumn(features: FeatureMatrix): FeatureMatrix {
  const nCols = features.nCols - 1;
  if (nCols < 1) throw new PayloadFormatError('with labelColumn, each row needs a label and at least one feature');
  const values = new Float32Array(features.nRows * nCols);
  for (let r = 0; r < features.nRows; r++) {
    values.set(features.values.subarray(r * features.nCols + 1, (r + 1) * features.nCols), r * nCols);
  }
  return { values, nRows: features.nRows, nCols };
}

function concat(parts: readonly Float32Array[], total: number): Float32Array {
  const out = new Float32Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
