/**
 * Test helper: runs Python XGBoost 1.7.4 (Debian's python3-xgboost, the version SageMaker's 1.7-1 container runs)
 * as the reference implementation. There is no skipping: when it is missing the tests fail and say how to
 * install it.
 */
import { execFileSync } from 'node:child_process';

/** Interpreters tried in order (a pyenv `python3` first on PATH may lack Debian's dist-packages). */
const CANDIDATES = ['python3', '/usr/bin/python3'];

let found: string | undefined;

/** The first Python whose `xgboost` is 1.7.4; throws with install instructions when there is none. */
export function pythonWithXgboost(): string {
  if (found !== undefined) return found;
  const tried: string[] = [];
  for (const candidate of CANDIDATES) {
    try {
      const version = execFileSync(candidate, ['-c', 'import numpy, xgboost; print(xgboost.__version__)'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }).trim();
      if (version === '1.7.4') {
        found = candidate;
        return candidate;
      }
      tried.push(`${candidate} has xgboost ${version}`);
    } catch {
      tried.push(`${candidate} cannot import xgboost and numpy`);
    }
  }
  throw new Error(
    `Python XGBoost 1.7.4 is needed as the reference for these tests (${tried.join('; ')}). ` +
      'Install it: `sudo apt-get install python3-xgboost` (Debian 12), or `pip install xgboost==1.7.4 numpy`.',
  );
}

/** Runs a Python script with one JSON argument and parses the JSON it prints last. */
export function runPython<T>(script: string, argument: unknown): T {
  const output = execFileSync(pythonWithXgboost(), ['-c', script, JSON.stringify(argument)], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = output.trim().split('\n');
  return JSON.parse(lines.at(-1) ?? 'null') as T;
}

/**
 * Trains like SageMaker's 1.7-1 container (`train_job` + `get_callbacks`) on CSV files read with numpy, saves
 * `xgboost-model` with `bst.save_model`, predicts the validation set.
 * Argument: { train: [paths], validation: [paths], params: {...}, num_round, early_stopping: {rounds, metric,
 * maximize} | null, model_path, csv_weights?: true (the column after the label is the instance weight) }.
 */
export const PYTHON_TRAIN_SCRIPT = String.raw`
import gzip, json, sys
import numpy as np
import xgboost as xgb

args = json.loads(sys.argv[1])

first_feature = 2 if args.get('csv_weights') else 1

def load(paths):
    parts = []
    for path in paths:
        handle = gzip.open(path, 'rt') if path.endswith('.gz') else open(path)
        with handle:
            parts.append(np.atleast_2d(np.genfromtxt(handle, delimiter=',', dtype=np.float64)))
    data = np.vstack(parts)
    weights = data[:, 1].astype(np.float32) if first_feature == 2 else None
    return data[:, first_feature:].astype(np.float32), data[:, 0].astype(np.float32), weights

x_train, y_train, w_train = load(args['train'])
x_val, y_val, w_val = load(args['validation'])
dtrain = xgb.DMatrix(x_train, label=y_train, weight=w_train)
dval = xgb.DMatrix(x_val, label=y_val, weight=w_val)
callbacks = [xgb.callback.EvaluationMonitor()]
stopping = args['early_stopping']
if stopping:
    callbacks.append(xgb.callback.EarlyStopping(
        rounds=stopping['rounds'], data_name='validation', metric_name=stopping['metric'],
        maximize=stopping['maximize'], save_best=True))
history = {}
bst = xgb.train(args['params'], dtrain, num_boost_round=args['num_round'],
                evals=[(dtrain, 'train'), (dval, 'validation')], callbacks=callbacks,
                evals_result=history, verbose_eval=False)
bst.save_model(args['model_path'])
print(json.dumps({
    'history': history,
    'rounds': len(next(iter(history['train'].values()))),
    'boosted_rounds': bst.num_boosted_rounds(),
    'attributes': bst.attributes(),
    'predictions': bst.predict(dval).astype(float).ravel().tolist(),
}))
`;

/**
 * Loads a model the way SageMaker serving does with a `model.tar.gz` (the `xgboost-model` member), predicts a CSV.
 * Argument: { archive, csv }.
 */
export const PYTHON_PREDICT_FROM_ARCHIVE_SCRIPT = String.raw`
import json, sys, tarfile
import numpy as np
import xgboost as xgb

args = json.loads(sys.argv[1])
with tarfile.open(args['archive'], 'r:gz') as archive:
    names = archive.getnames()
    raw = archive.extractfile('xgboost-model').read()
bst = xgb.Booster()
bst.load_model(bytearray(raw))
data = np.atleast_2d(np.genfromtxt(args['csv'], delimiter=',', dtype=np.float64))
dmat = xgb.DMatrix(data[:, 1:].astype(np.float32))
print(json.dumps({
    'members': names,
    'format': raw[:4].decode('latin1'),
    'attributes': bst.attributes(),
    'predictions': bst.predict(dmat).astype(float).ravel().tolist(),
}))
`;
