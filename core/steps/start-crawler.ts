import * as z from 'zod';
import type { CrawlDeps } from '../crawl/crawl.js';
import { crawlTarget } from '../crawl/crawl.js';
import { crawlerName, tableName } from '../run/naming.js';
import { runContextSchema } from '../run/run-context.js';
import { parseStateInput } from '../run/state-input.js';
import type { CrawlProgress } from '../run/workflow-state.js';
import { crawlProgressSchema } from '../run/workflow-state.js';

const inputSchema = z.object({ run: runContextSchema, crawl: crawlProgressSchema.optional() }).passthrough();

/**
 * StartCrawler: starts the pipeline's crawler over `curated/<pipeline>/`. A crawler already running (another run's
 * crawl) is not a failure: the loop waits it out and starts its own, since that crawl may predate this run's data.
 *
 * 1. Reads `$.run` and, when the loop comes back here after a RESTART, `$.crawl`.
 * 2. Names the crawler, database and table from the stage's names and the pipeline.
 * 3. Starts the crawl over the pipeline's curated prefix, bounded by `catalog.timeoutSeconds` where the catalog
 *    enforces it (`started: false` when another crawl is running).
 * 4. Returns the progress at `$.crawl`: the number of polls is bounded by the spec's timeout over its poll interval,
 *    and a restart keeps counting toward the same overall timeout.
 */
export async function startCrawler(rawInput: unknown, deps: CrawlDeps): Promise<CrawlProgress> {
  const { run, crawl } = parseStateInput('StartCrawler', inputSchema, rawInput);
  const spec = deps.specs.get(run.pipeline);
  const names = { crawlerName: crawlerName(deps.names, spec.name), database: deps.names.database, table: tableName(spec.name) };
  const { pollSeconds, timeoutSeconds } = spec.catalog;
  const { started, startedAt } = await deps.catalog.startCrawl({ ...crawlTarget(run, names), timeoutSeconds });
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
