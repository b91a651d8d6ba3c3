import middy from '@middy/core';
import { featureQueryDeps } from '../../aws/wiring/catalog.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { withStepDefaults } from '../../aws/middleware/with-step-defaults.js';
import { getFeatureQueryState } from '../../core/steps/feature-query.js';

const deps = featureQueryDeps(loadRuntimeConfig());

/** The GetFeatureQueryState state. */
export const handler = middy((input: unknown) => getFeatureQueryState(input, deps)).use(withStepDefaults('GetFeatureQueryState'));
