import middy from '@middy/core';
import { awsStepDeps } from '../../core/aws/deps.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { withStepDefaults } from '../../core/middleware/with-step-defaults.js';
import { getCrawlerState } from '../../core/steps/crawl.js';

const deps = awsStepDeps(loadRuntimeConfig());

/** The GetCrawlerState state. */
export const handler = middy((input: unknown) => getCrawlerState(input, deps)).use(withStepDefaults('GetCrawlerState'));
