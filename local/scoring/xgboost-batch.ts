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

/** A CSV field as a feature: empty, or Hive's `\N` NULL of a TEXTFILE, is missing (NaN), as XGBoost reads it. */
function feature(field: string): number {
  return field === '' || field === '\\N' ? Number.NaN : Number(field);
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
          matrix[r * nCols + c] = feature(value);
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
