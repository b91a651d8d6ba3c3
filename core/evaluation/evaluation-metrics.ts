/**
 * ComputeEvaluationMetrics' work: the evaluation transforms' joined outputs (core/evaluation/evaluation-jobs.ts) to
 * each model's full evaluation, with the local trainer's metric code. No DuckDB: this function reads lines only.
 */
import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from '../log/logger.js';
import { insightsKeyOf, predictionInsights } from '../report/model-insights.js';
import type { ModelInsights } from '../report/model-insights.js';
import type { SpecCatalog } from '../pipelines/spec-catalog.js';
import type { ObjectStore } from '../ports/object-store.js';
import { valuesPerRow } from '../scoring/batch-transform.js';
import type { PipelineSpec } from '../spec/load-spec.js';
import { classificationMetrics, textEvaluation } from '../text/classification-metrics.js';
import { fromFastTextLabel } from '../text/label-mapping.js';
import { algorithmOf, EvaluationOutputError, splitUri } from './evaluation-format.js';
import type { EvaluationRun } from './evaluation-jobs.js';
import type { EvaluationJob, EvaluationJobs } from './evaluation-state.js';
import { evaluatePredictions } from './model-metrics.js';

/** What ComputeEvaluationMetrics needs: the lake and the specs, no SageMaker. */
export interface EvaluationMetricsDeps {
  store: ObjectStore;
  specs: SpecCatalog;
  logger: Logger;
  workDir: string;
}

/**
 * ComputeEvaluationMetrics' work: each job's joined output (true label and answer per line) to the model's full
 * evaluation, with the local trainer's code: XGBoost's binary / multi-class / regression sets by objective, a text
 * model's accuracy, macro-F1, per-class precision / recall / F1 and confusion matrix in the user's labels.
 */
export async function computeEvaluationMetrics(input: EvaluationRun, progress: EvaluationJobs, deps: EvaluationMetricsDeps): Promise<EvaluationJobs> {
  if (progress.state === 'Skipped') return progress;
  const spec = deps.specs.get(input.run.pipeline);
  const scratch = path.join(deps.workDir, input.run.runId, 'evaluation');
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  const results: NonNullable<EvaluationJobs['results']> = {};
  try {
    // A failed production job is compared on its registered numbers (its reason is in `progress.reason`).
    for (const job of progress.jobs.filter((j) => j.state === 'Completed')) {
      const { evaluation, insights } = await evaluateOutput(spec, job, scratch, deps.store);
      results[job.role] = { ...(job.version !== undefined ? { version: job.version } : {}), evaluation };
      if (job.role === 'candidate' && insights) await writeInsights(job.modelArtifact, insights, deps);
      deps.logger.info('model evaluated on the candidate\'s set', { role: job.role, ...(job.version !== undefined ? { version: job.version } : {}), rows: evaluation['rows'] });
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return { ...progress, state: 'Scored', results };
}

/** The lines of every `.out` object under a job's output, in key order. */
async function* outputLines(store: ObjectStore, output: string, scratch: string): AsyncGenerator<string> {
  const { bucket, key } = splitUri(output);
  const objects = (await store.list(bucket, key)).filter((o) => o.key.endsWith('.out')).sort((a, b) => (a.key < b.key ? -1 : 1));
  for (const object of objects) {
    const local = await store.localCopy(object, scratch);
    try {
      for await (const line of createInterface({ input: createReadStream(local.path), crlfDelay: Infinity })) if (line.trim() !== '') yield line;
    } finally {
      await local.release();
    }
  }
}

/**
 * Writes the candidate's plot data where the run report reads a model's insights: beside its artifact
 * (`models/<pipeline>/<job>/output/insights.json`, core/report/model-insights.ts `insightsKeyOf`), as the local
 * trainer does. Written once, whole, by one PutObject: a reader sees all of it or none.
 */
async function writeInsights(modelArtifact: string, insights: ModelInsights, deps: EvaluationMetricsDeps): Promise<void> {
  const artifact = splitUri(modelArtifact);
  const key = insightsKeyOf(artifact.key);
  await deps.store.putText({ bucket: artifact.bucket, key }, `${JSON.stringify(insights)}\n`, 'application/json');
  deps.logger.info('candidate insights written', { insightsKey: key });
}

/**
 * A job's evaluation and, for XGBoost, the plot data of the same labels and predictions (ROC / precision-recall or
 * residuals, core/report/model-insights.ts). A text model has none: its confusion matrix is in its evaluation.
 */
async function evaluateOutput(spec: PipelineSpec, job: EvaluationJob, scratch: string, store: ObjectStore): Promise<{ evaluation: Record<string, unknown>; insights?: ModelInsights }> {
  const lines = outputLines(store, job.output, scratch);
  if (algorithmOf(spec) === 'blazingtext') {
    const actual: string[] = [];
    const predicted: string[] = [];
    for await (const line of lines) {
      const record = parseJson(line) as { label?: unknown; SageMakerOutput?: { label?: unknown } } | undefined;
      const answer = Array.isArray(record?.SageMakerOutput?.label) ? (record.SageMakerOutput.label as unknown[])[0] : undefined;
      if (typeof record?.label !== 'string' || typeof answer !== 'string') throw new EvaluationOutputError(`an evaluation output line lacks label or SageMakerOutput.label: ${line.slice(0, 200)}`);
      actual.push(fromFastTextLabel(record.label));
      predicted.push(fromFastTextLabel(answer));
    }
    return { evaluation: textEvaluation(classificationMetrics(actual, predicted)) };
  }
  const width = valuesPerRow(spec);
  const hyperparameters = spec.training?.hyperparameters ?? {};
  // The scoring workflow's default objective (core/steps/write-predictions.ts), SageMaker XGBoost's usual one here.
  const objective = String(hyperparameters['objective'] ?? 'binary:logistic');
  const labels: number[] = [];
  const predictions: number[] = [];
  for await (const line of lines) {
    const fields = line.split(',');
    const label = Number(fields[0]);
    const answer = fields.slice(-width).map(Number);
    if (fields.length < 1 + width || fields[0] === '' || !Number.isFinite(label) || answer.some((v) => !Number.isFinite(v))) {
      throw new EvaluationOutputError(`an evaluation output line is not a label and ${width} number(s): ${line.slice(0, 200)}`);
    }
    labels.push(label);
    predictions.push(...answer);
  }
  if (labels.length === 0) throw new EvaluationOutputError(`The evaluation transform ${job.jobName} wrote no output under ${job.output}`);
  const numClass = hyperparameters['num_class'] === undefined ? undefined : Number(hyperparameters['num_class']);
  const labelValues = Float64Array.from(labels);
  const predictionValues = Float64Array.from(predictions);
  return {
    evaluation: { ...evaluatePredictions(objective, labelValues, predictionValues, numClass) },
    insights: predictionInsights(objective, labelValues, predictionValues),
  };
}

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw new EvaluationOutputError(`an evaluation output line is not JSON: ${line.slice(0, 200)}`);
  }
}
