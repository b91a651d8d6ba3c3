import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelPointerError } from '../../../local/serving/errors.js';
import {
  parseModelPointer,
  readModelPointer,
  resolveModelArtifact,
  writeModelPointer,
} from '../../../local/serving/model-pointer.js';

describe('model pointer', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-pointer-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('parseModelPointer', () => {
    it('keeps extra fields when the pointer has version and modelArtifact', () => {
      // Prepare
      const text = '{"version": 3, "modelArtifact": "models/v3/model.tar.gz", "runId": "r-1"}';

      // Act
      const pointer = parseModelPointer(text, 'p.json');

      // Assess
      expect(pointer).toEqual({ version: 3, modelArtifact: 'models/v3/model.tar.gz', runId: 'r-1' });
    });

    it.each([
      ['not JSON', '{"version": 3', /p\.json is not JSON/],
      ['no version', '{"modelArtifact": "m.tar.gz"}', /version/],
      ['a fractional version', '{"version": 1.5, "modelArtifact": "m.tar.gz"}', /version/],
      ['an empty artifact', '{"version": 1, "modelArtifact": ""}', /modelArtifact/],
      ['a negative version', '{"version": -1, "modelArtifact": "m.tar.gz"}', /version: expected a non-negative integer/],
      ['an array for a document', '[1, "m.tar.gz"]', /\(root\): expected an object/],
    ])('throws ModelPointerError when the text has %s', (_case, text, message) => {
      // Prepare: text given by the table

      // Act
      const act = (): unknown => parseModelPointer(text, 'p.json');

      // Assess
      expect(act).toThrow(ModelPointerError);
      expect(act).toThrow(message);
    });
  });

  describe('writeModelPointer', () => {
    it('writes a pointer that reads back and leaves no temporary file when the folder does not exist yet', async () => {
      // Prepare
      const file = join(dir, 'endpoint', 'pointer.json');
      const pointer = { version: 7, modelArtifact: '/lake/models/churn/job-7/output/model.tar.gz', runId: 'r-7' };

      // Act
      await writeModelPointer(file, pointer);

      // Assess
      expect(readModelPointer(file)).toEqual(pointer);
      expect(await readdir(join(dir, 'endpoint'))).toEqual(['pointer.json']);
    });

    it('replaces the previous pointer whole when written twice', async () => {
      // Prepare
      const file = join(dir, 'pointer.json');
      await writeModelPointer(file, { version: 1, modelArtifact: 'a.tar.gz', note: 'x'.repeat(500) });

      // Act
      await writeModelPointer(file, { version: 2, modelArtifact: 'b.tar.gz' });

      // Assess
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ version: 2, modelArtifact: 'b.tar.gz' });
    });

    it('refuses and writes nothing when the pointer is invalid', async () => {
      // Prepare
      const file = join(dir, 'pointer.json');

      // Act
      const act = writeModelPointer(file, { version: -1, modelArtifact: 'a.tar.gz' });

      // Assess
      await expect(act).rejects.toThrow(ModelPointerError);
      expect(await readdir(dir)).toEqual([]);
    });
  });

  describe('readModelPointer and resolveModelArtifact', () => {
    it('throws ModelPointerError naming the file when it is missing', () => {
      // Prepare
      const file = join(dir, 'missing.json');

      // Act
      const act = (): unknown => readModelPointer(file);

      // Assess
      expect(act).toThrow(ModelPointerError);
      expect(act).toThrow(file);
    });

    it('resolves a relative artifact against the pointer folder when the path is relative', () => {
      // Prepare
      const pointer = { version: 1, modelArtifact: '../models/model.tar.gz' };

      // Act
      const artifact = resolveModelArtifact('/srv/endpoint/pointer.json', pointer);

      // Assess
      expect(artifact).toBe('/srv/models/model.tar.gz');
    });
  });
});
