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
import type { CrawlProgress } from '../../../core/run/workflow-state.js';
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

  it('unloads each split to the run features prefix in the pipeline workgroup when started', async () => {
    // Prepare
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    athena.on(StartQueryExecutionCommand).resolvesOnce({ QueryExecutionId: 'q-train' }).resolvesOnce({ QueryExecutionId: 'q-validation' });

    // Act
    const progress = await startFeatureQuery({ run }, deps);

    // Assess
    const calls = athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({ QueryExecutionContext: { Database: 'sluice_dev' }, WorkGroup: 'sluice-dev-churn', ClientRequestToken: 'churn-telco_churn-0123456789abcdef-features-train-0' });
    expect(calls[0]?.QueryString).toMatch(/^UNLOAD \(SELECT \* FROM \(\n[\s\S]*\nFROM \(SELECT \* FROM "sluice_dev"\."churn" WHERE .* < 800\) AS "churn"\n\)\) TO /);
    expect(calls[0]?.QueryString).toMatch(/\) TO 's3:\/\/sluice-dev-lake\/features\/churn\/churn-telco_churn-0123456789abcdef\/train\/' WITH \(format = 'TEXTFILE', field_delimiter = ','\)$/);
    expect(calls[1]?.QueryString).toMatch(/>= 800\)/);
    expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix)).toEqual([
      'features/churn/churn-telco_churn-0123456789abcdef/train/',
      'features/churn/churn-telco_churn-0123456789abcdef/validation/',
    ]);
    expect(progress).toMatchObject({ train: { queryId: 'q-train', state: 'QUEUED' }, validation: { queryId: 'q-validation' }, maxAttempts: 360, pollSeconds: 5 });
  });

  it('records bytes scanned and moves on when both queries succeed', async () => {
    // Prepare
    const progress = {
      database: 'sluice_dev', table: 'churn', attempt: 0, maxAttempts: 10, pollSeconds: 5, state: 'RUNNING' as const,
      train: { queryId: 'q-train', location: 's3://l/t/', state: 'RUNNING' as const },
      validation: { queryId: 'q-validation', location: 's3://l/v/', state: 'RUNNING' as const },
    };
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' }, Statistics: { DataScannedInBytes: 1234, EngineExecutionTimeInMillis: 900 } } });

    // Act
    const next = await getFeatureQueryState({ run, features: progress }, deps);

    // Assess
    expect(next).toMatchObject({ state: 'SUCCEEDED', attempt: 1, train: { state: 'SUCCEEDED', bytesScanned: 1234 }, validation: { bytesScanned: 1234 } });
  });

  it('starts the queries again under new tokens when a redriven execution finds a failed query', async () => {
    // Prepare
    const progress = {
      database: 'sluice_dev', table: 'churn', attempt: 4, maxAttempts: 10, pollSeconds: 5, state: 'RUNNING' as const, redriveCount: 0,
      train: { queryId: 'q-train', location: 's3://l/t/', state: 'RUNNING' as const },
      validation: { queryId: 'q-validation', location: 's3://l/v/', state: 'RUNNING' as const },
    };
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'FAILED', StateChangeReason: 'Query exhausted resources' } } });
    athena.on(StartQueryExecutionCommand).resolvesOnce({ QueryExecutionId: 'q-train-2' }).resolvesOnce({ QueryExecutionId: 'q-validation-2' });
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });

    // Act
    const restarted = await getFeatureQueryState({ run, features: progress, redriveCount: 1 }, deps);

    // Assess
    expect(athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input.ClientRequestToken)).toEqual([
      'churn-telco_churn-0123456789abcdef-features-train-1',
      'churn-telco_churn-0123456789abcdef-features-validation-1',
    ]);
    expect(restarted).toMatchObject({ attempt: 0, redriveCount: 1, train: { queryId: 'q-train-2' }, validation: { queryId: 'q-validation-2' } });
  });

  it("fails with Athena's reason when a query fails", async () => {
    // Prepare
    const progress = {
      database: 'sluice_dev', table: 'churn', attempt: 0, maxAttempts: 10, pollSeconds: 5, state: 'RUNNING' as const,
      train: { queryId: 'q-train', location: 's3://l/t/', state: 'RUNNING' as const },
      validation: { queryId: 'q-validation', location: 's3://l/v/', state: 'RUNNING' as const },
    };
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'FAILED', StateChangeReason: "COLUMN_NOT_FOUND: line 3:8: Column 'x' cannot be resolved" } } });

    // Act / Assess
    await expect(getFeatureQueryState({ run, features: progress }, deps)).rejects.toMatchObject({
      name: 'FeatureQueryFailedError',
      message: expect.stringContaining("The train feature query q-train failed: COLUMN_NOT_FOUND: line 3:8: Column 'x' cannot be resolved"),
    });
  });
});

describe('feature query steps on an engine that enforces the timeout', () => {
  const progress = {
    database: 'sluice_dev', table: 'churn', attempt: 0, maxAttempts: 360, pollSeconds: 5, state: 'RUNNING' as const,
    train: { queryId: 'q-train', location: 's3://l/t/', state: 'RUNNING' as const },
    validation: { queryId: 'q-validation', location: 's3://l/v/', state: 'RUNNING' as const },
  };

  it('fails with FeatureQueryTimeoutError naming the split and the setting when the engine stopped a query at its limit', async () => {
    // Prepare
    const queryEngine: QueryEngine = {
      startQuery: async () => ({ queryId: 'unused' }),
      queryStatus: async (id) => (id === 'q-train' ? { state: 'CANCELLED', timedOut: true, reason: 'the query ran past its limit of 1800 s and was stopped' } : { state: 'RUNNING' }),
    };

    // Act / Assess
    await expect(getFeatureQueryState({ run, features: progress }, { queryEngine, store: new S3ObjectStore(new S3Client({ region: 'us-east-1' })), specs, names })).rejects.toMatchObject({
      name: 'FeatureQueryTimeoutError',
      message: `StartFeatureQuery: the train feature query q-train ran past features.timeoutSeconds (1800 s); raise it in ${specFile}`,
    });
  });

  it('fails with FeatureQueryTimeoutError naming the setting when the last allowed poll still sees a query running', async () => {
    // Prepare
    const queryEngine: QueryEngine = { startQuery: async () => ({ queryId: 'unused' }), queryStatus: async () => ({ state: 'RUNNING' }) };

    // Act / Assess
    await expect(
      getFeatureQueryState({ run, features: { ...progress, attempt: 359 } }, { queryEngine, store: new S3ObjectStore(new S3Client({ region: 'us-east-1' })), specs, names }),
    ).rejects.toMatchObject({
      name: 'FeatureQueryTimeoutError',
      message: `StartFeatureQuery: the feature queries, still running after 360 polls of 5 s, ran past features.timeoutSeconds (1800 s); raise it in ${specFile}`,
    });
  });

  it('passes features.timeoutSeconds with each query when the queries start', async () => {
    // Prepare
    const requests: QueryRequest[] = [];
    const queryEngine: QueryEngine = {
      startQuery: async (request) => {
        requests.push(request);
        return { queryId: `q${requests.length}` };
      },
      queryStatus: async () => ({ state: 'RUNNING' }),
    };
    s3.reset();
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });

    // Act
    await startFeatureQuery({ run }, { queryEngine, store: new S3ObjectStore(new S3Client({ region: 'us-east-1' })), specs, names });

    // Assess
    expect(requests.map((r) => r.timeoutSeconds)).toEqual([1800, 1800]);
  });
});

