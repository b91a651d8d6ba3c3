/**
 * SageMaker built-in XGBoost (`1.7-1`) hyperparameters -> XGBoost 1.7 booster parameters, for the local trainer.
 *
 * The rules (names, types, ranges, the rules over the set) are SageMaker's and live in
 * `core/training/xgboost-hyperparameters.ts`; the spec loader applies them too. This module adds what is local:
 *
 * - what the local trainer does not offer, refused with the reason: k-fold cross-validation mode, GPU training and
 *   prediction (and gradient-based sampling, which XGBoost offers on GPU only), `survival:aft` (it needs label bounds
 *   the local trainer does not read), and the metrics SageMaker's container computes itself in Python;
 * - the mapping: which hyperparameters drive the training loop rather than XGBoost (`num_round`,
 *   `early_stopping_rounds`, `csv_weights`, the GPU and SIGTERM switches, `prob_buffer_row`, which XGBoost 1.7 no
 *   longer reads), the evaluation metrics and the one early stopping watches, and the `XGBoosterSetParam` calls in
 *   the order Python's `xgb.train` makes them, each value written back with Python's `str()`, because that is what
 *   `Booster.set_param` sends.
 *
 * A hyperparameter that is not given is not sent, and XGBoost applies its default (as the container does).
 */
import {
  checkXgboostHyperparameters,
  XGBOOST_DEFAULT_OBJECTIVE,
  XGBOOST_HYPERPARAMETER_NAMES,
  XGBOOST_HYPERPARAMETERS,
  XGBOOST_MAXIMIZE_METRICS,
  XGBOOST_MINIMIZE_METRICS,
  xgboostProblemMessage,
} from '../../core/training/xgboost-hyperparameters.js';
import type { RawHyperparameters, XgboostValue } from '../../core/training/xgboost-hyperparameters.js';
import { HyperparameterValidationError } from './errors.js';
import { pythonFloatRepr } from './eval-log.js';

/** Hyperparameters as a training request carries them. */
export type { RawHyperparameters } from '../../core/training/xgboost-hyperparameters.js';

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

/** Recognised by SageMaker but not supported by the local trainer: refused as unknown, with the reason. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  _kfold: 'the local trainer does not offer k-fold cross-validation mode',
  _num_cv_round: 'the local trainer does not offer k-fold cross-validation mode',
  use_dask_gpu_training: 'GPU training is not available locally',
};

/**
 * Consumed by the training loop (or meaningless on CPU: the GPU switches, accepted so a cloud spec runs locally; the
 * SIGTERM switch, cloud-only behaviour; `prob_buffer_row`, which XGBoost 1.7 warns it does not use and ignores, in
 * the container too), never sent to XGBoost. The metrics are sent apart, last.
 */
const NOT_SENT: ReadonlySet<string> = new Set([
  'num_round',
  'early_stopping_rounds',
  'csv_weights',
  'single_precision_histogram',
  'deterministic_histogram',
  'save_model_on_termination',
  'prob_buffer_row',
  'eval_metric',
  '_tuning_objective_metric',
]);

/** Metrics XGBoost itself computes; the container computes the others in Python (`metrics/custom_metrics.py`, feval). */
const XGBOOST_NATIVE_METRICS: readonly string[] = [
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
];

/**
 * Metrics the container computes itself in Python (passed to `xgb.train` as `feval`), not XGBoost: the local trainer
 * does not offer them, so they are refused with a clear message rather than silently ignored.
 */
const CONTAINER_ONLY_METRICS: ReadonlySet<string> = new Set(
  [...XGBOOST_MAXIMIZE_METRICS, ...XGBOOST_MINIMIZE_METRICS].filter((metric) => !XGBOOST_NATIVE_METRICS.includes(metric)),
);

/** Names accepted by {@link parseHyperparameters}, aliases included. */
export const SUPPORTED_HYPERPARAMETERS: readonly string[] = XGBOOST_HYPERPARAMETER_NAMES.filter((name) => !(name in UNSUPPORTED));

/**
 * Validates SageMaker XGBoost hyperparameters for the local trainer and turns them into XGBoost parameters.
 * @throws HyperparameterValidationError listing every problem found (unknown names, bad types, bad ranges, what the
 *   local trainer does not offer)
 */
export function parseHyperparameters(raw: RawHyperparameters): XgboostTrainingConfig {
  const problems: string[] = [];
  const offered = Object.fromEntries(Object.entries(raw).filter(([name]) => !(name in UNSUPPORTED)));
  const check = checkXgboostHyperparameters(offered);
  const unknown = Object.keys(raw).filter((name) => name in UNSUPPORTED || check.unknown.includes(name));
  if (unknown.length > 0) {
    const reasons = unknown.map((name) => (UNSUPPORTED[name] ? `${name} (${UNSUPPORTED[name]})` : name));
    problems.push(
      `unknown hyperparameter${unknown.length > 1 ? 's' : ''}: ${reasons.join(', ')}; ` +
        `supported: ${SUPPORTED_HYPERPARAMETERS.join(', ')}`,
    );
  }
  problems.push(...check.problems.map(xgboostProblemMessage), ...localProblems(check.values));
  if (problems.length > 0) {
    throw new HyperparameterValidationError(`Invalid XGBoost hyperparameters: ${problems.join('; ')}`);
  }

  const { values } = check;
  // The container's train_utils.get_eval_metrics_and_feval: the tuning metric joins eval_metric, and when both
  // are set the union is sorted (its comment: the order must agree across hosts).
  const tuningMetrics = values.get('_tuning_objective_metric') as readonly string[] | undefined;
  const evalMetricList = (values.get('eval_metric') as readonly string[] | undefined) ?? [];
  let evalMetrics: readonly string[];
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
  for (const [name, value] of values) {
    if (!NOT_SENT.has(name)) params.push([name, formatValue(name, value)]);
  }
  // Python's _configure_metrics: every other parameter first, then one eval_metric per metric, then
  // `validate_parameters` (which `Booster.__init__` appends as Python's `True`).
  for (const metric of evalMetrics) params.push(['eval_metric', metric]);
  params.push(['validate_parameters', 'True']);

  const numClass = values.get('num_class') as number | undefined;
  return {
    numRound: values.get('num_round') as number,
    earlyStoppingRounds,
    earlyStoppingMetric,
    evalMetrics,
    // XGBoost 1.7 trains multi:softmax when num_class comes without an objective (the container lets that through).
    objective: (values.get('objective') as string | undefined) ?? (numClass === undefined ? XGBOOST_DEFAULT_OBJECTIVE : 'multi:softmax'),
    numClass,
    csvWeights: values.get('csv_weights') === 1,
    params,
  };
}

/** What SageMaker accepts and the local trainer cannot do. */
function localProblems(values: ReadonlyMap<string, XgboostValue>): string[] {
  const problems: string[] = [];
  const treeMethod = values.get('tree_method');
  if (typeof treeMethod === 'string' && treeMethod.includes('gpu')) {
    problems.push(`tree_method ${JSON.stringify(treeMethod)}: GPU training is not available locally (use hist)`);
  }
  const predictor = values.get('predictor');
  if (typeof predictor === 'string' && predictor.includes('gpu')) {
    problems.push(`predictor ${JSON.stringify(predictor)}: GPU prediction is not available locally`);
  }
  if (values.get('sampling_method') === 'gradient_based') {
    problems.push(
      'sampling_method "gradient_based": XGBoost offers it with tree_method gpu_hist only, and GPU training is not ' +
        'available locally (use uniform, the default)',
    );
  }
  if (values.get('objective') === 'survival:aft') {
    problems.push(
      'objective "survival:aft": it needs each row\'s label bounds (label_lower_bound, label_upper_bound), and the ' +
        'local trainer reads a single label column; use another objective for local runs',
    );
  }
  for (const name of ['eval_metric', '_tuning_objective_metric']) {
    const metrics = (values.get(name) as readonly string[] | undefined) ?? [];
    for (const metric of metrics.filter((m) => CONTAINER_ONLY_METRICS.has(m))) {
      problems.push(
        `${name} ${metric}: computed by SageMaker's container in Python (feval), not by XGBoost; ` +
          'not supported by the local trainer yet',
      );
    }
  }
  return problems;
}

/** Python's `str()` of the value, as `Booster.set_param` sends it (`1.0` for a float 1, lists comma-joined). */
function formatValue(name: string, value: XgboostValue): string {
  if (typeof value === 'number') return XGBOOST_HYPERPARAMETERS[name]?.kind === 'float' ? pythonFloatRepr(value) : String(value);
  if (typeof value === 'string') return value;
  return value.join(',');
}
