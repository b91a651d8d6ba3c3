import * as z from 'zod';
import { InvalidRunInputError, ObjectNotFoundError } from '../errors.js';
import type { SpecCatalog } from '../pipelines/spec-catalog.js';
import { matchPipeline } from '../pipelines/spec-match.js';
import { objectListKey, writeObjectList } from '../manifest/object-list.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { RunContext, RunObject } from '../run/run-context.js';
import { runContextSchema } from '../run/run-context.js';
import { parseStateInput } from '../run/state-input.js';
import { objectKeyProblem } from '../trigger/object-key.js';
import { noNewDataReason } from '../trigger/new-data.js';
import { decodeAndCheckS3EventKey } from '../trigger/s3-event-key.js';
import { s3ObjectCreatedEventSchema } from '../trigger/object-created.js';

/** What NormalizeInput needs. */
export interface NormalizeInputDeps {
  store: ObjectStore;
  specs: SpecCatalog;
  lakeBucket: string;
}

/**
 * The most objects a manual input may list: the run context carries them, and with the workflow state's 256 KiB
 * (about 250 bytes an object once described) a few hundred is the safe end. More files: give their folder (`prefix`).
 */
export const MAX_LISTED_OBJECTS = 500;

const objectInput = z.object({ bucket: z.string().min(3).optional(), key: z.string().min(1) }).strict();

/** The input `start-run` passes for an upload. */
const uploadInput = z
  .object({
    trigger: z.literal('upload'),
    pipeline: z.string().min(1),
    object: z.object({ bucket: z.string(), key: z.string(), versionId: z.string().optional(), etag: z.string().optional(), size: z.number().optional() }).strict(),
  })
  .strict();

/**
 * The input `start-run` passes for uploads the coalescing queue gathered into one run (core/trigger/coalescing.ts):
 * every object at the version its event named.
 */
const uploadBatchInput = z
  .object({
    trigger: z.literal('upload'),
    pipeline: z.string().min(1),
    objects: z
      .array(z.object({ bucket: z.string(), key: z.string(), versionId: z.string().optional(), etag: z.string().optional(), size: z.number().optional() }).strict())
      .min(1)
      .max(MAX_LISTED_OBJECTS),
  })
  .strict();

/** An EventBridge "Object Created" event, when a rule targets the state machine directly. */
const s3EventInput = s3ObjectCreatedEventSchema;

/** A scheduled retraining: no new data, the pipeline's curated table as it is. */
const scheduleInput = z.object({ trigger: z.literal('schedule'), pipeline: z.string().min(1) }).strict();

/** A run started by hand (Step Functions console, `sluice run`). */
const manualInput = z
  .object({
    pipeline: z.string().min(1),
    key: z.string().min(1).optional(),
    objects: z.array(objectInput).max(MAX_LISTED_OBJECTS).optional(),
    /** A folder of the lake bucket: every object under it is an input (a data engineer's export of thousands of files). */
    prefix: z.string().min(1).optional(),
  })
  .strict()
  .refine((m) => [m.key, m.objects, m.prefix].filter((v) => v !== undefined).length <= 1, 'give one of "key", "objects" or "prefix"');

const EXPECTED_MANUAL_INPUT = `Expected a manual input like:
  {"pipeline": "churn", "key": "incoming/churn/telco_churn.csv"}
  {"pipeline": "churn", "objects": [{"key": "incoming/churn/a.csv"}, {"key": "incoming/churn/b.csv"}]}
  {"pipeline": "churn", "prefix": "incoming/churn/export-2026-11/"}   (every file under the folder)
  {"pipeline": "churn"}   (retrain on the data already curated)`;

/** NormalizeInput's own input: the execution input plus what the state machine knows about the execution. */
export const normalizeInputSchema = z
  .object({
    input: z.unknown(),
    executionName: z.string().min(1).max(80),
    startTime: z.string(),
  })
  .strict();

/**
 * NormalizeInput: turns an upload, an S3 event, a schedule or a manual input into one run context, `$.run`.
 *
 * 1. Reads the execution input, the execution's name (the run id) and its start time.
 * 2. Identifies the trigger and the pipeline (an S3 event's key is matched against the pipelines' drop zones), and
 *    checks the pipeline exists; an input of no known shape fails with InvalidRunInputError, showing the expected
 *    input.
 * 3. Refuses a key that could resolve outside the lake (`..`, absolute, backslash; S3 event keys are checked once
 *    decoded), then checks every input object exists and records its version (ETag, version id, size, last modified); a missing one
 *    fails with ObjectNotFoundError. An upload's object is looked up at the event's version id, so every later state
 *    reads the bytes the event announced.
 * 4. Writes the run's object list to the lake (core/manifest/object-list.ts): the IngestFiles Distributed Map reads
 *    its items from it. A folder input (`prefix`) is listed here, and its objects stay out of the state.
 * 5. Plans the run from the spec: features, training or tuning, deployment. A scheduled run with no curated data newer
 *    than the production model's trains nothing when the spec says `schedule.whenNoNewData: skip`
 *    (core/trigger/new-data.ts): `$.run.skipped` says why, and the run goes straight to RecordRun.
 * 6. Returns the run context.
 */
export async function normalizeInput(rawInput: unknown, deps: NormalizeInputDeps): Promise<RunContext> {
  const { input, executionName, startTime } = parseStateInput('NormalizeInput', normalizeInputSchema, rawInput);
  const { trigger, pipeline, objects, prefix } = identify(input, deps);
  const spec = deps.specs.get(pipeline);
  const described: RunObject[] = [];
  if (prefix !== undefined) described.push(...(await listFolder(prefix, deps)));
  for (const object of objects) {
    const bucket = object.bucket ?? deps.lakeBucket;
    // Checked on the decoded key, in every trigger: a key that could resolve outside the lake never reaches a step.
    const keyProblem = objectKeyProblem(object.key);
    const problem = keyProblem ? `the key ${keyProblem}` : bucketProblem(bucket);
    if (problem) throw new InvalidRunInputError(`Input object s3://${bucket}/${object.key} is refused: ${problem}`);
    // An upload names the version its event is about: the run reads that version, even if the key was overwritten since
    // (the new version has an event, and a run, of its own).
    const info = await deps.store.head({ bucket, key: object.key, ...(object.versionId ? { versionId: object.versionId } : {}) });
    if (!info) throw new ObjectNotFoundError(`Input object s3://${bucket}/${object.key} does not exist (pipeline "${spec.name}")`);
    described.push({
      bucket,
      key: object.key,
      etag: info.etag,
      size: info.size,
      lastModified: info.lastModified,
      ...(info.versionId ? { versionId: info.versionId } : {}),
    });
  }
  // The object list in the lake is what IngestFiles maps over; the state names the objects only when they were named.
  const objectList =
    described.length === 0
      ? undefined
      : {
          bucket: deps.lakeBucket,
          key: objectListKey(spec.name, executionName),
          count: described.length,
          bytes: described.reduce((n, o) => n + (o.size ?? 0), 0),
          largeFileBytes: spec.source.largeFileBytes,
        };
  if (objectList) await writeObjectList(deps.store, objectList.bucket, objectList.key, described);
  // A scheduled run with no new data since the production model's follows the spec (`schedule.whenNoNewData`).
  const skipped = trigger === 'schedule' ? await noNewDataReason(spec, deps.store, deps.lakeBucket) : undefined;
  return runContextSchema.parse({
    runId: executionName,
    pipeline: spec.name,
    trigger,
    objects: prefix === undefined ? described : [],
    ...(objectList ? { objectList } : {}),
    bucket: deps.lakeBucket,
    startedAt: startTime,
    ...(skipped ? { skipped } : {}),
    plan: skipped
      ? { features: false, training: 'none', deploy: false }
      : {
          features: spec.features !== undefined,
          training: spec.training === undefined || spec.features === undefined ? 'none' : spec.tuning?.enabled ? 'tune' : 'train',
          deploy: spec.deployment !== undefined && spec.training !== undefined,
        },
  });
}

/**
 * Every object under a folder of the lake bucket, described as NormalizeInput describes a named object (the listing
 * gives ETag, size and last modified). The folder must be a folder (end with `/`), its keys are confined like any key,
 * and an empty folder is an error: a run of nothing is a mistake, not a retraining.
 */
async function listFolder(prefix: string, deps: NormalizeInputDeps): Promise<RunObject[]> {
  const keyProblem = prefix.endsWith('/') ? objectKeyProblem(`${prefix}x`) : 'must end with "/"';
  if (keyProblem) throw new InvalidRunInputError(`Input folder s3://${deps.lakeBucket}/${prefix} is refused: the folder ${keyProblem}`);
  const listed = (await deps.store.list(deps.lakeBucket, prefix)).filter((o) => !o.key.endsWith('/'));
  if (listed.length === 0) throw new ObjectNotFoundError(`Input folder s3://${deps.lakeBucket}/${prefix} holds no objects`);
  return listed.map((o) => {
    const problem = objectKeyProblem(o.key);
    if (problem) throw new InvalidRunInputError(`Input object s3://${deps.lakeBucket}/${o.key} is refused: the key ${problem}`);
    return { bucket: deps.lakeBucket, key: o.key, etag: o.etag, size: o.size, lastModified: o.lastModified };
  });
}

/** A bucket name is one path segment locally: it may not climb or hold a separator. */
function bucketProblem(bucket: string): string | undefined {
  return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) && !bucket.includes('..') ? undefined : `"${bucket}" is not a valid S3 bucket name`;
}

function identify(
  input: unknown,
  deps: NormalizeInputDeps,
): { trigger: RunContext['trigger']; pipeline: string; objects: { bucket?: string; key: string; versionId?: string }[]; prefix?: string } {
  const upload = uploadInput.safeParse(input);
  if (upload.success) {
    const { bucket, key, versionId } = upload.data.object;
    return { trigger: 'upload', pipeline: upload.data.pipeline, objects: [{ bucket, key, ...(versionId ? { versionId } : {}) }] };
  }
  const uploads = uploadBatchInput.safeParse(input);
  if (uploads.success) {
    const objects = uploads.data.objects.map(({ bucket, key, versionId }) => ({ bucket, key, ...(versionId ? { versionId } : {}) }));
    return { trigger: 'upload', pipeline: uploads.data.pipeline, objects };
  }
  const event = s3EventInput.safeParse(input);
  if (event.success) {
    const { key } = decodeAndCheckS3EventKey(event.data.detail.object.key);
    const match = matchPipeline(deps.specs.all(), key);
    if (!match.spec) throw new InvalidRunInputError(`The uploaded object does not start a run: ${match.reason}`);
    const versionId = event.data.detail.object['version-id'];
    return { trigger: 'upload', pipeline: match.spec.name, objects: [{ bucket: event.data.detail.bucket.name, key, ...(versionId ? { versionId } : {}) }] };
  }
  const schedule = scheduleInput.safeParse(input);
  if (schedule.success) return { trigger: 'schedule', pipeline: schedule.data.pipeline, objects: [] };
  const manual = manualInput.safeParse(input);
  if (manual.success) {
    const { pipeline, key, objects, prefix } = manual.data;
    const list = objects ?? (key ? [{ key }] : []);
    return { trigger: 'manual', pipeline, objects: list.map((o) => ({ key: o.key, ...(o.bucket ? { bucket: o.bucket } : {}) })), ...(prefix ? { prefix } : {}) };
  }
  const problems = manual.error.issues.map((i) => `  - ${i.path.length ? i.path.join('.') : '(input)'}: ${i.message}`).join('\n');
  throw new InvalidRunInputError(`The run input is not an upload, a schedule or a manual input:\n${problems}\n${EXPECTED_MANUAL_INPUT}`);
}
