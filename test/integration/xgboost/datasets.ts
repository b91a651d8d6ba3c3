/** Test helper: small deterministic datasets written as SageMaker XGBoost CSV (label first, no header). */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { mulberry32 } from '../../../core/support/mulberry32.js';

/** Mulberry32, seeded: every run writes the same data. */
export const seededRandom = mulberry32;

function normal(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Options of {@link makeRows}. */
export interface RowsOptions {
  readonly rows: number;
  readonly features: number;
  readonly seed: number;
  /** 'binary' (0/1), 'multiclass' (0/1/2) or 'regression'. */
  readonly task: 'binary' | 'multiclass' | 'regression';
  /** Share of feature fields left empty (missing). */
  readonly missingRate?: number;
  /** Put an instance weight in [0.5, 1.5) after the label (`csv_weights=1` layout). */
  readonly weights?: boolean;
}

/** CSV lines (no newline) with a learnable but noisy signal; some values in exponent notation. */
export function makeRows(options: RowsOptions): string[] {
  const random = seededRandom(options.seed);
  const lines: string[] = [];
  for (let i = 0; i < options.rows; i++) {
    const x = Array.from({ length: options.features }, () => normal(random));
    const [a = 0, b = 0, c = 0, d = 0] = x;
    const signal = 1.2 * a - 0.8 * b + 0.6 * b * c + 0.4 * Math.abs(d) + 0.7 * normal(random);
    let label: number;
    if (options.task === 'binary') label = signal > 0 ? 1 : 0;
    else if (options.task === 'multiclass') label = signal < -0.6 ? 0 : signal < 0.6 ? 1 : 2;
    else label = Number((signal * 10 + 3).toFixed(4));
    const fields = x.map((value, j) => {
      if (random() < (options.missingRate ?? 0)) return '';
      return j % 5 === 4 ? value.toExponential(5) : value.toFixed(6);
    });
    const weight = options.weights === true ? `${(0.5 + random()).toFixed(3)},` : '';
    lines.push(`${label},${weight}${fields.join(',')}`);
  }
  return lines;
}

/** Paths of a written dataset. */
export interface DatasetPaths {
  /** The train channel folder (a plain part and a gzip part). */
  readonly trainDir: string;
  /** The train part files, in read order. */
  readonly trainFiles: readonly string[];
  readonly validationFile: string;
}

/** Writes `<dir>/train/{part-0000.csv,part-0001.csv.gz}` and `<dir>/validation/part-0000.csv`. */
export async function writeDataset(
  dir: string,
  options: Omit<RowsOptions, 'rows' | 'seed'> & { trainRows: number; validationRows: number; seed: number },
): Promise<DatasetPaths> {
  const train = makeRows({ ...options, rows: options.trainRows });
  const validation = makeRows({ ...options, rows: options.validationRows, seed: options.seed + 1 });
  const trainDir = join(dir, 'train');
  const validationDir = join(dir, 'validation');
  await mkdir(trainDir, { recursive: true });
  await mkdir(validationDir, { recursive: true });
  const half = Math.floor(train.length / 2);
  const first = join(trainDir, 'part-0000.csv');
  const second = join(trainDir, 'part-0001.csv.gz');
  await writeFile(first, `${train.slice(0, half).join('\n')}\n`);
  await writeFile(second, gzipSync(`${train.slice(half).join('\n')}\n`));
  const validationFile = join(validationDir, 'part-0000.csv');
  await writeFile(validationFile, `${validation.join('\n')}\n`);
  return { trainDir, trainFiles: [first, second], validationFile };
}
