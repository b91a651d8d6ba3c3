import middy from '@middy/core';
import { crawlDeps } from '../../aws/wiring/catalog.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { withStepDefaults } from '../../aws/middleware/with-step-defaults.js';
import { getCrawlerState } from '../../core/steps/crawl.js';

const deps = crawlDeps(loadRuntimeConfig());

/** The GetCrawlerState state. */
export const handler = middy((input: unknown) => getCrawlerState(input, deps)).use(withStepDefaults('GetCrawlerState'));
