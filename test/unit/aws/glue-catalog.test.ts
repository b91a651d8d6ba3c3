import {
  CrawlerRunningException,
  EntityNotFoundException,
  GetCrawlerCommand,
  GlueClient,
  OperationTimeoutException,
  StartCrawlerCommand,
} from '@aws-sdk/client-glue';
import type { Crawler } from '@aws-sdk/client-glue';
import { mockClient } from 'aws-sdk-client-mock';
import { CrawlerNotFoundError, GlueCatalog } from '../../../aws/adapters/glue-catalog.js';
import { TransientServiceError } from '../../../core/errors.js';
import type { CrawlTarget } from '../../../core/ports/catalog.js';

const glue = mockClient(GlueClient);

const NOW = new Date('2026-11-20T10:00:00.000Z');
const target: CrawlTarget = {
  crawlerName: 'sluice-dev-churn',
  database: 'sluice_dev',
  table: 'churn',
  bucket: 'lake',
  prefix: 'curated/churn/',
};

/** A GetCrawler answer for a crawler in `state` whose last crawl is `lastCrawl`. */
function crawler(state: Crawler['State'], lastCrawl?: Crawler['LastCrawl']): { Crawler: Crawler } {
  return { Crawler: { Name: target.crawlerName, State: state, ...(lastCrawl ? { LastCrawl: lastCrawl } : {}) } };
}

function secondsFromNow(seconds: number): Date {
  return new Date(NOW.getTime() + seconds * 1000);
}

describe('GlueCatalog', () => {
  const catalog = new GlueCatalog(new GlueClient({ region: 'us-east-1' }), { clock: () => NOW });

  beforeEach(() => {
    glue.reset();
  });

  describe('startCrawl', () => {
    it('starts the named crawler and returns the clock time when the crawler is idle', async () => {
      // Prepare
      glue.on(StartCrawlerCommand).resolves({});

      // Act
      const result = await catalog.startCrawl(target);

      // Assess
      expect(result).toEqual({ started: true, startedAt: '2026-11-20T10:00:00.000Z' });
      expect(glue.commandCalls(StartCrawlerCommand)).toHaveLength(1);
      expect(glue.commandCalls(StartCrawlerCommand)[0]?.args[0].input).toEqual({ Name: 'sluice-dev-churn' });
    });

    it('returns started false with the clock time when a crawl is already running', async () => {
      // Prepare
      glue.on(StartCrawlerCommand).rejects(new CrawlerRunningException({ message: 'Crawler with name sluice-dev-churn has already started', $metadata: {} }));

      // Act
      const result = await catalog.startCrawl(target);

      // Assess
      expect(result).toEqual({ started: false, startedAt: '2026-11-20T10:00:00.000Z' });
    });

    it('throws a terminal CrawlerNotFoundError naming the crawler when Glue does not know it', async () => {
      // Prepare
      const cause = new EntityNotFoundException({ message: 'Crawler entry with name sluice-dev-churn does not exist', $metadata: {} });
      glue.on(StartCrawlerCommand).rejects(cause);

      // Act
      const error: unknown = await catalog.startCrawl(target).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(CrawlerNotFoundError);
      expect(error).toMatchObject({ name: 'CrawlerNotFoundError', retryable: false, cause });
      expect((error as Error).message).toContain('Glue crawler "sluice-dev-churn" does not exist');
      expect((error as Error).message).toContain('the stack may not be deployed');
    });

    it('throws TransientServiceError when Glue throttles the call', async () => {
      // Prepare
      glue.on(StartCrawlerCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

      // Act / Assess
      await expect(catalog.startCrawl(target)).rejects.toBeInstanceOf(TransientServiceError);
    });

    it('throws TransientServiceError when the Glue operation times out', async () => {
      // Prepare
      glue.on(StartCrawlerCommand).rejects(new OperationTimeoutException({ message: 'timed out', $metadata: { httpStatusCode: 400 } }));

      // Act / Assess
      await expect(catalog.startCrawl(target)).rejects.toMatchObject({ name: 'TransientServiceError', retryable: true });
    });

    it('rethrows the SDK error unchanged when the failure is neither transient nor known', async () => {
      // Prepare
      const denied = Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });
      glue.on(StartCrawlerCommand).rejects(denied);

      // Act / Assess
      await expect(catalog.startCrawl(target)).rejects.toBe(denied);
    });
  });

  describe('crawlStatus', () => {
    const startedAt = NOW.toISOString();

    it.each(['RUNNING', 'STOPPING'] as const)('reports RUNNING and busy when the crawler is %s', async (state) => {
      // Prepare
      glue.on(GetCrawlerCommand).resolves(crawler(state, { Status: 'SUCCEEDED', StartTime: secondsFromNow(-3600) }));

      // Act
      const status = await catalog.crawlStatus(target, startedAt);

      // Assess
      expect(status).toEqual({ state: 'RUNNING', idle: false });
      expect(glue.commandCalls(GetCrawlerCommand)[0]?.args[0].input).toEqual({ Name: 'sluice-dev-churn' });
    });

    it('reports SUCCEEDED without a message when the crawler is ready and its last crawl began after startedAt', async () => {
      // Prepare
      glue.on(GetCrawlerCommand).resolves(crawler('READY', { Status: 'SUCCEEDED', StartTime: secondsFromNow(2) }));

      // Act
      const status = await catalog.crawlStatus(target, startedAt);

      // Assess
      expect(status).toEqual({ state: 'SUCCEEDED', idle: true });
    });

    it('reports FAILED with Glue’s error message when this run’s crawl failed', async () => {
      // Prepare
      glue.on(GetCrawlerCommand).resolves(
        crawler('READY', { Status: 'FAILED', StartTime: secondsFromNow(1), ErrorMessage: 'Service Principal: glue.amazonaws.com is not authorized' }),
      );

      // Act
      const status = await catalog.crawlStatus(target, startedAt);

      // Assess
      expect(status).toEqual({ state: 'FAILED', message: 'Service Principal: glue.amazonaws.com is not authorized', idle: true });
    });

    it('reports CANCELLED with Glue’s message when this run’s crawl was stopped', async () => {
      // Prepare
      glue.on(GetCrawlerCommand).resolves(crawler('READY', { Status: 'CANCELLED', StartTime: NOW, ErrorMessage: 'Stopped by user' }));

      // Act
      const status = await catalog.crawlStatus(target, startedAt);

      // Assess
      expect(status).toEqual({ state: 'CANCELLED', message: 'Stopped by user', idle: true });
    });

    it('reports RUNNING and idle when the last crawl is older than startedAt (ours has not begun)', async () => {
      // Prepare
      glue.on(GetCrawlerCommand).resolves(crawler('READY', { Status: 'FAILED', StartTime: secondsFromNow(-600), ErrorMessage: 'an old failure' }));

      // Act
      const status = await catalog.crawlStatus(target, startedAt);

      // Assess
      expect(status).toEqual({ state: 'RUNNING', idle: true });
    });

    it('reports RUNNING and idle when the crawler has never crawled', async () => {
      // Prepare
      glue.on(GetCrawlerCommand).resolves(crawler('READY'));

      // Act
      const status = await catalog.crawlStatus(target, startedAt);

      // Assess
      expect(status).toEqual({ state: 'RUNNING', idle: true });
    });

    it('counts a crawl that began up to 5 s before startedAt as this run’s when the clocks are skewed', async () => {
      // Prepare
      glue.on(GetCrawlerCommand).resolvesOnce(crawler('READY', { Status: 'SUCCEEDED', StartTime: secondsFromNow(-5) }))
        .resolvesOnce(crawler('READY', { Status: 'SUCCEEDED', StartTime: secondsFromNow(-6) }));

      // Act
      const withinSkew = await catalog.crawlStatus(target, startedAt);
      const beyondSkew = await catalog.crawlStatus(target, startedAt);

      // Assess
      expect(withinSkew).toEqual({ state: 'SUCCEEDED', idle: true });
      expect(beyondSkew).toEqual({ state: 'RUNNING', idle: true });
    });

    it('honours a configured clock skew when one is given', async () => {
      // Prepare
      const strict = new GlueCatalog(new GlueClient({ region: 'us-east-1' }), { clock: () => NOW, clockSkewMs: 0 });
      glue.on(GetCrawlerCommand).resolves(crawler('READY', { Status: 'SUCCEEDED', StartTime: new Date(NOW.getTime() - 1) }));

      // Act
      const status = await strict.crawlStatus(target, startedAt);

      // Assess
      expect(status).toEqual({ state: 'RUNNING', idle: true });
    });

    it('throws CrawlerNotFoundError when the crawler does not exist', async () => {
      // Prepare
      glue.on(GetCrawlerCommand).rejects(new EntityNotFoundException({ message: 'Crawler entry with name sluice-dev-churn does not exist', $metadata: {} }));

      // Act / Assess
      await expect(catalog.crawlStatus(target, startedAt)).rejects.toMatchObject({ name: 'CrawlerNotFoundError', retryable: false });
    });

    it('throws TransientServiceError when GetCrawler is throttled', async () => {
      // Prepare
      glue.on(GetCrawlerCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

      // Act
      const error: unknown = await catalog.crawlStatus(target, startedAt).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(TransientServiceError);
      expect((error as Error).message).toBe('GetCrawler sluice-dev-churn failed for now (ThrottlingException): Rate exceeded');
    });
  });
});
