import { createHash } from 'node:crypto';
import * as z from 'zod';

/**
 * The EventBridge "Object Created" event S3 sends (only the fields Sluice reads): what the training upload rule queues
 * for start-run and what the scoring rule hands start-scoring-run.
 */
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

/**
 * The same event as a rule that targets a state machine directly delivers it, whole (Amazon S3 user guide, "Amazon
 * EventBridge event message structure"): both workflows' NormalizeInput states accept it, and check its source too.
 */
export const s3ObjectCreatedEventSchema = objectCreatedEventSchema.extend({ source: z.literal('aws.s3') });

/** Step Functions execution names are 1 to 80 characters. */
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
