import * as z from 'zod';
import type { CrawlDeps } from '../crawl/crawl.js';
import { CrawlFailedError, CrawlTimeoutError, crawlTarget, crawlTimeoutMessage } from '../crawl/crawl.js';
import { runContextSchema } from '../run/run-context.js';
import { parseStateInput } from '../run/state-input.js';
import type { CrawlProgress } from '../run/workflow-state.js';
import { crawlProgressSchema } from '../run/workflow-state.js';

const inputSchema = z.object({ run: runContextSchema, crawl: crawlProgressSchema }).passthrough();

/**
 * GetCrawlerState: one poll of the crawl StartCrawler started.
 *
 * 1. Reads `$.run` and `$.crawl`.
 * 2. Asks the catalog how the crawl started at `$.crawl.startedAt` stands.
 * 3. FAILED or CANCELLED fails the run with CrawlFailedError and the catalog's message.
 * 4. SUCCEEDED moves on.
 * 5. A crawl the catalog stopped at `catalog.timeoutSeconds`, or too many polls, fail the run with CrawlTimeoutError
 *    naming the setting and the spec file.
 * 6. Otherwise RUNNING waits again, or RESTART goes back to StartCrawler: the crawl that was running is over and ours
 *    has not started.
 */
export async function getCrawlerState(rawInput: unknown, deps: CrawlDeps): Promise<CrawlProgress> {
  const { run, crawl } = parseStateInput('GetCrawlerState', inputSchema, rawInput);
  const status = await deps.catalog.crawlStatus(crawlTarget(run, crawl), crawl.startedAt);
  const attempt = crawl.attempt + 1;
  if (status.timedOut) throw new CrawlTimeoutError(crawlTimeoutMessage(deps.specs.get(run.pipeline), crawl.crawlerName));
  if (status.state === 'FAILED' || status.state === 'CANCELLED') {
    throw new CrawlFailedError(`Crawler ${crawl.crawlerName} ${status.state === 'FAILED' ? 'failed' : 'was cancelled'}: ${status.message ?? 'no message'}`);
  }
  if (status.state === 'SUCCEEDED') return { ...crawl, attempt, state: 'SUCCEEDED' };
  if (attempt >= crawl.maxAttempts) {
    throw new CrawlTimeoutError(crawlTimeoutMessage(deps.specs.get(run.pipeline), crawl.crawlerName, `, still running after ${attempt} polls of ${crawl.pollSeconds} s,`));
  }
  return { ...crawl, attempt, state: !crawl.started && status.idle ? 'RESTART' : 'RUNNING' };
}
