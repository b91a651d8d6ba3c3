import type { StateMachine, StateMachineDefinition } from 'aws-local-stepfunctions';
import type { SpecCatalog } from '../../core/pipelines/spec-catalog.js';
import type { ServerLauncher } from '../adapters/local-hosting.js';
import { definitionHash, readExecutionRecord, startingAt } from './failure-recorder.js';
import { loadDefinition } from './resolve-definition.js';
import { runLocal } from './run-local.js';
import type { RunSummary } from './run-local.js';
import type { StepRecord } from './step-tracker.js';
import { validatedStateMachine } from './validated-machine.js';

/** A run that cannot be redriven: none recorded, it succeeded, or its definition changed since. */
export class NotRedrivableError extends Error {
  public override readonly name = 'NotRedrivableError';
}

/** What a local redrive needs. */
export interface LocalRedriveOptions {
  projectRoot: string;
  specs: SpecCatalog;
  lakeRoot: string;
  runId: string;
  onStep?: (step: StepRecord) => void;
  waitMs?: number;
  launcher?: ServerLauncher;
}

/**
 * `sluice redrive RUN_ID`: resumes a failed local execution from the top-level state it failed in, as Step Functions'
 * RedriveExecution does ("it continues the failed execution from the unsuccessful step and uses the same input ...
 * doesn't rerun these steps"; "Redriven executions use the same state machine definition and execution ARN";
 * Step Functions API reference, RedriveExecution). aws-local-stepfunctions 3.0.0 has no redrive: the same definition
 * runs with `StartAt` set to the failed state, the state's saved input, the execution's name, start time and input,
 * and `$$.Execution.RedriveCount` one more in the run's `context` option, which the steps read to start a job again
 * (DescribeTraining, DescribeTuning, GetFeatureQueryState). A Map state resumes whole: its files are ingested again,
 * which replaces what they wrote (a source is its content).
 */
export async function redriveLocal(options: LocalRedriveOptions): Promise<RunSummary> {
  const record = await readExecutionRecord(options.lakeRoot, options.runId);
  if (!record) throw new NotRedrivableError(`No failed execution ${options.runId} in ${options.lakeRoot}: only a failed local run can be redriven`);
  if (record.status === 'SUCCEEDED') throw new NotRedrivableError(`Execution ${options.runId} succeeded: only a failed, timed-out or aborted run can be redriven`);
  if (record.failedState === undefined) throw new NotRedrivableError(`Execution ${options.runId} failed before its first state: run the file again`);
  if (definitionHash(loadDefinition(options.projectRoot)) !== record.definitionHash) {
    throw new NotRedrivableError(`The workflow definition changed since ${options.runId} ran: a redrive runs the definition the execution ran; run the file again`);
  }
  const spec = options.specs.get(record.pipeline);
  return runLocal({
    projectRoot: options.projectRoot,
    spec,
    specs: options.specs,
    lakeRoot: options.lakeRoot,
    input: record.stateInput ?? {},
    executionName: record.runId,
    resume: { startAt: record.failedState, redriveCount: record.redriveCount + 1, startTime: record.startTime, executionInput: record.executionInput },
    ...(options.onStep ? { onStep: options.onStep } : {}),
    ...(options.waitMs !== undefined ? { waitMs: options.waitMs } : {}),
    ...(options.launcher ? { launcher: options.launcher } : {}),
  });
}

/**
 * The engine's state machine for a redrive: `definition` is validated as it is deployed (a validation the cache
 * usually answers), and its copy that starts at `startAt` runs without validation: asl-validator would refuse the copy
 * for the states before `startAt`, which no state reaches any more (MISSING_TRANSITION_TARGET).
 */
export async function resumedStateMachine(definition: StateMachineDefinition, startAt: string, cacheDir: string | undefined): Promise<{ machine: StateMachine }> {
  await validatedStateMachine(definition, cacheDir);
  const { StateMachine: Engine } = await import('aws-local-stepfunctions');
  const resumed = startingAt(definition as unknown as { StartAt: string; States: Record<string, unknown> }, startAt);
  return { machine: new Engine(resumed as unknown as StateMachineDefinition, { validationOptions: { checkArn: false, noValidate: true } }) };
}
