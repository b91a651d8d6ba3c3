import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { CSV_BYTES_PER_THREAD, ingestThreads, readableBytes } from '../../../core/ingest/ingest-threads.js';

describe('ingestThreads', () => {
  describe('a file smaller than two scanner ranges', () => {
    it('gives one thread when the file is 1.4 MB and the limit is 2', () => {
      // Act
      const threads = ingestThreads(1_400_000, 2);

      // Assess
      expect(threads).toBe(1);
    });

    it('gives one thread when the file is empty', () => {
      // Act / Assess
      expect(ingestThreads(0, 4)).toBe(1);
    });
  });

  describe('a file of several scanner ranges', () => {
    it('gives one thread per full range when the limit allows it', () => {
      // Act
      const threads = ingestThreads(3 * CSV_BYTES_PER_THREAD + 1, 8);

      // Assess
      expect(threads).toBe(3);
    });

    it('gives the limit when the file has more ranges than the limit', () => {
      // Act
      const threads = ingestThreads(1_000_000_000, 2);

      // Assess
      expect(threads).toBe(2);
    });
  });
});

describe('readableBytes', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sluice-ingest-threads-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('a plain file', () => {
    it('returns its size when it is not compressed', async () => {
      // Prepare
      const file = path.join(dir, 'plain.csv');
      await writeFile(file, 'a,b\n1,2\n');

      // Act
      const bytes = await readableBytes(file, false);

      // Assess
      expect(bytes).toBe(8);
    });
  });

  describe('a gzip file', () => {
    it('returns the uncompressed size its trailer records when the text compresses well', async () => {
      // Prepare
      const text = 'a,b\n'.repeat(50_000);
      const file = path.join(dir, 'big.csv.gz');
      await writeFile(file, gzipSync(text));

      // Act
      const bytes = await readableBytes(file, true);

      // Assess
      expect(bytes).toBe(text.length);
    });

    it('returns at least the compressed size when the trailer records less (a later member of several)', async () => {
      // Prepare: two members; the trailer read is the last one's, of 4 bytes
      const first = gzipSync('x'.repeat(1_000) + 'y'.repeat(1_000));
      const last = gzipSync('a,b\n');
      const file = path.join(dir, 'members.csv.gz');
      await writeFile(file, Buffer.concat([first, last]));

      // Act
      const bytes = await readableBytes(file, true);

      // Assess
      expect(bytes).toBe(first.length + last.length);
    });
  });
});
