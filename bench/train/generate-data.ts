import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { mulberry32 } from '../../core/support/mulberry32.js';

/** What {@link generateTrainingData} wrote. */
export interface GeneratedData {
  readonly trainDir: string;
  readonly trainFiles: readonly string[];
  readonly validationFile: string;
  readonly trainRows: number;
  readonly validationRows: number;
  readonly features: number;
  readonly bytes: number;
  /** False when an identical dataset was already there and was reused. */
  readonly generated: boolean;
}

const seededRandom = mulberry32;

async function writeRows(file: string, rows: number, features: number, random: () => number): Promise<number> {
  const out = createWriteStream(file, { highWaterMark: 1 << 20 });
  let bytes = 0;
  let batch: string[] = [];
  const x = new Float64Array(features);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < features; j++) {
      // Box-Muller normal values.
      x[j] = Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());
    }
    const a = x[0] ?? 0;
    const b = x[1] ?? 0;
    const c = x[2] ?? 0;
    const d = x[3] ?? 0;
    const signal = 1.1 * a - 0.9 * b + 0.7 * b * c + 0.5 * Math.abs(d) - 0.4 + 0.8 * (random() - 0.5) * 2;
    let line = signal > 0 ? '1' : '0';
    for (let j = 0; j < features; j++) line += `,${(x[j] ?? 0).toFixed(6)}`;
    batch.push(line);
    if (batch.length === 10_000 || i === rows - 1) {
      const chunk = `${batch.join('\n')}\n`;
      bytes += Buffer.byteLength(chunk);
      batch = [];
      if (!out.write(chunk)) await once(out, 'drain');
    }
  }
  out.end();
  await once(out, 'finish');
  return bytes;
}

/**
 * Writes a deterministic binary-classification dataset as SageMaker XGBoost CSV (label first, no header):
 * `<dir>/train/part-NNNN.csv` (`parts` files) and `<dir>/validation/part-0000.csv` (a tenth of `rows`).
 * Reuses the files when `<dir>/dataset.json` says they were made with the same arguments.
 */
export async function generateTrainingData(options: {
  dir: string;
  rows: number;
  features: number;
  seed?: number;
  parts?: number;
}): Promise<GeneratedData> {
  const seed = options.seed ?? 20261121;
  const parts = options.parts ?? 4;
  const validationRows = Math.max(1, Math.round(options.rows / 10));
  const trainDir = path.join(options.dir, 'train');
  const validationDir = path.join(options.dir, 'validation');
  const trainFiles = Array.from({ length: parts }, (_, i) => path.join(trainDir, `part-${String(i).padStart(4, '0')}.csv`));
  const validationFile = path.join(validationDir, 'part-0000.csv');
  const marker = path.join(options.dir, 'dataset.json');
  const description = { rows: options.rows, features: options.features, seed, parts, validationRows };
  try {
    const previous = JSON.parse(await readFile(marker, 'utf8')) as typeof description & { bytes: number };
    if (JSON.stringify({ ...previous, bytes: undefined }) === JSON.stringify({ ...description, bytes: undefined })) {
      return { trainDir, trainFiles, validationFile, trainRows: options.rows, validationRows, features: options.features, bytes: previous.bytes, generated: false };
    }
  } catch {
    // No marker: generate.
  }
  await rm(options.dir, { recursive: true, force: true });
  await mkdir(trainDir, { recursive: true });
  await mkdir(validationDir, { recursive: true });
  const random = seededRandom(seed);
  let bytes = 0;
  for (let i = 0; i < parts; i++) {
    const start = Math.floor((options.rows * i) / parts);
    const end = Math.floor((options.rows * (i + 1)) / parts);
    bytes += await writeRows(trainFiles[i] ?? '', end - start, options.features, random);
  }
  bytes += await writeRows(validationFile, validationRows, options.features, random);
  await writeFile(marker, JSON.stringify({ ...description, bytes }));
  return { trainDir, trainFiles, validationFile, trainRows: options.rows, validationRows, features: options.features, bytes, generated: true };
}
