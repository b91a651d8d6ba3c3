import * as z from 'zod';
import type { GateDecision } from '../gate/gate.js';
import { decideGate } from '../gate/gate.js';
import type { Logger } from '../log/logger.js';
import type { SpecCatalog } from '../pipelines/spec-catalog.js';
import type { ModelRegistry } from '../ports/model-registry.js';
import { runContextSchema } from '../run/run-context.js';
import { parseStateInput } from '../run/state-input.js';
import type { Evaluation, TrainingProgress } from '../run/workflow-state.js';
import { featureProgressSchema, trainingProgressSchema } from '../run/workflow-state.js';
import { TrainingFailedError } from '../training/training-job.js';

/** What EvaluateModel needs. */
export interface EvaluateModelDeps {
  registry: ModelRegistry;
  specs: SpecCatalog;
  logger: Logger;
  /** The serving image of the algorithm (SageMaker's XGBoost 1.7-1 image for the region; a local tag locally). */
  modelImage: string;
}

const inputSchema = z.object({ run: runContextSchema, features: featureProgressSchema, training: trainingProgressSchema }).passthrough();

/** The candidate's metrics: the job's final metrics, plus the numbers of its own evaluation as `evaluation:<name>`. */
export function candidateMetrics(training: TrainingProgress): Record<string, number> {
  const metrics: Record<string, number> = { ...(training.metrics ?? {}) };
  for (const [name, value] of Object.entries(training.evaluation ?? {})) {
    // `rows` is how many rows were scored, not a quality of the model.
    if (name !== 'rows' && typeof value === 'number' && Number.isFinite(value)) metrics[`evaluation:${name}`] = value;
  }
  return metrics;
}

/**
 * EvaluateModel: registers the trained candidate and gates it against the production model. A rejected candidate
 * ends the run successfully, "not promoted", the production model still serving; a promoted one is approved only
 * after it is deployed and answers (PromoteModel).
 *
 * 1. Reads `$.run`, `$.features` and the completed `$.training`; a job without a model artifact fails the run with
 *    TrainingFailedError.
 * 2. Gathers the candidate's metrics: the job's final metrics and its own evaluation's numbers (`evaluation:<name>`).
 * 3. Registers the candidate, pending approval, with its metrics and lineage (run, trigger, data, query ids, jobs).
 * 4. Gates it against the production model with the spec's rule (no rule: never deployed).
 * 5. Marks a rejected candidate Rejected, with the reasons.
 * 6. Returns the decision, the candidate and the production model's metrics at `$.evaluation`.
 */
export async function evaluateModel(rawInput: unknown, deps: EvaluateModelDeps): Promise<Evaluation> {
  const { run, features, training } = parseStateInput('EvaluateModel', inputSchema, rawInput);
  const spec = deps.specs.get(run.pipeline);
  if (!training.modelArtifact) throw new TrainingFailedError(`Training job ${training.jobName} completed without a model artifact`);
  const metrics = candidateMetrics(training);
  const lineage: Record<string, string> = {
    runId: run.runId,
    trigger: run.trigger,
    data: run.objects.map((o) => `s3://${o.bucket}/${o.key}`).join(' ') || 'curated table as it was',
    trainQueryId: features.train.queryId,
    validationQueryId: features.validation.queryId,
    [training.mode === 'tune' ? 'tuningJob' : 'trainingJob']: training.jobName,
    ...(training.bestTrainingJobName ? { bestTrainingJob: training.bestTrainingJobName } : {}),
  };
  const candidate = await deps.registry.register({ pipeline: spec.name, runId: run.runId, modelArtifact: training.modelArtifact, image: deps.modelImage, metrics, lineage });
  const production = await deps.registry.production(spec.name);
  const rule = spec.gate;
  const decision: GateDecision = rule
    ? decideGate(rule, metrics, production?.metrics)
    : { promote: false, metric: '', candidate: null, production: null, reasons: ['the pipeline has no gate: models are registered, never deployed'] };
  if (!decision.promote) await deps.registry.decide(candidate, 'Rejected', decision.reasons.join('; '));
  deps.logger.info(decision.promote ? 'candidate promoted' : 'candidate not promoted', { version: candidate.version, reasons: decision.reasons });
  return {
    promote: decision.promote,
    decision,
    candidate: decision.promote ? candidate : { ...candidate, status: 'Rejected' },
    ...(production ? { production: { version: production.version, metrics: production.metrics } } : {}),
  };
}
