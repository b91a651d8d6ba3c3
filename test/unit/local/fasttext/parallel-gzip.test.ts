import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { crc32, gunzipSync, inflateRawSync } from 'node:zlib';
import { writeParallelGzip } from '../../../../local/fasttext/parallel-gzip.js';

const run = promisify(execFile);

/** The bytes in chunks of `size`, each a fresh copy (as a source that reuses its buffer would hand them on). */
async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield Buffer.from(bytes.subarray(at, at + size));
}

/** Runs of zeros between pseudo-random bytes, like a model's sparse matrix; the same bytes every time. */
function sample(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = 7;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    if (i % 300 < 100) bytes[i] = state >> 23;
  }
  return bytes;
}

describe('writeParallelGzip', () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-parallel-gzip-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  describe('an input several blocks long', () => {
    it('writes one gzip member whose deflate stream, CRC and size are those of the input when blocks deflate concurrently', async () => {
      // Prepare
      const input = sample(10_000);
      const file = join(root, 'several.gz');

      // Act
      const result = await writeParallelGzip(chunked(input, 777), file, { blockSize: 1024, concurrency: 3 });

      // Assess: header (no time, OS unknown), one raw deflate stream to the final block, then CRC32 and ISIZE
      const bytes = readFileSync(file);
      expect(bytes.subarray(0, 10).toString('hex')).toBe('1f8b08000000000004ff');
      expect(inflateRawSync(bytes.subarray(10, bytes.length - 8)).equals(input)).toBe(true);
      expect(bytes.readUInt32LE(bytes.length - 8)).toBe(crc32(input));
      expect(bytes.readUInt32LE(bytes.length - 4)).toBe(input.length);
      expect(gunzipSync(bytes).equals(input)).toBe(true);
      expect(result).toEqual({ size: input.length, crc: crc32(input), compressedSize: bytes.length });
      await expect(run('gzip', ['-t', file])).resolves.toBeDefined();
    });

    it('writes the same bytes whatever the chunks and the concurrency when the block size is the same', async () => {
      // Prepare
      const input = sample(10_000);

      // Act
      await writeParallelGzip(chunked(input, 1), join(root, 'serial.gz'), { blockSize: 1024, concurrency: 1 });
      await writeParallelGzip(chunked(input, 4096), join(root, 'parallel.gz'), { blockSize: 1024, concurrency: 4 });

      // Assess
      expect(readFileSync(join(root, 'parallel.gz')).equals(readFileSync(join(root, 'serial.gz')))).toBe(true);
    });

    it('ends the stream after the last whole block when the input is a multiple of the block size', async () => {
      // Prepare
      const input = sample(4096);
      const file = join(root, 'whole-blocks.gz');

      // Act
      await writeParallelGzip(chunked(input, 1000), file, { blockSize: 1024 });

      // Assess
      expect(gunzipSync(readFileSync(file)).equals(input)).toBe(true);
    });
  });

  describe('an empty input', () => {
    it('writes a gzip file that reads back as nothing when no chunk comes', async () => {
      // Prepare
      const file = join(root, 'empty.gz');

      // Act
      const result = await writeParallelGzip(chunked(Buffer.alloc(0), 16), file);

      // Assess
      expect(gunzipSync(readFileSync(file)).length).toBe(0);
      expect(result.size).toBe(0);
    });
  });

  describe('a source that fails', () => {
    it('rejects with the source error when it fails after some blocks were sent', async () => {
      // Prepare
      async function* failing(): AsyncGenerator<Buffer> {
        yield sample(3000);
        throw new Error('the writer died');
      }

      // Act
      const writing = writeParallelGzip(failing(), join(root, 'failed.gz'), { blockSize: 1024, concurrency: 2 });

      // Assess
      await expect(writing).rejects.toThrow('the writer died');
    });
  });
});
