import path from 'node:path';
import { CreateModelPackageCommand, DescribeModelPackageCommand, ListModelPackagesCommand, SageMakerClient, UpdateModelPackageCommand } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { SageMakerRegistry } from '../../../aws/adapters/sagemaker-registry.js';
import { silentLogger } from '../../../core/log/logger.js';
import { folderSpecCatalog } from '../../../core/pipelines/spec-catalog.js';
import type { RunContext } from '../../../core/run/run-context.js';
import { APPROVED_NOT_DEPLOYED, evaluateModel } from '../../../core/steps/evaluate-model.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';

const sagemaker = mockClient(SageMakerClient);
const ARN = 'arn:aws:sagemaker:eu-west-1:123456789012:model-package/sluice-dev-churn/1';

const run: RunContext = { runId: 'run-1', pipeline: 'churn', trigger: 'upload', objects: [], bucket: 'lake', startedAt: '2026-11-21T00:00:00.000Z', plan: { features: true, training: 'train', deploy: false } };
const features = {
  database: 'd', table: 'churn', attempt: 1, maxAttempts: 2, pollSeconds: 5, state: 'SUCCEEDED' as const,
  query: { queryId: 'q1', location: 's3://lake/features/churn/run-1/', state: 'SUCCEEDED' as const },
  contentType: 'application/x-parquet',
  train: { queryId: 'q1', location: 's3://lake/features/churn/run-1/split=train/', state: 'SUCCEEDED' as const },
  validation: { queryId: 'q1', location: 's3://lake/features/churn/run-1/split=validation/', state: 'SUCCEEDED' as const },
};
const training = {
  mode: 'train' as const, jobName: 'job-1', attempt: 3, maxAttempts: 10, pollSeconds: 30, state: 'Completed' as const,
  modelArtifact: 's3://lake/models/churn/job-1/output/model.tar.gz', metrics: { 'validation:auc': 0.86 },
};

describe('evaluateModel on the SageMaker Model Registry', () => {
  beforeEach(() => {
    sagemaker.reset();
  });

  describe('a pipeline that deploys nothing', () => {
    it('approves the passing package with the reason "approved, not deployed" when the run has no deployment', async () => {
      // Prepare
      sagemaker.on(CreateModelPackageCommand).resolves({ ModelPackageArn: ARN });
      sagemaker.on(DescribeModelPackageCommand).resolves({ ModelPackageArn: ARN, ModelPackageVersion: 1, ModelApprovalStatus: 'PendingManualApproval', CreationTime: new Date('2026-11-21T00:00:00Z') });
      sagemaker.on(ListModelPackagesCommand).resolves({ ModelPackageSummaryList: [] });
      sagemaker.on(UpdateModelPackageCommand).resolves({ ModelPackageArn: ARN });
      const registry = new SageMakerRegistry(new SageMakerClient({ region: 'eu-west-1' }), { groupPrefix: 'sluice-dev-' });

      // Act
      const evaluation = await evaluateModel({ run, features, training }, { registry, specs: folderSpecCatalog(path.join(REPO_ROOT, 'pipelines')), logger: silentLogger, modelImage: 'img' });

      // Assess
      expect(evaluation.candidate.status).toBe('Approved');
      const update = sagemaker.commandCalls(UpdateModelPackageCommand)[0]?.args[0].input;
      expect(update).toMatchObject({ ModelPackageArn: ARN, ModelApprovalStatus: 'Approved' });
      expect(update?.ApprovalDescription).toContain(APPROVED_NOT_DEPLOYED);
    });
  });
});
