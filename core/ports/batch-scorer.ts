/**
 * The batch scoring port: SageMaker Batch Transform in AWS (aws/adapters/sagemaker-transform.ts), a local job running
 * real XGBoost or fastText off the main thread locally (local/adapters/local-batch-scorer.ts). Same Start/Describe
 * semantics as a transform job: start returns at once, describe polls.
 */

/** A transform job to start. Its shape follows CreateTransformJob's (SageMaker API reference). */
export interface TransformRequest {
  /** 63 characters at most (CreateTransformJob `TransformJobName`). */
  jobName: string;
  model: {
    /** The model package (AWS) or registry id (local) of the production version. */
    id: string;
    artifact: string;
    image: string;
    algorithm: 'xgboost' | 'blazingtext';
  };
  /** `s3://…/transform-input/`: every object under it is an input file (S3Prefix). */
  input: string;
  /** `text/csv` (XGBoost) or `application/jsonlines` (BlazingText). */
  contentType: string;
  /** Athena's TEXTFILE UNLOAD is gzip. */
  compression: 'Gzip' | 'None';
  output: string;
  accept: string;
  /** `DataProcessing`: which part of a record the model sees, and which part of input + output is kept. */
  dataProcessing: { inputFilter: string; joinSource: 'Input'; outputFilter: string };
  instanceType: string;
  instanceCount: number;
  maxRuntimeSeconds: number;
  /** Tags every resource the job creates with the run, as the trainer does. */
  scoreRunId: string;
  pipeline: string;
}

/** Where a transform job stands (DescribeTransformJob `TransformJobStatus`). */
export interface TransformStatus {
  state: 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';
  failureReason?: string;
}

/** Starts, polls and stops batch transform jobs. */
export interface BatchScorer {
  /** Starts the job; the same name started again (a retried state) is not an error and starts nothing new. */
  startTransform(request: TransformRequest): Promise<void>;
  describeTransform(jobName: string): Promise<TransformStatus>;
  /** Stops a job still running; one that ended is left as it is. */
  stopTransform(jobName: string): Promise<void>;
}
