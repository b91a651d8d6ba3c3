/**
 * The local SageMaker for BlazingText (supervised) training jobs, with the local XGBoost trainer's job semantics
 * (`local/adapters/local-trainer.ts`): `startTraining` launches the job on the run's job board and returns at once,
 * `trainingStatus` reads where it stands, `maxRuntimeSeconds` stops a job still running (`Stopped`,
 * `MaxRuntimeExceeded`, as SageMaker ends it), and a job name already used answers with that job. The model is
 * written where SageMaker would write it: `<outputUri><jobName>/output/model.tar.gz`.
 *
 * `LocalTrainer` (`local/adapters/local-trainer.ts`) hands it the port's `TrainingRequest`s whose algorithm is
 * `blazingtext`, on the same job board.
 */
import type { JobStatus, TrainingResources } from '../../core/ports/trainer.js';
import type { RawBlazingTextHyperparameters } from '../../core/training/blazingtext-hyperparameters.js';
import { LocalJobBoard } from '../adapters/local-jobs.js';
import { textEvaluation } from './evaluation.js';
import type { FastTextTrainOptions, FastTextTrainRequest, FastTextTrainResult } from './train.js';
import { trainFastText } from './train.js';

/** One BlazingText training job, as the training step will send it. */
export interface BlazingTextTrainingRequest {
  readonly jobName: string;
  readonly algorithm: 'blazingtext';
  readonly hyperparameters: RawBlazingTextHyperparameters;
  /** `…/features/<pipeline>/<runId>/train/`: BlazingText lines (plain or gzip parts). */
  readonly trainUri: string;
  readonly validationUri?: string;
  readonly outputUri: string;
  readonly resources: TrainingResources;
  readonly maxRuntimeSeconds: number;
}

/** The trainer the adapter calls (`trainFastText`; a stand-in in unit tests). */
export type FastTextTrainFunction = (request: FastTextTrainRequest, options: FastTextTrainOptions) => Promise<FastTextTrainResult>;

/** Options of the local BlazingText trainer. */
export interface LocalBlazingTextTrainerOptions {
  readonly board?: LocalJobBoard;
  readonly train?: FastTextTrainFunction;
  /** fastText threads per job (1: reproducible). */
  readonly threads?: number;
  readonly binary?: string;
  readonly log?: (message: string, fields: Record<string, unknown>) => void;
}

/** Local BlazingText training jobs on fastText; see the module comment. */
export class LocalBlazingTextTrainer {
  private readonly jobs = new Map<string, JobStatus>();
  private readonly board: LocalJobBoard;
  private readonly train: FastTextTrainFunction;
  private readonly log: (message: string, fields: Record<string, unknown>) => void;

  public constructor(
    private readonly localPath: (uri: string) => string,
    private readonly options: LocalBlazingTextTrainerOptions = {},
  ) {
    this.board = options.board ?? new LocalJobBoard();
    this.train = options.train ?? trainFastText;
    this.log = options.log ?? (() => undefined);
  }

  /** Launches the job and returns at once; a name already used answers with that job. */
  public async startTraining(request: BlazingTextTrainingRequest): Promise<{ jobName: string }> {
    if (this.jobs.has(request.jobName)) return { jobName: request.jobName };
    this.jobs.set(request.jobName, { state: 'InProgress' });
    const artifact = `${request.outputUri}${request.jobName}/output/model.tar.gz`;
    this.log('training job started', { jobName: request.jobName, algorithm: 'blazingtext', maxRuntimeSeconds: request.maxRuntimeSeconds });
    this.board.launch<JobStatus>(
      async (signal) => {
        const result = await this.train(
          {
            train: this.localPath(request.trainUri),
            ...(request.validationUri === undefined ? {} : { validation: this.localPath(request.validationUri) }),
            hyperparameters: request.hyperparameters,
            outputDir: this.localPath(`${request.outputUri}${request.jobName}/output/`),
          },
          { signal, threads: this.options.threads ?? 1, ...(this.options.binary === undefined ? {} : { binary: this.options.binary }) },
        );
        this.log('training job trained', { jobName: request.jobName, threads: result.threads, fastTextMs: Math.round(result.fastTextMs), durationMs: Math.round(result.durationMs), notApplied: result.notApplied });
        return {
          state: 'Completed',
          modelArtifact: artifact,
          metrics: { ...result.finalMetrics },
          ...(result.validationMetrics ? { evaluation: textEvaluation(result.validationMetrics) } : {}),
        };
      },
      (status) => this.settle(request.jobName, status),
      (error) => ({ state: 'Failed', failureReason: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
      {
        seconds: request.maxRuntimeSeconds,
        status: () => ({
          state: 'Stopped',
          // SageMaker's SecondaryStatus for a job stopped at its limit (MAX_RUNTIME_EXCEEDED in local-trainer.ts,
          // written out here because local-trainer.ts imports this module).
          secondaryStatus: 'MaxRuntimeExceeded',
          failureReason: `The training job ran past MaxRuntimeInSeconds (${request.maxRuntimeSeconds} s) and was stopped`,
        }),
      },
    );
    return { jobName: request.jobName };
  }

  /** Where a job stands; an unknown name reads as SageMaker's "Could not find". */
  public async trainingStatus(jobName: string): Promise<JobStatus> {
    return this.jobs.get(jobName) ?? { state: 'Failed', failureReason: `Could not find training job "${jobName}"` };
  }

  /** Stops every job still running. */
  public stopAll(): void {
    this.board.stopAll();
  }

  private settle(jobName: string, status: JobStatus): void {
    this.jobs.set(jobName, status);
    this.log('job ended', { jobName, state: status.state, ...(status.failureReason ? { failureReason: status.failureReason } : {}) });
  }
}
