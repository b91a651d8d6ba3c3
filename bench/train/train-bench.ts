import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { readModelBytes } from '../../local/xgboost/model-archive.js';
import { RUNNING_FROM_TYPESCRIPT, typescriptRequireHook } from '../../local/xgboost/worker-runtime.js';
import { formatSummaryHeader, formatSummaryLine, runPaired, summarize } from '../support/paired-runs.js';
import type { PairedResult, SampleSummary } from '../support/paired-runs.js';
import { generateTrainingData } from './generate-data.js';
import type { TuneChildReport, TuneChildRequest } from './tune-child.js';

/** One run of one side. */
export interface TrainBenchSide {
  /** Process start to exit, as the parent sees it. */
  readonly wallMs: number;
  /** Reading the CSV files into memory. */
  readonly loadMs: number;
  /** Building the DMatrix and boosting (plus evaluation each round). */
  readonly trainMs: number;
  /** The child process's peak resident set (getrusage ru_maxrss). */
  readonly peakRssMb: number;
  /** validation-auc of the last round, as XGBoost reported it. */
  readonly finalValidationAuc: number;
  readonly rounds: number;
}

/** What {@link runTrainBench} measured. */
export interface TrainBenchResult {
  readonly rows: number;
  readonly validationRows: number;
  readonly features: number;
  readonly dataMb: number;
  readonly hyperparameters: Readonly<Record<string, string>>;
  readonly python: { readonly executable: string; readonly xgboostVersion: string };
  /** Wall seconds, Python then Sluice in turn (interleaved), min / median / max. */
  readonly wall: PairedResult<TrainBenchSide, TrainBenchSide>;
  /** The other figures of each side, summarised over the same runs. */
  readonly load: { readonly python: SampleSummary; readonly sluice: SampleSummary };
  readonly train: { readonly python: SampleSummary; readonly sluice: SampleSummary };
  readonly peakRss: { readonly python: SampleSummary; readonly sluice: SampleSummary };
  /** Whether both sides wrote the same `xgboost-model` bytes. */
  readonly modelsIdentical: boolean;
  /**
   * The tuning job's peak RSS, when trials > 0, against one training job through the same local trainer (as an
   * untuned run trains: the target's reference) and against the `trainXgboost` training above (median).
   */
  readonly tuning?:
    | {
        readonly trials: number;
        readonly report: TuneChildReport;
        readonly trainingJob: TuneChildReport;
        readonly ratioToTrainingJob: number;
        readonly ratioToTraining: number;
      }
    | undefined;
}

/** Options of {@link runTrainBench}. */
export interface TrainBenchOptions {
  /** Training rows (default 1,000,000); validation gets a tenth more. */
  readonly rows?: number;
  /** Feature columns (default 20). */
  readonly features?: number;
  /** Where data and models go (data is reused across runs when unchanged). */
  readonly workDir: string;
  /** Runs per side, interleaved (default 3). */
  readonly repeats?: number;
  /** Trials of the tuning job whose peak RSS is compared with one training (default 8; 0 skips it). */
  readonly trials?: number;
  /** Python interpreter with xgboost 1.7.4; found among `python3`, `/usr/bin/python3` when absent. */
  readonly python?: string;
  /** Called after each run (progress). */
  readonly onSample?: (side: 'baseline' | 'sluice', run: number, value: number) => void;
}

const HYPERPARAMETERS = {
  num_round: '50',
  objective: 'binary:logistic',
  eval_metric: 'auc',
  max_depth: '6',
  tree_method: 'hist',
} as const;

/** The same job in Python, as SageMaker's 1.7-1 container runs it (typed params, evals train + validation). */
const PYTHON_SCRIPT = String.raw`
import json, os, resource, sys, time
# The same OpenMP wait policy as the Sluice side (local/xgboost/native.ts): libgomp reads it when xgboost loads, and
# under contention spinning threads cost several times the training, which would measure the policy, not the trainer.
os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
import numpy as np
import xgboost as xgb

args = json.loads(sys.argv[1])
started = time.perf_counter()
def load(paths):
    data = np.vstack([np.atleast_2d(np.loadtxt(p, delimiter=',', dtype=np.float64)) for p in paths])
    return data[:, 1:].astype(np.float32), data[:, 0].astype(np.float32)
x_train, y_train = load(args['train'])
x_val, y_val = load(args['validation'])
loaded = time.perf_counter()
dtrain = xgb.DMatrix(x_train, label=y_train)
dval = xgb.DMatrix(x_val, label=y_val)
history = {}
bst = xgb.train({'objective': 'binary:logistic', 'max_depth': 6, 'tree_method': 'hist', 'eval_metric': ['auc']},
                dtrain, num_boost_round=50, evals=[(dtrain, 'train'), (dval, 'validation')],
                evals_result=history, verbose_eval=False)
trained = time.perf_counter()
bst.save_model(args['model_path'])
print(json.dumps({
    'loadMs': (loaded - started) * 1000,
    'trainMs': (trained - loaded) * 1000,
    'peakRssMb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    'finalValidationAuc': history['validation']['auc'][-1],
    'rounds': len(history['validation']['auc']),
    'version': xgb.__version__,
}))
`;

function findPython(preferred: string | undefined): { executable: string; version: string } {
  const candidates = preferred === undefined ? ['python3', '/usr/bin/python3'] : [preferred];
  for (const executable of candidates) {
    try {
      const version = execFileSync(executable, ['-c', 'import numpy, xgboost; print(xgboost.__version__)'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
      if (version.startsWith('1.7.')) return { executable, version };
    } catch {
      // try the next one
    }
  }
  throw new Error(
    `No Python with xgboost 1.7 among ${candidates.join(', ')}: sudo apt-get install python3-xgboost (Debian 12) ` +
      'or pip install xgboost==1.7.4',
  );
}

function lastJsonLine<T>(output: string): T {
  return JSON.parse(output.trim().split('\n').pop() ?? '{}') as T;
}

/** `node <child> args...`, from compiled JavaScript or (jest, tsx) from TypeScript through the require hook. */
function nodeArgs(childName: string, args: readonly string[]): string[] {
  const child = path.join(__dirname, `${childName}${RUNNING_FROM_TYPESCRIPT ? '.ts' : '.js'}`);
  return RUNNING_FROM_TYPESCRIPT
    ? ['-e', `${typescriptRequireHook()}\nprocess.argv.splice(1, 0, ${JSON.stringify(child)});\nrequire(${JSON.stringify(child)});`, ...args]
    : [child, ...args];
}

function runSluice(request: object): TrainBenchSide {
  const started = performance.now();
  const output = execFileSync(process.execPath, nodeArgs('train-child', [JSON.stringify(request)]), { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  const wallMs = performance.now() - started;
  return { ...lastJsonLine<TrainBenchSide>(output), wallMs };
}

function runTuning(request: TuneChildRequest): TuneChildReport {
  const output = execFileSync(process.execPath, nodeArgs('tune-child', [JSON.stringify(request)]), { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  return lastJsonLine<TuneChildReport>(output);
}

function runPython(executable: string, argument: object): TrainBenchSide & { version: string } {
  const started = performance.now();
  const output = execFileSync(executable, ['-c', PYTHON_SCRIPT, JSON.stringify(argument)], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const wallMs = performance.now() - started;
  return { ...lastJsonLine<TrainBenchSide & { version: string }>(output), wallMs };
}

/**
 * `npm run bench -- train`: trains the same binary:logistic job (50 rounds, max_depth 6, hist) on the same
 * generated CSV with Python XGBoost 1.7.4 (the baseline, as SageMaker's container runs it) and with the Sluice
 * trainer, each in its own process, Python and Sluice in turn (`bench/support/paired-runs.ts`), and compares wall
 * time, load and train time and peak RSS (min / median / max, ratio of medians). Then runs one `trials`-trial tuning
 * job of the local trainer and compares its peak RSS with the single training's. Data defaults to 1M rows x 20
 * features (+100k validation rows), deterministic.
 */
export async function runTrainBench(options: TrainBenchOptions): Promise<TrainBenchResult> {
  const rows = options.rows ?? 1_000_000;
  const features = options.features ?? 20;
  const repeats = options.repeats ?? 3;
  const trials = options.trials ?? 8;
  const python = findPython(options.python);
  const data = await generateTrainingData({ dir: path.join(options.workDir, `data-${rows}x${features}`), rows, features });
  const sluiceDir = path.join(options.workDir, 'sluice-model');
  const pythonDir = path.join(options.workDir, 'python-model');
  const tuningDir = path.join(options.workDir, 'tuning');
  await mkdir(sluiceDir, { recursive: true });
  await mkdir(pythonDir, { recursive: true });
  const pythonModel = path.join(pythonDir, 'xgboost-model');

  const pythonRuns: TrainBenchSide[] = [];
  const sluiceRuns: TrainBenchSide[] = [];
  const wall = await runPaired<TrainBenchSide, TrainBenchSide>({
    repeats,
    baseline: async () => {
      const run = runPython(python.executable, { train: data.trainFiles, validation: [data.validationFile], model_path: pythonModel });
      pythonRuns.push(run);
      return { value: run.wallMs / 1000, detail: run };
    },
    sluice: async () => {
      const run = runSluice({ trainFiles: [data.trainDir], validationFiles: [data.validationFile], hyperparameters: HYPERPARAMETERS, outputDir: sluiceDir });
      sluiceRuns.push(run);
      return { value: run.wallMs / 1000, detail: run };
    },
    ...(options.onSample ? { onSample: options.onSample } : {}),
  });
  const both = (pick: (side: TrainBenchSide) => number) => ({ python: summarize(pythonRuns.map(pick)), sluice: summarize(sluiceRuns.map(pick)) });
  const peakRss = both((run) => run.peakRssMb);
  const modelsIdentical =
    Buffer.compare(readModelBytes(path.join(sluiceDir, 'model.tar.gz')), readFileSync(pythonModel)) === 0;
  await rm(sluiceDir, { recursive: true, force: true });
  await rm(pythonDir, { recursive: true, force: true });

  let tuning: TrainBenchResult['tuning'];
  if (trials > 0) {
    const { tree_method, max_depth: _tuned, ...rest } = HYPERPARAMETERS;
    // The reference first: one training job through the local trainer, the way an untuned run trains.
    const trainingJob = runTuning({ trainDir: data.trainDir, validationFile: data.validationFile, outputDir: tuningDir, trials: 0, hyperparameters: HYPERPARAMETERS });
    await rm(tuningDir, { recursive: true, force: true });
    const report = runTuning({ trainDir: data.trainDir, validationFile: data.validationFile, outputDir: tuningDir, trials, hyperparameters: { ...rest, tree_method } });
    await rm(tuningDir, { recursive: true, force: true });
    tuning = { trials, report, trainingJob, ratioToTrainingJob: report.peakRssMb / trainingJob.peakRssMb, ratioToTraining: report.peakRssMb / peakRss.sluice.median };
  }
  return {
    rows,
    validationRows: data.validationRows,
    features,
    dataMb: data.bytes / 1e6,
    hyperparameters: HYPERPARAMETERS,
    python: { executable: python.executable, xgboostVersion: python.version },
    wall,
    load: both((run) => run.loadMs / 1000),
    train: both((run) => run.trainMs / 1000),
    peakRss,
    modelsIdentical,
    tuning,
  };
}

/** A printable table of a {@link TrainBenchResult}. */
export function formatTrainBench(result: TrainBenchResult): string {
  const pair = (label: string, figures: { python: SampleSummary; sluice: SampleSummary }, unit: string, digits = 2): string[] => [
    formatSummaryLine(`${label}, Python xgboost ${result.python.xgboostVersion}`, figures.python, unit, digits),
    formatSummaryLine(`${label}, Sluice (koffi, worker)`, figures.sluice, unit, digits),
    `  ${''.padEnd(52)}ratio of medians Sluice / Python ${(figures.sluice.median / figures.python.median).toFixed(2)}`,
  ];
  const lines = [
    `train: ${result.rows} x ${result.features} (+${result.validationRows} validation rows), ${result.dataMb.toFixed(0)} MB CSV, ` +
      `${JSON.stringify(result.hyperparameters)}, Python and Sluice in turn, n=${result.wall.sluice.samples.length} each, OMP_WAIT_POLICY=PASSIVE on both`,
    formatSummaryHeader(),
    ...pair('wall', { python: result.wall.baseline, sluice: result.wall.sluice }, 's'),
    ...pair('load', result.load, 's'),
    ...pair('train', result.train, 's'),
    ...pair('peak RSS', result.peakRss, 'MB', 0),
    `  validation auc: Python ${result.wall.baselineDetail?.finalValidationAuc.toFixed(6) ?? '?'}, Sluice ${result.wall.sluiceDetail?.finalValidationAuc.toFixed(6) ?? '?'}; ` +
      `same xgboost-model bytes: ${result.modelsIdentical ? 'yes' : 'NO'}`,
  ];
  if (result.tuning !== undefined) {
    const { report, trials, trainingJob, ratioToTrainingJob, ratioToTraining } = result.tuning;
    lines.push(
      `  tuning (${trials} trials, Random, early stopping): ${report.state} in ${(report.wallMs / 1000).toFixed(1)} s, best validation:auc ` +
        `${report.bestObjective?.toFixed(6) ?? '-'}${report.failureReason ? ` (${report.failureReason})` : ''}`,
      `  tuning peak RSS ${report.peakRssMb.toFixed(0)} MB = ${ratioToTrainingJob.toFixed(2)} x one training job through the same local trainer, as an untuned run trains ` +
        `(${trainingJob.peakRssMb.toFixed(0)} MB, ${trainingJob.state}); target <= 1.20: ${ratioToTrainingJob <= 1.2 ? 'met' : 'NOT met'}`,
      `  (and ${ratioToTraining.toFixed(2)} x the trainXgboost training above, ${result.peakRss.sluice.median.toFixed(0)} MB, a one-job worker that reads its own channels)`,
    );
  }
  return lines.join('\n');
}
