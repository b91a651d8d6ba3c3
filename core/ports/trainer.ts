/** Compute for a training job. */
export interface TrainingResources {
  instanceType: string;
  instanceCount: number;
  volumeSizeGb: number;
}

/** A built-in algorithm Sluice trains: XGBoost `1.7-1` on tabular features, BlazingText (supervised) on text. */
export type TrainingAlgorithm = 'xgboost' | 'blazingtext';

/**
 * One training job of a built-in algorithm on a run's feature sets. Both algorithms take the same fields: what
 * differs is what the channels hold (`core/features/channel-format.ts`) and the hyperparameter names.
 */
export interface TrainingRequest {
  /** At most 63 characters, unique per run and step (see `core/run/job-names.ts`). */
  jobName: string;
  algorithm: TrainingAlgorithm;
  /**
   * Hyperparameters as SageMaker takes them: names from the algorithm's documentation, values as strings. For
   * BlazingText, the checked set of `core/training/blazingtext-hyperparameters.ts` (`mode: supervised` included).
   */
  hyperparameters: Record<string, string>;
  /**
   * `s3://…/features/<pipeline>/<runId>/split=train/`: XGBoost, Snappy Parquet, label first; BlazingText, one plain
   * `data.txt` of `__label__<label> tokens…` lines.
   */
  trainUri: string;
  validationUri: string;
  /** `s3://…/models/<pipeline>/`: the job writes `<jobName>/output/model.tar.gz` below it. */
  outputUri: string;
  resources: TrainingResources;
  maxRuntimeSeconds: number;
  useSpot: boolean;
  maxWaitSeconds?: number;
}

/** A hyperparameter range of a tuning job. */
export type HyperparameterRange =
  | { type: 'continuous' | 'integer'; min: number; max: number; scaling: 'Auto' | 'Linear' | 'Logarithmic' | 'ReverseLogarithmic' }
  | { type: 'categorical'; values: string[] };

/** A hyperparameter tuning job over training jobs like `training` (whose `jobName` is ignored). */
export interface TuningRequest {
  /** At most 32 characters (SageMaker's limit for tuning jobs). */
  jobName: string;
  training: Omit<TrainingRequest, 'jobName'>;
  strategy: 'Bayesian' | 'Random' | 'Hyperband' | 'Grid';
  objective: { metric: string; direction: 'Maximize' | 'Minimize' };
  ranges: Record<string, HyperparameterRange>;
  maxJobs: number;
  maxParallelJobs: number;
  earlyStopping: boolean;
}

/** Where a training or tuning job stands, and what it produced once it completed. */
export interface JobStatus {
  state: 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';
  failureReason?: string;
  /**
   * SageMaker's SecondaryStatus when it says why a job stopped: `MaxRuntimeExceeded` (the job ran past
   * `maxRuntimeSeconds`) or `MaxWaitTimeExceeded` (a spot job waited past `maxWaitSeconds`).
   */
  secondaryStatus?: string;
  /** For tuning: the best training job's. */
  modelArtifact?: string;
  hyperparameters?: Record<string, string>;
  /** Final metrics, e.g. `train:auc`, `validation:auc`; BlazingText reports `validation:accuracy`. */
  metrics?: Record<string, number>;
  bestTrainingJobName?: string;
  /**
   * The model's own evaluation on the validation set (AUC, logloss, precision, recall, specificity, F1, confusion
   * matrix…), when the trainer computes it from the model's predictions.
   */
  evaluation?: Record<string, unknown>;
}

/** The trainer port: SageMaker in AWS, XGBoost through koffi locally. */
export interface Trainer {
  startTraining(request: TrainingRequest): Promise<{ jobName: string }>;
  trainingStatus(jobName: string): Promise<JobStatus>;
  startTuning(request: TuningRequest): Promise<{ jobName: string }>;
  tuningStatus(jobName: string): Promise<JobStatus>;
  /**
   * Stops a training job that is still running, so a failed, timed-out or aborted run stops billing for it. A job that
   * already ended, or that does not exist, is left as it is: stopping is idempotent.
   */
  stopTraining(jobName: string): Promise<void>;
  /** Stops a tuning job (and so its training jobs) that is still running; idempotent as {@link stopTraining}. */
  stopTuning(jobName: string): Promise<void>;
}
