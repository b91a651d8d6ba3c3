import path from 'node:path';
import { folderSpecCatalog } from '../../../core/pipelines/spec-catalog.js';
import type { JobStatus, Trainer, TrainingRequest, TuningRequest } from '../../../core/ports/trainer.js';
import type { RunContext } from '../../../core/run/run-context.js';
import { describeTraining } from '../../../core/steps/describe-training.js';
import { describeTuning } from '../../../core/steps/describe-tuning.js';
import { startTraining } from '../../../core/steps/start-training.js';
import { startTuning } from '../../../core/steps/start-tuning.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';

/** A trainer that records the jobs it is asked to start and answers a status per job. */
class RecordingTrainer implements Trainer {
  public readonly trainings: TrainingRequest[] = [];
  public readonly tunings: TuningRequest[] = [];
  public readonly statuses = new Map<string, JobStatus>();
  public async startTraining(request: TrainingRequest): Promise<{ jobName: string }> {
    this.trainings.push(request);
    return { jobName: request.jobName };
  }
  public async trainingStatus(jobName: string): Promise<JobStatus> {
    return this.statuses.get(jobName) ?? { state: 'InProgress' };
  }
  public async startTuning(request: TuningRequest): Promise<{ jobName: string }> {
    this.tunings.push(request);
    return { jobName: request.jobName };
  }
  public async tuningStatus(jobName: string): Promise<JobStatus> {
    return this.statuses.get(jobName) ?? { state: 'InProgress' };
  }
  public async stopTraining(): Promise<void> {}
  public async stopTuning(): Promise<void> {}
}

const run: RunContext = { runId: 'churn-telco-0123', pipeline: 'churn', trigger: 'upload', objects: [], bucket: 'sluice-dev-lake', startedAt: '2026-11-21T10:00:00.000Z', plan: { features: true, training: 'tune', deploy: true } };
const features = {
  database: 'sluice_dev', table: 'churn', attempt: 1, maxAttempts: 2, pollSeconds: 5, state: 'SUCCEEDED' as const,
  query: { queryId: 'q1', location: 's3://sluice-dev-lake/features/churn/churn-telco-0123/', state: 'SUCCEEDED' as const },
  contentType: 'application/x-parquet',
  train: { queryId: 'q1', location: 's3://sluice-dev-lake/features/churn/churn-telco-0123/split=train/', state: 'SUCCEEDED' as const },
  validation: { queryId: 'q1', location: 's3://sluice-dev-lake/features/churn/churn-telco-0123/split=validation/', state: 'SUCCEEDED' as const },
};

describe('training steps', () => {
  const specs = folderSpecCatalog(path.join(REPO_ROOT, 'pipelines'));

  describe('startTraining', () => {
    it('trains on the run features with the spec hyperparameters and a job name under the stage prefix', async () => {
      // Prepare
      const trainer = new RecordingTrainer();

      // Act
      const progress = await startTraining({ run, features, nonce: '2026-11-21T10:00:00Z#0', redriveCount: 0 }, { trainer, specs, jobPrefix: 'sluice-dev-' });

      // Assess
      expect(trainer.trainings[0]).toMatchObject({
        algorithm: 'xgboost',
        trainUri: features.train.location,
        validationUri: features.validation.location,
        outputUri: 's3://sluice-dev-lake/models/churn/',
        hyperparameters: { objective: 'binary:logistic', eval_metric: 'auc', num_round: '300', early_stopping_rounds: '20' },
        resources: { instanceType: 'ml.m5.xlarge', instanceCount: 1, volumeSizeGb: 10 },
        maxRuntimeSeconds: 1800,
        useSpot: false,
      });
      expect(progress.jobName).toMatch(/^sluice-dev-churn-train-[0-9a-f]{16}$/);
      expect(progress).toMatchObject({ mode: 'train', state: 'InProgress', redriveCount: 0, pollSeconds: 30 });
    });
  });

  describe('the poll budget', () => {
    it('lets the polls outlast maxRuntimeSeconds at the spec poll interval, so the trainer limit fires first', async () => {
      // Prepare
      const trainer = new RecordingTrainer();

      // Act
      const progress = await startTraining({ run, features, nonce: 'n', redriveCount: 0 }, { trainer, specs, jobPrefix: 'sluice-dev-' });

      // Assess: each local poll of a running job waits the interval (run-local.ts pacedPolls), as the cloud's Wait does
      expect(progress.maxAttempts * progress.pollSeconds).toBeGreaterThan(1800);
    });
  });

  describe('startTuning', () => {
    it("tunes the spec's ranges toward its objective with a name within 32 characters", async () => {
      // Prepare
      const trainer = new RecordingTrainer();

      // Act
      const progress = await startTuning({ run, features, nonce: 'n', redriveCount: 0 }, { trainer, specs, jobPrefix: 'sluice-dev-' });

      // Assess
      expect(trainer.tunings[0]).toMatchObject({ strategy: 'Bayesian', objective: { metric: 'validation:auc', direction: 'Maximize' }, maxJobs: 8, earlyStopping: true });
      expect(Object.keys(trainer.tunings[0]?.ranges ?? {})).toEqual(['eta', 'max_depth', 'min_child_weight', 'subsample']);
      expect(progress.jobName.length).toBeLessThanOrEqual(32);
    });
  });

  describe('describeTraining after a failed job', () => {
    it("fails with SageMaker's reason when the execution was not redriven", async () => {
      // Prepare
      const trainer = new RecordingTrainer();
      const deps = { trainer, specs, jobPrefix: 'sluice-dev-' };
      const training = await startTraining({ run, features, nonce: 'start#0', redriveCount: 0 }, deps);
      trainer.statuses.set(training.jobName, { state: 'Failed', failureReason: 'AlgorithmError: num_round is required' });

      // Act / Assess
      await expect(describeTraining({ run, features, training, nonce: 'start#0', redriveCount: 0 }, deps)).rejects.toMatchObject({
        name: 'TrainingFailedError',
        message: `Training job ${training.jobName} failed: AlgorithmError: num_round is required`,
      });
    });

    it('starts a new job under a new name when the execution was redriven', async () => {
      // Prepare
      const trainer = new RecordingTrainer();
      const deps = { trainer, specs, jobPrefix: 'sluice-dev-' };
      const training = await startTraining({ run, features, nonce: 'start#0', redriveCount: 0 }, deps);
      trainer.statuses.set(training.jobName, { state: 'Failed', failureReason: 'capacity' });

      // Act
      const retried = await describeTraining({ run, features, training, nonce: 'start#1', redriveCount: 1 }, deps);

      // Assess
      expect(trainer.trainings).toHaveLength(2);
      expect(retried.jobName).not.toBe(training.jobName);
      expect(retried).toMatchObject({ state: 'InProgress', attempt: 0, redriveCount: 1 });
    });
  });
  describe('describeTraining when a limit stopped the job', () => {
    it('fails with TrainingTimeoutError naming the step, the limit and the spec file when the job ran past maxRuntimeSeconds', async () => {
      // Prepare
      const trainer = new RecordingTrainer();
      const deps = { trainer, specs, jobPrefix: 'sluice-dev-' };
      const training = await startTraining({ run, features, nonce: 'start#0', redriveCount: 0 }, deps);
      trainer.statuses.set(training.jobName, { state: 'Stopped', secondaryStatus: 'MaxRuntimeExceeded', failureReason: 'Training job reached the maximum runtime' });

      // Act / Assess
      await expect(describeTraining({ run, features, training, nonce: 'start#0', redriveCount: 0 }, deps)).rejects.toMatchObject({
        name: 'TrainingTimeoutError',
        message: `StartTraining: the training job ran past training.maxRuntimeSeconds (1800 s); raise it in ${path.relative(process.cwd(), specs.get('churn').file)}`,
      });
    });

    it('fails with TrainingTimeoutError naming a trial of the tuning job when a trial ran past maxRuntimeSeconds', async () => {
      // Prepare
      const trainer = new RecordingTrainer();
      const deps = { trainer, specs, jobPrefix: 'sluice-dev-' };
      const training = await startTuning({ run, features, nonce: 'start#0', redriveCount: 0 }, deps);
      trainer.statuses.set(training.jobName, { state: 'Stopped', secondaryStatus: 'MaxRuntimeExceeded' });

      // Act / Assess
      await expect(describeTuning({ run, features, training, nonce: 'start#0', redriveCount: 0 }, deps)).rejects.toMatchObject({
        name: 'TrainingTimeoutError',
        message: expect.stringMatching(/^StartTuning: a training job of the tuning job ran past training\.maxRuntimeSeconds \(1800 s\); raise it in .*pipeline\.yml$/),
      });
    });

    it('fails with TrainingTimeoutError naming the limit and the margin when the polls run out', async () => {
      // Prepare
      const trainer = new RecordingTrainer();
      const deps = { trainer, specs, jobPrefix: 'sluice-dev-' };
      const started = await startTraining({ run, features, nonce: 'start#0', redriveCount: 0 }, deps);
      const training = { ...started, attempt: started.maxAttempts - 1 };

      // Act / Assess
      await expect(describeTraining({ run, features, training, nonce: 'start#0', redriveCount: 0 }, deps)).rejects.toMatchObject({
        name: 'TrainingTimeoutError',
        message: expect.stringMatching(/^StartTraining: the training job \S+ was still InProgress after \d+ polls \(\d+ s\), past its limit training\.maxRuntimeSeconds \(1800 s\) plus the polling margin; raise it in .*pipeline\.yml$/),
      });
    });
  });
});
