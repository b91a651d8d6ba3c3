/**
 * Offline predictions for a file of raw texts (what `sluice predict` prints for a text pipeline): the same model
 * loader, normalisation (the pipeline's feature SQL, `text-normaliser.ts`) and predictor as the endpoint's
 * `POST /invocations`, without HTTP.
 *
 * The file is a CSV with a header naming the pipeline's text column (e.g. `review`; read by DuckDB's CSV reader, as
 * ingestion reads it: quoted fields may hold commas and line breaks), or JSON Lines (`.jsonl`, `.ndjson`, or a file
 * whose first character is `{` or `"`): each line an object holding the text column, or a JSON string.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { TextPrediction } from '../fasttext/predictor.js';
import { PayloadFormatError } from './errors.js';
import { readModelPointer, resolveModelArtifact } from './model-pointer.js';
import type { ModelSource } from './endpoint-server.js';
import type { ModelInfo } from './model-slot.js';
import { modelInfo } from './model-slot.js';
import { loadTextServingModel } from './text-model.js';
import type { TextServingSpec } from './text-serving-spec.js';

/** What to predict: a text model (artifact or pointer), the pipeline's normalisation, a file and `k`. */
export type PredictTextFileOptions = ModelSource & {
  readonly file: string;
  readonly normalisation: TextServingSpec;
  /** Labels per row, most probable first (default 1). */
  readonly k?: number;
  /** The `fasttext` command (default on the PATH). */
  readonly fastTextBinary?: string;
  /** Texts per normalisation query and predictor write (default 1,000). */
  readonly batchRows?: number;
};

/** Every row's top labels, in the file's order, in the user's labels. */
export interface PredictTextFileResult {
  readonly predictions: readonly TextPrediction[];
  readonly model: ModelInfo;
}

/**
 * Predicts every text of a CSV or JSON Lines file.
 * @throws PayloadFormatError when the file has no text column or a line is not JSON
 * @throws ModelPointerError, FastTextError when the model cannot be found or loaded
 */
export async function predictTextFile(options: PredictTextFileOptions): Promise<PredictTextFileResult> {
  const texts = await readTexts(options.file, options.normalisation.textColumn);
  let artifact: string;
  let version: number | undefined;
  if ('pointerFile' in options) {
    const pointer = readModelPointer(options.pointerFile);
    artifact = resolveModelArtifact(options.pointerFile, pointer);
    version = pointer.version;
  } else {
    artifact = options.modelArtifact;
  }
  const model = await loadTextServingModel(artifact, {
    normalisation: options.normalisation,
    ...(options.fastTextBinary === undefined ? {} : { fastTextBinary: options.fastTextBinary }),
  });
  try {
    const batch = options.batchRows ?? 1000;
    const predictions: TextPrediction[] = [];
    for (let start = 0; start < texts.length; start += batch) {
      predictions.push(...(await model.predict(texts.slice(start, start + batch), options.k ?? 1)));
    }
    return { predictions, model: modelInfo(model, version, artifact) };
  } finally {
    model.free();
    await model.closed;
  }
}

/** One output line per row: `label,prob` for each of the top labels (labels quoted as CSV when they need it). */
export function formatTextPredictions(predictions: readonly TextPrediction[]): string {
  let out = '';
  for (const p of predictions) {
    out += `${p.labels.map((label, i) => `${csvField(label)},${String(p.probabilities[i])}`).join(',')}\n`;
  }
  return out;
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

async function readTexts(file: string, column: string): Promise<string[]> {
  const head = (await readFile(file, { encoding: 'utf8' })).trimStart();
  const extension = extname(file).toLowerCase();
  if (extension === '.jsonl' || extension === '.ndjson' || (extension !== '.csv' && (head.startsWith('{') || head.startsWith('"')))) {
    return readJsonLines(head, file, column);
  }
  return readCsvColumn(file, column);
}

function readJsonLines(text: string, file: string, column: string): string[] {
  const texts: string[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (cause) {
      throw new PayloadFormatError(`${file} line ${i + 1} is not JSON: ${(cause as Error).message}`, { cause });
    }
    const textValue = typeof value === 'string' ? value : typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[column] : undefined;
    if (typeof textValue !== 'string') throw new PayloadFormatError(`${file} line ${i + 1} holds no "${column}" text (a JSON string, or an object with "${column}")`);
    texts.push(textValue);
  }
  return texts;
}

async function readCsvColumn(file: string, column: string): Promise<string[]> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await instance.connect();
  try {
    const source = `read_csv('${file.replaceAll("'", "''")}', header = true, all_varchar = true)`;
    const names = (await connection.runAndReadAll(`SELECT column_name FROM (DESCRIBE SELECT * FROM ${source})`)).getRows().map((row) => String(row[0]));
    if (!names.includes(column)) {
      throw new PayloadFormatError(`${file} has no "${column}" column (its header: ${names.join(', ')}): give the raw text under the pipeline's text column`);
    }
    const rows = (await connection.runAndReadAll(`SELECT "${column.replaceAll('"', '""')}" FROM ${source}`)).getRows();
    return rows.map((row) => (row[0] === null || row[0] === undefined ? '' : String(row[0])));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
