import * as z from 'zod';
import { InvalidRunInputError, ObjectNotFoundError } from '../errors.js';
import type { SpecCatalog } from '../pipelines/spec-catalog.js';
import type { ObjectStore } from '../ports/object-store.js';
import { parseStateInput } from '../run/state-input.js';
import type { ScoringContext } from '../scoring/scoring-state.js';
import { SCORING_DROP_ZONE_PREFIX } from '../spec/schema.js';
import { objectKeyProblem } from '../trigger/object-key.js';
import { decodeAndCheckS3EventKey } from '../trigger/s3-event-key.js';
import { s3ObjectCreatedEventSchema } from '../trigger/object-created.js';

/** What NormalizeScoringInput needs. */
export interface NormalizeScoringInputDeps {
  store: ObjectStore;
  specs: SpecCatalog;
  lakeBucket: string;
}

/** The state's own input: the execution input and what the state machine knows of the execution. */
const inputSchema = z.object({ input: z.unknown(), executionName: z.string().min(1).max(80), startTime: z.string() }).strict();

/** A scoring run started by hand: the Step Functions console or `sluice score`. */
const manualInput = z.object({ pipeline: z.string().min(1), key: z.string().min(1), bucket: z.string().min(3).optional() }).strict();

/** An EventBridge "Object Created" event, when a rule targets the state machine directly. */
const s3EventInput = s3ObjectCreatedEventSchema;

const EXPECTED_INPUT = `Expected a scoring input like:
  {"pipeline": "churn", "key": "score/churn/new-customers.csv"}
  or an S3 "Object Created" event for a key under ${SCORING_DROP_ZONE_PREFIX}<pipeline>/`;

/**
 * NormalizeScoringInput: turns a file dropped in `score/<pipeline>/` (an EventBridge event), a console input or
 * `sluice score` into one scoring context, `$.scoring`.
 *
 * 1. Reads the execution input, name (the scoring run id) and start time (its date is the predictions' partition).
 * 2. Identifies the pipeline: named by a manual input, or the folder under `score/` of an event's (URL-decoded) key.
 *    An input of no known shape fails at once with InvalidRunInputError showing the expected shapes.
 * 3. Refuses a key that could resolve outside the lake, and a pipeline without features and training (nothing to
 *    score with); checks the file exists, at the event's version, with ObjectNotFoundError otherwise.
 */
export async function normalizeScoringInput(rawInput: unknown, deps: NormalizeScoringInputDeps): Promise<ScoringContext> {
  const { input, executionName, startTime } = parseStateInput('NormalizeScoringInput', inputSchema, rawInput);
  const { pipeline, object, trigger } = identify(input, deps.lakeBucket);
  const spec = deps.specs.get(pipeline);
  if (!spec.features || !spec.training) throw new InvalidRunInputError(`Pipeline ${spec.name} has no features and training sections: it has no model to score with`);
  const keyProblem = objectKeyProblem(object.key);
  if (keyProblem) throw new InvalidRunInputError(`Scoring file s3://${object.bucket}/${object.key} is refused: the key ${keyProblem}`);
  const info = await deps.store.head(object);
  if (!info) throw new ObjectNotFoundError(`Scoring file s3://${object.bucket}/${object.key} does not exist (pipeline "${spec.name}")`);
  return {
    scoreRunId: executionName,
    pipeline: spec.name,
    trigger,
    bucket: deps.lakeBucket,
    object: { bucket: object.bucket, key: object.key, etag: info.etag, size: info.size, ...(info.versionId ? { versionId: info.versionId } : {}) },
    startedAt: startTime,
    scoreDate: startTime.slice(0, 10),
  };
}

function identify(input: unknown, lakeBucket: string): { pipeline: string; object: { bucket: string; key: string; versionId?: string }; trigger: ScoringContext['trigger'] } {
  const manual = manualInput.safeParse(input);
  if (manual.success) return { pipeline: manual.data.pipeline, object: { bucket: manual.data.bucket ?? lakeBucket, key: manual.data.key }, trigger: 'manual' };
  const event = s3EventInput.safeParse(input);
  if (event.success) {
    const { key, problem } = decodeAndCheckS3EventKey(event.data.detail.object.key);
    if (problem) throw new InvalidRunInputError(`Scoring event key is refused: ${problem}`);
    const [zone, pipeline, ...rest] = key.split('/');
    if (`${zone ?? ''}/` !== SCORING_DROP_ZONE_PREFIX || !pipeline || rest.length === 0) {
      throw new InvalidRunInputError(`Scoring event for ${key}: not under ${SCORING_DROP_ZONE_PREFIX}<pipeline>/`);
    }
    const versionId = event.data.detail.object['version-id'];
    return { pipeline, object: { bucket: event.data.detail.bucket.name, key, ...(versionId ? { versionId } : {}) }, trigger: 'upload' };
  }
  throw new InvalidRunInputError(`The scoring input is not one Sluice knows: ${JSON.stringify(input)?.slice(0, 300) ?? 'undefined'}\n${EXPECTED_INPUT}`);
}
