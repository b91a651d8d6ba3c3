import { GetCrawlerCommand, StartCrawlerCommand } from '@aws-sdk/client-glue';
import type { Crawler, GlueClient, LastCrawlInfo } from '@aws-sdk/client-glue';
import { TerminalStepError } from '../../core/errors.js';
import type { Catalog, CrawlStatus, CrawlTarget } from '../../core/ports/catalog.js';
import { classifyAwsError, isAwsError } from './aws-errors.js';

/**
 * How far Glue's clock may lag ours before a crawl we started looks older than its own start. `startedAt` comes from
 * the Lambda's clock, `LastCrawl.StartTime` from Glue's; a few seconds of slack keeps a skewed clock from hiding our
 * crawl (the loop would otherwise wait for one that already ended). The slack cannot adopt an older crawl by mistake:
 * while a crawl runs, StartCrawler answers CrawlerRunningException, and a crawl runs for a minute or more.
 */
export const DEFAULT_CLOCK_SKEW_MS = 5_000;

/** The Glue crawler a pipeline needs does not exist: the stack is not deployed, or the name is wrong. */
export class CrawlerNotFoundError extends TerminalStepError {
  public override readonly name = 'CrawlerNotFoundError';
}

/** Options of {@link GlueCatalog}. */
export interface GlueCatalogOptions {
  /** The clock `startedAt` is read from; injectable for tests. */
  clock?: () => Date;
  /** Slack allowed between our clock and Glue's, in milliseconds (default {@link DEFAULT_CLOCK_SKEW_MS}). */
  clockSkewMs?: number;
}

/**
 * The catalog on AWS Glue: one crawler per pipeline, started on demand and polled with GetCrawler. A crawl already
 * under way is reported as `started: false`, not as an error; Glue's throttling and timeouts become
 * TransientServiceError so the state machine retries them.
 */
export class GlueCatalog implements Catalog {
  private readonly clock: () => Date;
  private readonly clockSkewMs: number;

  public constructor(
    private readonly glue: GlueClient,
    options: GlueCatalogOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.clockSkewMs = options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;
  }

  public async startCrawl(target: CrawlTarget): Promise<{ started: boolean; startedAt: string }> {
    // Read before the call, so the crawl Glue starts cannot carry a StartTime earlier than ours.
    const startedAt = this.clock().toISOString();
    try {
      await this.glue.send(new StartCrawlerCommand({ Name: target.crawlerName }));
      return { started: true, startedAt };
    } catch (error) {
      if (isAwsError(error, 'CrawlerRunningException')) return { started: false, startedAt };
      throw this.failure(error, 'StartCrawler', target);
    }
  }

  public async crawlStatus(target: CrawlTarget, startedAt: string): Promise<CrawlStatus & { idle: boolean }> {
    const crawler = await this.getCrawler(target);
    if (crawler === undefined) throw missingCrawler(target);
    // RUNNING and STOPPING are busy; an unknown state is treated as busy too, and the wait loop's timeout bounds it.
    if (crawler.State !== 'READY') return { state: 'RUNNING', idle: false };
    const last = crawler.LastCrawl;
    if (!this.isOurs(last, startedAt)) return { state: 'RUNNING', idle: true };
    return { ...lastCrawlStatus(last), idle: true };
  }

  private async getCrawler(target: CrawlTarget): Promise<Crawler | undefined> {
    try {
      const out = await this.glue.send(new GetCrawlerCommand({ Name: target.crawlerName }));
      return out.Crawler;
    } catch (error) {
      throw this.failure(error, 'GetCrawler', target);
    }
  }

  /** Whether the last crawl began at or after `startedAt`, less the clock slack. */
  private isOurs(last: LastCrawlInfo | undefined, startedAt: string): last is LastCrawlInfo {
    const began = last?.StartTime?.getTime();
    return began !== undefined && began >= Date.parse(startedAt) - this.clockSkewMs;
  }

  private failure(error: unknown, action: string, target: CrawlTarget): unknown {
    if (isAwsError(error, 'EntityNotFoundException')) return missingCrawler(target, error);
    // Glue answers OperationTimeoutException with HTTP 400, so the status alone would not mark it transient.
    return classifyAwsError(error, `${action} ${target.crawlerName}`, { transientNames: ['OperationTimeoutException'] });
  }
}

function lastCrawlStatus(last: LastCrawlInfo): CrawlStatus {
  const message = last.ErrorMessage ? { message: last.ErrorMessage } : {};
  switch (last.Status) {
    case 'SUCCEEDED':
      return { state: 'SUCCEEDED' };
    case 'CANCELLED':
      return { state: 'CANCELLED', ...message };
    case 'FAILED':
      return { state: 'FAILED', ...message };
    default:
      // A finished crawl with no status Glue documents: fail it rather than wait on it forever.
      return { state: 'FAILED', message: last.ErrorMessage ?? `Glue reported the crawl's status as ${String(last.Status)}` };
  }
}

function missingCrawler(target: CrawlTarget, cause?: unknown): CrawlerNotFoundError {
  return new CrawlerNotFoundError(
    `Glue crawler "${target.crawlerName}" does not exist: the stack may not be deployed in this account and region, ` +
      'or the crawler name does not match the deployed one',
    cause === undefined ? undefined : { cause },
  );
}
