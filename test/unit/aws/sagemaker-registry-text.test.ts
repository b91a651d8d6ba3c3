import { CreateModelPackageCommand, DescribeModelPackageCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { CreateModelPackageCommandInput } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { SageMakerRegistry } from '../../../aws/adapters/sagemaker-registry.js';
import type { Candidate } from '../../../core/ports/model-registry.js';

const sagemaker = mockClient(SageMakerClient);

const ARN = 'arn:aws:sagemaker:eu-west-1:123456789012:model-package/sluice-dev-reviews/1';
const IMAGE = '685385470294.dkr.ecr.eu-west-1.amazonaws.com/blazingtext:1';

const candidate: Candidate = {
  pipeline: 'reviews',
  runId: 'reviews-20261120T100000Z-1a2b3c4d',
  modelArtifact: 's3://sluice-dev-lake/models/reviews/reviews-train-0123456789abcdef/output/model.tar.gz',
  image: IMAGE,
  metrics: { 'validation:accuracy': 0.81, 'evaluation:f1@great': 0.8 },
  lineage: { trainingJob: 'reviews-train-0123456789abcdef' },
  algorithm: 'blazingtext',
  evaluation: { accuracy: 0.81, confusion_matrix: { great: { great: 40, other: 10 }, other: { great: 9, other: 41 } } },
};

describe('SageMakerRegistry', () => {
  const registry = new SageMakerRegistry(new SageMakerClient({ region: 'eu-west-1' }), { groupPrefix: 'sluice-dev-' });

  beforeEach(() => {
    sagemaker.reset();
  });

  describe('registering a text (BlazingText) model', () => {
    it("declares BlazingText's JSON contract and image, and its metrics, when the candidate was trained by blazingtext", async () => {
      // Prepare
      let sent: CreateModelPackageCommandInput = {};
      sagemaker.on(CreateModelPackageCommand).callsFake((input: CreateModelPackageCommandInput) => {
        sent = input;
        return { ModelPackageArn: ARN };
      });
      sagemaker.on(DescribeModelPackageCommand).callsFake(() => ({
        ModelPackageGroupName: 'sluice-dev-reviews', ModelPackageVersion: 1, ModelPackageArn: ARN, CreationTime: new Date('2026-11-20T10:30:00.000Z'),
        InferenceSpecification: sent.InferenceSpecification, ModelApprovalStatus: sent.ModelApprovalStatus, CustomerMetadataProperties: sent.CustomerMetadataProperties,
      }));

      // Act
      await registry.register(candidate);

      // Assess
      const input = sagemaker.commandCalls(CreateModelPackageCommand)[0]?.args[0].input;
      expect(input?.InferenceSpecification).toEqual({
        Containers: [{ Image: IMAGE, ModelDataUrl: candidate.modelArtifact }],
        SupportedContentTypes: ['application/json'],
        SupportedResponseMIMETypes: ['application/json'],
      });
      expect(input?.CustomerMetadataProperties).toMatchObject({ 'sluice:metric:validation:accuracy': '0.81', 'sluice:metric:evaluation:f1@great': '0.8' });
    });
  });
});
