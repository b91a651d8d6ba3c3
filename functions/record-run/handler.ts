import { stepHandler } from '../../aws/middleware/step-handler.js';
import { ingestDeps } from '../../aws/wiring/ingest.js';
import { snsNotifier } from '../../aws/wiring/notifications.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { recordRun } from '../../core/steps/record-run.js';

const config = loadRuntimeConfig();
const deps = { ...ingestDeps(config), ...snsNotifier(config) };

/** The RecordRun state: the registry's step for it, with this function's AWS dependencies. */
export const handler = stepHandler('RecordRun', recordRun, deps);
