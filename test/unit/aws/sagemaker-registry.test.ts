import {
  CreateModelPackageCommand,
  DescribeModelPackageCommand,
  ListModelPackagesCommand,
  SageMakerClient,
  SageMakerServiceException,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import type {
  CreateModelPackageCommandInput,
  DescribeModelPackageCommandOutput,
  ListModelPackagesCommandInput,
  ListModelPackagesOutput,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import {
  InvalidCandidateError,
  SageMakerRegistry,
  decodeMetadataText,
  encodeMetadataText,
  registrationToken,
} from '../../../aws/adapters/sagemaker-registry.js';
import { TransientServiceError } from '../../../core/errors.js';
import type { Candidate, ModelVersion } from '../../../core/ports/model-registry.js';
import { pagedResponses } from './paged-responses.js';

const sagemaker = mockClient(SageMakerClient);

const GROUP = 'sluice-dev-churn';
const ARN = 'arn:aws:sagemaker:eu-west-1:123456789012:model-package/sluice-dev-churn/3';
const IMAGE = '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1';
const ARTIFACT = 's3://sluice-dev-lake/models/churn/churn-train-0123456789abcdef/output/model.tar.gz';
const CREATED = new Date('2026-11-20T10:30:00.000Z');

const candidate: Candidate = {
  pipeline: 'churn',
  runId: 'churn-20261120T100000Z-1a2b3c4d',
  modelArtifact: ARTIFACT,
  image: IMAGE,
  metrics: { 'validation:auc': 0.8734, 'train:auc': 0.91 },
  lineage: {
    data: 's3://sluice-dev-lake/raw/churn/ingest_date=2026-11-20/churn-20261120T100000Z-1a2b3c4d/telco.csv',
    trainingJob: 'churn-train-0123456789abcdef',
  },
};

/** What DescribeModelPackage returns for a package created from `input`. */
function described(input: CreateModelPackageCommandInput, overrides: Partial<DescribeModelPackageCommandOutput> = {}): DescribeModelPackageCommandOutput {
  return {
    $metadata: {},
    ModelPackageName: GROUP,
    ModelPackageGroupName: GROUP,
    ModelPackageVersion: 3,
    ModelPackageArn: ARN,
    CreationTime: CREATED,
    InferenceSpecification: input.InferenceSpecification,
    ModelPackageStatus: 'Completed',
    ModelPackageStatusDetails: { ValidationStatuses: [] },
    ModelApprovalStatus: input.ModelApprovalStatus,
    CustomerMetadataProperties: input.CustomerMetadataProperties,
    ...overrides,
  };
}

/** Makes CreateModelPackage answer with ARN and DescribeModelPackage echo what was sent. */
function echoRegistration(overrides: Partial<DescribeModelPackageCommandOutput> = {}): void {
  let sent: CreateModelPackageCommandInput = {};
  sagemaker.on(CreateModelPackageCommand).callsFake((input: CreateModelPackageCommandInput) => {
    sent = input;
    return { ModelPackageArn: ARN };
  });
  sagemaker.on(DescribeModelPackageCommand).callsFake(() => described(sent, overrides));
}

describe('SageMakerRegistry', () => {
  const registry = new SageMakerRegistry(new SageMakerClient({ region: 'eu-west-1' }), { groupPrefix: 'sluice-dev-' });

  beforeEach(() => {
    sagemaker.reset();
  });

  describe('register', () => {
    it('sends the group, description, inference specification, pending status, metadata and token when a candidate is registered', async () => {
      // Prepare
      echoRegistration();

      // Act
      await registry.register(candidate);

      // Assess
      expect(sagemaker.commandCalls(CreateModelPackageCommand)).toHaveLength(1);
      expect(sagemaker.commandCalls(CreateModelPackageCommand)[0]?.args[0].input).toEqual({
        ModelPackageGroupName: GROUP,
        ModelPackageDescription: 'Sluice pipeline churn, run churn-20261120T100000Z-1a2b3c4d',
        InferenceSpecification: {
          Containers: [{ Image: IMAGE, ModelDataUrl: ARTIFACT }],
          SupportedContentTypes: ['text/csv', 'text/libsvm'],
          SupportedResponseMIMETypes: ['text/csv', 'application/json'],
        },
        ModelApprovalStatus: 'PendingManualApproval',
        CustomerMetadataProperties: {
          'sluice:run': 'churn-20261120T100000Z-1a2b3c4d',
          'sluice:metric:validation:auc': '0.8734',
          'sluice:metric:train:auc': '0.91',
          'sluice:lineage:data': 's3://sluice-dev-lake/raw/churn/ingest_date=3D2026-11-20/churn-20261120T100000Z-1a2b3c4d/telco.csv',
          'sluice:lineage:trainingJob': 'churn-train-0123456789abcdef',
        },
        ClientToken: registrationToken(GROUP, candidate.runId),
      });
      expect(sagemaker.commandCalls(DescribeModelPackageCommand)[0]?.args[0].input).toEqual({ ModelPackageName: ARN });
    });

    it('returns the described version with its metrics and lineage decoded when SageMaker creates the package', async () => {
      // Prepare
      echoRegistration();

      // Act
      const version = await registry.register(candidate);

      // Assess
      expect(version).toEqual<ModelVersion>({
        pipeline: 'churn',
        version: 3,
        id: ARN,
        modelArtifact: ARTIFACT,
        image: IMAGE,
        metrics: candidate.metrics,
        status: 'PendingManualApproval',
        runId: candidate.runId,
        createdAt: '2026-11-20T10:30:00.000Z',
        lineage: candidate.lineage,
      });
    });

    it('returns the status SageMaker describes when the run registers again after the gate decided', async () => {
      // Prepare
      echoRegistration({ ModelApprovalStatus: 'Approved' });

      // Act
      const version = await registry.register(candidate);

      // Assess
      expect(version.status).toBe('Approved');
    });

    it('sends the same token when the same run registers twice, and another one for another run', async () => {
      // Prepare
      echoRegistration();

      // Act
      await registry.register(candidate);
      await registry.register(candidate);
      await registry.register({ ...candidate, runId: 'churn-20261121T100000Z-9f8e7d6c' });

      // Assess
      const tokens = sagemaker.commandCalls(CreateModelPackageCommand).map((call) => call.args[0].input.ClientToken);
      expect(tokens[0]).toBe(tokens[1]);
      expect(tokens[2]).not.toBe(tokens[0]);
      for (const token of tokens) expect(token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    });

    it('reads the version from the ARN when DescribeModelPackage gives no version number', async () => {
      // Prepare
      echoRegistration({ ModelPackageVersion: undefined });

      // Act
      const version = await registry.register(candidate);

      // Assess
      expect(version.version).toBe(3);
    });

    it('cuts a lineage value to 256 characters ending with "..." when it is longer', async () => {
      // Prepare
      echoRegistration();
      const long = `s3://sluice-dev-lake/${'k'.repeat(300)}`;

      // Act
      const version = await registry.register({ ...candidate, lineage: { data: long } });

      // Assess
      const sent = sagemaker.commandCalls(CreateModelPackageCommand)[0]?.args[0].input.CustomerMetadataProperties ?? {};
      expect(sent['sluice:lineage:data']).toHaveLength(256);
      expect(sent['sluice:lineage:data']).toBe(`${long.slice(0, 253)}...`);
      expect(version.lineage['data']).toBe(`${long.slice(0, 253)}...`);
    });

    it('leaves out a lineage entry when its value is empty', async () => {
      // Prepare
      echoRegistration();

      // Act
      await registry.register({ ...candidate, lineage: { tuningJob: '', trainingJob: 'churn-train-1' } });

      // Assess
      const sent = sagemaker.commandCalls(CreateModelPackageCommand)[0]?.args[0].input.CustomerMetadataProperties ?? {};
      expect(Object.keys(sent)).not.toContain('sluice:lineage:tuningJob');
      expect(sent['sluice:lineage:trainingJob']).toBe('churn-train-1');
    });

    it('throws InvalidCandidateError and sends nothing when the candidate needs more than 50 metadata entries', async () => {
      // Prepare
      const metrics = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`m${i}`, i]));

      // Act
      const error: unknown = await registry.register({ ...candidate, metrics }).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(InvalidCandidateError);
      expect((error as Error).message).toContain('needs 53 metadata entries');
      expect(sagemaker.calls()).toHaveLength(0);
    });

    it('registers the candidate when it needs exactly 50 metadata entries', async () => {
      // Prepare
      echoRegistration();
      const metrics = Object.fromEntries(Array.from({ length: 47 }, (_, i) => [`m${i}`, i]));

      // Act
      await registry.register({ ...candidate, metrics });

      // Assess
      const sent = sagemaker.commandCalls(CreateModelPackageCommand)[0]?.args[0].input.CustomerMetadataProperties ?? {};
      expect(Object.keys(sent)).toHaveLength(50);
    });

    it('throws InvalidCandidateError when a metric name makes a key longer than 128 characters', async () => {
      // Act / Assess
      await expect(registry.register({ ...candidate, metrics: { ['x'.repeat(120)]: 1 } })).rejects.toBeInstanceOf(InvalidCandidateError);
      expect(sagemaker.calls()).toHaveLength(0);
    });

    it('throws InvalidCandidateError when the pipeline makes an invalid group name', async () => {
      // Act / Assess
      await expect(registry.register({ ...candidate, pipeline: 'churn_v2' })).rejects.toMatchObject({
        name: 'InvalidCandidateError',
        retryable: false,
      });
      expect(sagemaker.calls()).toHaveLength(0);
    });

    it('throws TransientServiceError when CreateModelPackage is throttled', async () => {
      // Prepare
      sagemaker.on(CreateModelPackageCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

      // Act / Assess
      await expect(registry.register(candidate)).rejects.toBeInstanceOf(TransientServiceError);
    });
  });

  describe('production', () => {
    it('lists the newest approved package of the group and describes it when one is approved', async () => {
      // Prepare
      sagemaker.on(ListModelPackagesCommand).resolves({
        ModelPackageSummaryList: [{ ModelPackageArn: ARN, ModelPackageName: GROUP, CreationTime: CREATED, ModelPackageStatus: 'Completed' }],
      });
      sagemaker.on(DescribeModelPackageCommand).resolves(
        described(
          {
            InferenceSpecification: { Containers: [{ Image: IMAGE, ModelDataUrl: ARTIFACT }], SupportedContentTypes: [], SupportedResponseMIMETypes: [] },
            ModelApprovalStatus: 'Approved',
            CustomerMetadataProperties: {
              'sluice:run': 'churn-run-1',
              'sluice:metric:validation:auc': '0.8',
              'sluice:lineage:query': 'a=3Db',
              'other:key': 'ignored',
            },
          },
          { ModelPackageVersion: 2 },
        ),
      );

      // Act
      const version = await registry.production('churn');

      // Assess
      expect(sagemaker.commandCalls(ListModelPackagesCommand)[0]?.args[0].input).toEqual({
        ModelPackageGroupName: GROUP,
        ModelApprovalStatus: 'Approved',
        SortBy: 'CreationTime',
        SortOrder: 'Descending',
        MaxResults: 1,
      });
      expect(sagemaker.commandCalls(DescribeModelPackageCommand)[0]?.args[0].input).toEqual({ ModelPackageName: ARN });
      expect(version).toEqual<ModelVersion>({
        pipeline: 'churn',
        version: 2,
        id: ARN,
        modelArtifact: ARTIFACT,
        image: IMAGE,
        metrics: { 'validation:auc': 0.8 },
        status: 'Approved',
        runId: 'churn-run-1',
        createdAt: '2026-11-20T10:30:00.000Z',
        lineage: { query: 'a=b' },
      });
    });

    it('returns undefined without describing anything when no version is approved yet', async () => {
      // Prepare
      sagemaker.on(ListModelPackagesCommand).resolves({ ModelPackageSummaryList: [] });

      // Act
      const version = await registry.production('churn');

      // Assess
      expect(version).toBeUndefined();
      expect(sagemaker.commandCalls(DescribeModelPackageCommand)).toHaveLength(0);
    });

    it('reads on to the next page when a page holds no approved package but a NextToken', async () => {
      // Prepare
      const pages = pagedResponses<ListModelPackagesCommandInput, ListModelPackagesOutput>([
        { ModelPackageSummaryList: [] },
        { ModelPackageSummaryList: [{ ModelPackageArn: ARN, ModelPackageName: GROUP, CreationTime: CREATED, ModelPackageStatus: 'Completed' }] },
      ]);
      sagemaker.on(ListModelPackagesCommand).callsFake(pages.answer);
      sagemaker.on(DescribeModelPackageCommand).resolves(
        described({ InferenceSpecification: { Containers: [{ Image: IMAGE, ModelDataUrl: ARTIFACT }], SupportedContentTypes: [], SupportedResponseMIMETypes: [] }, ModelApprovalStatus: 'Approved' }),
      );

      // Act
      const version = await registry.production('churn');

      // Assess
      const listInput = { ModelPackageGroupName: GROUP, ModelApprovalStatus: 'Approved', SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: 1 };
      expect(pages.sent).toEqual([listInput, { ...listInput, NextToken: 'page-2' }]);
      expect(sagemaker.commandCalls(DescribeModelPackageCommand)[0]?.args[0].input).toEqual({ ModelPackageName: ARN });
      expect(version?.id).toBe(ARN);
    });

    it('throws TransientServiceError when ListModelPackages is throttled', async () => {
      // Prepare
      sagemaker
        .on(ListModelPackagesCommand)
        .rejects(new SageMakerServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' }));

      // Act / Assess
      await expect(registry.production('churn')).rejects.toBeInstanceOf(TransientServiceError);
    });

    it('rethrows the SDK error unchanged when the group does not exist', async () => {
      // Prepare
      const missing = new SageMakerServiceException({
        name: 'ValidationException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Model Package Group sluice-dev-churn does not exist.',
      });
      sagemaker.on(ListModelPackagesCommand).rejects(missing);

      // Act / Assess
      await expect(registry.production('churn')).rejects.toBe(missing);
    });
  });

  describe('decide', () => {
    const version: ModelVersion = {
      pipeline: 'churn',
      version: 3,
      id: ARN,
      modelArtifact: ARTIFACT,
      image: IMAGE,
      metrics: {},
      status: 'PendingManualApproval',
      runId: candidate.runId,
      createdAt: '2026-11-20T10:30:00.000Z',
      lineage: {},
    };

    it('sends the package ARN, the decision and the reason when the gate decides', async () => {
      // Prepare
      sagemaker.on(UpdateModelPackageCommand).resolves({ ModelPackageArn: ARN });

      // Act
      await registry.decide(version, 'Approved', 'validation:auc 0.8734 beats production 0.8512 by 0.0222');

      // Assess
      expect(sagemaker.commandCalls(UpdateModelPackageCommand)[0]?.args[0].input).toEqual({
        ModelPackageArn: ARN,
        ModelApprovalStatus: 'Approved',
        ApprovalDescription: 'validation:auc 0.8734 beats production 0.8512 by 0.0222',
      });
    });

    it('replaces line breaks and cuts the reason to 1024 characters when it is long and multi-line', async () => {
      // Prepare
      sagemaker.on(UpdateModelPackageCommand).resolves({ ModelPackageArn: ARN });
      const reason = `smoke test failed:\r\n${'row 1 returned 500\n'.repeat(100)}`;

      // Act
      await registry.decide(version, 'Rejected', reason);

      // Assess
      const sent = sagemaker.commandCalls(UpdateModelPackageCommand)[0]?.args[0].input.ApprovalDescription ?? '';
      expect(sent).toHaveLength(1024);
      expect(sent).not.toMatch(/[\r\n]/);
      expect(sent.startsWith('smoke test failed: row 1 returned 500 row 1')).toBe(true);
      expect(sent.endsWith('...')).toBe(true);
    });
  });
});

describe('metadata text encoding', () => {
  describe('text inside the metadata character set', () => {
    it('returns the text unchanged when it holds only letters, digits, spaces and _ . : / + - @', () => {
      // Prepare
      const text = 's3://bucket/runs/churn-20261120T100000Z_1.json @ étape 2+3';

      // Act / Assess
      expect(encodeMetadataText(text)).toBe(text);
    });
  });

  describe('text outside it', () => {
    it.each([
      ['an equals sign', 'a=b', 'a=3Db'],
      ['a query string', 's3://b/k?v=1', 's3://b/k=3Fv=3D1'],
      ['a comma and a hash', 'a,b#c', 'a=2Cb=23c'],
      ['an emoji', 'ok ✅', 'ok =E2=9C=85'],
      ['a newline', 'a\nb', 'a=0Ab'],
    ])('escapes the UTF-8 bytes and decodes back to the original when the text has %s', (_case, text, encoded) => {
      // Act
      const result = encodeMetadataText(text);

      // Assess
      expect(result).toBe(encoded);
      expect(result).toMatch(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u);
      expect(decodeMetadataText(result)).toBe(text);
    });
  });
});
