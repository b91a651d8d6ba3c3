/**
 * The batch transform of a scoring run: the registry's PRODUCTION model over the scoring query's output, as SageMaker
 * Batch Transform in AWS and as a local job of real XGBoost or fastText locally, both behind the BatchScorer port.
 */
import { TerminalStepError } from '../errors.js';
import { featureColumnNames, readFeatureQuery } from '../features/feature-sql.js';
import type { SpecCatalog } from '../pipelines/spec-catalog.js';
import type { BatchScorer, TransformRequest } from '../ports/batch-scorer.js';
import type { ModelRegistry } from '../ports/model-registry.js';
import { trainingJobName } from '../run/job-names.js';
import { lakeLayout } from '../run/lake-layout.js';
import { tableName } from '../run/naming.js';
import type { PipelineSpec } from '../spec/load-spec.js';
import { scoringAlgorithm } from './scoring-query.js';
import { scoringFormat } from './scoring-format.js';
import type { ScoringContext, TransformProgress } from './scoring-state.js';

/** The pipeline has no production model yet: nothing to score with (train and promote one first). */
export class NoProductionModelError extends TerminalStepError {
  public override readonly name = 'NoProductionModelError';
}

/** The transform job failed or was stopped; the message carries SageMaker's (or the local job's) reason. */
export class BatchTransformFailedError extends TerminalStepError {
  public override readonly name = 'BatchTransformFailedError';
}

/** What StartBatchTransform and DescribeBatchTransform need. */
export interface BatchTransformDeps {
  registry: ModelRegistry;
  batchScorer: BatchScorer;
  specs: SpecCatalog;
  /** The stage's resource prefix: transform jobs and their models are named `<prefix><pipeline>-score-<hash>`. */
  jobPrefix: string;
}

/** Values the model answers per row: `num_class` for `multi:softprob`, else one (a BlazingText answer is an object). */
export function valuesPerRow(spec: PipelineSpec): number {
  const hyperparameters = spec.training?.hyperparameters ?? {};
  if (hyperparameters['objective'] !== 'multi:softprob') return 1;
  return Number(hyperparameters['num_class'] ?? 1);
}

/** The feature columns the model reads (the feature query's columns after the label). */
export function featureCount(spec: PipelineSpec): number {
  return featureColumnNames(readFeatureQuery(spec, tableName(spec.name)), spec.contract.columns.map((c) => c.name)).length - 1;
}

/** The spec's limit for one transform: the training section's maxRuntimeSeconds (the spec has no scoring runtime of its own). */
function maxRuntimeSeconds(spec: PipelineSpec): number {
  return spec.training?.maxRuntimeSeconds ?? 3600;
}

/**
 * Starts the transform with the production model. The job name derives from the run and the redrive count
 * (core/run/job-names.ts), so a retried state finds the job it started and a redrive starts a new one.
 */
export async function startBatchTransform(scoring: ScoringContext, redriveCount: number, deps: BatchTransformDeps): Promise<TransformProgress> {
  const spec = deps.specs.get(scoring.pipeline);
  const production = await deps.registry.production(spec.name);
  if (!production) throw new NoProductionModelError(`Pipeline ${spec.name} has no production model to score with: run the pipeline until a model is promoted (sluice run)`);
  const algorithm = scoringAlgorithm(spec);
  const format = scoringFormat(algorithm);
  const jobName = trainingJobName(scoring.scoreRunId, 'score', redriveCount, `${deps.jobPrefix}${spec.name}`);
  const output = `s3://${scoring.bucket}/${lakeLayout.transformOutputPrefix(spec.name, scoring.scoreRunId)}`;
  const request: TransformRequest = {
    jobName,
    model: { id: production.id, artifact: production.modelArtifact, image: production.image, algorithm },
    input: `s3://${scoring.bucket}/${lakeLayout.transformInputPrefix(spec.name, scoring.scoreRunId)}`,
    contentType: format.contentType,
    compression: 'Gzip',
    output,
    accept: format.accept,
    dataProcessing: { inputFilter: format.inputFilter, joinSource: 'Input', outputFilter: format.outputFilter(valuesPerRow(spec)) },
    instanceType: spec.training?.instanceType ?? 'ml.m5.xlarge',
    instanceCount: 1,
    maxRuntimeSeconds: maxRuntimeSeconds(spec),
    scoreRunId: scoring.scoreRunId,
    pipeline: spec.name,
  };
  await deps.batchScorer.startTransform(request);
  const pollSeconds = spec.training?.pollSeconds ?? 30;
  return {
    jobName,
    model: { version: production.version, id: production.id, artifact: production.modelArtifact, image: production.image, algorithm },
    output,
    state: 'InProgress',
    attempt: 0,
    maxAttempts: Math.max(1, Math.ceil(maxRuntimeSeconds(spec) / pollSeconds) + 2),
    pollSeconds,
    redriveCount,
  };
}

/** One poll of the transform job. */
export async function describeBatchTransform(scoring: ScoringContext, redriveCount: number, transform: TransformProgress, deps: BatchTransformDeps): Promise<TransformProgress> {
  const status = await deps.batchScorer.describeTransform(transform.jobName);
  if (status.state === 'Failed' || status.state === 'Stopped') {
    if (redriveCount > transform.redriveCount) return startBatchTransform(scoring, redriveCount, deps);
    throw new BatchTransformFailedError(`The transform job ${transform.jobName} ${status.state === 'Failed' ? 'failed' : 'was stopped'}: ${status.failureReason ?? 'no reason given'}`);
  }
  const next: TransformProgress = { ...transform, state: status.state, attempt: transform.attempt + 1 };
  if (status.state === 'Completed') return next;
  if (next.attempt >= transform.maxAttempts) {
    await deps.batchScorer.stopTransform(transform.jobName);
    throw new BatchTransformFailedError(`The transform job ${transform.jobName} is still running after ${next.attempt} polls of ${transform.pollSeconds} s (training.maxRuntimeSeconds)`);
  }
  return next;
}
