/**
 * One gzip member whose deflate stream is made block by block on libuv's thread pool, several blocks at once, the way
 * pigz makes it: "Each partial raw deflate stream is terminated by an empty stored block (using the Z_SYNC_FLUSH
 * option of zlib(3)), in order to end that partial bit stream at a byte boundary. That allows the partial streams to
 * be concatenated simply as sequences of bytes", wrapped "with the appropriate header and trailer, where the trailer
 * contains the combined check value" (pigz(1) manual page, as NetBSD ships it:
 * http://hpux.polarhome.com/service/man/NetBSD/html1/pigz.html). The result is an ordinary gzip file
 * (RFC 1952: one member, CRC32 and ISIZE of all the input): gunzip, tar, Python's tarfile and SageMaker read it as
 * they read any other.
 *
 * Why: the job deflates fastText's 403 MB model (about 0.7-0.9 CPU s with `Z_RLE`) while fastText saves it and after
 * fastText exits; one zlib stream is one core, and the machines this runs on have two or more
 * (docs/research-notes-text.md, sections e and g).
 *
 * Deterministic bytes: blocks are cut at fixed offsets of the input (not where the reads happen to end), each is
 * deflated by a fresh zlib stream with the same settings, and written in input order, so the same input gives the same
 * file whatever the timing. pigz primes each block with the previous block's last 32 KiB; here blocks are independent
 * (Node's one-shot deflate takes no dictionary), which costs nothing with `Z_RLE`, whose matches are at distance 1
 * only (zlib manual, deflateInit2: "Z_RLE to limit match distances to one (run-length encoding)",
 * https://www.zlib.net/manual.html; zlib's deflate_rle: "generate matches only of distance one"): only the first byte
 * of each block loses its possible match.
 *
 * Memory: at most `concurrency` blocks deflating plus the one being filled; their buffers are reused.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { constants as zlibConstants, crc32, deflateRaw } from 'node:zlib';

/** How the deflate stream is made. */
export interface ParallelGzipOptions {
  /** Input bytes per block; blocks start at multiples of it. Defaults to {@link DEFAULT_GZIP_BLOCK}. */
  readonly blockSize?: number;
  /** Blocks deflating at once. Defaults to {@link DEFAULT_GZIP_CONCURRENCY}. */
  readonly concurrency?: number;
}

/** What {@link writeParallelGzip} wrote. */
export interface ParallelGzipResult {
  /** Input bytes (the uncompressed length). */
  readonly size: number;
  /** CRC32 of the input, as the trailer holds it. */
  readonly crc: number;
  /** Bytes of the gzip file. */
  readonly compressedSize: number;
}

/**
 * 8 MiB per block: measured on the 403 MB reviews model (2 cores, 2 blocks at once, CPU s of the whole deflate):
 * 4 MiB 0.76-0.78, 8 MiB 0.68-0.72, 16 MiB 0.65; 8 MiB keeps the tail (the last block deflating alone after the
 * input ended) short and the buffers small, and adds 4 bytes (the empty stored block) per block: 200 bytes in all.
 */
export const DEFAULT_GZIP_BLOCK = 8 << 20;

/** Two blocks at once: the machines this runs on locally have two cores or more, and fastText writes on one. */
export const DEFAULT_GZIP_CONCURRENCY = 2;

/**
 * The member's header (RFC 1952, 2.3): magic, CM 8 (deflate), no flags, MTIME 0 (no time: deterministic bytes),
 * XFL 4 ("compressor used fastest algorithm", what zlib writes at level 1), OS 255 "unknown" (what `tar`'s `portable`
 * writes; zlib would write 3, Unix).
 */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0xff]);

/**
 * The last deflate block: BFINAL 1, BTYPE 01 (fixed Huffman codes) holding only the end-of-block code 256, whose
 * fixed code is seven zero bits (RFC 1951, 3.2.3 and 3.2.6): bits 1,1,0 then 0000000, LSB first, give 0x03 0x00.
 * pigz ends its streams the same way when the last block was flushed.
 */
const FINAL_EMPTY_BLOCK = Buffer.from([0x03, 0x00]);

/**
 * Each block's settings: level 1 with `Z_RLE` (see `model-archive.ts`), ended by `Z_SYNC_FLUSH` instead of
 * `Z_FINISH` (Node's zlib `finishFlush` option, the flush of the last write: https://nodejs.org/api/zlib.html#class-options)
 * so it ends byte-aligned and not final.
 */
const BLOCK_OPTIONS = { level: 1, strategy: zlibConstants.Z_RLE, finishFlush: zlibConstants.Z_SYNC_FLUSH } as const;

/**
 * Deflates one block on libuv's thread pool. The output buffer holds the worst case (zlib's deflateBound: the input
 * plus about 0.03%, stored blocks being 5 bytes per 16 KiB at worst), so the block deflates in one pass and Node hands
 * back that buffer itself instead of joining pieces (each full output buffer is also one more round trip).
 */
function deflateBlock(block: Buffer): Promise<Buffer> {
  const chunkSize = block.length + (block.length >> 10) + 1024;
  return new Promise((resolve, reject) => {
    deflateRaw(block, { ...BLOCK_OPTIONS, chunkSize }, (error, deflated) => (error === null ? resolve(deflated) : reject(error)));
  });
}

/** A block on its way through the pool, and the buffer to reuse once it is deflated. */
interface Pending {
  readonly deflated: Promise<Buffer>;
  readonly buffer: Buffer;
}

/**
 * Writes `chunks` to `file` as one gzip member, deflated block by block on libuv's thread pool (see the module
 * comment). Reading `chunks` pauses while `concurrency` blocks are deflating and the next one is full, so a fast
 * source waits for the deflate rather than filling memory.
 */
export async function writeParallelGzip(chunks: AsyncIterable<Buffer>, file: string, options: ParallelGzipOptions = {}): Promise<ParallelGzipResult> {
  const blockSize = Math.max(1, Math.floor(options.blockSize ?? DEFAULT_GZIP_BLOCK));
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? DEFAULT_GZIP_CONCURRENCY));
  const handle = await open(file, 'w');
  const pending: Pending[] = [];
  const free: Buffer[] = [];
  let crc = 0;
  let size = 0;
  let compressedSize = 0;
  const write = async (bytes: Buffer): Promise<void> => {
    await writeAll(handle, bytes);
    compressedSize += bytes.length;
  };
  const writeOldest = async (): Promise<void> => {
    const oldest = pending.shift();
    if (oldest === undefined) return;
    const deflated = await oldest.deflated;
    free.push(oldest.buffer);
    await write(deflated);
  };
  const send = async (buffer: Buffer, length: number): Promise<void> => {
    if (pending.length >= concurrency) await writeOldest();
    const block = buffer.subarray(0, length);
    const deflated = deflateBlock(block);
    // Awaited in order later; a rejection must not count as unhandled in the meantime.
    deflated.catch(() => undefined);
    pending.push({ deflated, buffer });
    // The CRC is computed here because a raw deflate stream carries none. After the deflate has started: zlib's crc32
    // runs at several GB/s only once zlib has checked the CPU's features, which opening a deflate stream does (the
    // first 403 MB crc32 in a process took 1.2 CPU s before any deflate, 0.1 s after one).
    crc = crc32(block, crc);
    size += length;
  };
  try {
    await write(GZIP_HEADER);
    let buffer: Buffer = Buffer.allocUnsafe(blockSize);
    let filled = 0;
    for await (const chunk of chunks) {
      for (let from = 0; from < chunk.length; ) {
        const copied = chunk.copy(buffer, filled, from);
        from += copied;
        filled += copied;
        if (filled === blockSize) {
          await send(buffer, filled);
          buffer = free.pop() ?? Buffer.allocUnsafe(blockSize);
          filled = 0;
        }
      }
    }
    if (filled > 0) await send(buffer, filled);
    while (pending.length > 0) await writeOldest();
    const trailer = Buffer.alloc(8);
    // RFC 1952, 2.3.1: CRC32, then ISIZE, "the size of the original (uncompressed) input data modulo 2^32".
    trailer.writeUInt32LE(crc >>> 0, 0);
    trailer.writeUInt32LE(size % 2 ** 32, 4);
    await write(Buffer.concat([FINAL_EMPTY_BLOCK, trailer]));
    return { size, crc: crc >>> 0, compressedSize };
  } finally {
    // On failure, blocks may still be deflating into buffers: let them finish before the caller goes on.
    await Promise.allSettled(pending.map((entry) => entry.deflated));
    await handle.close();
  }
}

/** Writes every byte of `bytes` at the file's current end (a `write` may write fewer bytes than asked). */
async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  for (let at = 0; at < bytes.length; ) {
    const { bytesWritten } = await handle.write(bytes, at, bytes.length - at);
    at += bytesWritten;
  }
}
