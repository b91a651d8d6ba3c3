import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { SfnRunStarter } from '../../../aws/adapters/sfn-run-starter.js';
import { silentLogger } from '../../../core/log/logger.js';
import { fixedSpecCatalog } from '../../../core/pipelines/spec-catalog.js';
import { startRun, uploadExecutionName } from '../../../core/steps/start-run.js';
import { SMALL_SPEC_YAML, specFrom } from '../../support/spec-fixtures.js';

const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:sluice-dev';
const sfn = mockClient(SFNClient);

function objectCreated(key: string, extra: Record<string, unknown> = {}, bucket = 'lake-bucket') {
  return {
    version: '0',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    detail: { bucket: { name: bucket }, object: { key, size: 120, etag: 'e1', ...extra }, reason: 'PutObject' },
  };
}

describe('startRun', () => {
  const deps = {
    starter: new SfnRunStarter(new SFNClient({ region: 'us-east-1' }), STATE_MACHINE),
    specs: fixedSpecCatalog([specFrom(SMALL_SPEC_YAML)]),
    lakeBucket: 'lake-bucket',
    logger: silentLogger,
  };

  beforeEach(() => {
    sfn.reset();
  });

  describe('an upload in the drop zone', () => {
    it('starts an execution named from the object with the decoded key when the event is new', async () => {
      // Prepare
      sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec', startDate: new Date() });

      // Act
      const result = await startRun(objectCreated('incoming/orders/my+file%282%29.csv', { 'version-id': 'v7' }), deps);

      // Assess
      const name = uploadExecutionName('orders', 'lake-bucket', 'incoming/orders/my file(2).csv', 'v7');
      expect(result).toEqual({ status: 'started', executionName: name, executionArn: 'arn:exec', pipeline: 'orders' });
      expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
      expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
        stateMachineArn: STATE_MACHINE,
        name,
        input: JSON.stringify({
          trigger: 'upload',
          pipeline: 'orders',
          object: { bucket: 'lake-bucket', key: 'incoming/orders/my file(2).csv', versionId: 'v7', etag: 'e1', size: 120 },
        }),
      });
    });

    it('reports a duplicate and starts nothing when the execution already exists', async () => {
      // Prepare
      const exists = Object.assign(new Error('Execution Already Exists'), { name: 'ExecutionAlreadyExists' });
      sfn.on(StartExecutionCommand).rejects(exists);

      // Act
      const result = await startRun(objectCreated('incoming/orders/a.csv'), deps);

      // Assess
      expect(result.status).toBe('duplicate');
      expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
    });

    it('throws a retryable error when Step Functions throttles', async () => {
      // Prepare
      sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

      // Act
      const started = startRun(objectCreated('incoming/orders/a.csv'), deps);

      // Assess
      await expect(started).rejects.toMatchObject({ name: 'TransientServiceError', retryable: true });
    });
  });

  describe('an object that is not for a pipeline', () => {
    it.each([
      ['outside every drop prefix', objectCreated('incoming/other/a.csv'), /no pipeline watches/],
      ['of a type the pipeline does not take', objectCreated('incoming/orders/a.parquet'), /takes \.csv/],
      ['a folder marker', objectCreated('incoming/orders/sub/'), /folder marker/],
      ['in another bucket', objectCreated('incoming/orders/a.csv', {}, 'elsewhere'), /not the lake bucket/],
      ['not an S3 event', { hello: 'world' }, /not an S3 "Object Created" event/],
    ])('ignores it without starting a run when it is %s', async (_label, event, reason) => {
      // Act
      const result = await startRun(event, deps);

      // Assess
      expect(result.status).toBe('ignored');
      expect(result).toMatchObject({ reason: expect.stringMatching(reason) });
      expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    });
  });
});

describe('uploadExecutionName', () => {
  it('gives the same name when the same object version arrives twice', () => {
    expect(uploadExecutionName('churn', 'b', 'incoming/churn/x.csv', 'v1')).toBe(uploadExecutionName('churn', 'b', 'incoming/churn/x.csv', 'v1'));
  });

  it('gives another name when the version changes', () => {
    expect(uploadExecutionName('churn', 'b', 'incoming/churn/x.csv', 'v1')).not.toBe(uploadExecutionName('churn', 'b', 'incoming/churn/x.csv', 'v2'));
  });

  it('keeps within 80 characters of allowed ones when the file name is long and odd', () => {
    // Act
    const name = uploadExecutionName('churn', 'b', `incoming/churn/${'ü ä#%$'.repeat(40)}.csv`, 'v1');

    // Assess
    expect(name.length).toBeLessThanOrEqual(80);
    expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(name.startsWith('churn-')).toBe(true);
  });
});
