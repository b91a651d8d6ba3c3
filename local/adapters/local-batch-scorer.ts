/**
 * The local batch transform: a job on the run's job board with CreateTransformJob / DescribeTransformJob semantics
 * (start returns at once, describe polls, the request's MaxRuntimeInSeconds stops it), scoring with the very model
 * the registry serves: real XGBoost 1.7 in a worker thread, real fastText in its own process. It reads the request's
 * input folder, applies its DataProcessing filters (core/scoring/data-processing.ts) and writes `<file>.out` per file.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { BatchScorer, TransformRequest, TransformStatus } from '../../core/ports/batch-scorer.js';
import { batchFiles } from '../scoring/batch-files.js';
import { RUNNING_FROM_TYPESCRIPT, startModuleWorker } from '../xgboost/worker-runtime.js';
import { LocalJobBoard } from './local-jobs.js';

/** The local batch scorer. */
export class LocalBatchScorer implements BatchScorer {
  private readonly jobs = new Map<string, TransformStatus>();

  /**
   * @param localPath the local file of an `s3://` URI (the folder object store's)
   * @param board the run's job board, so a poll answers when the job settles
   */
  public constructor(
    private readonly localPath: (uri: string) => string,
    private readonly board: LocalJobBoard = new LocalJobBoard(),
  ) {}

  public startTransform(request: TransformRequest): Promise<void> {
    // A retried Start finds its job: the same name starts nothing new (SageMaker refuses a name in use).
    if (this.jobs.has(request.jobName)) return Promise.resolve();
    this.jobs.set(request.jobName, { state: 'InProgress' });
    this.board.launch<TransformStatus>(
      async (signal) => {
        await this.run(request, signal);
        return { state: 'Completed' };
      },
      (status) => this.jobs.set(request.jobName, status),
      (error) => ({ state: 'Failed', failureReason: error instanceof Error ? error.message : String(error) }),
      { seconds: request.maxRuntimeSeconds, status: () => ({ state: 'Stopped', failureReason: `ran past MaxRuntimeInSeconds (${request.maxRuntimeSeconds} s)` }) },
    );
    return Promise.resolve();
  }

  public describeTransform(jobName: string): Promise<TransformStatus> {
    const status = this.jobs.get(jobName);
    return Promise.resolve(status ?? { state: 'Failed', failureReason: `no transform job ${jobName} (the local runtime keeps jobs of the running process only)` });
  }

  public stopTransform(jobName: string): Promise<void> {
    const status = this.jobs.get(jobName);
    if (status?.state === 'InProgress') this.jobs.set(jobName, { state: 'Stopped', failureReason: 'stopped' });
    return Promise.resolve();
  }

  private async run(request: TransformRequest, signal: AbortSignal): Promise<void> {
    const inputDir = this.localPath(request.input);
    const outputDir = this.localPath(request.output);
    await rm(outputDir, { recursive: true, force: true });
    await mkdir(outputDir, { recursive: true });
    const files = await batchFiles(inputDir, outputDir);
    const artifact = this.localPath(request.model.artifact);
    const job = { artifact, files, inputFilter: request.dataProcessing.inputFilter, outputFilter: request.dataProcessing.outputFilter };
    if (request.model.algorithm === 'blazingtext') {
      const { scoreTextFiles } = await import('../scoring/text-batch.js');
      await scoreTextFiles(job, signal);
      return;
    }
    await runXgboostWorker(job, signal);
  }
}

/** Runs the XGBoost batch in a worker thread; an abort terminates the worker. */
async function runXgboostWorker(job: object, signal: AbortSignal): Promise<number> {
  const file = path.join(__dirname, '..', 'scoring', `xgboost-batch-worker${RUNNING_FROM_TYPESCRIPT ? '.ts' : '.js'}`);
  const worker = startModuleWorker(file, { workerData: job });
  try {
    return await new Promise<number>((resolve, reject) => {
      const abort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('the transform job was stopped'));
      signal.addEventListener('abort', abort, { once: true });
      worker.once('message', (message: { ok: boolean; records?: number; message?: string }) => {
        if (message.ok) resolve(message.records ?? 0);
        else reject(new Error(message.message ?? 'the XGBoost batch worker failed'));
      });
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the XGBoost batch worker exited (code ${code}) before it answered`)));
    });
  } finally {
    await worker.terminate();
  }
}
