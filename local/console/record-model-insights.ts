import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ModelInsights, TuningHistory } from '../../core/report/model-insights.js';
import { readChannel } from '../xgboost/data.js';
import { describeBooster, loadBooster } from '../xgboost/model.js';
import { loadXgboostNative } from '../xgboost/native.js';
import { modelInsights, writeModelInsights } from '../xgboost/training-insights.js';

/** What {@link recordModelInsights} scores and where. */
export interface RecordInsightsRequest {
  /** The model's `model.tar.gz` on disk; `insights.json` is written beside it. */
  readonly modelArtifact: string;
  /** The run's validation set on disk (a folder of Parquet or CSV files, label first), as the trainer read it. */
  readonly validation: string;
  /** A tuning job's trials, when the model is a tuning job's best. */
  readonly tuning?: TuningHistory;
}

/**
 * Scores an XGBoost model on its validation set and records what the console and the run report plot and the
 * manifest does not hold: ROC and precision-recall points (binary), a residual sample (regression), XGBoost's own
 * gain and weight importance (`XGBoosterFeatureScore`, what Python's `Booster.get_score` calls), the tuning trials.
 * Written to a temporary name and renamed, so a reader sees the whole file or none. Returns the file's path.
 */
export async function recordModelInsights(request: RecordInsightsRequest): Promise<string> {
  const validation = await readChannel([request.validation]);
  const native = loadXgboostNative();
  const booster = loadBooster(native, request.modelArtifact);
  let insights: ModelInsights;
  try {
    const description = describeBooster(native, booster);
    const matrix = native.dmatrixFromDense(validation.features, validation.nRows, validation.nCols);
    let predictions: Float32Array;
    try {
      // The saved model is cut at its best iteration (train-core.ts), so every layer is the served prediction.
      predictions = native.boosterPredict(booster, matrix).values;
    } finally {
      native.dmatrixFree(matrix);
    }
    const featureNamesOfSet = await featureNames(request.validation);
    // The curves and residuals are core's, shared with the cloud's ComputeEvaluationMetrics; a run's training job
    // builds the same insights from its worker's scores (training-insights.ts) without this second scoring.
    insights = modelInsights(
      {
        objective: description.objective,
        labels: validation.labels,
        predictions,
        gain: native.boosterFeatureScore(booster, 'gain'),
        weight: native.boosterFeatureScore(booster, 'weight'),
        featureNames: featureNamesOfSet,
      },
      request.tuning,
    );
  } finally {
    native.boosterFree(booster);
  }
  return writeModelInsights(request.modelArtifact, insights);
}

/** Records a text model's tuning trials (its per-class table is in the manifest's evaluation already). */
export async function recordTextInsights(modelArtifact: string, rows: number, tuning: TuningHistory): Promise<string> {
  return writeModelInsights(modelArtifact, { kind: 'text', rows, tuning });
}

/**
 * The feature columns' names (every column after the label) of the set's first Parquet file; XGBoost's own `f<i>`
 * names for a CSV set, which has no header.
 */
async function featureNames(location: string): Promise<string[]> {
  const first = (await stat(location)).isDirectory() ? (await readdir(location)).sort().find((f) => f.endsWith('.parquet')) : location.endsWith('.parquet') ? '' : undefined;
  if (first === undefined) return [];
  const file = first === '' ? location : path.join(location, first);
  const { asyncBufferFromFile, parquetMetadataAsync } = await import('hyparquet');
  const metadata = await parquetMetadataAsync(await asyncBufferFromFile(file));
  // schema[0] is the root; its children are the columns in order, label first.
  return metadata.schema.slice(2).map((element) => element.name);
}
