import * as z from 'zod';
import type { EvaluationJobs } from '../evaluation/evaluation-state.js';
import { evaluationJobsSchema } from '../evaluation/evaluation-state.js';
import { featureColumnNames, readFeatureQuery } from '../features/feature-sql.js';
import type { GateDecision } from '../gate/gate.js';
import type { GateInputs } from '../gate/served-gate.js';
import { gateOnServedModels } from '../gate/served-gate.js';
import { applyQualityGate } from '../gate/quality-gate.js';
import type { Logger } from '../log/logger.js';
import type { SpecCatalog } from '../pipelines/spec-catalog.js';
import type { PipelineSpec } from '../spec/load-spec.js';
import type { MetricsDeps } from '../ports/metrics.js';
import { METRIC_NAMES, noMetrics } from '../ports/metrics.js';
import type { ModelRegistry, ModelVersion } from '../ports/model-registry.js';
import type { ObjectStore } from '../ports/object-store.js';
import { adoptTrainingProfile, recordTrainingQuality } from '../quality/training-quality.js';
import type { TrainingAlgorithm } from '../ports/trainer.js';
import { runContextSchema } from '../run/run-context.js';
import { parseStateInput } from '../run/state-input.js';
import type { Evaluation, TrainingProgress } from '../run/workflow-state.js';
import { featureProgressSchema, trainingProgressSchema } from '../run/workflow-state.js';
import { TrainingFailedError } from '../training/training-job.js';

/** What EvaluateModel needs. */
export interface EvaluateModelDeps extends MetricsDeps {
  registry: ModelRegistry;
  specs: SpecCatalog;
  logger: Logger;
  /** The serving image of the algorithm (SageMaker's XGBoost 1.7-1 image for the region; a local tag locally). */
  modelImage: string;
  /**
   * The serving image of each algorithm, when the runtime has more than one (AWS: XGBoost's or BlazingText's image for
   * the region); absent, {@link modelImage} serves every algorithm.
   */
  modelImageFor?: (algorithm: TrainingAlgorithm) => string;
  /**
   * The lake, to record the training set's profile and bias metrics with the version and to read this run's data-quality
   * findings (core/quality/training-quality.ts); absent, the model is registered without them.
   */
  store?: ObjectStore;
}

/** Said in the decision, the log and the registry when a candidate passes the gate of a pipeline that deploys nothing. */
export const APPROVED_NOT_DEPLOYED = 'approved, not deployed: the pipeline has no deployment section, so no endpoint serves it';

const inputSchema = z
  .object({ run: runContextSchema, features: featureProgressSchema, training: trainingProgressSchema, evaluationJobs: evaluationJobsSchema.optional() })
  .passthrough();

/** The candidate's metrics: the job's final metrics, plus the numbers of its own evaluation as `evaluation:<name>`. */
export function candidateMetrics(training: TrainingProgress): Record<string, number> {
  return { ...(training.metrics ?? {}), ...evaluationNumbers(training.evaluation ?? {}) };
}

/** The numbers of a full evaluation keyed `evaluation:<name>`, as the gate compares them (confusion matrices left out). */
export function evaluationNumbers(evaluation: Readonly<Record<string, unknown>>): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const [name, value] of Object.entries(evaluation)) {
    // `rows` is how many rows were scored, not a quality of the model.
    if (name !== 'rows' && typeof value === 'number' && Number.isFinite(value)) metrics[`evaluation:${name}`] = value;
  }
  return metrics;
}

/**
 * The production model's numbers on the candidate's set, from ComputeEvaluationMetrics, or why there are none. A
 * production version other than the one the transform scored (one promoted meanwhile) is not compared on them.
 */
function productionOnCandidateSet(jobs: EvaluationJobs | undefined, version: number): { onCandidateSet: Record<string, number> } | { notScoredBecause: string } {
  const scored = jobs?.results?.production;
  if (scored?.version === version) return { onCandidateSet: evaluationNumbers(scored.evaluation) };
  if (scored) return { notScoredBecause: `the evaluation transform scored version ${scored.version ?? '?'}, not the production version ${version}` };
  return { notScoredBecause: `it could not be scored on this run's set (${jobs?.reason ?? 'no evaluation transform ran'})` };
}

/** Lineage keys of the feature query's column names: the label's, and the model's features in order (comma-joined). */
export const LABEL_LINEAGE_KEY = 'label';
/** See {@link LABEL_LINEAGE_KEY}. */
export const FEATURES_LINEAGE_KEY = 'features';

/**
 * The label's and the features' names, from the feature query's SELECT list, so that `sluice predict` can find a
 * file's columns by header name. `*` stands for the table's columns: the contract's, then the partition columns.
 */
function featureLineage(spec: PipelineSpec, table: string, logger: Logger): Record<string, string> {
  try {
    const partitions = ['ingest_date', ...spec.partitioning.columns];
    const tableColumns = [...spec.contract.columns.map((c) => c.name).filter((n) => !partitions.includes(n)), ...partitions];
    const [label, ...names] = featureColumnNames(readFeatureQuery(spec, table), tableColumns);
    if (label === undefined || names.length === 0) return {};
    return { [LABEL_LINEAGE_KEY]: label, [FEATURES_LINEAGE_KEY]: names.join(',') };
  } catch (error) {
    // The query ran already; its names are a convenience for predict, not a reason to fail the run.
    logger.warn('feature names not recorded', { reason: error instanceof Error ? error.message : String(error) });
    return {};
  }
}

/**
 * EvaluateModel: registers the trained candidate and gates it against the production model. A rejected candidate
 * ends the run successfully, "not promoted", the production model still serving; a promoted one is approved only
 * after it is deployed and answers (PromoteModel); one that passes the gate of a pipeline without a `deployment`
 * section is approved here, "approved, not deployed".
 *
 * 1. Reads `$.run`, `$.features` and the completed `$.training`; a job without a model artifact fails the run with
 *    TrainingFailedError.
 * 2. Gathers the candidate's metrics: the job's final metrics and the numbers (`evaluation:<name>`) of its full
 *    evaluation: its trainer's own (locally), or ComputeEvaluationMetrics' from a Batch Transform (`$.evaluationJobs`).
 * 3. Registers the candidate, pending approval, with its metrics and lineage (run, trigger, data, query ids, jobs, and
 *    the label's and features' names from the feature query).
 * 4. Takes the production model's full evaluation on the candidate's validation set from `$.evaluationJobs`
 *    (StartEvaluationTransform … ComputeEvaluationMetrics scored it with Batch Transform in both runtimes).
 * 5. Gates the candidate on what is served against the production model on the same rows (or its registered
 *    numbers, said in the reasons), with the spec's rule (no rule: never deployed).
 * 6. Marks a rejected candidate Rejected, and approves a passing one at once when the pipeline deploys nothing.
 * 7. Returns the decision, the candidate and the production model's metrics at `$.evaluation`; the production
 *    model's numbers on the candidate's set are its metrics prefixed `candidateSet:`.
 */
export async function evaluateModel(rawInput: unknown, deps: EvaluateModelDeps): Promise<Evaluation> {
  const { run, features, training: trained, evaluationJobs } = parseStateInput('EvaluateModel', inputSchema, rawInput);
  const spec = deps.specs.get(run.pipeline);
  if (!trained.modelArtifact) throw new TrainingFailedError(`Training job ${trained.jobName} completed without a model artifact`);
  // The candidate's full evaluation: its trainer's own, else the one computed from its Batch Transform.
  const scoredCandidate = evaluationJobs?.results?.candidate?.evaluation;
  const training: TrainingProgress = trained.evaluation === undefined && scoredCandidate ? { ...trained, evaluation: scoredCandidate } : trained;
  const metrics = candidateMetrics(training);
  const lineage: Record<string, string> = {
    runId: run.runId,
    trigger: run.trigger,
    data: run.objects.map((o) => `s3://${o.bucket}/${o.key}`).join(' ') || 'curated table as it was',
    trainQueryId: features.train.queryId,
    validationQueryId: features.validation.queryId,
    [training.mode === 'tune' ? 'tuningJob' : 'trainingJob']: training.jobName,
    ...(training.bestTrainingJobName ? { bestTrainingJob: training.bestTrainingJobName } : {}),
    ...featureLineage(spec, features.table, deps.logger),
  };
  const algorithm = spec.training?.algorithm ?? 'xgboost';
  const image = deps.modelImageFor?.(algorithm) ?? deps.modelImage;
  const quality = deps.store ? await recordTrainingQuality(deps.store, run.bucket, spec, run.runId) : undefined;
  const candidate = await deps.registry.register({
    pipeline: spec.name,
    runId: run.runId,
    modelArtifact: trained.modelArtifact,
    image,
    metrics: { ...metrics, ...quality?.metrics },
    lineage: { ...lineage, ...quality?.lineage },
    algorithm,
    ...(training.evaluation ? { evaluation: { ...training.evaluation } } : {}),
  });
  const production = await deps.registry.production(spec.name);
  const rule = spec.gate;
  const scored = production ? productionOnCandidateSet(evaluationJobs, production.version) : undefined;
  const onCandidateSet = scored && 'onCandidateSet' in scored ? scored.onCandidateSet : undefined;
  if (rule && production && scored && 'notScoredBecause' in scored) {
    deps.logger.warn('production model not scored on the candidate\'s validation set', { version: production.version, reason: scored.notScoredBecause });
  }
  const inputs: GateInputs = {
    candidateMetrics: metrics,
    ...(production && scored ? { production: { version: production.version, registeredMetrics: production.metrics, ...scored } } : {}),
  };
  const ruled: GateDecision = rule
    ? gateOnServedModels(rule, inputs)
    : { promote: false, metric: '', candidate: null, production: null, reasons: ['the pipeline has no gate: models are registered, never deployed'] };
  // Data quality can only hold a candidate back: a blocking violation or a bias metric beyond its threshold.
  const gated = applyQualityGate(ruled, quality?.blocking ?? []);
  // The promoted model's training data becomes the drift baseline of later ingests.
  if (gated.promote && deps.store) await adoptTrainingProfile(deps.store, run.bucket, spec.name, run.runId);
  const approveHere = gated.promote && !run.plan.deploy;
  const decision: GateDecision = approveHere ? { ...gated, reasons: [...gated.reasons, APPROVED_NOT_DEPLOYED] } : gated;
  // A promoted candidate waits for PromoteModel (after it is deployed and answers); the others are decided here.
  const decided: 'Approved' | 'Rejected' | undefined = !decision.promote ? 'Rejected' : approveHere ? 'Approved' : undefined;
  if (decided) await deps.registry.decide(candidate, decided, decision.reasons.join('; '));
  const status: ModelVersion['status'] = decided ?? candidate.status;
  const outcome = !decision.promote ? 'candidate not promoted' : approveHere ? 'candidate approved, not deployed' : 'candidate promoted';
  deps.logger.info(outcome, { version: candidate.version, reasons: decision.reasons });
  recordGate(deps.metrics ?? noMetrics, spec.name, decision);
  const productionMetrics = production
    ? { ...production.metrics, ...Object.fromEntries(Object.entries(onCandidateSet ?? {}).map(([k, v]) => [`candidateSet:${k}`, v])) }
    : undefined;
  return {
    promote: decision.promote,
    decision,
    candidate: { ...candidate, status },
    ...(production && productionMetrics ? { production: { version: production.version, metrics: productionMetrics } } : {}),
  };
}

/** The gate's metric for the candidate and the production model (the dashboard's model-over-time graph), and its verdict. */
function recordGate(metrics: NonNullable<MetricsDeps['metrics']>, pipeline: string, decision: GateDecision): void {
  if (decision.metric !== '') {
    if (decision.candidate !== null) metrics.record(METRIC_NAMES.modelMetric, 'None', decision.candidate, { pipeline, metric: decision.metric, model: 'candidate' });
    if (decision.production !== null) metrics.record(METRIC_NAMES.modelMetric, 'None', decision.production, { pipeline, metric: decision.metric, model: 'production' });
  }
  metrics.record(decision.promote ? METRIC_NAMES.promoted : METRIC_NAMES.rejected, 'Count', 1, { pipeline });
}
