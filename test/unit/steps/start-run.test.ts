import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Message } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { SfnRunStarter } from '../../../aws/adapters/sfn-run-starter.js';
import { SqsUploadQueue } from '../../../aws/adapters/sqs-upload-queue.js';
import type { Logger } from '../../../core/log/logger.js';
import { silentLogger } from '../../../core/log/logger.js';
import { fixedSpecCatalog } from '../../../core/pipelines/spec-catalog.js';
import type { StartRunDeps } from '../../../core/steps/start-run.js';
import { startRun, uploadExecutionName } from '../../../core/steps/start-run.js';
import { MAX_LISTED_OBJECTS } from '../../../core/steps/normalize-input.js';
import { MAX_OBJECTS_PER_RUN, batchExecutionName, runsOfBatch } from '../../../core/trigger/coalescing.js';
import { SMALL_SPEC_YAML, specFrom } from '../../support/spec-fixtures.js';

const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:sluice-dev';
const EXECUTION_PREFIX = 'arn:aws:states:us-east-1:123456789012:execution:sluice-dev:';
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/sluice-dev-uploads';
const NOW = Date.parse('2026-11-30T12:00:00Z');
const sfn = mockClient(SFNClient);
const sqs = mockClient(SQSClient);

function objectCreated(key: string, extra: Record<string, unknown> = {}, bucket = 'lake-bucket') {
  return {
    version: '0',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    detail: { bucket: { name: bucket }, object: { key, size: 120, etag: `etag-${key}`, ...extra }, reason: 'PutObject' },
  };
}

/** A message of the coalescing queue as ReceiveMessage returns it: the EventBridge event as its body, sent `ageSeconds` ago. */
function queued(id: string, body: unknown, ageSeconds: number): Message {
  return {
    MessageId: id,
    ReceiptHandle: `rh-${id}`,
    Body: typeof body === 'string' ? body : JSON.stringify(body),
    Attributes: { SentTimestamp: String(NOW - ageSeconds * 1_000) },
  };
}

/** `count` uploads to the orders drop zone, `from` on, each sent `ageSeconds` ago. */
function uploads(pipeline: string, from: number, count: number, ageSeconds: number): Message[] {
  return Array.from({ length: count }, (_, i) => queued(`${pipeline}-${from + i}`, objectCreated(`incoming/${pipeline}/f${String(from + i).padStart(4, '0')}.csv`), ageSeconds));
}

/** The queue answers each ReceiveMessage with the next of `batches`, then with nothing. */
function queueHolds(...batches: Message[][]): void {
  const receive = sqs.on(ReceiveMessageCommand);
  for (const batch of batches) receive.resolvesOnce({ Messages: batch });
  receive.resolves({});
}

const receiveInput = (waitSeconds: number) => ({
  QueueUrl: QUEUE_URL,
  MaxNumberOfMessages: 10,
  VisibilityTimeout: 120,
  WaitTimeSeconds: waitSeconds,
  MessageSystemAttributeNames: ['SentTimestamp'],
});

/** The entries a batch call names, as `[Id, ReceiptHandle]`. */
const entries = (messages: readonly Message[]) => messages.map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.ReceiptHandle }));

/** The object of a message's event, as start-run lists it in a run input. */
function objectOf(message: Message) {
  const event = JSON.parse(message.Body ?? '') as ReturnType<typeof objectCreated>;
  return { bucket: 'lake-bucket', key: event.detail.object.key, etag: event.detail.object.etag, size: 120 };
}

/** The execution inputs sent to Step Functions, parsed, in call order. */
function sentInputs(): { name: string | undefined; input: unknown }[] {
  return sfn.commandCalls(StartExecutionCommand).map((call) => ({ name: call.args[0].input.name, input: JSON.parse(call.args[0].input.input ?? 'null') as unknown }));
}

const calls = <T extends object>(client: typeof sqs | typeof sfn, command: new (input: T) => unknown) =>
  (client as unknown as { commandCalls: (c: unknown) => { args: [{ input: T }] }[] }).commandCalls(command).map((c) => c.args[0].input);

describe('startRun', () => {
  const base: Omit<StartRunDeps, 'logger'> = {
    starter: new SfnRunStarter(new SFNClient({ region: 'us-east-1' }), STATE_MACHINE),
    queue: new SqsUploadQueue(new SQSClient({ region: 'us-east-1' }), QUEUE_URL),
    specs: fixedSpecCatalog([specFrom(SMALL_SPEC_YAML), specFrom(SMALL_SPEC_YAML.replace('name: orders', 'name: returns').replaceAll('incoming/orders', 'incoming/returns'), '/tmp/pipelines/returns')]),
    lakeBucket: 'lake-bucket',
    now: () => NOW,
    remainingMs: () => 50_000,
  };
  const deps: StartRunDeps = { ...base, logger: silentLogger };

  beforeEach(() => {
    sfn.reset();
    sqs.reset();
    sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => ({ executionArn: `${EXECUTION_PREFIX}${input.name}`, startDate: new Date() }));
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });
    sqs.on(DeleteMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
  });

  describe('a quiet burst', () => {
    it('starts one run for all of it and deletes its messages when the burst came in several receives and a false empty answer', async () => {
      // Prepare
      const first = uploads('orders', 0, 10, 40);
      const second = uploads('orders', 10, 3, 35);
      queueHolds(first, [], second);

      // Act
      const result = await startRun({}, deps);

      // Assess
      const objects = [...first, ...second].map(objectOf);
      const name = batchExecutionName('orders', objects);
      expect(calls(sqs, ReceiveMessageCommand)).toEqual([receiveInput(0), receiveInput(0), receiveInput(1), receiveInput(0), receiveInput(1)]);
      expect(calls(sfn, ListExecutionsCommand)).toEqual([{ stateMachineArn: STATE_MACHINE, statusFilter: 'RUNNING', maxResults: 1000 }]);
      expect(sentInputs()).toEqual([{ name, input: { trigger: 'upload', pipeline: 'orders', objects } }]);
      expect(calls(sqs, DeleteMessageBatchCommand)).toEqual([
        { QueueUrl: QUEUE_URL, Entries: entries(first) },
        { QueueUrl: QUEUE_URL, Entries: entries(second) },
      ]);
      expect(calls(sqs, ChangeMessageVisibilityBatchCommand)).toEqual([]);
      expect(result).toEqual({
        received: 13,
        runs: [{ status: 'started', pipeline: 'orders', executionName: name, executionArn: `${EXECUTION_PREFIX}${name}`, objects: 13 }],
        released: [],
        ignored: [],
        failed: [],
      });
    });

    it('starts one run per pipeline when the queue holds two pipelines’ bursts', async () => {
      // Prepare
      const orders = uploads('orders', 0, 2, 60);
      const returns = uploads('returns', 0, 3, 60);
      queueHolds([orders[0] as Message, ...returns, orders[1] as Message]);

      // Act
      const result = await startRun({}, deps);

      // Assess
      expect(sentInputs()).toEqual([
        { name: batchExecutionName('orders', orders.map(objectOf)), input: { trigger: 'upload', pipeline: 'orders', objects: orders.map(objectOf) } },
        { name: batchExecutionName('returns', returns.map(objectOf)), input: { trigger: 'upload', pipeline: 'returns', objects: returns.map(objectOf) } },
      ]);
      expect(calls(sqs, DeleteMessageBatchCommand)).toEqual([
        { QueueUrl: QUEUE_URL, Entries: entries(orders) },
        { QueueUrl: QUEUE_URL, Entries: entries(returns) },
      ]);
      expect(calls(sfn, ListExecutionsCommand)).toHaveLength(1);
      expect(result.runs.map((r) => [r.pipeline, r.objects])).toEqual([['orders', 2], ['returns', 3]]);
    });

    it(`starts a run of the first ${MAX_LISTED_OBJECTS} objects and releases the others for a later run when the burst holds more`, async () => {
      // Prepare
      const burst = uploads('orders', 0, MAX_OBJECTS_PER_RUN + 5, 60);
      queueHolds(...Array.from({ length: Math.ceil(burst.length / 10) }, (_, i) => burst.slice(i * 10, i * 10 + 10)));

      // Act
      const result = await startRun({}, deps);

      // Assess
      const [firstRun] = runsOfBatch(burst.map(objectOf), MAX_OBJECTS_PER_RUN);
      expect(sentInputs()).toEqual([{ name: batchExecutionName('orders', firstRun ?? []), input: { trigger: 'upload', pipeline: 'orders', objects: firstRun } }]);
      expect(calls(sqs, DeleteMessageBatchCommand).flatMap((c) => c.Entries ?? []).map((e) => e.ReceiptHandle)).toEqual(burst.slice(0, MAX_OBJECTS_PER_RUN).map((m) => m.ReceiptHandle));
      expect(calls(sqs, ChangeMessageVisibilityBatchCommand)).toEqual([
        { QueueUrl: QUEUE_URL, Entries: burst.slice(MAX_OBJECTS_PER_RUN).map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })) },
      ]);
      expect(result.released).toEqual([{ pipeline: 'orders', messages: 5, reason: 'next-run' }]);
    });
  });

  describe('a burst still arriving', () => {
    it('releases its messages for the next tick and starts nothing when its newest upload is younger than the quiet period', async () => {
      // Prepare
      const burst = [...uploads('orders', 0, 2, 200), ...uploads('orders', 2, 1, 5)];
      queueHolds(burst);

      // Act
      const result = await startRun({}, deps);

      // Assess
      expect(calls(sqs, ChangeMessageVisibilityBatchCommand)).toEqual([
        { QueueUrl: QUEUE_URL, Entries: burst.map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })) },
      ]);
      expect(calls(sfn, ListExecutionsCommand)).toEqual([]);
      expect(calls(sfn, StartExecutionCommand)).toEqual([]);
      expect(calls(sqs, DeleteMessageBatchCommand)).toEqual([]);
      expect(result.released).toEqual([{ pipeline: 'orders', messages: 3, reason: 'quiet' }]);
    });

    it('starts the run anyway when its oldest upload has waited the maximum', async () => {
      // Prepare
      const burst = [...uploads('orders', 0, 1, 300), ...uploads('orders', 1, 1, 1)];
      queueHolds(burst);

      // Act
      const result = await startRun({}, deps);

      // Assess
      expect(result.runs).toHaveLength(1);
      expect(calls(sqs, DeleteMessageBatchCommand)).toEqual([{ QueueUrl: QUEUE_URL, Entries: entries(burst) }]);
      expect(calls(sqs, ChangeMessageVisibilityBatchCommand)).toEqual([]);
    });
  });

  describe('a pipeline with a run going', () => {
    it('defers its messages and starts nothing when a running execution on a later page of the list is one of its runs', async () => {
      // Prepare
      const burst = uploads('orders', 0, 2, 60);
      queueHolds(burst);
      sfn
        .on(ListExecutionsCommand)
        .resolvesOnce({ executions: [{ executionArn: `${EXECUTION_PREFIX}x`, stateMachineArn: STATE_MACHINE, name: 'returns-2files-0123456789abcdef', status: 'RUNNING', startDate: new Date() }], nextToken: 't1' })
        .resolvesOnce({ executions: [{ executionArn: `${EXECUTION_PREFIX}y`, stateMachineArn: STATE_MACHINE, name: 'orders-7files-0123456789abcdef', status: 'RUNNING', startDate: new Date() }] });

      // Act
      const result = await startRun({}, deps);

      // Assess
      expect(calls(sfn, ListExecutionsCommand)).toEqual([
        { stateMachineArn: STATE_MACHINE, statusFilter: 'RUNNING', maxResults: 1000 },
        { stateMachineArn: STATE_MACHINE, statusFilter: 'RUNNING', maxResults: 1000, nextToken: 't1' },
      ]);
      expect(calls(sqs, ChangeMessageVisibilityBatchCommand)).toEqual([
        { QueueUrl: QUEUE_URL, Entries: burst.map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 120 })) },
      ]);
      expect(calls(sfn, StartExecutionCommand)).toEqual([]);
      expect(calls(sqs, DeleteMessageBatchCommand)).toEqual([]);
      expect(result.released).toEqual([{ pipeline: 'orders', messages: 2, reason: 'running' }]);
    });

    it('defers its messages when a running execution without a pipeline in its name was started for it', async () => {
      // Prepare
      const burst = uploads('orders', 0, 1, 60);
      const scheduled = 'a1b2c3d4-0000-4000-8000-000000000000';
      queueHolds(burst);
      sfn.on(ListExecutionsCommand).resolves({ executions: [{ executionArn: `${EXECUTION_PREFIX}${scheduled}`, stateMachineArn: STATE_MACHINE, name: scheduled, status: 'RUNNING', startDate: new Date() }] });
      sfn.on(DescribeExecutionCommand).resolves({ input: JSON.stringify({ trigger: 'schedule', pipeline: 'orders' }) });

      // Act
      const result = await startRun({}, deps);

      // Assess
      expect(calls(sfn, DescribeExecutionCommand)).toEqual([{ executionArn: `${EXECUTION_PREFIX}${scheduled}` }]);
      expect(calls(sfn, StartExecutionCommand)).toEqual([]);
      expect(result.released).toEqual([{ pipeline: 'orders', messages: 1, reason: 'running' }]);
    });

    it('starts the run without describing when the running execution is another pipeline’s upload run', async () => {
      // Prepare
      queueHolds(uploads('orders', 0, 1, 60));
      sfn.on(ListExecutionsCommand).resolves({ executions: [{ executionArn: `${EXECUTION_PREFIX}r`, stateMachineArn: STATE_MACHINE, name: 'returns-a_csv-0123456789abcdef', status: 'RUNNING', startDate: new Date() }] });

      // Act
      const result = await startRun({}, deps);

      // Assess
      expect(calls(sfn, DescribeExecutionCommand)).toEqual([]);
      expect(result.runs.map((r) => r.pipeline)).toEqual(['orders']);
    });
  });

  describe('a run that exists already', () => {
    it('reports a duplicate and deletes the messages when Step Functions answers ExecutionAlreadyExists', async () => {
      // Prepare
      const message = queued('again', objectCreated('incoming/orders/a.csv', { 'version-id': 'v7' }), 60);
      queueHolds([message]);
      sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('exists'), { name: 'ExecutionAlreadyExists' }));

      // Act
      const result = await startRun({}, deps);

      // Assess
      const name = uploadExecutionName('orders', 'lake-bucket', 'incoming/orders/a.csv', 'v7');
      expect(sentInputs().map((s) => s.name)).toEqual([name]);
      expect(result.runs).toEqual([{ status: 'duplicate', pipeline: 'orders', executionName: name, executionArn: `${EXECUTION_PREFIX}${name}`, objects: 1 }]);
      expect(calls(sqs, DeleteMessageBatchCommand)).toEqual([{ QueueUrl: QUEUE_URL, Entries: entries([message]) }]);
    });

    it('logs the messages a batch delete could not delete when SQS reports them failed', async () => {
      // Prepare
      const burst = uploads('orders', 0, 2, 60);
      queueHolds(burst);
      sqs.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: 'm0' }], Failed: [{ Id: 'm1', SenderFault: false, Code: 'InternalError' }] });
      const warnings: unknown[] = [];
      const logger: Logger = { ...silentLogger, warn: (message: string, fields?: Record<string, unknown>) => warnings.push({ message, fields }) };

      // Act
      await startRun({}, { ...base, logger });

      // Assess
      expect(warnings).toEqual([{ message: 'some messages could not be deleted: they will come again', fields: { failed: ['orders-1'] } }]);
    });
  });

  describe('a run that cannot start', () => {
    it('keeps that pipeline’s messages hidden and starts the other pipeline when Step Functions throttles one', async () => {
      // Prepare
      const orders = uploads('orders', 0, 2, 60);
      const returns = uploads('returns', 0, 1, 60);
      queueHolds([...orders, ...returns]);
      sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => {
        if (input.name.startsWith('orders')) throw Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
        return { executionArn: `${EXECUTION_PREFIX}${input.name}`, startDate: new Date() };
      });

      // Act
      const result = await startRun({}, deps);

      // Assess
      expect(result.failed).toEqual([{ pipeline: 'orders', messages: 2 }]);
      expect(result.runs.map((r) => r.pipeline)).toEqual(['returns']);
      expect(calls(sqs, DeleteMessageBatchCommand)).toEqual([{ QueueUrl: QUEUE_URL, Entries: entries(returns) }]);
      expect(calls(sqs, ChangeMessageVisibilityBatchCommand)).toEqual([]);
    });
  });

  describe('messages that are not for a pipeline', () => {
    it.each([
      ['outside every drop prefix', objectCreated('incoming/other/a.csv'), /no pipeline watches/],
      ['of a type the pipeline does not take', objectCreated('incoming/orders/a.parquet'), /takes \.csv/],
      ['a folder marker', objectCreated('incoming/orders/sub/'), /folder marker/],
      ['in another bucket', objectCreated('incoming/orders/a.csv', {}, 'elsewhere'), /not the lake bucket/],
      ['not an S3 event', { hello: 'world' }, /not an S3 "Object Created" event/],
      ['not JSON', 'not json', /not JSON/],
    ])('deletes the message without starting a run when it is %s', async (_label, body, reason) => {
      // Prepare
      const message = queued('odd', body, 60);
      queueHolds([message]);

      // Act
      const result = await startRun({}, deps);

      // Assess
      expect(result.ignored).toEqual([{ messageId: 'odd', reason: expect.stringMatching(reason) as unknown }]);
      expect(calls(sqs, DeleteMessageBatchCommand)).toEqual([{ QueueUrl: QUEUE_URL, Entries: entries([message]) }]);
      expect(calls(sfn, StartExecutionCommand)).toEqual([]);
    });
  });

  describe('the drain', () => {
    it('stops receiving and starts nothing when the invocation has too little time left', async () => {
      // Prepare
      queueHolds(uploads('orders', 0, 1, 60));

      // Act
      const result = await startRun({}, { ...deps, remainingMs: () => 10_000 });

      // Assess
      expect(calls(sqs, ReceiveMessageCommand)).toEqual([]);
      expect(result).toEqual({ received: 0, runs: [], released: [], ignored: [], failed: [] });
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

describe('batchExecutionName', () => {
  const objects = [
    { bucket: 'b', key: 'incoming/churn/a.csv', versionId: 'v1' },
    { bucket: 'b', key: 'incoming/churn/b.csv', versionId: 'v1' },
  ];

  it('gives the same name when the batch comes in another order', () => {
    expect(batchExecutionName('churn', objects)).toBe(batchExecutionName('churn', [...objects].reverse()));
  });

  it('gives another name when one object’s version changes', () => {
    // Prepare
    const changed = objects.map((o) => (o.key.endsWith('b.csv') ? { ...o, versionId: 'v2' } : o));

    // Assess
    expect(batchExecutionName('churn', objects)).not.toBe(batchExecutionName('churn', changed));
  });

  it('keeps within 80 characters of allowed ones when the pipeline name is long', () => {
    // Act
    const name = batchExecutionName('p'.repeat(100), objects);

    // Assess
    expect(name.length).toBeLessThanOrEqual(80);
    expect(name).toMatch(/^[A-Za-z0-9_-]+-2files-[0-9a-f]{16}$/);
  });
});

describe('runsOfBatch', () => {
  it('cuts at the number of objects NormalizeInput accepts in one input', () => {
    expect(MAX_OBJECTS_PER_RUN).toBe(MAX_LISTED_OBJECTS);
  });

  it('cuts the objects in key order into runs of at most the limit when there are more', () => {
    // Prepare
    const objects = ['d', 'a', 'c', 'b', 'e'].map((k) => ({ bucket: 'b', key: k }));

    // Act
    const runs = runsOfBatch(objects, 2);

    // Assess
    expect(runs.map((r) => r.map((o) => o.key))).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });
});
