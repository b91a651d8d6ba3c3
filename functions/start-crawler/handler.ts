import { stepHandler } from '../../aws/middleware/step-handler.js';
import { crawlDeps } from '../../aws/wiring/catalog.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { startCrawler } from '../../core/steps/start-crawler.js';

const deps = crawlDeps(loadRuntimeConfig());

/** The StartCrawler state: the registry's step for it, with this function's AWS dependencies. */
export const handler = stepHandler('StartCrawler', startCrawler, deps);
