import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { PutObjectCommandInput } from '@aws-sdk/client-s3';
import { DescribeModelPackageCommand, ListModelPackagesCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { S3ObjectStore } from '../../../aws/adapters/s3-object-store.js';
import { SageMakerRegistry } from '../../../aws/adapters/sagemaker-registry.js';
import { CHART_LIBRARY_ASSET, CLOUD_PLOTS_UNAVAILABLE, cloudReportSources } from '../../../aws/wiring/run-report.js';
import { silentLogger } from '../../../core/log/logger.js';
import type { ModelVersion } from '../../../core/ports/model-registry.js';
import { escapeHtml } from '../../../core/report/html.js';
import type { RunContext } from '../../../core/run/run-context.js';
import type { Evaluation, FeatureProgress, TrainingProgress } from '../../../core/run/workflow-state.js';
import { recordFailure } from '../../../core/steps/record-failure.js';
import { recordRun } from '../../../core/steps/record-run.js';

const s3 = mockClient(S3Client);
const sagemaker = mockClient(SageMakerClient);

const ROOT = path.resolve(__dirname, '..', '..', '..');
/** Where ComputeEvaluationMetrics writes the candidate's plot data: beside its artifact. */
const INSIGHTS_KEY = 'models/churn/sluice-dev-churn-train-2/output/insights.json';
const GROUP_ARN = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/sluice-dev-churn';
const run: RunContext = { runId: 'churn-20261130T010203Z-abc123', pipeline: 'churn', trigger: 'manual', objects: [], bucket: 'lake', startedAt: '2026-11-30T01:02:03.000Z', plan: { features: true, training: 'train', deploy: true } };
const candidate: ModelVersion = {
  pipeline: 'churn',
  version: 2,
  id: `${GROUP_ARN}/2`,
  modelArtifact: 's3://lake/models/churn/sluice-dev-churn-train-2/output/model.tar.gz',
  image: 'xgboost:1.7-1',
  metrics: { 'validation:auc': 0.8731 },
  status: 'PendingManualApproval',
  runId: run.runId,
  createdAt: '2026-11-30T01:20:00.000Z',
  lineage: {},
};
const evaluation: Evaluation = { promote: true, decision: { promote: true, metric: 'validation:auc', candidate: 0.8731, production: 0.8512, reasons: ['0.8731 > 0.8512'] }, candidate };
const features: FeatureProgress = {
  database: 'sluice_dev',
  table: 'churn',
  query: { queryId: 'q-1', location: `s3://lake/features/churn/${run.runId}/`, state: 'SUCCEEDED' },
  contentType: 'application/x-parquet',
  train: { queryId: 'q-1', location: `s3://lake/features/churn/${run.runId}/split=train/`, state: 'SUCCEEDED' },
  validation: { queryId: 'q-1', location: `s3://lake/features/churn/${run.runId}/split=validation/`, state: 'SUCCEEDED' },
  attempt: 2,
  maxAttempts: 400,
  pollSeconds: 5,
  state: 'SUCCEEDED',
  redriveCount: 0,
};
const training: TrainingProgress = {
  mode: 'train',
  jobName: 'sluice-dev-churn-train-2',
  redriveCount: 0,
  attempt: 3,
  maxAttempts: 95,
  pollSeconds: 30,
  state: 'Completed',
  modelArtifact: candidate.modelArtifact,
  metrics: { 'validation:auc': 0.8731 },
};

/** DescribeModelPackage of version `n` of the churn group, as SageMaker answers for a Sluice-registered package. */
function described(n: number, auc: string, status: 'Approved' | 'PendingManualApproval') {
  return {
    ModelPackageArn: `${GROUP_ARN}/${n}`,
    ModelPackageVersion: n,
    ModelApprovalStatus: status,
    CreationTime: new Date(`2026-11-${20 + n}T00:00:00.000Z`),
    InferenceSpecification: { Containers: [{ Image: 'xgboost:1.7-1', ModelDataUrl: `s3://lake/models/churn/job-${n}/output/model.tar.gz` }], SupportedContentTypes: ['text/csv'], SupportedResponseMIMETypes: ['text/csv'] },
    CustomerMetadataProperties: { 'sluice:run': `run-${n}`, 'sluice:metric:validation:auc': auc },
  };
}

function deps() {
  const registry = new SageMakerRegistry(new SageMakerClient({}), { groupPrefix: 'sluice-dev-' });
  return {
    store: new S3ObjectStore(new S3Client({})),
    lakeBucket: 'lake',
    logger: silentLogger,
    clock: () => new Date('2026-11-30T01:30:00.000Z'),
    report: cloudReportSources({ taskRoot: ROOT }, registry),
  };
}

/** The PutObject the report was written with, by key. */
function putOf(key: string): PutObjectCommandInput | undefined {
  return s3.commandCalls(PutObjectCommand).find((call) => call.args[0].input.Key === key)?.args[0].input;
}

describe('the cloud run report', () => {
  beforeEach(() => {
    s3.reset();
    sagemaker.reset();
    s3.on(PutObjectCommand).resolves({});
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' }));
    s3.on(ListObjectsV2Command, { Prefix: `features/churn/${run.runId}/split=train/` }).resolves({ Contents: [{ Key: `features/churn/${run.runId}/split=train/part-0.parquet`, Size: 3 * 1024 * 1024, ETag: '"a"', LastModified: new Date() }] });
    s3.on(ListObjectsV2Command, { Prefix: `features/churn/${run.runId}/split=validation/` }).resolves({ Contents: [{ Key: `features/churn/${run.runId}/split=validation/part-0.parquet`, Size: 512 * 1024, ETag: '"b"', LastModified: new Date() }] });
    sagemaker.on(ListModelPackagesCommand).resolves({ ModelPackageSummaryList: [2, 1].map((n) => ({ ModelPackageArn: `${GROUP_ARN}/${n}`, ModelPackageGroupName: 'sluice-dev-churn', ModelPackageVersion: n, CreationTime: new Date(), ModelPackageStatus: 'Completed' })) });
    sagemaker.on(DescribeModelPackageCommand, { ModelPackageName: `${GROUP_ARN}/1` }).resolves(described(1, '0.8512', 'Approved'));
    sagemaker.on(DescribeModelPackageCommand, { ModelPackageName: `${GROUP_ARN}/2` }).resolves(described(2, '0.8731', 'PendingManualApproval'));
  });

  describe('RecordRun', () => {
    it('puts the HTML report beside the manifest with Chart.js, the registry versions and the feature listing inline when the run trained a model', async () => {
      // Prepare
      const chart = readFileSync(path.join(ROOT, CHART_LIBRARY_ASSET), 'utf8');

      // Act
      await recordRun({ run, features, training, evaluation }, deps());

      // Assess
      const put = putOf(`runs/churn/${run.runId}.html`);
      const html = String(put?.Body);
      expect(put).toMatchObject({ Bucket: 'lake', ContentType: 'text/html; charset=utf-8' });
      expect(putOf(`runs/churn/${run.runId}.json`)).toMatchObject({ ContentType: 'application/json' });
      expect(html).toContain(`<h1>Run ${run.runId}</h1>`);
      // The versions-over-time chart's data, from the registry's metadata: v1 (production) then v2.
      expect(html).toContain('"labels":["v1","v2"]');
      expect(html).toContain('"data":[0.8512,0.8731]');
      // The gate and the metrics table, from the manifest.
      expect(html).toContain('Gate on <b>validation:auc</b>');
      // Feature sets listed, not read: sizes from the listing.
      expect(html).toContain('3.0 MB');
      expect(html).toContain('512.0 KB');
      expect(html).toContain(escapeHtml(CLOUD_PLOTS_UNAVAILABLE));
      expect(html).toContain(chart.slice(0, 200));
      expect(sagemaker.commandCalls(ListModelPackagesCommand).map((c) => c.args[0].input)).toEqual([{ ModelPackageGroupName: 'sluice-dev-churn', SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: 50 }]);
      // No feature file or quarantine file is read: the only GetObject is the candidate's insights.json (none here).
      expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input)).toEqual([{ Bucket: 'lake', Key: INSIGHTS_KEY }]);
      expect(html).not.toContain('ROC curve');
    });

    it("draws the candidate's ROC and precision-recall curves from its insights.json when ComputeEvaluationMetrics wrote one", async () => {
      // Prepare: what ComputeEvaluationMetrics puts beside the candidate's artifact (issue 14)
      const insights = {
        kind: 'binary',
        rows: 4,
        roc: { x: [0, 0, 0.5, 0.5, 1], y: [0, 0.5, 0.5, 1, 1], threshold: [1, 0.9, 0.6, 0.4, 0.2] },
        precisionRecall: { x: [0, 0.5, 0.5, 1, 1], y: [1, 1, 0.5, 0.75, 0.5], threshold: [1, 0.9, 0.6, 0.4, 0.2] },
      };
      s3.on(GetObjectCommand, { Key: INSIGHTS_KEY }).callsFake(() => ({ Body: Object.assign(Readable.from([]), { transformToString: () => Promise.resolve(JSON.stringify(insights)) }) }));

      // Act
      await recordRun({ run, features, training, evaluation }, deps());

      // Assess
      const html = String(putOf(`runs/churn/${run.runId}.html`)?.Body);
      expect(html).toContain('ROC curve');
      expect(html).toContain('"data":[{"x":0,"y":0},{"x":0,"y":0.5},{"x":0.5,"y":0.5},{"x":0.5,"y":1},{"x":1,"y":1}]');
      expect(html).toContain('Precision-recall curve');
      expect(html).toContain('{"x":1,"y":0.75}');
      // Importance and tuning still carry the reason they are not drawn in the cloud.
      expect(html).toContain(escapeHtml(CLOUD_PLOTS_UNAVAILABLE));
    });

    it('records the run without a report when Chart.js is not in the task root', async () => {
      // Prepare
      const registry = new SageMakerRegistry(new SageMakerClient({}), { groupPrefix: 'sluice-dev-' });
      const noChart = { ...deps(), report: cloudReportSources({ taskRoot: path.join(ROOT, 'no-such-task-root') }, registry) };

      // Act
      const recorded = await recordRun({ run, features, training, evaluation }, noChart);

      // Assess
      expect(recorded.manifestKey).toBe(`runs/churn/${run.runId}.json`);
      expect(putOf(`runs/churn/${run.runId}.json`)).toBeDefined();
      expect(putOf(`runs/churn/${run.runId}.html`)).toBeUndefined();
    });
  });

  describe('RecordFailure', () => {
    it('puts the failed run report beside its manifest, naming the failed state and the error, when a deployment failed', async () => {
      // Prepare
      const failure = {
        executionArn: `arn:aws:states:us-east-1:123456789012:execution:sluice-dev:${run.runId}`,
        executionName: run.runId,
        startTime: run.startedAt,
        status: 'FAILED' as const,
        redriveCount: 0,
        failedState: 'Deploy',
        error: { Error: 'EndpointUpdateFailedError', Cause: 'the endpoint update rolled back' },
        state: { run, features, training, evaluation },
      };

      // Act
      await recordFailure(failure, deps());

      // Assess
      const put = putOf(`runs/churn/${run.runId}.html`);
      const html = String(put?.Body);
      expect(put).toMatchObject({ Bucket: 'lake', ContentType: 'text/html; charset=utf-8' });
      expect(html).toContain(`<h1>Run ${run.runId}</h1>`);
      expect(html).toContain('Failed in <b>Deploy</b>: EndpointUpdateFailedError: the endpoint update rolled back');
      expect(html).toContain('"data":[0.8512,0.8731]');
      expect(html).toContain('by RecordFailure');
    });
  });
});
