/**
 * SageMaker's built-in XGBoost (`1.7-1`) hyperparameters: their names, types, allowed values and ranges, and the rules
 * over the whole set, as the container checks them before it trains. Runtime-free: the spec loader checks a
 * pipeline's training and tuning sections with them, so both runtimes refuse a bad spec before any work, and the local
 * trainer (`local/xgboost/hyperparameters.ts`) maps a checked set to XGBoost 1.7 booster parameters on top of them.
 *
 * Names, types, ranges and defaults follow the "XGBoost hyperparameters" page of the SageMaker developer guide
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/xgboost_hyperparameters.html, source
 * awsdocs/amazon-sagemaker-developer-guide `doc_source/xgboost_hyperparameters.md`) and the container's own
 * validation (aws/sagemaker-xgboost-container `src/sagemaker_xgboost_container/algorithm_mode/hyperparameter_validation.py`),
 * which is stricter than the page where they differ (e.g. `subsample` is (0,1] there).
 *
 * Defaults: the page's defaults are XGBoost's own (eta 0.3, max_depth 6, min_child_weight 1, subsample 1,
 * objective `reg:squarederror`, ...), and the container passes only what the user set: a hyperparameter that is not
 * given is not sent, and XGBoost applies its default. The one default a caller needs is {@link XGBOOST_DEFAULT_OBJECTIVE}.
 *
 * Values arrive as strings (SageMaker's `HyperParameters` map is string to string), numbers or YAML booleans (the
 * training step sends them as `String(value)`). They are parsed like the container does (Python `int()` / `float()`).
 */
import type { TuningRange } from './tuning-ranges.js';

/** Hyperparameters as a spec or a training request carries them. */
export type RawHyperparameters = Readonly<Record<string, string | number | boolean>>;

/** A parsed value: a number, a string, or a list (`eval_metric`, `updater`, the tuning metric's metrics). */
export type XgboostValue = string | number | readonly string[];

/** An interval of allowed numbers; an end left out is unbounded, an `Open` end excluded. */
export interface XgboostInterval {
  readonly min?: number;
  readonly minOpen?: boolean;
  readonly max?: number;
  readonly maxOpen?: boolean;
}

/** What one hyperparameter accepts. */
export type XgboostHyperparameterRule =
  | { readonly kind: 'int'; readonly range?: XgboostInterval }
  | { readonly kind: 'float'; readonly range?: XgboostInterval }
  | { readonly kind: 'category'; readonly values: readonly string[] }
  /** A comma-separated list of evaluation metrics. */
  | { readonly kind: 'metrics' }
  /** A comma-separated list of tree updaters. */
  | { readonly kind: 'updater' }
  /** A tuple of -1, 0 and 1: `(0,1,-1)`. */
  | { readonly kind: 'tuple' }
  /** A nested list of feature indexes: `[[0,1],[2,3,4]]`. */
  | { readonly kind: 'nested-list' }
  /** `validation:<metrics>`: the metric a tuning job adds to its training jobs. */
  | { readonly kind: 'tuning-metric' }
  /** The string `"true"` or `"false"`. */
  | { readonly kind: 'bool-string' };

/** One reason the container would refuse a hyperparameter set. */
export interface XgboostHyperparameterProblem {
  /** The name as given (an alias stays an alias); undefined for a rule over the whole set. */
  readonly key: string | undefined;
  /** The canonical name the message is about; undefined for a rule over the whole set. */
  readonly name: string | undefined;
  /** What is wrong: about `name` when set (`must be an integer, got "abc"`), else a whole sentence. */
  readonly detail: string;
}

/** The outcome of {@link checkXgboostHyperparameters}. */
export interface XgboostHyperparameterCheck {
  /** The values that parsed, by canonical name, in the order given. */
  readonly values: ReadonlyMap<string, XgboostValue>;
  /** Names that are not SageMaker XGBoost hyperparameters, in the order given. */
  readonly unknown: readonly string[];
  /** Every other problem: values first, in the order given, then the rules over the whole set. */
  readonly problems: readonly XgboostHyperparameterProblem[];
}

/** The objective XGBoost trains with when none is given. */
export const XGBOOST_DEFAULT_OBJECTIVE = 'reg:squarederror';

const nonNegative: XgboostInterval = { min: 0 };
const unit: XgboostInterval = { min: 0, max: 1 };
const openUnit: XgboostInterval = { min: 0, minOpen: true, max: 1 };

/** XGBoost objectives SageMaker's container accepts, plus the 1.7 additions (`reg:absoluteerror`, ...). */
export const XGBOOST_OBJECTIVES: readonly string[] = [
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

/**
 * Metrics SageMaker's container maximizes (`XGB_MAXIMIZE_METRICS` in
 * aws/sagemaker-xgboost-container `constants/xgb_constants.py`); every other metric is minimized.
 */
export const XGBOOST_MAXIMIZE_METRICS: readonly string[] = [
  'accuracy',
  'auc',
  'aucpr',
  'balanced_accuracy',
  'f1',
  'f1_binary',
  'f1_macro',
  'map',
  'ndcg',
  'precision',
  'r2',
  'recall',
  'precision_macro',
  'precision_micro',
  'recall_macro',
  'recall_micro',
];

/** Metrics SageMaker's container minimizes (`XGB_MINIMIZE_METRICS`). */
export const XGBOOST_MINIMIZE_METRICS: readonly string[] = [
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

const METRICS: readonly string[] = [...XGBOOST_MAXIMIZE_METRICS, ...XGBOOST_MINIMIZE_METRICS];

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

/** Hyperparameters the container declares as aliases of another (`declare_alias`), alias to canonical name. */
export const XGBOOST_ALIASES: Readonly<Record<string, string>> = {
  learning_rate: 'eta',
  min_split_loss: 'gamma',
  reg_lambda: 'lambda',
  reg_alpha: 'alpha',
};

/** Every hyperparameter the container accepts, by canonical name. */
export const XGBOOST_HYPERPARAMETERS: Readonly<Record<string, XgboostHyperparameterRule>> = {
  num_round: { kind: 'int', range: { min: 1 } },
  early_stopping_rounds: { kind: 'int', range: { min: 1 } },
  csv_weights: { kind: 'int', range: unit },
  _tuning_objective_metric: { kind: 'tuning-metric' },
  eval_metric: { kind: 'metrics' },
  objective: { kind: 'category', values: XGBOOST_OBJECTIVES },
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
  tree_method: { kind: 'category', values: ['auto', 'exact', 'approx', 'hist', 'gpu_hist'] },
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
  predictor: { kind: 'category', values: ['cpu_predictor', 'gpu_predictor'] },
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
  // k-fold cross-validation mode (the container's `_kfold`, `_num_cv_round`): `tunable=False` there.
  _kfold: { kind: 'int', range: { min: 2 } },
  _num_cv_round: { kind: 'int', range: { min: 1 } },
  // GPU switches of the page.
  single_precision_histogram: { kind: 'bool-string' },
  deterministic_histogram: { kind: 'bool-string' },
  use_dask_gpu_training: { kind: 'bool-string' },
  // Save a model on SIGTERM (Spot interruptions).
  save_model_on_termination: { kind: 'bool-string' },
};

/** Every accepted name, aliases included, sorted. */
export const XGBOOST_HYPERPARAMETER_NAMES: readonly string[] = [
  ...Object.keys(XGBOOST_HYPERPARAMETERS),
  ...Object.keys(XGBOOST_ALIASES),
].sort();

/** The canonical name of a hyperparameter (`learning_rate` → `eta`); undefined when it is not one. */
export function canonicalXgboostName(name: string): string | undefined {
  const canonical = XGBOOST_ALIASES[name] ?? name;
  return Object.hasOwn(XGBOOST_HYPERPARAMETERS, canonical) ? canonical : undefined;
}

/** Thrown inside this module only: a value's problem, caught and returned as an {@link XgboostHyperparameterProblem}. */
class ValueProblem extends Error {}

/**
 * Parses one value as the container would (Python `int()` / `float()`, comma-separated lists), by canonical name.
 * @returns the value, or the problem as a phrase about `name` (`must be an integer, got "6.0"`)
 */
export function parseXgboostValue(name: string, raw: string | number | boolean): { value: XgboostValue } | { problem: string } {
  const rule = XGBOOST_HYPERPARAMETERS[name];
  if (rule === undefined) return { problem: 'is not a SageMaker XGBoost hyperparameter' };
  try {
    return { value: parseValue(rule, raw) };
  } catch (error) {
    if (error instanceof ValueProblem) return { problem: error.message };
    throw error;
  }
}

/**
 * Checks a hyperparameter set as the container does before training: names (aliases resolved), each value's type and
 * range, then the rules over the set (num_round required, num_class with a multi-class objective, `auc` only for
 * binary and ranking objectives, the tree methods constraints need).
 */
export function checkXgboostHyperparameters(raw: RawHyperparameters): XgboostHyperparameterCheck {
  const values = new Map<string, XgboostValue>();
  const unknown: string[] = [];
  const problems: XgboostHyperparameterProblem[] = [];
  for (const [key, rawValue] of Object.entries(raw)) {
    const name = canonicalXgboostName(key);
    if (name === undefined) {
      unknown.push(key);
      continue;
    }
    if (values.has(name) || problems.some((problem) => problem.name === name)) {
      problems.push({ key, name, detail: `is given twice (once through its alias ${key === name ? firstKeyOf(raw, name) : key})` });
      continue;
    }
    const parsed = parseXgboostValue(name, rawValue);
    if ('problem' in parsed) problems.push({ key, name, detail: parsed.problem });
    else values.set(name, parsed.value);
  }
  return { values, unknown, problems: [...problems, ...setProblems(values, problems)] };
}

/** The key of `raw` that names `name` through an alias (for the "given twice" message). */
function firstKeyOf(raw: RawHyperparameters, name: string): string {
  return Object.keys(raw).find((key) => key !== name && XGBOOST_ALIASES[key] === name) ?? name;
}

/** The rules over the whole set, given the values that parsed. */
function setProblems(values: ReadonlyMap<string, XgboostValue>, valueProblems: readonly XgboostHyperparameterProblem[]): XgboostHyperparameterProblem[] {
  const problems: XgboostHyperparameterProblem[] = [];
  const add = (detail: string): void => {
    problems.push({ key: undefined, name: undefined, detail });
  };
  if (!values.has('num_round') && !valueProblems.some((problem) => problem.name === 'num_round')) {
    add('num_round is required (the number of boosting rounds, an integer >= 1)');
  }
  const objective = values.get('objective') as string | undefined;
  const numClass = values.get('num_class') as number | undefined;
  if ((objective === 'multi:softmax' || objective === 'multi:softprob') && numClass === undefined) {
    add(`num_class is required with objective ${objective}`);
  }
  if (objective === undefined && numClass !== undefined) {
    add('num_class is only for multi-class objectives (multi:softmax, multi:softprob): set objective');
  }
  const evalMetrics = (values.get('eval_metric') as readonly string[] | undefined) ?? [];
  if (evalMetrics.includes('auc') && !/^(binary|rank):/.test(objective ?? XGBOOST_DEFAULT_OBJECTIVE)) {
    add("eval_metric 'auc' can only be applied to classification (binary:*) and ranking (rank:*) objectives");
  }
  const treeMethod = values.get('tree_method') as string | undefined;
  if (values.has('monotone_constraints') && treeMethod !== 'exact' && treeMethod !== 'hist') {
    add("monotone_constraints needs tree_method 'exact' or 'hist'");
  }
  if (values.has('interaction_constraints') && treeMethod !== 'exact' && treeMethod !== 'hist' && treeMethod !== 'approx') {
    add("interaction_constraints needs tree_method 'exact', 'hist' or 'approx'");
  }
  return problems;
}

/** A problem as one sentence: `max_depth must be an integer, got "6.0"`, or the set rule's own sentence. */
export function xgboostProblemMessage(problem: XgboostHyperparameterProblem): string {
  return problem.name === undefined ? problem.detail : `${problem.name} ${problem.detail}`;
}

/** One reason a tuning range cannot drive an XGBoost hyperparameter. */
export interface XgboostRangeProblem {
  /** Where in the range: `min`, `max`, `values.<i>`; undefined for the range as a whole. */
  readonly at: string | undefined;
  /** What is wrong, a phrase about the hyperparameter (`must be in [0, 1], got 2`). */
  readonly detail: string;
}

/**
 * Whether a tuning range fits the hyperparameter it tunes: a known name, a range type its values can take (integer
 * hyperparameters take integer or categorical ranges, non-numeric ones categorical ranges), and ends (or categorical
 * values) the hyperparameter accepts. SageMaker refuses such a tuning job; locally, its trials would fail one by one.
 */
export function xgboostRangeProblems(name: string, range: TuningRange): XgboostRangeProblem[] {
  const canonical = canonicalXgboostName(name);
  if (canonical === undefined) return [{ at: undefined, detail: `is not a SageMaker XGBoost hyperparameter; supported: ${XGBOOST_HYPERPARAMETER_NAMES.join(', ')}` }];
  const rule = XGBOOST_HYPERPARAMETERS[canonical] as XgboostHyperparameterRule;
  if (range.type === 'continuous' && rule.kind === 'int') {
    return [{ at: undefined, detail: 'takes integers: tune it with an integer or a categorical range' }];
  }
  if (range.type !== 'categorical' && rule.kind !== 'int' && rule.kind !== 'float') {
    return [{ at: undefined, detail: 'is not numeric: tune it with a categorical range' }];
  }
  const ends: [string, string | number][] =
    range.type === 'categorical'
      ? range.values.map((value, index) => [`values.${index}`, value])
      : [
          ['min', range.min],
          ['max', range.max],
        ];
  const problems: XgboostRangeProblem[] = [];
  for (const [at, value] of ends) {
    const parsed = parseXgboostValue(canonical, value);
    if ('problem' in parsed) problems.push({ at, detail: parsed.problem });
  }
  return problems;
}

function parseValue(rule: XgboostHyperparameterRule, raw: string | number | boolean): XgboostValue {
  const text = typeof raw === 'string' ? raw.trim() : String(raw);
  const shown = JSON.stringify(raw);
  switch (rule.kind) {
    case 'int': {
      // Python int(): optional sign and digits only ("6.0" is refused, as the container refuses it).
      if (typeof raw === 'number' ? !Number.isInteger(raw) : !/^[+-]?\d+$/.test(text)) {
        throw new ValueProblem(`must be an integer, got ${shown}`);
      }
      const value = Number(text);
      checkRange(value, rule.range, shown);
      return value;
    }
    case 'float': {
      if (typeof raw !== 'number' && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
        throw new ValueProblem(`must be a number, got ${shown}`);
      }
      const value = Number(text);
      if (!Number.isFinite(value)) throw new ValueProblem(`must be a finite number, got ${shown}`);
      checkRange(value, rule.range, shown);
      return value;
    }
    case 'category': {
      if (!rule.values.includes(text)) throw new ValueProblem(`must be one of ${rule.values.join(', ')}; got ${shown}`);
      return text;
    }
    case 'bool-string': {
      const lower = text.toLowerCase();
      if (lower !== 'true' && lower !== 'false') throw new ValueProblem(`must be "true" or "false", got ${shown}`);
      return lower;
    }
    case 'metrics':
      return parseMetricList(text, shown);
    case 'tuning-metric': {
      // "validation:auc" (data set, metric); the container splits the metric part on commas.
      const parts = text.split(':');
      const metric = parts[1];
      if (parts.length !== 2 || (parts[0] !== 'validation' && parts[0] !== 'train') || !metric) {
        throw new ValueProblem(`must look like "validation:<metric>", got ${shown}`);
      }
      return parseMetricList(metric, shown);
    }
    case 'updater': {
      const list = splitList(text);
      const bad = list.filter((updater) => !UPDATERS.includes(updater));
      if (list.length === 0 || bad.length > 0) {
        throw new ValueProblem(`must be a comma-separated list of ${UPDATERS.join(', ')}; got ${shown}`);
      }
      return list;
    }
    case 'tuple': {
      if (!/^\(\s*-?[01]\s*(,\s*-?[01]\s*)*,?\s*\)$/.test(text) || /-0/.test(text)) {
        throw new ValueProblem(`must be a tuple of -1, 0 and 1 such as "(0,1,-1)", got ${shown}`);
      }
      return text;
    }
    case 'nested-list': {
      if (!/^\[\s*(\[\s*\d+\s*(,\s*\d+\s*)*\]\s*(,\s*\[\s*\d+\s*(,\s*\d+\s*)*\]\s*)*)?\]$/.test(text)) {
        throw new ValueProblem(`must be a nested list of feature indexes such as "[[0,1],[2,3,4]]", got ${shown}`);
      }
      return text;
    }
  }
}

function parseMetricList(text: string, shown: string): string[] {
  const metrics = splitList(text);
  if (metrics.length === 0) throw new ValueProblem(`must name at least one metric, got ${shown}`);
  for (const metric of metrics) {
    if (metric.includes('@')) {
      const [base = '', threshold = ''] = metric.split('@').map((part) => part.trim());
      if (!['error', 'ndcg', 'map'].includes(base)) {
        throw new ValueProblem(`${metric}: a threshold (metric@t) is only for error, ndcg and map`);
      }
      // ndcg@n- / map@n- ("-": score an all-negative list 0) are XGBoost syntax too.
      if (!/^(\d+\.?\d*|\.\d+)-?$/.test(threshold)) {
        throw new ValueProblem(`${metric}: the threshold in '${base}@t' must be a number`);
      }
      continue;
    }
    if (!METRICS.includes(metric)) throw new ValueProblem(`${metric} is not a supported metric; use one of ${METRICS.join(', ')}`);
  }
  return metrics;
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function checkRange(value: number, range: XgboostInterval | undefined, shown: string): void {
  if (range === undefined) return;
  const low = range.min === undefined || (range.minOpen ? value > range.min : value >= range.min);
  const high = range.max === undefined || (range.maxOpen ? value < range.max : value <= range.max);
  if (low && high) return;
  const lower = range.min === undefined ? '(-inf' : `${range.minOpen ? '(' : '['}${range.min}`;
  const upper = range.max === undefined ? 'inf)' : `${range.max}${range.maxOpen ? ')' : ']'}`;
  throw new ValueProblem(`must be in ${lower}, ${upper}, got ${shown}`);
}
