import middy from '@middy/core';
import { crawlDeps } from '../../aws/wiring/catalog.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { withStepDefaults } from '../../aws/middleware/with-step-defaults.js';
import { startCrawler } from '../../core/steps/crawl.js';

const deps = crawlDeps(loadRuntimeConfig());

/** The StartCrawler state. */
export const handler = middy((input: unknown) => startCrawler(input, deps)).use(withStepDefaults('StartCrawler'));
