import * as z from 'zod';
import type { ObjectStore } from '../ports/object-store.js';
import type { RunObject } from '../run/run-context.js';
import { runObjectSchema } from '../run/run-context.js';
import { ingestListingPrefix } from './ingest-listing.js';

/**
 * The input objects of a run, kept in the lake as one JSON array: the IngestFiles Distributed Map reads its items from
 * it (`ItemReader` with `ReaderConfig.InputType` JSON over `s3:getObject`: "a JSON file ... that contains an array";
 * Step Functions developer guide, "ItemReader (Map)"), so the object list never has to pass through the state, whose
 * 256 KiB would hold about a thousand objects.
 *
 * Why a list NormalizeInput writes rather than an S3 listing of the drop zone (`s3:listObjectsV2` as the reader): the
 * run ingests exactly the objects NormalizeInput checked (keys confined to the lake, each present at the version its
 * event named, with its ETag and size), a file dropped into the prefix after the run started belongs to a run of its
 * own, and every item has the run object's shape, `size` included, which the ingest route's Choice reads.
 */
export const objectListSchema = z.array(runObjectSchema);

/** Where a run's object list lives: beside its ingest listings (`ingest/_runs/<pipeline>/<runId>/`). */
export const objectListKey = (pipeline: string, runId: string): string => `${ingestListingPrefix(pipeline, runId)}objects.json`;

/** Writes a run's object list; a retried NormalizeInput writes the same list again. */
export async function writeObjectList(store: ObjectStore, bucket: string, key: string, objects: readonly RunObject[]): Promise<void> {
  await store.putText({ bucket, key }, `${JSON.stringify(objects)}\n`, 'application/json');
}

/** Reads a run's object list back (the local Distributed Map, and tests). */
export async function readObjectList(store: ObjectStore, bucket: string, key: string): Promise<RunObject[]> {
  const text = await store.getText({ bucket, key });
  if (text === undefined) throw new Error(`The object list s3://${bucket}/${key} does not exist`);
  return objectListSchema.parse(JSON.parse(text));
}
