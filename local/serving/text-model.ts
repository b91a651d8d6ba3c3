/**
 * A text (BlazingText / fastText) model loaded for serving: the archive's `model.bin` extracted to a scratch folder
 * and loaded once in a long-lived `fasttext predict-prob` process (`FastTextPredictor`), plus the pipeline's
 * normaliser when raw texts are to be normalised. Loading is asynchronous (a process starts and answers a first
 * text); freeing stops the process by its pid, waits for it to exit, and removes the scratch folder.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractFastTextModel, isGzip } from '../fasttext/model-archive.js';
import { FastTextPredictor } from '../fasttext/predictor.js';
import type { TextPrediction } from '../fasttext/predictor.js';
import type { TextServingSpec } from './text-serving-spec.js';

/** How to load a text model for serving. */
export interface TextModelOptions {
  /** The `fasttext` command (default `fasttext` on the PATH). */
  readonly fastTextBinary?: string;
  /** Normalise raw texts with this pipeline's feature SQL; without it, texts are taken as already normalised. */
  readonly normalisation?: TextServingSpec;
}

/** A served text model. */
export interface TextServingModel {
  readonly kind: 'text';
  /** The `fasttext predict-prob` process's id. */
  readonly pid: number | undefined;
  /** The top `k` labels of each raw text, in order (normalised first when the model has a normaliser). */
  predict(texts: readonly string[], k: number): Promise<TextPrediction[]>;
  /** Stops the predictor process and removes the scratch folder; `closed` settles when that is done. */
  free(): void;
  /** Resolves once `free()` has finished (the process has exited). */
  readonly closed: Promise<void>;
}

/**
 * Loads a `model.tar.gz` holding `model.bin` (or a bare `model.bin`) and starts its predictor.
 * @throws FastTextError when the archive holds no `model.bin`; FastTextNotInstalledError, FastTextProcessError
 */
export async function loadTextServingModel(artifact: string, options: TextModelOptions = {}): Promise<TextServingModel> {
  const scratch = await mkdtemp(join(tmpdir(), 'sluice-text-serve-'));
  let predictor: FastTextPredictor;
  try {
    const modelBin = (await isGzip(artifact)) ? await extractFastTextModel(artifact, scratch) : artifact;
    predictor = await FastTextPredictor.open(modelBin, options.fastTextBinary === undefined ? {} : { binary: options.fastTextBinary });
  } catch (error) {
    await rm(scratch, { recursive: true, force: true });
    throw error;
  }
  // DuckDB and the SQL helpers load with the first text model that normalises, never for a tabular endpoint.
  const normaliser = options.normalisation === undefined ? undefined : new (await import('./text-normaliser.js')).TextNormaliser(options.normalisation);
  let closed: Promise<void> | undefined;
  let resolveClosed: () => void = () => undefined;
  const closedSignal = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  return {
    kind: 'text',
    pid: predictor.pid,
    async predict(texts, k) {
      const lines = normaliser === undefined ? texts : await normaliser.normalise(texts);
      return predictor.predict(lines, k);
    },
    free() {
      closed ??= Promise.allSettled([predictor.close(), normaliser?.close()])
        .then(() => rm(scratch, { recursive: true, force: true }))
        .then(resolveClosed, resolveClosed);
    },
    closed: closedSignal,
  };
}
