import { stepHandler } from '../../aws/middleware/step-handler.js';
import { recordRunDeps } from '../../aws/wiring/record-run.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { recordRun } from '../../core/steps/record-run.js';

const deps = recordRunDeps(loadRuntimeConfig());

/** The RecordRun state: the registry's step for it, with this function's AWS dependencies. */
export const handler = stepHandler('RecordRun', recordRun, deps);
