import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { silentLogger } from '../../../core/log/logger.js';
import { folderSpecCatalog } from '../../../core/pipelines/spec-catalog.js';
import type { EndpointInvoker, EndpointSpec, EndpointStatus, ModelHosting } from '../../../core/ports/model-hosting.js';
import type { ModelRegistry, ModelVersion } from '../../../core/ports/model-registry.js';
import type { RunContext } from '../../../core/run/run-context.js';
import type { DeploymentProgress, Evaluation } from '../../../core/run/workflow-state.js';
import { deploy } from '../../../core/steps/deploy.js';
import { getEndpointState } from '../../../core/steps/get-endpoint-state.js';
import { smokeTest } from '../../../core/steps/smoke-test.js';
import { FolderObjectStore } from '../../../local/adapters/folder-object-store.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';

/** A hosting port that records what it is asked and answers a fixed status. */
class RecordingHosting implements ModelHosting {
  public readonly deployed: EndpointSpec[] = [];
  public constructor(public current: EndpointStatus | undefined) {}
  public async deploy(spec: EndpointSpec): Promise<{ operation: 'create' | 'update' }> {
    this.deployed.push(spec);
    return { operation: 'update' };
  }
  public async status(): Promise<EndpointStatus | undefined> {
    return this.current;
  }
  public async cleanup(): Promise<{ deleted: string[] }> {
    return { deleted: [] };
  }
}

const production: ModelVersion = {
  pipeline: 'churn',
  version: 4,
  id: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/sluice-dev-churn/4',
  modelArtifact: 's3://lake/models/churn/job-4/output/model.tar.gz',
  image: 'xgboost:1.7-1',
  metrics: { 'validation:auc': 0.86 },
  status: 'Approved',
  runId: 'run-4',
  createdAt: '2026-11-20T00:00:00.000Z',
  lineage: {},
};
const candidate: ModelVersion = { ...production, version: 5, id: 'p/5', modelArtifact: 's3://lake/models/churn/job-5/output/model.tar.gz', status: 'PendingManualApproval', runId: 'run-5' };
const registry: ModelRegistry = { register: async () => candidate, production: async () => production, decide: async () => {} };
const run: RunContext = { runId: 'run-5', pipeline: 'churn', trigger: 'manual', objects: [], bucket: 'lake', startedAt: '2026-11-21T00:00:00.000Z', plan: { features: true, training: 'tune', deploy: true } };
const evaluation: Evaluation = { promote: true, decision: { promote: true, metric: 'validation:auc', candidate: 0.87, production: 0.86, reasons: ['better'] }, candidate };

async function depsWith(hosting: ModelHosting, invoker: EndpointInvoker) {
  const lake = await mkdtemp(path.join(tmpdir(), 'sluice-deploy-'));
  const store = new FolderObjectStore(lake);
  const dir = path.join(lake, 'lake', 'features', 'churn', 'run-5', 'split=validation');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'part-0.csv.gz'), gzipSync('1,0.5,2\n0,0.1,3\n1,0.9,1\n'));
  return { hosting, invoker, registry, store, specs: folderSpecCatalog(path.join(REPO_ROOT, 'pipelines')), logger: silentLogger, endpointPrefix: 'sluice-dev-', workDir: path.join(lake, 'work') };
}

const features = {
  database: 'd', table: 'churn', attempt: 1, maxAttempts: 2, pollSeconds: 5, state: 'SUCCEEDED' as const,
  query: { queryId: 'q1', location: 's3://lake/features/churn/run-5/', state: 'SUCCEEDED' as const },
  contentType: 'application/x-parquet',
  train: { queryId: 'q1', location: 's3://lake/features/churn/run-5/split=train/', state: 'SUCCEEDED' as const },
  validation: { queryId: 'q1', location: 's3://lake/features/churn/run-5/split=validation/', state: 'SUCCEEDED' as const },
};

describe('deployment steps', () => {
  describe('deploy', () => {
    it('names the model and config after the endpoint, unique per execution, when it deploys the candidate', async () => {
      // Prepare
      const hosting = new RecordingHosting(undefined);
      const deps = await depsWith(hosting, { invoke: async () => ({ contentType: 'text/csv', body: '' }) });

      // Act
      const first = await deploy({ run, evaluation, nonce: '2026-11-21T00:00:00Z#0' }, deps);
      const redriven = await deploy({ run, evaluation, nonce: '2026-11-21T00:00:00Z#1' }, deps);

      // Assess
      expect(first.endpointName).toBe('sluice-dev-churn');
      expect(first.endpointConfigName).toMatch(/^sluice-dev-churn-config-[0-9a-f]{16}$/);
      expect(first.modelName).toMatch(/^sluice-dev-churn-model-[0-9a-f]{16}$/);
      expect(redriven.endpointConfigName).not.toBe(first.endpointConfigName);
      expect(hosting.deployed[0]).toMatchObject({ modelArtifact: candidate.modelArtifact, modelVersion: 5, mode: 'realtime', trafficShift: 'canary', instanceCount: 2 });
    });
  });

  describe('getEndpointState', () => {
    const deployment: DeploymentProgress = {
      endpointName: 'sluice-dev-churn', endpointConfigName: 'cfg-5', modelName: 'm-5', modelVersion: 5, operation: 'update', attempt: 0, maxAttempts: 120, pollSeconds: 30, state: 'Updating',
    };

    it('fails with DeploymentRolledBackError when the endpoint is back in service on another config', async () => {
      // Prepare
      const deps = await depsWith(new RecordingHosting({ state: 'InService', endpointConfigName: 'cfg-4', address: 'sluice-dev-churn', failureReason: 'alarm fired' }), { invoke: async () => ({ contentType: '', body: '' }) });

      // Act / Assess
      await expect(getEndpointState({ run, deployment }, deps)).rejects.toMatchObject({
        name: 'DeploymentRolledBackError',
        message: 'Endpoint sluice-dev-churn rolled back to cfg-4: the previous model keeps serving (alarm fired)',
      });
    });

    it('moves on when the endpoint serves this deployment', async () => {
      // Prepare
      const deps = await depsWith(new RecordingHosting({ state: 'InService', endpointConfigName: 'cfg-5', address: 'sluice-dev-churn' }), { invoke: async () => ({ contentType: '', body: '' }) });

      // Act / Assess
      await expect(getEndpointState({ run, deployment }, deps)).resolves.toMatchObject({ state: 'InService', address: 'sluice-dev-churn', attempt: 1 });
    });
  });

  describe('smokeTest', () => {
    const deployment: DeploymentProgress = {
      endpointName: 'sluice-dev-churn', endpointConfigName: 'cfg-5', modelName: 'm-5', modelVersion: 5, operation: 'update', attempt: 3, maxAttempts: 120, pollSeconds: 30, state: 'InService', address: 'sluice-dev-churn',
    };

    it('sends validation rows without their label and accepts one score per row', async () => {
      // Prepare
      const sent: string[] = [];
      const hosting = new RecordingHosting(undefined);
      const deps = await depsWith(hosting, { invoke: async (_address, request) => { sent.push(request.body); return { contentType: 'text/csv', body: '0.7\n0.2\n0.9\n' }; } });

      // Act
      const result = await smokeTest({ run, features, deployment }, deps);

      // Assess
      expect(sent).toEqual(['0.5,2\n0.1,3\n0.9,1\n']);
      expect(result).toEqual({ rows: 3, predictions: [0.7, 0.2, 0.9] });
      expect(hosting.deployed).toEqual([]);
    });

    it('redeploys the production model and fails when the endpoint answers wrongly', async () => {
      // Prepare
      const hosting = new RecordingHosting(undefined);
      const deps = await depsWith(hosting, { invoke: async () => ({ contentType: 'text/csv', body: 'oops' }) });

      // Act
      const failed = smokeTest({ run, features, deployment }, deps);

      // Assess
      await expect(failed).rejects.toMatchObject({ name: 'SmokeTestFailedError', message: expect.stringMatching(/expected 3 numbers; production version 4 is being deployed again \(sluice-dev-churn-restore-config-[0-9a-f]+\)$/) });
      expect(hosting.deployed).toHaveLength(1);
      expect(hosting.deployed[0]).toMatchObject({ endpointName: 'sluice-dev-churn', modelArtifact: production.modelArtifact, modelVersion: 4 });
    });
  });
});
