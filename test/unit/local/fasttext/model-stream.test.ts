import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as tar from 'tar';
import { FastTextProcessError } from '../../../../local/fasttext/errors.js';
import { archiveModelStream, extractFastTextModel, writeFastTextArchive } from '../../../../local/fasttext/model-archive.js';
import { followModel } from '../../../../local/fasttext/model-follow.js';
import { openSparseScorer, StreamedScorer } from '../../../../local/fasttext/sparse-scorer.js';
import type { ModelHeader } from '../../../../local/fasttext/sparse-scorer.js';
import { LOSS_HS, LOSS_SOFTMAX, tinyModel } from './tiny-model.js';

/** The bytes in chunks of `size` (a model arrives from a pipe in pieces that cut rows and the header anywhere). */
async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

/** The chunks joined; each is copied as it comes, since a source may reuse its buffer for the next one. */
async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const all: Buffer[] = [];
  for await (const chunk of chunks) all.push(Buffer.from(chunk));
  return Buffer.concat(all);
}

/** The bytes of the uncompressed tarball `tar` itself writes for `<dir>/model.bin`, as the archive writer must. */
async function tarOf(dir: string): Promise<Buffer> {
  const file = join(dir, 'reference.tar');
  await tar.create({ file, cwd: dir, portable: true, mtime: new Date(0), noDirRecurse: true }, ['model.bin']);
  return readFileSync(file);
}

describe('archiveModelStream', () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-model-stream-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  describe('a whole model streamed in small chunks', () => {
    it('writes a gzip of the very tarball tar writes, with the bytes writeFastTextArchive writes, when the header spans chunks', async () => {
      // Prepare
      const model = tinyModel(LOSS_SOFTMAX, 2);
      const source = mkdtempSync(join(root, 'file-'));
      writeFileSync(join(source, 'model.bin'), model);
      const reference = await tarOf(source);
      const fromFile = readFileSync(await writeFastTextArchive(mkdtempSync(join(root, 'a-')), source));

      // Act
      const streamed = await archiveModelStream(chunked(model, 7), mkdtempSync(join(root, 'b-')));

      // Assess
      const bytes = readFileSync(streamed.archive);
      expect(gunzipSync(bytes).equals(reference)).toBe(true);
      expect(bytes.equals(fromFile)).toBe(true);
      expect(streamed.header.labels).toEqual(['pos', 'Twitter%20for%20iPhone'].map((label) => `__label__${label}`));
      const extracted = await extractFastTextModel(streamed.archive, mkdtempSync(join(root, 'x-')));
      expect(readFileSync(extracted).equals(model)).toBe(true);
    });

    it('writes the same bytes whatever the chunks and however many blocks deflate at once when the archive spans several blocks', async () => {
      // Prepare: 256-byte blocks cut the tarball (header, model, padding) into many
      const model = tinyModel(LOSS_SOFTMAX, 2);

      // Act
      const one = await archiveModelStream(chunked(model, 7), mkdtempSync(join(root, 'c-')), () => undefined, { blockSize: 256, concurrency: 1 });
      const three = await archiveModelStream(chunked(model, 1000), mkdtempSync(join(root, 'd-')), () => undefined, { blockSize: 256, concurrency: 3 });

      // Assess
      const bytes = readFileSync(one.archive);
      expect(readFileSync(three.archive).equals(bytes)).toBe(true);
      const extracted = await extractFastTextModel(one.archive, mkdtempSync(join(root, 'y-')));
      expect(readFileSync(extracted).equals(model)).toBe(true);
    });
  });

  describe('a stream that is not a whole model', () => {
    it('rejects with a FastTextProcessError and leaves no archive when the model ends early', async () => {
      // Prepare
      const model = tinyModel(LOSS_SOFTMAX);
      const outputDir = mkdtempSync(join(root, 'short-'));

      // Act
      const archiving = archiveModelStream(chunked(model.subarray(0, model.length - 3), 16), outputDir);

      // Assess
      await expect(archiving).rejects.toThrow(FastTextProcessError);
      expect(existsSync(join(outputDir, 'model.tar.gz'))).toBe(false);
    });

    it('rejects with a FastTextProcessError when nothing was written', async () => {
      // Act
      const archiving = archiveModelStream(chunked(Buffer.alloc(0), 16), mkdtempSync(join(root, 'empty-')));

      // Assess
      await expect(archiving).rejects.toThrow('fastText wrote no model');
    });
  });
});

describe('StreamedScorer', () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-streamed-scorer-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const texts = ['good bad', 'bad good good', 'bad', 'unknown words only', 'good'];

  describe('a softmax model with word bigrams, streamed in chunks that cut its rows', () => {
    it('answers what openSparseScorer answers from the file when every chunk is taken', async () => {
      // Prepare
      const model = tinyModel(LOSS_SOFTMAX, 2);
      const file = join(root, 'model.bin');
      writeFileSync(file, model);
      const scorer = await openSparseScorer(file);
      const expected = await scorer?.predict(texts, 2).finally(() => scorer.close());
      let streamed: StreamedScorer | undefined;

      // Act
      await archiveModelStream(chunked(model, 5), mkdtempSync(join(root, 'out-')), (header: ModelHeader) => {
        streamed = StreamedScorer.create(header, texts, 'the tiny model');
        return (chunk, at) => streamed?.take(chunk, at);
      });

      // Assess: the bigram rows differ from each other, so a row read from the wrong bytes changes the answer
      expect(expected?.[0]?.probabilities).not.toEqual(expected?.[1]?.probabilities);
      expect(streamed?.predict(2)).toEqual(expected);
    });
  });

  describe('models it does not reproduce', () => {
    it('is not created when the loss is not softmax', async () => {
      // Prepare
      let created: StreamedScorer | undefined;

      // Act
      await archiveModelStream(chunked(tinyModel(LOSS_HS), 64), mkdtempSync(join(root, 'hs-')), (header) => {
        created = StreamedScorer.create(header, texts, 'the tiny model');
        return undefined;
      });

      // Assess
      expect(created).toBeUndefined();
    });
  });
});

describe('followModel', () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-model-follow-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  describe('a file its writer appends to while it is read', () => {
    it('yields the bytes as they are written and ends once the writer has exited when it is read to the end', async () => {
      // Prepare: the writer creates the file empty first, as fastText does when it checks the output path
      const file = join(root, 'growing.bin');
      writeFileSync(file, '');
      let exit = (): void => undefined;
      const exited = new Promise<void>((resolve) => {
        exit = resolve;
      });
      const reader = followModel(file, exited);

      // Act: the second part is written only once the first has been read
      appendFileSync(file, 'the first part, ');
      const first = await reader.next();
      const firstText = first.done === true ? '' : first.value.toString();
      appendFileSync(file, 'then the rest');
      exit();
      const rest = await collect(reader);

      // Assess
      expect(firstText).toBe('the first part, ');
      expect(rest.toString()).toBe('then the rest');
    });
  });

  describe('a file that appears after the reader has started', () => {
    it('waits for it and yields its bytes when the writer creates it late', async () => {
      // Prepare
      const file = join(root, 'late.bin');
      let exit = (): void => undefined;
      const exited = new Promise<void>((resolve) => {
        exit = resolve;
      });
      const reader = followModel(file, exited);
      const first = reader.next();

      // Act
      writeFileSync(file, 'the model');
      const result = await first;
      exit();
      const rest = await collect(reader);

      // Assess
      expect(result.done === true ? '' : result.value.toString()).toBe('the model');
      expect(rest.length).toBe(0);
    });
  });

  describe('a writer that exits before writing', () => {
    it('ends with nothing when the file was never created', async () => {
      // Act
      const bytes = await collect(followModel(join(root, 'never.bin'), Promise.resolve()));

      // Assess
      expect(bytes.length).toBe(0);
    });

    it('ends with nothing when the writer fails after creating the file empty', async () => {
      // Prepare
      const file = join(root, 'empty.bin');
      writeFileSync(file, '');

      // Act
      const bytes = await collect(followModel(file, Promise.reject(new Error('fastText failed'))));

      // Assess
      expect(bytes.length).toBe(0);
    });
  });
});
