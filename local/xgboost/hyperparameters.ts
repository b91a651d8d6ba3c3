/**
 * SageMaker built-in XGBoost (`1.7-1`) hyperparameters -> XGBoost 1.7 booster parameters.
 *
 * Names, types, ranges and defaults follow the "XGBoost hyperparameters" page of the SageMaker developer guide
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/xgboost_hyperparameters.html, source
 * awsdocs/amazon-sagemaker-developer-guide `doc_source/xgboost_hyperparameters.md`) and the container's own
 * validation (aws/sagemaker-xgboost-container `src/sagemaker_xgboost_container/algorithm_mode/hyperparameter_validation.py`),
 * which is stricter than the page where they differ (e.g. `subsample` is (0,1] there).
 *
 * Defaults: the page's defaults are XGBoost's own (eta 0.3, max_depth 6, min_child_weight 1, subsample 1,
 * objective `reg:squarederror`, ...), and the container passes only what the user set, so we do the same: a
 * hyperparameter that is not given is not sent, and XGBoost applies its default.
 *
 * Values arrive as strings (SageMaker's `HyperParameters` map is string to string) or numbers. They are parsed
 * like the container does (Python `int()` / `float()`), then written back with Python's `str()`, because that is
 * what `Booster.set_param` sends to `XGBoosterSetParam`.
 */
import { HyperparameterValidationError } from './errors.js';
import { pythonFloatRepr, SAGEMAKER_MAXIMIZE_METRICS } from './eval-log.js';

/** Hyperparameters as a training request carries them. */
export type RawHyperparameters = Readonly<Record<string, string | number>>;

/** The validated set, split into what goes to XGBoost and what drives the training loop. */
export interface XgboostTrainingConfig {
  /** `num_round`: boosting rounds. */
  readonly numRound: number;
  /** `early_stopping_rounds`, when set. */
  readonly earlyStoppingRounds?: number | undefined;
  /**
   * The metric early stopping watches on the validation set: the last of `_tuning_objective_metric`, else the last
   * of `eval_metric`; undefined when neither is set (SageMaker's container then does not stop early either).
   */
  readonly earlyStoppingMetric?: string | undefined;
  /** `eval_metric` as XGBoost receives it (one `eval_metric` parameter each), in order. */
  readonly evalMetrics: readonly string[];
  /** The objective (XGBoost's default `reg:squarederror` when not given). */
  readonly objective: string;
  /** `num_class`, for `multi:*`. */
  readonly numClass?: number | undefined;
  /** `csv_weights=1`: the column after the label is the instance weight. */
  readonly csvWeights: boolean;
  /** Ordered `XGBoosterSetParam` calls, exactly as Python's `xgb.train` would make them. */
  readonly params: readonly (readonly [name: string, value: string])[];
}

type Interval = { min?: number; minOpen?: boolean; max?: number; maxOpen?: boolean };

type Spec =
  | { kind: 'int'; range?: Interval; pass?: false }
  | { kind: 'float'; range?: Interval; pass?: false }
  | { kind: 'category'; values: readonly string[]; pass?: false }
  | { kind: 'metrics' }
  | { kind: 'updater' }
  | { kind: 'tuple' }
  | { kind: 'nested-list' }
  | { kind: 'tuning-metric' }
  | { kind: 'bool-string'; pass?: false };

const nonNegative: Interval = { min: 0 };
const unit: Interval = { min: 0, max: 1 };
const openUnit: Interval = { min: 0, minOpen: true, max: 1 };

/** XGBoost objectives SageMaker's container accepts, plus the 1.7 additions (`reg:absoluteerror`, ...). */
export const OBJECTIVES: readonly string[] = [
  'binary:logistic',
  'binary:logitraw',
  'binary:hinge',
  'count:poisson',
  'multi:softmax',
  'multi:softprob',
  'rank:pairwise',
  'rank:ndcg',
  'rank:map',
  'reg:linear',
  'reg:squarederror',
  'reg:logistic',
  'reg:gamma',
  'reg:squaredlogerror',
  'reg:pseudohubererror',
  'reg:absoluteerror',
  'reg:tweedie',
  'survival:cox',
  'survival:aft',
];

/** Metrics SageMaker's container minimizes (`XGB_MINIMIZE_METRICS`). */
const MINIMIZE_METRICS: readonly string[] = [
  'aft-nloglik',
  'cox-nloglik',
  'error',
  'gamma-deviance',
  'gamma-nloglik',
  'interval-regression-accuracy',
  'logloss',
  'mae',
  'mape',
  'merror',
  'mlogloss',
  'mphe',
  'mse',
  'poisson-nloglik',
  'rmse',
  'rmsle',
  'tweedie-nloglik',
];

/**
 * Metrics the container computes itself in Python (`metrics/custom_metrics.py`, passed to `xgb.train` as `feval`),
 * not XGBoost: the local trainer does not offer them, so they are rejected with a clear message rather than
 * silently ignored.
 */
const CONTAINER_ONLY_METRICS: ReadonlySet<string> = new Set(
  [...SAGEMAKER_MAXIMIZE_METRICS, ...MINIMIZE_METRICS].filter(
    (metric) =>
      ![
        'auc',
        'aucpr',
        'map',
        'ndcg',
        'error',
        'logloss',
        'mae',
        'mape',
        'merror',
        'mlogloss',
        'mphe',
        'rmse',
        'rmsle',
        'aft-nloglik',
        'cox-nloglik',
        'gamma-deviance',
        'gamma-nloglik',
        'interval-regression-accuracy',
        'poisson-nloglik',
        'tweedie-nloglik',
      ].includes(metric),
  ),
);

const UPDATERS: readonly string[] = [
  'grow_colmaker',
  'distcol',
  'grow_histmaker',
  'grow_local_histmaker',
  'grow_skmaker',
  'grow_quantile_histmaker',
  'sync',
  'refresh',
  'prune',
  'shotgun',
  'coord_descent',
];

/** Hyperparameters the container declares as aliases of another (`declare_alias`). */
const ALIASES: Readonly<Record<string, string>> = {
  learning_rate: 'eta',
  min_split_loss: 'gamma',
  reg_lambda: 'lambda',
  reg_alpha: 'alpha',
};

/** Every accepted hyperparameter. `pass: false` marks the ones consumed here and not sent to XGBoost. */
const SPECS: Readonly<Record<string, Spec>> = {
  num_round: { kind: 'int', range: { min: 1 }, pass: false },
  early_stopping_rounds: { kind: 'int', range: { min: 1 }, pass: false },
  csv_weights: { kind: 'int', range: unit, pass: false },
  _tuning_objective_metric: { kind: 'tuning-metric' },
  eval_metric: { kind: 'metrics' },
  objective: { kind: 'category', values: OBJECTIVES },
  num_class: { kind: 'int', range: { min: 2 } },
  booster: { kind: 'category', values: ['gbtree', 'gblinear', 'dart'] },
  silent: { kind: 'int', range: unit },
  verbosity: { kind: 'int', range: { min: 0, max: 3 } },
  nthread: { kind: 'int', range: { min: 1 } },
  eta: { kind: 'float', range: unit },
  gamma: { kind: 'float', range: nonNegative },
  max_depth: { kind: 'int', range: nonNegative },
  min_child_weight: { kind: 'float', range: nonNegative },
  max_delta_step: { kind: 'float', range: nonNegative },
  subsample: { kind: 'float', range: openUnit },
  colsample_bytree: { kind: 'float', range: openUnit },
  colsample_bylevel: { kind: 'float', range: openUnit },
  colsample_bynode: { kind: 'float', range: openUnit },
  lambda: { kind: 'float', range: nonNegative },
  alpha: { kind: 'float', range: nonNegative },
  tree_method: { kind: 'category', values: ['auto', 'exact', 'approx', 'hist'] },
  sketch_eps: { kind: 'float', range: { min: 0, minOpen: true, max: 1, maxOpen: true } },
  scale_pos_weight: { kind: 'float', range: { min: 0, minOpen: true } },
  updater: { kind: 'updater' },
  dsplit: { kind: 'category', values: ['row', 'col'] },
  refresh_leaf: { kind: 'int', range: unit },
  process_type: { kind: 'category', values: ['default', 'update'] },
  grow_policy: { kind: 'category', values: ['depthwise', 'lossguide'] },
  max_leaves: { kind: 'int', range: nonNegative },
  max_bin: { kind: 'int', range: nonNegative },
  num_parallel_tree: { kind: 'int', range: { min: 1 } },
  predictor: { kind: 'category', values: ['cpu_predictor'] },
  monotone_constraints: { kind: 'tuple' },
  interaction_constraints: { kind: 'nested-list' },
  sample_type: { kind: 'category', values: ['uniform', 'weighted'] },
  normalize_type: { kind: 'category', values: ['tree', 'forest'] },
  rate_drop: { kind: 'float', range: unit },
  one_drop: { kind: 'int', range: unit },
  skip_drop: { kind: 'float', range: unit },
  lambda_bias: { kind: 'float', range: unit },
  tweedie_variance_power: { kind: 'float', range: { min: 1, minOpen: true, max: 2, maxOpen: true } },
  base_score: { kind: 'float', range: nonNegative },
  seed: { kind: 'int', range: { min: -(2 ** 31), minOpen: true, max: 2 ** 31 - 1, maxOpen: true } },
  // GPU-only switches of the page: accepted so a cloud spec runs locally, meaningless on CPU.
  single_precision_histogram: { kind: 'bool-string', pass: false },
  deterministic_histogram: { kind: 'bool-string', pass: false },
  // Cloud-only behaviour (save a model on SIGTERM): nothing to do locally.
  save_model_on_termination: { kind: 'bool-string', pass: false },
};

/** Names accepted by {@link parseHyperparameters}, aliases included. */
export const SUPPORTED_HYPERPARAMETERS: readonly string[] = [...Object.keys(SPECS), ...Object.keys(ALIASES)].sort();

/** Recognised by SageMaker but not supported by the local trainer: rejected with the reason. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  _kfold: 'the local trainer does not offer k-fold cross-validation mode',
  _num_cv_round: 'the local trainer does not offer k-fold cross-validation mode',
  use_dask_gpu_training: 'GPU training is not available locally',
};

/**
 * Validates SageMaker XGBoost hyperparameters and turns them into XGBoost parameters.
 * @throws HyperparameterValidationError listing every problem found (unknown names, bad types, bad ranges)
 */
export function parseHyperparameters(raw: RawHyperparameters): XgboostTrainingConfig {
  const problems: string[] = [];
  const values = new Map<string, string | number | string[]>();
  const order: string[] = [];

  const unknown = Object.keys(raw).filter((name) => !(name in SPECS) && !(name in ALIASES));
  if (unknown.length > 0) {
    const reasons = unknown.map((name) => (UNSUPPORTED[name] ? `${name} (${UNSUPPORTED[name]})` : name));
    problems.push(
      `unknown hyperparameter${unknown.length > 1 ? 's' : ''}: ${reasons.join(', ')}; ` +
        `supported: ${SUPPORTED_HYPERPARAMETERS.join(', ')}`,
    );
  }

  for (const [givenName, rawValue] of Object.entries(raw)) {
    const name = ALIASES[givenName] ?? givenName;
    const spec = SPECS[name];
    if (spec === undefined) continue;
    if (values.has(name)) {
      problems.push(`${name} is given twice (once through its alias ${givenName})`);
      continue;
    }
    try {
      values.set(name, parseValue(name, spec, rawValue));
      order.push(name);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }

  const numRound = values.get('num_round');
  if (numRound === undefined && !problems.some((p) => p.startsWith('num_round'))) {
    problems.push('num_round is required (the number of boosting rounds, an integer >= 1)');
  }
  const objective = values.get('objective') as string | undefined;
  const numClass = values.get('num_class') as number | undefined;
  if ((objective === 'multi:softmax' || objective === 'multi:softprob') && numClass === undefined) {
    problems.push(`num_class is required with objective ${objective}`);
  }
  if (objective === undefined && numClass !== undefined) {
    problems.push('num_class is only for multi-class objectives (multi:softmax, multi:softprob): set objective');
  }
  const evalMetricList = (values.get('eval_metric') as string[] | undefined) ?? [];
  const effectiveObjective = objective ?? 'reg:squarederror';
  if (evalMetricList.includes('auc') && !/^(binary|rank):/.test(effectiveObjective)) {
    problems.push("eval_metric 'auc' can only be applied to classification (binary:*) and ranking (rank:*) objectives");
  }
  const treeMethod = values.get('tree_method') as string | undefined;
  if (values.has('monotone_constraints') && treeMethod !== 'exact' && treeMethod !== 'hist') {
    problems.push("monotone_constraints needs tree_method 'exact' or 'hist'");
  }
  if (
    values.has('interaction_constraints') &&
    treeMethod !== 'exact' &&
    treeMethod !== 'hist' &&
    treeMethod !== 'approx'
  ) {
    problems.push("interaction_constraints needs tree_method 'exact', 'hist' or 'approx'");
  }

  if (problems.length > 0) {
    throw new HyperparameterValidationError(`Invalid XGBoost hyperparameters: ${problems.join('; ')}`);
  }

  // The container's train_utils.get_eval_metrics_and_feval: the tuning metric joins eval_metric, and when both
  // are set the union is sorted (its comment: the order must agree across hosts).
  const tuningMetrics = values.get('_tuning_objective_metric') as string[] | undefined;
  let evalMetrics: string[];
  if (tuningMetrics !== undefined && evalMetricList.length > 0) {
    evalMetrics = [...new Set([...tuningMetrics, ...evalMetricList])].sort();
  } else {
    evalMetrics = tuningMetrics ?? evalMetricList;
  }
  const earlyStoppingRounds = values.get('early_stopping_rounds') as number | undefined;
  const stoppingSource = tuningMetrics ?? (evalMetricList.length > 0 ? evalMetricList : undefined);
  const earlyStoppingMetric =
    earlyStoppingRounds !== undefined && stoppingSource !== undefined ? stoppingSource.at(-1) : undefined;

  const params: (readonly [string, string])[] = [];
  for (const name of order) {
    const spec = SPECS[name];
    if (spec === undefined || ('pass' in spec && spec.pass === false)) continue;
    if (name === 'eval_metric' || name === '_tuning_objective_metric') continue;
    params.push([name, formatValue(spec, values.get(name))]);
  }
  // Python's _configure_metrics: every other parameter first, then one eval_metric per metric, then
  // `validate_parameters` (which `Booster.__init__` appends as Python's `True`).
  for (const metric of evalMetrics) params.push(['eval_metric', metric]);
  params.push(['validate_parameters', 'True']);

  return {
    numRound: numRound as number,
    earlyStoppingRounds,
    earlyStoppingMetric,
    evalMetrics,
    objective: effectiveObjective,
    numClass,
    csvWeights: values.get('csv_weights') === 1,
    params,
  };
}

function parseValue(name: string, spec: Spec, raw: string | number): string | number | string[] {
  const text = typeof raw === 'number' ? String(raw) : raw.trim();
  const shown = JSON.stringify(raw);
  switch (spec.kind) {
    case 'int': {
      // Python int(): optional sign and digits only ("6.0" is refused, as the container refuses it).
      if (typeof raw === 'number' ? !Number.isInteger(raw) : !/^[+-]?\d+$/.test(text)) {
        throw new Error(`${name} must be an integer, got ${shown}`);
      }
      const value = Number(text);
      checkRange(name, value, spec.range, shown);
      return value;
    }
    case 'float': {
      if (typeof raw === 'string' && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
        throw new Error(`${name} must be a number, got ${shown}`);
      }
      const value = Number(text);
      if (!Number.isFinite(value)) throw new Error(`${name} must be a finite number, got ${shown}`);
      checkRange(name, value, spec.range, shown);
      return value;
    }
    case 'category': {
      if (name === 'tree_method' && text.includes('gpu')) {
        throw new Error(`${name} ${shown}: GPU training is not available locally (use hist)`);
      }
      if (name === 'predictor' && text.includes('gpu')) {
        throw new Error(`${name} ${shown}: GPU prediction is not available locally`);
      }
      if (!spec.values.includes(text)) {
        throw new Error(`${name} must be one of ${spec.values.join(', ')}; got ${shown}`);
      }
      return text;
    }
    case 'bool-string': {
      const lower = text.toLowerCase();
      if (lower !== 'true' && lower !== 'false') throw new Error(`${name} must be "true" or "false", got ${shown}`);
      return lower;
    }
    case 'metrics':
      return parseMetricList(name, text, shown);
    case 'tuning-metric': {
      // "validation:auc" (data set, metric); the container splits the metric part on commas.
      const parts = text.split(':');
      const metric = parts[1];
      if (parts.length !== 2 || (parts[0] !== 'validation' && parts[0] !== 'train') || !metric) {
        throw new Error(`${name} must look like "validation:<metric>", got ${shown}`);
      }
      return parseMetricList(name, metric, shown);
    }
    case 'updater': {
      const list = splitList(text);
      const bad = list.filter((updater) => !UPDATERS.includes(updater));
      if (list.length === 0 || bad.length > 0) {
        throw new Error(`${name} must be a comma-separated list of ${UPDATERS.join(', ')}; got ${shown}`);
      }
      return list;
    }
    case 'tuple': {
      if (!/^\(\s*-?[01]\s*(,\s*-?[01]\s*)*,?\s*\)$/.test(text) || /-0/.test(text)) {
        throw new Error(`${name} must be a tuple of -1, 0 and 1 such as "(0,1,-1)", got ${shown}`);
      }
      return text;
    }
    case 'nested-list': {
      if (!/^\[\s*(\[\s*\d+\s*(,\s*\d+\s*)*\]\s*(,\s*\[\s*\d+\s*(,\s*\d+\s*)*\]\s*)*)?\]$/.test(text)) {
        throw new Error(`${name} must be a nested list of feature indexes such as "[[0,1],[2,3,4]]", got ${shown}`);
      }
      return text;
    }
  }
}

function parseMetricList(name: string, text: string, shown: string): string[] {
  const metrics = splitList(text);
  if (metrics.length === 0) throw new Error(`${name} must name at least one metric, got ${shown}`);
  for (const metric of metrics) {
    if (metric.includes('@')) {
      const [base = '', threshold = ''] = metric.split('@').map((part) => part.trim());
      if (!['error', 'ndcg', 'map'].includes(base)) {
        throw new Error(`${name} ${metric}: a threshold (metric@t) is only for error, ndcg and map`);
      }
      // ndcg@n- / map@n- ("-": score an all-negative list 0) are XGBoost syntax too.
      if (!/^(\d+\.?\d*|\.\d+)-?$/.test(threshold)) {
        throw new Error(`${name} ${metric}: the threshold in '${base}@t' must be a number`);
      }
      continue;
    }
    if (CONTAINER_ONLY_METRICS.has(metric)) {
      throw new Error(
        `${name} ${metric}: computed by SageMaker's container in Python (feval), not by XGBoost; ` +
          'not supported by the local trainer yet',
      );
    }
    if (!SAGEMAKER_MAXIMIZE_METRICS.includes(metric) && !MINIMIZE_METRICS.includes(metric)) {
      throw new Error(
        `${name} ${metric} is not a supported metric; use one of ` +
          `${[...SAGEMAKER_MAXIMIZE_METRICS, ...MINIMIZE_METRICS].filter((m) => !CONTAINER_ONLY_METRICS.has(m)).join(', ')}`,
      );
    }
  }
  return metrics;
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function checkRange(name: string, value: number, range: Interval | undefined, shown: string): void {
  if (range === undefined) return;
  const low = range.min === undefined || (range.minOpen ? value > range.min : value >= range.min);
  const high = range.max === undefined || (range.maxOpen ? value < range.max : value <= range.max);
  if (low && high) return;
  const lower = range.min === undefined ? '(-inf' : `${range.minOpen ? '(' : '['}${range.min}`;
  const upper = range.max === undefined ? 'inf)' : `${range.max}${range.maxOpen ? ')' : ']'}`;
  throw new Error(`${name} must be in ${lower}, ${upper}, got ${shown}`);
}

function formatValue(spec: Spec, value: string | number | string[] | undefined): string {
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'number') return spec.kind === 'float' ? pythonFloatRepr(value) : String(value);
  return String(value);
}
