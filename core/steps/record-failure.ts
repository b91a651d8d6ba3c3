import type { BatchScorer } from '../ports/batch-scorer.js';
import { evaluationJobsSchema } from '../evaluation/evaluation-state.js';
import * as z from 'zod';
import { withCuratedKeys } from '../manifest/ingest-listing.js';
import type { FailedIngest } from '../manifest/ingest-results.js';
import { readIngestResults } from '../manifest/ingest-results.js';
import type { RecordRunDeps, RunManifest } from '../manifest/run-manifest.js';
import type { RunMetrics } from '../ports/metrics.js';
import { METRIC_NAMES, noMetrics } from '../ports/metrics.js';
import { totalRows, writeManifest } from '../manifest/run-manifest.js';
import type { RunReportDeps } from '../report/run-report.js';
import { writeRunReport } from '../report/run-report.js';
import { notifyRun } from '../notify/run-notification.js';
import type { ExecutionHistory, FailedChildExecution, HistoryEvent, MapRunChildren } from '../ports/execution-history.js';
import type { QueryEngine } from '../ports/query-engine.js';
import type { Trainer } from '../ports/trainer.js';
import type { ExecutionFailure } from '../run/execution-failure.js';
import { executionFailureSchema, failureFromHistory } from '../run/execution-failure.js';
import { lakeLayout } from '../run/lake-layout.js';
import { runContextSchema } from '../run/run-context.js';
import { parseStateInput } from '../run/state-input.js';
import type { Failure } from '../run/workflow-state.js';
import { describeCaughtError, evaluationSchema, featureProgressSchema, ingestSectionSchema, trainingProgressSchema } from '../run/workflow-state.js';

/** What RecordFailure needs: RecordRun's, and the trainer and query engine to stop the run's jobs. */
export interface RecordFailureDeps extends RecordRunDeps {
  trainer?: Pick<Trainer, 'stopTraining' | 'stopTuning'>;
  queryEngine?: Pick<QueryEngine, 'stopQuery'>;
  /** Stops the run's evaluation transforms (Batch Transform in AWS, local jobs locally) still running. */
  batchScorer?: Pick<BatchScorer, 'stopTransform'>;
  /** Failures by state and the failed run's duration (core/ports/metrics.ts); none recorded when absent. */
  metrics?: RunMetrics;
}

/** What the cloud's RecordFailure function needs on top: the execution's history, and a failed map run's children. */
export interface RecordExecutionFailureDeps extends RecordFailureDeps {
  history: ExecutionHistory;
  mapRuns?: MapRunChildren;
}

/**
 * At most this many failed files are read back and recorded: with IngestFiles' ToleratedFailurePercentage of 0 the map
 * run fails at its first failed child, so the failed children are few; the cap keeps a run where every one of 10,000
 * files failed (a wrong contract) to 100 DescribeExecution calls and a readable manifest. The log says how many more.
 */
export const MAX_FAILED_FILES = 100;

/** The sections of the failed state's input RecordFailure reads; the others go into the manifest as they are. */
const failedStateSchema = z
  .object({
    run: runContextSchema.optional(),
    ingest: ingestSectionSchema.optional(),
    evaluation: evaluationSchema.optional(),
    features: featureProgressSchema.optional(),
    training: trainingProgressSchema.optional(),
    evaluationJobs: evaluationJobsSchema.optional(),
  })
  .passthrough();

/**
 * RecordFailure: records a failed, timed-out or aborted execution, whatever state it stopped in (even NormalizeInput,
 * before there is a run context), and stops what the run left running. It never touches a serving endpoint. It runs
 * outside the failed execution (the execution status-change event in the cloud, the local runner's event log), so
 * the execution stays redrivable from the state that failed.
 *
 * 1. Reads the failure: the execution, its status and redrive count, the top-level state it stopped in, that state's
 *    input (the workflow state) and the error.
 * 2. Does nothing when the manifest already records this failure (same execution, same redrive count): the status
 *    event is delivered at least once.
 * 3. Stops the run's training or tuning job, its feature queries and its evaluation transforms that are still
 *    running: they would otherwise run and bill on.
 * 4. Rejects a candidate the gate let through but that never reached production, with the error as the reason.
 * 5. Writes the failed run's manifest (last: it is the record that the work above is done), with the error, the
 *    curated keys of the files ingested before the failure (core/manifest/ingest-listing.ts), each failed file's key
 *    and error (`failedFiles`: from the map run's results once IngestFiles has succeeded; from `failedChildren`, the
 *    failed map run's children the caller found, when IngestFiles itself failed), the failed state and the
 *    execution to redrive, to `runs/<pipeline>/<runId>.json` (`runs/_unknown/` before there is a run context). A
 *    redriven execution that fails again overwrites it with the newest failure and its redrive count.
 * 6. Sends the failure's notification (the state it stopped in, the error), if a notifier is wired; a failure already
 *    recorded (step 2) is not notified twice.
 * 7. Returns the error's name and message, the manifest's key and the state to redrive from.
 */
export async function recordFailure(rawInput: unknown, deps: RecordFailureDeps & Pick<RunReportDeps, 'report'>, failedChildren: readonly FailedChildExecution[] = []): Promise<Failure> {
  const failure = parseStateInput('RecordFailure', executionFailureSchema, rawInput);
  const error = describeCaughtError(failure.error);
  const parsed = failedStateSchema.safeParse(failure.state ?? {});
  // The input of NormalizeInput is whatever started the execution: kept as it came, with no run context.
  const state = parsed.success ? parsed.data : { raw: failure.state };
  const { run, ingest, ...stages } = state as z.infer<typeof failedStateSchema>;
  const runId = run?.runId ?? failure.executionName;
  const pipeline = run?.pipeline ?? '_unknown';
  const execution = { arn: failure.executionArn, status: failure.status, redriveCount: failure.redriveCount, ...(failure.failedState ? { failedState: failure.failedState } : {}) };
  const result: Failure = { Error: error.name, Cause: error.message, manifestKey: lakeLayout.runManifestKey(pipeline, runId), ...(failure.failedState ? { failedState: failure.failedState } : {}) };

  if (await alreadyRecorded(result.manifestKey, execution, deps)) {
    deps.logger.info('failure already recorded', { manifestKey: result.manifestKey, executionArn: execution.arn, redriveCount: execution.redriveCount });
    return result;
  }
  await stopRunJobs(state as z.infer<typeof failedStateSchema>, deps);
  // A candidate the gate let through but that never reached production is rejected, with the reason.
  const candidate = state.evaluation?.candidate;
  if (deps.registry && candidate && candidate.status === 'PendingManualApproval') {
    await deps.registry.decide(candidate, 'Rejected', `not deployed: ${error.name}: ${error.message}`);
  }
  // The IngestFiles map run wrote its results to the lake (core/manifest/ingest-results.ts): read them back.
  const results = ingest ? await readIngestResults(deps.store, ingest) : { files: [], failed: [] };
  const files = results.files;
  // A map run that failed past its threshold fails IngestFiles, whose input holds no results yet: the caller read
  // the failed children from the map run itself.
  const failedFiles = ingest ? results.failed : failedChildren.map(failedIngest);
  const manifest: RunManifest = {
    runId,
    pipeline,
    trigger: run?.trigger ?? 'unknown',
    status: 'FAILED',
    startedAt: run?.startedAt ?? failure.startTime,
    finishedAt: deps.clock().toISOString(),
    objects: run?.objects ?? [],
    rows: totalRows(files),
    ingest: await withCuratedKeys(files, deps),
    ...(failedFiles.length > 0 ? { failedFiles } : {}),
    error,
    execution,
    stages,
  };
  await writeManifest(manifest, deps);
  // The failed run's report beside its manifest (core/report/), when `deps.report` is wired: what ran, where it stopped.
  await writeRunReport(manifest, result.manifestKey, deps);
  await notifyRun(manifest, deps);
  // After the already-recorded check: a failure event delivered twice counts once.
  const metrics = deps.metrics ?? noMetrics;
  metrics.record(METRIC_NAMES.failures, 'Count', 1, { pipeline, state: failure.failedState ?? 'unknown' });
  const seconds = (Date.parse(manifest.finishedAt) - Date.parse(manifest.startedAt)) / 1000;
  if (Number.isFinite(seconds)) metrics.record(METRIC_NAMES.runDuration, 'Seconds', seconds, { pipeline, status: 'FAILED' });
  deps.logger.error('run failed', { manifestKey: result.manifestKey, error, failedState: failure.failedState, executionArn: failure.executionArn });
  return result;
}

/**
 * The Step Functions "Execution Status Change" event (EventBridge user guide, "Step Functions events"; Step Functions
 * developer guide, "EventBridge for Step Functions execution status changes": `detail` holds what DescribeExecution
 * returns, `status` one of RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED; `startDate` in epoch milliseconds).
 */
const statusChangeEventSchema = z
  .object({
    'source': z.literal('aws.states'),
    'detail-type': z.literal('Step Functions Execution Status Change'),
    'detail': z
      .object({
        executionArn: z.string().min(1),
        name: z.string().min(1),
        status: z.string(),
        startDate: z.number().optional(),
        redriveCount: z.number().int().nonnegative().optional(),
      })
      .passthrough(),
  })
  .passthrough();

const FAILED_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;

/**
 * The cloud's RecordFailure: the EventBridge rule (deploy/functions.js) sends every execution of the state machine that
 * failed, timed out or was aborted. Reads the execution's history newest first until it finds the state it stopped in
 * and that state's input (core/run/execution-failure.ts), then records the failure with {@link recordFailure}.
 * Returns undefined for an event of another status (the rule sends none).
 */
export async function recordExecutionFailure(event: unknown, deps: RecordExecutionFailureDeps & Pick<RunReportDeps, 'report'>): Promise<Failure | undefined> {
  const { detail } = parseStateInput('RecordFailure', statusChangeEventSchema, event);
  const status = FAILED_STATUSES.find((s) => s === detail.status);
  if (status === undefined) return undefined;
  // Newest first, a Distributed Map's MapRunStarted comes after its MapStateEntered and before the failed top-level
  // state's entry only when that state is the map: the map run seen on the way is the failed state's own.
  const seen: { mapRunArn?: string } = {};
  const point = await failureFromHistory(watchMapRuns(deps.history.newestFirst(detail.executionArn), seen), status);
  const children = seen.mapRunArn !== undefined && deps.mapRuns ? await deps.mapRuns.failedChildren(seen.mapRunArn, MAX_FAILED_FILES + 1) : [];
  if (children.length > MAX_FAILED_FILES) deps.logger.warn('more failed files than recorded', { mapRunArn: seen.mapRunArn, recorded: MAX_FAILED_FILES });
  const failure: ExecutionFailure = {
    executionArn: detail.executionArn,
    executionName: detail.name,
    startTime: new Date(detail.startDate ?? deps.clock().getTime()).toISOString(),
    status,
    redriveCount: detail.redriveCount ?? 0,
    ...(point.failedState ? { failedState: point.failedState } : {}),
    error: point.error,
    state: point.state ?? {},
  };
  return recordFailure(failure, deps, children.slice(0, MAX_FAILED_FILES));
}

/** Passes the history through, keeping the newest map run it meets (`MapRunStarted`'s mapRunArn) in `seen`. */
async function* watchMapRuns(events: AsyncIterable<HistoryEvent>, seen: { mapRunArn?: string }): AsyncIterable<HistoryEvent> {
  for await (const event of events) {
    const mapRunArn = event.mapRunStartedEventDetails?.mapRunArn;
    if (seen.mapRunArn === undefined && mapRunArn !== undefined) seen.mapRunArn = mapRunArn;
    yield event;
  }
}

/**
 * A failed child as the run manifest records a failed file, in the ResultWriter reader's shape
 * (core/manifest/ingest-results.ts): the object its input carried, its error (its status when it has none: a timeout)
 * and its cause (the Lambda error document, or the ECS task's SendTaskFailure cause).
 */
function failedIngest(child: FailedChildExecution): FailedIngest {
  const object = childObject(child.input);
  return { ...(object ? { object } : {}), error: child.error ?? child.status, cause: child.cause ?? '' };
}

function childObject(input: string | undefined): string | undefined {
  if (input === undefined) return undefined;
  try {
    const parsed = JSON.parse(input) as { object?: { bucket?: unknown; key?: unknown } } | null;
    const { bucket, key } = parsed?.object ?? {};
    return typeof bucket === 'string' && typeof key === 'string' ? `s3://${bucket}/${key}` : undefined;
  } catch {
    return undefined;
  }
}

async function alreadyRecorded(key: string, execution: { arn: string; redriveCount: number }, deps: RecordFailureDeps): Promise<boolean> {
  const text = await deps.store.getText({ bucket: deps.lakeBucket, key });
  if (text === undefined) return false;
  let recorded: Partial<RunManifest>;
  try {
    recorded = JSON.parse(text) as Partial<RunManifest>;
  } catch {
    return false;
  }
  return recorded.status === 'FAILED' && recorded.execution?.arn === execution.arn && recorded.execution.redriveCount === execution.redriveCount;
}

/**
 * Stops the run's training or tuning job, its feature queries and its evaluation transforms that had not ended when
 * the execution did.
 */
async function stopRunJobs(state: z.infer<typeof failedStateSchema>, deps: RecordFailureDeps): Promise<void> {
  const stops: Promise<void>[] = [];
  const { training, features, evaluationJobs } = state;
  if (deps.trainer && training && training.state !== 'Completed') {
    stops.push(training.mode === 'tune' ? deps.trainer.stopTuning(training.jobName) : deps.trainer.stopTraining(training.jobName));
  }
  if (deps.queryEngine && features && (features.query.state === 'QUEUED' || features.query.state === 'RUNNING')) {
    stops.push(deps.queryEngine.stopQuery(features.query.queryId));
  }
  const batchScorer = deps.batchScorer;
  if (batchScorer && evaluationJobs) {
    for (const job of evaluationJobs.jobs) if (job.state === 'InProgress') stops.push(batchScorer.stopTransform(job.jobName));
  }
  await Promise.all(stops);
  if (stops.length > 0) deps.logger.info('stopped the run jobs still running', { jobs: stops.length });
}
