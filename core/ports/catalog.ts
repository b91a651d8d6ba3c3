/** What the catalog crawls: a pipeline's curated table. */
export interface CrawlTarget {
  /** The Glue crawler (one per pipeline). */
  crawlerName: string;
  database: string;
  table: string;
  /** The table's data: `curated/<pipeline>/` in the lake bucket. */
  bucket: string;
  prefix: string;
  /**
   * The spec's limit for one crawl (`catalog.timeoutSeconds`). The local catalog stops a crawl still running then;
   * a Glue crawler takes no such limit, so there the poll loop's count enforces it.
   */
  timeoutSeconds?: number;
}

/** Where a crawl stands. */
export interface CrawlStatus {
  state: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  /** The catalog's own message when the crawl failed or was cancelled. */
  message?: string;
  /** The catalog stopped the crawl because it ran past the target's `timeoutSeconds` (state CANCELLED). */
  timedOut?: boolean;
}

/**
 * The data catalog port: Glue crawler + Data Catalog in AWS, DuckDB-inferred table records on disk locally.
 */
export interface Catalog {
  /**
   * Starts a crawl. `started: false` means a crawl was already running (Glue's CrawlerRunningException): the caller
   * waits it out and starts its own afterwards, since that crawl may have begun before this run's data landed.
   */
  startCrawl(target: CrawlTarget): Promise<{ started: boolean; startedAt: string }>;
  /** The state of the crawl started at `startedAt` (a crawl that ended before it is not this run's). */
  crawlStatus(target: CrawlTarget, startedAt: string): Promise<CrawlStatus & { idle: boolean }>;
}
