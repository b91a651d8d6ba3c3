import * as z from 'zod';
import type { ObjectStore } from '../ports/object-store.js';
import type { IngestResult, IngestSection } from '../run/workflow-state.js';
import { ingestResultSchema } from '../run/workflow-state.js';

/**
 * The IngestFiles Distributed Map's results, as its ResultWriter leaves them in the lake: a `manifest.json` naming the
 * result files by status, each result file a JSON array of the child executions with their `Output` as a JSON string
 * (Step Functions developer guide, "ResultWriter (Map)"; with no `WriterConfig` the transformation is NONE: the
 * execution's metadata and its output as it is). The state holds only where the manifest is (`$.ingest.results`), so
 * ten thousand files' results never enter it.
 */
export const resultWriterManifestSchema = z.object({
  ResultFiles: z.object({
    SUCCEEDED: z.array(z.object({ Key: z.string() }).passthrough()).default([]),
    FAILED: z.array(z.object({ Key: z.string() }).passthrough()).default([]),
    PENDING: z.array(z.object({ Key: z.string() }).passthrough()).default([]),
  }).passthrough(),
}).passthrough();

/** One child execution in a result file. */
export const childExecutionSchema = z
  .object({
    Name: z.string().optional(),
    Status: z.string(),
    Input: z.string().optional(),
    Output: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
    Error: z.string().optional(),
    Cause: z.string().optional(),
  })
  .passthrough();

/** A child execution of the map run that did not succeed: the file it had and why it failed. */
export interface FailedIngest {
  object?: string;
  error: string;
  cause: string;
}

/** The map run's results: every succeeded file's result, and the children that failed. */
export interface IngestResults {
  files: IngestResult[];
  failed: FailedIngest[];
}

/**
 * Reads every file's result of a run's ingest from the ResultWriter's manifest: succeeded children's outputs (the
 * step's IngestResult), and failed children's error and the object they had, for the run manifest and the failure
 * record. Files are in the order of the object list, as the inline Map kept them.
 */
export async function readIngestResults(store: ObjectStore, section: IngestSection): Promise<IngestResults> {
  const { bucket, key } = section.results;
  const manifest = resultWriterManifestSchema.parse(JSON.parse((await store.getText({ bucket, key })) ?? '{}'));
  const files: { index: number; result: IngestResult }[] = [];
  const failed: FailedIngest[] = [];
  for (const ref of manifest.ResultFiles.SUCCEEDED) {
    for (const child of await readResultFile(store, bucket, ref.Key)) {
      const output = typeof child.Output === 'string' ? (JSON.parse(child.Output) as unknown) : child.Output;
      files.push({ index: childIndex(child.Input), result: ingestResultSchema.parse(output) });
    }
  }
  for (const ref of [...manifest.ResultFiles.FAILED, ...manifest.ResultFiles.PENDING]) {
    for (const child of await readResultFile(store, bucket, ref.Key)) {
      const object = inputObject(child.Input);
      failed.push({ ...(object ? { object } : {}), error: child.Error ?? child.Status, cause: child.Cause ?? '' });
    }
  }
  return { files: files.sort((a, b) => a.index - b.index || a.result.source.key.localeCompare(b.result.source.key)).map((f) => f.result), failed };
}

async function readResultFile(store: ObjectStore, bucket: string, key: string): Promise<z.infer<typeof childExecutionSchema>[]> {
  const text = await store.getText({ bucket, key });
  return z.array(childExecutionSchema).parse(JSON.parse(text ?? '[]'));
}

/** The child's position in the object list, when its input says (the local map run adds it; AWS names children by UUID). */
function childIndex(input: string | undefined): number {
  const parsed = parseInput(input);
  return typeof parsed?.index === 'number' ? parsed.index : Number.MAX_SAFE_INTEGER;
}

function inputObject(input: string | undefined): string | undefined {
  const object = parseInput(input)?.object;
  if (object === null || typeof object !== 'object') return undefined;
  const { bucket, key } = object as { bucket?: unknown; key?: unknown };
  return typeof bucket === 'string' && typeof key === 'string' ? `s3://${bucket}/${key}` : undefined;
}

function parseInput(input: string | undefined): Record<string, unknown> | undefined {
  if (input === undefined) return undefined;
  try {
    const parsed = JSON.parse(input) as unknown;
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
