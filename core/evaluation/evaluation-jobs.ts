/**
 * Champion/challenger on the same rows, in both runtimes: Batch Transform jobs score the candidate's validation set
 * with the registry's PRODUCTION model (when the gate has one to compare) and with the candidate (when its trainer
 * gave no full evaluation of its own: always in AWS, where the training container reports only its final metrics;
 * never locally, where the trainer evaluates its best model), then one step reads the joined outputs and computes the
 * full metric set with the same code as the local trainer (core/evaluation/model-metrics.ts,
 * core/text/classification-metrics.ts). The jobs go through the BatchScorer port: SageMaker Batch Transform in AWS
 * (aws/adapters/sagemaker-transform.ts), real XGBoost / fastText locally (local/adapters/local-batch-scorer.ts).
 *
 * Transform input, per algorithm (the container's inference formats, not its training ones):
 * - XGBoost: the validation channel is Parquet (core/features/channel-format.ts), which the XGBoost container reads
 *   for training only: for inference "XGBoost, for example, only supports text/csv from this list, but also supports
 *   text/libsvm" (SageMaker developer guide, "Common data formats for inference",
 *   https://docs.aws.amazon.com/sagemaker/latest/dg/cdf-inference.html; the container's decoders are CSV, libsvm and
 *   recordio-protobuf only, aws/sagemaker-xgboost-container `encoder.py` `_dmatrix_decoders_map`; algorithm mode's
 *   `serve_utils.get_content_type` refuses any other: "Supported content-type is text/csv, text/libsvm, …"). So DuckDB rewrites
 *   the channel as gzip CSV without a header, label first (the channel's own column order), a NULL as an empty field:
 *   the container reads an empty field as NaN, XGBoost's missing value (`encoder.py` `_clean_csv_string`: `"nan" if
 *   x == ""`), where Hive's `\N` would fail its float conversion. `InputFilter` `$[1:]`
 *   drops the label ("Examples: "$", "$[1:]", "$.features"", API reference, DataProcessing,
 *   https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DataProcessing.html), `JoinSource` `Input` appends
 *   the answer to the input line ("For CSV data, … the transformed data is appended to the input data",
 *   https://docs.aws.amazon.com/sagemaker/latest/dg/batch-transform-data-processing.html) and `OutputFilter`
 *   `$[0,-1]` keeps the label and a one-value answer; a `multi:softprob` answer is `num_class` values, so there the
 *   whole joined line is kept (`$`) and its last `num_class` fields are read, as the scoring workflow does
 *   (core/scoring/scoring-format.ts).
 * - BlazingText: the validation channel is `__label__<x> <tokens>` lines; the input is JSON Lines
 *   `{"label": "__label__<x>", "features": {"source": "<tokens>"}}`, `InputFilter` `$.features` sends the model
 *   `{"source": …}` (the scoring workflow's record, core/scoring/scoring-format.ts), and `OutputFilter`
 *   `$['label','SageMakerOutput']` keeps the true label beside the answer.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { openDuckDb } from '../duckdb/open-duckdb.js';
import type { DuckDbLimits } from '../duckdb/open-duckdb.js';
import type { Logger } from '../log/logger.js';
import type { SpecCatalog } from '../pipelines/spec-catalog.js';
import type { BatchScorer, TransformRequest } from '../ports/batch-scorer.js';
import type { ModelRegistry, ModelVersion } from '../ports/model-registry.js';
import type { ObjectInfo, ObjectStore } from '../ports/object-store.js';
import type { TrainingAlgorithm } from '../ports/trainer.js';
import type { RunContext } from '../run/run-context.js';
import { trainingJobName } from '../run/job-names.js';
import { lakeLayout } from '../run/lake-layout.js';
import type { FeatureProgress, TrainingProgress } from '../run/workflow-state.js';
import { BatchTransformFailedError, valuesPerRow } from '../scoring/batch-transform.js';
import type { PipelineSpec } from '../spec/load-spec.js';
import { POLL_BUDGETS } from '../spec/workflow-limits.js';
import { quoteLiteral } from '../sql/quote.js';
import type { EvaluatedRole, EvaluationJob, EvaluationJobs } from './evaluation-state.js';
import { algorithmOf, EvaluationOutputError, evaluationFormat, splitUri } from './evaluation-format.js';

/** What the evaluation transform steps need. */
export interface EvaluationTransformDeps {
  registry: ModelRegistry;
  batchScorer: BatchScorer;
  store: ObjectStore;
  specs: SpecCatalog;
  logger: Logger;
  /** The stage's resource prefix: jobs and their models are named `<prefix><pipeline>-evaluate-…-<hash>`. */
  jobPrefix: string;
  /** The candidate's serving image (SageMaker's image for the algorithm and region; a local tag locally). */
  modelImage: string;
  /** The serving image of each algorithm; absent, {@link modelImage} serves every one. */
  modelImageFor?: (algorithm: TrainingAlgorithm) => string;
  workDir: string;
  duckdb: Omit<DuckDbLimits, 'tempDirectory'>;
}

/**
 * The evaluation loop's shortest poll interval: a transform job takes minutes to start, so polling it at a training
 * spec's 5 s would spend the loop's 60 polls (core/spec/workflow-limits.ts `POLL_BUDGETS`) before it ends.
 */
const MIN_EVALUATION_POLL_SECONDS = 60;

/** The run's inputs the evaluation steps read. */
export interface EvaluationRun {
  run: RunContext;
  features: FeatureProgress;
  training: TrainingProgress;
}

/** The models to score: production when the gate compares with one, the candidate when it has no evaluation. */
async function modelsToScore(spec: PipelineSpec, training: TrainingProgress, deps: EvaluationTransformDeps): Promise<{ production?: ModelVersion; candidate: boolean; reason: string }> {
  const production = spec.gate ? await deps.registry.production(spec.name) : undefined;
  const candidate = training.evaluation === undefined;
  const reason = [
    !spec.gate ? 'the pipeline has no gate to compare with' : production ? undefined : 'no production model yet',
    candidate ? undefined : 'the candidate has its own evaluation from its trainer',
  ]
    .filter((r) => r !== undefined)
    .join('; ');
  return { ...(production ? { production } : {}), candidate, reason };
}

/**
 * StartEvaluationTransform's work: decides what to score, writes the transform input once from the validation
 * channel, and starts one job per model. Nothing to score returns `Skipped` at once (the first local run, a pipeline
 * without a gate whose trainer evaluates its candidate). Job names derive from the run, the role and the nonce, so a
 * retried state finds its jobs and a redrive starts new ones.
 */
export async function startEvaluationTransform(input: EvaluationRun, nonce: string, redriveCount: number, deps: EvaluationTransformDeps): Promise<EvaluationJobs> {
  const { run, features, training } = input;
  const spec = deps.specs.get(run.pipeline);
  const pollSeconds = Math.max(spec.training?.pollSeconds ?? 30, MIN_EVALUATION_POLL_SECONDS);
  const maxAttempts = Math.min(POLL_BUDGETS.evaluation, Math.max(1, Math.ceil((spec.training?.maxRuntimeSeconds ?? 3600) / pollSeconds) + 2));
  const { production, candidate, reason } = await modelsToScore(spec, training, deps);
  if (!production && !candidate) {
    deps.logger.info('evaluation transform skipped', { reason });
    return { state: 'Skipped', reason, jobs: [], attempt: 0, maxAttempts, pollSeconds, redriveCount };
  }
  if (candidate && !training.modelArtifact) throw new EvaluationOutputError(`Training job ${training.jobName} completed without a model artifact to score`);
  const algorithm = algorithmOf(spec);
  const format = evaluationFormat(algorithm, valuesPerRow(spec));
  const prefix = lakeLayout.evaluationRunPrefix(spec.name, run.runId);
  const inputUri = `s3://${run.bucket}/${prefix}transform-input/`;
  const rows = await writeTransformInput(features, algorithm, { bucket: run.bucket, key: `${prefix}transform-input/${format.inputFile}` }, deps);
  const models: { role: EvaluatedRole; version?: number; id: string; artifact: string; image: string }[] = [];
  if (production) models.push({ role: 'production', version: production.version, id: production.id, artifact: production.modelArtifact, image: production.image });
  if (candidate) models.push({ role: 'candidate', id: training.jobName, artifact: training.modelArtifact ?? '', image: deps.modelImageFor?.(algorithm) ?? deps.modelImage });
  const jobs: EvaluationJob[] = [];
  for (const model of models) {
    const jobName = trainingJobName(run.runId, `evaluate-${model.role}`, nonce, `${deps.jobPrefix}${spec.name}`);
    const output = `s3://${run.bucket}/${prefix}transform-output/${model.role}/`;
    const request: TransformRequest = {
      jobName,
      model: { id: model.id, artifact: model.artifact, image: model.image, algorithm },
      input: inputUri,
      contentType: format.contentType,
      compression: 'Gzip',
      output,
      accept: format.accept,
      dataProcessing: { inputFilter: format.inputFilter, joinSource: 'Input', outputFilter: format.outputFilter },
      instanceType: spec.training?.instanceType ?? 'ml.m5.xlarge',
      instanceCount: 1,
      maxRuntimeSeconds: Math.min(spec.training?.maxRuntimeSeconds ?? 3600, maxAttempts * pollSeconds),
      scoreRunId: run.runId,
      pipeline: spec.name,
    };
    await deps.batchScorer.startTransform(request);
    jobs.push({ role: model.role, jobName, ...(model.version !== undefined ? { version: model.version } : {}), modelArtifact: model.artifact, image: model.image, output, state: 'InProgress' });
  }
  deps.logger.info('evaluation transform started', { jobs: jobs.map((j) => `${j.role}: ${j.jobName}`), rows });
  return { state: 'InProgress', jobs, input: inputUri, rows, attempt: 0, maxAttempts, pollSeconds, redriveCount };
}

/**
 * One poll of every job: Completed once every job has ended. A failed candidate job fails the run (its metrics are
 * what gets registered); a failed production job does not: a production model that cannot score this set (other
 * features after a change of the feature query, say) is still compared on its registered numbers, and the reason is
 * kept for the gate's decision. A redriven execution starts the jobs again.
 */
export async function describeEvaluationTransform(input: EvaluationRun, progress: EvaluationJobs, nonce: string, redriveCount: number, deps: EvaluationTransformDeps): Promise<EvaluationJobs> {
  const jobs: EvaluationJob[] = [];
  const reasons: string[] = progress.reason === undefined ? [] : [progress.reason];
  for (const job of progress.jobs) {
    const status = job.state === 'InProgress' || job.state === 'Stopping' ? await deps.batchScorer.describeTransform(job.jobName) : { state: job.state };
    const ended = status.state === 'Failed' || status.state === 'Stopped';
    if (ended && job.state !== status.state) {
      if (redriveCount > progress.redriveCount) return startEvaluationTransform(input, nonce, redriveCount, deps);
      const why = `The evaluation transform ${job.jobName} (${job.role} model) ${status.state === 'Failed' ? 'failed' : 'was stopped'}: ${'failureReason' in status && status.failureReason ? status.failureReason : 'no reason given'}`;
      if (job.role === 'candidate') throw new BatchTransformFailedError(why);
      deps.logger.warn('production model not scored on the candidate\'s validation set', { reason: why });
      reasons.push(why);
    }
    jobs.push({ ...job, state: status.state });
  }
  const attempt = progress.attempt + 1;
  const reason = reasons.length > 0 ? { reason: reasons.join('; ') } : {};
  if (jobs.every((j) => j.state === 'Completed' || j.state === 'Failed' || j.state === 'Stopped')) return { ...progress, ...reason, jobs, attempt, state: 'Completed' };
  if (attempt >= progress.maxAttempts) {
    for (const job of jobs) if (job.state === 'InProgress') await deps.batchScorer.stopTransform(job.jobName);
    throw new BatchTransformFailedError(`The evaluation transforms are still running after ${attempt} polls of ${progress.pollSeconds} s`);
  }
  return { ...progress, ...reason, jobs, attempt };
}

/** The validation channel's objects (BlazingText's merged `data.txt` when there is one). */
async function channelObjects(store: ObjectStore, location: string): Promise<ObjectInfo[]> {
  const { bucket, key } = splitUri(location);
  const objects = (await store.list(bucket, key.endsWith('/') ? key : `${key}/`)).filter((o) => o.size > 0 && !o.key.endsWith('/')).sort((a, b) => (a.key < b.key ? -1 : 1));
  const merged = objects.filter((o) => o.key.endsWith('/data.txt'));
  if (objects.length === 0) throw new EvaluationOutputError(`The validation set ${location} has no objects to score`);
  return merged.length > 0 ? merged : objects;
}

/** Writes the transform input from the validation channel (see the module comment); returns its row count. */
async function writeTransformInput(features: FeatureProgress, algorithm: TrainingAlgorithm, target: { bucket: string; key: string }, deps: EvaluationTransformDeps): Promise<number> {
  const scratch = path.join(deps.workDir, `evaluation-input-${target.key.replace(/[^A-Za-z0-9]+/g, '-')}`);
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  const copies = [];
  try {
    for (const object of await channelObjects(deps.store, features.validation.location)) copies.push(await deps.store.localCopy(object, scratch));
    const file = path.join(scratch, path.basename(target.key));
    const rows = algorithm === 'blazingtext' ? await writeTextInput(copies.map((c) => c.path), file) : await writeCsvInput(copies.map((c) => c.path), features.contentType, file, scratch, deps.duckdb);
    await deps.store.putFile(file, target, 'application/gzip');
    return rows;
  } finally {
    for (const copy of copies) await copy.release();
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The channel's rows as gzip CSV without a header, label first, in the channel's order (DuckDB, as WritePredictions). */
async function writeCsvInput(files: readonly string[], contentType: string, out: string, scratch: string, limits: EvaluationTransformDeps['duckdb']): Promise<number> {
  const session = await openDuckDb({ ...limits, tempDirectory: path.join(scratch, 'spill') });
  try {
    const list = `[${files.map(quoteLiteral).join(', ')}]`;
    // The channel's own columns only: a `split=validation/` folder in a path must not add a Hive partition column.
    const source = contentType.includes('parquet') ? `read_parquet(${list}, hive_partitioning = false)` : `read_csv(${list}, header = false, hive_partitioning = false)`;
    await session.connection.run(`COPY (SELECT * FROM ${source}) TO ${quoteLiteral(out)} (FORMAT csv, HEADER false, COMPRESSION gzip)`);
    const [count] = await session.rows(`SELECT count(*) AS n FROM ${source}`);
    return Number(count?.n ?? 0);
  } finally {
    session.close();
  }
}

/** `__label__<x> <tokens>` lines as gzip JSON Lines `{"label": …, "features": {"source": …}}`. */
async function writeTextInput(files: readonly string[], out: string): Promise<number> {
  const gzip = createGzip();
  const sink = gzip.pipe(createWriteStream(out));
  let rows = 0;
  for (const file of files) {
    const stream: Readable = file.endsWith('.gz') ? createReadStream(file).pipe(createGunzip()) : createReadStream(file);
    for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
      const trimmed = line.trim();
      if (trimmed === '') continue;
      const space = trimmed.indexOf(' ');
      const label = space < 0 ? trimmed : trimmed.slice(0, space);
      const source = space < 0 ? '' : trimmed.slice(space + 1);
      if (!gzip.write(`${JSON.stringify({ label, features: { source } })}\n`)) await once(gzip, 'drain');
      rows++;
    }
  }
  gzip.end();
  await once(sink, 'close');
  return rows;
}
