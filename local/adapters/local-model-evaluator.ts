import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelEvaluator } from '../../core/gate/model-evaluator.js';
import { textEvaluationMetrics } from '../fasttext/evaluation.js';
import { extractFastTextModel, isFastTextModel } from '../fasttext/model-archive.js';
import { evaluateFile, gatherChannel } from '../fasttext/train.js';
import { readChannel } from '../xgboost/data.js';
import { evaluatePredictions, loadXgboostModel } from '../xgboost/index.js';

/** Options of the local evaluator. */
export interface LocalModelEvaluatorOptions {
  /** The `fasttext` command that scores text models (default `fasttext` on the PATH). */
  readonly fastTextBinary?: string;
}

/**
 * Scores a model on a validation set in-process, with the same reader, loader and metrics as the local trainer's own
 * evaluation of its best model, so the production model and the candidate get numbers the gate can compare.
 *
 * A text model (a `model.tar.gz` holding fastText's `model.bin`, as BlazingText writes it) is scored the way its
 * training job scored it (`local/fasttext/train.ts`: the same predictor and metrics): every line of the validation
 * channel predicted, and accuracy, macro-F1 and per-class precision / recall / F1 keyed in the user's labels
 * (`evaluation:accuracy`, `evaluation:f1@great`, ...).
 */
export class LocalModelEvaluator implements ModelEvaluator {
  /** `localPath` turns an `s3://` URI of the lake into its local file or folder. */
  public constructor(
    private readonly localPath: (uri: string) => string,
    private readonly options: LocalModelEvaluatorOptions = {},
  ) {}

  public async evaluate(modelArtifact: string, validationLocation: string): Promise<Record<string, number>> {
    const artifact = this.localPath(modelArtifact);
    if (await isFastTextModel(artifact)) return this.evaluateText(artifact, this.localPath(validationLocation));
    // The run's validation set as the feature query wrote it (Parquet), or a CSV folder: the trainer's own reader.
    const validation = await readChannel([this.localPath(validationLocation)]);
    const model = loadXgboostModel(artifact);
    try {
      if (model.numFeatures !== validation.nCols) {
        throw new RangeError(`the model takes ${model.numFeatures} features, the validation set has ${validation.nCols}`);
      }
      const predictions = model.predict(validation.features, validation.nRows, validation.nCols);
      const metrics = evaluatePredictions(model.objective, validation.labels, predictions, model.numClass);
      const out: Record<string, number> = {};
      // `rows` is how many rows were scored, not a quality of the model (the same rule as the candidate's metrics).
      for (const [name, value] of Object.entries(metrics)) {
        if (name !== 'rows' && typeof value === 'number' && Number.isFinite(value)) out[`evaluation:${name}`] = value;
      }
      return out;
    } finally {
      model.free();
    }
  }

  private async evaluateText(artifact: string, validation: string): Promise<Record<string, number>> {
    const scratch = await mkdtemp(join(tmpdir(), 'sluice-text-eval-'));
    try {
      const modelBin = await extractFastTextModel(artifact, scratch);
      const channel = await gatherChannel(validation, join(scratch, 'validation.txt'));
      return textEvaluationMetrics(await evaluateFile(modelBin, channel, this.options.fastTextBinary));
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }
}
