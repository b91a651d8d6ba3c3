import { CreateHyperParameterTuningJobCommand, CreateTrainingJobCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { UnsupportedBlazingTextRegionError } from '../../../aws/adapters/blazingtext-images.js';
import { InvalidTrainingRequestError, SageMakerTrainer } from '../../../aws/adapters/sagemaker-trainer.js';
import type { TrainingRequest, TuningRequest } from '../../../core/ports/trainer.js';

const sagemaker = mockClient(SageMakerClient);

const ROLE_ARN = 'arn:aws:iam::123456789012:role/sluice-dev-sagemaker';
// aws/adapters/blazingtext-images.ts: eu-west-1's registry account, repository blazingtext, tag 1.
const IMAGE = '685385470294.dkr.ecr.eu-west-1.amazonaws.com/blazingtext:1';
const RUN_ID = 'reviews-fine_foods_reviews_train_csv-1a2b3c4d5e6f7a8b';
const FEATURES = `s3://sluice-dev-lake/features/reviews/${RUN_ID}`;
const JOB_NAME = 'reviews-train-3f9a1c0d5e7b2a64';
const TUNING_NAME = 'reviews-tune-8c1e5a9b0f3d';
const HYPERPARAMETERS = {
  mode: 'supervised',
  buckets: '2000000',
  early_stopping: 'False',
  epochs: '10',
  learning_rate: '0.1',
  min_count: '1',
  min_epochs: '5',
  patience: '4',
  vector_dim: '50',
  word_ngrams: '2',
};
const CHANNELS = ['train', 'validation'].map((name) => ({
  ChannelName: name,
  DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `${FEATURES}/split=${name}/`, S3DataDistributionType: 'FullyReplicated' } },
  ContentType: 'text/plain',
}));
const TAGS = [
  { Key: 'sluice:pipeline', Value: 'reviews' },
  { Key: 'sluice:run', Value: RUN_ID },
];

/** The reviews pipeline's training request, as StartTraining builds it from pipelines/reviews/pipeline.yml. */
function reviewsTraining(overrides: Partial<TrainingRequest> = {}): TrainingRequest {
  return {
    jobName: JOB_NAME,
    algorithm: 'blazingtext',
    hyperparameters: { ...HYPERPARAMETERS },
    trainUri: `${FEATURES}/split=train/`,
    validationUri: `${FEATURES}/split=validation/`,
    outputUri: 's3://sluice-dev-lake/models/reviews/',
    resources: { instanceType: 'ml.c5.xlarge', instanceCount: 1, volumeSizeGb: 10 },
    maxRuntimeSeconds: 1800,
    useSpot: false,
    ...overrides,
  };
}

function reviewsTuning(overrides: Partial<TuningRequest> = {}): TuningRequest {
  const { jobName: _ignored, ...training } = reviewsTraining();
  return {
    jobName: TUNING_NAME,
    training,
    strategy: 'Bayesian',
    objective: { metric: 'validation:accuracy', direction: 'Maximize' },
    ranges: {
      epochs: { type: 'integer', min: 5, max: 15, scaling: 'Auto' },
      learning_rate: { type: 'continuous', min: 0.05, max: 0.5, scaling: 'Logarithmic' },
      word_ngrams: { type: 'integer', min: 1, max: 3, scaling: 'Auto' },
      vector_dim: { type: 'integer', min: 32, max: 300, scaling: 'Auto' },
    },
    maxJobs: 8,
    maxParallelJobs: 1,
    earlyStopping: false,
    ...overrides,
  };
}

describe('SageMakerTrainer', () => {
  const trainer = new SageMakerTrainer(new SageMakerClient({ region: 'eu-west-1' }), { roleArn: ROLE_ARN, region: 'eu-west-1' });

  beforeEach(() => {
    sagemaker.reset();
  });

  describe('startTraining for a text pipeline', () => {
    it('sends the whole CreateTrainingJob request with the BlazingText image and text/plain File-mode channels when the algorithm is blazingtext', async () => {
      // Prepare
      sagemaker.on(CreateTrainingJobCommand).resolves({ TrainingJobArn: `arn:aws:sagemaker:eu-west-1:123456789012:training-job/${JOB_NAME}` });

      // Act
      const result = await trainer.startTraining(reviewsTraining());

      // Assess
      expect(result).toEqual({ jobName: JOB_NAME });
      expect(sagemaker.commandCalls(CreateTrainingJobCommand).map((call) => call.args[0].input)).toEqual([
        {
          TrainingJobName: JOB_NAME,
          AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: 'File' },
          RoleArn: ROLE_ARN,
          HyperParameters: HYPERPARAMETERS,
          InputDataConfig: CHANNELS,
          OutputDataConfig: { S3OutputPath: 's3://sluice-dev-lake/models/reviews/' },
          ResourceConfig: { InstanceType: 'ml.c5.xlarge', InstanceCount: 1, VolumeSizeInGB: 10 },
          StoppingCondition: { MaxRuntimeInSeconds: 1800 },
          EnableManagedSpotTraining: false,
          Tags: TAGS,
        },
      ]);
    });

    it('throws InvalidTrainingRequestError before any call when the instance type is not one BlazingText supervised mode trains on', async () => {
      // Act
      const start = trainer.startTraining(reviewsTraining({ resources: { instanceType: 'ml.m5.xlarge', instanceCount: 1, volumeSizeGb: 10 } }));

      // Assess
      await expect(start).rejects.toThrow(InvalidTrainingRequestError);
      await expect(start).rejects.toThrow(/does not train on ml\.m5\.xlarge/);
      expect(sagemaker.commandCalls(CreateTrainingJobCommand)).toHaveLength(0);
    });

    it('throws InvalidTrainingRequestError before any call when a hyperparameter is not a supervised-mode one', async () => {
      // Act
      const start = trainer.startTraining(reviewsTraining({ hyperparameters: { ...HYPERPARAMETERS, num_round: '10' } }));

      // Assess
      await expect(start).rejects.toThrow(/"num_round" is not a BlazingText supervised-mode hyperparameter/);
      expect(sagemaker.commandCalls(CreateTrainingJobCommand)).toHaveLength(0);
    });

    it('throws UnsupportedBlazingTextRegionError when the region has an XGBoost image but no BlazingText one', async () => {
      // Prepare: ap-south-2 is in AWS's XGBoost registry table and not in its BlazingText one (aws/adapters/*-images.ts).
      const regional = new SageMakerTrainer(new SageMakerClient({ region: 'ap-south-2' }), { roleArn: ROLE_ARN, region: 'ap-south-2' });

      // Act / Assess
      await expect(regional.startTraining(reviewsTraining())).rejects.toThrow(UnsupportedBlazingTextRegionError);
    });
  });

  describe('startTuning for a text pipeline', () => {
    it('sends the whole CreateHyperParameterTuningJob request on validation:accuracy with the tuned hyperparameters left out of the static ones', async () => {
      // Prepare
      sagemaker.on(CreateHyperParameterTuningJobCommand).resolves({ HyperParameterTuningJobArn: `arn:aws:sagemaker:eu-west-1:123456789012:hyper-parameter-tuning-job/${TUNING_NAME}` });

      // Act
      await trainer.startTuning(reviewsTuning());

      // Assess
      const { epochs: _e, learning_rate: _l, word_ngrams: _w, vector_dim: _v, ...staticHyperparameters } = HYPERPARAMETERS;
      expect(sagemaker.commandCalls(CreateHyperParameterTuningJobCommand).map((call) => call.args[0].input)).toEqual([
        {
          HyperParameterTuningJobName: TUNING_NAME,
          HyperParameterTuningJobConfig: {
            Strategy: 'Bayesian',
            HyperParameterTuningJobObjective: { Type: 'Maximize', MetricName: 'validation:accuracy' },
            ResourceLimits: { MaxNumberOfTrainingJobs: 8, MaxParallelTrainingJobs: 1 },
            ParameterRanges: {
              IntegerParameterRanges: [
                { Name: 'epochs', MinValue: '5', MaxValue: '15', ScalingType: 'Auto' },
                { Name: 'word_ngrams', MinValue: '1', MaxValue: '3', ScalingType: 'Auto' },
                { Name: 'vector_dim', MinValue: '32', MaxValue: '300', ScalingType: 'Auto' },
              ],
              ContinuousParameterRanges: [{ Name: 'learning_rate', MinValue: '0.05', MaxValue: '0.5', ScalingType: 'Logarithmic' }],
            },
            TrainingJobEarlyStoppingType: 'Off',
          },
          TrainingJobDefinition: {
            AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: 'File' },
            StaticHyperParameters: staticHyperparameters,
            RoleArn: ROLE_ARN,
            InputDataConfig: CHANNELS,
            OutputDataConfig: { S3OutputPath: 's3://sluice-dev-lake/models/reviews/' },
            ResourceConfig: { InstanceType: 'ml.c5.xlarge', InstanceCount: 1, VolumeSizeInGB: 10 },
            StoppingCondition: { MaxRuntimeInSeconds: 1800 },
            EnableManagedSpotTraining: false,
          },
          Tags: TAGS,
        },
      ]);
    });

    it('throws InvalidTrainingRequestError before any call when the objective is not validation:accuracy', async () => {
      // Act
      const start = trainer.startTuning(reviewsTuning({ objective: { metric: 'validation:auc', direction: 'Maximize' } }));

      // Assess
      await expect(start).rejects.toThrow(/BlazingText tunes on validation:accuracy/);
      expect(sagemaker.commandCalls(CreateHyperParameterTuningJobCommand)).toHaveLength(0);
    });
  });
});
