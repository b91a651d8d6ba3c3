/**
 * One local BlazingText (supervised) training job: Debian's `fasttext supervised` in a child process (off the main
 * thread, killed when the job is stopped), the model it writes read as it is written into `model.tar.gz` and, at the
 * same time, into the validation scorer.
 *
 * Primary course:
 * 1. gather each channel folder into one text file (BlazingText reads one file per channel; gzip parts, as Athena's
 *    UNLOAD TEXTFILE writes them, are decompressed; parts are read in name order);
 * 2. make `model.vec` a link to /dev/null (word vectors are not part of BlazingText's supervised artifact), then run
 *    `fasttext supervised` with the BlazingText hyperparameters mapped by `cli.ts`, one seed, the given threads;
 * 3. as fastText saves `model.bin`, follow the file (`model-follow.ts`) into `<outputDir>/model.tar.gz`
 *    (deterministic bytes, deflated in parallel blocks on libuv's thread pool, `parallel-gzip.ts`) and keep the input
 *    rows the validation lines touch (`StreamedScorer`, `sparse-scorer.ts`);
 * 4. once the model has streamed past (fastText is still writing `model.vec`), predict every validation line and
 *    compute accuracy, per-class precision/recall/F1, macro-F1 and the confusion matrix in the user's labels
 *    (`validation:accuracy` is BlazingText's one metric); remove the scratch folder once fastText has exited.
 *
 * Why follow the file: with BlazingText's 2,000,000 default buckets `model.bin` is 403 MB; read back after fastText
 * exits, to deflate it and again to score, archive and scoring added about 40% to `fasttext supervised`'s own time.
 * Followed, deflating overlaps fastText's own save and `model.vec` computation (docs/research-notes-text.md,
 * sections e and g).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { classificationMetrics } from '../../core/text/classification-metrics.js';
import type { ClassificationMetrics } from '../../core/text/classification-metrics.js';
import { FASTTEXT_LABEL_PREFIX, fromFastTextLabel } from '../../core/text/label-mapping.js';
import type { RawBlazingTextHyperparameters } from '../../core/training/blazingtext-hyperparameters.js';
import { DEFAULT_FASTTEXT_BINARY, supervisedArguments } from './cli.js';
import { FastTextNotInstalledError, FastTextProcessError } from './errors.js';
import { archiveModelStream, extractFastTextModel, FASTTEXT_MODEL_FILE, isGzip } from './model-archive.js';
import { followModel } from './model-follow.js';
import { FastTextPredictor } from './predictor.js';
import { openSparseScorer, StreamedScorer } from './sparse-scorer.js';

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
    const validation = request.validation === undefined ? undefined : await readChannel(await gatherChannel(request.validation, join(scratch, 'validation.txt')));
    const { args, notApplied } = supervisedArguments(
      request.hyperparameters,
      { input: trainFile, outputPrefix: join(scratch, 'model') },
      { threads, ...(options.seed === undefined ? {} : { seed: options.seed }), hasValidationChannel: validation !== undefined },
    );
    const modelFile = join(scratch, FASTTEXT_MODEL_FILE);
    await symlink('/dev/null', join(scratch, 'model.vec'));
    const fastTextStarted = performance.now();
    // A reader that fails leaves nobody to use what fastText makes: stop fastText too.
    const readerFailed = new AbortController();
    const exited = run(binary, args, options.signal === undefined ? readerFailed.signal : AbortSignal.any([options.signal, readerFailed.signal]));
    let fastTextEnded = fastTextStarted;
    const timed = exited.finally(() => {
      fastTextEnded = performance.now();
    });
    let scorer: StreamedScorer | undefined;
    const archiving = archiveModelStream(followModel(modelFile, exited), request.outputDir, (header) => {
      if (validation === undefined) return undefined;
      scorer = StreamedScorer.create(header, validation.texts, 'the model fastText wrote');
      return scorer === undefined ? undefined : (chunk, at) => scorer?.take(chunk, at);
    });
    archiving.catch((error: unknown) => readerFailed.abort(error));
    // Scoring starts as soon as the model has streamed past, while fastText still computes and writes model.vec.
    const scoring = archiving.then(async ({ archive }) => {
      if (validation === undefined) return { archive, metrics: undefined };
      const predicted = scorer === undefined ? await predictFromArchive(archive, scratch, validation.texts, binary) : scorer.predict(1).map((answer) => answer.labels[0] ?? '');
      return { archive, metrics: classificationMetrics(validation.actual, predicted) };
    });
    // allSettled: the scratch folder is removed only once neither side uses it any more.
    const [exit, scored] = await Promise.allSettled([timed, scoring]);
    const fastTextMs = fastTextEnded - fastTextStarted;
    options.signal?.throwIfAborted();
    if (exit.status === 'rejected') throw scored.status === 'rejected' && readerFailed.signal.aborted ? scored.reason : exit.reason;
    const { code, signal: killedBy, stderr } = exit.value;
    if (code !== 0) {
      throw new FastTextProcessError(`fasttext supervised failed (${killedBy ?? `exit code ${String(code)}`}): ${stderr.trim() || 'no message'}`);
    }
    if (scored.status === 'rejected') throw scored.reason;
    const { archive: modelArtifact, metrics: validationMetrics } = scored.value;
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

/** The truth and the text of every labelled line of a channel file. */
interface ChannelLines {
  readonly actual: string[];
  readonly texts: string[];
}

/**
 * Reads a channel file: the first `__label__` word of each line is the truth, the rest the text. Lines without a
 * label are skipped (fastText's `test` skips them too).
 */
async function readChannel(channelFile: string): Promise<ChannelLines> {
  const actual: string[] = [];
  const texts: string[] = [];
  for (const line of (await readFile(channelFile, 'utf8')).split('\n')) {
    const words = line.split(' ');
    const label = words.find((word) => word.startsWith(FASTTEXT_LABEL_PREFIX));
    if (label === undefined) continue;
    actual.push(fromFastTextLabel(label));
    texts.push(words.filter((word) => !word.startsWith(FASTTEXT_LABEL_PREFIX)).join(' '));
  }
  return { actual, texts };
}

/** The top label of every text by `fasttext predict-prob` on the archived model: for models the streamed scorer does not reproduce. */
async function predictFromArchive(archive: string, scratch: string, texts: readonly string[], binary: string): Promise<string[]> {
  const modelBin = await extractFastTextModel(archive, join(scratch, 'extracted'));
  const predictor = await FastTextPredictor.open(modelBin, { binary });
  try {
    return (await predictor.predict(texts, 1)).map((answer) => answer.labels[0] ?? '');
  } finally {
    await predictor.close();
  }
}

/** Scores a channel file with a model file (see {@link readChannel} for the lines read). */
export async function evaluateFile(modelBin: string, channelFile: string, binary = DEFAULT_FASTTEXT_BINARY): Promise<ClassificationMetrics> {
  const { actual, texts } = await readChannel(channelFile);
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

/** How the command ended. */
interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The end of what it wrote on stderr. */
  readonly stderr: string;
}

/** Runs the command to completion; a signal kills it. Rejects only when it cannot start or is aborted. */
async function run(binary: string, args: readonly string[], signal: AbortSignal | undefined): Promise<Exit> {
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
  return { code, signal: killedBy, stderr };
}
