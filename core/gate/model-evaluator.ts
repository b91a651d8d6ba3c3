/**
 * The port that scores a registered model on a validation set, so that the gate compares the production model and
 * the candidate on the same rows. Locally the model is loaded and scored in-process; in AWS this is batch scoring,
 * which is not wired yet (EvaluateModel then gates on the production model's registered numbers and says so). The same
 * holds for text models: locally a text model's evaluation is `evaluation:accuracy`, `evaluation:macro_f1` and
 * `evaluation:{precision,recall,f1}@<label>` (core/text/classification-metrics.ts `textEvaluation`); in AWS a text
 * pipeline gates on BlazingText's own `validation:accuracy` (docs/pipeline-spec.md, Text pipelines).
 */
export interface ModelEvaluator {
  /**
   * Scores the model of `modelArtifact` on the validation set at `validationLocation` (gzip CSV, label first, as the
   * feature query writes it) and returns the model's own evaluation keyed `evaluation:<name>` (`evaluation:auc`,
   * `evaluation:mlogloss`, `evaluation:rmse`…), the keys a training job's evaluation has in the candidate's metrics.
   * @throws when the model cannot be loaded or does not take the set's features
   */
  evaluate(modelArtifact: string, validationLocation: string): Promise<Record<string, number>>;
}
