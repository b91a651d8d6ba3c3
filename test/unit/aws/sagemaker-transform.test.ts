import { CreateModelCommand, CreateTransformJobCommand, DescribeTransformJobCommand, SageMakerClient, StopTransformJobCommand } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { SageMakerTransform } from '../../../aws/adapters/sagemaker-transform.js';
import { TransientServiceError } from '../../../core/errors.js';
import type { TransformRequest } from '../../../core/ports/batch-scorer.js';
import { scoringFormat } from '../../../core/scoring/scoring-format.js';

const sagemaker = mockClient(SageMakerClient);

const ROLE = 'arn:aws:iam::123456789012:role/sluice-dev-model';
const IMAGE = '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1';
const ARTIFACT = 's3://sluice-dev-lake/models/churn/churn-train-0123456789abcdef/output/model.tar.gz';
const JOB = 'churn-score-0123456789abcdef';

function request(algorithm: 'xgboost' | 'blazingtext', valuesPerRow = 1): TransformRequest {
  const format = scoringFormat(algorithm);
  return {
    jobName: JOB,
    model: { id: 'arn:aws:sagemaker:eu-west-1:123456789012:model-package/sluice-dev-churn/3', artifact: ARTIFACT, image: IMAGE, algorithm },
    input: 's3://sluice-dev-lake/scoring/churn/runs/r1/transform-input/',
    contentType: format.contentType,
    compression: 'Gzip',
    output: 's3://sluice-dev-lake/scoring/churn/runs/r1/transform-output/',
    accept: format.accept,
    dataProcessing: { inputFilter: format.inputFilter, joinSource: 'Input', outputFilter: format.outputFilter(valuesPerRow) },
    instanceType: 'ml.m5.xlarge',
    instanceCount: 1,
    maxRuntimeSeconds: 3600,
    scoreRunId: 'r1',
    pipeline: 'churn',
  };
}

describe('SageMakerTransform', () => {
  beforeEach(() => sagemaker.reset());

  describe('starting an XGBoost transform', () => {
    it('creates the model from the production artifact and a CSV transform that carries source_row when started', async () => {
      // Prepare
      sagemaker.on(CreateModelCommand).resolves({}).on(CreateTransformJobCommand).resolves({ TransformJobArn: 'arn' });

      // Act
      await new SageMakerTransform(new SageMakerClient({}), ROLE).startTransform(request('xgboost'));

      // Assess
      const tags = [
        { Key: 'sluice:pipeline', Value: 'churn' },
        { Key: 'sluice:run', Value: 'r1' },
      ];
      expect(sagemaker.commandCalls(CreateModelCommand).map((c) => c.args[0].input)).toEqual([
        { ModelName: JOB, ExecutionRoleArn: ROLE, PrimaryContainer: { Image: IMAGE, ModelDataUrl: ARTIFACT }, Tags: tags },
      ]);
      expect(sagemaker.commandCalls(CreateTransformJobCommand).map((c) => c.args[0].input)).toEqual([
        {
          TransformJobName: JOB,
          ModelName: JOB,
          BatchStrategy: 'MultiRecord',
          TransformInput: {
            DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://sluice-dev-lake/scoring/churn/runs/r1/transform-input/' } },
            ContentType: 'text/csv',
            CompressionType: 'Gzip',
            SplitType: 'Line',
          },
          TransformOutput: { S3OutputPath: 's3://sluice-dev-lake/scoring/churn/runs/r1/transform-output/', Accept: 'text/csv', AssembleWith: 'Line' },
          TransformResources: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1 },
          DataProcessing: { InputFilter: '$[2:]', JoinSource: 'Input', OutputFilter: '$[0,-1]' },
          Tags: tags,
        },
      ]);
    });

    it('keeps the whole joined line when the model answers one probability per class', async () => {
      // Prepare
      sagemaker.on(CreateModelCommand).resolves({}).on(CreateTransformJobCommand).resolves({ TransformJobArn: 'arn' });

      // Act
      await new SageMakerTransform(new SageMakerClient({}), ROLE).startTransform(request('xgboost', 3));

      // Assess
      expect(sagemaker.commandCalls(CreateTransformJobCommand)[0]?.args[0].input.DataProcessing).toEqual({ InputFilter: '$[2:]', JoinSource: 'Input', OutputFilter: '$' });
    });

    it('counts the job as started when a retried state finds the model and the job already exist', async () => {
      // Prepare
      const exists = Object.assign(new Error('Cannot create already existing transform job "x"'), { name: 'ValidationException' });
      const modelExists = Object.assign(new Error('Cannot create already existing model "x"'), { name: 'ValidationException' });
      sagemaker.on(CreateModelCommand).rejects(modelExists).on(CreateTransformJobCommand).rejects(exists);

      // Act
      const started = new SageMakerTransform(new SageMakerClient({}), ROLE).startTransform(request('xgboost'));

      // Assess
      await expect(started).resolves.toBeUndefined();
    });
  });

  describe('starting a BlazingText transform', () => {
    it('sends JSON Lines, the features object to the model and keeps source_row with SageMakerOutput when started', async () => {
      // Prepare
      sagemaker.on(CreateModelCommand).resolves({}).on(CreateTransformJobCommand).resolves({ TransformJobArn: 'arn' });

      // Act
      await new SageMakerTransform(new SageMakerClient({}), ROLE).startTransform(request('blazingtext'));

      // Assess
      const input = sagemaker.commandCalls(CreateTransformJobCommand)[0]?.args[0].input;
      expect(input?.TransformInput?.ContentType).toBe('application/jsonlines');
      expect(input?.TransformOutput?.Accept).toBe('application/jsonlines');
      expect(input?.DataProcessing).toEqual({ InputFilter: '$.features', JoinSource: 'Input', OutputFilter: "$['source_row','SageMakerOutput']" });
    });
  });

  describe('polling and stopping', () => {
    it('answers the job status and failure reason when described', async () => {
      // Prepare
      sagemaker.on(DescribeTransformJobCommand).resolves({ TransformJobStatus: 'Failed', FailureReason: 'ClientError: bad CSV' });

      // Act
      const status = await new SageMakerTransform(new SageMakerClient({}), ROLE).describeTransform(JOB);

      // Assess
      expect(status).toEqual({ state: 'Failed', failureReason: 'ClientError: bad CSV' });
      expect(sagemaker.commandCalls(DescribeTransformJobCommand).map((c) => c.args[0].input)).toEqual([{ TransformJobName: JOB }]);
    });

    it('retries throttling as a transient error when described', async () => {
      // Prepare
      sagemaker.on(DescribeTransformJobCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

      // Act
      const describing = new SageMakerTransform(new SageMakerClient({}), ROLE).describeTransform(JOB);

      // Assess
      await expect(describing).rejects.toBeInstanceOf(TransientServiceError);
    });

    it('stops the job by name and leaves one that already ended alone', async () => {
      // Prepare
      sagemaker.on(StopTransformJobCommand).rejects(Object.assign(new Error('Job is not in progress'), { name: 'ValidationException' }));

      // Act
      const stopping = new SageMakerTransform(new SageMakerClient({}), ROLE).stopTransform(JOB);

      // Assess
      await expect(stopping).resolves.toBeUndefined();
      expect(sagemaker.commandCalls(StopTransformJobCommand).map((c) => c.args[0].input)).toEqual([{ TransformJobName: JOB }]);
    });
  });
});
