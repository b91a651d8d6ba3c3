/**
 * One local BlazingText (supervised) training job: Debian's `fasttext supervised` in a child process (off the main
 * thread, killed when the job is stopped), then the validation set scored by the model it wrote, then
 * `model.tar.gz` holding `model.bin` where SageMaker would put it.
 *
 * Primary course:
 * 1. gather each channel folder into one text file (BlazingText reads one file per channel; gzip parts, as Athena's
 *    UNLOAD TEXTFILE writes them, are decompressed; parts are read in name order);
 * 2. run `fasttext supervised` with the BlazingText hyperparameters mapped by `cli.ts`, one seed, the given threads;
 * 3. predict every validation line with the new model (reading only the rows of the model those lines touch, see
 *    `sparse-scorer.ts`) and compute accuracy, per-class precision/recall/F1,
 *    macro-F1 and the confusion matrix in the user's labels (`validation:accuracy` is BlazingText's one metric);
 * 4. write `<outputDir>/model.tar.gz` (deterministic bytes; alongside step 3) and remove the scratch folder.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { classificationMetrics } from '../../core/text/classification-metrics.js';
import type { ClassificationMetrics } from '../../core/text/classification-metrics.js';
import { FASTTEXT_LABEL_PREFIX, fromFastTextLabel } from '../../core/text/label-mapping.js';
import type { RawBlazingTextHyperparameters } from '../../core/training/blazingtext-hyperparameters.js';
import { DEFAULT_FASTTEXT_BINARY, supervisedArguments } from './cli.js';
import { FastTextNotInstalledError, FastTextProcessError } from './errors.js';
import { isGzip, writeFastTextArchive } from './model-archive.js';
import { FastTextPredictor } from './predictor.js';
import { openSparseScorer } from './sparse-scorer.js';

/** What to train on and where to write. */
export interface FastTextTrainRequest {
  /** A channel file or a folder of part files (plain or gzip). */
  readonly train: string;
  readonly validation?: string;
  readonly hyperparameters: RawBlazingTextHyperparameters;
  /** The job's `output/` folder: `model.tar.gz` is written in it. */
  readonly outputDir: string;
}

/** How to run it. */
export interface FastTextTrainOptions {
  readonly signal?: AbortSignal;
  /** fastText's `-thread` (1 gives reproducible models). Defaults to 1. */
  readonly threads?: number;
  readonly seed?: number;
  readonly binary?: string;
}

/** What a local training job produced. */
export interface FastTextTrainResult {
  readonly modelArtifact: string;
  /** BlazingText's metric names: `validation:accuracy` when there is a validation channel. */
  readonly finalMetrics: Readonly<Record<string, number>>;
  readonly validationMetrics: ClassificationMetrics | undefined;
  readonly threads: number;
  /** Wall time of `fasttext supervised` alone, and of the whole job. */
  readonly fastTextMs: number;
  readonly durationMs: number;
  /** BlazingText hyperparameters fastText has no option for (early stopping): trained without them. */
  readonly notApplied: readonly string[];
}

/** Trains one model; see the module comment for the steps. */
export async function trainFastText(request: FastTextTrainRequest, options: FastTextTrainOptions = {}): Promise<FastTextTrainResult> {
  const started = performance.now();
  const threads = Math.max(1, Math.floor(options.threads ?? 1));
  const binary = options.binary ?? DEFAULT_FASTTEXT_BINARY;
  await mkdir(request.outputDir, { recursive: true });
  const scratch = await mkdtemp(join(request.outputDir, '.fasttext-'));
  try {
    const trainFile = await gatherChannel(request.train, join(scratch, 'train.txt'));
    const validationFile = request.validation === undefined ? undefined : await gatherChannel(request.validation, join(scratch, 'validation.txt'));
    const { args, notApplied } = supervisedArguments(
      request.hyperparameters,
      { input: trainFile, outputPrefix: join(scratch, 'model') },
      { threads, ...(options.seed === undefined ? {} : { seed: options.seed }), hasValidationChannel: validationFile !== undefined },
    );
    const fastTextStarted = performance.now();
    await run(binary, args, options.signal);
    const fastTextMs = performance.now() - fastTextStarted;
    // Scoring (a child process) and archiving (zlib on libuv's pool) both read the model: run them side by side.
    // allSettled: the scratch folder is removed only once neither reads it any more.
    const [scored, archived] = await Promise.allSettled([
      validationFile === undefined ? Promise.resolve(undefined) : evaluateFile(join(scratch, 'model.bin'), validationFile, binary),
      writeFastTextArchive(request.outputDir, scratch),
    ]);
    if (scored.status === 'rejected') throw scored.reason;
    if (archived.status === 'rejected') throw archived.reason;
    const validationMetrics = scored.value;
    const modelArtifact = archived.value;
    options.signal?.throwIfAborted();
    return {
      modelArtifact,
      finalMetrics: validationMetrics ? { 'validation:accuracy': validationMetrics.accuracy } : {},
      validationMetrics,
      threads,
      fastTextMs,
      durationMs: performance.now() - started,
      notApplied,
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Scores a channel file with a model: the first `__label__` word of each line is the truth, the rest the text.
 * Lines without a label are skipped (fastText's `test` skips them too).
 */
export async function evaluateFile(modelBin: string, channelFile: string, binary = DEFAULT_FASTTEXT_BINARY): Promise<ClassificationMetrics> {
  const actual: string[] = [];
  const texts: string[] = [];
  for (const line of (await readFile(channelFile, 'utf8')).split('\n')) {
    const words = line.split(' ');
    const label = words.find((word) => word.startsWith(FASTTEXT_LABEL_PREFIX));
    if (label === undefined) continue;
    actual.push(fromFastTextLabel(label));
    texts.push(words.filter((word) => !word.startsWith(FASTTEXT_LABEL_PREFIX)).join(' '));
  }
  // The sparse scorer reads only the rows these lines touch; models it does not reproduce go to predict-prob.
  const scorer = (await openSparseScorer(modelBin)) ?? (await FastTextPredictor.open(modelBin, { binary }));
  try {
    const answers = await scorer.predict(texts, 1);
    return classificationMetrics(actual, answers.map((answer) => answer.labels[0] ?? ''));
  } finally {
    await scorer.close();
  }
}

/**
 * One file for a channel: the file itself, or the folder's part files (sorted, gunzipped) concatenated into
 * `target`; returns the file to read.
 */
export async function gatherChannel(path: string, target: string): Promise<string> {
  const info = await stat(path);
  const parts = info.isDirectory()
    ? (await readdir(path, { withFileTypes: true })).filter((e) => e.isFile() && !e.name.startsWith('.')).map((e) => join(path, e.name)).sort()
    : [path];
  if (!info.isDirectory() && !(await isGzip(path))) return path;
  const out = createWriteStream(target);
  for (const part of parts) {
    const source = createReadStream(part);
    if (await isGzip(part)) await pipeline(source, createGunzip(), out, { end: false });
    else await pipeline(source, out, { end: false });
  }
  out.end();
  await once(out, 'finish');
  return target;
}

/** Runs the command to completion; a signal kills it. */
async function run(binary: string, args: readonly string[], signal: AbortSignal | undefined): Promise<void> {
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], ...(signal ? { signal } : {}) });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const [code, killedBy] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') reject(new FastTextNotInstalledError(`The fastText command "${binary}" was not found: install Debian's fasttext package (apt-get install fasttext)`, { cause: error }));
      else reject(error);
    });
    child.once('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
  });
  signal?.throwIfAborted();
  if (code !== 0) throw new FastTextProcessError(`fasttext supervised failed (${killedBy ?? `exit code ${String(code)}`}): ${stderr.trim() || 'no message'}`);
}
