import type { RunManifest } from '../../../core/manifest/run-manifest.js';
import { MAX_SUBJECT_CHARS, notifyRun, runNotification } from '../../../core/notify/run-notification.js';
import type { Logger } from '../../../core/log/logger.js';

function manifest(overrides: Partial<RunManifest>): RunManifest {
  return {
    runId: 'churn-20261130T010000Z-abc123',
    pipeline: 'churn',
    trigger: 'upload',
    status: 'SUCCEEDED',
    startedAt: '2026-11-30T01:00:00.000Z',
    finishedAt: '2026-11-30T01:02:00.000Z',
    objects: [],
    rows: { input: 7043, valid: 7040, quarantined: 3 },
    ingest: [],
    stages: {},
    ...overrides,
  };
}

const evaluation = (promote: boolean, status: string) => ({
  promote,
  decision: { metric: 'validation:auc', reasons: promote ? ['validation:auc 0.8456 beats production 0.8401 by 0.0055'] : ['validation:auc 0.8012 meets the minimum 0.75', 'validation:auc 0.8012 does not beat production 0.8401 by 0.002'] },
  candidate: { version: 4, status, metrics: { 'validation:auc': promote ? 0.8456 : 0.8012, 'train:auc': 0.9 } },
});

const silentLogger = (): Logger & { errors: unknown[] } => {
  const errors: unknown[] = [];
  const logger = { info: () => undefined, warn: () => undefined, debug: () => undefined, error: (_m: string, f?: unknown) => void errors.push(f), child: () => logger, errors };
  return logger as unknown as Logger & { errors: unknown[] };
};

describe('runNotification', () => {
  describe('a run that promoted its model', () => {
    it('says promoted with the version and metric in the subject when the gate let it through and it serves', () => {
      // Prepare
      const run = manifest({ stages: { evaluation: evaluation(true, 'Approved'), promotion: { endpoint: 'http://127.0.0.1:8080' } } });

      // Act
      const n = runNotification(run, 'lake');

      // Assess
      expect(n.outcome).toBe('promoted');
      expect(n.subject).toBe('Sluice churn: model v4 promoted (validation:auc 0.8456)');
      expect(n.body).toContain('Gate: promoted: validation:auc 0.8456 beats production 0.8401 by 0.0055');
      expect(n.body).toContain('Manifest: s3://lake/runs/churn/churn-20261130T010000Z-abc123.json');
      expect(n.body).not.toContain('train:auc');
    });
  });

  describe('a run whose candidate the gate refused', () => {
    it("gives the gate's reason in the subject and the body when the model is not promoted", () => {
      // Prepare
      const run = manifest({ stages: { evaluation: evaluation(false, 'Rejected') } });

      // Act
      const n = runNotification(run, 'lake');

      // Assess
      expect(n.outcome).toBe('not promoted');
      expect(n.subject).toContain('model v4 not promoted (validation:auc 0.8012): validation:auc 0.8012 does not beat');
      expect(n.subject.length).toBeLessThanOrEqual(MAX_SUBJECT_CHARS);
      expect(n.body).toContain('Gate: not promoted: validation:auc 0.8012 meets the minimum 0.75; validation:auc 0.8012 does not beat production 0.8401 by 0.002');
    });
  });

  describe('a failed run', () => {
    it('carries the failed state and the error in the subject and the body when the execution failed', () => {
      // Prepare
      const run = manifest({
        status: 'FAILED',
        error: { name: 'TrainingJobFailedError', message: 'XGBoost refused the objective reg:gamma on 0/1 labels' },
        execution: { arn: 'arn:aws:states:us-east-1:123456789012:execution:sluice-dev:x', status: 'FAILED', redriveCount: 0, failedState: 'DescribeTraining' },
      });

      // Act
      const n = runNotification(run, 'lake');

      // Assess
      expect(n.outcome).toBe('failed');
      expect(n.subject).toBe('Sluice churn: FAILED in DescribeTraining: TrainingJobFailedError');
      expect(n.body).toContain('Failed state: DescribeTraining');
      expect(n.body).toContain('Error: TrainingJobFailedError: XGBoost refused the objective reg:gamma on 0/1 labels');
    });

    it('keeps the subject one line of ASCII under 100 characters when the names are long and not ASCII', () => {
      // Prepare
      const run = manifest({ status: 'FAILED', error: { name: `Ërror\n${'X'.repeat(150)}`, message: 'm' }, execution: { arn: 'a', status: 'TIMED_OUT', redriveCount: 1, failedState: 'IngestFiles' } });

      // Act
      const { subject } = runNotification(run, 'lake');

      // Assess
      expect(subject.length).toBeLessThanOrEqual(MAX_SUBJECT_CHARS);
      expect(subject).toMatch(/^[\x20-\x7e]+$/);
      expect(subject.startsWith('Sluice churn: TIMED_OUT in IngestFiles: Error X')).toBe(true);
      expect(subject.endsWith('...')).toBe(true);
    });
  });

  describe('a skipped scheduled run', () => {
    it('says skipped and why when the run trained nothing for want of new data', () => {
      // Prepare
      const run = manifest({ trigger: 'schedule', skipped: 'no new data since model v3 (run r1, trained on curated data up to 2026-11-29T03:00:00.000Z)' });

      // Act
      const n = runNotification(run, 'lake');

      // Assess
      expect(n.outcome).toBe('skipped');
      expect(n.subject).toBe('Sluice churn: scheduled run skipped, no new data');
      expect(n.body).toContain('Skipped: no new data since model v3');
    });
  });
});

describe('notifyRun', () => {
  describe('a notifier that fails', () => {
    it('logs the failure and resolves when the notifier throws', async () => {
      // Prepare
      const logger = silentLogger();
      const notifier = { notify: jest.fn().mockRejectedValue(new Error('topic gone')) };

      // Act
      const sent = await notifyRun(manifest({}), { notifier, logger, lakeBucket: 'lake' });

      // Assess
      expect(sent?.outcome).toBe('succeeded');
      expect(notifier.notify).toHaveBeenCalledTimes(1);
      expect(JSON.stringify(logger.errors)).toContain('topic gone');
    });
  });
});
