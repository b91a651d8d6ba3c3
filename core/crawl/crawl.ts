import { TerminalStepError } from '../errors.js';
import type { SpecCatalog } from '../pipelines/spec-catalog.js';
import type { Catalog, CrawlTarget } from '../ports/catalog.js';
import { lakeLayout } from '../run/lake-layout.js';
import type { ResourceNames } from '../run/naming.js';
import type { RunContext } from '../run/run-context.js';
import type { CrawlProgress } from '../run/workflow-state.js';

/** The crawl ended FAILED or CANCELLED; the message is the catalog's own. */
export class CrawlFailedError extends TerminalStepError {
  public override readonly name = 'CrawlFailedError';
}

/** The crawl outlasted the spec's `catalog.timeoutSeconds`. */
export class CrawlTimeoutError extends TerminalStepError {
  public override readonly name = 'CrawlTimeoutError';
}

/** What the crawl steps (StartCrawler, GetCrawlerState) need. */
export interface CrawlDeps {
  catalog: Catalog;
  specs: SpecCatalog;
  names: ResourceNames;
}

/** What the catalog crawls for a run: the pipeline's curated table in the run's lake bucket. */
export function crawlTarget(run: RunContext, progress: Pick<CrawlProgress, 'crawlerName' | 'database' | 'table'>): CrawlTarget {
  return { ...progress, bucket: run.bucket, prefix: lakeLayout.curatedPrefix(run.pipeline) };
}
