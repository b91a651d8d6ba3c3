import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { Logger } from '../log/logger.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { IngestResult } from '../run/workflow-state.js';

/**
 * The key lists of one ingested file, kept in the lake rather than in the workflow state.
 *
 * Step Functions caps the input and output of a task, state or execution at "262,144 bytes of data as a UTF-8 encoded
 * string" (Step Functions developer guide, "Quotas for Standard Workflows"), and an output over it fails the execution
 * with States.DataLimitExceeded, a terminal error that a `States.ALL` Catch does not catch (developer guide, "Error
 * names"), so RecordFailure never runs. The guide's answer ("Use ARNs instead of passing large payloads"): keep the
 * data in S3 and pass where it is. A file partitioned into thousands of folders wrote thousands of keys, and the
 * IngestFiles Map gathers every file's result into `$.ingest`; so the state carries counts and prefixes, the key lists
 * go here, one object per input file of the run, and RecordRun and RecordFailure read them back into the run manifest.
 */
export const ingestListingSchema = z
  .object({
    /** The input file, `s3://bucket/key`. */
    source: z.string(),
    /** Every curated Parquet key the file wrote, sorted. */
    curatedKeys: z.array(z.string()),
  })
  .strict();

/** The key lists of one ingested file. */
export type IngestListing = z.infer<typeof ingestListingSchema>;

/**
 * Where one run's listings live: under `ingest/` (ValidateAndPartition's working area), in a `_runs` folder that no
 * pipeline name can take (names are lowercase letters, digits and dashes), so it never meets a pipeline's staging or
 * source records.
 */
export const ingestListingPrefix = (pipeline: string, runId: string): string => `ingest/_runs/${pipeline}/${runId}/`;

/**
 * The listing of one input object of a run: named after the object (not its content, which two objects of one run may
 * share), so a retried ingest of the same object overwrites its own listing.
 */
export function ingestListingKey(pipeline: string, runId: string, source: { bucket: string; key: string }): string {
  const id = createHash('sha256').update(`${source.bucket}/${source.key}`).digest('hex').slice(0, 16);
  return `${ingestListingPrefix(pipeline, runId)}${id}.json`;
}

/** Writes one file's listing. */
export async function writeIngestListing(store: ObjectStore, bucket: string, key: string, listing: IngestListing): Promise<void> {
  await store.putText({ bucket, key }, `${JSON.stringify(listing)}\n`, 'application/json');
}

/** A file of the run manifest: the file's result as the state carried it, with its curated keys read back. */
export type ManifestIngestFile = IngestResult & {
  /** Absent only when the listing could not be read (the manifest says so rather than failing the record). */
  curatedKeys?: string[];
};

/** How many listings are read at a time: a run of many files should not wait on one read after another. */
const READ_CONCURRENCY = 16;

/**
 * The run manifest's files: each file's state result with the curated keys of its listing. A listing that is missing
 * or unreadable is logged and left out (the file keeps its counts): recording the run matters more than the list.
 */
export async function withCuratedKeys(
  files: readonly IngestResult[],
  deps: { store: ObjectStore; lakeBucket: string; logger: Logger },
): Promise<ManifestIngestFile[]> {
  const out: ManifestIngestFile[] = new Array<ManifestIngestFile>(files.length);
  for (let start = 0; start < files.length; start += READ_CONCURRENCY) {
    const batch = files.slice(start, start + READ_CONCURRENCY);
    const read = await Promise.all(batch.map((file) => readListing(file, deps)));
    read.forEach((entry, i) => {
      out[start + i] = entry;
    });
  }
  return out;
}

async function readListing(file: IngestResult, deps: { store: ObjectStore; lakeBucket: string; logger: Logger }): Promise<ManifestIngestFile> {
  // Without s3:ListBucket a missing listing answers 403, not 404 (the recorders may only read the listings): any
  // failure to read one is treated as a listing that is not there.
  const text = await deps.store.getText({ bucket: deps.lakeBucket, key: file.listingKey }).catch(() => undefined);
  const parsed = text === undefined ? undefined : ingestListingSchema.safeParse(safeJson(text));
  if (!parsed?.success) {
    deps.logger.warn('ingest listing missing or unreadable: manifest keeps the counts only', { listingKey: file.listingKey, source: file.source.key });
    return { ...file };
  }
  return { ...file, curatedKeys: parsed.data.curatedKeys };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
