import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../../core/log/logger.js';
import { folderSpecCatalog } from '../../../core/pipelines/spec-catalog.js';
import type { EndpointInvoker, ModelHosting } from '../../../core/ports/model-hosting.js';
import type { ModelRegistry } from '../../../core/ports/model-registry.js';
import type { RunContext } from '../../../core/run/run-context.js';
import type { DeploymentProgress } from '../../../core/run/workflow-state.js';
import { smokeTest } from '../../../core/steps/smoke-test.js';
import { FolderObjectStore } from '../../../local/adapters/folder-object-store.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';

const run: RunContext = { runId: 'run-1', pipeline: 'reviews', trigger: 'manual', objects: [], bucket: 'lake', startedAt: '2026-11-21T00:00:00.000Z', plan: { features: true, training: 'train', deploy: true } };
const features = {
  database: 'd', table: 'reviews', attempt: 1, maxAttempts: 2, pollSeconds: 5, state: 'SUCCEEDED' as const,
  query: { queryId: 'q1', location: 's3://lake/features/reviews/run-1/', state: 'SUCCEEDED' as const },
  contentType: 'text/plain',
  train: { queryId: 'q1', location: 's3://lake/features/reviews/run-1/split=train/', state: 'SUCCEEDED' as const },
  validation: { queryId: 'q1', location: 's3://lake/features/reviews/run-1/split=validation/', state: 'SUCCEEDED' as const },
};
const deployment: DeploymentProgress = {
  endpointName: 'sluice-dev-reviews', endpointConfigName: 'cfg-1', modelName: 'm-1', modelVersion: 1, operation: 'create', attempt: 1, maxAttempts: 120, pollSeconds: 30, state: 'InService', address: 'sluice-dev-reviews',
};

describe('smokeTest', () => {
  let lake: string;

  beforeEach(async () => {
    lake = await mkdtemp(path.join(tmpdir(), 'sluice-smoke-text-'));
    const dir = path.join(lake, 'lake', 'features', 'reviews', 'run-1', 'split=validation');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'data.txt'), '__label__great so good !\n__label__other stale\n__label__great\n');
  });

  afterEach(async () => {
    await rm(lake, { recursive: true, force: true });
  });

  function depsAnswering(body: string) {
    const sent: { contentType: string; accept: string; body: string }[] = [];
    const hosting: ModelHosting = { deploy: async () => ({ operation: 'update' }), status: async () => undefined, cleanup: async () => ({ deleted: [] }) };
    const registry: ModelRegistry = { register: async () => { throw new Error('unused'); }, production: async () => undefined, decide: async () => {} };
    const invoker: EndpointInvoker = {
      invoke: async (_address, request) => {
        sent.push(request);
        return { contentType: 'application/json', body };
      },
    };
    const deps = { hosting, invoker, registry, store: new FolderObjectStore(lake), specs: folderSpecCatalog(path.join(REPO_ROOT, 'pipelines')), logger: silentLogger, endpointPrefix: 'sluice-dev-', workDir: path.join(lake, 'work') };
    return { deps, sent };
  }

  describe('a text (BlazingText) model', () => {
    it("sends the validation lines without their labels in BlazingText's JSON contract and returns each top probability when the endpoint answers labels and probabilities", async () => {
      // Prepare
      const { deps, sent } = depsAnswering(
        JSON.stringify([
          { label: ['__label__great'], prob: [0.9] },
          { label: ['__label__other'], prob: [0.7] },
          { label: ['__label__great'], prob: [0.55] },
        ]),
      );

      // Act
      const result = await smokeTest({ run, features, deployment }, deps);

      // Assess
      expect(sent).toEqual([
        { contentType: 'application/json', accept: 'application/json', body: JSON.stringify({ instances: ['so good !', 'stale', ''], configuration: { k: 1 } }) },
      ]);
      expect(result).toEqual({ rows: 3, predictions: [0.9, 0.7, 0.55] });
    });

    it('fails with SmokeTestFailedError when an instance has no probability', async () => {
      // Prepare
      const { deps } = depsAnswering(JSON.stringify([{ label: ['__label__great'], prob: [] }, { label: ['__label__other'], prob: [0.7] }, { label: ['__label__great'], prob: [0.5] }]));

      // Act
      const failed = smokeTest({ run, features, deployment }, deps);

      // Assess
      await expect(failed).rejects.toMatchObject({ name: 'SmokeTestFailedError', message: expect.stringContaining('prediction 0 does not hold as many labels as probabilities') });
    });

    it('fails with SmokeTestFailedError when the endpoint answers fewer predictions than instances', async () => {
      // Prepare
      const { deps } = depsAnswering(JSON.stringify([{ label: ['__label__great'], prob: [0.9] }]));

      // Act
      const failed = smokeTest({ run, features, deployment }, deps);

      // Assess
      await expect(failed).rejects.toMatchObject({ name: 'SmokeTestFailedError', message: expect.stringContaining('1 predictions for 3 instances') });
    });
  });
});
