import {
  CreateHyperParameterTuningJobCommand,
  CreateTrainingJobCommand,
  DescribeHyperParameterTuningJobCommand,
  DescribeTrainingJobCommand,
  ResourceInUse,
  ResourceLimitExceeded,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import type { DescribeHyperParameterTuningJobCommandOutput, DescribeTrainingJobCommandOutput } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { InvalidTrainingRequestError, SageMakerTrainer } from '../../../aws/adapters/sagemaker-trainer.js';
import { UnsupportedRegionError } from '../../../aws/adapters/xgboost-images.js';
import { ResourceLimitError, TransientServiceError } from '../../../core/errors.js';
import type { TrainingRequest, TuningRequest } from '../../../core/ports/trainer.js';

const sagemaker = mockClient(SageMakerClient);

const ROLE_ARN = 'arn:aws:iam::123456789012:role/sluice-dev-sagemaker';
const IMAGE = '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1';
const RUN_ID = 'churn-telco_churn_csv-1a2b3c4d5e6f7a8b';
const FEATURES = `s3://sluice-dev-lake/features/churn/${RUN_ID}`;
const JOB_NAME = 'churn-train-3f9a1c0d5e7b2a64';
const TUNING_NAME = 'churn-tune-8c1e5a9b0f3d';
const BEST_JOB = `${TUNING_NAME}-007-5d2c9e1a`;
const TAGS = [
  { Key: 'sluice:pipeline', Value: 'churn' },
  { Key: 'sluice:run', Value: RUN_ID },
];

/** The churn pipeline's training request: binary classification on gzip CSV feature sets. */
function churnTraining(overrides: Partial<TrainingRequest> = {}): TrainingRequest {
  return {
    jobName: JOB_NAME,
    algorithm: 'xgboost',
    hyperparameters: {
      objective: 'binary:logistic',
      eval_metric: 'auc',
      num_round: '200',
      early_stopping_rounds: '10',
      max_depth: '5',
      eta: '0.2',
      min_child_weight: '1',
      subsample: '0.8',
    },
    trainUri: `${FEATURES}/train/`,
    validationUri: `${FEATURES}/validation/`,
    outputUri: 's3://sluice-dev-lake/models/churn/',
    resources: { instanceType: 'ml.m5.xlarge', instanceCount: 1, volumeSizeGb: 10 },
    maxRuntimeSeconds: 3600,
    useSpot: false,
    ...overrides,
  };
}

/** The churn pipeline's tuning request: Bayesian search over four hyperparameters, on AUC. */
function churnTuning(overrides: Partial<TuningRequest> = {}, training: Partial<TrainingRequest> = {}): TuningRequest {
  const { jobName: _ignored, ...base } = churnTraining(training);
  return {
    jobName: TUNING_NAME,
    training: base,
    strategy: 'Bayesian',
    objective: { metric: 'validation:auc', direction: 'Maximize' },
    ranges: {
      eta: { type: 'continuous', min: 0.01, max: 0.3, scaling: 'Logarithmic' },
      max_depth: { type: 'integer', min: 3, max: 10, scaling: 'Auto' },
      min_child_weight: { type: 'continuous', min: 1, max: 10, scaling: 'Auto' },
      subsample: { type: 'continuous', min: 0.5, max: 1, scaling: 'Linear' },
    },
    maxJobs: 20,
    maxParallelJobs: 2,
    earlyStopping: true,
    ...overrides,
  };
}

const CHANNELS = [
  {
    ChannelName: 'train',
    DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `${FEATURES}/train/`, S3DataDistributionType: 'FullyReplicated' } },
    ContentType: 'application/x-parquet',
  },
  {
    ChannelName: 'validation',
    DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `${FEATURES}/validation/`, S3DataDistributionType: 'FullyReplicated' } },
    ContentType: 'application/x-parquet',
  },
];

function describedJob(overrides: Partial<DescribeTrainingJobCommandOutput>): DescribeTrainingJobCommandOutput {
  return {
    $metadata: {},
    TrainingJobName: JOB_NAME,
    TrainingJobArn: `arn:aws:sagemaker:eu-west-1:123456789012:training-job/${JOB_NAME}`,
    TrainingJobStatus: 'InProgress',
    SecondaryStatus: 'Training',
    AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: 'File' },
    ModelArtifacts: undefined,
    ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 10 },
    StoppingCondition: { MaxRuntimeInSeconds: 3600 },
    CreationTime: new Date('2026-11-20T10:05:00Z'),
    ...overrides,
  };
}

function describedTuning(overrides: Partial<DescribeHyperParameterTuningJobCommandOutput>): DescribeHyperParameterTuningJobCommandOutput {
  return {
    $metadata: {},
    HyperParameterTuningJobName: TUNING_NAME,
    HyperParameterTuningJobArn: `arn:aws:sagemaker:eu-west-1:123456789012:hyper-parameter-tuning-job/${TUNING_NAME}`,
    HyperParameterTuningJobConfig: {
      Strategy: 'Bayesian',
      ResourceLimits: { MaxNumberOfTrainingJobs: 20, MaxParallelTrainingJobs: 2 },
    },
    TrainingJobDefinition: {
      AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: 'File' },
      RoleArn: ROLE_ARN,
      OutputDataConfig: { S3OutputPath: 's3://sluice-dev-lake/models/churn/' },
      StoppingCondition: { MaxRuntimeInSeconds: 3600 },
      StaticHyperParameters: { objective: 'binary:logistic', eval_metric: 'auc', num_round: '200', early_stopping_rounds: '10' },
    },
    HyperParameterTuningJobStatus: 'InProgress',
    CreationTime: new Date('2026-11-20T10:05:00Z'),
    TrainingJobStatusCounters: { Completed: 3, InProgress: 2 },
    ObjectiveStatusCounters: { Succeeded: 3, Pending: 2 },
    ...overrides,
  };
}

describe('SageMakerTrainer', () => {
  const trainer = new SageMakerTrainer(new SageMakerClient({ region: 'eu-west-1' }), { roleArn: ROLE_ARN, region: 'eu-west-1' });

  beforeEach(() => {
    sagemaker.reset();
  });

  describe('construction', () => {
    it('throws UnsupportedRegionError when the region has no XGBoost image', () => {
      // Act / Assess
      expect(() => new SageMakerTrainer(new SageMakerClient({ region: 'eu-west-1' }), { roleArn: ROLE_ARN, region: 'mars-north-1' })).toThrow(
        UnsupportedRegionError,
      );
    });
  });

  describe('startTraining', () => {
    it('sends the whole CreateTrainingJob request in File mode with Parquet channels and no CompressionType when Spot is off', async () => {
      // Prepare
      sagemaker.on(CreateTrainingJobCommand).resolves({ TrainingJobArn: `arn:aws:sagemaker:eu-west-1:123456789012:training-job/${JOB_NAME}` });

      // Act
      const result = await trainer.startTraining(churnTraining());

      // Assess
      expect(result).toEqual({ jobName: JOB_NAME });
      expect(sagemaker.commandCalls(CreateTrainingJobCommand)).toHaveLength(1);
      expect(sagemaker.commandCalls(CreateTrainingJobCommand)[0]?.args[0].input).toEqual({
        TrainingJobName: JOB_NAME,
        AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: 'File' },
        RoleArn: ROLE_ARN,
        HyperParameters: {
          objective: 'binary:logistic',
          eval_metric: 'auc',
          num_round: '200',
          early_stopping_rounds: '10',
          max_depth: '5',
          eta: '0.2',
          min_child_weight: '1',
          subsample: '0.8',
        },
        InputDataConfig: CHANNELS,
        OutputDataConfig: { S3OutputPath: 's3://sluice-dev-lake/models/churn/' },
        ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 10 },
        StoppingCondition: { MaxRuntimeInSeconds: 3600 },
        EnableManagedSpotTraining: false,
        Tags: TAGS,
      });
    });

    it('shards the train channel by S3 key and replicates the validation channel when the job runs on more than one instance', async () => {
      // Prepare
      sagemaker.on(CreateTrainingJobCommand).resolves({ TrainingJobArn: `arn:aws:sagemaker:eu-west-1:123456789012:training-job/${JOB_NAME}` });

      // Act
      await trainer.startTraining(churnTraining({ resources: { instanceType: 'ml.m5.xlarge', instanceCount: 3, volumeSizeGb: 10 } }));

      // Assess
      const input = sagemaker.commandCalls(CreateTrainingJobCommand)[0]?.args[0].input;
      expect(input?.ResourceConfig).toEqual({ InstanceType: 'ml.m5.xlarge', InstanceCount: 3, VolumeSizeInGB: 10 });
      expect(input?.InputDataConfig?.map((c) => [c.ChannelName, c.DataSource?.S3DataSource?.S3DataDistributionType])).toEqual([
        ['train', 'ShardedByS3Key'],
        ['validation', 'FullyReplicated'],
      ]);
      // Everything else of the channels is as on one instance.
      expect(input?.InputDataConfig?.map((c) => ({ ...c, DataSource: { S3DataSource: { ...c.DataSource?.S3DataSource, S3DataDistributionType: 'FullyReplicated' } } }))).toEqual(CHANNELS);
    });

    it('enables managed Spot training and sends MaxWaitTimeInSeconds when Spot is on', async () => {
      // Prepare
      sagemaker.on(CreateTrainingJobCommand).resolves({});

      // Act
      await trainer.startTraining(churnTraining({ useSpot: true, maxWaitSeconds: 7200 }));

      // Assess
      expect(sagemaker.commandCalls(CreateTrainingJobCommand)[0]?.args[0].input).toEqual({
        TrainingJobName: JOB_NAME,
        AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: 'File' },
        RoleArn: ROLE_ARN,
        HyperParameters: churnTraining().hyperparameters,
        InputDataConfig: CHANNELS,
        OutputDataConfig: { S3OutputPath: 's3://sluice-dev-lake/models/churn/' },
        ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 10 },
        StoppingCondition: { MaxRuntimeInSeconds: 3600, MaxWaitTimeInSeconds: 7200 },
        EnableManagedSpotTraining: true,
        Tags: TAGS,
      });
    });

    it('waits no longer than the runtime when Spot is on without a maxWaitSeconds', async () => {
      // Prepare
      sagemaker.on(CreateTrainingJobCommand).resolves({});

      // Act
      await trainer.startTraining(churnTraining({ useSpot: true }));

      // Assess
      expect(sagemaker.commandCalls(CreateTrainingJobCommand)[0]?.args[0].input.StoppingCondition).toEqual({
        MaxRuntimeInSeconds: 3600,
        MaxWaitTimeInSeconds: 3600,
      });
    });

    it('leaves MaxWaitTimeInSeconds out when Spot is off even if a maxWaitSeconds is given', async () => {
      // Prepare
      sagemaker.on(CreateTrainingJobCommand).resolves({});

      // Act
      await trainer.startTraining(churnTraining({ maxWaitSeconds: 7200 }));

      // Assess
      expect(sagemaker.commandCalls(CreateTrainingJobCommand)[0]?.args[0].input.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 3600 });
    });

    it('sends no tags when the feature sets are outside the lake layout', async () => {
      // Prepare
      sagemaker.on(CreateTrainingJobCommand).resolves({});

      // Act
      await trainer.startTraining(churnTraining({ trainUri: 's3://elsewhere/train/', validationUri: 's3://elsewhere/validation/' }));

      // Assess
      expect(sagemaker.commandCalls(CreateTrainingJobCommand)[0]?.args[0].input).not.toHaveProperty('Tags');
    });

    it('returns the job name when SageMaker answers that a job with that name already exists', async () => {
      // Prepare
      sagemaker.on(CreateTrainingJobCommand).rejects(
        new ResourceInUse({
          message: `Training job names must be unique within an AWS account and region, and a training job with this name already exists (arn:aws:sagemaker:eu-west-1:123456789012:training-job/${JOB_NAME})`,
          $metadata: { httpStatusCode: 400 },
        }),
      );

      // Act
      const result = await trainer.startTraining(churnTraining());

      // Assess
      expect(result).toEqual({ jobName: JOB_NAME });
      expect(sagemaker.commandCalls(CreateTrainingJobCommand)).toHaveLength(1);
    });

    it('rethrows a ResourceInUse error unchanged when it is not about the name', async () => {
      // Prepare
      const inUse = new ResourceInUse({ message: 'The warm pool is in use by another training job', $metadata: { httpStatusCode: 400 } });
      sagemaker.on(CreateTrainingJobCommand).rejects(inUse);

      // Act / Assess
      await expect(trainer.startTraining(churnTraining())).rejects.toBe(inUse);
    });

    it('throws ResourceLimitError, retried by the state machine, when SageMaker answers ResourceLimitExceeded', async () => {
      // Prepare
      sagemaker.on(CreateTrainingJobCommand).rejects(
        new ResourceLimitExceeded({
          message: "The account-level service limit 'ml.m5.xlarge for training job usage' is 2 Instances, with current utilization of 2 Instances",
          $metadata: { httpStatusCode: 400 },
        }),
      );

      // Act
      const error: unknown = await trainer.startTraining(churnTraining()).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(ResourceLimitError);
      expect(error).toMatchObject({ retryable: true });
      expect((error as Error).message).toContain(`CreateTrainingJob ${JOB_NAME}`);
    });

    it('throws TransientServiceError when CreateTrainingJob is throttled', async () => {
      // Prepare
      sagemaker.on(CreateTrainingJobCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));

      // Act / Assess
      await expect(trainer.startTraining(churnTraining())).rejects.toBeInstanceOf(TransientServiceError);
    });

    it('rethrows the SDK error unchanged when SageMaker rejects the request as invalid', async () => {
      // Prepare
      const invalid = Object.assign(new Error('1 validation error detected: Value at instanceType failed to satisfy constraint'), {
        name: 'ValidationException',
        $metadata: { httpStatusCode: 400 },
      });
      sagemaker.on(CreateTrainingJobCommand).rejects(invalid);

      // Act / Assess
      await expect(trainer.startTraining(churnTraining({ resources: { instanceType: 'ml.nope', instanceCount: 1, volumeSizeGb: 10 } }))).rejects.toBe(invalid);
    });

    it.each([
      ['the job name is too long', { jobName: 'x'.repeat(64) }, 'must be 1 to 63 letters, digits and hyphens'],
      ['the job name has underscores', { jobName: 'churn_train' }, 'must be 1 to 63 letters, digits and hyphens'],
      ['Spot may wait less than the runtime', { useSpot: true, maxWaitSeconds: 1800 }, 'maxWaitSeconds (1800) must be at least maxRuntimeSeconds (3600)'],
      ['a location is not in S3', { validationUri: '/tmp/validation/' }, 'the validation location "/tmp/validation/" is not an s3:// URI'],
    ])('throws InvalidTrainingRequestError and calls nothing when %s', async (_case, overrides, message) => {
      // Act
      const error: unknown = await trainer.startTraining(churnTraining(overrides)).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(InvalidTrainingRequestError);
      expect(error).toMatchObject({ name: 'InvalidTrainingRequestError', retryable: false });
      expect((error as Error).message).toContain(message);
      expect(sagemaker.calls()).toHaveLength(0);
    });
  });

  describe('trainingStatus', () => {
    it('returns the model, hyperparameters and final metrics when the job completed', async () => {
      // Prepare
      sagemaker.on(DescribeTrainingJobCommand).resolves(
        describedJob({
          TrainingJobStatus: 'Completed',
          SecondaryStatus: 'Completed',
          ModelArtifacts: { S3ModelArtifacts: `s3://sluice-dev-lake/models/churn/${JOB_NAME}/output/model.tar.gz` },
          HyperParameters: { objective: 'binary:logistic', eval_metric: 'auc', num_round: '200' },
          FinalMetricDataList: [
            { MetricName: 'train:auc', Value: 0.9412, Timestamp: new Date('2026-11-20T10:12:00Z') },
            { MetricName: 'validation:auc', Value: 0.8571, Timestamp: new Date('2026-11-20T10:12:00Z') },
          ],
        }),
      );

      // Act
      const status = await trainer.trainingStatus(JOB_NAME);

      // Assess
      expect(status).toEqual({
        state: 'Completed',
        modelArtifact: `s3://sluice-dev-lake/models/churn/${JOB_NAME}/output/model.tar.gz`,
        hyperparameters: { objective: 'binary:logistic', eval_metric: 'auc', num_round: '200' },
        metrics: { 'train:auc': 0.9412, 'validation:auc': 0.8571 },
      });
      expect(sagemaker.commandCalls(DescribeTrainingJobCommand)[0]?.args[0].input).toEqual({ TrainingJobName: JOB_NAME });
    });

    it('returns only the state when the job is still running', async () => {
      // Prepare
      sagemaker.on(DescribeTrainingJobCommand).resolves(describedJob({ TrainingJobStatus: 'InProgress' }));

      // Act / Assess
      await expect(trainer.trainingStatus(JOB_NAME)).resolves.toEqual({ state: 'InProgress' });
    });

    it.each([
      ['Failed', 'AlgorithmError: Failed to load csv data with exception: could not convert string to float'],
      ['Stopped', 'Training job reached the maximum runtime'],
    ] as const)('returns %s with SageMaker\u2019s reason when the job ended that way', async (state, reason) => {
      // Prepare
      sagemaker.on(DescribeTrainingJobCommand).resolves(describedJob({ TrainingJobStatus: state, FailureReason: `${reason}\n` }));

      // Act / Assess
      await expect(trainer.trainingStatus(JOB_NAME)).resolves.toEqual({ state, failureReason: reason });
    });

    it.each(['MaxRuntimeExceeded', 'MaxWaitTimeExceeded'] as const)('returns the secondary status %s when a limit stopped the job', async (secondary) => {
      // Prepare
      sagemaker.on(DescribeTrainingJobCommand).resolves(
        describedJob({ TrainingJobStatus: 'Stopped', SecondaryStatus: secondary, FailureReason: 'Training job reached the maximum runtime' }),
      );

      // Act / Assess
      await expect(trainer.trainingStatus(JOB_NAME)).resolves.toEqual({
        state: 'Stopped',
        secondaryStatus: secondary,
        failureReason: 'Training job reached the maximum runtime',
      });
    });

    it('returns Stopping when SageMaker is stopping the job', async () => {
      // Prepare
      sagemaker.on(DescribeTrainingJobCommand).resolves(describedJob({ TrainingJobStatus: 'Stopping' }));

      // Act / Assess
      await expect(trainer.trainingStatus(JOB_NAME)).resolves.toEqual({ state: 'Stopping' });
    });

    it('returns Failed when the job is being deleted', async () => {
      // Prepare
      sagemaker.on(DescribeTrainingJobCommand).resolves(describedJob({ TrainingJobStatus: 'Deleting' }));

      // Act / Assess
      await expect(trainer.trainingStatus(JOB_NAME)).resolves.toEqual({ state: 'Failed', failureReason: 'the training job is being deleted' });
    });

    it('throws TransientServiceError when DescribeTrainingJob is throttled', async () => {
      // Prepare
      sagemaker.on(DescribeTrainingJobCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

      // Act / Assess
      await expect(trainer.trainingStatus(JOB_NAME)).rejects.toBeInstanceOf(TransientServiceError);
    });
  });

  describe('startTuning', () => {
    it('sends the whole CreateHyperParameterTuningJob request with the tuned hyperparameters left out of the static ones', async () => {
      // Prepare
      sagemaker.on(CreateHyperParameterTuningJobCommand).resolves({
        HyperParameterTuningJobArn: `arn:aws:sagemaker:eu-west-1:123456789012:hyper-parameter-tuning-job/${TUNING_NAME}`,
      });

      // Act
      const result = await trainer.startTuning(churnTuning());

      // Assess
      expect(result).toEqual({ jobName: TUNING_NAME });
      expect(sagemaker.commandCalls(CreateHyperParameterTuningJobCommand)).toHaveLength(1);
      expect(sagemaker.commandCalls(CreateHyperParameterTuningJobCommand)[0]?.args[0].input).toEqual({
        HyperParameterTuningJobName: TUNING_NAME,
        HyperParameterTuningJobConfig: {
          Strategy: 'Bayesian',
          HyperParameterTuningJobObjective: { Type: 'Maximize', MetricName: 'validation:auc' },
          ResourceLimits: { MaxNumberOfTrainingJobs: 20, MaxParallelTrainingJobs: 2 },
          ParameterRanges: {
            ContinuousParameterRanges: [
              { Name: 'eta', MinValue: '0.01', MaxValue: '0.3', ScalingType: 'Logarithmic' },
              { Name: 'min_child_weight', MinValue: '1', MaxValue: '10', ScalingType: 'Auto' },
              { Name: 'subsample', MinValue: '0.5', MaxValue: '1', ScalingType: 'Linear' },
            ],
            IntegerParameterRanges: [{ Name: 'max_depth', MinValue: '3', MaxValue: '10', ScalingType: 'Auto' }],
          },
          TrainingJobEarlyStoppingType: 'Auto',
        },
        TrainingJobDefinition: {
          AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: 'File' },
          StaticHyperParameters: { objective: 'binary:logistic', eval_metric: 'auc', num_round: '200', early_stopping_rounds: '10' },
          RoleArn: ROLE_ARN,
          InputDataConfig: CHANNELS,
          OutputDataConfig: { S3OutputPath: 's3://sluice-dev-lake/models/churn/' },
          ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 10 },
          StoppingCondition: { MaxRuntimeInSeconds: 3600 },
          EnableManagedSpotTraining: false,
        },
        Tags: TAGS,
      });
    });

    it('runs the training jobs on Spot with a wait limit and without early stopping when asked', async () => {
      // Prepare
      sagemaker.on(CreateHyperParameterTuningJobCommand).resolves({});

      // Act
      await trainer.startTuning(churnTuning({ earlyStopping: false }, { useSpot: true, maxWaitSeconds: 5400 }));

      // Assess
      const input = sagemaker.commandCalls(CreateHyperParameterTuningJobCommand)[0]?.args[0].input;
      expect(input?.HyperParameterTuningJobConfig?.TrainingJobEarlyStoppingType).toBe('Off');
      expect(input?.TrainingJobDefinition).toEqual({
        AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: 'File' },
        StaticHyperParameters: { objective: 'binary:logistic', eval_metric: 'auc', num_round: '200', early_stopping_rounds: '10' },
        RoleArn: ROLE_ARN,
        InputDataConfig: CHANNELS,
        OutputDataConfig: { S3OutputPath: 's3://sluice-dev-lake/models/churn/' },
        ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 10 },
        StoppingCondition: { MaxRuntimeInSeconds: 3600, MaxWaitTimeInSeconds: 5400 },
        EnableManagedSpotTraining: true,
      });
    });

    it('sends categorical ranges and no MaxNumberOfTrainingJobs when the strategy is Grid', async () => {
      // Prepare
      sagemaker.on(CreateHyperParameterTuningJobCommand).resolves({});

      // Act
      await trainer.startTuning(
        churnTuning({
          strategy: 'Grid',
          ranges: { max_depth: { type: 'categorical', values: ['4', '6', '8'] }, booster: { type: 'categorical', values: ['gbtree', 'dart'] } },
        }),
      );

      // Assess
      expect(sagemaker.commandCalls(CreateHyperParameterTuningJobCommand)[0]?.args[0].input.HyperParameterTuningJobConfig).toEqual({
        Strategy: 'Grid',
        HyperParameterTuningJobObjective: { Type: 'Maximize', MetricName: 'validation:auc' },
        ResourceLimits: { MaxParallelTrainingJobs: 2 },
        ParameterRanges: {
          CategoricalParameterRanges: [
            { Name: 'max_depth', Values: ['4', '6', '8'] },
            { Name: 'booster', Values: ['gbtree', 'dart'] },
          ],
        },
        TrainingJobEarlyStoppingType: 'Auto',
      });
    });

    it('bounds Hyperband by num_round and turns early stopping off when the strategy is Hyperband', async () => {
      // Prepare
      sagemaker.on(CreateHyperParameterTuningJobCommand).resolves({});

      // Act
      await trainer.startTuning(churnTuning({ strategy: 'Hyperband', earlyStopping: false }));

      // Assess
      expect(sagemaker.commandCalls(CreateHyperParameterTuningJobCommand)[0]?.args[0].input.HyperParameterTuningJobConfig).toMatchObject({
        Strategy: 'Hyperband',
        StrategyConfig: { HyperbandStrategyConfig: { MaxResource: 200 } },
        ResourceLimits: { MaxNumberOfTrainingJobs: 20, MaxParallelTrainingJobs: 2 },
        TrainingJobEarlyStoppingType: 'Off',
      });
    });

    it('bounds Hyperband by the top of the num_round range when num_round is tuned', async () => {
      // Prepare
      sagemaker.on(CreateHyperParameterTuningJobCommand).resolves({});
      const request = churnTuning({ strategy: 'Hyperband', earlyStopping: false });
      request.ranges['num_round'] = { type: 'integer', min: 50, max: 400, scaling: 'Auto' };

      // Act
      await trainer.startTuning(request);

      // Assess
      const input = sagemaker.commandCalls(CreateHyperParameterTuningJobCommand)[0]?.args[0].input;
      expect(input?.HyperParameterTuningJobConfig?.StrategyConfig).toEqual({ HyperbandStrategyConfig: { MaxResource: 400 } });
      expect(input?.TrainingJobDefinition?.StaticHyperParameters).not.toHaveProperty('num_round');
    });

    it.each([
      [
        'Grid has a numeric range',
        churnTuning({ strategy: 'Grid' }),
        'the Grid strategy supports only categorical ranges (as in SageMaker); eta, max_depth, min_child_weight, subsample are numeric',
      ],
      ['Hyperband runs with early stopping', churnTuning({ strategy: 'Hyperband' }), 'Hyperband stops poor training jobs itself: turn earlyStopping off'],
      [
        'Hyperband has no num_round',
        churnTuning({ strategy: 'Hyperband', earlyStopping: false }, { hyperparameters: { objective: 'binary:logistic', eval_metric: 'auc' } }),
        'Hyperband needs num_round',
      ],
      [
        'Hyperband would run more than 20,000 rounds',
        churnTuning({ strategy: 'Hyperband', earlyStopping: false }, { hyperparameters: { num_round: '50000' } }),
        'must be a whole number from 1 to 20000',
      ],
      [
        'a logarithmic range reaches 0',
        churnTuning({ ranges: { eta: { type: 'continuous', min: 0, max: 0.3, scaling: 'Logarithmic' } } }),
        'hyperparameter range eta: Logarithmic scaling works only for ranges whose values are all greater than 0',
      ],
      [
        'an integer range scales reverse-logarithmically',
        churnTuning({ ranges: { max_depth: { type: 'integer', min: 3, max: 10, scaling: 'ReverseLogarithmic' } } }),
        'hyperparameter range max_depth: ReverseLogarithmic scaling is not supported for integer ranges',
      ],
      [
        'a range is upside down',
        churnTuning({ ranges: { subsample: { type: 'continuous', min: 1, max: 0.5, scaling: 'Auto' } } }),
        'hyperparameter range subsample: min (1) must be below max (0.5)',
      ],
      ['there are no ranges', churnTuning({ ranges: {} }), 'a tuning job needs at least one hyperparameter range'],
      ['the objective metric has no channel', churnTuning({ objective: { metric: 'auc', direction: 'Maximize' } }), 'the objective metric must look like "validation:<metric>"'],
      ['a categorical range repeats a value', churnTuning({ ranges: { booster: { type: 'categorical', values: ['dart', 'dart'] } } }), 'categorical values must be distinct'],
      ['the name is longer than 32 characters', churnTuning({ jobName: 'churn-tune-8c1e5a9b0f3d-0123456789' }), 'must be 1 to 32 letters'],
    ])('throws InvalidTrainingRequestError and calls nothing when %s', async (_case, request, message) => {
      // Act
      const error: unknown = await trainer.startTuning(request).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(InvalidTrainingRequestError);
      expect(error).toMatchObject({ retryable: false });
      expect((error as Error).message).toContain(message);
      expect(sagemaker.calls()).toHaveLength(0);
    });

    it('returns the job name when SageMaker answers that a tuning job with that name already exists', async () => {
      // Prepare
      sagemaker.on(CreateHyperParameterTuningJobCommand).rejects(
        new ResourceInUse({
          message: `A hyperparameter tuning job with the name, ${TUNING_NAME}, already exists. Choose a different name.`,
          $metadata: { httpStatusCode: 400 },
        }),
      );

      // Act / Assess
      await expect(trainer.startTuning(churnTuning())).resolves.toEqual({ jobName: TUNING_NAME });
    });

    it('throws ResourceLimitError when SageMaker answers ResourceLimitExceeded', async () => {
      // Prepare
      sagemaker.on(CreateHyperParameterTuningJobCommand).rejects(
        new ResourceLimitExceeded({ message: 'The account-level service limit for concurrent tuning jobs is 100', $metadata: { httpStatusCode: 400 } }),
      );

      // Act / Assess
      await expect(trainer.startTuning(churnTuning())).rejects.toBeInstanceOf(ResourceLimitError);
    });

    it('throws TransientServiceError when CreateHyperParameterTuningJob is throttled', async () => {
      // Prepare
      sagemaker.on(CreateHyperParameterTuningJobCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

      // Act / Assess
      await expect(trainer.startTuning(churnTuning())).rejects.toBeInstanceOf(TransientServiceError);
    });
  });

  describe('tuningStatus', () => {
    it('describes the best training job and returns its model, tuned-over-static hyperparameters and metrics when tuning completed', async () => {
      // Prepare
      sagemaker.on(DescribeHyperParameterTuningJobCommand).resolves(
        describedTuning({
          HyperParameterTuningJobStatus: 'Completed',
          BestTrainingJob: {
            TrainingJobName: BEST_JOB,
            TrainingJobArn: `arn:aws:sagemaker:eu-west-1:123456789012:training-job/${BEST_JOB}`,
            CreationTime: new Date('2026-11-20T10:30:00Z'),
            TrainingJobStatus: 'Completed',
            TunedHyperParameters: { eta: '0.0734', max_depth: '6', min_child_weight: '2.41', subsample: '0.87' },
            FinalHyperParameterTuningJobObjectiveMetric: { MetricName: 'validation:auc', Value: 0.8712 },
          },
        }),
      );
      sagemaker.on(DescribeTrainingJobCommand).resolves(
        describedJob({
          TrainingJobName: BEST_JOB,
          TrainingJobStatus: 'Completed',
          ModelArtifacts: { S3ModelArtifacts: `s3://sluice-dev-lake/models/churn/${BEST_JOB}/output/model.tar.gz` },
          FinalMetricDataList: [
            { MetricName: 'train:auc', Value: 0.9133 },
            { MetricName: 'validation:auc', Value: 0.8712 },
          ],
        }),
      );

      // Act
      const status = await trainer.tuningStatus(TUNING_NAME);

      // Assess
      expect(status).toEqual({
        state: 'Completed',
        bestTrainingJobName: BEST_JOB,
        modelArtifact: `s3://sluice-dev-lake/models/churn/${BEST_JOB}/output/model.tar.gz`,
        hyperparameters: {
          objective: 'binary:logistic',
          eval_metric: 'auc',
          num_round: '200',
          early_stopping_rounds: '10',
          eta: '0.0734',
          max_depth: '6',
          min_child_weight: '2.41',
          subsample: '0.87',
        },
        metrics: { 'train:auc': 0.9133, 'validation:auc': 0.8712 },
      });
      expect(sagemaker.commandCalls(DescribeHyperParameterTuningJobCommand)[0]?.args[0].input).toEqual({ HyperParameterTuningJobName: TUNING_NAME });
      expect(sagemaker.commandCalls(DescribeTrainingJobCommand)[0]?.args[0].input).toEqual({ TrainingJobName: BEST_JOB });
    });

    it('reports the best job so far without describing it when tuning is still running', async () => {
      // Prepare
      sagemaker.on(DescribeHyperParameterTuningJobCommand).resolves(
        describedTuning({
          BestTrainingJob: {
            TrainingJobName: BEST_JOB,
            TrainingJobArn: `arn:aws:sagemaker:eu-west-1:123456789012:training-job/${BEST_JOB}`,
            CreationTime: new Date('2026-11-20T10:30:00Z'),
            TrainingJobStatus: 'Completed',
            TunedHyperParameters: { eta: '0.0734' },
          },
        }),
      );

      // Act
      const status = await trainer.tuningStatus(TUNING_NAME);

      // Assess
      expect(status).toEqual({ state: 'InProgress', bestTrainingJobName: BEST_JOB });
      expect(sagemaker.commandCalls(DescribeTrainingJobCommand)).toHaveLength(0);
    });

    it.each([
      ['Failed', 'All training jobs failed. Please check the training job logs.'],
      ['Stopped', 'The tuning job was stopped by the user'],
    ] as const)('returns %s with SageMaker\u2019s reason when tuning ended that way', async (state, reason) => {
      // Prepare
      sagemaker.on(DescribeHyperParameterTuningJobCommand).resolves(describedTuning({ HyperParameterTuningJobStatus: state, FailureReason: reason }));

      // Act / Assess
      await expect(trainer.tuningStatus(TUNING_NAME)).resolves.toEqual({ state, failureReason: reason });
      expect(sagemaker.commandCalls(DescribeTrainingJobCommand)).toHaveLength(0);
    });

    it('returns Failed when tuning completed without a best training job', async () => {
      // Prepare
      sagemaker.on(DescribeHyperParameterTuningJobCommand).resolves(describedTuning({ HyperParameterTuningJobStatus: 'Completed' }));

      // Act / Assess
      await expect(trainer.tuningStatus(TUNING_NAME)).resolves.toEqual({
        state: 'Failed',
        failureReason: `Tuning job ${TUNING_NAME} completed without a best training job (did every training job fail?)`,
      });
    });

    it('returns Failed when the tuning job is being deleted', async () => {
      // Prepare
      sagemaker.on(DescribeHyperParameterTuningJobCommand).resolves(describedTuning({ HyperParameterTuningJobStatus: 'Deleting' }));

      // Act / Assess
      await expect(trainer.tuningStatus(TUNING_NAME)).resolves.toEqual({ state: 'Failed', failureReason: 'the tuning job is being deleted (Deleting)' });
    });

    it('throws TransientServiceError when describing the best training job is throttled', async () => {
      // Prepare
      sagemaker.on(DescribeHyperParameterTuningJobCommand).resolves(
        describedTuning({
          HyperParameterTuningJobStatus: 'Completed',
          BestTrainingJob: {
            TrainingJobName: BEST_JOB,
            TrainingJobArn: `arn:aws:sagemaker:eu-west-1:123456789012:training-job/${BEST_JOB}`,
            CreationTime: new Date('2026-11-20T10:30:00Z'),
            TrainingJobStatus: 'Completed',
            TunedHyperParameters: {},
          },
        }),
      );
      sagemaker.on(DescribeTrainingJobCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

      // Act / Assess
      await expect(trainer.tuningStatus(TUNING_NAME)).rejects.toBeInstanceOf(TransientServiceError);
    });
  });
});
