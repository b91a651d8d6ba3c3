import type { SpecCatalog } from '../../core/pipelines/spec-catalog.js';
import type { PipelineSpec } from '../../core/spec/load-spec.js';
import { formatStep, formatSummary } from './format.js';

/** What `sluice run --pipeline NAME` with no FILE needs. */
export interface RetrainOptions {
  projectRoot: string;
  spec: PipelineSpec;
  specs: SpecCatalog;
  lakeRoot: string;
  json: boolean;
}

/**
 * `sluice run --pipeline NAME` with no FILE: a retraining on the data already curated in the lake, the run a schedule
 * starts, on demand. Its input is the console's retrain input, `{"pipeline": NAME}` (trigger `manual`), not the
 * schedule's: someone asked for this run, so it trains even with no new data since the production model's (a
 * schedule follows `schedule.whenNoNewData`). Returns the exit code.
 */
export async function retrainCommand(options: RetrainOptions): Promise<number> {
  const { runLocal, timeBasedExecutionName } = await import('../runtime/run-local.js');
  const { spec, json } = options;
  if (!json) process.stdout.write(`sluice: retraining pipeline "${spec.name}" on the data curated in ${options.lakeRoot}\n`);
  const summary = await runLocal({
    projectRoot: options.projectRoot,
    spec,
    specs: options.specs,
    lakeRoot: options.lakeRoot,
    input: { pipeline: spec.name },
    executionName: timeBasedExecutionName(spec.name),
    ...(json ? {} : { onStep: (step) => { if (step.status !== 'RUNNING') process.stdout.write(`${formatStep(step)}\n`); } }),
    ...(json ? {} : { onProgress: (line: string) => process.stdout.write(`    ${line}\n`) }),
  });
  process.stdout.write(json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
  return summary.status === 'SUCCEEDED' ? 0 : 1;
}
