/**
 * Batch scoring of `text/csv` records with real XGBoost 1.7 (the library the trainer and the endpoint load): what the
 * local batch transform runs in a worker thread (./xgboost-batch-worker.ts), off the runtime's main thread.
 */
import { filterFields } from '../../core/scoring/data-processing.js';
import { loadXgboostModel } from '../xgboost/model.js';
import type { BatchFile } from './batch-files.js';
import { scoreFiles } from './batch-files.js';

/** One XGBoost batch job. */
export interface XgboostBatchJob {
  artifact: string;
  files: BatchFile[];
  inputFilter: string;
  outputFilter: string;
  /** Records per prediction call (bounds native memory). */
  batchSize?: number;
}

/** A record the XGBoost container would refuse: a field that is neither a number nor empty. */
export class TransformInputError extends Error {
  public override readonly name = 'TransformInputError';
}

/** Python's `float()` spellings of NaN and infinity, which the container's decoder also takes. */
const PYTHON_NAN = /^\s*[+-]?nan\s*$/i;
const PYTHON_INFINITY = /^\s*([+-]?)inf(inity)?\s*$/i;

/**
 * A CSV field as a feature, read as the SageMaker XGBoost container reads `text/csv` for inference: an empty field is
 * missing (NaN), anything else must be a number (`_clean_csv_string` then `np.array(...).astype(dtype)` in
 * sagemaker_xgboost_container/encoder.py). Any other text fails the job, as it fails the container's, instead of being
 * scored as a missing value here only.
 */
export function containerCsvFeature(field: string, line: string): number {
  if (field === '') return Number.NaN;
  const value = Number(field);
  if (!Number.isNaN(value) && field.trim() !== '') return value;
  if (PYTHON_NAN.test(field)) return Number.NaN;
  const infinity = PYTHON_INFINITY.exec(field);
  if (infinity) return infinity[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  throw new TransformInputError(`the field '${field.slice(0, 40)}' of the input line '${line.slice(0, 200)}' is not a number: the XGBoost container reads text/csv fields as numbers, an empty field as missing`);
}

/** Scores every file of the job; returns the number of records scored. */
export async function scoreXgboostFiles(job: XgboostBatchJob): Promise<number> {
  const model = loadXgboostModel(job.artifact);
  try {
    return await scoreFiles(job.files, job.batchSize ?? 65_536, (lines) => {
      const records = lines.map((line) => line.split(','));
      const rows = records.map((fields) => filterFields(fields, job.inputFilter));
      const nCols = rows[0]?.length ?? 0;
      const matrix = new Float32Array(rows.length * nCols);
      rows.forEach((row, r) => {
        if (row.length !== nCols) throw new RangeError(`record ${r + 1} of a batch has ${row.length} features where the first has ${nCols}`);
        row.forEach((value, c) => {
          matrix[r * nCols + c] = containerCsvFeature(value, lines[r] ?? '');
        });
      });
      const predictions = model.predict(matrix, rows.length, nCols);
      const width = predictions.length / Math.max(rows.length, 1);
      return records.map((fields, r) => {
        const answer = Array.from(predictions.subarray(r * width, (r + 1) * width), (v) => String(v));
        return filterFields([...fields, ...answer], job.outputFilter).join(',');
      });
    });
  } finally {
    model.free();
  }
}
