import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../../core/log/logger.js';
import { writeIngestListing } from '../../../core/manifest/ingest-listing.js';
import type { ModelRegistry, ModelVersion } from '../../../core/ports/model-registry.js';
import type { RunContext } from '../../../core/run/run-context.js';
import type { Evaluation, IngestResult } from '../../../core/run/workflow-state.js';
import { recordFailure } from '../../../core/steps/record-failure.js';
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
  return { lake, registry, deps };
}

describe('recordFailure', () => {
  describe('a step failed and its error was caught', () => {
    it('records the error message from the Lambda error document when a function threw', async () => {
      // Prepare
      const { lake, registry, deps } = await depsIn();
      const error = { Error: 'DeploymentFailedError', Cause: lambdaCause('DeploymentFailedError', 'Endpoint sluice-dev-churn Failed: capacity') };

      // Act
      const failure = await recordFailure({ executionName: 'run-7', startTime: run.startedAt, state: { run, ingest: { files: [file] }, evaluation, error } }, deps);

      // Assess
      expect(failure).toEqual({ Error: 'DeploymentFailedError', Cause: 'Endpoint sluice-dev-churn Failed: capacity', manifestKey: 'runs/churn/run-7.json' });
      const manifest = JSON.parse(await readFile(path.join(lake, 'lake', 'runs', 'churn', 'run-7.json'), 'utf8')) as Record<string, unknown>;
      expect(manifest).toMatchObject({
        runId: 'run-7',
        status: 'FAILED',
        finishedAt: '2026-11-21T00:30:00.000Z',
        rows: { input: 10, valid: 9, quarantined: 1 },
        ingest: [{ ...file, curatedKeys }],
        error: { name: 'DeploymentFailedError', message: 'Endpoint sluice-dev-churn Failed: capacity' },
        stages: { evaluation },
      });
      expect(registry.decisions).toEqual([{ version: 7, status: 'Rejected', reason: 'not deployed: DeploymentFailedError: Endpoint sluice-dev-churn Failed: capacity' }]);
    });

    it("keeps Step Functions' own cause as the message when the error is one the service raised", async () => {
      // Prepare
      const { deps } = await depsIn();
      const error = { Error: 'States.Timeout', Cause: 'Task timed out after 30.00 seconds' };

      // Act
      const failure = await recordFailure({ executionName: 'run-7', startTime: run.startedAt, state: { run, error } }, deps);

      // Assess
      expect(failure).toMatchObject({ Error: 'States.Timeout', Cause: 'Task timed out after 30.00 seconds' });
    });
    it('records the message of a Lambda timeout when the document has no error type', async () => {
      // Prepare
      const { deps } = await depsIn();
      const error = { Error: 'Sandbox.Timedout', Cause: JSON.stringify({ errorMessage: 'RequestId: 1 Error: Task timed out after 30.00 seconds' }) };

      // Act
      const failure = await recordFailure({ executionName: 'run-7', startTime: run.startedAt, state: { run, error } }, deps);

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
      const failure = await recordFailure({ executionName: 'manual-1', startTime: '2026-11-21T01:00:00.000Z', state: { pipeline: 'churn', file: 'x.csv', error } }, deps);

      // Assess
      expect(failure).toEqual({ Error: 'InvalidRunInputError', Cause: 'The run input is not an upload, a schedule or a manual input', manifestKey: 'runs/_unknown/manual-1.json' });
      const manifest = JSON.parse(await readFile(path.join(lake, 'lake', 'runs', '_unknown', 'manual-1.json'), 'utf8')) as Record<string, unknown>;
      expect(manifest).toMatchObject({ runId: 'manual-1', pipeline: '_unknown', trigger: 'unknown', startedAt: '2026-11-21T01:00:00.000Z', stages: { pipeline: 'churn', file: 'x.csv' } });
      expect(registry.decisions).toEqual([]);
    });
  });
});
