import { performance } from 'node:perf_hooks';
import { LocalJobBoard } from '../../local/adapters/local-jobs.js';
import { LocalTrainer } from '../../local/adapters/local-trainer.js';

/** What the tuning side of the train bench runs: an n-trial tuning job of the local trainer on one dataset. */
export interface TuneChildRequest {
  readonly trainDir: string;
  readonly validationFile: string;
  /** Trial folders go under it. */
  readonly outputDir: string;
  /**
   * Trials of the tuning job; 0 runs one training job instead (`startTraining`, as a run trains without tuning), the
   * reference the tuning's memory is held against.
   */
  readonly trials: number;
  /** Static hyperparameters (the single training's, minus what is tuned, for a tuning job). */
  readonly hyperparameters: Readonly<Record<string, string>>;
}

/** What it prints (one JSON line). */
export interface TuneChildReport {
  readonly wallMs: number;
  readonly peakRssMb: number;
  readonly state: string;
  readonly bestObjective: number | undefined;
  readonly failureReason: string | undefined;
}

/**
 * The tuning side of the train bench, in its own Node process so its peak RSS is its own: a Random tuning job with
 * early stopping (poor trials are stopped mid-training, the case that used to leak their native memory) through the
 * local trainer, exactly as a run starts it; or, with `trials` 0, one training job through the same trainer, exactly
 * as an untuned run starts it. Argument: a JSON {@link TuneChildRequest}.
 */
async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '{}') as TuneChildRequest;
  const board = new LocalJobBoard();
  const trainer = new LocalTrainer((uri) => uri, { board });
  const started = performance.now();
  const training = {
    algorithm: 'xgboost' as const,
    hyperparameters: { ...request.hyperparameters },
    trainUri: request.trainDir,
    validationUri: request.validationFile,
    outputUri: `${request.outputDir}/`,
    resources: { instanceType: 'local', instanceCount: 1, volumeSizeGb: 1 },
    maxRuntimeSeconds: 24 * 3600,
    useSpot: false,
  };
  const status = request.trials === 0 ? await trainOnce(trainer, board, training) : await tune(trainer, board, training, request.trials);
  const report: TuneChildReport = {
    wallMs: performance.now() - started,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    state: status.state,
    bestObjective: status.metrics?.['validation:auc'],
    failureReason: status.failureReason,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

type BenchTraining = Parameters<LocalTrainer['startTuning']>[0]['training'];
type BenchStatus = Awaited<ReturnType<LocalTrainer['trainingStatus']>>;

/** One training job, as an untuned run starts it. */
async function trainOnce(trainer: LocalTrainer, board: LocalJobBoard, training: BenchTraining): Promise<BenchStatus> {
  await trainer.startTraining({ jobName: 'bench-train', ...training });
  await board.idle();
  return trainer.trainingStatus('bench-train');
}

/** A Random tuning job of `trials` trials with early stopping, as a tuned run starts it. */
async function tune(trainer: LocalTrainer, board: LocalJobBoard, training: BenchTraining, trials: number): Promise<BenchStatus> {
  await trainer.startTuning({
    jobName: 'bench-tune',
    training,
    strategy: 'Random',
    objective: { metric: 'validation:auc', direction: 'Maximize' },
    ranges: {
      eta: { type: 'continuous', min: 0.05, max: 0.5, scaling: 'Auto' },
      max_depth: { type: 'integer', min: 3, max: 8, scaling: 'Auto' },
      subsample: { type: 'continuous', min: 0.5, max: 1, scaling: 'Auto' },
    },
    maxJobs: trials,
    maxParallelJobs: 1,
    earlyStopping: true,
  });
  await board.idle();
  return trainer.tuningStatus('bench-tune');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exit(1);
});
