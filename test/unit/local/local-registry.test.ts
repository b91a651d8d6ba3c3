import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FolderObjectStore } from '../../../local/adapters/folder-object-store.js';
import { LocalRegistry } from '../../../local/adapters/local-registry.js';
import type { Candidate } from '../../../core/ports/model-registry.js';

function candidate(runId: string): Candidate {
  return { pipeline: 'churn', runId, modelArtifact: `s3://lake/models/churn/${runId}/model.tar.gz`, image: 'local/xgboost', metrics: { 'validation:auc': 0.8 }, lineage: { runId } };
}

describe('LocalRegistry', () => {
  let lake: string;

  beforeEach(async () => {
    lake = await mkdtemp(path.join(tmpdir(), 'sluice-registry-'));
  });

  afterEach(async () => {
    await rm(lake, { recursive: true, force: true });
  });

  describe('four runs registering at once', () => {
    it('gives each run its own version and keeps every record when the runs register concurrently', async () => {
      // Prepare: one registry object per run, as four `sluice run` would have.
      const runs = ['run-a', 'run-b', 'run-c', 'run-d'];
      const registries = runs.map(() => new LocalRegistry(new FolderObjectStore(lake), 'lake'));

      // Act
      const versions = await Promise.all(runs.map((run, i) => registries[i]?.register(candidate(run))));

      // Assess
      expect(versions.map((v) => v?.version).sort()).toEqual([1, 2, 3, 4]);
      const all = await new LocalRegistry(new FolderObjectStore(lake), 'lake').versions('churn');
      expect(all.map((v) => [v.version, v.runId])).toEqual(versions.map((v) => [v?.version, v?.runId]).sort((a, b) => Number(a[0]) - Number(b[0])));
      expect((await readdir(path.join(lake, 'lake', 'registry', 'churn'))).sort()).toEqual(['v000001.json', 'v000002.json', 'v000003.json', 'v000004.json']);
    });

    it('returns the existing version when the same run registers the same model twice at once', async () => {
      // Prepare
      const registry = new LocalRegistry(new FolderObjectStore(lake), 'lake');

      // Act
      const [first, second] = await Promise.all([registry.register(candidate('run-a')), registry.register(candidate('run-a'))]);

      // Assess
      expect(first?.version).toBe(1);
      expect(second?.version).toBe(1);
      expect(await registry.versions('churn')).toHaveLength(1);
    });
  });
});
