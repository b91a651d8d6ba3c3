/** Test helper: tiny real XGBoost models trained with `trainXgboost` on generated data, and rows to score. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { trainXgboost } from '../../../local/xgboost/train.js';
import { mulberry32 } from '../../../core/support/mulberry32.js';

/** Mulberry32, seeded: every run writes the same data. */
export const seededRandom = mulberry32;

/** Feature rows (no label) with values in [-2, 2), as CSV lines. */
export function featureRows(count: number, features: number, seed: number): string[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () =>
    Array.from({ length: features }, () => (random() * 4 - 2).toFixed(4)).join(','),
  );
}

/** Parses CSV feature lines into the row-major floats `predict` takes. */
export function toMatrix(lines: readonly string[]): { values: Float32Array; nRows: number; nCols: number } {
  const rows = lines.map((line) => line.split(',').map(Number));
  const nCols = rows[0]?.length ?? 0;
  return { values: new Float32Array(rows.flat()), nRows: rows.length, nCols };
}

/** What to train. */
export interface TinyModelOptions {
  readonly task: 'binary' | 'multiclass';
  readonly features: number;
  readonly seed: number;
  readonly rounds?: number;
  /** Flip the learned relation, so two models give clearly different scores on the same rows. */
  readonly inverted?: boolean;
}

/** Trains a small model into `<dir>/<name>/model.tar.gz` and returns the artifact path. */
export async function trainTinyModel(dir: string, name: string, options: TinyModelOptions): Promise<string> {
  const random = seededRandom(options.seed);
  const lines = Array.from({ length: 400 }, () => {
    const x = Array.from({ length: options.features }, () => random() * 4 - 2);
    const signal = (x[0] ?? 0) - 0.5 * (x[1] ?? 0) + 0.3 * (random() - 0.5);
    const oriented = options.inverted === true ? -signal : signal;
    const label = options.task === 'binary' ? (oriented > 0 ? 1 : 0) : oriented < -0.5 ? 0 : oriented < 0.5 ? 1 : 2;
    return `${label},${x.map((value) => value.toFixed(4)).join(',')}`;
  });
  const folder = join(dir, name);
  await mkdir(folder, { recursive: true });
  const trainFile = join(folder, 'train.csv');
  await writeFile(trainFile, `${lines.join('\n')}\n`);
  const hyperparameters =
    options.task === 'binary'
      ? { num_round: String(options.rounds ?? 10), objective: 'binary:logistic', max_depth: '3' }
      : { num_round: String(options.rounds ?? 10), objective: 'multi:softprob', num_class: '3', max_depth: '3' };
  const result = await trainXgboost({ trainFiles: [trainFile], validationFiles: [], hyperparameters, outputDir: folder });
  return result.modelArtifact;
}
