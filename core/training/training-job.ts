import * as z from 'zod';
import { TerminalStepError } from '../errors.js';
import type { SpecCatalog } from '../pipelines/spec-catalog.js';
import type { JobStatus, Trainer, TrainingRequest, TuningRequest } from '../ports/trainer.js';
import { trainingJobName, tuningJobName } from '../run/job-names.js';
import { checkBlazingTextHyperparameters } from './blazingtext-hyperparameters.js';
import { lakeLayout } from '../run/lake-layout.js';
import type { RunContext } from '../run/run-context.js';
import { runContextSchema } from '../run/run-context.js';
import type { FeatureProgress, TrainingProgress } from '../run/workflow-state.js';
import { featureProgressSchema, nonceSchema, redriveCountSchema, trainingProgressSchema } from '../run/workflow-state.js';
import type { PipelineSpec } from '../spec/load-spec.js';
import { specFileForUser } from '../spec/spec-file.js';
import { trainingPolls } from '../spec/workflow-limits.js';

/** A training or tuning job ended Failed or Stopped; the message carries SageMaker's FailureReason. */
export class TrainingFailedError extends TerminalStepError {
  public override readonly name = 'TrainingFailedError';
}

/**
 * The job ran past the spec's limit (`training.maxRuntimeSeconds`, or `maxWaitSeconds` for spot): the trainer
 * stopped it, or it outlasted the limit plus the polling margin. The message names the step, the limit and the file.
 */
export class TrainingTimeoutError extends TerminalStepError {
  public override readonly name = 'TrainingTimeoutError';
}

/** What the training steps (StartTraining, DescribeTraining, StartTuning, DescribeTuning) need. */
export interface TrainingDeps {
  trainer: Trainer;
  specs: SpecCatalog;
  /** Job names start with it (`sluice-<stage>-`): the functions' IAM permissions are scoped to that prefix. */
  jobPrefix: string;
}

/** A single training job, or a hyperparameter tuning job. */
export type JobMode = TrainingProgress['mode'];

/** What a start step reads from the state: the run, its feature sets, the nonce and the redrive count. */
export const jobStartInputSchema = z
  .object({ run: runContextSchema, features: featureProgressSchema, nonce: nonceSchema, redriveCount: redriveCountSchema })
  .passthrough();

/** What a start step reads from the state. */
export type JobStartInput = z.infer<typeof jobStartInputSchema>;

/** What a describe step reads from the state: what a start step reads, and the job's progress at `$.training`. */
export const jobDescribeInputSchema = jobStartInputSchema.extend({ training: trainingProgressSchema });

/** What a describe step reads from the state. */
export type JobDescribeInput = z.infer<typeof jobDescribeInputSchema>;

function stringify(values: Readonly<Record<string, string | number | boolean>>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)]));
}

/**
 * The hyperparameters a job of the spec's algorithm gets, as strings. BlazingText: the checked supervised-mode set
 * with its documented defaults filled and booleans spelled `True` / `False` (core/training/blazingtext-hyperparameters.ts;
 * the spec loader refused any problem already), so both runtimes train with the same explicit values.
 */
export function requestHyperparameters(spec: PipelineSpec): Record<string, string> {
  const training = spec.training;
  if (!training) throw new TrainingFailedError(`Pipeline ${spec.name} has no training section`);
  if (training.algorithm !== 'blazingtext') return stringify(training.hyperparameters);
  const tunedMode = spec.tuning?.enabled === true && spec.tuning.ranges['mode'] !== undefined;
  const check = checkBlazingTextHyperparameters(tunedMode ? { mode: 'supervised', ...training.hyperparameters } : training.hyperparameters);
  if (check.problems.length > 0) throw new TrainingFailedError(`Pipeline ${spec.name}: ${check.problems.join('; ')}`);
  return { ...check.values };
}

function trainingBase(spec: PipelineSpec, run: RunContext, features: FeatureProgress): Omit<TrainingRequest, 'jobName'> {
  const training = spec.training;
  if (!training) throw new TrainingFailedError(`Pipeline ${spec.name} has no training section`);
  return {
    algorithm: training.algorithm,
    hyperparameters: requestHyperparameters(spec),
    trainUri: features.train.location,
    validationUri: features.validation.location,
    outputUri: `s3://${run.bucket}/${lakeLayout.modelsPrefix(spec.name)}`,
    resources: { instanceType: training.instanceType, instanceCount: training.instanceCount, volumeSizeGb: training.volumeSizeGb },
    maxRuntimeSeconds: training.maxRuntimeSeconds,
    useSpot: training.useSpot,
    ...(training.maxWaitSeconds !== undefined ? { maxWaitSeconds: training.maxWaitSeconds } : {}),
  };
}

function progress(spec: PipelineSpec, mode: JobMode, jobName: string, objective?: TrainingProgress['objective']): TrainingProgress {
  const training = spec.training;
  const pollSeconds = training?.pollSeconds ?? 30;
  // Startup and upload time come on top of the runtime SageMaker enforces; the spec loader checked the count fits.
  const maxAttempts = trainingPolls(spec, mode);
  return { mode, jobName, redriveCount: 0, attempt: 0, maxAttempts, pollSeconds, state: 'InProgress', ...(objective ? { objective } : {}) };
}

/**
 * Starts a training or tuning job for the run. The job name derives from the run, the nonce (the execution's start
 * time and redrive count) and the mode, so a retried state finds its own job, a redrive starts a new one, and a run id
 * reused after 90 days never meets an old job's name.
 */
export async function launchJob(mode: JobMode, input: JobStartInput, deps: TrainingDeps): Promise<TrainingProgress> {
  const { run, features, nonce, redriveCount } = input;
  const spec = deps.specs.get(run.pipeline);
  const prefix = `${deps.jobPrefix}${spec.name}`;
  if (mode === 'train') {
    const jobName = trainingJobName(run.runId, 'train', nonce, prefix);
    await deps.trainer.startTraining({ jobName, ...trainingBase(spec, run, features) });
    return { ...progress(spec, 'train', jobName), redriveCount };
  }
  const tuning = spec.tuning;
  if (!tuning) throw new TrainingFailedError(`Pipeline ${spec.name} has no tuning section`);
  const jobName = tuningJobName(run.runId, 'tune', nonce, prefix);
  const request: TuningRequest = {
    jobName,
    training: trainingBase(spec, run, features),
    strategy: tuning.strategy,
    objective: { ...tuning.objective },
    ranges: Object.fromEntries(
      Object.entries(tuning.ranges).map(([name, range]) => [name, range.type === 'categorical' ? { type: 'categorical' as const, values: [...range.values] } : { ...range }]),
    ),
    maxJobs: tuning.maxJobs,
    maxParallelJobs: tuning.maxParallelJobs,
    earlyStopping: tuning.earlyStopping,
  };
  await deps.trainer.startTuning(request);
  return { ...progress(spec, 'tune', jobName, { ...tuning.objective }), redriveCount };
}

function next(spec: PipelineSpec, training: TrainingProgress, status: JobStatus): TrainingProgress {
  const attempt = training.attempt + 1;
  const what = training.mode === 'train' ? 'Training job' : 'Tuning job';
  if (status.state === 'Stopped' && (status.secondaryStatus === 'MaxRuntimeExceeded' || status.secondaryStatus === 'MaxWaitTimeExceeded')) {
    throw new TrainingTimeoutError(limitMessage(spec, training.mode, status.secondaryStatus));
  }
  if (status.state === 'Failed' || status.state === 'Stopped') {
    throw new TrainingFailedError(`${what} ${training.jobName} ${status.state === 'Failed' ? 'failed' : 'was stopped'}: ${status.failureReason ?? 'no reason given'}`);
  }
  if (status.state === 'Completed') {
    return {
      ...training,
      attempt,
      state: 'Completed',
      ...(status.modelArtifact ? { modelArtifact: status.modelArtifact } : {}),
      ...(status.hyperparameters ? { hyperparameters: status.hyperparameters } : {}),
      ...(status.metrics ? { metrics: status.metrics } : {}),
      ...(status.bestTrainingJobName ? { bestTrainingJobName: status.bestTrainingJobName } : {}),
      ...(status.evaluation ? { evaluation: status.evaluation } : {}),
    };
  }
  if (attempt >= training.maxAttempts) {
    throw new TrainingTimeoutError(
      `${training.mode === 'train' ? 'StartTraining' : 'StartTuning'}: the ${what.toLowerCase()} ${training.jobName} was still ${status.state} after ${attempt} polls ` +
        `(${attempt * training.pollSeconds} s), past its limit ${limitSetting(spec, training.mode)} plus the polling margin; raise it in ${specFileForUser(spec)}`,
    );
  }
  return { ...training, attempt, state: status.state };
}

/** The spec setting that bounds a job, with its value: what the user raises when a job runs out of time. */
function limitSetting(spec: PipelineSpec, mode: JobMode, secondaryStatus?: string): string {
  const training = spec.training;
  const setting =
    secondaryStatus === 'MaxWaitTimeExceeded' || (secondaryStatus === undefined && training?.maxWaitSeconds !== undefined)
      ? `training.maxWaitSeconds (${training?.maxWaitSeconds ?? '?'} s)`
      : `training.maxRuntimeSeconds (${training?.maxRuntimeSeconds ?? '?'} s)`;
  return mode === 'tune' && secondaryStatus === undefined ? `${setting} × tuning.maxJobs (${spec.tuning?.maxJobs ?? 1})` : setting;
}

/** What a job stopped by its limit says: the step that started it, the limit, and the setting to change. */
function limitMessage(spec: PipelineSpec, mode: JobMode, secondaryStatus: string): string {
  const setting = limitSetting(spec, mode, secondaryStatus);
  const ran = secondaryStatus === 'MaxWaitTimeExceeded' ? 'waited for spot capacity and ran past' : 'ran past';
  return mode === 'train'
    ? `StartTraining: the training job ${ran} ${setting}; raise it in ${specFileForUser(spec)}`
    : `StartTuning: a training job of the tuning job ${ran} ${setting}; raise it in ${specFileForUser(spec)}`;
}

/**
 * One poll of the run's training or tuning job. After a failed or stopped job, a redriven execution (its redrive
 * count is past the one the job started under) starts a new job instead of describing the same failed one again:
 * redrive re-runs only the failed state.
 */
export async function describeJob(mode: JobMode, input: JobDescribeInput, deps: TrainingDeps): Promise<TrainingProgress> {
  const { training } = input;
  const status = mode === 'train' ? await deps.trainer.trainingStatus(training.jobName) : await deps.trainer.tuningStatus(training.jobName);
  if ((status.state === 'Failed' || status.state === 'Stopped') && input.redriveCount > training.redriveCount) {
    return launchJob(mode, input, deps);
  }
  return next(deps.specs.get(input.run.pipeline), training, status);
}
