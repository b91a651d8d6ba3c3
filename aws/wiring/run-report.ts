import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { RuntimeConfig } from '../../core/config/runtime-config.js';
import type { ModelVersion } from '../../core/ports/model-registry.js';
import type { ReportSources } from '../../core/report/run-view.js';

/**
 * Chart.js's UMD bundle as RecordRun's and RecordFailure's zips carry it: deploy/functions.js ships this one file of
 * node_modules beside the bundle (package patterns), and the function reads it from where Lambda unpacks the zip.
 * Shipped as a file rather than inlined by an esbuild text loader: the local runtime and the tests read the same
 * file from node_modules, with no loader to configure in jest.
 */
export const CHART_LIBRARY_ASSET = 'node_modules/chart.js/dist/chart.umd.min.js';

/**
 * Why a cloud run's report has no feature importance or tuning plot. Its ROC, precision-recall and residual plots come
 * from insights.json, which ComputeEvaluationMetrics writes beside the candidate's artifact from the evaluation
 * transform's labels and predictions (core/evaluation/evaluation-metrics.ts, issue 14); the confusion matrix is in
 * the candidate's evaluation. Importance needs the booster itself, and SageMaker's XGBoost artifact is a Python pickle
 * ("SageMaker XGBoost uses the Python pickle module to serialize/deserialize the model", SageMaker developer guide,
 * XGBoost algorithm, "Input/Output Interface") that a Node function cannot load; the tuning trials are recorded by
 * the local tuner only.
 */
export const CLOUD_PLOTS_UNAVAILABLE =
  'not recorded in the cloud: feature importance needs the booster, which SageMaker XGBoost stores as a Python pickle this Node function cannot load, and only the local tuner records its trials.';

/** The part of the model registry the report reads: a pipeline's versions, oldest first. */
export interface VersionLister {
  versions(pipeline: string): Promise<ModelVersion[]>;
}

/**
 * What the cloud's RecordRun and RecordFailure give the run report (core/report/): Chart.js from the zip, the
 * pipeline's versions from the SageMaker Model Registry, feature sets listed rather than copied into the function
 * (they can be gigabytes; RecordRun has 256 MB and 30 s), and why importance and tuning plots are absent. No workflow
 * graph: the report lists the states it knows instead.
 */
export function cloudReportSources(config: Pick<RuntimeConfig, 'taskRoot'>, registry: VersionLister): ReportSources {
  let chart: Promise<string> | undefined;
  return {
    chartLibrary: () => (chart ??= readFile(path.join(config.taskRoot, CHART_LIBRARY_ASSET), 'utf8')),
    versions: (pipeline) => registry.versions(pipeline),
    featureFiles: 'list',
    plotsUnavailable: CLOUD_PLOTS_UNAVAILABLE,
  };
}
