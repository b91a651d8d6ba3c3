import path from 'node:path';
import { AthenaClient, GetQueryExecutionCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { GetCrawlerCommand, GlueClient, StartCrawlerCommand } from '@aws-sdk/client-glue';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { AthenaQueryEngine } from '../../../aws/adapters/athena-query-engine.js';
import { GlueCatalog } from '../../../aws/adapters/glue-catalog.js';
import { S3ObjectStore } from '../../../aws/adapters/s3-object-store.js';
import { folderSpecCatalog } from '../../../core/pipelines/spec-catalog.js';
import type { Catalog, CrawlTarget } from '../../../core/ports/catalog.js';
import type { QueryEngine, QueryRequest } from '../../../core/ports/query-engine.js';
import type { RunContext } from '../../../core/run/run-context.js';
import type { CrawlProgress, FeatureProgress } from '../../../core/run/workflow-state.js';
import { getCrawlerState } from '../../../core/steps/get-crawler-state.js';
import { getFeatureQueryState } from '../../../core/steps/get-feature-query-state.js';
import { startCrawler } from '../../../core/steps/start-crawler.js';
import { startFeatureQuery } from '../../../core/steps/start-feature-query.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';

const glue = mockClient(GlueClient);
const athena = mockClient(AthenaClient);
const s3 = mockClient(S3Client);

const run: RunContext = {
  runId: 'churn-telco_churn-0123456789abcdef',
  pipeline: 'churn',
  trigger: 'upload',
  objects: [],
  bucket: 'sluice-dev-lake',
  startedAt: '2026-11-21T10:00:00.000Z',
  plan: { features: true, training: 'none', deploy: false },
};
const names = { database: 'sluice_dev', crawlerPrefix: 'sluice-dev-', workgroupPrefix: 'sluice-dev-' };
const specs = folderSpecCatalog(path.join(REPO_ROOT, 'pipelines'));
const specFile = path.relative(process.cwd(), specs.get('churn').file);

describe('crawl steps on Glue', () => {
  const clock = () => new Date('2026-11-21T10:05:00.000Z');
  const deps = { catalog: new GlueCatalog(new GlueClient({ region: 'us-east-1' }), { clock }), specs, names };

  beforeEach(() => glue.reset());

  it('starts the pipeline crawler and bounds the polls by the spec timeout when the crawler is idle', async () => {
    // Prepare
    glue.on(StartCrawlerCommand).resolves({});

    // Act
    const progress = await startCrawler({ run }, deps);

    // Assess
    expect(glue.commandCalls(StartCrawlerCommand)[0]?.args[0].input).toEqual({ Name: 'sluice-dev-churn' });
    expect(progress).toEqual({
      crawlerName: 'sluice-dev-churn',
      database: 'sluice_dev',
      table: 'churn',
      started: true,
      startedAt: '2026-11-21T10:05:00.000Z',
      attempt: 0,
      maxAttempts: 60,
      pollSeconds: 30,
      state: 'STARTING',
    });
  });

  it('waits out a crawl that is already running and then asks to start again', async () => {
    // Prepare
    glue.on(StartCrawlerCommand).rejects(Object.assign(new Error('running'), { name: 'CrawlerRunningException' }));
    glue.on(GetCrawlerCommand).resolves({ Crawler: { State: 'READY', LastCrawl: { Status: 'SUCCEEDED', StartTime: new Date('2026-11-21T09:59:00Z') } } });

    // Act
    const progress = await startCrawler({ run }, deps);
    const next = await getCrawlerState({ run, crawl: progress }, deps);

    // Assess
    expect(progress.started).toBe(false);
    expect(next).toMatchObject({ state: 'RESTART', attempt: 1 });
  });

  it("fails with Glue's message when the crawl ends FAILED", async () => {
    // Prepare
    const crawl: CrawlProgress = { crawlerName: 'sluice-dev-churn', database: 'sluice_dev', table: 'churn', started: true, startedAt: '2026-11-21T10:05:00.000Z', attempt: 3, maxAttempts: 60, pollSeconds: 30, state: 'RUNNING' };
    glue.on(GetCrawlerCommand).resolves({ Crawler: { State: 'READY', LastCrawl: { Status: 'FAILED', ErrorMessage: 'Access denied on s3://x', StartTime: new Date('2026-11-21T10:05:01Z') } } });

    // Act / Assess
    await expect(getCrawlerState({ run, crawl }, deps)).rejects.toMatchObject({ name: 'CrawlFailedError', message: 'Crawler sluice-dev-churn failed: Access denied on s3://x' });
  });

  it('fails with CrawlTimeoutError when the last allowed poll still sees it running', async () => {
    // Prepare
    const crawl: CrawlProgress = { crawlerName: 'sluice-dev-churn', database: 'sluice_dev', table: 'churn', started: true, startedAt: '2026-11-21T10:05:00.000Z', attempt: 59, maxAttempts: 60, pollSeconds: 30, state: 'RUNNING' };
    glue.on(GetCrawlerCommand).resolves({ Crawler: { State: 'RUNNING' } });

    // Act / Assess
    await expect(getCrawlerState({ run, crawl }, deps)).rejects.toMatchObject({
      name: 'CrawlTimeoutError',
      message: `StartCrawler: the crawl of sluice-dev-churn, still running after 60 polls of 30 s, ran past catalog.timeoutSeconds (1800 s); raise it in ${specFile}`,
    });
  });
});

describe('crawl steps on a catalog that enforces the timeout', () => {
  it('passes catalog.timeoutSeconds to the catalog when the crawl starts', async () => {
    // Prepare
    const targets: CrawlTarget[] = [];
    const catalog: Catalog = {
      startCrawl: async (target) => {
        targets.push(target);
        return { started: true, startedAt: '2026-11-21T10:05:00.000Z' };
      },
      crawlStatus: async () => ({ state: 'RUNNING', idle: false }),
    };

    // Act
    await startCrawler({ run }, { catalog, specs, names });

    // Assess
    expect(targets).toEqual([{ crawlerName: 'sluice-dev-churn', database: 'sluice_dev', table: 'churn', bucket: 'sluice-dev-lake', prefix: 'curated/churn/', timeoutSeconds: 1800 }]);
  });

  it('fails with CrawlTimeoutError naming the setting when the catalog stopped the crawl at its limit', async () => {
    // Prepare
    const catalog: Catalog = {
      startCrawl: async () => ({ started: true, startedAt: '2026-11-21T10:05:00.000Z' }),
      crawlStatus: async () => ({ state: 'CANCELLED', timedOut: true, message: 'the crawl ran past its limit of 1800 s and was stopped', idle: true }),
    };
    const crawl: CrawlProgress = { crawlerName: 'sluice-dev-churn', database: 'sluice_dev', table: 'churn', started: true, startedAt: '2026-11-21T10:05:00.000Z', attempt: 3, maxAttempts: 60, pollSeconds: 30, state: 'RUNNING' };

    // Act / Assess
    await expect(getCrawlerState({ run, crawl }, { catalog, specs, names })).rejects.toMatchObject({
      name: 'CrawlTimeoutError',
      message: `StartCrawler: the crawl of sluice-dev-churn ran past catalog.timeoutSeconds (1800 s); raise it in ${specFile}`,
    });
  });
});

describe('feature query steps on Athena', () => {
  const deps = {
    queryEngine: new AthenaQueryEngine(new AthenaClient({ region: 'us-east-1' })),
    store: new S3ObjectStore(new S3Client({ region: 'us-east-1' })),
    specs,
    names,
  };

  beforeEach(() => {
    athena.reset();
    s3.reset();
  });

  it('sends exactly one StartQueryExecution per run, unloading both splits as Parquet partitions of the run prefix', async () => {
    // Prepare
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });

    // Act
    const progress = await startFeatureQuery({ run }, deps);

    // Assess
    const calls = athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ QueryExecutionContext: { Database: 'sluice_dev' }, WorkGroup: 'sluice-dev-churn', ClientRequestToken: 'churn-telco_churn-0123456789abcdef-features-0' });
    expect(calls[0]?.QueryString).toMatch(/^UNLOAD \(SELECT \* FROM \(\n[\s\S]*\n, "__sluice_split" AS "split"\nFROM \(SELECT .* < 800 THEN 'train' ELSE 'validation' END AS "__sluice_split" FROM "sluice_dev"\."churn"\) AS "churn"\n\)\) TO /);
    expect(calls[0]?.QueryString).toMatch(/\) TO 's3:\/\/sluice-dev-lake\/features\/churn\/churn-telco_churn-0123456789abcdef\/' WITH \(format = 'PARQUET', compression = 'SNAPPY', partitioned_by = ARRAY\['split'\]\)$/);
    expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix)).toEqual(['features/churn/churn-telco_churn-0123456789abcdef/']);
    expect(progress).toMatchObject({
      query: { queryId: 'q-1', location: 's3://sluice-dev-lake/features/churn/churn-telco_churn-0123456789abcdef/', state: 'QUEUED' },
      contentType: 'application/x-parquet',
      train: { queryId: 'q-1', location: 's3://sluice-dev-lake/features/churn/churn-telco_churn-0123456789abcdef/split=train/', state: 'QUEUED' },
      validation: { queryId: 'q-1', location: 's3://sluice-dev-lake/features/churn/churn-telco_churn-0123456789abcdef/split=validation/' },
      maxAttempts: 360,
      pollSeconds: 5,
    });
  });

  it('records the bytes scanned once, for the one query, and moves on when it succeeds', async () => {
    // Prepare
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' }, Statistics: { DataScannedInBytes: 1234, EngineExecutionTimeInMillis: 900 } } });

    // Act
    const next = await getFeatureQueryState({ run, features: featureProgress() }, deps);

    // Assess
    expect(athena.commandCalls(GetQueryExecutionCommand).map((c) => c.args[0].input)).toEqual([{ QueryExecutionId: 'q-1' }]);
    expect(next).toMatchObject({ state: 'SUCCEEDED', attempt: 1, query: { state: 'SUCCEEDED', bytesScanned: 1234, engineMs: 900 }, train: { state: 'SUCCEEDED' }, validation: { state: 'SUCCEEDED' } });
  });

  it('starts the query again under a new token when a redriven execution finds it failed', async () => {
    // Prepare
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'FAILED', StateChangeReason: 'Query exhausted resources' } } });
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-2' });
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });

    // Act
    const restarted = await getFeatureQueryState({ run, features: { ...featureProgress(), attempt: 4 }, redriveCount: 1 }, deps);

    // Assess
    expect(athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input.ClientRequestToken)).toEqual(['churn-telco_churn-0123456789abcdef-features-1']);
    expect(restarted).toMatchObject({ attempt: 0, redriveCount: 1, query: { queryId: 'q-2' }, train: { queryId: 'q-2' }, validation: { queryId: 'q-2' } });
  });

  it("fails with Athena's reason when the query fails", async () => {
    // Prepare
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'FAILED', StateChangeReason: "COLUMN_NOT_FOUND: line 3:8: Column 'x' cannot be resolved" } } });

    // Act / Assess
    await expect(getFeatureQueryState({ run, features: featureProgress() }, deps)).rejects.toMatchObject({
      name: 'FeatureQueryFailedError',
      message: expect.stringContaining("The feature query q-1 failed: COLUMN_NOT_FOUND: line 3:8: Column 'x' cannot be resolved"),
    });
  });
});

/** The progress of a run's feature query, as StartFeatureQuery leaves it. */
function featureProgress(): FeatureProgress {
  return {
    database: 'sluice_dev', table: 'churn', attempt: 0, maxAttempts: 10, pollSeconds: 5, state: 'RUNNING', redriveCount: 0,
    query: { queryId: 'q-1', location: 's3://l/f/', state: 'RUNNING' },
    contentType: 'application/x-parquet',
    train: { queryId: 'q-1', location: 's3://l/f/split=train/', state: 'RUNNING' },
    validation: { queryId: 'q-1', location: 's3://l/f/split=validation/', state: 'RUNNING' },
  };
}

describe('feature query steps on an engine that enforces the timeout', () => {
  const progress = { ...featureProgress(), maxAttempts: 360 };

  it('fails with FeatureQueryTimeoutError naming the query and the setting when the engine stopped it at its limit', async () => {
    // Prepare
    const queryEngine: QueryEngine = {
      startQuery: async () => ({ queryId: 'unused' }),
      queryStatus: async (id) => (id === 'q-1' ? { state: 'CANCELLED', timedOut: true, reason: 'the query ran past its limit of 1800 s and was stopped' } : { state: 'RUNNING' }),
      stopQuery: async () => undefined,
    };

    // Act / Assess
    await expect(getFeatureQueryState({ run, features: progress }, { queryEngine, store: new S3ObjectStore(new S3Client({ region: 'us-east-1' })), specs, names })).rejects.toMatchObject({
      name: 'FeatureQueryTimeoutError',
      message: `StartFeatureQuery: the feature query q-1 ran past features.timeoutSeconds (1800 s); raise it in ${specFile}`,
    });
  });

  it('fails with FeatureQueryTimeoutError naming the setting when the last allowed poll still sees a query running', async () => {
    // Prepare
    const queryEngine: QueryEngine = { startQuery: async () => ({ queryId: 'unused' }), queryStatus: async () => ({ state: 'RUNNING' }), stopQuery: async () => undefined };

    // Act / Assess
    await expect(
      getFeatureQueryState({ run, features: { ...progress, attempt: 359 } }, { queryEngine, store: new S3ObjectStore(new S3Client({ region: 'us-east-1' })), specs, names }),
    ).rejects.toMatchObject({
      name: 'FeatureQueryTimeoutError',
      message: `StartFeatureQuery: the feature query q-1, still running after 360 polls of 5 s, ran past features.timeoutSeconds (1800 s); raise it in ${specFile}`,
    });
  });

  it('passes features.timeoutSeconds with the one query when it starts', async () => {
    // Prepare
    const requests: QueryRequest[] = [];
    const queryEngine: QueryEngine = {
      startQuery: async (request) => {
        requests.push(request);
        return { queryId: `q${requests.length}` };
      },
      queryStatus: async () => ({ state: 'RUNNING' }),
      stopQuery: async () => undefined,
    };
    s3.reset();
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });

    // Act
    await startFeatureQuery({ run }, { queryEngine, store: new S3ObjectStore(new S3Client({ region: 'us-east-1' })), specs, names });

    // Assess
    expect(requests.map((r) => r.timeoutSeconds)).toEqual([1800]);
  });
});

