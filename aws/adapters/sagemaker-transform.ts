import { CreateModelCommand, CreateTransformJobCommand, DescribeTransformJobCommand, StopTransformJobCommand } from '@aws-sdk/client-sagemaker';
import type { CreateTransformJobCommandInput, SageMakerClient, Tag, TransformInstanceType } from '@aws-sdk/client-sagemaker';
import type { BatchScorer, TransformRequest, TransformStatus } from '../../core/ports/batch-scorer.js';
import { callAws, callAwsTolerating, isAwsError, isSageMakerAlreadyExisting } from './aws-errors.js';
import { PIPELINE_TAG, RUN_TAG } from './sagemaker-trainer.js';

/**
 * Batch scoring on SageMaker Batch Transform.
 *
 * - The model: `CreateModel` named after the job (63 characters, `core/run/job-names.ts`) with the production version's
 *   image and `model.tar.gz` as PrimaryContainer (as the endpoint deployer creates its models), the stage's model role.
 * - `CreateTransformJob` (SageMaker API reference, CreateTransformJob,
 *   https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTransformJob.html): `TransformInput` with the
 *   S3Prefix of the scoring query's output, its ContentType, `CompressionType: Gzip` ("SageMaker automatically
 *   decompresses the data", API_TransformInput; Athena's TEXTFILE UNLOAD is gzip) and `SplitType: Line` ("split records
 *   on a newline character boundary"); `BatchStrategy: MultiRecord` with the default 6 MB payload, so a request holds
 *   many records; `TransformOutput` with `AssembleWith: Line` (one answer per line, in the input's order) and Accept;
 *   `DataProcessing` as core/scoring/scoring-format.ts sets it (InputFilter, JoinSource Input, OutputFilter; the
 *   filters are at most 63 characters, API_DataProcessing).
 * - Idempotent by name: an "already exists" answer to CreateModel or CreateTransformJob means a retried state made it.
 * - Errors go through the shared classifier (`aws-errors.ts`): throttling is retried by the state machine.
 */
export class SageMakerTransform implements BatchScorer {
  /**
   * @param sagemaker the function's one SageMaker client
   * @param modelRoleArn the role the model's container runs with (reads the artifact): the stage's model role
   */
  public constructor(
    private readonly sagemaker: SageMakerClient,
    private readonly modelRoleArn: string,
  ) {}

  public async startTransform(request: TransformRequest): Promise<void> {
    const tags: Tag[] = [
      { Key: PIPELINE_TAG, Value: request.pipeline },
      { Key: RUN_TAG, Value: request.scoreRunId },
    ];
    await callAwsTolerating(
      `CreateModel ${request.jobName}`,
      () =>
        this.sagemaker.send(
          new CreateModelCommand({
            ModelName: request.jobName,
            ExecutionRoleArn: this.modelRoleArn,
            PrimaryContainer: { Image: request.model.image, ModelDataUrl: request.model.artifact },
            Tags: tags,
          }),
        ),
      isSageMakerAlreadyExisting,
    );
    await callAwsTolerating(`CreateTransformJob ${request.jobName}`, () => this.sagemaker.send(new CreateTransformJobCommand(transformJobInput(request, tags))), isSageMakerAlreadyExisting);
  }

  public async describeTransform(jobName: string): Promise<TransformStatus> {
    const job = await callAws(`DescribeTransformJob ${jobName}`, () => this.sagemaker.send(new DescribeTransformJobCommand({ TransformJobName: jobName })));
    const state = job.TransformJobStatus ?? 'InProgress';
    return { state, ...(job.FailureReason ? { failureReason: job.FailureReason } : {}) };
  }

  public async stopTransform(jobName: string): Promise<void> {
    // A job that already ended answers ValidationException: nothing to stop.
    await callAwsTolerating(`StopTransformJob ${jobName}`, () => this.sagemaker.send(new StopTransformJobCommand({ TransformJobName: jobName })), (error) => isAwsError(error, 'ValidationException'));
  }
}

/** The CreateTransformJob input of a request. */
export function transformJobInput(request: TransformRequest, tags: Tag[] = []): CreateTransformJobCommandInput {
  return {
    TransformJobName: request.jobName,
    ModelName: request.jobName,
    BatchStrategy: 'MultiRecord',
    TransformInput: {
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: request.input } },
      ContentType: request.contentType,
      CompressionType: request.compression,
      SplitType: 'Line',
    },
    TransformOutput: { S3OutputPath: request.output, Accept: request.accept, AssembleWith: 'Line' },
    TransformResources: { InstanceType: request.instanceType as TransformInstanceType, InstanceCount: request.instanceCount },
    DataProcessing: { InputFilter: request.dataProcessing.inputFilter, JoinSource: request.dataProcessing.joinSource, OutputFilter: request.dataProcessing.outputFilter },
    Tags: tags,
  };
}
