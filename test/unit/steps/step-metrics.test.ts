import path from 'node:path';
import { folderSpecCatalog } from '../../../core/pipelines/spec-catalog.js';
import type { MetricDimensions, MetricName, MetricUnit, RunMetrics } from '../../../core/ports/metrics.js';
import type { JobStatus, Trainer } from '../../../core/ports/trainer.js';
import type { RunContext } from '../../../core/run/run-context.js';
import type { TrainingProgress } from '../../../core/run/workflow-state.js';
import { describeTraining } from '../../../core/steps/describe-training.js';
import { describeTuning } from '../../../core/steps/describe-tuning.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';

/** A metrics port that keeps what the step records. */
class RecordingMetrics implements RunMetrics {
  public readonly records: { name: MetricName; unit: MetricUnit; value: number; dimensions: MetricDimensions }[] = [];
  public record(name: MetricName, unit: MetricUnit, value: number, dimensions: MetricDimensions): void {
    this.records.push({ name, unit, value, dimensions });
  }
}

/** A trainer whose every job is in the given state. */
function trainerIn(status: JobStatus): Trainer {
  return {
    startTraining: async (r) => ({ jobName: r.jobName }),
    startTuning: async (r) => ({ jobName: r.jobName }),
    trainingStatus: async () => status,
    tuningStatus: async () => status,
    stopTraining: async () => undefined,
    stopTuning: async () => undefined,
  };
}

const run: RunContext = { runId: 'churn-telco-0123', pipeline: 'churn', trigger: 'upload', objects: [], bucket: 'sluice-dev-lake', startedAt: '2026-11-21T10:00:00.000Z', plan: { features: true, training: 'tune', deploy: true } };
const features = {
  database: 'sluice_dev', table: 'churn', attempt: 1, maxAttempts: 2, pollSeconds: 5, state: 'SUCCEEDED' as const,
  query: { queryId: 'q1', location: 's3://sluice-dev-lake/features/churn/churn-telco-0123/', state: 'SUCCEEDED' as const },
  contentType: 'application/x-parquet',
  train: { queryId: 'q1', location: 's3://sluice-dev-lake/features/churn/churn-telco-0123/split=train/', state: 'SUCCEEDED' as const },
  validation: { queryId: 'q1', location: 's3://sluice-dev-lake/features/churn/churn-telco-0123/split=validation/', state: 'SUCCEEDED' as const },
};
const training = (mode: 'train' | 'tune'): TrainingProgress => ({ mode, jobName: `sluice-dev-churn-${mode}-1`, redriveCount: 0, attempt: 9, maxAttempts: 100, pollSeconds: 30, state: 'InProgress' });

describe('step metrics', () => {
  const specs = folderSpecCatalog(path.join(REPO_ROOT, 'pipelines'));

  describe('a training job that completed', () => {
    it('records the training duration in seconds, by pipeline, when the poll sees the job completed', async () => {
      // Prepare
      const metrics = new RecordingMetrics();
      const trainer = trainerIn({ state: 'Completed', modelArtifact: 's3://sluice-dev-lake/models/churn/m.tar.gz', metrics: { 'validation:auc': 0.9 } });

      // Act
      await describeTraining({ run, features, training: training('train'), nonce: 'n', redriveCount: 0 }, { trainer, specs, jobPrefix: 'sluice-dev-', metrics });

      // Assess
      expect(metrics.records).toEqual([{ name: 'TrainingDuration', unit: 'Seconds', value: 300, dimensions: { pipeline: 'churn' } }]);
    });
  });

  describe('a tuning job that completed', () => {
    it('records the tuning duration, not the training one, when the poll sees the job completed', async () => {
      // Prepare
      const metrics = new RecordingMetrics();
      const trainer = trainerIn({ state: 'Completed', modelArtifact: 's3://sluice-dev-lake/models/churn/m.tar.gz', bestTrainingJobName: 'best' });

      // Act
      await describeTuning({ run, features, training: training('tune'), nonce: 'n', redriveCount: 0 }, { trainer, specs, jobPrefix: 'sluice-dev-', metrics });

      // Assess
      expect(metrics.records.map((r) => [r.name, r.value])).toEqual([['TuningDuration', 300]]);
    });
  });

  describe('a job still running', () => {
    it('records nothing when the poll finds the job in progress', async () => {
      // Prepare
      const metrics = new RecordingMetrics();

      // Act
      await describeTraining({ run, features, training: training('train'), nonce: 'n', redriveCount: 0 }, { trainer: trainerIn({ state: 'InProgress' }), specs, jobPrefix: 'sluice-dev-', metrics });

      // Assess
      expect(metrics.records).toEqual([]);
    });
  });
});
