import * as z from 'zod';
import { TerminalStepError } from '../errors.js';
import type { SpecCatalog } from '../pipelines/spec-catalog.js';
import type { PipelineSpec } from '../spec/load-spec.js';
import type { JobStatus, Trainer, TrainingRequest, TuningRequest } from '../ports/trainer.js';
import { lakeLayout } from '../run/lake-layout.js';
import { trainingJobName, tuningJobName } from '../run/job-names.js';
import type { RunContext } from '../run/run-context.js';
import { runContextSchema } from '../run/run-context.js';
import { parseStateInput } from '../run/state-input.js';
import { featureProgressSchema } from './feature-query.js';

/** A training or tuning job ended Failed or Stopped; the message carries SageMaker's FailureReason. */
export class TrainingFailedError extends TerminalStepError {
  public override readonly name = 'TrainingFailedError';
}

/** The job outlasted its maximum runtime plus the polling margin. */
export class TrainingTimeoutError extends TerminalStepError {
  public override readonly name = 'TrainingTimeoutError';
}

/** What the training steps need. */
export interface TrainingDeps {
  trainer: Trainer;
  specs: SpecCatalog;
  /** Job names start with it (`sluice-<stage>-`): the functions' IAM permissions are scoped to that prefix. */
  jobPrefix: string;
}

/** The job's progress and, once complete, its result, kept at `$.training`. */
export const trainingProgressSchema = z
  .object({
    mode: z.enum(['train', 'tune']),
    jobName: z.string(),
    /** The execution's redrive count when the job started: a redrive after it failed starts a new job. */
    redriveCount: z.number().int().nonnegative().default(0),
    attempt: z.number().int().nonnegative(),
    maxAttempts: z.number().int().positive(),
    pollSeconds: z.number().int().positive(),
    state: z.enum(['InProgress', 'Stopping', 'Completed']),
    objective: z.object({ metric: z.string(), direction: z.enum(['Maximize', 'Minimize']) }).strict().optional(),
    modelArtifact: z.string().optional(),
    hyperparameters: z.record(z.string(), z.string()).optional(),
    metrics: z.record(z.string(), z.number()).optional(),
    bestTrainingJobName: z.string().optional(),
    evaluation: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

/** The training progress at `$.training`. */
export type TrainingProgress = z.infer<typeof trainingProgressSchema>;

const startInput = z
  .object({
    run: runContextSchema,
    features: featureProgressSchema,
    nonce: z.string().min(1).default('0'),
    redriveCount: z.number().int().nonnegative().default(0),
  })
  .passthrough();
const describeInput = startInput.extend({ training: trainingProgressSchema });

function stringify(values: Readonly<Record<string, string | number | boolean>>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)]));
}

function trainingBase(spec: PipelineSpec, run: RunContext, features: z.infer<typeof featureProgressSchema>): Omit<TrainingRequest, 'jobName'> {
  const training = spec.training;
  if (!training) throw new TrainingFailedError(`Pipeline ${spec.name} has no training section`);
  return {
    algorithm: 'xgboost',
    hyperparameters: stringify(training.hyperparameters),
    trainUri: features.train.location,
    validationUri: features.validation.location,
    outputUri: `s3://${run.bucket}/${lakeLayout.modelsPrefix(spec.name)}`,
    resources: { instanceType: training.instanceType, instanceCount: training.instanceCount, volumeSizeGb: training.volumeSizeGb },
    maxRuntimeSeconds: training.maxRuntimeSeconds,
    useSpot: training.useSpot,
    ...(training.maxWaitSeconds !== undefined ? { maxWaitSeconds: training.maxWaitSeconds } : {}),
  };
}

function progress(spec: PipelineSpec, mode: 'train' | 'tune', jobName: string, objective?: TrainingProgress['objective']): TrainingProgress {
  const training = spec.training;
  const pollSeconds = training?.pollSeconds ?? 30;
  const runtime = (training?.maxWaitSeconds ?? training?.maxRuntimeSeconds ?? 3600) * (mode === 'tune' ? (spec.tuning?.maxJobs ?? 1) : 1);
  // Startup and upload time come on top of the runtime SageMaker enforces: allow a quarter more, and 10 minutes.
  const maxAttempts = Math.ceil((runtime * 1.25 + 600) / pollSeconds);
  return { mode, jobName, redriveCount: 0, attempt: 0, maxAttempts, pollSeconds, state: 'InProgress', ...(objective ? { objective } : {}) };
}

/**
 * StartTraining: one SageMaker XGBoost training job on the run's feature sets, with the spec's hyperparameters,
 * instance, stopping condition and spot setting; the model goes under `models/<pipeline>/<job>/output/`. The job name
 * derives from the run, the execution's start time and its redrive count, so a retried state finds its own job, a
 * redrive starts a new one, and a run id reused after 90 days never meets an old job's name.
 */
export async function startTraining(rawInput: unknown, deps: TrainingDeps): Promise<TrainingProgress> {
  return launch('train', parseStateInput('StartTraining', startInput, rawInput), deps);
}

/**
 * StartTuning: a hyperparameter tuning job over the same training definition, with the spec's strategy, objective,
 * ranges, job limits and early stopping.
 */
export async function startTuning(rawInput: unknown, deps: TrainingDeps): Promise<TrainingProgress> {
  return launch('tune', parseStateInput('StartTuning', startInput, rawInput), deps);
}

/** Starts a training or tuning job for the run; the job's name derives from the run, the nonce and the mode. */
async function launch(mode: 'train' | 'tune', input: z.infer<typeof startInput>, deps: TrainingDeps): Promise<TrainingProgress> {
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

function next(training: TrainingProgress, status: JobStatus, what: string): TrainingProgress {
  const attempt = training.attempt + 1;
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
    throw new TrainingTimeoutError(`${what} ${training.jobName} still ${status.state} after ${attempt * training.pollSeconds} s`);
  }
  return { ...training, attempt, state: status.state };
}

/**
 * After a failed or stopped job, a redriven execution (its redrive count is past the one the job started under)
 * starts a new job, instead of describing the same failed one again: redrive re-runs only the failed state.
 */
async function describe(mode: 'train' | 'tune', input: z.infer<typeof describeInput>, deps: TrainingDeps): Promise<TrainingProgress> {
  const { training } = input;
  const status = mode === 'train' ? await deps.trainer.trainingStatus(training.jobName) : await deps.trainer.tuningStatus(training.jobName);
  if ((status.state === 'Failed' || status.state === 'Stopped') && input.redriveCount > training.redriveCount) {
    return launch(mode, input, deps);
  }
  return next(training, status, mode === 'train' ? 'Training job' : 'Tuning job');
}

/** DescribeTraining: one poll; Completed carries the model, hyperparameters and final metrics. */
export async function describeTraining(rawInput: unknown, deps: TrainingDeps): Promise<TrainingProgress> {
  return describe('train', parseStateInput('DescribeTraining', describeInput, rawInput), deps);
}

/** DescribeTuning: one poll; Completed carries the best training job's model, hyperparameters and metrics. */
export async function describeTuning(rawInput: unknown, deps: TrainingDeps): Promise<TrainingProgress> {
  return describe('tune', parseStateInput('DescribeTuning', describeInput, rawInput), deps);
}
