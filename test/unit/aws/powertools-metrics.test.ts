import path from 'node:path';
import type { AthenaClient, GetQueryExecutionCommand as GetQueryExecution } from '@aws-sdk/client-athena';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { mockClient } from 'aws-sdk-client-mock';
import { METRICS_NAMESPACE, powertoolsRunMetrics } from '../../../aws/adapters/powertools-metrics.js';
import { METRIC_NAMES } from '../../../core/ports/metrics.js';
import type { RunContext } from '../../../core/run/run-context.js';
import type { FeatureProgress } from '../../../core/run/workflow-state.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';

/** One CloudWatch Embedded Metric Format line, as far as these tests read it. */
interface EmfLine {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

const run: RunContext = {
  runId: 'churn-telco_churn-0123456789abcdef',
  pipeline: 'churn',
  trigger: 'upload',
  objects: [],
  bucket: 'sluice-test-lake',
  startedAt: '2026-11-21T10:00:00.000Z',
  plan: { features: true, training: 'none', deploy: false },
};

const features: FeatureProgress = {
  database: 'sluice_test', table: 'churn', attempt: 0, maxAttempts: 10, pollSeconds: 5, state: 'RUNNING', redriveCount: 0,
  query: { queryId: 'q-1', location: 's3://l/f/', state: 'RUNNING' },
  contentType: 'application/x-parquet',
  train: { queryId: 'q-1', location: 's3://l/f/split=train/', state: 'RUNNING' },
  validation: { queryId: 'q-1', location: 's3://l/f/split=validation/', state: 'RUNNING' },
};

/** What a Lambda invocation passes; only the fields the logger's and tracer's middlewares read matter. */
const context = {
  functionName: 'sluice-test-get-feature-query-state',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:sluice-test-get-feature-query-state',
  memoryLimitInMB: '256',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/sluice-test-get-feature-query-state',
  logStreamName: 'stream',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 60_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} satisfies Context;

/** Runs `act` and returns the EMF lines it printed on stdout (the log lines, which carry no `_aws`, are left out). */
async function emfLinesOf(act: () => Promise<unknown>): Promise<EmfLine[]> {
  const printed: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed.push(String(chunk));
    return true;
  });
  try {
    await act();
  } finally {
    write.mockRestore();
  }
  return printed
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line): line is EmfLine => '_aws' in line);
}

describe('powertoolsRunMetrics', () => {
  describe('records with different dimensions', () => {
    it('prints one EMF line per dimension set, each metric with its own dimensions, when the dimensions change', async () => {
      // Prepare
      const metrics = powertoolsRunMetrics(new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'sluice-test' }));

      // Act
      const lines = await emfLinesOf(async () => {
        metrics.record(METRIC_NAMES.modelMetric, 'None', 0.91, { pipeline: 'churn', metric: 'validation:auc', model: 'candidate' });
        metrics.record(METRIC_NAMES.modelMetric, 'None', 0.88, { pipeline: 'churn', metric: 'validation:auc', model: 'production' });
        metrics.record(METRIC_NAMES.promoted, 'Count', 1, { pipeline: 'churn' });
        metrics.flush();
      });

      // Assess
      expect(lines.map((l) => [l._aws.CloudWatchMetrics[0]?.Dimensions, l.model ?? null, l[METRIC_NAMES.modelMetric] ?? l[METRIC_NAMES.promoted]])).toEqual([
        [[['service', 'pipeline', 'metric', 'model']], 'candidate', 0.91],
        [[['service', 'pipeline', 'metric', 'model']], 'production', 0.88],
        [[['service', 'pipeline']], null, 1],
      ]);
    });

    it('prints nothing when no metric was recorded', async () => {
      // Prepare
      const metrics = powertoolsRunMetrics(new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'sluice-test' }));

      // Act
      const lines = await emfLinesOf(async () => metrics.flush());

      // Assess
      expect(lines).toEqual([]);
    });
  });
});

describe('the get-feature-query-state handler', () => {
  const saved = { ...process.env };
  let handler: (event: unknown, context: Context) => Promise<unknown>;
  let athena: AwsClientStub<AthenaClient>;
  let GetQueryExecutionCommand: typeof GetQueryExecution;

  beforeAll(async () => {
    // The function's environment, as serverless.yml gives it, then a fresh module registry, as a Lambda execution
    // environment loads its bundle: Powertools reads POWERTOOLS_SERVICE_NAME when the function's module makes its Metrics.
    Object.assign(process.env, { LAKE_BUCKET: 'sluice-test-lake', PIPELINES_DIR: path.join(REPO_ROOT, 'pipelines'), POWERTOOLS_SERVICE_NAME: 'sluice-test' });
    jest.resetModules();
    const sdk = await import('@aws-sdk/client-athena');
    GetQueryExecutionCommand = sdk.GetQueryExecutionCommand;
    athena = mockClient(sdk.AthenaClient);
    ({ handler } = await import('../../../functions/get-feature-query-state/handler.js'));
  });

  afterAll(() => {
    athena.restore();
    process.env = saved;
  });

  beforeEach(() => athena.reset());

  describe('a feature query that succeeded', () => {
    it('prints the bytes Athena scanned as an EMF metric in the Sluice namespace, by service and pipeline, when the poll sees it succeed', async () => {
      // Prepare
      athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' }, Statistics: { DataScannedInBytes: 1234, EngineExecutionTimeInMillis: 900 } } });

      // Act
      const lines = await emfLinesOf(() => handler({ run, features, redriveCount: 0 }, context));

      // Assess
      expect(athena.commandCalls(GetQueryExecutionCommand).map((c) => c.args[0].input)).toEqual([{ QueryExecutionId: 'q-1' }]);
      expect(lines).toHaveLength(1);
      expect(lines[0]?._aws.CloudWatchMetrics).toEqual([{ Namespace: 'Sluice', Dimensions: [['service', 'pipeline']], Metrics: [{ Name: 'AthenaBytesScanned', Unit: 'Bytes' }] }]);
      expect(lines[0]).toMatchObject({ service: 'sluice-test', pipeline: 'churn', AthenaBytesScanned: 1234 });
    });
  });

  describe('a feature query still running', () => {
    it('prints no metric when the poll finds it running', async () => {
      // Prepare
      athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'RUNNING' } } });

      // Act
      const lines = await emfLinesOf(() => handler({ run, features, redriveCount: 0 }, context));

      // Assess
      expect(athena.commandCalls(GetQueryExecutionCommand)).toHaveLength(1);
      expect(lines).toEqual([]);
    });
  });
});
