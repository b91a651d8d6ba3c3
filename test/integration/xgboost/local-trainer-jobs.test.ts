/**
 * The local trainer's jobs behave like SageMaker's: StartTraining returns while the job runs in the background,
 * DescribeTraining polls it, and the spec's `maxRuntimeSeconds` is the only limit (the job is stopped there and the
 * run fails naming the step, the limit and the setting). Nothing here waits on the clock: polls wait for the job
 * board's "settled" event, and the one timeout is a 1 s limit on a job that cannot finish in it.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalJobBoard } from '../../../local/adapters/local-jobs.js';
import { LocalTrainer } from '../../../local/adapters/local-trainer.js';
import { fixedSpecCatalog } from '../../../core/pipelines/spec-catalog.js';
import type { TrainingRequest } from '../../../core/ports/trainer.js';
import type { RunContext } from '../../../core/run/run-context.js';
import type { TrainingProgress } from '../../../core/run/workflow-state.js';
import type { PipelineSpec } from '../../../core/spec/load-spec.js';
import { loadPipelineSpec } from '../../../core/spec/load-spec.js';
import { specFileForUser } from '../../../core/spec/spec-file.js';
import { describeTraining } from '../../../core/steps/describe-training.js';
import { startTraining } from '../../../core/steps/start-training.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';
import { writeDataset } from './datasets.js';
import type { DatasetPaths } from './datasets.js';

const BUCKET = 'job-lake';

describe('LocalTrainer jobs', () => {
  let dir: string;
  let data: DatasetPaths;
  const churn = loadPipelineSpec('churn', join(REPO_ROOT, 'pipelines'));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-local-jobs-'));
    data = await writeDataset(join(dir, 'data'), { task: 'binary', features: 10, trainRows: 2_000, validationRows: 500, seed: 11 });
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** The churn spec with other training settings (built directly: the schema's minimum runtime is 60 s). */
  const specWith = (training: Partial<NonNullable<PipelineSpec['training']>>): PipelineSpec => {
    const base = churn.training;
    if (!base) throw new Error('the churn spec has no training section');
    return { ...churn, training: { ...base, ...training } };
  };

  const setUp = (spec: PipelineSpec) => {
    const board = new LocalJobBoard();
    const trainer = new LocalTrainer((uri) => (uri.startsWith(`s3://${BUCKET}/`) ? join(dir, uri.slice(`s3://${BUCKET}/`.length)) : uri), { board });
    const deps = { trainer, specs: fixedSpecCatalog([spec]), jobPrefix: 'sluice-test-' };
    const run: RunContext = { runId: `churn-jobs-${Math.random().toString(16).slice(2, 10)}`, pipeline: 'churn', trigger: 'manual', objects: [], bucket: BUCKET, startedAt: new Date().toISOString(), plan: { features: true, training: 'train', deploy: false } };
    const features = {
      database: 'sluice_test', table: 'churn', attempt: 1, maxAttempts: 2, pollSeconds: 5, state: 'SUCCEEDED' as const, redriveCount: 0,
      query: { queryId: 'q1', location: 's3://lake/features/', state: 'SUCCEEDED' as const },
      contentType: 'application/x-parquet',
      train: { queryId: 'q1', location: data.trainDir, state: 'SUCCEEDED' as const },
      validation: { queryId: 'q1', location: data.validationFile, state: 'SUCCEEDED' as const },
    };
    const input = { run, features, nonce: `${run.startedAt}#0`, redriveCount: 0 };
    /** DescribeTraining as the local Wait loop runs it: each poll waits for a job to settle (or the interval). */
    const pollUntilDone = async (started: TrainingProgress): Promise<{ progress: TrainingProgress; polls: number }> => {
      let progress = started;
      let polls = 0;
      while (progress.state !== 'Completed') {
        await board.settledOrAfter(progress.pollSeconds * 1000);
        progress = await describeTraining({ ...input, training: progress }, deps);
        polls++;
      }
      return { progress, polls };
    };
    return { board, trainer, deps, input, pollUntilDone };
  };

  describe('a training job', () => {
    it('returns from StartTraining while the job runs, and DescribeTraining sees it complete when it settles', async () => {
      // Prepare
      const { trainer, deps, input, pollUntilDone } = setUp(specWith({ hyperparameters: { objective: 'binary:logistic', eval_metric: 'auc', num_round: 30, max_depth: 3 } }));

      // Act
      const started = await startTraining(input, deps);
      const right = await trainer.trainingStatus(started.jobName);
      const { progress, polls } = await pollUntilDone(started);

      // Assess: Start did not wait for the job; the first poll after it settled saw it complete
      expect(started.state).toBe('InProgress');
      expect(right).toEqual({ state: 'InProgress' });
      expect(polls).toBe(1);
      expect(progress).toMatchObject({ state: 'Completed', modelArtifact: `s3://${BUCKET}/models/churn/${started.jobName}/output/model.tar.gz` });
      expect(existsSync(join(dir, 'models', 'churn', started.jobName, 'output', 'model.tar.gz'))).toBe(true);
    });
  });

  describe('a training job past its maxRuntimeSeconds', () => {
    it('stops the job and fails DescribeTraining with TrainingTimeoutError naming the step, the limit and the setting', async () => {
      // Prepare: ten million rounds of depth-6 trees cannot finish within one second on any machine
      const spec = specWith({ maxRuntimeSeconds: 1, hyperparameters: { objective: 'binary:logistic', eval_metric: 'auc', num_round: 10_000_000, max_depth: 6 } });
      const { trainer, deps, input, pollUntilDone } = setUp(spec);

      // Act
      const started = await startTraining(input, deps);
      const failure = await pollUntilDone(started).catch((error: unknown) => error);

      // Assess
      expect(failure).toMatchObject({
        name: 'TrainingTimeoutError',
        message: `StartTraining: the training job ran past training.maxRuntimeSeconds (1 s); raise it in ${specFileForUser(spec)}`,
      });
      await expect(trainer.trainingStatus(started.jobName)).resolves.toMatchObject({ state: 'Stopped', secondaryStatus: 'MaxRuntimeExceeded' });
      expect(existsSync(join(dir, 'models', 'churn', started.jobName, 'output', 'model.tar.gz'))).toBe(false);
    });

    it('ends the training itself, not only its status, when the limit passes', async () => {
      // Prepare
      const board = new LocalJobBoard();
      const trainer = new LocalTrainer((uri) => join(dir, uri), { board });
      const request: TrainingRequest = {
        jobName: 'limit-stops-worker', algorithm: 'xgboost', trainUri: 'data/train', validationUri: 'data/validation',
        outputUri: 'models/limit/', resources: { instanceType: 'local', instanceCount: 1, volumeSizeGb: 1 }, maxRuntimeSeconds: 1, useSpot: false,
        hyperparameters: { objective: 'binary:logistic', eval_metric: 'auc', num_round: '10000000', max_depth: '6' },
      };

      // Act: the status settles when the limit passes; idle() resolves only once the job's work has ended, and the
      // trainer's work ends only when its worker has stopped and exited (a worker training on would keep it pending
      // until the hang guard failed the test)
      await trainer.startTraining(request);
      await board.idle();
      const status = await trainer.trainingStatus(request.jobName);

      // Assess
      expect(status).toMatchObject({ state: 'Stopped', secondaryStatus: 'MaxRuntimeExceeded' });
      expect(board.running).toBe(0);
      expect(existsSync(join(dir, 'models', 'limit', request.jobName, 'output', 'model.tar.gz'))).toBe(false);
    });

    it('frees the trainer for the next job when the stopped one was still training', async () => {
      // Prepare: the local trainer runs one training at a time; a job left running would block this one for hours
      const stopped = setUp(specWith({ maxRuntimeSeconds: 1, hyperparameters: { objective: 'binary:logistic', num_round: 10_000_000, max_depth: 6 } }));
      await stopped.pollUntilDone(await startTraining(stopped.input, stopped.deps)).catch(() => undefined);
      const next = setUp(specWith({ hyperparameters: { objective: 'binary:logistic', eval_metric: 'auc', num_round: 5, max_depth: 2 } }));

      // Act
      const { progress } = await next.pollUntilDone(await startTraining(next.input, next.deps));

      // Assess
      expect(progress.state).toBe('Completed');
    });
  });
});
