/**
 * A long-lived `fasttext predict-prob <model.bin> - -1` process: texts go in on stdin, one per line, and every label
 * comes back with its probability, one line per text, in order (fastText prints each answer with `std::endl`, which
 * flushes, so a single text is answered at once). `-1` asks for every label (fastText's `kAllLabelsAsTarget`), so one
 * process serves any `k`; the top `k` are sliced here. Labels come back in the user's own labels
 * (`fromFastTextLabel`). Requests are answered in the order written, so concurrent callers queue on one process.
 *
 * Why a child process (and not an in-process binding): see docs/research-notes-text.md. The model is loaded once per
 * process; a text is one write and one line read.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fromFastTextLabel } from '../../core/text/label-mapping.js';
import { DEFAULT_FASTTEXT_BINARY } from './cli.js';
import { FastTextNotInstalledError, FastTextProcessError } from './errors.js';

/** One text's answer: labels, most probable first, with their probabilities (BlazingText's `label`/`prob`). */
export interface TextPrediction {
  readonly labels: readonly string[];
  readonly probabilities: readonly number[];
  /** The same labels as the model writes them (`__label__…`), what BlazingText's endpoint answers. */
  readonly fastTextLabels: readonly string[];
}

interface Pending {
  remaining: number;
  readonly k: number;
  readonly answers: TextPrediction[];
  readonly resolve: (answers: TextPrediction[]) => void;
  readonly reject: (error: Error) => void;
}

/** Characters that would end or split a line on fastText's stdin. */
const LINE_BREAKERS = /[\n\r\t\v\f\0]/g;

/** A model loaded in a `fasttext predict-prob` process. */
export class FastTextPredictor {
  private readonly queue: Pending[] = [];
  private failure: Error | undefined;
  private stderr = '';

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => this.answer(line));
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-2000);
    });
    child.on('exit', (code, signal) => this.fail(new FastTextProcessError(`fasttext predict-prob exited (${signal ?? `code ${String(code)}`}): ${this.stderr.trim() || 'no message'}`)));
    child.on('error', (error) => this.fail(error));
  }

  /**
   * Starts a predictor on `modelBin` (a fastText `.bin`, e.g. the `model.bin` of a BlazingText `model.tar.gz`) and
   * waits until it answers, so a model that does not load fails here and not on the first request.
   * @throws FastTextNotInstalledError when the command cannot be started; FastTextProcessError when the model does not load
   */
  public static async open(modelBin: string, options: { binary?: string } = {}): Promise<FastTextPredictor> {
    const binary = options.binary ?? DEFAULT_FASTTEXT_BINARY;
    const child = spawn(binary, ['predict-prob', modelBin, '-', '-1'], { stdio: ['pipe', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'ENOENT'
            ? new FastTextNotInstalledError(`The fastText command "${binary}" was not found: install Debian's fasttext package (apt-get install fasttext)`, { cause: error })
            : error,
        ),
      );
    });
    const predictor = new FastTextPredictor(child);
    await predictor.predict(['warm up'], 1);
    return predictor;
  }

  /**
   * The top `k` labels of every text, in the order given. Texts should be normalised as the training lines were
   * (the pipeline's feature SQL); line and field breaks are turned into spaces here.
   */
  public predict(texts: readonly string[], k = 1): Promise<TextPrediction[]> {
    if (this.failure) return Promise.reject(this.failure);
    if (texts.length === 0) return Promise.resolve([]);
    return new Promise<TextPrediction[]>((resolve, reject) => {
      this.queue.push({ remaining: texts.length, k: Math.max(1, Math.floor(k)), answers: [], resolve, reject });
      this.child.stdin.write(texts.map((text) => `${text.replace(LINE_BREAKERS, ' ')}\n`).join(''));
    });
  }

  /** The predictor process's id (undefined once it could not start). */
  public get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * Stops the process and resolves once it has exited; pending requests fail. Ending stdin lets fastText finish on its
   * own; the process is also signalled by its pid, so a process busy on a long input does not outlive its endpoint.
   */
  public async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    const pid = this.child.pid;
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // It exited between the check and the signal: the 'exit' event has come or is coming.
      }
    }
    await exited;
  }

  private answer(line: string): void {
    const pending = this.queue[0];
    if (pending === undefined) return this.fail(new FastTextProcessError(`fasttext answered a line nobody asked for: "${line.slice(0, 200)}"`));
    try {
      pending.answers.push(parseAnswer(line, pending.k));
    } catch (error) {
      return this.fail(error instanceof Error ? error : new Error(String(error)));
    }
    if (--pending.remaining === 0) {
      this.queue.shift();
      pending.resolve(pending.answers);
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const pending of this.queue.splice(0)) pending.reject(this.failure);
  }
}

/** `__label__a 0.9 __label__b 0.1` → the top `k`, decoded to the user's labels. */
export function parseAnswer(line: string, k: number): TextPrediction {
  const words = line.trim() === '' ? [] : line.trim().split(' ');
  if (words.length % 2 !== 0) throw new FastTextProcessError(`fasttext answered an odd number of words: "${line.slice(0, 200)}"`);
  const labels: string[] = [];
  const probabilities: number[] = [];
  const fastTextLabels: string[] = [];
  for (let i = 0; i < words.length && labels.length < k; i += 2) {
    fastTextLabels.push(words[i] ?? '');
    labels.push(fromFastTextLabel(words[i] ?? ''));
    probabilities.push(Number(words[i + 1]));
  }
  return { labels, probabilities, fastTextLabels };
}
