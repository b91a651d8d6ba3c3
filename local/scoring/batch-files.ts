/**
 * The local batch transform's work on files, shared by the XGBoost worker thread and the text scorer: read each input
 * file (gzip or plain) line by line, apply the job's `InputFilter`, predict a batch, join the answer to the input
 * record (`JoinSource: Input`), apply `OutputFilter`, and write `<input file name>.out` into the output folder, the
 * names Batch Transform gives its output ("For each input file … the output file has the same name with .out
 * appended", SageMaker developer guide, "Batch transform", https://docs.aws.amazon.com/sagemaker/latest/dg/batch-transform.html).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { once } from 'node:events';

/** One input file and where its output goes. */
export interface BatchFile {
  input: string;
  output: string;
}

/** The input files of a job's input folder (every file, in name order) and their `.out` files in the output folder. */
export async function batchFiles(inputDir: string, outputDir: string): Promise<BatchFile[]> {
  const entries = await readdir(inputDir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => e.name)
    .sort()
    .map((name) => ({ input: path.join(inputDir, name), output: path.join(outputDir, `${name}.out`) }));
}

/** The lines of a file, gunzipped when its name ends in `.gz` (Athena's TEXTFILE UNLOAD writes gzip). */
export function readLines(file: string): AsyncIterable<string> {
  const stream: Readable = file.endsWith('.gz') ? createReadStream(file).pipe(createGunzip()) : createReadStream(file);
  return createInterface({ input: stream, crlfDelay: Infinity });
}

/**
 * Runs `score` over each file's records in batches of `batchSize` and writes the lines it returns, in order.
 * @returns the number of records scored
 */
export async function scoreFiles(files: readonly BatchFile[], batchSize: number, score: (lines: readonly string[]) => Promise<string[]> | string[], signal?: AbortSignal): Promise<number> {
  let total = 0;
  for (const file of files) {
    const out = createWriteStream(file.output);
    const flush = async (lines: string[]): Promise<void> => {
      if (lines.length === 0) return;
      signal?.throwIfAborted();
      const answers = await score(lines);
      total += answers.length;
      if (!out.write(`${answers.join('\n')}\n`)) await once(out, 'drain');
    };
    try {
      let batch: string[] = [];
      for await (const line of readLines(file.input)) {
        if (line.length === 0) continue;
        batch.push(line);
        if (batch.length >= batchSize) {
          await flush(batch);
          batch = [];
        }
      }
      await flush(batch);
    } finally {
      out.end();
      await once(out, 'close');
    }
  }
  return total;
}
