/**
 * `model.tar.gz` as BlazingText writes it in supervised mode: a gzip tarball holding `model.bin`, fastText's binary
 * model ("Training with supervised outputs creates a model.bin file that can be consumed by BlazingText hosting";
 * "the binaries (*.bin) produced by BlazingText can be cross-consumed by fastText and vice versa", BlazingText
 * algorithm page, https://docs.aws.amazon.com/sagemaker/latest/dg/blazingtext.html). Only `model.bin`: fastText's
 * `.vec` word vectors are not needed to serve, and the label mapping is the dictionary's own labels (decoded by
 * `core/text/label-mapping.ts`, which needs no state).
 *
 * Deterministic bytes: one entry with a fixed mtime (the epoch), mode 0644, no owner (tar's `portable`): the tar stream
 * is byte for byte what `tar.create({ portable: true, mtime: new Date(0) })` writes for the file; gzipped as one member
 * with no time in its header, deflated in fixed 8 MiB blocks on two thread-pool threads at once (`parallel-gzip.ts`),
 * so the bytes do not depend on timing.
 *
 * Deflate with zlib's `Z_RLE` strategy (level 1): `model.bin` is mostly the input matrix, buckets × dim float32s, of
 * which the rows no n-gram reached keep fastText's initial values; with one thread fastText 0.9.2 initialises only the
 * first tenth of the matrix (`DenseMatrix::uniformThread` fills block 0 of 10) and the rest stays 0.0, and trained
 * floats hold no repeated strings for LZ77 to find. Runs and Huffman codes are where the gain is, which is what Z_RLE
 * keeps ("Z_RLE is designed to be almost as fast as Z_HUFFMAN_ONLY, but give better compression for PNG image data",
 * zlib manual, deflateInit2, https://www.zlib.net/manual.html). Measured on the reviews model with BlazingText's
 * 2,000,000 buckets (403 MB): level 1 default strategy 58.5 MB in 4.8-6.0 s, Z_RLE 57.1 MB in 1.5-2.8 s, stored
 * (level 0) 403 MB. In 8 MiB blocks two at a time: 57.14 MB, 0.65-0.78 CPU s plus 0.08 s of CRC (measured, section g
 * of docs/research-notes-text.md). Still a standard gzip stream: any gunzip (and SageMaker) reads it.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { FastTextError, FastTextProcessError } from './errors.js';
import { writeParallelGzip } from './parallel-gzip.js';
import type { ParallelGzipOptions } from './parallel-gzip.js';
import { modelFileSize, parseModelHeader } from './sparse-scorer.js';
import type { ModelHeader } from './sparse-scorer.js';

/** The model file inside the archive, as BlazingText names it. */
export const FASTTEXT_MODEL_FILE = 'model.bin';

/** The fixed mtime of every archive entry. */
const EPOCH = new Date(0);

/** A tar block: entries and their data are padded to it, and two zero blocks end the archive (POSIX ustar). */
const TAR_BLOCK = 512;

/**
 * Writes `<outputDir>/model.tar.gz` holding `<sourceDir>/model.bin`; returns the archive path. The same bytes as
 * {@link archiveModelStream} writes when the model is streamed.
 * @throws FastTextProcessError when the file is not a whole fastText model
 */
export async function writeFastTextArchive(outputDir: string, sourceDir: string, gzip: ParallelGzipOptions = {}): Promise<string> {
  const { archive } = await archiveModelStream(createReadStream(join(sourceDir, FASTTEXT_MODEL_FILE), { highWaterMark: 1 << 20 }), outputDir, () => undefined, gzip);
  return archive;
}

/** What {@link archiveModelStream} wrote. */
export interface StreamedArchive {
  readonly archive: string;
  readonly header: ModelHeader;
}

/**
 * Writes `<outputDir>/model.tar.gz` from a `model.bin` read once, as fastText writes it (`model-follow.ts`): the same
 * bytes as {@link writeFastTextArchive} gives for that file (the tar header is `tar`'s own for the entry). The tar
 * header needs the entry's size before its data, and a fastText model's size follows from its header
 * (`modelFileSize`), so the first bytes are held until the header has arrived, and reading stops once that many bytes
 * have come. Deflate runs on libuv's thread pool, several blocks at once (`parallel-gzip.ts`; `gzip` sets the
 * blocks), so the main thread stays free to score while the model streams; `observe` is told the header once, and may
 * return a function that sees every chunk with its offset in `model.bin` (the validation scorer keeps the rows it
 * needs from them). Chunks may be reused by the source once the next one is asked for: what is kept is copied.
 * @throws FastTextProcessError when the stream is not a whole fastText model (it ended early or ran long)
 */
export async function archiveModelStream(
  model: AsyncIterable<Buffer>,
  outputDir: string,
  observe: (header: ModelHeader) => ((chunk: Buffer, at: number) => void) | undefined = () => undefined,
  gzip: ParallelGzipOptions = {},
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
        // Every byte the header promises has arrived: stop reading (a followed file ends only when its writer exits).
        if (at === size) break;
        continue;
      }
      // Kept past the next read, which may reuse the chunk's memory (`model-follow.ts`): a copy.
      held.push(Buffer.from(chunk));
      heldBytes += chunk.length;
      if (heldBytes < parseAt) continue;
      const bytes = Buffer.concat(held, heldBytes);
      held = [bytes];
      parseAt = heldBytes * 2;
      for (const block of start(bytes)) yield block;
      if (header === undefined) continue;
      yield data(bytes);
      if (at === size) break;
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
    await pipeline(model, tarEntry, async (entry: AsyncIterable<Buffer>) => writeParallelGzip(entry, archive, gzip));
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
