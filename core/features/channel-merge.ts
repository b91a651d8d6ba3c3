/**
 * Makes each text channel the one plain file BlazingText reads ("the algorithm expects a single preprocessed text
 * file", SageMaker developer guide, BlazingText algorithm, Input/Output Interface,
 * https://docs.aws.amazon.com/sagemaker/latest/dg/blazingtext.html) from the parts a TEXTFILE UNLOAD writes (always
 * gzip, several files written in parallel: https://docs.aws.amazon.com/athena/latest/ug/unload.html). Both runtimes
 * run it after the query: Athena's parts in the cloud, the local engine's identical-format part locally, so the
 * channel file is produced by one piece of code from the same lines.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { ObjectRef, ObjectStore } from '../ports/object-store.js';

/** gzip's magic bytes (RFC 1952, 2.3.1: ID1 = 31, ID2 = 139). */
const GZIP_MAGIC = [0x1f, 0x8b] as const;

/** What {@link mergeChannelParts} did with one channel folder. */
export interface ChannelMerge {
  /** The channel file's key. */
  key: string;
  /** The parts merged into it, in the order their bytes were appended (empty when a previous attempt merged). */
  parts: string[];
  bytes: number;
}

/**
 * Gunzips (when gzip) and concatenates, streaming, in key order, every object below `folder` except `fileName`, into
 * `<folder><fileName>` (`text/plain`), then deletes the parts. Idempotent: a retry after the parts were deleted finds
 * only the file and leaves it; a retry before that merges the same parts again into the same bytes.
 */
export async function mergeChannelParts(store: ObjectStore, bucket: string, folder: string, fileName: string, workDir = tmpdir()): Promise<ChannelMerge> {
  const key = `${folder}${fileName}`;
  const objects = await store.list(bucket, folder);
  const parts = objects.filter((o) => o.key !== key && !o.key.endsWith('/')).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const existing = objects.find((o) => o.key === key);
  if (parts.length === 0 && existing !== undefined) return { key, parts: [], bytes: existing.size };
  const dir = await mkdtemp(path.join(workDir, 'sluice-channel-'));
  try {
    const merged = path.join(dir, fileName);
    const out = createWriteStream(merged);
    for (const part of parts) await appendPart(store, part, dir, out);
    await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
    await store.putFile(merged, { bucket, key }, 'text/plain');
    await store.delete(parts.map((p): ObjectRef => ({ bucket: p.bucket, key: p.key })));
    return { key, parts: parts.map((p) => p.key), bytes: out.bytesWritten };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function appendPart(store: ObjectStore, part: ObjectRef, workDir: string, out: NodeJS.WritableStream): Promise<void> {
  const copy = await store.localCopy({ bucket: part.bucket, key: part.key }, workDir);
  try {
    const gzip = await isGzip(copy.path);
    const source = createReadStream(copy.path);
    // `end: false` keeps the channel file open for the next part.
    if (gzip) await pipeline(source, createGunzip(), writeInto(out));
    else await pipeline(source, writeInto(out));
  } finally {
    await copy.release();
  }
}

/** A sink that writes into `out` without ending it, honouring its back-pressure. */
function writeInto(out: NodeJS.WritableStream): (chunks: AsyncIterable<Buffer>) => Promise<void> {
  return async (chunks) => {
    for await (const chunk of chunks) {
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', resolve));
    }
  };
}

async function isGzip(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  } finally {
    await handle.close();
  }
}
