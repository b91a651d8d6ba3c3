import type { GateDecision, GateRule } from './gate.js';
import { decideGate } from './gate.js';

/**
 * Gate metrics whose number the model's own evaluation gives directly (`validation:auc` is `evaluation:auc`), and
 * the two error rates it gives as the complement of its accuracy (XGBoost's `error` and `merror` count wrong
 * predictions at the same 0.5 threshold and arg-max as the evaluation's accuracy). BlazingText's `validation:accuracy`
 * is "the classification accuracy on the user-specified validation dataset" (SageMaker developer guide, "Tune a
 * BlazingText Model", https://docs.aws.amazon.com/sagemaker/latest/dg/blazingtext-tuning.html): a text model's
 * `evaluation:accuracy` (core/text/classification-metrics.ts), so a production text model scored on the candidate's
 * set is compared on it.
 */
const SAME_NAME = new Set(['auc', 'logloss', 'mlogloss', 'rmse', 'mae', 'accuracy']);
const ERROR_RATES = new Set(['error', 'merror']);

/** A gate metric's number and where it comes from. */
export interface MetricReading {
  readonly value: number;
  /** `evaluation` (the served model, at its best iteration) or `job` (the training job's last round). */
  readonly source: 'evaluation' | 'job';
}

/**
 * The number of a gate metric for the model as it is served. A training job reports `validation:*` of its last
 * round, while the saved model is cut at its best iteration: the model's own evaluation (`evaluation:*`, scored with
 * the saved model) is what serves, so it wins when there is one; else the job's number is used.
 */
export function servedMetric(metric: string, metrics: Readonly<Record<string, number>>): MetricReading | undefined {
  const name = metric.startsWith('validation:') ? metric.slice('validation:'.length) : undefined;
  if (name !== undefined && SAME_NAME.has(name)) {
    const value = metrics[`evaluation:${name}`];
    if (value !== undefined && Number.isFinite(value)) return { value, source: 'evaluation' };
  }
  if (name !== undefined && ERROR_RATES.has(name)) {
    const accuracy = metrics['evaluation:accuracy'];
    if (accuracy !== undefined && Number.isFinite(accuracy)) return { value: 1 - accuracy, source: 'evaluation' };
  }
  const value = metrics[metric];
  return value === undefined ? undefined : { value, source: 'job' };
}

/** What the gate compares: the candidate's metrics and, when there is one, the production model's. */
export interface GateInputs {
  readonly candidateMetrics: Readonly<Record<string, number>>;
  readonly production?: {
    readonly version: number;
    /** The production model's metrics as registered by its own run (measured on that run's validation set). */
    readonly registeredMetrics: Readonly<Record<string, number>>;
    /** Its own evaluation on the candidate's validation set (`evaluation:*`), when it could be scored on it. */
    readonly onCandidateSet?: Readonly<Record<string, number>>;
    /** Why it was not scored on the candidate's set, said in the decision's reasons. */
    readonly notScoredBecause?: string;
  };
}

/**
 * Gates the candidate on what is served, against the production model on the same validation set:
 * 1. reads the gate metric of each model as served ({@link servedMetric});
 * 2. compares the candidate with the production model scored on the candidate's validation set when it was, else
 *    with the production model's registered number (measured on another set), and says which in the reasons;
 * 3. decides with {@link decideGate}'s rule.
 */
export function gateOnServedModels(rule: GateRule, inputs: GateInputs): GateDecision {
  const candidate = servedMetric(rule.metric, inputs.candidateMetrics);
  const candidateMetrics = candidate === undefined ? inputs.candidateMetrics : { ...inputs.candidateMetrics, [rule.metric]: candidate.value };
  const production = inputs.production;
  const sameSet = production?.onCandidateSet === undefined ? undefined : servedMetric(rule.metric, production.onCandidateSet);
  const registered = production === undefined ? undefined : servedMetric(rule.metric, production.registeredMetrics);
  const productionReading = sameSet ?? registered;
  const productionMetrics =
    production === undefined ? undefined : productionReading === undefined ? {} : { [rule.metric]: productionReading.value };
  const decision = decideGate(rule, candidateMetrics, productionMetrics);
  const notes: string[] = [];
  if (candidate?.source === 'evaluation') notes.push(`${rule.metric} is the served model's own evaluation at its best iteration`);
  if (production !== undefined && sameSet !== undefined) {
    const own = registered === undefined ? '' : ` (${format(registered.value)} on its own run's validation set)`;
    notes.push(`production version ${production.version} was scored on this run's validation set: ${rule.metric} ${format(sameSet.value)}${own}`);
  } else if (production !== undefined && registered !== undefined) {
    notes.push(
      `production version ${production.version}'s ${rule.metric} ${format(registered.value)} was measured on its own run's validation set, ` +
        `not this run's: ${production.notScoredBecause ?? 'it was not scored on this run\'s set'}`,
    );
  }
  return { ...decision, reasons: [...decision.reasons, ...notes] };
}

function format(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
}
