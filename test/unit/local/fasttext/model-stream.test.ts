import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FastTextProcessError } from '../../../../local/fasttext/errors.js';
import { archiveModelStream, extractFastTextModel, writeFastTextArchive } from '../../../../local/fasttext/model-archive.js';
import { makeModelPipe, receiveModel } from '../../../../local/fasttext/model-pipe.js';
import { openSparseScorer, StreamedScorer } from '../../../../local/fasttext/sparse-scorer.js';
import type { ModelHeader } from '../../../../local/fasttext/sparse-scorer.js';
import { LOSS_HS, LOSS_SOFTMAX, tinyModel } from './tiny-model.js';

/** The bytes in chunks of `size` (a model arrives from a pipe in pieces that cut rows and the header anywhere). */
async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const all: Buffer[] = [];
  for await (const chunk of chunks) all.push(chunk);
  return Buffer.concat(all);
}

describe('archiveModelStream', () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-model-stream-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  describe('a whole model streamed in small chunks', () => {
    it('writes the very bytes writeFastTextArchive writes for the same model.bin when the header spans chunks', async () => {
      // Prepare
      const model = tinyModel(LOSS_SOFTMAX, 2);
      const source = mkdtempSync(join(root, 'file-'));
      writeFileSync(join(source, 'model.bin'), model);
      const fromFile = readFileSync(await writeFastTextArchive(mkdtempSync(join(root, 'a-')), source));

      // Act
      const streamed = await archiveModelStream(chunked(model, 7), mkdtempSync(join(root, 'b-')));

      // Assess
      expect(readFileSync(streamed.archive).equals(fromFile)).toBe(true);
      expect(streamed.header.labels).toEqual(['pos', 'Twitter%20for%20iPhone'].map((label) => `__label__${label}`));
      const extracted = await extractFastTextModel(streamed.archive, mkdtempSync(join(root, 'x-')));
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

describe('receiveModel', () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-model-pipe-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  describe('a writer that opens and closes the path first, as fastText checks it, then writes the model', () => {
    it('yields the bytes of the connection that carries them when the writer exits', async () => {
      // Prepare
      const fifo = join(root, 'fasttext-like.bin');
      await makeModelPipe(fifo);
      const writer = spawn('sh', ['-c', 'exec 3>"$0"; exec 3>&-; printf "the model" > "$0"', fifo], { stdio: 'ignore' });
      const exited = once(writer, 'close');

      // Act
      const bytes = await collect(receiveModel(fifo, exited));

      // Assess
      expect(bytes.toString()).toBe('the model');
      expect(await exited).toEqual([0, null]);
    });
  });

  describe('a writer that exits before writing', () => {
    it('ends with nothing when the process that would write is gone', async () => {
      // Prepare
      const fifo = join(root, 'failed.bin');
      await makeModelPipe(fifo);
      const writer = spawn('sh', ['-c', 'exit 3'], { stdio: 'ignore' });
      const exited = once(writer, 'close');

      // Act
      const bytes = await collect(receiveModel(fifo, exited));

      // Assess
      expect(bytes.length).toBe(0);
      expect(await exited).toEqual([3, null]);
    });
  });
});
