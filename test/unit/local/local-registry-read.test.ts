import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Candidate } from '../../../core/ports/model-registry.js';
import { FolderObjectStore } from '../../../local/adapters/folder-object-store.js';
import { CorruptRegistryRecordError, LocalRegistry } from '../../../local/adapters/local-registry.js';

const candidate: Candidate = {
  pipeline: 'churn',
  runId: 'run-a',
  modelArtifact: 's3://lake/models/churn/run-a/model.tar.gz',
  image: 'local/xgboost',
  metrics: { 'validation:auc': 0.8 },
  lineage: { runId: 'run-a' },
};

describe('LocalRegistry reading records', () => {
  let lake: string;
  let registry: LocalRegistry;

  beforeEach(async () => {
    lake = await mkdtemp(path.join(tmpdir(), 'sluice-registry-read-'));
    registry = new LocalRegistry(new FolderObjectStore(lake), 'lake');
  });

  afterEach(async () => {
    await rm(lake, { recursive: true, force: true });
  });

  describe('whole records', () => {
    it('returns every version when each record is a model version', async () => {
      // Prepare
      await registry.register(candidate);
      await registry.register({ ...candidate, runId: 'run-b' });

      // Act
      const versions = await registry.versions('churn');

      // Assess
      expect(versions.map((v) => [v.version, v.runId])).toEqual([[1, 'run-a'], [2, 'run-b']]);
    });
  });

  describe('a corrupt record', () => {
    it.each([
      ['is cut short', (whole: string) => whole.slice(0, 40), 'is not valid JSON ('],
      ['is JSON but not a model version', () => '{"hello": "world"}\n', 'lacks a numeric "version", a "status" or a "pipeline"'],
    ])('throws a CorruptRegistryRecordError naming the file when the record %s', async (_title, damage, problem) => {
      // Prepare
      const version = await registry.register(candidate);
      const file = registry.recordFile('churn', version.version);
      await writeFile(file, damage(JSON.stringify(version, null, 2)));

      // Act
      const read = registry.production('churn');

      // Assess
      await expect(read).rejects.toThrow(CorruptRegistryRecordError);
      await expect(read).rejects.toThrow(`${file}: the registry record ${problem}`);
    });
  });
});
