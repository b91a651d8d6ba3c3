import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { InvokeEndpointCommand, ModelNotReadyException, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { Uint8ArrayBlobAdapter } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { SageMakerInvoker } from '../../../aws/adapters/sagemaker-invoker.js';
import { TransientServiceError } from '../../../core/errors.js';
import { silentLogger } from '../../../core/log/logger.js';
import { folderSpecCatalog } from '../../../core/pipelines/spec-catalog.js';
import type { ModelHosting } from '../../../core/ports/model-hosting.js';
import type { ModelRegistry, ModelVersion } from '../../../core/ports/model-registry.js';
import type { RunContext } from '../../../core/run/run-context.js';
import type { DeploymentProgress } from '../../../core/run/workflow-state.js';
import { smokeTest } from '../../../core/steps/smoke-test.js';
import { FolderObjectStore } from '../../../local/adapters/folder-object-store.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';

const runtime = mockClient(SageMakerRuntimeClient);

const run: RunContext = { runId: 'run-1', pipeline: 'churn', trigger: 'upload', objects: [], bucket: 'lake', startedAt: '2026-11-21T00:00:00.000Z', plan: { features: true, training: 'train', deploy: true } };
const features = {
  database: 'd', table: 'churn', attempt: 1, maxAttempts: 2, pollSeconds: 5, state: 'SUCCEEDED' as const,
  query: { queryId: 'q1', location: 's3://lake/features/churn/run-1/', state: 'SUCCEEDED' as const },
  contentType: 'application/x-parquet',
  train: { queryId: 'q1', location: 's3://lake/features/churn/run-1/split=train/', state: 'SUCCEEDED' as const },
  validation: { queryId: 'q1', location: 's3://lake/features/churn/run-1/split=validation/', state: 'SUCCEEDED' as const },
};
const deployment: DeploymentProgress = {
  endpointName: 'sluice-dev-churn', endpointConfigName: 'cfg-1', modelName: 'm-1', modelVersion: 1, operation: 'create', attempt: 1, maxAttempts: 120, pollSeconds: 30, state: 'InService',
};

const production: ModelVersion = {
  pipeline: 'churn', version: 3, id: 'arn:aws:sagemaker:eu-west-1:123456789012:model-package/sluice-dev-churn/3', modelArtifact: 's3://lake/models/churn/run-0/model.tar.gz',
  image: 'xgboost:1.7-1', metrics: {}, status: 'Approved', runId: 'run-0', createdAt: '2026-11-20T00:00:00.000Z', lineage: {},
};

async function deps() {
  const lake = await mkdtemp(path.join(tmpdir(), 'sluice-smoke-sm-'));
  const dir = path.join(lake, 'lake', 'features', 'churn', 'run-1', 'split=validation');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'part-0.csv.gz'), gzipSync('2,0.5,2\n0,0.1,3\n'));
  const hosting: ModelHosting = { deploy: async () => ({ operation: 'update' }), status: async () => undefined, cleanup: async () => ({ deleted: [] }) };
  const registry: ModelRegistry = { register: async () => { throw new Error('unused'); }, production: async () => undefined, decide: async () => {} };
  return {
    hosting, registry, invoker: new SageMakerInvoker(new SageMakerRuntimeClient({ region: 'eu-west-1' })), store: new FolderObjectStore(lake),
    specs: folderSpecCatalog(path.join(REPO_ROOT, 'pipelines')), logger: silentLogger, endpointPrefix: 'sluice-dev-', workDir: path.join(lake, 'work'),
  };
}

describe('smokeTest on a SageMaker endpoint', () => {
  beforeEach(() => {
    runtime.reset();
  });

  describe('a multi:softprob model', () => {
    it('sends text/csv rows to InvokeEndpoint and accepts the container\'s lines of class probabilities', async () => {
      // Prepare: np.savetxt of a 3-class softprob answer, as the 1.7-1 container writes text/csv
      runtime.on(InvokeEndpointCommand).resolves({ ContentType: 'text/csv; charset=utf-8', Body: Uint8ArrayBlobAdapter.fromString('0.1,0.2,0.7\n0.6,0.3,0.1\n') });

      // Act
      const result = await smokeTest({ run, features, deployment }, await deps());

      // Assess
      expect(result).toEqual({ rows: 2, predictions: [0.1, 0.2, 0.7, 0.6, 0.3, 0.1] });
      expect(runtime.commandCalls(InvokeEndpointCommand)[0]?.args[0].input).toEqual({ EndpointName: 'sluice-dev-churn', ContentType: 'text/csv', Accept: 'text/csv', Body: '0.5,2\n0.1,3\n' });
    });

    it('reads the JSON form when the endpoint answers application/json', async () => {
      // Prepare
      runtime.on(InvokeEndpointCommand).resolves({ ContentType: 'application/json', Body: Uint8ArrayBlobAdapter.fromString('{"predictions": [{"score": [0.1, 0.9]}, {"score": [0.5, 0.5]}]}') });

      // Act
      const result = await smokeTest({ run, features, deployment }, await deps());

      // Assess
      expect(result).toEqual({ rows: 2, predictions: [0.1, 0.9, 0.5, 0.5] });
    });
  });

  describe('an endpoint that cannot answer yet', () => {
    it.each([
      ['the model is not ready', new ModelNotReadyException({ message: 'Model is not ready', $metadata: { httpStatusCode: 429 } })],
      ['the runtime throttles the call', Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } })],
    ])('throws TransientServiceError for the ASL to retry, and redeploys nothing, when %s', async (_when, answer) => {
      // Prepare
      runtime.on(InvokeEndpointCommand).rejects(answer);
      const base = await deps();
      const deploy = jest.fn(base.hosting.deploy);
      const withProduction = { ...base, hosting: { ...base.hosting, deploy }, registry: { ...base.registry, production: async () => production } };

      // Act
      const error: unknown = await smokeTest({ run, features, deployment }, withProduction).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(TransientServiceError);
      expect(error).toMatchObject({ name: 'TransientServiceError', retryable: true });
      expect(deploy).not.toHaveBeenCalled();
      expect(runtime.commandCalls(InvokeEndpointCommand)).toHaveLength(1);
    });
  });
});
