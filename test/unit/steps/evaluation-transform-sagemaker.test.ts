import { CreateModelCommand, CreateTransformJobCommand, DescribeTransformJobCommand, SageMakerClient, StopTransformJobCommand } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { SageMakerTransform } from '../../../aws/adapters/sagemaker-transform.js';
import { openDuckDb } from '../../../core/duckdb/open-duckdb.js';
import type { EvaluationTransformDeps } from '../../../core/evaluation/evaluation-jobs.js';
import type { EvaluationJobs } from '../../../core/evaluation/evaluation-state.js';
import { silentLogger } from '../../../core/log/logger.js';
import { folderSpecCatalog } from '../../../core/pipelines/spec-catalog.js';
import type { ModelRegistry, ModelVersion } from '../../../core/ports/model-registry.js';
import type { RunContext } from '../../../core/run/run-context.js';
import { computeEvaluationMetrics } from '../../../core/steps/compute-evaluation-metrics.js';
import { describeEvaluationTransform } from '../../../core/steps/describe-evaluation-transform.js';
import { startEvaluationTransform } from '../../../core/steps/start-evaluation-transform.js';
import { BatchTransformFailedError } from '../../../core/scoring/batch-transform.js';
import { FolderObjectStore } from '../../../local/adapters/folder-object-store.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';

const sagemaker = mockClient(SageMakerClient);

const ROLE = 'arn:aws:iam::123456789012:role/sluice-dev-model';
const XGBOOST_IMAGE = '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1';
const BLAZINGTEXT_IMAGE = '685385470294.dkr.ecr.eu-west-1.amazonaws.com/blazingtext:1';
const BUCKET = 'sluice-dev-lake';

function runOf(pipeline: string): RunContext {
  return { runId: 'run-7', pipeline, trigger: 'manual', objects: [], bucket: BUCKET, startedAt: '2026-11-30T00:00:00.000Z', plan: { features: true, training: 'train', deploy: true } };
}

function featuresOf(pipeline: string, contentType: string) {
  const set = (split: string) => ({ queryId: 'q1', location: `s3://${BUCKET}/features/${pipeline}/run-7/split=${split}/`, state: 'SUCCEEDED' as const });
  return {
    database: 'd', table: pipeline, attempt: 1, maxAttempts: 2, pollSeconds: 5, state: 'SUCCEEDED' as const, contentType,
    query: { queryId: 'q1', location: `s3://${BUCKET}/features/${pipeline}/run-7/`, state: 'SUCCEEDED' as const },
    train: set('train'),
    validation: set('validation'),
  };
}

/** A SageMaker training job's result: final metrics only, no evaluation of its own. */
function cloudTraining(pipeline: string) {
  return {
    mode: 'train' as const, jobName: `sluice-dev-${pipeline}-train-0123456789abcdef`, attempt: 4, maxAttempts: 10, pollSeconds: 30, state: 'Completed' as const,
    modelArtifact: `s3://${BUCKET}/models/${pipeline}/sluice-dev-${pipeline}-train-0123456789abcdef/output/model.tar.gz`,
    metrics: { 'validation:auc': 0.8 },
  };
}

function productionOf(pipeline: string, image: string): ModelVersion {
  return {
    pipeline, version: 3, id: `arn:aws:sagemaker:eu-west-1:123456789012:model-package/sluice-dev-${pipeline}/3`,
    modelArtifact: `s3://${BUCKET}/models/${pipeline}/job-3/output/model.tar.gz`, image,
    metrics: {}, status: 'Approved', runId: 'run-3', createdAt: '2026-11-29T00:00:00.000Z', lineage: {},
  };
}

async function depsOf(lake: string, production: ModelVersion | undefined): Promise<EvaluationTransformDeps> {
  const registry: ModelRegistry = { register: () => Promise.reject(new Error('not called')), production: () => Promise.resolve(production), decide: () => Promise.resolve() };
  return {
    registry,
    batchScorer: new SageMakerTransform(new SageMakerClient({}), ROLE),
    store: new FolderObjectStore(lake),
    specs: folderSpecCatalog(path.join(REPO_ROOT, 'pipelines')),
    logger: silentLogger,
    jobPrefix: 'sluice-dev-',
    modelImage: XGBOOST_IMAGE,
    modelImageFor: (algorithm) => (algorithm === 'blazingtext' ? BLAZINGTEXT_IMAGE : XGBOOST_IMAGE),
    workDir: path.join(lake, '.work'),
    duckdb: { threads: 1, memoryLimit: '256MB' },
  };
}

/** Every CreateTransformJob input sent, without its tags. */
function transformJobs() {
  return sagemaker.commandCalls(CreateTransformJobCommand).map((c) => c.args[0].input);
}

describe('the evaluation transform on SageMaker', () => {
  let lake: string;
  beforeEach(async () => {
    sagemaker.reset();
    sagemaker.on(CreateModelCommand).resolves({}).on(CreateTransformJobCommand).resolves({ TransformJobArn: 'arn' });
    lake = await mkdtemp(path.join(tmpdir(), 'sluice-evaluation-'));
  });

  describe('an XGBoost pipeline with a production model', () => {
    it("scores the candidate's validation set as header-less gzip CSV, label first, with both models when the job has no evaluation", async () => {
      // Prepare: a Parquet validation channel, label first, one NULL
      const dir = path.join(lake, BUCKET, 'features/churn/run-7/split=validation');
      await mkdir(dir, { recursive: true });
      const session = await openDuckDb({ threads: 1, memoryLimit: '256MB', tempDirectory: path.join(lake, 'spill') });
      try {
        await session.connection.run(`COPY (SELECT label::INTEGER AS label, f1::DOUBLE AS f1, f2::DOUBLE AS f2 FROM (VALUES (1, 0.5, 2.0), (0, 0.25, NULL)) t(label, f1, f2)) TO '${dir}/part-0.parquet' (FORMAT parquet)`);
      } finally {
        session.close();
      }
      const deps = await depsOf(lake, productionOf('churn', XGBOOST_IMAGE));

      // Act
      const jobs = await startEvaluationTransform({ run: runOf('churn'), features: featuresOf('churn', 'application/x-parquet'), training: cloudTraining('churn'), nonce: 'n1', redriveCount: 0 }, deps);

      // Assess
      const prefix = `s3://${BUCKET}/scoring/churn/evaluations/run-7/`;
      expect(jobs).toMatchObject({ state: 'InProgress', input: `${prefix}transform-input/`, rows: 2, redriveCount: 0 });
      expect(jobs.jobs.map((j) => [j.role, j.version, j.image])).toEqual([['production', 3, XGBOOST_IMAGE], ['candidate', undefined, XGBOOST_IMAGE]]);
      const csv = gunzipSync(await readFile(path.join(lake, BUCKET, 'scoring/churn/evaluations/run-7/transform-input/validation.csv.gz'))).toString('utf8');
      expect(csv).toBe('1,0.5,2.0\n0,0.25,\n');
      const [production, candidate] = jobs.jobs;
      expect(sagemaker.commandCalls(CreateModelCommand).map((c) => [c.args[0].input.ModelName, c.args[0].input.PrimaryContainer?.ModelDataUrl])).toEqual([
        [production?.jobName, `s3://${BUCKET}/models/churn/job-3/output/model.tar.gz`],
        [candidate?.jobName, cloudTraining('churn').modelArtifact],
      ]);
      const expected = (jobName: string | undefined, role: string) => ({
        TransformJobName: jobName,
        ModelName: jobName,
        BatchStrategy: 'MultiRecord',
        TransformInput: {
          DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `${prefix}transform-input/` } },
          ContentType: 'text/csv',
          CompressionType: 'Gzip',
          SplitType: 'Line',
        },
        TransformOutput: { S3OutputPath: `${prefix}transform-output/${role}/`, Accept: 'text/csv', AssembleWith: 'Line' },
        TransformResources: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1 },
        DataProcessing: { InputFilter: '$[1:]', JoinSource: 'Input', OutputFilter: '$[0,-1]' },
        Tags: [{ Key: 'sluice:pipeline', Value: 'churn' }, { Key: 'sluice:run', Value: 'run-7' }],
      });
      expect(transformJobs()).toEqual([expected(production?.jobName, 'production'), expected(candidate?.jobName, 'candidate')]);
      expect(production?.jobName).toMatch(/^sluice-dev-churn-evaluate-production-[0-9a-f]{16}$/);
    });
  });

  describe('a BlazingText pipeline with a production model', () => {
    it('scores JSON Lines records whose features the model sees and whose true label the output keeps when started', async () => {
      // Prepare: the merged validation channel of a text pipeline
      const dir = path.join(lake, BUCKET, 'features/reviews/run-7/split=validation');
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, 'data.txt'), '__label__great loved "it"\n__label__other meh\n');
      const deps = await depsOf(lake, productionOf('reviews', BLAZINGTEXT_IMAGE));

      // Act
      const jobs = await startEvaluationTransform({ run: runOf('reviews'), features: featuresOf('reviews', 'text/plain'), training: cloudTraining('reviews'), nonce: 'n1', redriveCount: 0 }, deps);

      // Assess
      const lines = gunzipSync(await readFile(path.join(lake, BUCKET, 'scoring/reviews/evaluations/run-7/transform-input/validation.jsonl.gz'))).toString('utf8');
      expect(lines).toBe('{"label":"__label__great","features":{"source":"loved \\"it\\""}}\n{"label":"__label__other","features":{"source":"meh"}}\n');
      expect(jobs.jobs.map((j) => j.image)).toEqual([BLAZINGTEXT_IMAGE, BLAZINGTEXT_IMAGE]);
      expect(transformJobs().map((input) => [input.TransformInput, input.TransformOutput, input.TransformResources, input.DataProcessing])).toEqual(
        ['production', 'candidate'].map((role) => [
          {
            DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${BUCKET}/scoring/reviews/evaluations/run-7/transform-input/` } },
            ContentType: 'application/jsonlines',
            CompressionType: 'Gzip',
            SplitType: 'Line',
          },
          { S3OutputPath: `s3://${BUCKET}/scoring/reviews/evaluations/run-7/transform-output/${role}/`, Accept: 'application/jsonlines', AssembleWith: 'Line' },
          { InstanceType: 'ml.c5.xlarge', InstanceCount: 1 },
          { InputFilter: '$.features', JoinSource: 'Input', OutputFilter: "$['label','SageMakerOutput']" },
        ]),
      );
    });
  });

  describe('nothing to score', () => {
    it('starts no job and skips when there is no production model and the candidate has its own evaluation', async () => {
      // Prepare
      const deps = await depsOf(lake, undefined);
      const training = { ...cloudTraining('churn'), evaluation: { kind: 'binary', auc: 0.9 } };

      // Act
      const jobs = await startEvaluationTransform({ run: runOf('churn'), features: featuresOf('churn', 'application/x-parquet'), training, nonce: 'n1', redriveCount: 0 }, deps);

      // Assess
      expect(jobs).toMatchObject({ state: 'Skipped', jobs: [], reason: 'no production model yet; the candidate has its own evaluation from its trainer' });
      expect(sagemaker.calls()).toEqual([]);
    });
  });

  describe('polling and reading the outputs', () => {
    const jobOf = (role: 'production' | 'candidate', state: 'InProgress' | 'Completed') => ({
      role, jobName: `sluice-dev-churn-evaluate-${role}-1`, ...(role === 'production' ? { version: 3 } : {}), modelArtifact: 'a', image: 'i',
      output: `s3://${BUCKET}/scoring/churn/evaluations/run-7/transform-output/${role}/`, state,
    });
    const progress = (state: 'InProgress' | 'Completed', roles: ('production' | 'candidate')[] = ['production']): EvaluationJobs => ({
      state: 'InProgress', attempt: 0, maxAttempts: 5, pollSeconds: 30, redriveCount: 0, jobs: roles.map((role) => jobOf(role, state)),
    });
    const pollInput = (evaluationJobs: EvaluationJobs) => ({ run: runOf('churn'), features: featuresOf('churn', 'application/x-parquet'), training: cloudTraining('churn'), evaluationJobs, nonce: 'n1', redriveCount: 0 });

    it("fails the run with the job's reason when the candidate's transform failed", async () => {
      // Prepare
      sagemaker.on(DescribeTransformJobCommand).resolves({ TransformJobStatus: 'Failed', FailureReason: 'ClientError: bad CSV' });
      const deps = await depsOf(lake, undefined);

      // Act
      const poll = describeEvaluationTransform(pollInput(progress('InProgress', ['candidate'])), deps);

      // Assess
      await expect(poll).rejects.toThrow(BatchTransformFailedError);
      await expect(poll).rejects.toThrow('ClientError: bad CSV');
      expect(sagemaker.commandCalls(StopTransformJobCommand)).toHaveLength(0);
    });

    it("moves on with the reason, the candidate's job completed, when the production model's transform failed", async () => {
      // Prepare: the production model takes other features than this run's set
      sagemaker
        .on(DescribeTransformJobCommand, { TransformJobName: 'sluice-dev-churn-evaluate-production-1' })
        .resolves({ TransformJobStatus: 'Failed', FailureReason: 'ClientError: feature_names mismatch' })
        .on(DescribeTransformJobCommand, { TransformJobName: 'sluice-dev-churn-evaluate-candidate-1' })
        .resolves({ TransformJobStatus: 'Completed' });
      const deps = await depsOf(lake, undefined);

      // Act
      const polled = await describeEvaluationTransform(pollInput(progress('InProgress', ['production', 'candidate'])), deps);

      // Assess
      expect(polled.state).toBe('Completed');
      expect(polled.jobs.map((j) => j.state)).toEqual(['Failed', 'Completed']);
      expect(polled.reason).toBe('The evaluation transform sluice-dev-churn-evaluate-production-1 (production model) failed: ClientError: feature_names mismatch');
    });

    it('polls again when a job is still running', async () => {
      // Prepare
      sagemaker.on(DescribeTransformJobCommand).resolves({ TransformJobStatus: 'InProgress' });
      const deps = await depsOf(lake, undefined);

      // Act
      const polled = await describeEvaluationTransform(pollInput(progress('InProgress')), deps);

      // Assess
      expect(polled).toMatchObject({ state: 'InProgress', attempt: 1 });
    });

    it("computes accuracy, macro-F1, per-class figures and the confusion matrix in the user's labels from BlazingText lines", async () => {
      // Prepare: `{"label", "SageMakerOutput"}` per line, as OutputFilter $['label','SageMakerOutput'] keeps them
      const out = path.join(lake, BUCKET, 'scoring/reviews/evaluations/run-7/transform-output/candidate');
      await mkdir(out, { recursive: true });
      const line = (truth: string, answer: string) => JSON.stringify({ label: `__label__${truth}`, SageMakerOutput: { label: [`__label__${answer}`], prob: [0.9] } });
      await writeFile(path.join(out, 'validation.jsonl.gz.out'), `${[line('great', 'great'), line('great', 'other'), line('other', 'other')].join('\n')}\n`);
      const deps = await depsOf(lake, undefined);
      const evaluationJobs: EvaluationJobs = {
        state: 'Completed', attempt: 1, maxAttempts: 5, pollSeconds: 30, redriveCount: 0,
        jobs: [{ role: 'candidate', jobName: 'sluice-dev-reviews-evaluate-candidate-1', modelArtifact: 'a', image: 'i', output: `s3://${BUCKET}/scoring/reviews/evaluations/run-7/transform-output/candidate/`, state: 'Completed' }],
      };

      // Act
      const scored = await computeEvaluationMetrics({ run: runOf('reviews'), features: featuresOf('reviews', 'text/plain'), training: cloudTraining('reviews'), evaluationJobs }, deps);

      // Assess
      expect(scored.results?.candidate?.evaluation).toEqual({
        accuracy: 2 / 3,
        macro_f1: expect.closeTo(2 / 3, 12),
        'precision@great': 1, 'recall@great': 0.5, 'f1@great': 2 / 3,
        'precision@other': 0.5, 'recall@other': 1, 'f1@other': expect.closeTo(2 / 3, 12),
        rows: 3,
        confusion_matrix: { great: { great: 1, other: 1 }, other: { great: 0, other: 1 } },
      });
    });

    it('computes the full binary metric set from the joined label and probability when the jobs completed', async () => {
      // Prepare: `label,probability` per line, as OutputFilter $[0,-1] keeps them
      const out = path.join(lake, BUCKET, 'scoring/churn/evaluations/run-7/transform-output/production');
      await mkdir(out, { recursive: true });
      await writeFile(path.join(out, 'validation.csv.gz.out'), '1,0.9\n0,0.2\n1,0.4\n0,0.6\n');
      const deps = await depsOf(lake, undefined);

      // Act
      const scored = await computeEvaluationMetrics({ run: runOf('churn'), features: featuresOf('churn', 'application/x-parquet'), training: cloudTraining('churn'), evaluationJobs: { ...progress('Completed'), state: 'Completed' } }, deps);

      // Assess
      expect(scored.state).toBe('Scored');
      expect(scored.results?.production).toEqual({
        version: 3,
        evaluation: {
          kind: 'binary', rows: 4, auc: 0.75, logloss: expect.closeTo((-Math.log(0.9) - Math.log(0.8) - Math.log(0.4) - Math.log(0.4)) / 4, 12),
          accuracy: 0.5, precision: 0.5, recall: 0.5, specificity: 0.5, f1: 0.5,
          confusionMatrix: { truePositives: 1, falsePositives: 1, trueNegatives: 1, falseNegatives: 1 },
        },
      });
    });
  });
});
