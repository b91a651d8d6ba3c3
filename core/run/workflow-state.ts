import * as z from 'zod';
import type { GateDecision } from '../gate/gate.js';
import type { ModelVersion } from '../ports/model-registry.js';
import { evaluationJobsSchema } from '../evaluation/evaluation-state.js';
import { ingestQualitySchema } from '../quality/ingest-quality-schema.js';
import { runContextSchema, runObjectSchema } from './run-context.js';

/**
 * The workflow state: the JSON document Step Functions hands from state to state. Each section below is one `$.<key>`
 * that a state writes (its ResultPath) and later states read; every step validates the sections it reads with these
 * schemas, so what one step returns is exactly what the next one accepts. Sections are listed in the order a run
 * writes them.
 */

// ---------------------------------------------------------------------------------------------------------------
// $.ingest: IngestFiles (a Distributed Map over ValidateAndPartition), where its ResultWriter put the results
// ---------------------------------------------------------------------------------------------------------------

/** Row counts of one input file (or a whole run); `input = valid + quarantined` always. */
export const rowCountsSchema = z
  .object({
    input: z.number().int().nonnegative(),
    valid: z.number().int().nonnegative(),
    quarantined: z.number().int().nonnegative(),
  })
  .strict();

/** Row counts of one input file or a run. */
export type RowCounts = z.infer<typeof rowCountsSchema>;

/**
 * What ValidateAndPartition returns for one file: counts and prefixes only, never a list that grows with the data. The
 * IngestFiles Map gathers one per file into `$.ingest`, and a state over 256 KiB fails the execution uncaught
 * (States.DataLimitExceeded); the curated keys are in the file's listing object in the lake (core/manifest/
 * ingest-listing.ts), which RecordRun and RecordFailure read into the run manifest.
 */
export const ingestResultSchema = z
  .object({
    source: runObjectSchema,
    sourceHash: z.string(),
    ingestDate: z.string(),
    rawKey: z.string(),
    /** The table's root: every curated key of the file is under it. */
    curatedPrefix: z.string(),
    /** How many curated Parquet files the file wrote. */
    curatedFiles: z.number().int().nonnegative(),
    /** How many partitions (folders under curatedPrefix) those files are in. */
    partitions: z.number().int().nonnegative(),
    /** The lake key of the file's listing: its curated keys. */
    listingKey: z.string(),
    quarantineKey: z.string().optional(),
    /** The same bytes were ingested before under another key: their rows were replaced, not added. */
    sameContentAs: z.object({ runId: z.string(), key: z.string() }).strict().optional(),
    rows: rowCountsSchema,
    durationMs: z.number(),
    /** The data-quality checks of the file's rows (docs/data-quality.md); absent when the spec turns profiling off. */
    quality: ingestQualitySchema.optional(),
  })
  .strict();

/** What ValidateAndPartition returns for one file. */
export type IngestResult = z.infer<typeof ingestResultSchema>;

/**
 * `$.ingest`: where the IngestFiles Distributed Map wrote its results (`ResultWriterDetails`: the manifest of the result
 * files, core/manifest/ingest-results.ts), and its map run. One result per file would grow with the files; this does not.
 */
export const ingestSectionSchema = z
  .object({
    mapRunArn: z.string(),
    results: z.object({ bucket: z.string(), key: z.string() }).strict(),
  })
  .strict();

/** `$.ingest`. */
export type IngestSection = z.infer<typeof ingestSectionSchema>;

// ---------------------------------------------------------------------------------------------------------------
// $.crawl: StartCrawler, GetCrawlerState
// ---------------------------------------------------------------------------------------------------------------

/** The crawl's progress at `$.crawl`. */
export const crawlProgressSchema = z
  .object({
    crawlerName: z.string(),
    database: z.string(),
    table: z.string(),
    started: z.boolean(),
    startedAt: z.string(),
    attempt: z.number().int().nonnegative(),
    maxAttempts: z.number().int().positive(),
    pollSeconds: z.number().int().positive(),
    state: z.enum(['STARTING', 'RUNNING', 'RESTART', 'SUCCEEDED']),
  })
  .strict();

/** The crawl's progress at `$.crawl`. */
export type CrawlProgress = z.infer<typeof crawlProgressSchema>;

// ---------------------------------------------------------------------------------------------------------------
// $.features: StartFeatureQuery, GetFeatureQueryState
// ---------------------------------------------------------------------------------------------------------------

/** The run's one feature query: its UNLOAD writes both feature sets from one scan of the table. */
export const featureQuerySchema = z
  .object({
    queryId: z.string(),
    /** `s3://…/features/<pipeline>/<runId>/`: the UNLOAD target, holding `split=train/` and `split=validation/`. */
    location: z.string(),
    state: z.enum(['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED']),
    /** What the engine read (Athena bills it): one scan of the table per run. */
    bytesScanned: z.number().optional(),
    engineMs: z.number().optional(),
  })
  .strict();

/** The run's one feature query. */
export type FeatureQuery = z.infer<typeof featureQuerySchema>;

/** One feature set (a training channel): the folder the feature query wrote it to, and that query. */
export const featureSetSchema = z
  .object({
    /** The feature query that wrote it (the same for both sets). */
    queryId: z.string(),
    /** `s3://…/features/<pipeline>/<runId>/split=<train|validation>/`. */
    location: z.string(),
    /** The state of that query (the set is complete when it SUCCEEDED). */
    state: z.enum(['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED']),
  })
  .strict();

/** One feature set. */
export type FeatureSet = z.infer<typeof featureSetSchema>;

/** The feature query's progress at `$.features`. */
export const featureProgressSchema = z
  .object({
    database: z.string(),
    table: z.string(),
    query: featureQuerySchema,
    /** The channels' ContentType (the algorithm's channel format), e.g. `application/x-parquet`. */
    contentType: z.string(),
    train: featureSetSchema,
    validation: featureSetSchema,
    attempt: z.number().int().nonnegative(),
    maxAttempts: z.number().int().positive(),
    pollSeconds: z.number().int().positive(),
    state: z.enum(['RUNNING', 'SUCCEEDED']),
    /** The execution's redrive count when the query started: a redrive after a failure starts it again. */
    redriveCount: z.number().int().nonnegative().default(0),
  })
  .strict();

/** The feature queries' progress at `$.features`. */
export type FeatureProgress = z.infer<typeof featureProgressSchema>;

// ---------------------------------------------------------------------------------------------------------------
// $.training: StartTraining, DescribeTraining, StartTuning, DescribeTuning
// ---------------------------------------------------------------------------------------------------------------

/** The job's progress and, once complete, its result, at `$.training`. */
export const trainingProgressSchema = z
  .object({
    mode: z.enum(['train', 'tune']),
    jobName: z.string(),
    /** The execution's redrive count when the job started: a redrive after it failed starts a new job. */
    redriveCount: z.number().int().nonnegative().default(0),
    attempt: z.number().int().nonnegative(),
    maxAttempts: z.number().int().positive(),
    pollSeconds: z.number().int().positive(),
    state: z.enum(['InProgress', 'Stopping', 'Completed']),
    objective: z.object({ metric: z.string(), direction: z.enum(['Maximize', 'Minimize']) }).strict().optional(),
    modelArtifact: z.string().optional(),
    hyperparameters: z.record(z.string(), z.string()).optional(),
    metrics: z.record(z.string(), z.number()).optional(),
    bestTrainingJobName: z.string().optional(),
    evaluation: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

/** The training progress at `$.training`. */
export type TrainingProgress = z.infer<typeof trainingProgressSchema>;

// ---------------------------------------------------------------------------------------------------------------
// $.evaluation: EvaluateModel
// ---------------------------------------------------------------------------------------------------------------

/** A model version as the registry port returns it (core/ports/model-registry.ts), carried in the state. */
export const modelVersionSchema = z.object({
  pipeline: z.string(),
  version: z.number().int(),
  id: z.string(),
  modelArtifact: z.string(),
  image: z.string(),
  metrics: z.record(z.string(), z.number()),
  status: z.enum(['PendingManualApproval', 'Approved', 'Rejected']),
  runId: z.string(),
  createdAt: z.string(),
  lineage: z.record(z.string(), z.string()),
}) satisfies z.ZodType<ModelVersion>;

/** The gate's decision (core/gate/gate.ts), carried in the state. */
export const gateDecisionSchema = z.object({
  promote: z.boolean(),
  metric: z.string(),
  candidate: z.number().nullable(),
  production: z.number().nullable(),
  reasons: z.array(z.string()),
}) satisfies z.ZodType<GateDecision>;

/** EvaluateModel's result at `$.evaluation`: the registered candidate and the gate's decision about it. */
export const evaluationSchema = z
  .object({
    promote: z.boolean(),
    decision: gateDecisionSchema,
    candidate: modelVersionSchema,
    production: z.object({ version: z.number().int(), metrics: z.record(z.string(), z.number()) }).strict().optional(),
  })
  .strict();

/** EvaluateModel's result at `$.evaluation`. */
export type Evaluation = z.infer<typeof evaluationSchema>;

// ---------------------------------------------------------------------------------------------------------------
// $.deployment: Deploy, GetEndpointState; $.smokeTest: SmokeTest; $.promotion: PromoteModel
// ---------------------------------------------------------------------------------------------------------------

/** The deployment's progress at `$.deployment`. */
export const deploymentProgressSchema = z
  .object({
    endpointName: z.string(),
    endpointConfigName: z.string(),
    modelName: z.string(),
    modelVersion: z.number().int(),
    operation: z.enum(['create', 'update']),
    attempt: z.number().int().nonnegative(),
    maxAttempts: z.number().int().positive(),
    pollSeconds: z.number().int().positive(),
    state: z.string(),
    address: z.string().optional(),
  })
  .strict();

/** The deployment progress at `$.deployment`. */
export type DeploymentProgress = z.infer<typeof deploymentProgressSchema>;

/** SmokeTest's result at `$.smokeTest`: how many rows it sent and the scores that came back. */
export const smokeTestResultSchema = z.object({ rows: z.number().int().nonnegative(), predictions: z.array(z.number()) }).strict();

/** SmokeTest's result at `$.smokeTest`. */
export type SmokeTestResult = z.infer<typeof smokeTestResultSchema>;

/** PromoteModel's result at `$.promotion`: the version now in production, where it serves, what was cleaned up. */
export const promotionSchema = z.object({ version: z.number().int(), endpoint: z.string(), cleanedUp: z.array(z.string()) }).strict();

/** PromoteModel's result at `$.promotion`. */
export type Promotion = z.infer<typeof promotionSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Errors: what Step Functions records of a failed state, and RecordFailure's result
// ---------------------------------------------------------------------------------------------------------------

/**
 * The error document the Lambda Node.js runtime makes of an error a function throws: `errorType` is the error's
 * `name`, `trace` its stack, line by line. Step Functions puts it, as a JSON string, in the `Cause` of the error it
 * catches (and sets `Error` to `errorType`); the local runtime's bindings do the same.
 */
export const lambdaErrorCauseSchema = z.object({
  errorType: z.string(),
  errorMessage: z.string(),
  trace: z.array(z.string()).optional(),
});

/** The Lambda runtime's error document. */
export type LambdaErrorCause = z.infer<typeof lambdaErrorCauseSchema>;

/**
 * An error as Step Functions reports it: the error code and the cause (a Catch's `$.error`, and the `error` and `cause`
 * of an ExecutionFailed event). The workflow has no catch-all: a failing state fails the execution, and RecordFailure
 * reads the error from the execution's end (core/run/execution-failure.ts).
 */
export const caughtErrorSchema = z.object({ Error: z.string(), Cause: z.string().optional() });

/** An error as Step Functions reports it. */
export type CaughtError = z.infer<typeof caughtErrorSchema>;

/** RecordFailure's result: the error, the failed run's manifest and the state a redrive resumes at. */
export const failureSchema = z.object({ Error: z.string(), Cause: z.string(), manifestKey: z.string(), failedState: z.string().optional() }).strict();

/** RecordFailure's result. */
export type Failure = z.infer<typeof failureSchema>;

/**
 * The name and message of a caught error. An error a function threw (on AWS, or in the local runtime, whose bindings
 * throw the way Lambda reports) has the Lambda runtime's error document as its Cause, and the message is the
 * document's `errorMessage`; so has a Lambda timeout (`Sandbox.Timedout`, a document with no `errorType`). An error
 * Step Functions raises itself (`States.Timeout`, `States.TaskFailed`, ...) has no such document: its Cause is the
 * service's own sentence, and that is the message.
 */
export function describeCaughtError(error: CaughtError): { name: string; message: string } {
  if (error.Cause === undefined) return { name: error.Error, message: error.Error };
  return { name: error.Error, message: lambdaErrorMessage(error.Cause) ?? error.Cause };
}

/** The `errorMessage` of the Lambda error document in a Cause, or undefined when the Cause is not one. */
function lambdaErrorMessage(cause: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(cause);
  } catch {
    return undefined;
  }
  const document = lambdaErrorCauseSchema.pick({ errorMessage: true }).safeParse(parsed);
  return document.success ? document.data.errorMessage : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// State parameters: not sections of the state, but values the ASL's Parameters pass to some states
// ---------------------------------------------------------------------------------------------------------------

/**
 * `States.Format('{}#{}', $$.Execution.StartTime, $$.Execution.RedriveCount)`: the same across retries of one state,
 * different for a redrive or a reused execution name; SageMaker resource names derive from it.
 */
export const nonceSchema = z.string().min(1).default('0');

/** `$$.Execution.RedriveCount`: how many times the execution was redriven. */
export const redriveCountSchema = z.number().int().nonnegative().default(0);

// ---------------------------------------------------------------------------------------------------------------
// The whole state
// ---------------------------------------------------------------------------------------------------------------

/**
 * Every section of the workflow state by its key, `$.<key>`: `run` from NormalizeInput's ResultSelector, the others
 * from the ResultPath of the states that write them. A test checks that every ResultPath of the ASL has a schema here.
 */
export const workflowStateSections = {
  run: runContextSchema,
  ingest: ingestSectionSchema,
  crawl: crawlProgressSchema,
  features: featureProgressSchema,
  training: trainingProgressSchema,
  // StartEvaluationTransform, DescribeEvaluationTransform, ComputeEvaluationMetrics (core/evaluation/evaluation-state.ts).
  evaluationJobs: evaluationJobsSchema,
  evaluation: evaluationSchema,
  deployment: deploymentProgressSchema,
  smokeTest: smokeTestResultSchema,
  promotion: promotionSchema,
} as const;

/** A key of the workflow state. */
export type WorkflowStateKey = keyof typeof workflowStateSections;

/** The workflow state: `run` once NormalizeInput succeeded, every later section once its state ran. */
export type WorkflowState = { [K in WorkflowStateKey]?: z.infer<(typeof workflowStateSections)[K]> };
