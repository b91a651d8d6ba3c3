import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ModelFormatError } from '../../../local/xgboost/errors.js';
import { readModelBytes, writeModelArchive } from '../../../local/xgboost/model-archive.js';

describe('readModelBytes', () => {
  let dir: string;
  const model = Buffer.from('{"learner":"not really a model, but bytes to round-trip"}'.repeat(200));

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sluice-model-archive-'));
  });

  describe('a whole archive', () => {
    it('returns the xgboost-model bytes when the archive was written by the trainer', async () => {
      // Prepare
      const archive = await writeModelArchive(dir, model);

      // Act
      const bytes = readModelBytes(archive);

      // Assess
      expect(bytes.equals(model)).toBe(true);
    });
  });

  describe('a damaged archive', () => {
    it.each([
      ['cut inside the gzip stream', (whole: Buffer) => whole.subarray(0, Math.floor(whole.length / 2))],
      ['cut right after the gzip header', (whole: Buffer) => whole.subarray(0, 12)],
    ])('throws a ModelFormatError naming the file when the archive is %s', async (_title, cut) => {
      // Prepare
      const archive = await writeModelArchive(dir, model);
      await writeFile(archive, cut(await readFile(archive)));

      // Act
      const read = (): Buffer => readModelBytes(archive);

      // Assess
      expect(read).toThrow(ModelFormatError);
      expect(read).toThrow(`${archive}: the model archive is truncated or corrupt (`);
    });
  });

  describe('two archives of the same model', () => {
    it('writes byte-identical archives with a fixed entry time when the same bytes are archived twice', async () => {
      // Prepare
      const other = await mkdtemp(path.join(tmpdir(), 'sluice-model-archive-'));

      // Act
      const first = await readFile(await writeModelArchive(dir, model));
      const second = await readFile(await writeModelArchive(other, model));

      // Assess: the tar header's mtime (12 octal bytes at offset 136) is pinned, not the staging file's time.
      expect(first.equals(second)).toBe(true);
      const mtime = parseInt(gunzipSync(first).subarray(136, 148).toString('ascii').replace(/\0.*$/, '').trim(), 8);
      expect(new Date(mtime * 1000).toISOString()).toBe('1985-10-26T08:15:00.000Z');
    });
  });
});
