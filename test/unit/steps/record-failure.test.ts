import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../../core/log/logger.js';
import { writeIngestListing } from '../../../core/manifest/ingest-listing.js';
import type { ModelRegistry, ModelVersion } from '../../../core/ports/model-registry.js';
import type { RunContext } from '../../../core/run/run-context.js';
import type { FailedChildExecution, HistoryEvent } from '../../../core/ports/execution-history.js';
import type { ExecutionFailure } from '../../../core/run/execution-failure.js';
import type { Evaluation, FeatureProgress, IngestResult, TrainingProgress } from '../../../core/run/workflow-state.js';
import { MAX_FAILED_FILES, recordExecutionFailure, recordFailure } from '../../../core/steps/record-failure.js';
import { FolderObjectStore } from '../../../local/adapters/folder-object-store.js';

/** A registry that records the decisions it is asked to make. */
class RecordingRegistry implements ModelRegistry {
  public readonly decisions: { version: number; status: string; reason: string }[] = [];
  public async register(): Promise<ModelVersion> {
    throw new Error('not used');
  }
  public async production(): Promise<ModelVersion | undefined> {
    return undefined;
  }
  public async decide(version: ModelVersion, status: 'Approved' | 'Rejected', reason: string): Promise<void> {
    this.decisions.push({ version: version.version, status, reason });
  }
}

const run: RunContext = { runId: 'run-7', pipeline: 'churn', trigger: 'manual', objects: [], bucket: 'lake', startedAt: '2026-11-21T00:00:00.000Z', plan: { features: true, training: 'train', deploy: true } };
const candidate: ModelVersion = {
  pipeline: 'churn',
  version: 7,
  id: 'local:churn/7',
  modelArtifact: 's3://lake/models/churn/job-7/output/model.tar.gz',
  image: 'xgboost:1.7-1',
  metrics: { 'validation:auc': 0.9 },
  status: 'PendingManualApproval',
  runId: 'run-7',
  createdAt: '2026-11-21T00:10:00.000Z',
  lineage: {},
};
const evaluation: Evaluation = { promote: true, decision: { promote: true, metric: 'validation:auc', candidate: 0.9, production: null, reasons: ['no model in production yet'] }, candidate };
const file: IngestResult = {
  source: { bucket: 'lake', key: 'incoming/churn/a.csv' },
  sourceHash: '0123456789abcdef',
  ingestDate: '2026-11-21',
  rawKey: 'raw/churn/ingest_date=2026-11-21/run-7/a.csv',
  curatedPrefix: 'curated/churn/',
  curatedFiles: 1,
  partitions: 1,
  listingKey: 'ingest/_runs/churn/run-7/00aa11bb22cc33dd.json',
  rows: { input: 10, valid: 9, quarantined: 1 },
  durationMs: 12,
};
const curatedKeys = ['curated/churn/ingest_date=2026-11-21/part-0123456789abcdef-0.parquet'];

/** The Cause Step Functions gives a caught Lambda function error: the runtime's error document, as JSON. */
function lambdaCause(errorType: string, errorMessage: string): string {
  return JSON.stringify({ errorType, errorMessage, trace: [`${errorType}: ${errorMessage}`, '    at Runtime.handler (/var/task/functions/deploy/handler.js:1:1)'] });
}

async function depsIn() {
  const lake = await mkdtemp(path.join(tmpdir(), 'sluice-record-failure-'));
  const registry = new RecordingRegistry();
  const deps = { store: new FolderObjectStore(lake), registry, logger: silentLogger, lakeBucket: 'lake', clock: () => new Date('2026-11-21T00:30:00.000Z') };
  // What ValidateAndPartition left for the file: its curated keys, kept out of the state.
  await writeIngestListing(deps.store, 'lake', file.listingKey, { source: 's3://lake/incoming/churn/a.csv', curatedKeys });
  // Where the IngestFiles map run wrote each file's result (core/manifest/ingest-results.ts).
  await deps.store.putText({ bucket: 'lake', key: 'ingest/_maps/run-7/manifest.json' }, JSON.stringify({ ResultFiles: { SUCCEEDED: [{ Key: 'ingest/_maps/run-7/SUCCEEDED_0.json' }] } }));
  await deps.store.putText({ bucket: 'lake', key: 'ingest/_maps/run-7/SUCCEEDED_0.json' }, JSON.stringify([{ Status: 'SUCCEEDED', Output: JSON.stringify(file) }]));
  return { lake, registry, deps };
}

const ingest = { mapRunArn: 'local:run-7:IngestFiles', results: { bucket: 'lake', key: 'ingest/_maps/run-7/manifest.json' } };

/** The failure as both runtimes hand it to RecordFailure: the execution, the state it failed in and that state's input. */
function failureOf(state: unknown, error: { Error: string; Cause?: string }, more: Partial<ExecutionFailure> = {}): ExecutionFailure {
  return { executionArn: 'arn:aws:states:us-east-1:123456789012:execution:sluice-dev:run-7', executionName: 'run-7', startTime: run.startedAt, status: 'FAILED', redriveCount: 0, failedState: 'Deploy', error, state, ...more };
}

describe('recordFailure', () => {
  describe('a step failed and the execution with it', () => {
    it('records the error message from the Lambda error document when a function threw', async () => {
      // Prepare
      const { lake, registry, deps } = await depsIn();
      const error = { Error: 'DeploymentFailedError', Cause: lambdaCause('DeploymentFailedError', 'Endpoint sluice-dev-churn Failed: capacity') };

      // Act
      const failure = await recordFailure(failureOf({ run, ingest, evaluation }, error), deps);

      // Assess
      expect(failure).toEqual({ Error: 'DeploymentFailedError', Cause: 'Endpoint sluice-dev-churn Failed: capacity', manifestKey: 'runs/churn/run-7.json', failedState: 'Deploy' });
      const manifest = JSON.parse(await readFile(path.join(lake, 'lake', 'runs', 'churn', 'run-7.json'), 'utf8')) as Record<string, unknown>;
      expect(manifest).toMatchObject({
        runId: 'run-7',
        status: 'FAILED',
        finishedAt: '2026-11-21T00:30:00.000Z',
        rows: { input: 10, valid: 9, quarantined: 1 },
        ingest: [{ ...file, curatedKeys }],
        error: { name: 'DeploymentFailedError', message: 'Endpoint sluice-dev-churn Failed: capacity' },
        execution: { arn: 'arn:aws:states:us-east-1:123456789012:execution:sluice-dev:run-7', status: 'FAILED', redriveCount: 0, failedState: 'Deploy' },
        stages: { evaluation },
      });
      expect(registry.decisions).toEqual([{ version: 7, status: 'Rejected', reason: 'not deployed: DeploymentFailedError: Endpoint sluice-dev-churn Failed: capacity' }]);
    });

    it("keeps Step Functions' own cause as the message when the error is one the service raised", async () => {
      // Prepare
      const { deps } = await depsIn();
      const error = { Error: 'States.Timeout', Cause: 'Task timed out after 30.00 seconds' };

      // Act
      const failure = await recordFailure(failureOf({ run }, error), deps);

      // Assess
      expect(failure).toMatchObject({ Error: 'States.Timeout', Cause: 'Task timed out after 30.00 seconds' });
    });
    it('records the message of a Lambda timeout when the document has no error type', async () => {
      // Prepare
      const { deps } = await depsIn();
      const error = { Error: 'Sandbox.Timedout', Cause: JSON.stringify({ errorMessage: 'RequestId: 1 Error: Task timed out after 30.00 seconds' }) };

      // Act
      const failure = await recordFailure(failureOf({ run }, error), deps);

      // Assess
      expect(failure).toMatchObject({ Error: 'Sandbox.Timedout', Cause: 'RequestId: 1 Error: Task timed out after 30.00 seconds' });
    });
  });

  describe('NormalizeInput failed', () => {
    it('records the run under _unknown with the execution name when there is no run context', async () => {
      // Prepare
      const { lake, registry, deps } = await depsIn();
      const error = { Error: 'InvalidRunInputError', Cause: lambdaCause('InvalidRunInputError', 'The run input is not an upload, a schedule or a manual input') };

      // Act
      const failure = await recordFailure(
        failureOf({ pipeline: 'churn', file: 'x.csv' }, error, { executionName: 'manual-1', startTime: '2026-11-21T01:00:00.000Z', failedState: 'NormalizeInput' }),
        deps,
      );

      // Assess
      expect(failure).toEqual({ Error: 'InvalidRunInputError', Cause: 'The run input is not an upload, a schedule or a manual input', manifestKey: 'runs/_unknown/manual-1.json', failedState: 'NormalizeInput' });
      const manifest = JSON.parse(await readFile(path.join(lake, 'lake', 'runs', '_unknown', 'manual-1.json'), 'utf8')) as Record<string, unknown>;
      expect(manifest).toMatchObject({ runId: 'manual-1', pipeline: '_unknown', trigger: 'unknown', startedAt: '2026-11-21T01:00:00.000Z', stages: { pipeline: 'churn', file: 'x.csv' } });
      expect(registry.decisions).toEqual([]);
    });
  });

  describe('the run left jobs running', () => {
    const training: TrainingProgress = { mode: 'tune', jobName: 'sluice-dev-churn-0123456789ab', redriveCount: 0, attempt: 3, maxAttempts: 620, pollSeconds: 30, state: 'InProgress' };
    const features: FeatureProgress = {
      database: 'sluice_dev',
      table: 'churn',
      query: { queryId: 'q-1', location: 's3://lake/features/churn/run-7/', state: 'RUNNING' },
      contentType: 'text/csv',
      train: { queryId: 'q-1', location: 's3://lake/features/churn/run-7/split=train/', state: 'RUNNING' },
      validation: { queryId: 'q-1', location: 's3://lake/features/churn/run-7/split=validation/', state: 'RUNNING' },
      attempt: 1,
      maxAttempts: 360,
      pollSeconds: 5,
      state: 'RUNNING',
      redriveCount: 0,
    };

    it('stops the tuning job when the execution timed out while it ran', async () => {
      // Prepare
      const { deps } = await depsIn();
      const stopped: string[] = [];
      const trainer = { stopTraining: async (name: string) => void stopped.push(`training ${name}`), stopTuning: async (name: string) => void stopped.push(`tuning ${name}`) };

      // Act
      await recordFailure(failureOf({ run, training }, { Error: 'States.Timeout' }, { status: 'TIMED_OUT', failedState: 'WaitForTuning' }), { ...deps, trainer });

      // Assess
      expect(stopped).toEqual(['tuning sluice-dev-churn-0123456789ab']);
    });

    it('stops the feature query and no finished job when the execution was aborted while the query ran', async () => {
      // Prepare
      const { deps } = await depsIn();
      const stopped: string[] = [];
      const trainer = { stopTraining: async (name: string) => void stopped.push(`training ${name}`), stopTuning: async (name: string) => void stopped.push(`tuning ${name}`) };
      const queryEngine = { stopQuery: async (id: string) => void stopped.push(`query ${id}`) };

      // Act
      await recordFailure(
        failureOf({ run, features, training: { ...training, state: 'Completed' } }, { Error: 'ExecutionAborted' }, { status: 'ABORTED', failedState: 'WaitForFeatureQuery' }),
        { ...deps, trainer, queryEngine },
      );

      // Assess
      expect(stopped).toEqual(['query q-1']);
    });

    it('stops the evaluation transforms still running and none that ended when the execution failed while they ran', async () => {
      // Prepare
      const { deps } = await depsIn();
      const stopped: string[] = [];
      const batchScorer = { stopTransform: async (name: string) => void stopped.push(`transform ${name}`) };
      const job = { modelArtifact: 's3://lake/models/churn/job/output/model.tar.gz', image: 'xgboost:1.7-1', output: 's3://lake/scoring/churn/evaluations/run-7/transform-output/' };
      const evaluationJobs = {
        state: 'InProgress',
        jobs: [
          { role: 'production', version: 1, jobName: 'sluice-dev-churn-evaluate-production-0123', state: 'InProgress', ...job },
          { role: 'candidate', jobName: 'sluice-dev-churn-evaluate-candidate-0123', state: 'Completed', ...job },
        ],
        attempt: 4,
        maxAttempts: 60,
        pollSeconds: 60,
        redriveCount: 0,
      };

      // Act
      await recordFailure(
        failureOf({ run, training: { ...training, state: 'Completed' }, evaluationJobs }, { Error: 'States.Timeout' }, { status: 'TIMED_OUT', failedState: 'WaitForEvaluationTransform' }),
        { ...deps, batchScorer },
      );

      // Assess
      expect(stopped).toEqual(['transform sluice-dev-churn-evaluate-production-0123']);
    });
  });

  describe('the same failure delivered twice, and a redriven execution failing again', () => {
    it('writes and rejects once when the status event comes twice', async () => {
      // Prepare
      const { lake, registry, deps } = await depsIn();
      const failure = failureOf({ run, evaluation }, { Error: 'DeploymentFailedError', Cause: lambdaCause('DeploymentFailedError', 'capacity') });
      await recordFailure(failure, deps);
      const first = await readFile(path.join(lake, 'lake', 'runs', 'churn', 'run-7.json'), 'utf8');

      // Act
      const again = await recordFailure(failure, { ...deps, clock: () => new Date('2026-11-21T09:00:00.000Z') });

      // Assess
      expect(again).toMatchObject({ Error: 'DeploymentFailedError', manifestKey: 'runs/churn/run-7.json' });
      expect(await readFile(path.join(lake, 'lake', 'runs', 'churn', 'run-7.json'), 'utf8')).toBe(first);
      expect(registry.decisions).toHaveLength(1);
    });

    it('overwrites the manifest with the newest failure and its redrive count when a redriven execution fails again', async () => {
      // Prepare
      const { lake, deps } = await depsIn();
      await recordFailure(failureOf({ run }, { Error: 'TrainingFailedError', Cause: lambdaCause('TrainingFailedError', 'first') }, { failedState: 'DescribeTraining' }), deps);

      // Act
      await recordFailure(failureOf({ run }, { Error: 'SmokeTestFailedError', Cause: lambdaCause('SmokeTestFailedError', 'second') }, { failedState: 'SmokeTest', redriveCount: 1 }), deps);

      // Assess
      const manifest = JSON.parse(await readFile(path.join(lake, 'lake', 'runs', 'churn', 'run-7.json'), 'utf8')) as Record<string, unknown>;
      expect(manifest).toMatchObject({ error: { name: 'SmokeTestFailedError', message: 'second' }, execution: { redriveCount: 1, failedState: 'SmokeTest' } });
    });
  });
});

describe('recordExecutionFailure', () => {
  const executionArn = 'arn:aws:states:us-east-1:123456789012:execution:sluice-dev:run-7';
  const statusEvent = (status: string) => ({
    'version': '0',
    'id': 'e-1',
    'detail-type': 'Step Functions Execution Status Change',
    'source': 'aws.states',
    'account': '123456789012',
    'time': '2026-11-21T00:30:00Z',
    'region': 'us-east-1',
    'resources': [executionArn],
    'detail': { executionArn, stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:sluice-dev', name: 'run-7', status, startDate: Date.parse(run.startedAt), redriveCount: 2 },
  });

  /** A history, newest first, as GetExecutionHistory returns it with reverseOrder; counts how many events were read. */
  function historyOf(events: HistoryEvent[]) {
    const read: number[] = [];
    return {
      read,
      history: {
        async *newestFirst(arn: string) {
          if (arn !== executionArn) throw new Error(`unexpected execution ${arn}`);
          for (const event of events) {
            read.push(event.id);
            yield event;
          }
        },
      },
    };
  }

  it('records the top-level state the execution failed in, with its input, when the history ends in a failed Map', async () => {
    // Prepare
    const { lake, deps } = await depsIn();
    const input = JSON.stringify({ run });
    const { history, read } = historyOf([
      { id: 12, type: 'ExecutionFailed', executionFailedEventDetails: { error: 'States.ExceedToleratedFailureThreshold', cause: 'too many files failed' } },
      { id: 11, type: 'MapStateFailed' },
      { id: 10, type: 'MapIterationFailed' },
      { id: 9, type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'ValidateAndPartition', input: '{}' } },
      { id: 8, type: 'MapIterationStarted' },
      { id: 7, type: 'MapStateStarted' },
      { id: 6, type: 'MapStateEntered', stateEnteredEventDetails: { name: 'IngestFiles', input } },
      { id: 5, type: 'ChoiceStateExited' },
    ]);

    // Act
    const failure = await recordExecutionFailure(statusEvent('FAILED'), { ...deps, history });

    // Assess
    expect(failure).toEqual({ Error: 'States.ExceedToleratedFailureThreshold', Cause: 'too many files failed', manifestKey: 'runs/churn/run-7.json', failedState: 'IngestFiles' });
    expect(read).toEqual([12, 11, 10, 9, 8, 7, 6]);
    const manifest = JSON.parse(await readFile(path.join(lake, 'lake', 'runs', 'churn', 'run-7.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({ runId: 'run-7', status: 'FAILED', execution: { arn: executionArn, status: 'FAILED', redriveCount: 2, failedState: 'IngestFiles' } });
  });

  describe('a Distributed Map failed past its tolerated failures', () => {
    const mapRunArn = 'arn:aws:states:us-east-1:123456789012:mapRun:sluice-dev/IngestFiles:5e1c';
    const childInput = (key: string): string => JSON.stringify({ run, object: { bucket: 'lake', key, size: 10 }, index: 1 });

    /** The failed map run's children, as ListExecutions + DescribeExecution give them; records what it was asked. */
    function mapRunsOf(children: FailedChildExecution[]) {
      const asked: { mapRunArn: string; limit: number }[] = [];
      return {
        asked,
        mapRuns: {
          async failedChildren(arn: string, limit: number) {
            asked.push({ mapRunArn: arn, limit });
            return children;
          },
        },
      };
    }

    it("records each failed file's key and error from the map run's children when IngestFiles failed", async () => {
      // Prepare: the children's histories are their own; the parent's holds the map run's ARN and the threshold error
      const { lake, deps } = await depsIn();
      const { history } = historyOf([
        { id: 9, type: 'ExecutionFailed', executionFailedEventDetails: { error: 'States.ExceedToleratedFailureThreshold', cause: 'The specified tolerated failure threshold was exceeded' } },
        { id: 8, type: 'MapStateFailed' },
        { id: 7, type: 'MapRunFailed' },
        { id: 6, type: 'MapRunStarted', mapRunStartedEventDetails: { mapRunArn } },
        { id: 5, type: 'MapStateStarted' },
        { id: 4, type: 'MapStateEntered', stateEnteredEventDetails: { name: 'IngestFiles', input: JSON.stringify({ run }) } },
      ]);
      const cause = lambdaCause('ContractViolationError', 'incoming/churn/b.csv: column "tenure" is missing');
      const { mapRuns, asked } = mapRunsOf([
        { status: 'FAILED', input: childInput('incoming/churn/b.csv'), error: 'ContractViolationError', cause },
        { status: 'TIMED_OUT', input: childInput('incoming/churn/c.csv') },
      ]);

      // Act
      await recordExecutionFailure(statusEvent('FAILED'), { ...deps, history, mapRuns });

      // Assess
      expect(asked).toEqual([{ mapRunArn, limit: MAX_FAILED_FILES + 1 }]);
      const manifest = JSON.parse(await readFile(path.join(lake, 'lake', 'runs', 'churn', 'run-7.json'), 'utf8')) as Record<string, unknown>;
      expect(manifest.failedFiles).toEqual([
        { object: 's3://lake/incoming/churn/b.csv', error: 'ContractViolationError', cause },
        { object: 's3://lake/incoming/churn/c.csv', error: 'TIMED_OUT', cause: '' },
      ]);
    });

    it('records at most the cap of failed files when more children failed', async () => {
      // Prepare
      const { lake, deps } = await depsIn();
      const { history } = historyOf([
        { id: 3, type: 'ExecutionFailed', executionFailedEventDetails: { error: 'States.ExceedToleratedFailureThreshold' } },
        { id: 2, type: 'MapRunStarted', mapRunStartedEventDetails: { mapRunArn } },
        { id: 1, type: 'MapStateEntered', stateEnteredEventDetails: { name: 'IngestFiles', input: JSON.stringify({ run }) } },
      ]);
      const many = Array.from({ length: MAX_FAILED_FILES + 1 }, (_, i) => ({ status: 'FAILED', input: childInput(`incoming/churn/${i}.csv`), error: 'E', cause: 'c' }));
      const { mapRuns } = mapRunsOf(many);

      // Act
      await recordExecutionFailure(statusEvent('FAILED'), { ...deps, history, mapRuns });

      // Assess
      const manifest = JSON.parse(await readFile(path.join(lake, 'lake', 'runs', 'churn', 'run-7.json'), 'utf8')) as { failedFiles: unknown[] };
      expect(manifest.failedFiles).toHaveLength(MAX_FAILED_FILES);
    });

    it('asks for no map run children when the execution failed in a state after the map', async () => {
      // Prepare: the map run is older than the failed state's entry, so it is never read
      const { lake, deps } = await depsIn();
      const { history } = historyOf([
        { id: 20, type: 'ExecutionFailed', executionFailedEventDetails: { error: 'TrainingFailedError', cause: 'bad' } },
        { id: 19, type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'DescribeTraining', input: JSON.stringify({ run, ingest }) } },
        { id: 6, type: 'MapRunStarted', mapRunStartedEventDetails: { mapRunArn } },
      ]);
      const { mapRuns, asked } = mapRunsOf([{ status: 'FAILED', error: 'E' }]);

      // Act
      await recordExecutionFailure(statusEvent('FAILED'), { ...deps, history, mapRuns });

      // Assess
      expect(asked).toEqual([]);
      const manifest = JSON.parse(await readFile(path.join(lake, 'lake', 'runs', 'churn', 'run-7.json'), 'utf8')) as Record<string, unknown>;
      expect(manifest.failedFiles).toBeUndefined();
    });
  });

  it('records a timeout with the state it was waiting in when the execution timed out', async () => {
    // Prepare
    const { deps } = await depsIn();
    const { history } = historyOf([
      { id: 30, type: 'ExecutionTimedOut', executionTimedOutEventDetails: {} },
      { id: 29, type: 'WaitStateEntered', stateEnteredEventDetails: { name: 'WaitForTraining', input: JSON.stringify({ run }) } },
    ]);

    // Act
    const failure = await recordExecutionFailure(statusEvent('TIMED_OUT'), { ...deps, history });

    // Assess
    expect(failure).toMatchObject({ Error: 'States.Timeout', failedState: 'WaitForTraining' });
  });

  it('records nothing when the event is of an execution that did not fail', async () => {
    // Prepare
    const { deps } = await depsIn();
    const { history, read } = historyOf([]);

    // Act
    const failure = await recordExecutionFailure(statusEvent('SUCCEEDED'), { ...deps, history });

    // Assess
    expect(failure).toBeUndefined();
    expect(read).toEqual([]);
  });

  it('refuses an event that is not a Step Functions status change', async () => {
    // Prepare
    const { deps } = await depsIn();

    // Act / Assess
    await expect(recordExecutionFailure({ source: 'aws.s3', detail: {} }, { ...deps, history: historyOf([]).history })).rejects.toMatchObject({ name: 'InvalidStateInputError' });
  });
});
