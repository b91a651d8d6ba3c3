import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { folderSpecCatalog } from '../../../core/pipelines/spec-catalog.js';
import type { QueryEngine } from '../../../core/ports/query-engine.js';
import type { RunContext } from '../../../core/run/run-context.js';
import type { FeatureProgress } from '../../../core/run/workflow-state.js';
import { getFeatureQueryState } from '../../../core/steps/get-feature-query-state.js';
import { FolderObjectStore } from '../../../local/adapters/folder-object-store.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';

const run: RunContext = {
  runId: 'reviews-run-1', pipeline: 'reviews', trigger: 'manual', objects: [], bucket: 'lake', startedAt: '2026-11-21T10:00:00.000Z',
  plan: { features: true, training: 'train', deploy: false },
};
const TARGET = 's3://lake/features/reviews/reviews-run-1/';

function progress(): FeatureProgress {
  return {
    database: 'sluice_dev', table: 'reviews', attempt: 0, maxAttempts: 10, pollSeconds: 5, state: 'RUNNING', redriveCount: 0, contentType: 'text/plain',
    query: { queryId: 'q-1', location: TARGET, state: 'RUNNING' },
    train: { queryId: 'q-1', location: `${TARGET}split=train/`, state: 'RUNNING' },
    validation: { queryId: 'q-1', location: `${TARGET}split=validation/`, state: 'RUNNING' },
  };
}

describe('getFeatureQueryState', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'sluice-text-features-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  describe('a text (BlazingText) pipeline', () => {
    it('merges each split\'s gzip parts into one plain data.txt before it reports SUCCEEDED when the query succeeded', async () => {
      // Prepare
      for (const [split, parts] of [['train', ['__label__great a\n', '__label__other b\n']], ['validation', ['__label__great c\n']]] as const) {
        const dir = path.join(root, 'lake', 'features', 'reviews', 'reviews-run-1', `split=${split}`);
        await mkdir(dir, { recursive: true });
        for (const [i, part] of parts.entries()) await writeFile(path.join(dir, `part-${i}.gz`), gzipSync(part));
      }
      const queryEngine: QueryEngine = { startQuery: async () => ({ queryId: 'q-1' }), queryStatus: async () => ({ state: 'SUCCEEDED' }), stopQuery: async () => undefined };
      const deps = { queryEngine, store: new FolderObjectStore(root), specs: folderSpecCatalog(path.join(REPO_ROOT, 'pipelines')), names: { database: 'sluice_dev', crawlerPrefix: 'sluice-dev-', workgroupPrefix: 'sluice-dev-' } };

      // Act
      const next = await getFeatureQueryState({ run, features: progress() }, deps);

      // Assess
      expect(next.state).toBe('SUCCEEDED');
      const train = path.join(root, 'lake', 'features', 'reviews', 'reviews-run-1', 'split=train');
      const validation = path.join(root, 'lake', 'features', 'reviews', 'reviews-run-1', 'split=validation');
      expect(await readdir(train)).toEqual(['data.txt']);
      expect(await readFile(path.join(train, 'data.txt'), 'utf8')).toBe('__label__great a\n__label__other b\n');
      expect(await readFile(path.join(validation, 'data.txt'), 'utf8')).toBe('__label__great c\n');
    });
  });
});
