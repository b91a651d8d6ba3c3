import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { Logger } from '../log/logger.js';
import type { SpecCatalog } from '../pipelines/spec-catalog.js';
import { matchPipeline } from '../pipelines/spec-catalog.js';
import type { RunStarter } from '../ports/run-starter.js';
import { decodeAndCheckS3EventKey } from '../trigger/s3-event-key.js';

/** What start-run needs. */
export interface StartRunDeps {
  starter: RunStarter;
  specs: SpecCatalog;
  lakeBucket: string;
  logger: Logger;
}

/** The EventBridge "Object Created" event S3 sends (only the fields Sluice reads). */
export const objectCreatedEventSchema = z.object({
  'detail-type': z.literal('Object Created'),
  detail: z.object({
    bucket: z.object({ name: z.string().min(3) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().int().nonnegative().optional(),
      etag: z.string().optional(),
      'version-id': z.string().optional(),
      sequencer: z.string().optional(),
    }),
  }),
});

/** What start-run did with an event. */
export type StartRunResult =
  | { status: 'started' | 'duplicate'; executionName: string; executionArn: string; pipeline: string }
  | { status: 'ignored'; reason: string };

const NAME_LIMIT = 80;

/**
 * The execution name of an upload's run: readable (pipeline and file name) and deterministic (a hash of bucket,
 * key and version id or ETag), so a duplicated event asks for the same name and starts nothing new.
 */
export function uploadExecutionName(pipeline: string, bucket: string, key: string, version: string): string {
  const hash = createHash('sha256').update(`${bucket}\n${key}\n${version}`).digest('hex').slice(0, 16);
  const fileName = (key.split('/').pop() ?? 'object').replace(/[^A-Za-z0-9_-]+/g, '_');
  const head = `${pipeline}-${fileName}`.slice(0, NAME_LIMIT - hash.length - 1).replace(/[-_]+$/, '');
  return `${head}-${hash}`;
}

/**
 * start-run: receives S3 "Object Created" events from EventBridge and starts one workflow execution per new object
 * version.
 * - decodes the key (URL-encoded, "+" for spaces) and finds the pipeline whose drop prefix holds it;
 * - ignores, with a log line, objects of another bucket, outside every drop prefix, or of a type the pipeline does
 *   not take;
 * - derives the execution name from bucket, key and version, so a duplicated event is reported, not started.
 */
export async function startRun(event: unknown, deps: StartRunDeps): Promise<StartRunResult> {
  const parsed = objectCreatedEventSchema.safeParse(event);
  if (!parsed.success) return ignore(deps, 'not an S3 "Object Created" event');
  const bucket = parsed.data.detail.bucket.name;
  const object = parsed.data.detail.object;
  const { key, problem } = decodeAndCheckS3EventKey(object.key);
  if (problem) return ignore(deps, `the key "${key}" ${problem}`);
  if (bucket !== deps.lakeBucket) return ignore(deps, `bucket "${bucket}" is not the lake bucket "${deps.lakeBucket}"`);
  const match = matchPipeline(deps.specs.all(), key);
  if (!match.spec) return ignore(deps, match.reason);
  const version = object['version-id'] ?? object.etag ?? object.sequencer ?? '';
  const executionName = uploadExecutionName(match.spec.name, bucket, key, version);
  // The input carries only the object's identity: a duplicated event then sends the identical input, which Step
  // Functions treats as the same request.
  const input = {
    trigger: 'upload',
    pipeline: match.spec.name,
    object: {
      bucket,
      key,
      ...(object['version-id'] ? { versionId: object['version-id'] } : {}),
      ...(object.etag ? { etag: object.etag } : {}),
      ...(object.size !== undefined ? { size: object.size } : {}),
    },
  };
  const outcome = await deps.starter.start(executionName, input);
  const status = outcome.started ? 'started' : 'duplicate';
  deps.logger.info(outcome.started ? 'run started' : 'duplicate event: run already exists', { executionName, key, pipeline: match.spec.name });
  return { status, executionName, executionArn: outcome.executionArn, pipeline: match.spec.name };
}

function ignore(deps: StartRunDeps, reason: string): StartRunResult {
  deps.logger.info('object ignored', { reason });
  return { status: 'ignored', reason };
}
