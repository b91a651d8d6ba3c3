import { createHash } from 'node:crypto';
import {
  RESOURCE_NAME_MAX,
  SAGEMAKER_NAME_PATTERN,
  TUNING_JOB_NAME_MAX,
  isSageMakerName,
  resourceName,
  trainingJobName,
  tuningJobName,
} from '../../../core/run/job-names.js';

const RUN_ID = 'churn-telco_churn_csv-1a2b3c4d5e6f7a8b';
const LONG_RUN_ID = `${'customer-lifetime-value_'.repeat(3)}${'x'.repeat(8)}`.slice(0, 80);
const LONG_PIPELINE = 'customer-lifetime-value-forecast'; // 32 characters, the spec's longest

// The documented patterns, written out as the SageMaker API reference gives them (CreateTrainingJob TrainingJobName,
// CreateEndpointConfig EndpointConfigName, CreateHyperParameterTuningJob HyperParameterTuningJobName).
const RESOURCE_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const TUNING_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$/;

function sha256(runId: string, step: string, nonce: string): string {
  return createHash('sha256').update(JSON.stringify([runId, step, nonce])).digest('hex');
}

describe('job names', () => {
  describe('trainingJobName', () => {
    it('returns the pipeline, the step and 16 hex characters of the SHA-256 of run, step and nonce when a pipeline is given', () => {
      // Act
      const name = trainingJobName(RUN_ID, 'train', 0, 'churn');

      // Assess
      expect(name).toBe(`churn-train-${sha256(RUN_ID, 'train', '0').slice(0, 16)}`);
    });

    it('starts with the run id made readable when no pipeline is given', () => {
      // Act
      const name = trainingJobName(RUN_ID, 'train', 0);

      // Assess
      expect(name).toBe(`churn-telco-churn-csv-1a2b3c4d5e6f7a8b-train-${sha256(RUN_ID, 'train', '0').slice(0, 16)}`);
    });

    it('returns the same name when called again with the same run, step and nonce', () => {
      // Act / Assess
      expect(trainingJobName(RUN_ID, 'train', 2, 'churn')).toBe(trainingJobName(RUN_ID, 'train', 2, 'churn'));
      expect(trainingJobName(RUN_ID, 'train', '2', 'churn')).toBe(trainingJobName(RUN_ID, 'train', 2, 'churn'));
    });

    it('returns different names when the run, the step or the nonce differ', () => {
      // Prepare
      const base = trainingJobName(RUN_ID, 'train', 0, 'churn');

      // Act
      const others = [
        trainingJobName(`${RUN_ID}x`, 'train', 0, 'churn'),
        trainingJobName(RUN_ID, 'retrain', 0, 'churn'),
        trainingJobName(RUN_ID, 'train', 1, 'churn'),
        trainingJobName(RUN_ID, 'train', '2026-11-20T10:00:00.000Z#0', 'churn'),
      ];

      // Assess
      expect(new Set([base, ...others]).size).toBe(5);
    });

    it('returns different names when two long run ids differ only past the readable part', () => {
      // Prepare
      const first = `${LONG_RUN_ID.slice(0, 79)}a`;
      const second = `${LONG_RUN_ID.slice(0, 79)}b`;

      // Act / Assess
      expect(trainingJobName(first, 'train', 0)).not.toBe(trainingJobName(second, 'train', 0));
    });

    it('keeps the parts apart when hyphens move between run id and step', () => {
      // Act / Assess
      expect(trainingJobName('run-a', 'b', 0)).not.toBe(trainingJobName('run', 'a-b', 0));
    });
  });

  describe('limits and characters', () => {
    it.each([
      ['a short run', RUN_ID, 'train', 'churn'],
      ['an 80-character run id and no pipeline', LONG_RUN_ID, 'train', undefined],
      ['a 32-character pipeline', LONG_RUN_ID, 'train', LONG_PIPELINE],
      ['a long step', RUN_ID, 'endpoint-configuration-for-the-blue-green-deployment-of-this-model', LONG_PIPELINE],
      ['unsafe characters', 'Run_ID:2026/11/20 ✓ ünïcode', 'Start Training!', 'My--Pipeline-'],
    ])('fits the 63- and 32-character patterns when the input has %s', (_case, runId, step, pipeline) => {
      // Act
      const names = {
        training: trainingJobName(runId, step, 3, pipeline),
        resource: resourceName(runId, step, 3, pipeline),
        tuning: tuningJobName(runId, step, 3, pipeline),
      };

      // Assess
      expect(names.training.length).toBeLessThanOrEqual(RESOURCE_NAME_MAX);
      expect(names.resource.length).toBeLessThanOrEqual(RESOURCE_NAME_MAX);
      expect(names.tuning.length).toBeLessThanOrEqual(TUNING_JOB_NAME_MAX);
      expect(names.training).toMatch(RESOURCE_PATTERN);
      expect(names.resource).toMatch(RESOURCE_PATTERN);
      expect(names.tuning).toMatch(TUNING_PATTERN);
      for (const name of Object.values(names)) {
        expect(name).toBe(name.toLowerCase());
        expect(name).not.toContain('--');
      }
    });

    it('keeps the whole step and cuts the pipeline when a tuning job name would be too long', () => {
      // Act
      const name = tuningJobName(LONG_RUN_ID, 'tune', 0, LONG_PIPELINE);

      // Assess
      expect(name).toBe(`customer-lifet-tune-${sha256(LONG_RUN_ID, 'tune', '0').slice(0, 12)}`);
      expect(name).toHaveLength(TUNING_JOB_NAME_MAX);
    });

    it('returns the hash alone when nothing readable is left', () => {
      // Act
      const name = trainingJobName('___', '!!!', 0);

      // Assess
      expect(name).toBe(sha256('___', '!!!', '0').slice(0, 16));
      expect(name).toMatch(RESOURCE_PATTERN);
    });

    it('tells training, model and endpoint-config names of one run apart by their step', () => {
      // Act
      const names = [trainingJobName(RUN_ID, 'train', 0), resourceName(RUN_ID, 'model', 0), resourceName(RUN_ID, 'endpoint-config', 0)];

      // Assess
      expect(new Set(names).size).toBe(3);
      expect(names[2]).toMatch(/-endpoint-config-[0-9a-f]{16}$/);
    });
  });

  describe('isSageMakerName', () => {
    it.each([
      [true, 'churn-train-0123abcd', 63],
      [true, 'a', 63],
      [true, 'a--b', 63],
      [true, 'x'.repeat(63), 63],
      [false, 'x'.repeat(64), 63],
      [false, 'x'.repeat(33), 32],
      [false, '', 63],
      [false, '-leading', 63],
      [false, 'trailing-', 63],
      [false, 'under_score', 63],
      [false, 'dot.ted', 63],
    ])('returns %s when the name is "%s" and the limit %i', (expected, name, max) => {
      // Act / Assess
      expect(isSageMakerName(name, max)).toBe(expected);
      expect(SAGEMAKER_NAME_PATTERN.test(name) && name.length <= max).toBe(expected);
    });
  });
});
