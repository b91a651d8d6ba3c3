import { AthenaClient, InvalidRequestException, StopQueryExecutionCommand } from '@aws-sdk/client-athena';
import { SageMakerClient, StopHyperParameterTuningJobCommand, StopTrainingJobCommand } from '@aws-sdk/client-sagemaker';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { AthenaQueryEngine } from '../../../aws/adapters/athena-query-engine.js';
import { SageMakerTrainer } from '../../../aws/adapters/sagemaker-trainer.js';
import { SfnExecutionHistory } from '../../../aws/adapters/sfn-execution-history.js';
import { TransientServiceError } from '../../../core/errors.js';
import type { HistoryEvent } from '../../../core/ports/execution-history.js';

/**
 * The AWS calls RecordFailure makes (issue 10, items 3 and 4): the failed execution's history, newest first and page
 * by page, and the stops of the run's training job, tuning job and Athena query.
 */
const sfn = mockClient(SFNClient);
const sagemaker = mockClient(SageMakerClient);
const athena = mockClient(AthenaClient);

const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:sluice-dev:churn-20261121T100000Z-1a2b3c';

function serviceError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

async function firstEvents(history: SfnExecutionHistory, count: number): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  for await (const event of history.newestFirst(EXECUTION)) {
    events.push(event);
    if (events.length === count) break;
  }
  return events;
}

describe('RecordFailure adapters', () => {
  beforeEach(() => {
    sfn.reset();
    sagemaker.reset();
    athena.reset();
  });

  describe('SfnExecutionHistory', () => {
    const history = new SfnExecutionHistory(new SFNClient({ region: 'us-east-1' }));

    it('asks for the newest events first in pages of 1,000 and follows nextToken when the caller reads on', async () => {
      // Prepare: the SDK's paginator reuses one input object, so each request is copied as it is sent
      const sent: Record<string, unknown>[] = [];
      const pages = [
        { events: [{ id: 9, type: 'ExecutionFailed' as const, timestamp: new Date(0), executionFailedEventDetails: { error: 'E', cause: 'c' } }], nextToken: 'page-2' },
        { events: [{ id: 8, type: 'TaskStateEntered' as const, timestamp: new Date(0), stateEnteredEventDetails: { name: 'DescribeTraining', input: '{}' } }] },
      ];
      sfn.on(GetExecutionHistoryCommand).callsFake((input: Record<string, unknown>) => {
        sent.push({ ...input });
        return pages[sent.length - 1];
      });

      // Act
      const events = await firstEvents(history, 2);

      // Assess
      expect(events.map((e) => [e.id, e.type])).toEqual([
        [9, 'ExecutionFailed'],
        [8, 'TaskStateEntered'],
      ]);
      expect(sent).toEqual([
        { executionArn: EXECUTION, reverseOrder: true, includeExecutionData: true, maxResults: 1000 },
        { executionArn: EXECUTION, reverseOrder: true, includeExecutionData: true, maxResults: 1000, nextToken: 'page-2' },
      ]);
    });

    it('reads one page only when the caller stops within it', async () => {
      // Prepare
      sfn.on(GetExecutionHistoryCommand).resolves({ events: [{ id: 3, type: 'ExecutionAborted', timestamp: new Date(0) }], nextToken: 'more' });

      // Act
      await firstEvents(history, 1);

      // Assess
      expect(sfn.commandCalls(GetExecutionHistoryCommand)).toHaveLength(1);
    });

    it('turns a throttle into TransientServiceError when Step Functions throttles the call', async () => {
      // Prepare
      sfn.on(GetExecutionHistoryCommand).rejects(serviceError('ThrottlingException', 'Rate exceeded'));

      // Act / Assess
      await expect(firstEvents(history, 1)).rejects.toBeInstanceOf(TransientServiceError);
    });
  });

  describe('SfnExecutionHistory map run children', () => {
    const history = new SfnExecutionHistory(new SFNClient({ region: 'us-east-1' }));
    const MAP_RUN = 'arn:aws:states:us-east-1:123456789012:mapRun:sluice-dev/IngestFiles:5e1c';
    const child = (id: string): string => `arn:aws:states:us-east-1:123456789012:execution:sluice-dev/IngestFiles:${id}`;
    const childInput = (key: string): string => JSON.stringify({ run: { runId: 'r' }, object: { bucket: 'lake', key } });
    const item = (id: string) => ({ executionArn: child(id), stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:sluice-dev/IngestFiles', name: id, status: 'FAILED' as const, startDate: new Date(0) });

    it('lists the failed, then the timed-out children by map run and describes each when the map run failed', async () => {
      // Prepare: the SDK's paginator reuses one input object, so each request is copied as it is sent
      const listed: Record<string, unknown>[] = [];
      sfn.on(ListExecutionsCommand).callsFake((input: Record<string, unknown>) => {
        listed.push({ ...input });
        if (input.statusFilter === 'FAILED' && input.nextToken === undefined) return { executions: [item('a')], nextToken: 'more' };
        if (input.statusFilter === 'FAILED') return { executions: [item('b')] };
        return { executions: [item('c')] };
      });
      sfn.on(DescribeExecutionCommand, { executionArn: child('a') }).resolves({ status: 'FAILED', input: childInput('incoming/churn/a.csv'), error: 'ContractViolationError', cause: '{"errorMessage":"a"}' });
      sfn.on(DescribeExecutionCommand, { executionArn: child('b') }).resolves({ status: 'FAILED', input: childInput('incoming/churn/b.csv'), error: 'States.TaskFailed', cause: 'b' });
      sfn.on(DescribeExecutionCommand, { executionArn: child('c') }).resolves({ status: 'TIMED_OUT', input: childInput('incoming/churn/c.csv') });

      // Act
      const children = await history.failedChildren(MAP_RUN, 10);

      // Assess
      expect(listed).toEqual([
        { mapRunArn: MAP_RUN, statusFilter: 'FAILED', maxResults: 1000 },
        { mapRunArn: MAP_RUN, statusFilter: 'FAILED', maxResults: 1000, nextToken: 'more' },
        { mapRunArn: MAP_RUN, statusFilter: 'TIMED_OUT', maxResults: 1000 },
      ]);
      expect(sfn.commandCalls(DescribeExecutionCommand).map((c) => c.args[0].input)).toEqual([{ executionArn: child('a') }, { executionArn: child('b') }, { executionArn: child('c') }]);
      expect(children).toEqual([
        { status: 'FAILED', input: childInput('incoming/churn/a.csv'), error: 'ContractViolationError', cause: '{"errorMessage":"a"}' },
        { status: 'FAILED', input: childInput('incoming/churn/b.csv'), error: 'States.TaskFailed', cause: 'b' },
        { status: 'TIMED_OUT', input: childInput('incoming/churn/c.csv'), error: undefined, cause: undefined },
      ]);
    });

    it('describes no more children than the limit when many failed', async () => {
      // Prepare
      sfn.on(ListExecutionsCommand).resolves({ executions: [item('a'), item('b'), item('c')], nextToken: 'more' });
      sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED', input: childInput('incoming/churn/x.csv'), error: 'E', cause: 'c' });

      // Act
      const children = await history.failedChildren(MAP_RUN, 2);

      // Assess
      expect(children).toHaveLength(2);
      expect(sfn.commandCalls(ListExecutionsCommand)).toHaveLength(1);
      expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(2);
    });

    it('turns a throttle into TransientServiceError when Step Functions throttles the listing', async () => {
      // Prepare
      sfn.on(ListExecutionsCommand).rejects(serviceError('ThrottlingException', 'Rate exceeded'));

      // Act / Assess
      await expect(history.failedChildren(MAP_RUN, 10)).rejects.toBeInstanceOf(TransientServiceError);
    });
  });

  describe('SageMakerTrainer stops', () => {
    const trainer = new SageMakerTrainer(new SageMakerClient({ region: 'us-east-1' }), { roleArn: '', region: 'us-east-1' });

    it('sends StopTrainingJob with the job name when a training job is stopped', async () => {
      // Prepare
      sagemaker.on(StopTrainingJobCommand).resolves({});

      // Act
      await trainer.stopTraining('sluice-dev-churn-train-0123456789ab');

      // Assess
      expect(sagemaker.commandCalls(StopTrainingJobCommand).map((c) => c.args[0].input)).toEqual([{ TrainingJobName: 'sluice-dev-churn-train-0123456789ab' }]);
    });

    it('sends StopHyperParameterTuningJob with the job name when a tuning job is stopped', async () => {
      // Prepare
      sagemaker.on(StopHyperParameterTuningJobCommand).resolves({});

      // Act
      await trainer.stopTuning('sluice-dev-churn-0123456789ab');

      // Assess
      expect(sagemaker.commandCalls(StopHyperParameterTuningJobCommand).map((c) => c.args[0].input)).toEqual([{ HyperParameterTuningJobName: 'sluice-dev-churn-0123456789ab' }]);
    });

    it('accepts the refusal of a job that already ended when there is nothing left to stop', async () => {
      // Prepare
      sagemaker.on(StopTrainingJobCommand).rejects(serviceError('ValidationException', 'The request was rejected because the training job is in status Failed.'));

      // Act / Assess
      await expect(trainer.stopTraining('sluice-dev-churn-train-0123456789ab')).resolves.toBeUndefined();
    });

    it('fails when SageMaker refuses the stop for another reason', async () => {
      // Prepare
      sagemaker.on(StopHyperParameterTuningJobCommand).rejects(serviceError('AccessDeniedException', 'not authorized'));

      // Act / Assess
      await expect(trainer.stopTuning('sluice-dev-churn-0123456789ab')).rejects.toMatchObject({ name: 'AccessDeniedException' });
    });
  });

  describe('AthenaQueryEngine stopQuery', () => {
    const engine = new AthenaQueryEngine(new AthenaClient({ region: 'us-east-1' }));

    it('sends StopQueryExecution with the query id when a query is stopped', async () => {
      // Prepare
      athena.on(StopQueryExecutionCommand).resolves({});

      // Act
      await engine.stopQuery('6f1c2d3e-0000-4000-8000-00000000abcd');

      // Assess
      expect(athena.commandCalls(StopQueryExecutionCommand).map((c) => c.args[0].input)).toEqual([{ QueryExecutionId: '6f1c2d3e-0000-4000-8000-00000000abcd' }]);
    });

    it('accepts InvalidRequestException when the query already ended', async () => {
      // Prepare
      athena.on(StopQueryExecutionCommand).rejects(new InvalidRequestException({ message: 'Query has already finished', $metadata: {} }));

      // Act / Assess
      await expect(engine.stopQuery('6f1c2d3e-0000-4000-8000-00000000abcd')).resolves.toBeUndefined();
    });
  });
});
