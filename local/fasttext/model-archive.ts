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
import { createReadStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { constants as zlibConstants } from 'node:zlib';
import * as tar from 'tar';
import { FastTextError } from './errors.js';

/** The model file inside the archive, as BlazingText names it. */
export const FASTTEXT_MODEL_FILE = 'model.bin';

/** The fixed mtime of every archive entry. */
const EPOCH = new Date(0);

/** Writes `<outputDir>/model.tar.gz` holding `<sourceDir>/model.bin`; returns the archive path. */
export async function writeFastTextArchive(outputDir: string, sourceDir: string): Promise<string> {
  await mkdir(outputDir, { recursive: true });
  const archive = join(outputDir, 'model.tar.gz');
  await tar.create(
    { gzip: { level: 1, strategy: zlibConstants.Z_RLE }, file: archive, cwd: sourceDir, portable: true, mtime: EPOCH, noDirRecurse: true },
    [FASTTEXT_MODEL_FILE],
  );
  return archive;
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
