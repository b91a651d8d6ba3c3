/**
 * Makes each text channel the one plain file BlazingText reads ("the algorithm expects a single preprocessed text
 * file", SageMaker developer guide, BlazingText algorithm, Input/Output Interface,
 * https://docs.aws.amazon.com/sagemaker/latest/dg/blazingtext.html) from the parts a TEXTFILE UNLOAD writes (always
 * gzip, several files written in parallel: https://docs.aws.amazon.com/athena/latest/ug/unload.html). Both runtimes
 * run it after the query: Athena's parts in the cloud, the local engine's identical-format part locally, so the
 * channel file is produced by one piece of code from the same lines.
 *
 * Line order: the channel query sorts by `to_hex(md5(to_utf8(line))), line` (core/text/channel-line.ts), and fastText
 * trains on lines in file order, so the order is part of the model. Athena keeps an ORDER BY within each file only:
 * "UNLOAD results are written to multiple files in parallel. If the SELECT query in the UNLOAD statement specifies a
 * sort order, each file's contents are in sorted order, but the files are not sorted relative to each other" (UNLOAD,
 * Considerations and limitations, "No global ordering of files"). Concatenating the parts, in whatever order their
 * names come, would give a line order that depends on how Athena split the rows among its writers. So the parts are
 * merged, not concatenated: a k-way merge of sorted parts by the same key gives the one globally sorted order, the
 * order the local engine's single part already has, whatever the number and names of the parts.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline as streamPipeline } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { ObjectRef, ObjectStore } from '../ports/object-store.js';

/** gzip's magic bytes (RFC 1952, 2.3.1: ID1 = 31, ID2 = 139). */
const GZIP_MAGIC = [0x1f, 0x8b] as const;

/** What {@link mergeChannelParts} did with one channel folder. */
export interface ChannelMerge {
  /** The channel file's key. */
  key: string;
  /** The parts merged into it, in key order (empty when a previous attempt merged). */
  parts: string[];
  bytes: number;
}

/**
 * Gunzips (when gzip) and merges, streaming, every object below `folder` except `fileName` into `<folder><fileName>`
 * (`text/plain`), in channel order (see the module comment: each part is sorted, the merge keeps the order across
 * them), then deletes the parts. Idempotent: a retry after the parts were deleted finds only the file and leaves it;
 * a retry before that merges the same parts again into the same bytes.
 */
export async function mergeChannelParts(store: ObjectStore, bucket: string, folder: string, fileName: string, workDir = tmpdir()): Promise<ChannelMerge> {
  const key = `${folder}${fileName}`;
  const objects = await store.list(bucket, folder);
  const parts = objects.filter((o) => o.key !== key && !o.key.endsWith('/')).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const existing = objects.find((o) => o.key === key);
  if (parts.length === 0 && existing !== undefined) return { key, parts: [], bytes: existing.size };
  const dir = await mkdtemp(path.join(workDir, 'sluice-channel-'));
  const copies: { path: string; release: () => Promise<void> }[] = [];
  try {
    const merged = path.join(dir, fileName);
    const out = createWriteStream(merged);
    for (const part of parts) copies.push(await store.localCopy({ bucket: part.bucket, key: part.key }, dir));
    const sources = await Promise.all(copies.map(async (copy) => lines(await openPart(copy.path))));
    await pipeline(mergeSorted(sources), writeInto(out));
    await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
    await store.putFile(merged, { bucket, key }, 'text/plain');
    await store.delete(parts.map((p): ObjectRef => ({ bucket: p.bucket, key: p.key })));
    return { key, parts: parts.map((p) => p.key), bytes: out.bytesWritten };
  } finally {
    for (const copy of copies) await copy.release();
    await rm(dir, { recursive: true, force: true });
  }
}

/** A part's bytes, gunzipped when it is gzip (a plain part is taken as it is). */
async function openPart(file: string): Promise<AsyncIterable<Buffer>> {
  const source = createReadStream(file);
  if (!(await isGzip(file))) return source;
  // stream.pipeline, not pipe: a read error reaches the gunzip stream, so the merge reading it fails.
  return streamPipeline(source, createGunzip(), () => undefined);
}

/** The lines of a part, as bytes without their `\n` (bytes, not strings: the sort key is over the UTF-8 bytes). */
async function* lines(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let rest = Buffer.alloc(0);
  for await (const chunk of chunks) {
    const bytes = rest.length === 0 ? chunk : Buffer.concat([rest, chunk]);
    let start = 0;
    for (let end = bytes.indexOf(0x0a, start); end >= 0; end = bytes.indexOf(0x0a, start)) {
      yield bytes.subarray(start, end);
      start = end + 1;
    }
    rest = Buffer.from(bytes.subarray(start));
  }
  if (rest.length > 0) yield rest;
}

/** One part's next line and its sort key. */
interface Head {
  readonly line: Buffer;
  readonly key: Buffer;
  readonly source: AsyncIterator<Buffer>;
}

/**
 * The channel query's ORDER BY, `to_hex(md5(to_utf8(line))), line`: upper-case hex sorts as the digest's bytes do,
 * and Trino compares varchars by their UTF-8 bytes (a tie on the md5 is the same line anyway).
 */
function before(a: Head, b: Head): boolean {
  const byKey = Buffer.compare(a.key, b.key);
  return byKey < 0 || (byKey === 0 && Buffer.compare(a.line, b.line) < 0);
}

async function next(source: AsyncIterator<Buffer>): Promise<Head | undefined> {
  const step = await source.next();
  if (step.done === true) return undefined;
  return { line: step.value, key: createHash('md5').update(step.value).digest(), source };
}

/** A k-way merge of sorted line sources (a binary min-heap of their heads), each line ended by `\n`. */
async function* mergeSorted(sources: readonly AsyncIterable<Buffer>[]): AsyncGenerator<Buffer> {
  const heap: Head[] = [];
  const at = (i: number): Head => heap[i] as Head;
  const swap = (i: number, j: number): void => {
    const t = at(i);
    heap[i] = at(j);
    heap[j] = t;
  };
  const siftUp = (start: number): void => {
    for (let i = start; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!before(at(i), at(parent))) return;
      swap(i, parent);
      i = parent;
    }
  };
  const siftDown = (): void => {
    for (let i = 0; ; ) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < heap.length && before(at(left), at(least))) least = left;
      if (right < heap.length && before(at(right), at(least))) least = right;
      if (least === i) return;
      swap(i, least);
      i = least;
    }
  };
  for (const source of sources) {
    const head = await next(source[Symbol.asyncIterator]());
    if (head !== undefined) {
      heap.push(head);
      siftUp(heap.length - 1);
    }
  }
  const newline = Buffer.from('\n');
  try {
    for (let top = heap[0]; top !== undefined; top = heap[0]) {
      yield Buffer.concat([top.line, newline]);
      const following = await next(top.source);
      if (following !== undefined) heap[0] = following;
      else {
        const last = heap.pop();
        if (last !== undefined && heap.length > 0) heap[0] = last;
      }
      siftDown();
    }
  } finally {
    // A merge stopped early (a failed write) closes the parts still being read.
    for (const head of heap) await head.source.return?.();
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
