import path from 'node:path';
import type { EvaluationJobs } from '../../../core/evaluation/evaluation-state.js';
import { silentLogger } from '../../../core/log/logger.js';
import { folderSpecCatalog } from '../../../core/pipelines/spec-catalog.js';
import type { Candidate, ModelRegistry, ModelVersion } from '../../../core/ports/model-registry.js';
import type { RunContext } from '../../../core/run/run-context.js';
import { APPROVED_NOT_DEPLOYED, evaluateModel } from '../../../core/steps/evaluate-model.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';

const run: RunContext = { runId: 'run-5', pipeline: 'churn', trigger: 'manual', objects: [], bucket: 'lake', startedAt: '2026-11-21T00:00:00.000Z', plan: { features: true, training: 'train', deploy: true } };
const features = {
  database: 'd', table: 'churn', attempt: 1, maxAttempts: 2, pollSeconds: 5, state: 'SUCCEEDED' as const,
  query: { queryId: 'q1', location: 's3://lake/features/churn/run-5/', state: 'SUCCEEDED' as const },
  contentType: 'application/x-parquet',
  train: { queryId: 'q1', location: 's3://lake/features/churn/run-5/split=train/', state: 'SUCCEEDED' as const },
  validation: { queryId: 'q1', location: 's3://lake/features/churn/run-5/split=validation/', state: 'SUCCEEDED' as const },
};
/** A job whose last round scored 0.80 while the saved model, cut at its best iteration, scores 0.86. */
const training = {
  mode: 'train' as const, jobName: 'job-5', attempt: 3, maxAttempts: 10, pollSeconds: 30, state: 'Completed' as const,
  modelArtifact: 's3://lake/models/churn/job-5/output/model.tar.gz',
  metrics: { 'validation:auc': 0.8 },
  evaluation: { auc: 0.86, rows: 1400, logloss: 0.4 },
};
const production: ModelVersion = {
  pipeline: 'churn', version: 4, id: 'local:churn/4', modelArtifact: 's3://lake/models/churn/job-4/output/model.tar.gz', image: 'img',
  metrics: { 'validation:auc': 0.9, 'evaluation:auc': 0.9 }, status: 'Approved', runId: 'run-4', createdAt: '2026-11-20T00:00:00.000Z', lineage: {},
};

/** A registry that records registrations and decisions. */
function recordingRegistry(current: ModelVersion | undefined) {
  const decisions: { version: number; status: string; reason: string }[] = [];
  const registered: Candidate[] = [];
  const registry: ModelRegistry = {
    register: async (candidate) => {
      registered.push(candidate);
      return { ...candidate, version: 5, id: 'local:churn/5', status: 'PendingManualApproval', createdAt: '2026-11-21T00:00:00.000Z' };
    },
    production: async () => current,
    decide: async (version, status, reason) => {
      decisions.push({ version: version.version, status, reason });
    },
  };
  return { registry, decisions, registered };
}

function depsWith(registry: ModelRegistry) {
  return { registry, specs: folderSpecCatalog(path.join(REPO_ROOT, 'pipelines')), logger: silentLogger, modelImage: 'img' };
}

/** ComputeEvaluationMetrics' result: the given models' full evaluations on this run's validation set. */
function scoredJobs(results: EvaluationJobs['results']): EvaluationJobs {
  return { state: 'Scored', jobs: [], attempt: 1, maxAttempts: 10, pollSeconds: 30, redriveCount: 0, results };
}

describe('evaluateModel', () => {
  describe('the production model scored on the candidate\'s validation set', () => {
    it('gates on the same set and records both numbers when the evaluation transform scored production', async () => {
      // Prepare: production scored 0.90 on its own set, but 0.85 on this run's
      const { registry } = recordingRegistry(production);
      const evaluationJobs = scoredJobs({ production: { version: 4, evaluation: { kind: 'binary', auc: 0.85, rows: 1400, confusionMatrix: { truePositives: 1 } } } });

      // Act
      const evaluation = await evaluateModel({ run, features, training, evaluationJobs }, depsWith(registry));

      // Assess
      expect(evaluation.decision).toMatchObject({ promote: true, metric: 'validation:auc', candidate: 0.86, production: 0.85 });
      expect(evaluation.decision.reasons).toContain("production version 4 was scored on this run's validation set: validation:auc 0.85 (0.9 on its own run's validation set)");
      expect(evaluation.production?.metrics).toEqual({ 'validation:auc': 0.9, 'evaluation:auc': 0.9, 'candidateSet:evaluation:auc': 0.85 });
    });

    it('gates on the registered numbers and says why when no evaluation transform ran', async () => {
      // Prepare
      const { registry } = recordingRegistry(production);

      // Act
      const evaluation = await evaluateModel({ run, features, training }, depsWith(registry));

      // Assess
      expect(evaluation.decision).toMatchObject({ promote: false, candidate: 0.86, production: 0.9 });
      expect(evaluation.decision.reasons.at(-1)).toBe(
        "production version 4's validation:auc 0.9 was measured on its own run's validation set, not this run's: it could not be scored on this run's set (no evaluation transform ran)",
      );
    });

    it('does not compare on the set when the transform scored another version than the production one', async () => {
      // Prepare: version 3 was scored, version 4 was promoted meanwhile
      const { registry } = recordingRegistry(production);
      const evaluationJobs = scoredJobs({ production: { version: 3, evaluation: { auc: 0.5 } } });

      // Act
      const evaluation = await evaluateModel({ run, features, training, evaluationJobs }, depsWith(registry));

      // Assess
      expect(evaluation.decision).toMatchObject({ candidate: 0.86, production: 0.9 });
      expect(evaluation.production?.metrics).not.toHaveProperty('candidateSet:evaluation:auc');
      expect(evaluation.decision.reasons.at(-1)).toContain('the evaluation transform scored version 3, not the production version 4');
    });
  });

  describe('a candidate without an evaluation of its own (SageMaker training)', () => {
    it('registers and gates the full evaluation ComputeEvaluationMetrics computed when the trainer gave none', async () => {
      // Prepare: only the container's final metric, and the transform's full binary set
      const { registry, registered } = recordingRegistry(undefined);
      const { evaluation: _own, ...cloudTraining } = training;
      const full = { kind: 'binary', rows: 1400, auc: 0.87, logloss: 0.3, precision: 0.7, recall: 0.6, specificity: 0.9, f1: 0.65, accuracy: 0.8, confusionMatrix: { truePositives: 1, falsePositives: 2, trueNegatives: 3, falseNegatives: 4 } };

      // Act
      const evaluation = await evaluateModel({ run, features, training: cloudTraining, evaluationJobs: scoredJobs({ candidate: { evaluation: full } }) }, depsWith(registry));

      // Assess
      expect(evaluation.decision.candidate).toBe(0.87);
      expect(registered[0]?.evaluation).toEqual(full);
      expect(registered[0]?.metrics).toMatchObject({ 'validation:auc': 0.8, 'evaluation:auc': 0.87, 'evaluation:specificity': 0.9, 'evaluation:f1': 0.65 });
      expect(registered[0]?.metrics).not.toHaveProperty('evaluation:rows');
    });
  });

  describe('what is served', () => {
    it("gates on the model's own evaluation at its best iteration when the job's last round scored less", async () => {
      // Prepare: the last round's 0.80 would pass the minimum 0.75 too, but the number gated must be 0.86
      const { registry } = recordingRegistry(undefined);

      // Act
      const evaluation = await evaluateModel({ run, features, training }, depsWith(registry));

      // Assess
      expect(evaluation.decision.candidate).toBe(0.86);
      expect(evaluation.decision.reasons).toContain("validation:auc is the served model's own evaluation at its best iteration");
    });
  });

  describe('a pipeline without a deployment section', () => {
    it('approves a passing candidate in the registry as "approved, not deployed" when the run deploys nothing', async () => {
      // Prepare
      const { registry, decisions } = recordingRegistry(undefined);

      // Act
      const evaluation = await evaluateModel({ run: { ...run, plan: { ...run.plan, deploy: false } }, features, training }, depsWith(registry));

      // Assess
      expect(evaluation.promote).toBe(true);
      expect(evaluation.candidate.status).toBe('Approved');
      expect(evaluation.decision.reasons.at(-1)).toBe(APPROVED_NOT_DEPLOYED);
      expect(decisions).toEqual([{ version: 5, status: 'Approved', reason: expect.stringContaining(APPROVED_NOT_DEPLOYED) }]);
    });

    it('leaves a passing candidate pending for PromoteModel when the run deploys', async () => {
      // Prepare
      const { registry, decisions } = recordingRegistry(undefined);

      // Act
      const evaluation = await evaluateModel({ run, features, training }, depsWith(registry));

      // Assess
      expect(evaluation.candidate.status).toBe('PendingManualApproval');
      expect(decisions).toEqual([]);
    });
  });

  describe('feature names', () => {
    it("registers the label's and the features' names from the feature query when it registers the candidate", async () => {
      // Prepare
      const { registry, registered } = recordingRegistry(undefined);

      // Act
      await evaluateModel({ run, features, training }, depsWith(registry));

      // Assess
      expect(registered[0]?.lineage['label']).toBe('label');
      expect(registered[0]?.lineage['features']?.split(',').slice(0, 3)).toEqual(['female', 'senior_citizen', 'partner']);
    });
  });
});
