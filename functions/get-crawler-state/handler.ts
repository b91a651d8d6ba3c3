import { stepHandler } from '../../aws/middleware/step-handler.js';
import { crawlDeps } from '../../aws/wiring/catalog.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { getCrawlerState } from '../../core/steps/get-crawler-state.js';

const deps = crawlDeps(loadRuntimeConfig());

/** The GetCrawlerState state: the registry's step for it, with this function's AWS dependencies. */
export const handler = stepHandler('GetCrawlerState', getCrawlerState, deps);
