import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { readPredictionAnswer } from '../../../core/deployment/prediction-answer.js';
import { silentLogger } from '../../../core/log/logger.js';
import { folderSpecCatalog } from '../../../core/pipelines/spec-catalog.js';
import type { EndpointInvoker, EndpointSpec, ModelHosting } from '../../../core/ports/model-hosting.js';
import type { ModelRegistry } from '../../../core/ports/model-registry.js';
import type { RunContext } from '../../../core/run/run-context.js';
import type { DeploymentProgress } from '../../../core/run/workflow-state.js';
import { smokeTest } from '../../../core/steps/smoke-test.js';
import { FolderObjectStore } from '../../../local/adapters/folder-object-store.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';

const run: RunContext = { runId: 'run-1', pipeline: 'churn', trigger: 'manual', objects: [], bucket: 'lake', startedAt: '2026-11-21T00:00:00.000Z', plan: { features: true, training: 'train', deploy: true } };
const features = {
  database: 'd', table: 'churn', attempt: 1, maxAttempts: 2, pollSeconds: 5, state: 'SUCCEEDED' as const,
  query: { queryId: 'q1', location: 's3://lake/features/churn/run-1/', state: 'SUCCEEDED' as const },
  contentType: 'application/x-parquet',
  train: { queryId: 'q1', location: 's3://lake/features/churn/run-1/split=train/', state: 'SUCCEEDED' as const },
  validation: { queryId: 'q1', location: 's3://lake/features/churn/run-1/split=validation/', state: 'SUCCEEDED' as const },
};
const deployment: DeploymentProgress = {
  endpointName: 'sluice-dev-churn', endpointConfigName: 'cfg-1', modelName: 'm-1', modelVersion: 1, operation: 'create', attempt: 1, maxAttempts: 120, pollSeconds: 30, state: 'InService', address: 'sluice-dev-churn',
};

/** Deployment deps whose validation set holds three rows of a three-class problem (label first). */
async function depsAnswering(answer: { contentType: string; body: string }) {
  const lake = await mkdtemp(path.join(tmpdir(), 'sluice-smoke-'));
  const dir = path.join(lake, 'lake', 'features', 'churn', 'run-1', 'split=validation');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'part-0.csv.gz'), gzipSync('2,0.5,2\n0,0.1,3\n1,0.9,1\n'));
  const deployed: EndpointSpec[] = [];
  const hosting: ModelHosting = { deploy: async (spec) => { deployed.push(spec); return { operation: 'update' }; }, status: async () => undefined, cleanup: async () => ({ deleted: [] }) };
  const registry: ModelRegistry = { register: async () => { throw new Error('unused'); }, production: async () => undefined, decide: async () => {} };
  const invoker: EndpointInvoker = { invoke: async () => answer };
  const deps = { hosting, invoker, registry, store: new FolderObjectStore(lake), specs: folderSpecCatalog(path.join(REPO_ROOT, 'pipelines')), logger: silentLogger, endpointPrefix: 'sluice-dev-', workDir: path.join(lake, 'work') };
  return { deps, deployed };
}

describe('smokeTest', () => {
  describe('a multi:softprob model', () => {
    it('accepts one line of class probabilities per row when the endpoint answers text/csv', async () => {
      // Prepare: the container's text/csv answer of a 3-class softprob model (np.savetxt, one row per line)
      const { deps } = await depsAnswering({ contentType: 'text/csv', body: '0.1,0.2,0.7\n0.8,0.15,0.05\n0.3,0.3,0.4\n' });

      // Act
      const result = await smokeTest({ run, features, deployment }, deps);

      // Assess
      expect(result).toEqual({ rows: 3, predictions: [0.1, 0.2, 0.7, 0.8, 0.15, 0.05, 0.3, 0.3, 0.4] });
    });

    it('fails when a row of probabilities does not sum to one', async () => {
      // Prepare
      const { deps } = await depsAnswering({ contentType: 'text/csv', body: '0.1,0.2,0.7\n0.8,0.8,0.05\n0.3,0.3,0.4\n' });

      // Act
      const failed = smokeTest({ run, features, deployment }, deps);

      // Assess
      await expect(failed).rejects.toMatchObject({ name: 'SmokeTestFailedError', message: expect.stringContaining('row 2 holds 3 values that are not class probabilities') });
    });
  });
});

describe('readPredictionAnswer', () => {
  describe('text/csv answers', () => {
    it('reads one number per line when the model answers scores', () => {
      // Prepare
      const body = '0.7\n0.2\n0.9\n';

      // Act
      const answer = readPredictionAnswer(body, 'text/csv; charset=utf-8', 3);

      // Assess
      expect(answer).toEqual({ ok: true, rows: { values: [0.7, 0.2, 0.9], rows: 3, valuesPerRow: 1 } });
    });

    it('reads the one-line form of older images when it holds one number per row', () => {
      // Prepare
      const body = '0.7,0.2,0.9';

      // Act
      const answer = readPredictionAnswer(body, 'text/csv', 3);

      // Assess
      expect(answer).toEqual({ ok: true, rows: { values: [0.7, 0.2, 0.9], rows: 3, valuesPerRow: 1 } });
    });

    it('refuses ragged rows when lines hold different numbers of values', () => {
      // Prepare
      const body = '0.3,0.7\n1\n';

      // Act
      const answer = readPredictionAnswer(body, 'text/csv', 2);

      // Assess
      expect(answer).toEqual({ ok: false, problem: 'row 2 holds 1 value(s), row 1 holds 2' });
    });

    it('refuses an answer with fewer rows than were sent', () => {
      // Prepare
      const body = '0.1,0.2,0.7\n';

      // Act
      const answer = readPredictionAnswer(body, 'text/csv', 2);

      // Assess
      expect(answer).toEqual({ ok: false, problem: '1 row(s) of predictions for 2 row(s) sent' });
    });
  });

  describe('application/json answers', () => {
    it('reads a list of class probabilities per row when the model is multi:softprob', () => {
      // Prepare: json.dumps({"predictions": [{"score": [...]}, ...]}), as the container writes it
      const body = '{"predictions": [{"score": [0.25, 0.75]}, {"score": [0.5, 0.5]}]}';

      // Act
      const answer = readPredictionAnswer(body, 'application/json', 2);

      // Assess
      expect(answer).toEqual({ ok: true, rows: { values: [0.25, 0.75, 0.5, 0.5], rows: 2, valuesPerRow: 2 } });
    });

    it('reads one score per row when the model answers scores', () => {
      // Prepare
      const body = '{"predictions": [{"score": 0.998}, {"score": 2.1e-05}]}';

      // Act
      const answer = readPredictionAnswer(body, 'application/json', 2);

      // Assess
      expect(answer).toEqual({ ok: true, rows: { values: [0.998, 2.1e-5], rows: 2, valuesPerRow: 1 } });
    });

    it('says what is missing when a prediction has no score', () => {
      // Prepare
      const body = '{"predictions": [{"label": 1}]}';

      // Act
      const answer = readPredictionAnswer(body, 'application/json', 1);

      // Assess
      expect(answer).toEqual({ ok: false, problem: 'prediction 1 has no numeric "score"' });
    });
  });
});
