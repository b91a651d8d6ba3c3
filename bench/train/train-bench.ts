import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { readModelBytes } from '../../local/xgboost/model-archive.js';
import { RUNNING_FROM_TYPESCRIPT, typescriptRequireHook } from '../../local/xgboost/worker-runtime.js';
import { generateTrainingData } from './generate-data.js';

/** One side's measurement (median over the repeats). */
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
  readonly repeats: number;
  readonly sluice: TrainBenchSide;
  readonly python: TrainBenchSide & { readonly executable: string; readonly xgboostVersion: string };
  /** Sluice / Python (below 1 means Sluice is faster / smaller). */
  readonly ratio: { readonly wall: number; readonly train: number; readonly load: number; readonly peakRss: number };
  /** Whether both sides wrote the same `xgboost-model` bytes. */
  readonly modelsIdentical: boolean;
}

/** Options of {@link runTrainBench}. */
export interface TrainBenchOptions {
  /** Training rows (default 1,000,000); validation gets a tenth more. */
  readonly rows?: number;
  /** Feature columns (default 20). */
  readonly features?: number;
  /** Where data and models go (data is reused across runs when unchanged). */
  readonly workDir: string;
  /** Runs per side, alternating; medians are reported (default 1). */
  readonly repeats?: number;
  /** Python interpreter with xgboost 1.7.4; found among `python3`, `/usr/bin/python3` when absent. */
  readonly python?: string;
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
import json, resource, sys, time
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

interface ChildReport {
  loadMs: number;
  trainMs: number;
  peakRssMb: number;
  finalValidationAuc: number;
  rounds: number;
}

function runSluice(request: object): TrainBenchSide {
  const child = path.join(__dirname, RUNNING_FROM_TYPESCRIPT ? 'train-child.ts' : 'train-child.js');
  const args = RUNNING_FROM_TYPESCRIPT
    ? ['-e', `${typescriptRequireHook()}\nprocess.argv.splice(1, 0, ${JSON.stringify(child)});\nrequire(${JSON.stringify(child)});`, JSON.stringify(request)]
    : [child, JSON.stringify(request)];
  const started = performance.now();
  const output = execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  const wallMs = performance.now() - started;
  return { ...lastJsonLine<ChildReport>(output), wallMs };
}

function runPython(executable: string, argument: object): TrainBenchSide & { version: string } {
  const started = performance.now();
  const output = execFileSync(executable, ['-c', PYTHON_SCRIPT, JSON.stringify(argument)], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const wallMs = performance.now() - started;
  return { ...lastJsonLine<ChildReport & { version: string }>(output), wallMs };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function medianSide<T extends TrainBenchSide>(runs: readonly T[]): TrainBenchSide {
  return {
    wallMs: median(runs.map((r) => r.wallMs)),
    loadMs: median(runs.map((r) => r.loadMs)),
    trainMs: median(runs.map((r) => r.trainMs)),
    peakRssMb: median(runs.map((r) => r.peakRssMb)),
    finalValidationAuc: runs[0]?.finalValidationAuc ?? Number.NaN,
    rounds: runs[0]?.rounds ?? 0,
  };
}

/**
 * `npm run bench -- train`: trains the same binary:logistic job (50 rounds, max_depth 6, hist) on the same
 * generated CSV with the Sluice trainer and with Python XGBoost 1.7.4, each in its own process, and compares wall
 * time and peak RSS. Data defaults to 1M rows x 20 features (+100k validation rows), deterministic.
 */
export async function runTrainBench(options: TrainBenchOptions): Promise<TrainBenchResult> {
  const rows = options.rows ?? 1_000_000;
  const features = options.features ?? 20;
  const repeats = options.repeats ?? 1;
  const python = findPython(options.python);
  const data = await generateTrainingData({ dir: path.join(options.workDir, `data-${rows}x${features}`), rows, features });
  const sluiceDir = path.join(options.workDir, 'sluice-model');
  const pythonDir = path.join(options.workDir, 'python-model');
  await mkdir(sluiceDir, { recursive: true });
  await mkdir(pythonDir, { recursive: true });
  const pythonModel = path.join(pythonDir, 'xgboost-model');

  const sluiceRuns: TrainBenchSide[] = [];
  const pythonRuns: (TrainBenchSide & { version: string })[] = [];
  for (let i = 0; i < repeats; i++) {
    sluiceRuns.push(
      runSluice({
        trainFiles: [data.trainDir],
        validationFiles: [data.validationFile],
        hyperparameters: HYPERPARAMETERS,
        outputDir: sluiceDir,
      }),
    );
    pythonRuns.push(
      runPython(python.executable, { train: data.trainFiles, validation: [data.validationFile], model_path: pythonModel }),
    );
  }
  const sluice = medianSide(sluiceRuns);
  const reference = medianSide(pythonRuns);
  const modelsIdentical =
    Buffer.compare(readModelBytes(path.join(sluiceDir, 'model.tar.gz')), readFileSync(pythonModel)) === 0;
  await rm(sluiceDir, { recursive: true, force: true });
  await rm(pythonDir, { recursive: true, force: true });
  return {
    rows,
    validationRows: data.validationRows,
    features,
    dataMb: data.bytes / 1e6,
    hyperparameters: HYPERPARAMETERS,
    repeats,
    sluice,
    python: { ...reference, executable: python.executable, xgboostVersion: python.version },
    ratio: {
      wall: sluice.wallMs / reference.wallMs,
      train: sluice.trainMs / reference.trainMs,
      load: sluice.loadMs / reference.loadMs,
      peakRss: sluice.peakRssMb / reference.peakRssMb,
    },
    modelsIdentical,
  };
}

/** A printable table of a {@link TrainBenchResult}. */
export function formatTrainBench(result: TrainBenchResult): string {
  const line = (label: string, side: TrainBenchSide): string =>
    `  ${label.padEnd(26)}${(side.wallMs / 1000).toFixed(2).padStart(9)}${(side.loadMs / 1000).toFixed(2).padStart(9)}` +
    `${(side.trainMs / 1000).toFixed(2).padStart(9)}${side.peakRssMb.toFixed(0).padStart(13)}   ${side.finalValidationAuc.toFixed(6)}`;
  return [
    `train: ${result.rows} x ${result.features} (+${result.validationRows} validation rows), ${result.dataMb.toFixed(0)} MB CSV, ` +
      `${JSON.stringify(result.hyperparameters)}, median of ${result.repeats}`,
    `  ${''.padEnd(26)}${'wall s'.padStart(9)}${'load s'.padStart(9)}${'train s'.padStart(9)}${'peak RSS MB'.padStart(13)}   validation auc`,
    line('Sluice (koffi, worker)', result.sluice),
    line(`Python xgboost ${result.python.xgboostVersion}`, result.python),
    `  ratio Sluice / Python: wall ${result.ratio.wall.toFixed(2)}, load ${result.ratio.load.toFixed(2)}, ` +
      `train ${result.ratio.train.toFixed(2)}, peak RSS ${result.ratio.peakRss.toFixed(2)}`,
    `  same xgboost-model bytes: ${result.modelsIdentical ? 'yes' : 'NO'}`,
  ].join('\n');
}
