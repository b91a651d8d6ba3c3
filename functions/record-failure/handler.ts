import middy from '@middy/core';
import { withStepDefaults } from '../../aws/middleware/with-step-defaults.js';
import { recordFailureDeps } from '../../aws/wiring/record-failure.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { recordExecutionFailure } from '../../core/steps/record-failure.js';

const deps = recordFailureDeps(loadRuntimeConfig());

/**
 * Target of the rule on the state machine's "Execution Status Change" events (FAILED, TIMED_OUT, ABORTED): records the
 * failed run and stops its jobs from outside the execution, which stays redrivable from the state that failed.
 */
export const handler = middy((event: unknown) => recordExecutionFailure(event, deps)).use(withStepDefaults('RecordFailure'));
