import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { SfnRunStarter } from '../../../aws/adapters/sfn-run-starter.js';
import { InvalidStateInputError } from '../../../core/errors.js';
import { silentLogger } from '../../../core/log/logger.js';
import type { StartScoringRunDeps } from '../../../core/steps/start-scoring-run.js';
import { scoringExecutionName, startScoringRun } from '../../../core/steps/start-scoring-run.js';

const SCORING_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:sluice-dev-score';
const EXECUTION_PREFIX = 'arn:aws:states:us-east-1:123456789012:execution:sluice-dev-score:';
const sfn = mockClient(SFNClient);

/** The EventBridge event S3 sends for a file dropped in the scoring drop zone (`id` differs between duplicates). */
function objectCreated(id: string, key = 'score/churn/new-customers.csv', object: Record<string, unknown> = { 'version-id': 'v3', etag: 'e1' }) {
  return {
    'version': '0',
    id,
    'detail-type': 'Object Created',
    'source': 'aws.s3',
    'time': '2026-11-30T02:00:00Z',
    'detail': { bucket: { name: 'sluice-dev-lake' }, object: { key, size: 1200, ...object }, reason: 'PutObject' },
  };
}

describe('startScoringRun', () => {
  let deps: StartScoringRunDeps;

  beforeEach(() => {
    sfn.reset();
    deps = { starter: new SfnRunStarter(new SFNClient({}), SCORING_MACHINE), logger: silentLogger };
  });

  describe('a file dropped in score/<pipeline>/', () => {
    it('starts the scoring state machine with the event as input, named after bucket, key and version, when the event arrives', async () => {
      // Prepare
      const event = objectCreated('event-1');
      const name = scoringExecutionName('sluice-dev-lake', 'score/churn/new-customers.csv', 'v3');
      sfn.on(StartExecutionCommand).resolves({ executionArn: `${EXECUTION_PREFIX}${name}`, startDate: new Date() });

      // Act
      const result = await startScoringRun(event, deps);

      // Assess
      expect(name).toMatch(/^churn-score-new-customers_csv-[0-9a-f]{16}$/);
      expect(sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input)).toEqual([{ stateMachineArn: SCORING_MACHINE, name, input: JSON.stringify(event) }]);
      expect(result).toEqual({ status: 'started', executionName: name, executionArn: `${EXECUTION_PREFIX}${name}` });
    });

    it('names the run after the ETag when the event carries no version id (an unversioned bucket)', async () => {
      // Prepare
      sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn' });

      // Act
      await startScoringRun(objectCreated('event-1', 'score/churn/a.csv', { etag: 'e9' }), deps);

      // Assess
      expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.name).toBe(scoringExecutionName('sluice-dev-lake', 'score/churn/a.csv', 'e9'));
    });
  });

  describe('a duplicated event', () => {
    it('asks for the same execution name and reports a duplicate when Step Functions answers ExecutionAlreadyExists', async () => {
      // Prepare
      sfn.on(StartExecutionCommand).resolvesOnce({ executionArn: 'first' }).rejects(Object.assign(new Error('exists'), { name: 'ExecutionAlreadyExists' }));

      // Act
      const first = await startScoringRun(objectCreated('event-1'), deps);
      const second = await startScoringRun(objectCreated('event-2'), deps);

      // Assess
      const names = sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input.name);
      expect(names).toEqual([first.executionName, first.executionName]);
      expect(second).toEqual({ status: 'duplicate', executionName: first.executionName, executionArn: `${EXECUTION_PREFIX}${first.executionName}` });
    });

    it('starts a second run when a new version of the same key arrives', async () => {
      // Prepare
      sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn' });

      // Act
      const first = await startScoringRun(objectCreated('event-1'), deps);
      const second = await startScoringRun(objectCreated('event-2', 'score/churn/new-customers.csv', { 'version-id': 'v4' }), deps);

      // Assess
      expect(second.executionName).not.toBe(first.executionName);
    });
  });

  describe('an event that is not an Object Created event', () => {
    it('throws InvalidStateInputError and starts nothing when the event has no object key', async () => {
      // Prepare
      const event = { 'detail-type': 'Object Created', 'detail': { bucket: { name: 'sluice-dev-lake' }, object: {} } };

      // Act
      const starting = startScoringRun(event, deps);

      // Assess
      await expect(starting).rejects.toThrow(InvalidStateInputError);
      expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    });
  });
});

describe('scoringExecutionName', () => {
  describe('names Step Functions accepts', () => {
    it('stays within 80 characters of letters, digits, - and _ when the key is long and has special characters', () => {
      // Act
      const name = scoringExecutionName('b', `score/churn/${'ü ä#%$'.repeat(40)}.csv`, 'v1');

      // Assess
      expect(name.length).toBeLessThanOrEqual(80);
      expect(name).toMatch(/^churn-score-[A-Za-z0-9_-]+-[0-9a-f]{16}$/);
    });
  });
});
