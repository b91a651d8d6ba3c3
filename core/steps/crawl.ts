import * as z from 'zod';
import { TerminalStepError } from '../errors.js';
import type { SpecCatalog } from '../pipelines/spec-catalog.js';
import type { Catalog, CrawlTarget } from '../ports/catalog.js';
import { lakeLayout } from '../run/lake-layout.js';
import type { ResourceNames } from '../run/naming.js';
import { crawlerName, tableName } from '../run/naming.js';
import type { RunContext } from '../run/run-context.js';
import { runContextSchema } from '../run/run-context.js';
import { parseStateInput } from '../run/state-input.js';

/** The crawl ended FAILED or CANCELLED; the message is the catalog's own. */
export class CrawlFailedError extends TerminalStepError {
  public override readonly name = 'CrawlFailedError';
}

/** The crawl outlasted the spec's `catalog.timeoutSeconds`. */
export class CrawlTimeoutError extends TerminalStepError {
  public override readonly name = 'CrawlTimeoutError';
}

/** What the crawl steps need. */
export interface CrawlDeps {
  catalog: Catalog;
  specs: SpecCatalog;
  names: ResourceNames;
}

/** The crawl's progress, kept in the workflow state at `$.crawl`. */
export const crawlProgressSchema = z
  .object({
    crawlerName: z.string(),
    database: z.string(),
    table: z.string(),
    started: z.boolean(),
    startedAt: z.string(),
    attempt: z.number().int().nonnegative(),
    maxAttempts: z.number().int().positive(),
    pollSeconds: z.number().int().positive(),
    state: z.enum(['STARTING', 'RUNNING', 'RESTART', 'SUCCEEDED']),
  })
  .strict();

/** The crawl's progress at `$.crawl`. */
export type CrawlProgress = z.infer<typeof crawlProgressSchema>;

const startInput = z.object({ run: runContextSchema, crawl: crawlProgressSchema.optional() }).passthrough();
const stateInput = z.object({ run: runContextSchema, crawl: crawlProgressSchema }).passthrough();

function targetOf(run: RunContext, progress: Pick<CrawlProgress, 'crawlerName' | 'database' | 'table'>): CrawlTarget {
  return { ...progress, bucket: run.bucket, prefix: lakeLayout.curatedPrefix(run.pipeline) };
}

/**
 * StartCrawler: starts the pipeline's crawler over `curated/<pipeline>/`. A crawler already running (another run's
 * crawl) is not a failure: the loop waits it out and starts its own, since that crawl may predate this run's data.
 * The number of polls is bounded by the spec's timeout over its poll interval.
 */
export async function startCrawler(rawInput: unknown, deps: CrawlDeps): Promise<CrawlProgress> {
  const { run, crawl } = parseStateInput('StartCrawler', startInput, rawInput);
  const spec = deps.specs.get(run.pipeline);
  const names = { crawlerName: crawlerName(deps.names, spec.name), database: deps.names.database, table: tableName(spec.name) };
  const { started, startedAt } = await deps.catalog.startCrawl(targetOf(run, names));
  const { pollSeconds, timeoutSeconds } = spec.catalog;
  return {
    ...names,
    started,
    startedAt,
    // A restart keeps counting toward the same overall timeout.
    attempt: crawl?.attempt ?? 0,
    maxAttempts: Math.max(1, Math.ceil(timeoutSeconds / pollSeconds)),
    pollSeconds,
    state: 'STARTING',
  };
}

/**
 * GetCrawlerState: one poll. SUCCEEDED moves on; RUNNING waits again; RESTART goes back to StartCrawler (the crawl
 * that was running is over and ours has not started). FAILED or CANCELLED fails the run with the catalog's message;
 * too many polls fail it with CrawlTimeoutError.
 */
export async function getCrawlerState(rawInput: unknown, deps: CrawlDeps): Promise<CrawlProgress> {
  const { run, crawl } = parseStateInput('GetCrawlerState', stateInput, rawInput);
  const status = await deps.catalog.crawlStatus(targetOf(run, crawl), crawl.startedAt);
  const attempt = crawl.attempt + 1;
  if (status.state === 'FAILED' || status.state === 'CANCELLED') {
    throw new CrawlFailedError(`Crawler ${crawl.crawlerName} ${status.state === 'FAILED' ? 'failed' : 'was cancelled'}: ${status.message ?? 'no message'}`);
  }
  if (status.state === 'SUCCEEDED') return { ...crawl, attempt, state: 'SUCCEEDED' };
  if (attempt >= crawl.maxAttempts) {
    throw new CrawlTimeoutError(`Crawler ${crawl.crawlerName} did not finish within ${crawl.maxAttempts * crawl.pollSeconds} s (catalog.timeoutSeconds)`);
  }
  return { ...crawl, attempt, state: !crawl.started && status.idle ? 'RESTART' : 'RUNNING' };
}
