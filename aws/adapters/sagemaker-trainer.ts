import {
  CreateHyperParameterTuningJobCommand,
  CreateTrainingJobCommand,
  DescribeHyperParameterTuningJobCommand,
  DescribeTrainingJobCommand,
  StopHyperParameterTuningJobCommand,
  StopTrainingJobCommand,
} from '@aws-sdk/client-sagemaker';
import type {
  CategoricalParameterRange,
  Channel,
  ContinuousParameterRange,
  CreateHyperParameterTuningJobCommandInput,
  CreateTrainingJobCommandInput,
  HyperParameterTuningJobStatus,
  IntegerParameterRange,
  MetricData,
  ParameterRanges,
  ResourceConfig,
  S3DataDistribution,
  SageMakerClient,
  StoppingCondition,
  Tag,
  TrainingInstanceType,
  TrainingJobStatus,
} from '@aws-sdk/client-sagemaker';
import { TerminalStepError } from '../../core/errors.js';
import { channelFormat } from '../../core/features/channel-format.js';
import type { ChannelFormat } from '../../core/features/channel-format.js';
import type { HyperparameterRange, JobStatus, Trainer, TrainingRequest, TuningRequest } from '../../core/ports/trainer.js';
import { RESOURCE_NAME_MAX, TUNING_JOB_NAME_MAX, isSageMakerName } from '../../core/run/job-names.js';
import {
  BLAZINGTEXT_OBJECTIVE,
  blazingTextInstanceProblem,
  checkBlazingTextHyperparameters,
} from '../../core/training/blazingtext-hyperparameters.js';
import { hyperbandMaxResource, tuningProblemMessage, tuningProblems } from '../../core/training/tuning-ranges.js';
import { callAws, callAwsTolerating, classifyAwsError, isAwsError } from './aws-errors.js';
import { blazingTextImageUri } from './blazingtext-images.js';
import { xgboostImageUri } from './xgboost-images.js';

/** Options of {@link SageMakerTrainer}. */
export interface SageMakerTrainerOptions {
  /** The role SageMaker assumes to read the feature sets and write the model (needs `iam:PassRole` for the caller). */
  roleArn: string;
  /** The region the client calls: it picks the algorithm image's registry. */
  region: string;
}

/** A training or tuning request SageMaker would refuse, or that cannot do what it asks; the message says what to fix. */
export class InvalidTrainingRequestError extends TerminalStepError {
  public override readonly name = 'InvalidTrainingRequestError';
}

/** Tag key holding the pipeline on every job Sluice starts. */
export const PIPELINE_TAG = 'sluice:pipeline';
/** Tag key holding the run id on every job Sluice starts. */
export const RUN_TAG = 'sluice:run';

/**
 * The trainer on SageMaker, with the built-in XGBoost 1.7-1 and BlazingText (supervised) algorithms.
 *
 * - The image is the algorithm's for the region: `xgboost-images.ts`, `blazingtext-images.ts` (the same URI trains
 *   and serves). A BlazingText request is checked against `core/training/blazingtext-hyperparameters.ts` (names,
 *   values, `mode: supervised`, C5 or single-GPU instances, one instance) and its tuning objective must be
 *   `validation:accuracy`, Maximize ("Tune a BlazingText Model": the one metric supervised mode reports).
 * - BlazingText's channels are one plain `data.txt` of `__label__<label> tokens…` lines each, `text/plain`, File mode
 *   (core/features/channel-format.ts, merged by GetFeatureQueryState).
 * - Channels `train` and `validation` are the feature sets in the algorithm's channel format
 *   (`core/features/channel-format.ts`): for XGBoost, Snappy Parquet written by Athena's UNLOAD, declared
 *   `application/x-parquet` and read in File mode (the container reads a Parquet channel folder with pyarrow,
 *   aws/sagemaker-xgboost-container `data_utils.py`). No CompressionType: compression is inside the files, and
 *   Channel.CompressionType "is used only in Pipe input mode. In File mode, leave this field unset" (API_Channel).
 * - Starting a job is idempotent by name: a ResourceInUse "already exists" answer means a retried state already started
 *   it, and counts as started.
 * - Errors go through the shared classifier (`aws-errors.ts`): throttling becomes TransientServiceError and
 *   ResourceLimitExceeded ResourceLimitError, both retried by the state machine; anything else is rethrown as it is.
 * - A request SageMaker would reject (Grid with numeric ranges, Hyperband with early stopping, a bad name, ...) fails
 *   before any call with InvalidTrainingRequestError; the tuning rules are `core/training/tuning-ranges.ts`, which the
 *   spec loader and the local tuner apply too.
 * - A failed or stopped job is reported, not thrown: the step decides what to throw.
 */
export class SageMakerTrainer implements Trainer {
  private readonly roleArn: string;
  private readonly image: string;
  private readonly region: string;

  public constructor(
    private readonly sagemaker: SageMakerClient,
    options: SageMakerTrainerOptions,
  ) {
    this.roleArn = options.roleArn;
    this.region = options.region;
    // Fails fast, when the adapter is built, for a region with no XGBoost image.
    this.image = xgboostImageUri(options.region);
  }

  public async startTraining(request: TrainingRequest): Promise<{ jobName: string }> {
    const problems = trainingProblems(request, 'training job', request.jobName, RESOURCE_NAME_MAX);
    if (problems.length > 0) {
      throw new InvalidTrainingRequestError(`Training job ${request.jobName} cannot start: ${problems.join('; ')}`);
    }
    const input: CreateTrainingJobCommandInput = {
      TrainingJobName: request.jobName,
      AlgorithmSpecification: { TrainingImage: this.imageOf(request.algorithm), TrainingInputMode: channelFormat(request.algorithm).inputMode },
      RoleArn: this.roleArn,
      HyperParameters: { ...request.hyperparameters },
      InputDataConfig: channels(request),
      OutputDataConfig: { S3OutputPath: request.outputUri },
      ResourceConfig: resourceConfig(request),
      StoppingCondition: stoppingCondition(request),
      EnableManagedSpotTraining: request.useSpot,
      ...tagsOf(request),
    };
    await this.create(`CreateTrainingJob ${request.jobName}`, () => this.sagemaker.send(new CreateTrainingJobCommand(input)));
    return { jobName: request.jobName };
  }

  public async trainingStatus(jobName: string): Promise<JobStatus> {
    const out = await callAws(`DescribeTrainingJob ${jobName}`, () =>
      this.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: jobName })),
    );
    const { state, failureReason } = trainingState(out.TrainingJobStatus, out.FailureReason);
    const metrics = metricsOf(out.FinalMetricDataList);
    return {
      state,
      ...(failureReason ? { failureReason } : {}),
      // Why a stopped job stopped: MaxRuntimeExceeded / MaxWaitTimeExceeded name the spec limit to raise.
      ...(state === 'Stopped' && (out.SecondaryStatus === 'MaxRuntimeExceeded' || out.SecondaryStatus === 'MaxWaitTimeExceeded') ? { secondaryStatus: out.SecondaryStatus } : {}),
      ...(out.ModelArtifacts?.S3ModelArtifacts ? { modelArtifact: out.ModelArtifacts.S3ModelArtifacts } : {}),
      ...(out.HyperParameters ? { hyperparameters: { ...out.HyperParameters } } : {}),
      ...(metrics ? { metrics } : {}),
    };
  }

  public async startTuning(request: TuningRequest): Promise<{ jobName: string }> {
    const problems = [
      ...trainingProblems(request.training, 'tuning job', request.jobName, TUNING_JOB_NAME_MAX),
      // The tuning rules the spec loader and the local tuner apply too.
      // Hyperband's MaxResource is XGBoost's num_round: BlazingText's static set has none.
      ...tuningProblems({ ...request, staticHyperparameters: request.training.algorithm === 'xgboost' ? request.training.hyperparameters : undefined }).map(tuningProblemMessage),
      ...(request.training.algorithm === 'blazingtext' &&
      (request.objective.metric !== BLAZINGTEXT_OBJECTIVE.metric || request.objective.direction !== BLAZINGTEXT_OBJECTIVE.direction)
        ? [`BlazingText tunes on ${BLAZINGTEXT_OBJECTIVE.metric} (${BLAZINGTEXT_OBJECTIVE.direction}), its one metric, not ${request.objective.metric} (${request.objective.direction})`]
        : []),
    ];
    if (problems.length > 0) {
      throw new InvalidTrainingRequestError(`Tuning job ${request.jobName} cannot start: ${problems.join('; ')}`);
    }
    const training = request.training;
    const staticHyperparameters = Object.fromEntries(
      Object.entries(training.hyperparameters).filter(([name]) => !Object.hasOwn(request.ranges, name)),
    );
    const maxResource = request.strategy === 'Hyperband' ? hyperbandMaxResource(request.ranges, training.hyperparameters) : undefined;
    const input: CreateHyperParameterTuningJobCommandInput = {
      HyperParameterTuningJobName: request.jobName,
      HyperParameterTuningJobConfig: {
        Strategy: request.strategy,
        ...(maxResource !== undefined ? { StrategyConfig: { HyperbandStrategyConfig: { MaxResource: maxResource } } } : {}),
        HyperParameterTuningJobObjective: { Type: request.objective.direction, MetricName: request.objective.metric },
        ResourceLimits: {
          // Grid runs every combination of the categorical values: SageMaker counts the jobs itself.
          ...(request.strategy === 'Grid' ? {} : { MaxNumberOfTrainingJobs: request.maxJobs }),
          MaxParallelTrainingJobs: request.maxParallelJobs,
        },
        ParameterRanges: parameterRanges(request.ranges),
        TrainingJobEarlyStoppingType: request.earlyStopping ? 'Auto' : 'Off',
      },
      TrainingJobDefinition: {
        // Built-in algorithms emit their metrics to the tuner themselves: no MetricDefinitions.
        AlgorithmSpecification: { TrainingImage: this.imageOf(training.algorithm), TrainingInputMode: channelFormat(training.algorithm).inputMode },
        StaticHyperParameters: staticHyperparameters,
        RoleArn: this.roleArn,
        InputDataConfig: channels(training),
        OutputDataConfig: { S3OutputPath: training.outputUri },
        ResourceConfig: resourceConfig(training),
        StoppingCondition: stoppingCondition(training),
        EnableManagedSpotTraining: training.useSpot,
      },
      // SageMaker copies a tuning job's tags onto the training jobs it launches.
      ...tagsOf(training),
    };
    await this.create(`CreateHyperParameterTuningJob ${request.jobName}`, () =>
      this.sagemaker.send(new CreateHyperParameterTuningJobCommand(input)),
    );
    return { jobName: request.jobName };
  }

  /**
   * StopTrainingJob (SageMaker API reference: `{ TrainingJobName }`, an empty answer). A job that already ended or is
   * gone is answered with a ValidationException or ResourceNotFound: nothing is left to stop, so both are accepted.
   */
  public async stopTraining(jobName: string): Promise<void> {
    await callAwsTolerating(`StopTrainingJob ${jobName}`, () => this.sagemaker.send(new StopTrainingJobCommand({ TrainingJobName: jobName })), notRunning);
  }

  /**
   * StopHyperParameterTuningJob (SageMaker API reference: `{ HyperParameterTuningJobName }`; "Stops a running
   * hyperparameter tuning job and all running training jobs that the tuning job launched"). Idempotent as
   * {@link stopTraining}.
   */
  public async stopTuning(jobName: string): Promise<void> {
    await callAwsTolerating(
      `StopHyperParameterTuningJob ${jobName}`,
      () => this.sagemaker.send(new StopHyperParameterTuningJobCommand({ HyperParameterTuningJobName: jobName })),
      notRunning,
    );
  }

  public async tuningStatus(jobName: string): Promise<JobStatus> {
    const out = await callAws(`DescribeHyperParameterTuningJob ${jobName}`, () =>
      this.sagemaker.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: jobName })),
    );
    const { state, failureReason } = tuningState(out.HyperParameterTuningJobStatus, out.FailureReason);
    const best = out.BestTrainingJob;
    const bestName = best?.TrainingJobName;
    const status: JobStatus = {
      state,
      ...(failureReason ? { failureReason } : {}),
      ...(bestName ? { bestTrainingJobName: bestName } : {}),
    };
    if (state !== 'Completed') return status;
    if (!bestName) {
      return { state: 'Failed', failureReason: `Tuning job ${jobName} completed without a best training job (did every training job fail?)` };
    }
    const job = await callAws(`DescribeTrainingJob ${bestName}`, () =>
      this.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: bestName })),
    );
    const metrics = metricsOf(job.FinalMetricDataList);
    return {
      ...status,
      ...(job.ModelArtifacts?.S3ModelArtifacts ? { modelArtifact: job.ModelArtifacts.S3ModelArtifacts } : {}),
      hyperparameters: { ...out.TrainingJobDefinition?.StaticHyperParameters, ...best?.TunedHyperParameters },
      ...(metrics ? { metrics } : {}),
    };
  }

  /** The algorithm's image in this region; a region with no BlazingText image fails the step, naming the regions. */
  private imageOf(algorithm: TrainingRequest['algorithm']): string {
    return algorithm === 'blazingtext' ? blazingTextImageUri(this.region) : this.image;
  }

  /** Sends a create call; "already exists" for our own name means an earlier attempt of this state already sent it. */
  private async create(action: string, send: () => Promise<unknown>): Promise<void> {
    try {
      await send();
    } catch (error) {
      if (isAlreadyExists(error)) return;
      throw classifyAwsError(error, action);
    }
  }
}

/**
 * SageMaker answers a duplicate name with ResourceInUse: "Training job names must be unique within an AWS account and
 * region, and a training job with this name already exists (arn:…)", or "A hyperparameter tuning job with the name, …,
 * already exists." Some SageMaker APIs have moved to a "must be unique" wording without "already exists", so either counts.
 */
function isAlreadyExists(error: unknown): boolean {
  return isAwsError(error, 'ResourceInUse', /already exists|must be unique/i);
}

type TrainingPart = Omit<TrainingRequest, 'jobName'>;

/** Every reason SageMaker would refuse the job's name or its training definition, checked before any call. */
function trainingProblems(training: TrainingPart, kind: string, jobName: string, maxName: number): string[] {
  const problems: string[] = [];
  if (!isSageMakerName(jobName, maxName)) {
    problems.push(`the ${kind} name "${jobName}" must be 1 to ${maxName} letters, digits and hyphens, starting and ending with a letter or digit`);
  }
  // A runtime guard: the request crosses a JSON boundary (the state), so its algorithm is checked, not trusted.
  const algorithm: string = training.algorithm;
  if (algorithm !== 'xgboost' && algorithm !== 'blazingtext') problems.push(`algorithm "${algorithm}" is not supported (xgboost or blazingtext)`);
  if (training.algorithm === 'blazingtext') {
    // With tuning, a tuned `mode` arrives through the ranges: the static set is checked for everything else.
    problems.push(...checkBlazingTextHyperparameters({ mode: 'supervised', ...training.hyperparameters }).problems);
    const instance = blazingTextInstanceProblem(training.resources.instanceType, training.resources.instanceCount);
    if (instance !== undefined) problems.push(instance);
  }
  for (const [channel, uri] of [['train', training.trainUri], ['validation', training.validationUri], ['output', training.outputUri]] as const) {
    if (!uri.startsWith('s3://')) problems.push(`the ${channel} location "${uri}" is not an s3:// URI`);
  }
  if (training.useSpot && training.maxWaitSeconds !== undefined && training.maxWaitSeconds < training.maxRuntimeSeconds) {
    // StoppingCondition.MaxWaitTimeInSeconds "must be equal to or greater than MaxRuntimeInSeconds".
    problems.push(`maxWaitSeconds (${training.maxWaitSeconds}) must be at least maxRuntimeSeconds (${training.maxRuntimeSeconds}) for a Spot job`);
  }
  return problems;
}

/**
 * The feature sets in the algorithm's channel format, label first. On one instance both are copied whole. On more
 * (`training.instanceCount` > 1) the train set is sharded: "If there are n ML compute instances launched for a training
 * job, each instance gets approximately 1/n of the number of S3 objects" (SageMaker API reference, S3DataSource,
 * S3DataDistributionType ShardedByS3Key), so each instance reads only its share of the files UNLOAD wrote, and
 * XGBoost's distributed training combines them; every instance keeps the whole validation set (FullyReplicated), so
 * each evaluates on the same rows. The same reference says not to use more instances than objects (docs/scaling.md).
 */
function channels(training: TrainingPart): Channel[] {
  const format = channelFormat(training.algorithm);
  const trainDistribution: S3DataDistribution = training.resources.instanceCount > 1 ? 'ShardedByS3Key' : 'FullyReplicated';
  return [channel('train', training.trainUri, format, trainDistribution), channel('validation', training.validationUri, format, 'FullyReplicated')];
}

function channel(name: string, uri: string, format: ChannelFormat, distribution: S3DataDistribution): Channel {
  return {
    ChannelName: name,
    DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: uri, S3DataDistributionType: distribution } },
    ContentType: format.contentType,
    ...(format.inputMode === 'Pipe' && format.compression ? { CompressionType: format.compression } : {}),
  };
}

function resourceConfig(training: TrainingPart): ResourceConfig {
  return {
    // The SDK's enum lags new instance types; SageMaker validates the value itself.
    InstanceType: training.resources.instanceType as TrainingInstanceType,
    InstanceCount: training.resources.instanceCount,
    VolumeSizeInGB: training.resources.volumeSizeGb,
  };
}

/**
 * MaxRuntimeInSeconds, plus MaxWaitTimeInSeconds for a Spot job (required there, and only there). Without a
 * maxWaitSeconds, a Spot job gets the smallest valid wait: its runtime, so no extra time to wait for capacity.
 */
function stoppingCondition(training: TrainingPart): StoppingCondition {
  if (!training.useSpot) return { MaxRuntimeInSeconds: training.maxRuntimeSeconds };
  return {
    MaxRuntimeInSeconds: training.maxRuntimeSeconds,
    MaxWaitTimeInSeconds: training.maxWaitSeconds ?? training.maxRuntimeSeconds,
  };
}

/**
 * Tags naming the pipeline and the run, read from the train location when it follows the lake layout
 * (`s3://<bucket>/features/<pipeline>/<runId>/train/`); none otherwise.
 */
function tagsOf(training: TrainingPart): { Tags?: Tag[] } {
  // `…/<runId>/split=train/` since the one-UNLOAD feature query; `…/<runId>/train/` before it.
  const match = /^s3:\/\/[^/]+\/features\/([^/]+)\/([^/]+)\/(?:split=)?train\/?$/.exec(training.trainUri);
  if (!match?.[1] || !match[2]) return {};
  return {
    Tags: [
      { Key: PIPELINE_TAG, Value: match[1] },
      { Key: RUN_TAG, Value: match[2] },
    ],
  };
}

function parameterRanges(ranges: Record<string, HyperparameterRange>): ParameterRanges {
  const continuous: ContinuousParameterRange[] = [];
  const integer: IntegerParameterRange[] = [];
  const categorical: CategoricalParameterRange[] = [];
  for (const [name, range] of Object.entries(ranges)) {
    if (range.type === 'categorical') {
      categorical.push({ Name: name, Values: [...range.values] });
    } else {
      // The API takes range bounds as strings.
      const bounds = { Name: name, MinValue: String(range.min), MaxValue: String(range.max), ScalingType: range.scaling };
      (range.type === 'continuous' ? continuous : integer).push(bounds);
    }
  }
  return {
    ...(continuous.length > 0 ? { ContinuousParameterRanges: continuous } : {}),
    ...(integer.length > 0 ? { IntegerParameterRanges: integer } : {}),
    ...(categorical.length > 0 ? { CategoricalParameterRanges: categorical } : {}),
  };
}

function trainingState(status: TrainingJobStatus | undefined, reason: string | undefined): Pick<JobStatus, 'state' | 'failureReason'> {
  const failureReason = reason?.trim() || undefined;
  switch (status) {
    case 'Completed':
    case 'Failed':
    case 'Stopping':
    case 'Stopped':
    case 'InProgress':
      return { state: status, ...(failureReason ? { failureReason } : {}) };
    case 'Deleting':
      return { state: 'Failed', failureReason: withReason('the training job is being deleted', failureReason) };
    default:
      // A job SageMaker has accepted but not yet described is still starting: the wait loop polls again.
      return { state: 'InProgress' };
  }
}

function tuningState(status: HyperParameterTuningJobStatus | undefined, reason: string | undefined): Pick<JobStatus, 'state' | 'failureReason'> {
  const failureReason = reason?.trim() || undefined;
  switch (status) {
    case 'Completed':
    case 'Failed':
    case 'Stopping':
    case 'Stopped':
    case 'InProgress':
      return { state: status, ...(failureReason ? { failureReason } : {}) };
    case 'Deleting':
    case 'DeleteFailed':
      return { state: 'Failed', failureReason: withReason(`the tuning job is being deleted (${status})`, failureReason) };
    default:
      return { state: 'InProgress' };
  }
}

function withReason(what: string, reason: string | undefined): string {
  return reason ? `${what}: ${reason}` : what;
}

/** `train:auc`, `validation:auc`, ... → value; undefined when the job reported none. */
function metricsOf(list: MetricData[] | undefined): Record<string, number> | undefined {
  const metrics: Record<string, number> = {};
  for (const metric of list ?? []) {
    if (metric.MetricName !== undefined && metric.Value !== undefined) metrics[metric.MetricName] = metric.Value;
  }
  return Object.keys(metrics).length > 0 ? metrics : undefined;
}

/** SageMaker's answer to stopping a job that is not running (ended, or never made): nothing to stop. */
function notRunning(error: unknown): boolean {
  return isAwsError(error, ['ValidationException', 'ResourceNotFound']);
}
