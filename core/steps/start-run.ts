import { describeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { SpecCatalog } from '../pipelines/spec-catalog.js';
import { matchPipeline } from '../pipelines/spec-catalog.js';
import type { RunStarter } from '../ports/run-starter.js';
import type { QueuedUpload, UploadQueue } from '../ports/upload-queue.js';
import type { BatchObject } from '../trigger/coalescing.js';
import {
  COALESCING_MAX_WAIT_SECONDS,
  COALESCING_QUIET_SECONDS,
  DEFER_WHILE_RUNNING_SECONDS,
  DRAIN_MAX_MESSAGES,
  MAX_OBJECTS_PER_RUN,
  batchExecutionName,
  runsOfBatch,
} from '../trigger/coalescing.js';
import { objectCreatedEventSchema, uploadExecutionName } from '../trigger/object-created.js';
import { decodeAndCheckS3EventKey } from '../trigger/s3-event-key.js';

/** What start-run needs. */
export interface StartRunDeps {
  starter: RunStarter;
  queue: UploadQueue;
  specs: SpecCatalog;
  lakeBucket: string;
  logger: Logger;
  /** The current time, epoch milliseconds: what message ages are measured against. */
  now: () => number;
  /** Milliseconds left before the invocation times out (Lambda's `context.getRemainingTimeInMillis`). */
  remainingMs: () => number;
}

// Shared with start-scoring-run: moved to a topic module (steps do not import steps), re-exported for start-run's callers.
export { objectCreatedEventSchema, uploadExecutionName } from '../trigger/object-created.js';

/** One run start-run asked for. */
export interface StartedRun {
  status: 'started' | 'duplicate';
  pipeline: string;
  executionName: string;
  executionArn: string;
  objects: number;
}

/** Why a pipeline's messages went back to the queue. */
export type ReleaseReason = 'quiet' | 'running' | 'next-run';

/** What one drain did: what it received, the runs it started, what it sent back for a later tick. */
export interface StartRunResult {
  received: number;
  runs: StartedRun[];
  released: { pipeline: string; messages: number; reason: ReleaseReason }[];
  /** Messages that will never start a run (not an upload of a pipeline): deleted. */
  ignored: { messageId: string; reason: string }[];
  /** Pipelines whose run could not be started: their messages come back after the receive visibility timeout. */
  failed: { pipeline: string; messages: number }[];
}

/** Time kept back from receiving, for starting runs and deleting and releasing messages before the timeout. */
const RESERVE_MS = 15_000;

/**
 * The execution input of a run of uploads. One object keeps the single-upload input (and its name, so a run started
 * before coalescing and its redelivered event still meet); several take the batch form NormalizeInput reads, every
 * object at the version its event named.
 */
export function uploadRunInput(pipeline: string, objects: readonly BatchObject[]): { executionName: string; input: unknown } {
  const [only] = objects;
  if (only && objects.length === 1) {
    return {
      executionName: uploadExecutionName(pipeline, only.bucket, only.key, only.versionId ?? only.etag ?? ''),
      input: { trigger: 'upload', pipeline, object: only },
    };
  }
  return { executionName: batchExecutionName(pipeline, objects), input: { trigger: 'upload', pipeline, objects } };
}

/**
 * start-run: the coalescing queue's single reader (deploy/coalescing.js), invoked once a minute. It starts one run per
 * burst of uploads, and one run of a pipeline at a time.
 *
 * 1. Drains the queue: receives 10 messages at a time until it is empty, {@link DRAIN_MAX_MESSAGES} are in hand or the
 *    invocation's time runs short. A short poll samples only part of the queue, so an empty answer is confirmed by a
 *    1-second long poll, which asks all of it, before the drain ends.
 * 2. Reads each message's S3 "Object Created" event and finds the pipeline whose drop prefix holds its key. A message
 *    that will never start a run (another bucket, outside every drop prefix, a type the pipeline does not take, not an
 *    upload event) is logged and deleted.
 * 3. Per pipeline: a burst still arriving (its newest upload younger than {@link COALESCING_QUIET_SECONDS} and its
 *    oldest younger than {@link COALESCING_MAX_WAIT_SECONDS}) goes back to the queue for the next tick. So does a
 *    pipeline with an execution still running, upload run or not (deferred {@link DEFER_WHILE_RUNNING_SECONDS}).
 * 4. Otherwise starts one run for the pipeline's objects, each object version once, in key order, at most
 *    MAX_OBJECTS_PER_RUN; the rest go back to the queue and form the next run once this one has ended. The run's name
 *    comes from its content, so a run already started for the same objects is a duplicate that starts nothing.
 * 5. Deletes the messages a started (or duplicate) run covers. A pipeline whose start failed keeps its messages hidden:
 *    they come back after the receive visibility timeout and are tried again.
 */
export async function startRun(_event: unknown, deps: StartRunDeps): Promise<StartRunResult> {
  const messages = await drain(deps);
  const result: StartRunResult = { received: messages.length, runs: [], released: [], ignored: [], failed: [] };

  const unusable: QueuedUpload[] = [];
  const byPipeline = new Map<string, { message: QueuedUpload; object: BatchObject }[]>();
  for (const message of messages) {
    const read = uploadOf(message.body, deps);
    if ('reason' in read) {
      deps.logger.info('object ignored', { messageId: message.messageId, reason: read.reason });
      result.ignored.push({ messageId: message.messageId, reason: read.reason });
      unusable.push(message);
      continue;
    }
    const group = byPipeline.get(read.pipeline) ?? [];
    group.push({ message, object: read.object });
    byPipeline.set(read.pipeline, group);
  }
  // Sending them back would only loop them until the redrive policy moves them to the dead-letter queue.
  await deleteMessages(unusable, deps);

  const ready = new Map<string, { message: QueuedUpload; object: BatchObject }[]>();
  const now = deps.now();
  for (const [pipeline, group] of byPipeline) {
    const sent = group.map((g) => g.message.sentAt);
    const quietFor = now - Math.max(...sent);
    const waitedFor = now - Math.min(...sent);
    if (quietFor < COALESCING_QUIET_SECONDS * 1_000 && waitedFor < COALESCING_MAX_WAIT_SECONDS * 1_000) {
      await release(pipeline, group.map((g) => g.message), 0, 'quiet', result, deps);
    } else {
      ready.set(pipeline, group);
    }
  }
  if (ready.size === 0) return result;

  // Asked once a tick, and only when some pipeline is ready: a run started below is found here on the next tick.
  const running = await runningPipelines(deps);
  for (const [pipeline, group] of ready) {
    if (running.has(pipeline)) {
      await release(pipeline, group.map((g) => g.message), DEFER_WHILE_RUNNING_SECONDS, 'running', result, deps);
      continue;
    }
    const [objects = [], ...later] = runsOfBatch(group.map((g) => g.object), MAX_OBJECTS_PER_RUN);
    const inRun = new Set(objects.map(objectIdentity));
    const covered = group.filter((g) => inRun.has(objectIdentity(g.object))).map((g) => g.message);
    const { executionName, input } = uploadRunInput(pipeline, objects);
    try {
      const outcome = await deps.starter.start(executionName, input);
      const status = outcome.started ? 'started' : 'duplicate';
      deps.logger.info(outcome.started ? 'run started' : 'duplicate: the run exists already', { executionName, pipeline, objects: objects.length });
      result.runs.push({ status, pipeline, executionName, executionArn: outcome.executionArn, objects: objects.length });
    } catch (error) {
      deps.logger.error('could not start the run: its messages come back after the visibility timeout', { pipeline, error: describeError(error) });
      result.failed.push({ pipeline, messages: group.length });
      continue;
    }
    await deleteMessages(covered, deps);
    if (later.length > 0) {
      // The next run of this pipeline, once this one has ended: the next tick defers them while it runs.
      await release(pipeline, group.filter((g) => !inRun.has(objectIdentity(g.object))).map((g) => g.message), 0, 'next-run', result, deps);
    }
  }
  return result;
}

/** Receives every message the queue holds, up to the drain's cap and time budget. */
async function drain(deps: StartRunDeps): Promise<QueuedUpload[]> {
  const messages: QueuedUpload[] = [];
  while (messages.length < DRAIN_MAX_MESSAGES && deps.remainingMs() > RESERVE_MS) {
    let batch = await deps.queue.receive(0);
    // "If the number of messages in the queue is extremely small, you might not receive any messages in a particular
    // ReceiveMessage response" (SQS API reference, ReceiveMessage): a short poll samples some servers, a long poll asks
    // all of them (SQS developer guide, "Amazon SQS short and long polling"). Without this, the tail of a burst could
    // stay behind and start a second run.
    if (batch.length === 0) batch = await deps.queue.receive(1);
    if (batch.length === 0) break;
    messages.push(...batch);
  }
  return messages;
}

/**
 * The pipelines with an execution running. An upload run's name starts with its pipeline; any other execution (a
 * scheduled run, which EventBridge Scheduler starts without a name so Step Functions makes a unique one, or a manual
 * run) is described, and its input names the pipeline.
 */
async function runningPipelines(deps: StartRunDeps): Promise<Set<string>> {
  const pipelines = deps.specs.all().map((spec) => spec.name);
  const running = new Set<string>();
  for (const executionName of await deps.starter.runningExecutionNames()) {
    const owners = pipelines.filter((pipeline) => isRunOf(executionName, pipeline));
    if (owners.length === 0) {
      const input = await deps.starter.inputOf(executionName);
      const pipeline = typeof input === 'object' && input !== null && 'pipeline' in input ? input.pipeline : undefined;
      if (typeof pipeline === 'string') owners.push(pipeline);
    }
    for (const owner of owners) running.add(owner);
  }
  return running;
}

/** Whether an execution name is one of a pipeline's upload runs: `<pipeline>-<file>-<hash>` or `<pipeline>-<n>files-<hash>`. */
function isRunOf(executionName: string, pipeline: string): boolean {
  // A pipeline named like the start of another's run ("churn" and "churn-v2-...") counts as running too: that only
  // delays its run, never lets two overlap.
  return executionName.startsWith(`${pipeline.replace(/[^A-Za-z0-9_-]+/g, '_')}-`);
}

/** An object version, as runsOfBatch tells them apart. */
function objectIdentity(object: BatchObject): string {
  return `${object.bucket}\n${object.key}\n${object.versionId ?? object.etag ?? ''}`;
}

async function release(pipeline: string, messages: QueuedUpload[], visibilitySeconds: number, reason: ReleaseReason, result: StartRunResult, deps: StartRunDeps): Promise<void> {
  const { failed } = await deps.queue.release(messages, visibilitySeconds);
  // A message that could not be released comes back anyway, after the receive visibility timeout.
  if (failed.length > 0) deps.logger.warn('some messages could not be released', { pipeline, failed });
  deps.logger.info('messages back to the queue', { pipeline, messages: messages.length, reason, visibilitySeconds });
  result.released.push({ pipeline, messages: messages.length, reason });
}

async function deleteMessages(messages: QueuedUpload[], deps: StartRunDeps): Promise<void> {
  if (messages.length === 0) return;
  const { failed } = await deps.queue.delete(messages);
  // Received again, such a message names an upload a run has ingested: its run ingests that file again, which replaces
  // the rows the file produced (content-idempotent ingest), at the cost of a run.
  if (failed.length > 0) deps.logger.warn('some messages could not be deleted: they will come again', { failed });
}

/** The pipeline and object an upload event's record names, or why it starts no run. */
function uploadOf(body: string, deps: StartRunDeps): { pipeline: string; object: BatchObject } | { reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { reason: 'the message body is not JSON' };
  }
  const parsed = objectCreatedEventSchema.safeParse(json);
  if (!parsed.success) return { reason: 'not an S3 "Object Created" event' };
  const bucket = parsed.data.detail.bucket.name;
  const object = parsed.data.detail.object;
  const { key, problem } = decodeAndCheckS3EventKey(object.key);
  if (problem) return { reason: `the key "${key}" ${problem}` };
  if (bucket !== deps.lakeBucket) return { reason: `bucket "${bucket}" is not the lake bucket "${deps.lakeBucket}"` };
  const match = matchPipeline(deps.specs.all(), key);
  if (!match.spec) return { reason: match.reason };
  return {
    pipeline: match.spec.name,
    // Only the object's identity: a redelivered batch then sends the identical input, which Step Functions treats as
    // the same request.
    object: {
      bucket,
      key,
      ...(object['version-id'] ? { versionId: object['version-id'] } : {}),
      ...(object.etag ? { etag: object.etag } : {}),
      ...(object.size !== undefined ? { size: object.size } : {}),
    },
  };
}
