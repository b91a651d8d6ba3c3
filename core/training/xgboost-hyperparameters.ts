/**
 * SageMaker's built-in XGBoost (`1.7-1`) hyperparameters: their names, types, allowed values and ranges, and the rules
 * over the whole set, as the container checks them before it trains. Runtime-free: the spec loader checks a
 * pipeline's training and tuning sections with them, so both runtimes refuse a bad spec before any work, and the local
 * trainer (`local/xgboost/hyperparameters.ts`) maps a checked set to XGBoost 1.7 booster parameters on top of them.
 *
 * The authority is the container's own validation, which refuses a training job before XGBoost sees it:
 * aws/sagemaker-xgboost-container `src/sagemaker_xgboost_container/algorithm_mode/hyperparameter_validation.py`, read
 * at commit 13a194f0c6e4a3264712dfa84227673eb445e8eb (the 1.7-1 line: its objective list is the one the 1.7-1 image
 * printed when it refused `reg:absoluteerror`, quoted in aws/sagemaker-xgboost-container#395), plus what the 1.7-1
 * line added after it: `use_dask_gpu_training` (#374, which `algorithm_mode/train.py` pops from the validated set) and
 * `reg:absoluteerror` (#395). The metric names are the container's `constants/xgb_constants.py`; its toolkit
 * (`sagemaker_algorithm_toolkit/hyperparameter_validation.py`) fixes how values parse: `int()` / `float()` for numbers,
 * an exact match for categories, `split(",")` (no trimming) for lists. The container reads the values as they were
 * sent (`/opt/ml/input/config/hyperparameters.json`), so nothing is trimmed before it checks them.
 *
 * Where this module is stricter than the container, the value could not train anyway: the container also lists the
 * objective `aft_loss_distribution` (the name of a parameter, not an objective) and the updaters `distcol`,
 * `grow_local_histmaker` and `grow_skmaker`, which XGBoost 1.7 no longer has: a job given one fails at its first round
 * ("Unknown objective function", "Unknown tree updater"), so the spec is refused when it is loaded instead. Values
 * that are not finite numbers (`inf`, `nan`) are refused too, though Python's `float()` reads them.
 *
 * Defaults: XGBoost's own (eta 0.3, max_depth 6, min_child_weight 1, subsample 1, objective `reg:squarederror`, ...);
 * the container passes only what the user set: a hyperparameter that is not given is not sent, and XGBoost applies
 * its default. The one default a caller needs is {@link XGBOOST_DEFAULT_OBJECTIVE}.
 *
 * Values arrive as strings (SageMaker's `HyperParameters` map is string to string), numbers or YAML booleans (the
 * training step sends them as `String(value)`, so they are judged as that string).
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
  /** A nested list of feature indexes (each at least 1 on SageMaker): `[[1,2],[3,4,5]]`. */
  | { readonly kind: 'nested-list' }
  /** `validation:<metric>`: the metric a tuning job adds to its training jobs. */
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

/**
 * XGBoost objectives SageMaker's container accepts: its list, plus `reg:absoluteerror` (added for 1.7-1), without its
 * stray `aft_loss_distribution` (not an objective; see the module comment).
 */
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

/**
 * The container's `updater` range. Its rules name `grow_quantile_histmaker` too, but the range is checked first and
 * does not list it, so the container refuses it.
 */
const UPDATERS: readonly string[] = [
  'grow_colmaker',
  'distcol',
  'grow_histmaker',
  'grow_local_histmaker',
  'grow_skmaker',
  'sync',
  'refresh',
  'prune',
  'shotgun',
  'coord_descent',
];

/** Updaters the container accepts and XGBoost 1.7 no longer has: the job would fail at its first round. */
const UPDATERS_GONE_FROM_XGBOOST: readonly string[] = ['distcol', 'grow_local_histmaker', 'grow_skmaker'];

/** The container's tree grow plugins (`valid_tree_build_plugins`): a tree booster takes one at most. */
const TREE_GROW_UPDATERS: readonly string[] = ['grow_colmaker', 'distcol', 'grow_histmaker', 'grow_local_histmaker'];

/** The container's linear updaters: `booster: gblinear` takes exactly one. */
const LINEAR_UPDATERS: readonly string[] = ['shotgun', 'coord_descent'];

/** The updaters `process_type: update` allows. */
const UPDATE_PROCESS_UPDATERS: readonly string[] = ['refresh', 'prune'];

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
  predictor: { kind: 'category', values: ['auto', 'cpu_predictor', 'gpu_predictor'] },
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
  // GPU switches.
  single_precision_histogram: { kind: 'bool-string' },
  deterministic_histogram: { kind: 'bool-string' },
  use_dask_gpu_training: { kind: 'bool-string' },
  sampling_method: { kind: 'category', values: ['uniform', 'gradient_based'] },
  // Save a model on SIGTERM (Spot interruptions).
  save_model_on_termination: { kind: 'bool-string' },
  // Accelerated failure time (objective survival:aft).
  aft_loss_distribution: { kind: 'category', values: ['normal', 'logistic', 'extreme'] },
  aft_loss_distribution_scale: { kind: 'float', range: nonNegative },
  // An integer above 1, as the container declares it (XGBoost 1.7 no longer reads it: it warns and ignores it).
  prob_buffer_row: { kind: 'int', range: { min: 1, minOpen: true } },
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
 * binary and ranking objectives, `aft-nloglik` only for `survival:aft`, the tree methods constraints need, the
 * updaters a booster and a process type take).
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
  // Without an objective the container lets num_class through, and XGBoost then trains multi:softmax.
  if ((objective === 'multi:softmax' || objective === 'multi:softprob') && !values.has('num_class')) {
    add(`num_class is required with objective ${objective}`);
  }
  const evalMetrics = (values.get('eval_metric') as readonly string[] | undefined) ?? [];
  if (evalMetrics.includes('auc') && !/^(binary|rank):/.test(objective ?? XGBOOST_DEFAULT_OBJECTIVE)) {
    add("eval_metric 'auc' can only be applied to classification (binary:*) and ranking (rank:*) objectives");
  }
  if (evalMetrics.includes('aft-nloglik') && objective !== 'survival:aft') {
    add("eval_metric 'aft-nloglik' can only be applied to objective survival:aft");
  }
  const treeMethod = values.get('tree_method') as string | undefined;
  if (values.has('monotone_constraints') && treeMethod !== 'exact' && treeMethod !== 'hist') {
    add("monotone_constraints needs tree_method 'exact' or 'hist'");
  }
  if (values.has('interaction_constraints') && treeMethod !== 'exact' && treeMethod !== 'hist' && treeMethod !== 'approx') {
    add("interaction_constraints needs tree_method 'exact', 'hist' or 'approx'");
  }
  const updaters = values.get('updater') as readonly string[] | undefined;
  if (updaters !== undefined) {
    const problem = updaterProblem(updaters, values.get('booster') as string | undefined, values.get('process_type') as string | undefined);
    if (problem !== undefined) add(problem);
  }
  return problems;
}

/** The container's `updater_validator`: what the booster and the process type allow, one tree grow plugin at most. */
function updaterProblem(updaters: readonly string[], booster: string | undefined, processType: string | undefined): string | undefined {
  if (booster === 'gblinear') {
    const [only] = updaters;
    return updaters.length === 1 && only !== undefined && LINEAR_UPDATERS.includes(only)
      ? undefined
      : `updater with booster gblinear must be exactly one of ${LINEAR_UPDATERS.join(', ')}`;
  }
  if (processType === 'update') {
    return updaters.every((updater) => UPDATE_PROCESS_UPDATERS.includes(updater))
      ? undefined
      : `updater with process_type 'update' can only be ${UPDATE_PROCESS_UPDATERS.join(' and ')}`;
  }
  const linear = updaters.filter((updater) => LINEAR_UPDATERS.includes(updater));
  if (linear.length > 0) return `updater ${linear.join(', ')} is for booster gblinear only; a tree booster takes tree updaters`;
  if (updaters.filter((updater) => TREE_GROW_UPDATERS.includes(updater)).length > 1) {
    return `updater can hold only one tree grow plugin (${TREE_GROW_UPDATERS.join(', ')})`;
  }
  return undefined;
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

/** Python `int()` of a string: surrounding whitespace, a sign, digits (underscores between them). */
const PYTHON_INT = /^[+-]?\d(?:_?\d)*$/;

/** Python `float()` of a finite number: `1`, `1.`, `.5`, `1e-3`, underscores between digits. */
const PYTHON_FLOAT = /^[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/;

/** What Python's `float()` also reads and no hyperparameter can use. */
const PYTHON_NON_FINITE = /^[+-]?(?:inf|infinity|nan)$/i;

function parseValue(rule: XgboostHyperparameterRule, raw: string | number | boolean): XgboostValue {
  // What the container receives: the training step sends every value as String(value), untrimmed.
  const sent = String(raw);
  const shown = JSON.stringify(raw);
  switch (rule.kind) {
    case 'int': {
      // Python int() trims, then takes digits only ("6.0" and "1e+21" are refused, as the container refuses them).
      const text = sent.trim();
      if (!PYTHON_INT.test(text)) throw new ValueProblem(`must be an integer, got ${shown}`);
      const value = Number(text.replaceAll('_', ''));
      checkRange(value, rule.range, shown);
      return value;
    }
    case 'float': {
      const text = sent.trim();
      if (PYTHON_NON_FINITE.test(text)) throw new ValueProblem(`must be a finite number, got ${shown}`);
      if (!PYTHON_FLOAT.test(text)) throw new ValueProblem(`must be a number, got ${shown}`);
      const value = Number(text.replaceAll('_', ''));
      if (!Number.isFinite(value)) throw new ValueProblem(`must be a finite number, got ${shown}`);
      checkRange(value, rule.range, shown);
      return value;
    }
    case 'category': {
      // An exact match: the container does not trim (" hist" is refused).
      if (!rule.values.includes(sent)) throw new ValueProblem(`must be one of ${rule.values.join(', ')}; got ${shown}`);
      return sent;
    }
    case 'bool-string': {
      if (sent !== 'true' && sent !== 'false') throw new ValueProblem(`must be "true" or "false" (lowercase), got ${shown}`);
      return sent;
    }
    case 'metrics':
      return parseMetricList(sent, shown);
    case 'tuning-metric': {
      // The container's range is its metric names, each as "validation:<metric>": one metric, no threshold.
      const metric = sent.startsWith('validation:') ? sent.slice('validation:'.length) : '';
      if (metric === '') throw new ValueProblem(`must look like "validation:<metric>", got ${shown}`);
      if (!METRICS.includes(metric)) throw new ValueProblem(`${metric} is not a supported metric; use one of ${METRICS.join(', ')}`);
      return [metric];
    }
    case 'updater': {
      const list = sent.split(',');
      const bad = list.filter((updater) => !UPDATERS.includes(updater));
      if (bad.length > 0) {
        throw new ValueProblem(`must be a comma-separated list (no spaces) of ${UPDATERS.join(', ')}; got ${shown}`);
      }
      const gone = list.filter((updater) => UPDATERS_GONE_FROM_XGBOOST.includes(updater));
      if (gone.length > 0) {
        throw new ValueProblem(`${gone.join(', ')}: not an updater of XGBoost 1.7 (the job would fail at its first round); got ${shown}`);
      }
      return list;
    }
    case 'tuple': {
      const text = sent.trim();
      if (!/^\(\s*-?[01]\s*(,\s*-?[01]\s*)*,?\s*\)$/.test(text) || /-0/.test(text)) {
        throw new ValueProblem(`must be a tuple of -1, 0 and 1 such as "(0,1,-1)", got ${shown}`);
      }
      return text;
    }
    case 'nested-list': {
      // The container's range for the indexes is [1, inf): feature 0 cannot be constrained on SageMaker.
      const text = sent.trim();
      const structure = /^\[\s*(\[\s*\d+\s*(,\s*\d+\s*)*\]\s*(,\s*\[\s*\d+\s*(,\s*\d+\s*)*\]\s*)*)?\]$/;
      if (!structure.test(text) || (text.match(/\d+/g) ?? []).some((index) => Number(index) < 1)) {
        throw new ValueProblem(`must be a nested list of feature indexes, each at least 1, such as "[[1,2],[3,4,5]]", got ${shown}`);
      }
      return text;
    }
  }
}

/** The container's `eval_metric` check: `split(",")`, then each a known metric or `error|ndcg|map@<float>`. */
function parseMetricList(text: string, shown: string): string[] {
  if (text === '') throw new ValueProblem(`must name at least one metric, got ${shown}`);
  const metrics = text.split(',');
  for (const metric of metrics) {
    if (metric.includes('@')) {
      const [base = '', threshold = ''] = metric.split('@').map((part) => part.trim());
      if (!['error', 'ndcg', 'map'].includes(base)) {
        throw new ValueProblem(`${metric}: a threshold (metric@t) is only for error, ndcg and map`);
      }
      // Python float() of the threshold: "ndcg@3-" is XGBoost syntax the container refuses.
      if (!PYTHON_FLOAT.test(threshold) && !PYTHON_NON_FINITE.test(threshold)) {
        throw new ValueProblem(`${metric}: the threshold in '${base}@t' must be a number`);
      }
      continue;
    }
    if (METRICS.includes(metric)) continue;
    if (METRICS.includes(metric.trim())) {
      throw new ValueProblem(`${JSON.stringify(metric)}: no spaces around the commas (SageMaker's container splits on "," only), got ${shown}`);
    }
    if (metric === '') throw new ValueProblem(`has an empty metric (a stray comma), got ${shown}`);
    throw new ValueProblem(`${metric} is not a supported metric; use one of ${METRICS.join(', ')}`);
  }
  return metrics;
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
