import type { JobStatus, Trainer, TrainingRequest, TuningRequest } from '../../core/ports/trainer.js';
import { tuneLocally } from '../tuning/tuner.js';
import { trialJobName, xgboostTrialRunner } from '../tuning/xgboost-trial-runner.js';
import { readCsvChannel } from '../xgboost/data.js';
import { evaluatePredictions } from '../xgboost/metrics.js';
import { loadXgboostModel } from '../xgboost/model.js';
import type { TrainResult } from '../xgboost/train.js';
import { trainXgboost } from '../xgboost/train.js';

/**
 * The local SageMaker: a training job is real XGBoost 1.7 (the version in SageMaker's `1.7-1` container) run in a
 * worker thread on the run's feature files, writing `model.tar.gz` where SageMaker would
 * (`models/<pipeline>/<job>/output/`). Jobs run to completion when started (one at a time); their status is then
 * read back like SageMaker's. A job name already used answers with that job, as SageMaker's "already exists" does.
 */
export class LocalTrainer implements Trainer {
  private readonly jobs = new Map<string, JobStatus>();

  public constructor(private readonly localPath: (uri: string) => string) {}

  public async startTraining(request: TrainingRequest): Promise<{ jobName: string }> {
    if (!this.jobs.has(request.jobName)) {
      this.jobs.set(request.jobName, { state: 'InProgress' });
      // Report the artifact where SageMaker would: the registry and the deployment address the lake, not a disk path.
      this.jobs.set(request.jobName, await this.settle(() => this.train(request), `${request.outputUri}${request.jobName}/output/model.tar.gz`));
    }
    return { jobName: request.jobName };
  }

  public async trainingStatus(jobName: string): Promise<JobStatus> {
    return this.jobs.get(jobName) ?? { state: 'Failed', failureReason: `Could not find training job "${jobName}"` };
  }

  public async startTuning(request: TuningRequest): Promise<{ jobName: string }> {
    if (!this.jobs.has(request.jobName)) {
      this.jobs.set(request.jobName, { state: 'InProgress' });
      this.jobs.set(request.jobName, await this.tune(request).catch((error: unknown) => failed(error)));
    }
    return { jobName: request.jobName };
  }

  public async tuningStatus(jobName: string): Promise<JobStatus> {
    return this.jobs.get(jobName) ?? { state: 'Failed', failureReason: `Could not find tuning job "${jobName}"` };
  }

  /** Trains one model as a SageMaker training job would. */
  private async train(request: TrainingRequest): Promise<TrainResult> {
    return trainXgboost({
      trainFiles: [this.localPath(request.trainUri)],
      validationFiles: [this.localPath(request.validationUri)],
      hyperparameters: request.hyperparameters,
      outputDir: this.localPath(`${request.outputUri}${request.jobName}/output/`),
    });
  }

  /** Runs a tuning job with the local tuner: one trial at a time, each a local training job. */
  private async tune(request: TuningRequest): Promise<JobStatus> {
    const { best } = await tuneLocally(
      { ...request, seed: 0 },
      xgboostTrialRunner({
        tuningJobName: request.jobName,
        objectiveMetric: request.objective.metric,
        staticHyperparameters: request.training.hyperparameters,
        trainFiles: [this.localPath(request.training.trainUri)],
        validationFiles: [this.localPath(request.training.validationUri)],
        outputRoot: this.localPath(request.training.outputUri),
      }),
    );
    const bestJob = trialJobName(request.jobName, best.index);
    const modelArtifact = `${request.training.outputUri}${bestJob}/output/model.tar.gz`;
    return {
      state: 'Completed',
      modelArtifact,
      hyperparameters: { ...request.training.hyperparameters, ...best.hyperparameters },
      metrics: { ...best.metrics },
      bestTrainingJobName: bestJob,
      evaluation: await this.evaluate(modelArtifact, request.training.validationUri),
    };
  }

  /** The best model's own evaluation on the validation set, as a single training job reports it. */
  private async evaluate(modelArtifact: string, validationUri: string): Promise<Record<string, unknown>> {
    const validation = await readCsvChannel([this.localPath(validationUri)]);
    const model = loadXgboostModel(this.localPath(modelArtifact));
    try {
      const predictions = model.predict(validation.features, validation.nRows, validation.nCols);
      return { ...evaluatePredictions(model.objective, validation.labels, predictions, model.numClass) };
    } finally {
      model.free();
    }
  }

  private async settle(run: () => Promise<TrainResult>, artifactUri: string): Promise<JobStatus> {
    try {
      return { ...completed(await run()), modelArtifact: artifactUri };
    } catch (error) {
      return failed(error);
    }
  }
}

/** A completed job's status from a local training result. */
export function completed(result: TrainResult, hyperparameters?: Record<string, string>): JobStatus {
  return {
    state: 'Completed',
    modelArtifact: result.modelArtifact,
    metrics: { ...result.finalMetrics },
    ...(hyperparameters ? { hyperparameters } : {}),
    ...(result.validationMetrics ? { evaluation: { ...result.validationMetrics } as Record<string, unknown> } : {}),
  };
}

function failed(error: unknown): JobStatus {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { state: 'Failed', failureReason: reason };
}
