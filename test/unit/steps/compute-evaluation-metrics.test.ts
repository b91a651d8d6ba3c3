import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { S3ObjectStore } from '../../../aws/adapters/s3-object-store.js';
import type { EvaluationJobs } from '../../../core/evaluation/evaluation-state.js';
import { silentLogger } from '../../../core/log/logger.js';
import { folderSpecCatalog } from '../../../core/pipelines/spec-catalog.js';
import type { ModelInsights } from '../../../core/report/model-insights.js';
import type { RunContext } from '../../../core/run/run-context.js';
import { computeEvaluationMetrics } from '../../../core/steps/compute-evaluation-metrics.js';
import type { ComputeEvaluationMetricsDeps } from '../../../core/steps/compute-evaluation-metrics.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';

const s3 = mockClient(S3Client);

const BUCKET = 'sluice-dev-lake';
const ARTIFACT = `s3://${BUCKET}/models/churn/sluice-dev-churn-train-1/output/model.tar.gz`;
const INSIGHTS_KEY = 'models/churn/sluice-dev-churn-train-1/output/insights.json';

const run: RunContext = { runId: 'run-7', pipeline: 'churn', trigger: 'manual', objects: [], bucket: BUCKET, startedAt: '2026-11-30T00:00:00.000Z', plan: { features: true, training: 'train', deploy: true } };
const validation = { queryId: 'q1', location: `s3://${BUCKET}/features/churn/run-7/split=validation/`, state: 'SUCCEEDED' as const };
const features = {
  database: 'd', table: 'churn', attempt: 1, maxAttempts: 2, pollSeconds: 5, state: 'SUCCEEDED' as const, contentType: 'application/x-parquet',
  query: { ...validation, location: `s3://${BUCKET}/features/churn/run-7/` }, train: validation, validation,
};
const training = { mode: 'train' as const, jobName: 'sluice-dev-churn-train-1', attempt: 4, maxAttempts: 10, pollSeconds: 30, state: 'Completed' as const, modelArtifact: ARTIFACT, metrics: {} };

/** Completed jobs of the given roles, each with its `.out` under `transform-output/<role>/`. */
function jobsOf(...roles: ('production' | 'candidate')[]): EvaluationJobs {
  return {
    state: 'Completed', attempt: 1, maxAttempts: 5, pollSeconds: 30, redriveCount: 0,
    jobs: roles.map((role) => ({
      role, jobName: `sluice-dev-churn-evaluate-${role}-1`, ...(role === 'production' ? { version: 3 } : {}),
      modelArtifact: role === 'candidate' ? ARTIFACT : `s3://${BUCKET}/models/churn/job-3/output/model.tar.gz`, image: 'i',
      output: `s3://${BUCKET}/scoring/churn/evaluations/run-7/transform-output/${role}/`, state: 'Completed' as const,
    })),
  };
}

/** The transform's `label,probability` lines of a role, as S3 lists and returns them. */
function transformOutput(role: string, body: string): void {
  const key = `scoring/churn/evaluations/run-7/transform-output/${role}/validation.csv.gz.out`;
  s3.on(ListObjectsV2Command, { Prefix: `scoring/churn/evaluations/run-7/transform-output/${role}/` }).resolves({ Contents: [{ Key: key, Size: body.length, ETag: '"e"', LastModified: new Date() }] });
  s3.on(GetObjectCommand, { Key: key }).callsFake(() => ({ Body: Readable.from([Buffer.from(body)]) }));
}

/** The PutObject calls sent, by key. */
function puts(): { key: string | undefined; body: unknown; contentType: string | undefined }[] {
  return s3.commandCalls(PutObjectCommand).map((c) => ({ key: c.args[0].input.Key, body: c.args[0].input.Body, contentType: c.args[0].input.ContentType }));
}

describe('ComputeEvaluationMetrics', () => {
  let workDir: string;
  let deps: ComputeEvaluationMetricsDeps;
  beforeEach(async () => {
    s3.reset();
    s3.on(PutObjectCommand).resolves({});
    workDir = await mkdtemp(path.join(tmpdir(), 'sluice-evaluation-insights-'));
    deps = { store: new S3ObjectStore(new S3Client({})), specs: folderSpecCatalog(path.join(REPO_ROOT, 'pipelines')), logger: silentLogger, workDir };
  });
  afterEach(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  describe("the candidate's insights for the cloud run report", () => {
    it("puts the candidate's ROC and precision-recall points beside its artifact when its transform scored a binary model", async () => {
      // Prepare: scores 0.9 > 0.6 > 0.4 > 0.2 with labels 1, 0, 1, 0
      transformOutput('candidate', '1,0.9\n0,0.2\n1,0.4\n0,0.6\n');

      // Act
      const scored = await computeEvaluationMetrics({ run, features, training, evaluationJobs: jobsOf('candidate') }, deps);

      // Assess
      expect(scored.results?.candidate?.evaluation).toMatchObject({ kind: 'binary', rows: 4, auc: 0.75 });
      expect(puts().map((p) => [p.key, p.contentType])).toEqual([[INSIGHTS_KEY, 'application/json']]);
      expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input.Bucket).toBe(BUCKET);
      const insights = JSON.parse(String(puts()[0]?.body)) as ModelInsights;
      expect(insights).toEqual({
        kind: 'binary',
        rows: 4,
        roc: { x: [0, 0, 0.5, 0.5, 1], y: [0, 0.5, 0.5, 1, 1], threshold: [1, 0.9, 0.6, 0.4, 0.2] },
        precisionRecall: { x: [0, 0.5, 0.5, 1, 1], y: [1, 1, 0.5, 2 / 3, 0.5], threshold: [1, 0.9, 0.6, 0.4, 0.2] },
      });
    });

    it("writes no insights when only the production model's transform was read", async () => {
      // Prepare: the candidate has its own evaluation from its trainer (the local runtime's case)
      transformOutput('production', '1,0.9\n0,0.2\n');

      // Act
      const scored = await computeEvaluationMetrics({ run, features, training, evaluationJobs: jobsOf('production') }, deps);

      // Assess
      expect(scored.results?.production?.evaluation).toMatchObject({ kind: 'binary', rows: 2 });
      expect(puts()).toEqual([]);
    });

    it("writes the candidate's insights only when both models were scored", async () => {
      // Prepare
      transformOutput('production', '1,0.7\n0,0.3\n');
      transformOutput('candidate', '1,0.8\n0,0.1\n');

      // Act
      await computeEvaluationMetrics({ run, features, training, evaluationJobs: jobsOf('production', 'candidate') }, deps);

      // Assess: the candidate's points (0.8 then 0.1), not the production model's
      expect(puts().map((p) => p.key)).toEqual([INSIGHTS_KEY]);
      expect(JSON.parse(String(puts()[0]?.body))).toMatchObject({ roc: { threshold: [1, 0.8, 0.1] } });
    });
  });
});
