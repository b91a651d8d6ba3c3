import path from 'node:path';
import { parseArgs } from 'node:util';
import { describeError } from '../../core/errors.js';
import type { SpecCatalog } from '../../core/pipelines/spec-catalog.js';
import type { PipelineSpec } from '../../core/spec/load-spec.js';
import { projectRoot } from '../runtime/project-root.js';
import type { FiringOutcome } from '../runtime/local-scheduler.js';
import type { RunSummary } from '../runtime/run-local.js';
import type { showRun as showRunFn } from '../runtime/run-history.js';

type ShowRun = typeof showRunFn;

/**
 * `sluice schedule [--pipeline NAME|PATH] [--lake DIR]`: runs the pipelines' schedules in the foreground until Ctrl-C,
 * on the same expressions and time zones as EventBridge Scheduler in the cloud. Each firing starts the workflow with
 * the cloud schedule's input, `{"trigger":"schedule","pipeline":NAME}`, so a firing with no new data since the
 * production model's follows the spec's `schedule.whenNoNewData`. Prints each firing and how its run ended.
 */
export async function scheduleCommand(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...args], options: { pipeline: { type: 'string' }, lake: { type: 'string' } } });
  const [{ fixedSpecCatalog, folderSpecCatalog }, { loadPipelineSpec }, { LocalScheduler }, { runLocal, timeBasedExecutionName }, { showRun }] = await Promise.all([
    import('../../core/pipelines/spec-catalog.js'),
    import('../../core/spec/load-spec.js'),
    import('../runtime/local-scheduler.js'),
    import('../runtime/run-local.js'),
    import('../runtime/run-history.js'),
  ]);
  const root = projectRoot();
  const pipelinesDir = path.join(root, 'pipelines');
  const lakeRoot = path.resolve(values.lake ?? 'sluice-lake');
  let specs: SpecCatalog;
  let scheduled: readonly PipelineSpec[];
  if (values.pipeline !== undefined) {
    const spec = loadPipelineSpec(values.pipeline, pipelinesDir);
    specs = path.dirname(spec.file) === path.join(pipelinesDir, spec.name) ? folderSpecCatalog(pipelinesDir) : fixedSpecCatalog([spec]);
    scheduled = [spec];
  } else {
    specs = folderSpecCatalog(pipelinesDir);
    scheduled = specs.all();
  }
  const scheduler = new LocalScheduler<RunSummary>({
    specs: scheduled,
    run: (spec) => runLocal({ projectRoot: root, spec, specs, lakeRoot, input: { trigger: 'schedule', pipeline: spec.name }, executionName: timeBasedExecutionName(spec.name) }),
    onFire: (pipeline, firedAt) => process.stdout.write(`${stamp()} ${pipeline}: fired (due ${firedAt.toISOString()}), running\n`),
    onBusy: (pipeline, firedAt) => process.stdout.write(`${stamp()} ${pipeline}: firing due ${firedAt.toISOString()} dropped: its previous scheduled run has not finished\n`),
    onFinish: (outcome) => void report(outcome, lakeRoot, showRun),
  });
  const armed = scheduler.schedules();
  if (armed.length === 0) {
    process.stderr.write(`sluice schedule: no enabled schedule in ${values.pipeline ?? 'pipelines/'} (a spec's schedule: section, docs/pipeline-spec.md)\n`);
    return 2;
  }
  scheduler.start();
  for (const s of scheduler.schedules()) {
    process.stdout.write(`sluice: ${s.pipeline} on ${s.expression} (${s.timezone}), next ${s.next?.toISOString() ?? 'never'}\n`);
  }
  process.stdout.write(`sluice: scheduling in ${lakeRoot}; Ctrl-C stops\n`);
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  process.stdout.write('\nsluice: stopping (a run in progress finishes first; Ctrl-C again aborts it)\n');
  await scheduler.stop();
  return 0;
}

async function report(outcome: FiringOutcome<RunSummary>, lakeRoot: string, showRun: ShowRun): Promise<void> {
  if ('error' in outcome) {
    const { name, message } = describeError(outcome.error);
    process.stdout.write(`${stamp()} ${outcome.pipeline}: could not run: ${name}: ${message}\n`);
    return;
  }
  const summary = outcome.result;
  const listing = (await showRun(lakeRoot, summary.runId).catch(() => undefined))?.listing;
  const how = listing ? `${listing.outcome}${listing.modelVersion === undefined ? '' : ` (model v${listing.modelVersion})`}${listing.detail ? `: ${listing.detail}` : ''}` : (summary.error?.message ?? '');
  process.stdout.write(`${stamp()} ${outcome.pipeline}: run ${summary.runId} ${summary.status}, ${how}\n`);
}

function stamp(): string {
  return new Date().toISOString();
}
