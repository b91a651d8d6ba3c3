import { TerminalStepError } from '../errors.js';
import type { SpecCatalog } from '../pipelines/spec-catalog.js';
import type { Catalog, CrawlTarget } from '../ports/catalog.js';
import { lakeLayout } from '../run/lake-layout.js';
import type { ResourceNames } from '../run/naming.js';
import type { RunContext } from '../run/run-context.js';
import type { CrawlProgress } from '../run/workflow-state.js';
import type { PipelineSpec } from '../spec/load-spec.js';
import { specFileForUser } from '../spec/spec-file.js';

/** The crawl ended FAILED or CANCELLED; the message is the catalog's own. */
export class CrawlFailedError extends TerminalStepError {
  public override readonly name = 'CrawlFailedError';
}

/** The crawl outlasted the spec's `catalog.timeoutSeconds`. */
export class CrawlTimeoutError extends TerminalStepError {
  public override readonly name = 'CrawlTimeoutError';
}

/** What a crawl that ran out of time says: the step that started it, the limit, and the setting to change. */
export function crawlTimeoutMessage(spec: PipelineSpec, crawlerName: string, detail = ''): string {
  return `StartCrawler: the crawl of ${crawlerName}${detail} ran past catalog.timeoutSeconds (${spec.catalog.timeoutSeconds} s); raise it in ${specFileForUser(spec)}`;
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
