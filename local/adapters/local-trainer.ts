import type { JobStatus, Trainer, TrainingRequest, TuningRequest } from '../../core/ports/trainer.js';
import type { ClassificationMetrics } from '../../core/text/classification-metrics.js';
import type { LocalBlazingTextTrainer } from '../fasttext/fasttext-trainer.js';
import type { FastTextTrainFunction } from '../fasttext/fasttext-trainer.js';
import { tuneLocally } from '../tuning/tuner.js';
import type { TrialRunner, TuningTrial } from '../tuning/tuner.js';
import { trialJobName, xgboostTrialRunner } from '../tuning/xgboost-trial-runner.js';
import { textEvaluation } from '../fasttext/evaluation.js';
import { readChannel } from '../xgboost/data.js';
import type { TuningHistory } from '../../core/report/model-insights.js';
import { evaluatePredictions } from '../../core/evaluation/model-metrics.js';
import { roundProgress, trialProgressLine } from '../xgboost/progress.js';
import { parseHyperparameters } from '../xgboost/hyperparameters.js';
import { readSharedChannels } from '../xgboost/shared-channels.js';
import type { RoundRecord, TrainOptions, TrainRequest, TrainResult } from '../xgboost/train.js';
import type { PreloadedChannels } from '../xgboost/train-core.js';
import { trainXgboost } from '../xgboost/train.js';
import { openTrainingSession } from '../xgboost/training-session.js';
import type { ModelScores } from '../xgboost/training-insights.js';
import { modelInsights, writeModelInsights } from '../xgboost/training-insights.js';
import { LocalJobBoard } from './local-jobs.js';

// fastText, the text tuner and the model loader (with tar) are loaded by the jobs that use them (`import()`): a run's
// single XGBoost training job needs none of them, and loading them cost its StartTraining about 0.15 s (issue 16).

/** What SageMaker says when a training job reaches its `MaxRuntimeInSeconds` (the job ends `Stopped`). */
export const MAX_RUNTIME_EXCEEDED = 'MaxRuntimeExceeded';

/** The trainer the adapter calls (`trainXgboost`; a stand-in in unit tests). */
export type TrainFunction = (request: TrainRequest, options: TrainOptions) => Promise<TrainResult>;

/** Options of the local trainer. */
export interface LocalTrainerOptions {
  /** The run's job board (shared with the other local adapters so a poll can wait for any job to settle). */
  board?: LocalJobBoard;
  /** Defaults to `trainXgboost`. */
  train?: TrainFunction;
  /** Receives one line per job event (started, threads used, ended). */
  log?: (message: string, fields: Record<string, unknown>) => void;
  /**
   * Receives progress lines for a person watching (round, metric, best so far; each tuning trial): the live view
   * of `sluice run`. Absent: no progress is formatted.
   */
  progress?: (line: string) => void;
  /** Trains BlazingText jobs (`trainFastText`; a stand-in in unit tests). */
  trainText?: FastTextTrainFunction;
  /**
   * fastText threads per BlazingText job (default 1). One thread gives the same model bytes and accuracy on every
   * run with a fixed seed, and on this 2-core machine shared with other work two threads were no faster (reviews:
   * 6.9-11.3 s with one thread, 14.0-22.9 s with two; docs/research-notes-text.md, section d).
   */
  fastTextThreads?: number;
  /** The `fasttext` command (default `fasttext` on the PATH). */
  fastTextBinary?: string;
}

/**
 * The local SageMaker: a training job is real XGBoost 1.7 (the version in SageMaker's `1.7-1` container) run in a
 * worker thread on the run's feature files, writing `model.tar.gz` where SageMaker would
 * (`models/<pipeline>/<job>/output/`). As on SageMaker, starting a job returns at once: the job runs in the
 * background of this process (kept in the job table under its name) and its status is read back while it runs.
 * `maxRuntimeSeconds` is enforced as SageMaker enforces it: a job (or a tuning job's trial) still running when it
 * expires is stopped and ends `Stopped` with the secondary status `MaxRuntimeExceeded`. A job name already used
 * answers with that job, as SageMaker's "already exists" does.
 */
export class LocalTrainer implements Trainer {
  private readonly jobs = new Map<string, JobStatus>();
  private readonly board: LocalJobBoard;
  private readonly train: TrainFunction;
  /** BlazingText jobs: fastText, on the same board (so a poll, a stop and the run's end reach them too); made on first use. */
  private textTrainer: Promise<LocalBlazingTextTrainer> | undefined;
  private readonly textJobs = new Set<string>();
  private readonly trainText: FastTextTrainFunction;
  private readonly fastTextOptions: { threads: number; binary?: string };
  private readonly log: (message: string, fields: Record<string, unknown>) => void;
  private readonly progress: ((line: string) => void) | undefined;
  /** Whether a tuning job reads its channels once for all trials: for the real trainer (a stand-in reads nothing). */
  private readonly shareData: boolean;

  public constructor(
    private readonly localPath: (uri: string) => string,
    options: LocalTrainerOptions = {},
  ) {
    this.board = options.board ?? new LocalJobBoard();
    this.train = options.train ?? trainXgboost;
    this.log = options.log ?? (() => undefined);
    this.progress = options.progress;
    this.shareData = options.train === undefined;
    this.trainText = options.trainText ?? (async (...args) => (await import('../fasttext/train.js')).trainFastText(...args));
    this.fastTextOptions = { threads: options.fastTextThreads ?? 1, ...(options.fastTextBinary === undefined ? {} : { binary: options.fastTextBinary }) };
  }

  /** The BlazingText trainer, its module (fastText's) loaded by the first text job. */
  private text(): Promise<LocalBlazingTextTrainer> {
    this.textTrainer ??= import('../fasttext/fasttext-trainer.js').then(
      ({ LocalBlazingTextTrainer }) => new LocalBlazingTextTrainer(this.localPath, { board: this.board, train: this.trainText, log: this.log, ...this.fastTextOptions }),
    );
    return this.textTrainer;
  }

  public async startTraining(request: TrainingRequest): Promise<{ jobName: string }> {
    if (this.jobs.has(request.jobName) || this.textJobs.has(request.jobName)) return { jobName: request.jobName };
    if (request.algorithm === 'blazingtext') {
      this.textJobs.add(request.jobName);
      return (await this.text()).startTraining({ ...request, algorithm: 'blazingtext' });
    }
    this.jobs.set(request.jobName, { state: 'InProgress' });
    // Report the artifact where SageMaker would: the registry and the deployment address the lake, not a disk path.
    const artifact = `${request.outputUri}${request.jobName}/output/model.tar.gz`;
    this.log('training job started', { jobName: request.jobName, maxRuntimeSeconds: request.maxRuntimeSeconds });
    this.board.launch<JobStatus>(
      async (signal, settle) => {
        const { result, scores, closed } = await this.trainJob(request, signal);
        const status = { ...completed(result), modelArtifact: artifact };
        await this.recordInsights(artifact, request.validationUri, undefined, scores);
        // The model and its insights are written: the job is done for whoever polls it, while its worker shuts down
        // (thread exit, native memory handed back: tens of milliseconds the run need not wait for).
        settle(status);
        await closed;
        return status;
      },
      (status) => this.settle(request.jobName, status),
      failed,
      { seconds: request.maxRuntimeSeconds, status: () => maxRuntimeExceeded('training job', request.maxRuntimeSeconds) },
    );
    return { jobName: request.jobName };
  }

  public async trainingStatus(jobName: string): Promise<JobStatus> {
    if (this.textJobs.has(jobName)) return (await this.text()).trainingStatus(jobName);
    return this.jobs.get(jobName) ?? { state: 'Failed', failureReason: `Could not find training job "${jobName}"` };
  }

  public async startTuning(request: TuningRequest): Promise<{ jobName: string }> {
    if (this.jobs.has(request.jobName)) return { jobName: request.jobName };
    this.jobs.set(request.jobName, { state: 'InProgress' });
    this.log('tuning job started', { jobName: request.jobName, maxJobs: request.maxJobs, maxRuntimeSeconds: request.training.maxRuntimeSeconds });
    this.board.launch<JobStatus>(
      (signal) => this.tune(request, signal),
      (status) => this.settle(request.jobName, status),
      (error) => (error instanceof TrialTimeoutError ? maxRuntimeExceeded(`training job ${error.trialJob} of the tuning job`, request.training.maxRuntimeSeconds) : failed(error)),
    );
    return { jobName: request.jobName };
  }

  public async tuningStatus(jobName: string): Promise<JobStatus> {
    return this.jobs.get(jobName) ?? { state: 'Failed', failureReason: `Could not find tuning job "${jobName}"` };
  }

  /** Stops every job still running (the run that started them is over). */
  public stopAll(): void {
    this.board.stopAll();
  }

  /**
   * Stops the job if it still runs. The board holds the jobs of one run only (local/runtime/local-deps.ts), and a run
   * has one training or tuning job, so stopping the board's jobs stops this one; an ended job is left as it is.
   */
  public async stopTraining(jobName: string): Promise<void> {
    const status = this.textJobs.has(jobName) ? await (await this.text()).trainingStatus(jobName) : this.jobs.get(jobName);
    if (status?.state === 'InProgress') this.board.stopAll(`training job ${jobName} stopped`);
  }

  /** Stops the tuning job if it still runs, as {@link stopTraining}. */
  public async stopTuning(jobName: string): Promise<void> {
    if (this.jobs.get(jobName)?.state === 'InProgress') this.board.stopAll(`tuning job ${jobName} stopped`);
  }

  private settle(jobName: string, status: JobStatus): void {
    this.jobs.set(jobName, status);
    this.log('job ended', { jobName, state: status.state, ...(status.failureReason ? { failureReason: status.failureReason } : {}), ...(status.secondaryStatus ? { secondaryStatus: status.secondaryStatus } : {}) });
  }

  /**
   * Trains one model as a SageMaker training job would. The real trainer runs it as a session of one training
   * (training-session.ts): its worker starts and loads XGBoost while this thread reads the channels (here, where the
   * run's DuckDB is loaded already, into shared memory the worker reads in place), and it returns the saved model's
   * validation scores, from which the model's insights are recorded without scoring it a second time.
   */
  private async trainJob(request: TrainingRequest, signal: AbortSignal): Promise<{ result: TrainResult; scores?: ModelScores; closed: Promise<void> }> {
    const trainFiles = [this.localPath(request.trainUri)];
    const validationFiles = [this.localPath(request.validationUri)];
    const trainRequest: TrainRequest = { trainFiles, validationFiles, hyperparameters: request.hyperparameters, outputDir: this.localPath(`${request.outputUri}${request.jobName}/output/`) };
    // The signal is the job's limit and the run's stop: the worker stops at its next round boundary.
    const options: TrainOptions = { signal, ...(this.progress ? { onRound: roundProgress(`training ${request.jobName}`, { write: this.progress }) } : {}) };
    let result: TrainResult;
    let channels: PreloadedChannels | undefined;
    let closed = Promise.resolve();
    if (this.shareData) {
      const weightColumn = parseHyperparameters(request.hyperparameters).csvWeights;
      const session = openTrainingSession({ data: async () => (channels = await readSharedChannels({ trainFiles, validationFiles, weightColumn })) });
      try {
        result = await session.train(trainRequest, { ...options, scoreValidation: true });
      } catch (error) {
        await session.close();
        throw error;
      }
      // Not awaited here: the caller settles the job first, then waits for the worker to be gone.
      closed = session.close();
    } else {
      result = await this.train(trainRequest, options);
    }
    this.log('training job trained', { jobName: request.jobName, threads: result.threads, threadReason: result.threadReason, rounds: result.rounds, durationMs: Math.round(result.durationMs) });
    const scored = result.validationScores;
    const validation = channels?.validation;
    return {
      result,
      closed,
      ...(scored && validation ? { scores: { ...scored, labels: validation.labels, featureNames: validation.columns?.slice(1) ?? [] } } : {}),
    };
  }

  /**
   * Runs a tuning job with the local tuner: one trial at a time, each a local training job bounded by the
   * training's `maxRuntimeSeconds`, as SageMaker bounds every training job of a tuning job.
   */
  private async tune(request: TuningRequest, signal: AbortSignal): Promise<JobStatus> {
    if (request.training.algorithm === 'blazingtext') return this.tuneText(request, signal);
    const trainFiles = [this.localPath(request.training.trainUri)];
    const validationFiles = [this.localPath(request.training.validationUri)];
    // The real trainer: every trial in one worker that reads the channels once (shared memory) and builds their
    // matrices once, instead of a worker, a library load and a DMatrix pair per trial (training-session.ts).
    // csv_weights is a static hyperparameter: SageMaker's tunable XGBoost hyperparameters do not include it.
    const session = this.shareData
      ? openTrainingSession({ data: () => readSharedChannels({ trainFiles, validationFiles, weightColumn: String(request.training.hyperparameters['csv_weights'] ?? '0') === '1' }) })
      : undefined;
    try {
      return await this.tuneTrials(request, signal, trainFiles, validationFiles, session ? (trial, options) => session.train(trial, options) : this.train);
    } finally {
      await session?.close();
    }
  }

  /** The XGBoost trials of a tuning job, each trained by `train`, and the best one's evaluation and insights. */
  private async tuneTrials(request: TuningRequest, signal: AbortSignal, trainFiles: string[], validationFiles: string[], train: TrainFunction): Promise<JobStatus> {
    const trainTrial: TrainFunction = limitedTrials(train, request, signal, (result, trialJob) =>
      this.log('tuning trial trained', { jobName: trialJob, threads: result.threads, threadReason: result.threadReason, rounds: result.rounds, durationMs: Math.round(result.durationMs) }),
    );
    const progress = this.progress;
    const trialRounds = new Map<number, (record: RoundRecord) => void>();
    let best;
    let trials;
    try {
      ({ best, trials } = await tuneLocally(
        { ...request, seed: 0 },
        xgboostTrialRunner({
          tuningJobName: request.jobName,
          objectiveMetric: request.objective.metric,
          staticHyperparameters: request.training.hyperparameters,
          trainFiles,
          validationFiles,
          outputRoot: this.localPath(request.training.outputUri),
          train: trainTrial,
          ...(progress
            ? {
                onRound: (trialIndex: number, record: RoundRecord) => {
                  let report = trialRounds.get(trialIndex);
                  if (report === undefined) {
                    trialRounds.clear();
                    report = roundProgress(`tuning ${request.jobName}: trial ${trialIndex + 1}/${request.maxJobs}`, { write: progress });
                    trialRounds.set(trialIndex, report);
                  }
                  report(record);
                },
              }
            : {}),
        }),
        progress
          ? { onTrial: (trial, total, bestSoFar) => progress(trialProgressLine(`tuning ${request.jobName}`, trial, total, request.objective.metric, bestSoFar)) }
          : {},
      ));
    } catch (error) {
      // The tuner wraps a trial's error; the trial's timeout is what the user can act on.
      const cause = error instanceof Error ? error.cause : undefined;
      throw cause instanceof TrialTimeoutError ? cause : error;
    }
    const bestJob = trialJobName(request.jobName, best.index);
    const modelArtifact = `${request.training.outputUri}${bestJob}/output/model.tar.gz`;
    const evaluation = await this.evaluate(modelArtifact, request.training.validationUri);
    await this.recordInsights(modelArtifact, request.training.validationUri, tuningHistory(request, trials));
    return {
      state: 'Completed',
      modelArtifact,
      hyperparameters: { ...request.training.hyperparameters, ...best.hyperparameters },
      metrics: { ...best.metrics },
      bestTrainingJobName: bestJob,
      evaluation,
    };
  }

  /**
   * A BlazingText tuning job: trials trained by fastText one at a time (`text-trial-runner.ts`), each bounded by the
   * training's `maxRuntimeSeconds`. fastText reports no per-epoch metric, so early stopping and Hyperband's halving
   * stop nothing (see the runner). The best trial's evaluation is the one its training computed on the validation
   * set (kept per trial here), so its 400 MB model is not loaded a second time.
   */
  private async tuneText(request: TuningRequest, signal: AbortSignal): Promise<JobStatus> {
    const evaluations = new Map<string, ClassificationMetrics>();
    const trainTrial: FastTextTrainFunction = limitedTrials(this.trainText, request, signal, (result, trialJob) => {
      this.log('tuning trial trained', { jobName: trialJob, algorithm: 'blazingtext', threads: result.threads, durationMs: Math.round(result.durationMs) });
      if (result.validationMetrics) evaluations.set(result.modelArtifact, result.validationMetrics);
    });
    const { textTrialRunner } = await import('../tuning/text-trial-runner.js');
    const runner: TrialRunner = textTrialRunner({
      tuningJobName: request.jobName,
      objectiveMetric: request.objective.metric,
      staticHyperparameters: request.training.hyperparameters,
      train: this.localPath(request.training.trainUri),
      validation: this.localPath(request.training.validationUri),
      outputRoot: this.localPath(request.training.outputUri),
      trainOptions: this.fastTextOptions,
      trainFunction: trainTrial,
    });
    const progress = this.progress;
    let best;
    let trials;
    try {
      ({ best, trials } = await tuneLocally(
        { ...request, seed: 0 },
        runner,
        progress ? { onTrial: (done, total, bestSoFar) => progress(trialProgressLine(`tuning ${request.jobName}`, done, total, request.objective.metric, bestSoFar)) } : {},
      ));
    } catch (error) {
      const cause = error instanceof Error ? error.cause : undefined;
      throw cause instanceof TrialTimeoutError ? cause : error;
    }
    const bestJob = trialJobName(request.jobName, best.index);
    const evaluation = best.modelArtifact === undefined ? undefined : evaluations.get(best.modelArtifact);
    const textArtifact = `${request.training.outputUri}${bestJob}/output/model.tar.gz`;
    // The console's tuning plot; the per-class table is the evaluation's. A record that fails to write costs no model.
    const { recordTextInsights } = await import('../console/record-model-insights.js');
    await recordTextInsights(this.localPath(textArtifact), evaluation?.rows ?? 0, tuningHistory(request, trials)).catch((error: unknown) =>
      this.log('model insights not recorded', { modelArtifact: textArtifact, error: error instanceof Error ? error.message : String(error) }),
    );
    return {
      state: 'Completed',
      modelArtifact: `${request.training.outputUri}${bestJob}/output/model.tar.gz`,
      hyperparameters: { ...request.training.hyperparameters, ...best.hyperparameters },
      metrics: { ...best.metrics },
      bestTrainingJobName: bestJob,
      ...(evaluation ? { evaluation: textEvaluation(evaluation) } : {}),
    };
  }

  /**
   * Records the model's plot data beside its artifact (`insights.json`: curves, importance, trials) for the console and
   * the run report: from the training's own `scores` when it has them, else by scoring the saved model on the validation
   * set. Not part of what SageMaker's job writes, so a failure to record it is logged and costs no model.
   */
  private async recordInsights(modelArtifact: string, validationUri: string, tuning?: TuningHistory, scores?: ModelScores): Promise<void> {
    try {
      if (scores !== undefined) {
        await writeModelInsights(this.localPath(modelArtifact), modelInsights(scores, tuning));
      } else {
        const { recordModelInsights } = await import('../console/record-model-insights.js');
        await recordModelInsights({ modelArtifact: this.localPath(modelArtifact), validation: this.localPath(validationUri), ...(tuning ? { tuning } : {}) });
      }
    } catch (error) {
      this.log('model insights not recorded', { modelArtifact, error: error instanceof Error ? error.message : String(error) });
    }
  }

  /** The best model's own evaluation on the validation set, as a single training job reports it. */
  private async evaluate(modelArtifact: string, validationUri: string): Promise<Record<string, unknown>> {
    const [validation, { loadXgboostModel }] = await Promise.all([readChannel([this.localPath(validationUri)]), import('../xgboost/model.js')]);
    const model = loadXgboostModel(this.localPath(modelArtifact));
    try {
      const predictions = model.predict(validation.features, validation.nRows, validation.nCols);
      return { ...evaluatePredictions(model.objective, validation.labels, predictions, model.numClass) };
    } finally {
      model.free();
    }
  }
}

/** A trial of a tuning job ran past the training's `maxRuntimeSeconds`. */
class TrialTimeoutError extends Error {
  public override readonly name = 'TrialTimeoutError';

  public constructor(
    public readonly trialJob: string,
    options: { cause: unknown },
  ) {
    super(`${trialJob} ran past its maximum runtime`, options);
  }
}

/** A tuning job's trials as the console and the run report plot them. */
function tuningHistory(request: TuningRequest, trials: readonly TuningTrial[]): TuningHistory {
  return {
    metric: request.objective.metric,
    direction: request.objective.direction,
    trials: trials.map((t) => ({
      index: t.index,
      jobName: trialJobName(request.jobName, t.index),
      ...(Number.isFinite(t.objective) ? { objective: t.objective } : {}),
      stoppedEarly: t.stoppedEarly,
      hyperparameters: { ...t.hyperparameters },
    })),
  };
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

function maxRuntimeExceeded(what: string, seconds: number): JobStatus {
  return {
    state: 'Stopped',
    secondaryStatus: MAX_RUNTIME_EXCEEDED,
    failureReason: `The ${what} ran past MaxRuntimeInSeconds (${seconds} s) and was stopped`,
  };
}

function failed(error: unknown): JobStatus {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { state: 'Failed', failureReason: reason };
}

/**
 * Wraps a trainer so that each trial of a tuning job gets its training job name (`<tuning job>-NNN`) and stops at the
 * training's `maxRuntimeSeconds`, as SageMaker bounds every training job of a tuning job: a trial stopped by that limit
 * (and not by the run's own `signal`) fails with {@link TrialTimeoutError}. `onTrained` sees each finished trial.
 */
function limitedTrials<Request, Options extends { readonly signal?: AbortSignal | undefined }, Result>(
  train: (request: Request, options: Options) => Promise<Result>,
  tuning: TuningRequest,
  signal: AbortSignal,
  onTrained: (result: Result, trialJob: string) => void,
): (request: Request, options: Options) => Promise<Result> {
  const limitMs = tuning.training.maxRuntimeSeconds * 1000;
  let trial = 0;
  return async (trialRequest, options) => {
    const trialJob = trialJobName(tuning.jobName, trial++);
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new Error(`${trialJob} ran past ${tuning.training.maxRuntimeSeconds} s`)), limitMs);
    try {
      const result = await train(trialRequest, { ...options, signal: AbortSignal.any([signal, timeout.signal, ...(options.signal ? [options.signal] : [])]) });
      onTrained(result, trialJob);
      return result;
    } catch (error) {
      if (timeout.signal.aborted && !signal.aborted) throw new TrialTimeoutError(trialJob, { cause: error });
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };
}
