import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FailedChildExecution } from '../../core/ports/execution-history.js';
import type { ExecutionFailure, FailedStatus } from '../../core/run/execution-failure.js';
import { terminalError } from '../../core/run/execution-failure.js';
import type { CaughtError, Failure } from '../../core/run/workflow-state.js';
import type { RecordFailureDeps } from '../../core/steps/record-failure.js';
import { recordFailure } from '../../core/steps/record-failure.js';
import type { JSONValue } from './local-bindings.js';

/** What the engine's event log says of an event (aws-local-stepfunctions 3.0.0 `EventLog`), as far as read here. */
interface EngineEvent {
  type: string;
  index?: number;
  state?: { name: string; input?: JSONValue };
  Error?: string;
  Cause?: unknown;
}

/**
 * Follows the local engine's event log (`eventLogs`) as the cloud's RecordFailure reads an execution's history: the
 * top-level state the execution is in (a `StateEntered` without the `index` the engine gives states inside a Map
 * iteration) with its input, and how the execution ended.
 */
export class FailureRecorder {
  private current: { name: string; input: JSONValue | undefined } | undefined;
  private ending: { status: FailedStatus; error: CaughtError } | undefined;
  private failedMapRun: { state: string; children: FailedChildExecution[] } | undefined;

  /**
   * Keeps a Distributed Map's map run that failed past its tolerated failures (distributed-map.ts `onMapRunFailed`):
   * its children's errors, which the engine's log does not carry (it says only States.ExceedToleratedFailureThreshold).
   */
  public mapRunFailed(run: { state: string; failedChildren: FailedChildExecution[] }): void {
    this.failedMapRun = { state: run.state, children: run.failedChildren };
  }

  /**
   * The failed map run's children when the execution failed in that map, as the cloud's RecordFailure lists them by
   * the map run of the failed state; none when it failed elsewhere.
   */
  public failedChildren(): FailedChildExecution[] {
    return this.failedMapRun !== undefined && this.failedMapRun.state === this.current?.name ? this.failedMapRun.children : [];
  }

  /** Feeds one engine event. */
  public record(raw: unknown): void {
    const event = raw as EngineEvent;
    if (event.type === 'StateEntered' && event.index === undefined && event.state) {
      this.current = { name: event.state.name, input: event.state.input };
    } else if (event.type === 'ExecutionFailed') {
      this.ending = { status: 'FAILED', error: terminalError('FAILED', event.Error ?? 'States.Runtime', causeText(event.Cause)) };
    } else if (event.type === 'ExecutionTimeout') {
      this.ending = { status: 'TIMED_OUT', error: terminalError('TIMED_OUT') };
    } else if (event.type === 'ExecutionAborted') {
      this.ending = { status: 'ABORTED', error: terminalError('ABORTED') };
    }
  }

  /** The failure as the cloud's event path builds it, or undefined when the execution did not fail. */
  public failure(execution: { name: string; startTime: string; redriveCount: number }): ExecutionFailure | undefined {
    if (!this.ending) return undefined;
    return {
      executionArn: localExecutionArn(execution.name),
      executionName: execution.name,
      startTime: execution.startTime,
      status: this.ending.status,
      redriveCount: execution.redriveCount,
      ...(this.current ? { failedState: this.current.name } : {}),
      error: this.ending.error,
      state: this.current?.input ?? {},
    };
  }
}

/** The local stand-in for an execution's ARN (the context object's `Execution.Id`). */
export function localExecutionArn(executionName: string): string {
  return `local:${executionName}`;
}

/**
 * What `sluice redrive` needs of a failed local execution, kept in the lake as Step Functions keeps an execution for a
 * redrive: its definition (by hash), the top-level state it failed in and that state's input, its own input and start
 * time, and how many times it has been redriven.
 */
export interface LocalExecutionRecord {
  runId: string;
  pipeline: string;
  /** The pipeline spec the run used (a folder of one's own, or one under pipelines/): a redrive loads it again. */
  specFile?: string;
  status: FailedStatus | 'SUCCEEDED';
  definitionHash: string;
  startTime: string;
  executionInput: JSONValue;
  redriveCount: number;
  failedState?: string;
  stateInput?: JSONValue;
  error?: { name: string; message: string };
}

/** `<lake>/executions/<runId>.json`: the record of a local execution a redrive reads. */
export function executionRecordPath(lakeRoot: string, runId: string): string {
  return path.join(lakeRoot, 'executions', `${runId}.json`);
}

/** The SHA-256 of a definition: a redrive runs the definition the execution ran, as Step Functions does. */
export function definitionHash(definition: unknown): string {
  return createHash('sha256').update(JSON.stringify(definition)).digest('hex');
}

/** Writes a local execution's record (atomically: a killed writer leaves the previous one). */
export async function saveExecutionRecord(lakeRoot: string, record: LocalExecutionRecord): Promise<void> {
  const file = executionRecordPath(lakeRoot, record.runId);
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(record, null, 2)}\n`);
  await rename(temporary, file);
}

/** Reads a local execution's record, or undefined when the lake has none for the run. */
export async function readExecutionRecord(lakeRoot: string, runId: string): Promise<LocalExecutionRecord | undefined> {
  const text = await readFile(executionRecordPath(lakeRoot, runId), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as LocalExecutionRecord);
}

/**
 * Records a failed local execution: the same RecordFailure step the cloud's status-change rule runs, with the same
 * input and the failed map run's children (see {@link FailureRecorder.failedChildren}), then the record a redrive reads.
 */
export async function recordLocalFailure(
  failure: ExecutionFailure,
  deps: RecordFailureDeps,
  execution: { lakeRoot: string; pipeline: string; specFile?: string; definitionHash: string; executionInput: JSONValue },
  failedChildren: readonly FailedChildExecution[] = [],
): Promise<Failure> {
  const recorded = await recordFailure(failure, deps, failedChildren);
  await saveExecutionRecord(execution.lakeRoot, {
    runId: failure.executionName,
    pipeline: execution.pipeline,
    ...(execution.specFile ? { specFile: execution.specFile } : {}),
    status: failure.status,
    definitionHash: execution.definitionHash,
    startTime: failure.startTime,
    executionInput: execution.executionInput,
    redriveCount: failure.redriveCount,
    ...(failure.failedState ? { failedState: failure.failedState } : {}),
    stateInput: failure.state as JSONValue,
    error: { name: recorded.Error, message: recorded.Cause },
  });
  return recorded;
}

function causeText(cause: unknown): string | undefined {
  if (cause === undefined) return undefined;
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) return cause.message;
  return JSON.stringify(cause);
}

/** A definition that starts at `state` (a redrive resumes there); throws when the definition has no such state. */
export function startingAt<D extends { StartAt?: unknown; States: Record<string, unknown> }>(definition: D, state: string): D {
  if (!Object.hasOwn(definition.States, state)) throw new Error(`The definition has no state "${state}" to resume at`);
  return { ...definition, StartAt: state };
}
