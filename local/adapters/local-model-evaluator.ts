import type { ModelEvaluator } from '../../core/gate/model-evaluator.js';
import { readChannel } from '../xgboost/data.js';
import { evaluatePredictions, loadXgboostModel } from '../xgboost/index.js';

/**
 * Scores a model on a validation set in-process, with the same reader, loader and metrics as the local trainer's own
 * evaluation of its best model, so the production model and the candidate get numbers the gate can compare.
 */
export class LocalModelEvaluator implements ModelEvaluator {
  /** `localPath` turns an `s3://` URI of the lake into its local file or folder. */
  public constructor(private readonly localPath: (uri: string) => string) {}

  public async evaluate(modelArtifact: string, validationLocation: string): Promise<Record<string, number>> {
    // The run's validation set as the feature query wrote it (Parquet), or a CSV folder: the trainer's own reader.
    const validation = await readChannel([this.localPath(validationLocation)]);
    const model = loadXgboostModel(this.localPath(modelArtifact));
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
}
