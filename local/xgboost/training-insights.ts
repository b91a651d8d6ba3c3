import { rename, writeFile } from 'node:fs/promises';
import { featureImportance, insightsKeyOf, predictionInsights } from '../../core/report/model-insights.js';
import type { ModelInsights, TuningHistory } from '../../core/report/model-insights.js';

/** XGBoost's importance of each feature that splits (`XGBoosterFeatureScore`), features named `f<i>`. */
export interface FeatureScores {
  readonly features: readonly string[];
  readonly scores: readonly number[];
}

/**
 * What the console's model plots are drawn from: the saved model's predictions on the validation set, with the set's
 * labels, and its gain and weight importance. The training worker has all of it in hand once the model is saved
 * (train-core.ts), so a run's training job records the plots without loading the model and the set a second time.
 */
export interface ModelScores {
  /** The model's objective as XGBoost names it (`learner.objective.name` of its configuration). */
  readonly objective: string;
  readonly labels: ArrayLike<number>;
  readonly predictions: ArrayLike<number>;
  readonly gain: FeatureScores;
  readonly weight: FeatureScores;
  /** The feature columns' names (every column after the label), `[]` when the set names none (CSV). */
  readonly featureNames: readonly string[];
}

/**
 * The insights of a scored model: ROC and precision-recall points (binary) or a residual sample (regression), and the
 * importance table, plus a tuning job's trials when there are any.
 */
export function modelInsights(scores: ModelScores, tuning?: TuningHistory): ModelInsights {
  return {
    ...predictionInsights(scores.objective, scores.labels, scores.predictions),
    importance: featureImportance(scores.gain, scores.weight, scores.featureNames),
    ...(tuning ? { tuning } : {}),
  };
}

/**
 * Writes `insights.json` beside the model's `model.tar.gz`, to a temporary name and renamed, so a reader sees the
 * whole file or none. Returns the file's path.
 */
export async function writeModelInsights(modelArtifact: string, insights: ModelInsights): Promise<string> {
  const target = insightsKeyOf(modelArtifact);
  const partial = `${target}.partial`;
  await writeFile(partial, `${JSON.stringify(insights)}\n`);
  await rename(partial, target);
  return target;
}
