/**
 * `model.tar.gz` as BlazingText writes it in supervised mode: a gzip tarball holding `model.bin`, fastText's binary
 * model ("Training with supervised outputs creates a model.bin file that can be consumed by BlazingText hosting";
 * "the binaries (*.bin) produced by BlazingText can be cross-consumed by fastText and vice versa", BlazingText
 * algorithm page, https://docs.aws.amazon.com/sagemaker/latest/dg/blazingtext.html). Only `model.bin`: fastText's
 * `.vec` word vectors are not needed to serve, and the label mapping is the dictionary's own labels (decoded by
 * `core/text/label-mapping.ts`, which needs no state).
 *
 * Deterministic bytes: one entry with a fixed mtime (the epoch), mode 0644, no owner (tar's `portable`), and a gzip
 * header without a time (Node's zlib writes MTIME 0).
 *
 * Deflate with zlib's `Z_RLE` strategy (level 1): `model.bin` is mostly the input matrix, buckets × dim float32s, of
 * which the rows no n-gram reached keep fastText's initial values; with one thread fastText 0.9.2 initialises only the
 * first tenth of the matrix (`DenseMatrix::uniformThread` fills block 0 of 10) and the rest stays 0.0, and trained
 * floats hold no repeated strings for LZ77 to find. Runs and Huffman codes are where the gain is, which is what Z_RLE
 * keeps ("Z_RLE is designed to be almost as fast as Z_HUFFMAN_ONLY, but give better compression for PNG image data",
 * zlib manual, deflateInit2, https://www.zlib.net/manual.html). Measured on the reviews model with BlazingText's
 * 2,000,000 buckets (403 MB): level 1 default strategy 58.5 MB in 4.8-6.0 s, Z_RLE 57.1 MB in 1.5-2.8 s, stored
 * (level 0) 403 MB. Still a standard gzip stream: any gunzip (and SageMaker) reads it.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { constants as zlibConstants, createGzip } from 'node:zlib';
import * as tar from 'tar';
import { FastTextError, FastTextProcessError } from './errors.js';
import { modelFileSize, parseModelHeader } from './sparse-scorer.js';
import type { ModelHeader } from './sparse-scorer.js';

/** The model file inside the archive, as BlazingText names it. */
export const FASTTEXT_MODEL_FILE = 'model.bin';

/** The fixed mtime of every archive entry. */
const EPOCH = new Date(0);

/** The deflate settings of every archive (see the module comment). */
const GZIP_OPTIONS = { level: 1, strategy: zlibConstants.Z_RLE } as const;

/** A tar block: entries and their data are padded to it, and two zero blocks end the archive (POSIX ustar). */
const TAR_BLOCK = 512;

/** Writes `<outputDir>/model.tar.gz` holding `<sourceDir>/model.bin`; returns the archive path. */
export async function writeFastTextArchive(outputDir: string, sourceDir: string): Promise<string> {
  await mkdir(outputDir, { recursive: true });
  const archive = join(outputDir, 'model.tar.gz');
  await tar.create({ gzip: GZIP_OPTIONS, file: archive, cwd: sourceDir, portable: true, mtime: EPOCH, noDirRecurse: true }, [FASTTEXT_MODEL_FILE]);
  return archive;
}

/**
 * Bytes handed to zlib at a time, and its output buffer: a pipe delivers 64 KiB at a time, and each zlib write is a
 * thread-pool round trip; 1 MiB slices cut them sixteenfold (measured: 1.35-1.42 CPU s against 1.48-1.64 to deflate
 * the 403 MB model). The deflate stream is the same whatever the slices (no flush between them).
 */
const DEFLATE_SLICE = 1 << 20;

/** The chunks copied into slices of {@link DEFLATE_SLICE} bytes (the last one shorter). */
async function* coalesce(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let slice = Buffer.allocUnsafe(DEFLATE_SLICE);
  let filled = 0;
  for await (const chunk of chunks) {
    for (let from = 0; from < chunk.length; ) {
      const copied = chunk.copy(slice, filled, from);
      from += copied;
      filled += copied;
      if (filled === DEFLATE_SLICE) {
        yield slice;
        slice = Buffer.allocUnsafe(DEFLATE_SLICE);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield slice.subarray(0, filled);
}

/** The gzip header's OS byte (RFC 1952, 2.3: offset 9). */
const GZIP_OS_OFFSET = 9;
/** "255 - unknown" (RFC 1952, 2.3.1), what `tar`'s `portable` writes there; Node's zlib writes 3 (Unix). */
const GZIP_OS_UNKNOWN = 0xff;

/**
 * Sets the gzip header's OS byte to "unknown", as `tar.create({ portable: true })` does, so a streamed archive has
 * the very bytes {@link writeFastTextArchive} writes for the same model. The header carries no checksum (no FHCRC).
 */
async function* portableGzipHeader(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let at = 0;
  for await (const chunk of chunks) {
    if (at <= GZIP_OS_OFFSET && at + chunk.length > GZIP_OS_OFFSET) chunk[GZIP_OS_OFFSET - at] = GZIP_OS_UNKNOWN;
    at += chunk.length;
    yield chunk;
  }
}

/** What {@link archiveModelStream} wrote. */
export interface StreamedArchive {
  readonly archive: string;
  readonly header: ModelHeader;
}

/**
 * Writes `<outputDir>/model.tar.gz` from a `model.bin` streamed once, as fastText writes it (`model-pipe.ts`): the
 * same bytes as {@link writeFastTextArchive} gives for that file (the tar header is `tar`'s own for the entry, the
 * deflate settings are the same), without the model ever being a file. The tar header needs the entry's size before
 * its data, and a fastText model's size follows from its header (`modelFileSize`), so the first bytes are held until
 * the header has arrived. Deflate runs on libuv's thread pool (Node's zlib stream), so the main thread stays free to
 * score while the model streams; `observe` is told the header once, and may return a function that sees every chunk
 * with its offset in `model.bin` (the validation scorer keeps the rows it needs from them).
 * @throws FastTextProcessError when the stream is not a whole fastText model (it ended early or ran long)
 */
export async function archiveModelStream(
  model: AsyncIterable<Buffer>,
  outputDir: string,
  observe: (header: ModelHeader) => ((chunk: Buffer, at: number) => void) | undefined = () => undefined,
): Promise<StreamedArchive> {
  await mkdir(outputDir, { recursive: true });
  const archive = join(outputDir, 'model.tar.gz');
  let parsed: ModelHeader | undefined;
  async function* tarEntry(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    let held: Buffer[] = [];
    let heldBytes = 0;
    // Parse again only once twice as many bytes are held: a large dictionary is then parsed a few times, not per chunk.
    let parseAt = 0;
    let header: ModelHeader | undefined;
    let see: ((chunk: Buffer, at: number) => void) | undefined;
    let size = 0;
    let at = 0;
    const start = (bytes: Buffer): Buffer[] => {
      header = parseModelHeader(bytes, 'the model fastText wrote');
      if (header === undefined) return [];
      parsed = header;
      size = modelFileSize(header);
      const block = Buffer.alloc(TAR_BLOCK);
      if (new tar.Header({ path: FASTTEXT_MODEL_FILE, mode: 0o644, size, mtime: EPOCH, type: 'File' }).encode(block, 0)) {
        throw new FastTextError(`a ${size}-byte model.bin needs a pax header, which this archive writer does not write`);
      }
      see = observe(header);
      return [block];
    };
    const data = (chunk: Buffer): Buffer => {
      if (at + chunk.length > size) throw new FastTextProcessError(`fastText wrote more than the ${size} bytes its model's header gives`);
      see?.(chunk, at);
      at += chunk.length;
      return chunk;
    };
    for await (const chunk of chunks) {
      if (header !== undefined) {
        yield data(chunk);
        continue;
      }
      held.push(chunk);
      heldBytes += chunk.length;
      if (heldBytes < parseAt) continue;
      const bytes = Buffer.concat(held, heldBytes);
      held = [bytes];
      parseAt = heldBytes * 2;
      for (const block of start(bytes)) yield block;
      if (header !== undefined) yield data(bytes);
    }
    if (header === undefined) {
      for (const block of start(Buffer.concat(held, heldBytes))) yield block;
      if (header === undefined) throw new FastTextProcessError(heldBytes === 0 ? 'fastText wrote no model' : `fastText's model ended inside its header (${heldBytes} bytes)`);
      yield data(Buffer.concat(held, heldBytes));
    }
    if (at !== size) throw new FastTextProcessError(`fastText's model ended after ${at} of the ${size} bytes its header gives`);
    // Pad the entry to a whole block, then the two zero blocks that end the archive.
    yield Buffer.alloc(((TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK) + 2 * TAR_BLOCK);
  }
  try {
    await pipeline(model, tarEntry, coalesce, createGzip({ ...GZIP_OPTIONS, chunkSize: DEFLATE_SLICE }), portableGzipHeader, createWriteStream(archive));
  } catch (error) {
    await rm(archive, { force: true });
    throw error;
  }
  if (parsed === undefined) throw new FastTextProcessError('fastText wrote no model');
  return { archive, header: parsed };
}

/**
 * Extracts `model.bin` from a `model.tar.gz` into `targetDir` and returns its path.
 * @throws FastTextError when the archive holds no `model.bin`
 */
export async function extractFastTextModel(archive: string, targetDir: string): Promise<string> {
  await mkdir(targetDir, { recursive: true });
  let found = false;
  await tar.extract({
    file: archive,
    cwd: targetDir,
    strict: true,
    filter: (path) => {
      const match = path === FASTTEXT_MODEL_FILE || path === `./${FASTTEXT_MODEL_FILE}`;
      found ||= match;
      return match;
    },
  });
  if (!found) throw new FastTextError(`${archive} holds no ${FASTTEXT_MODEL_FILE}: it is not a BlazingText/fastText model archive`);
  return join(targetDir, FASTTEXT_MODEL_FILE);
}

/** Whether a file starts with gzip's magic bytes (an archive rather than a bare `model.bin`). */
export async function isGzip(path: string): Promise<boolean> {
  const stream = createReadStream(path, { start: 0, end: 1 });
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  const head = Buffer.concat(chunks);
  return head[0] === 0x1f && head[1] === 0x8b;
}

/**
 * fastText's file magic: the first int32 (little-endian) of every `.bin` it writes (`FASTTEXT_FILEFORMAT_MAGIC_INT32`
 * 793712314 in facebookresearch/fastText src/fasttext.cc).
 */
const FASTTEXT_MAGIC = 793712314;

/**
 * Whether a model artifact is a fastText/BlazingText model: a `model.tar.gz` holding `model.bin`, or a bare `.bin`
 * starting with fastText's magic. XGBoost's archives hold `xgboost-model` instead, so the kind comes from the
 * artifact itself and no registry field can disagree with it.
 */
export async function isFastTextModel(path: string): Promise<boolean> {
  if (await isGzip(path)) {
    let found = false;
    await tar.list({
      file: path,
      filter: (entry) => {
        found ||= entry === FASTTEXT_MODEL_FILE || entry === `./${FASTTEXT_MODEL_FILE}`;
        return false;
      },
    });
    return found;
  }
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    return bytesRead === 4 && head.readInt32LE(0) === FASTTEXT_MAGIC;
  } finally {
    await handle.close();
  }
}
