import { createHash } from 'node:crypto';

/**
 * Many files, one run: how uploads that arrive close together are gathered into one run, in both runtimes
 * (docs/operations-coalescing.md).
 *
 * The cloud gathers them in an SQS queue that start-run drains once a minute as its single reader (EventBridge Scheduler,
 * reserved concurrency 1: deploy/coalescing.js). A pipeline's uploads start a run once the newest is
 * {@link COALESCING_QUIET_SECONDS} old, or the oldest {@link COALESCING_MAX_WAIT_SECONDS}; until then they go back to
 * the queue. The local watcher (local/runtime/drop-zone-watcher.ts) applies the same two limits to the files it sees.
 * deploy/coalescing.js repeats the numbers the template needs; a package test checks they agree.
 */

/** A burst has ended once no upload of the pipeline has arrived for this long. */
export const COALESCING_QUIET_SECONDS = 30;

/** ... or once its first upload has waited this long, whether uploads still arrive or not. */
export const COALESCING_MAX_WAIT_SECONDS = 300;

/** How often the scheduler invokes start-run's drain: `rate(1 minute)`, the finest rate a schedule takes. */
export const DRAIN_TICK_SECONDS = 60;

/** The most messages one drain receives: a bigger backlog waits for the next tick (each tick sees a different part of it). */
export const DRAIN_MAX_MESSAGES = 10_000;

/**
 * How long a received message stays hidden from other receives. Longer than start-run's timeout (50 s in
 * deploy/coalescing.js), so a drain that dies mid-way cannot have its messages received by the next tick while it still
 * holds them; they come back on their own after this.
 */
export const RECEIVE_VISIBILITY_SECONDS = 120;

/**
 * How long the messages of a pipeline whose run is still going stay hidden before the drain looks again. Each look is a
 * receive, and SQS counts receives towards the redrive policy's maxReceiveCount: two minutes keeps a day-long run at 720
 * receives, under the queue's maxReceiveCount of 1,000.
 */
export const DEFER_WHILE_RUNNING_SECONDS = 120;

/**
 * The most objects one run of a batch lists: NormalizeInput's MAX_LISTED_OBJECTS (its input schema refuses more; a
 * unit test keeps the two equal). A larger burst starts a run per this many objects, one after another.
 */
export const MAX_OBJECTS_PER_RUN = 500;

/** One object of a batch, as its event named it. */
export interface BatchObject {
  bucket: string;
  key: string;
  versionId?: string;
  etag?: string;
  size?: number;
}

const NAME_LIMIT = 80;

/** The version a batch's name and its duplicate check go by: the version id, else the ETag. */
function versionOf(object: BatchObject): string {
  return object.versionId ?? object.etag ?? '';
}

/**
 * The objects of a batch, each object version once, in key order, cut into runs of at most `maxPerRun` objects (a run's
 * input lists its objects, NormalizeInput takes at most MAX_LISTED_OBJECTS). A duplicated event inside one batch names
 * an object version twice: it is listed once. The order makes the cut, and so each run's name, independent of the order
 * the queue delivered the events in.
 */
export function runsOfBatch(objects: readonly BatchObject[], maxPerRun: number): BatchObject[][] {
  if (!Number.isInteger(maxPerRun) || maxPerRun < 1) throw new RangeError(`maxPerRun must be a positive integer, got ${maxPerRun}`);
  const unique = new Map<string, BatchObject>();
  for (const object of objects) unique.set(`${object.bucket}\n${object.key}\n${versionOf(object)}`, object);
  const sorted = [...unique.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, object]) => object);
  const runs: BatchObject[][] = [];
  for (let i = 0; i < sorted.length; i += maxPerRun) runs.push(sorted.slice(i, i + maxPerRun));
  return runs;
}

/**
 * The execution name of a run of several uploads: readable (pipeline, file count) and derived from the content of the
 * batch (every object's bucket, key and version, in key order), so a redelivered batch asks for the same name and Step
 * Functions starts nothing new. At most 80 characters of `[A-Za-z0-9_-]`, as Step Functions requires.
 */
export function batchExecutionName(pipeline: string, objects: readonly BatchObject[]): string {
  const lines = objects.map((o) => `${o.bucket}\n${o.key}\n${versionOf(o)}`).sort();
  const hash = createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
  const tail = `${objects.length}files-${hash}`;
  const head = pipeline.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, NAME_LIMIT - tail.length - 1);
  return `${head}-${tail}`;
}
