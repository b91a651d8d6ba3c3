import { runIngestTask, parseTaskArgs } from '../../../functions/validate-and-partition/ingest-task.js';
import type { TaskCallback } from '../../../functions/validate-and-partition/ingest-task.js';
import type { ValidateAndPartitionDeps } from '../../../core/steps/validate-and-partition.js';
import { silentLogger } from '../../../core/log/logger.js';

/** A callback that records what the task answered. */
function recordingCallback(): TaskCallback & { answers: unknown[] } {
  const answers: unknown[] = [];
  return {
    answers,
    success: async (output) => {
      answers.push({ success: output });
    },
    failure: async (error, cause) => {
      answers.push({ failure: error, cause: JSON.parse(cause) as unknown });
    },
    heartbeat: async () => undefined,
  };
}

describe('runIngestTask', () => {
  describe('a state input the step refuses', () => {
    it('answers SendTaskFailure with the error name and the Lambda error document when the run is malformed', async () => {
      // Prepare
      const callback = recordingCallback();
      const deps = { logger: silentLogger } as unknown as ValidateAndPartitionDeps;

      // Act
      await runIngestTask({ run: '{"runId": 1}', object: '{"bucket": "lake", "key": "incoming/orders/a.csv"}' }, deps, callback);

      // Assess
      expect(callback.answers).toHaveLength(1);
      expect(callback.answers[0]).toMatchObject({
        failure: 'InvalidStateInputError',
        cause: { errorType: 'InvalidStateInputError', errorMessage: expect.stringContaining('ValidateAndPartition received an input it cannot use') as unknown, trace: expect.any(Array) as unknown },
      });
    });
  });

  describe('the container command line', () => {
    it('reads the token and the state input when the state passes them as arguments', () => {
      // Act
      const args = parseTaskArgs(['--task-token', 'tok', '--run', '{"a":1}', '--object', '{"b":2}']);

      // Assess
      expect(args).toEqual({ taskToken: 'tok', run: '{"a":1}', object: '{"b":2}' });
    });

    it('fails with the usage when the state input is missing', () => {
      // Act
      const parse = () => parseTaskArgs(['--task-token', 'tok']);

      // Assess
      expect(parse).toThrow(/usage: container --task-token/);
    });
  });
});
