import * as z from 'zod';
import type { HistoryEvent } from '../ports/execution-history.js';
import { caughtErrorSchema } from './workflow-state.js';
import type { CaughtError } from './workflow-state.js';

/**
 * A failed execution as RecordFailure records it, built from outside the execution: in the cloud from the Step
 * Functions "Execution Status Change" event and the execution's history, locally from the engine's event log. Both
 * runtimes hand RecordFailure this same shape.
 */
export const executionFailureSchema = z
  .object({
    executionArn: z.string().min(1),
    /** The execution name: the run id. */
    executionName: z.string().min(1),
    startTime: z.string(),
    status: z.enum(['FAILED', 'TIMED_OUT', 'ABORTED']),
    /** How many times the execution had been redriven when it failed this time (0 for the first attempt). */
    redriveCount: z.number().int().nonnegative(),
    /** The top-level state the execution was in when it ended: where a redrive resumes. */
    failedState: z.string().optional(),
    /** The execution's error and cause, as its ExecutionFailed (TimedOut, Aborted) event holds them. */
    error: caughtErrorSchema,
    /** The input of `failedState`: the workflow state at that point, or the execution input when nothing ran. */
    state: z.unknown(),
  })
  .strict();

/** A failed execution as RecordFailure records it. */
export type ExecutionFailure = z.infer<typeof executionFailureSchema>;

/** The status of an execution that ended without succeeding. */
export type FailedStatus = ExecutionFailure['status'];

/** Where an execution stopped: its top-level state, that state's input, and the execution's error. */
export interface FailurePoint {
  failedState?: string;
  /** The state's input, parsed; undefined when the history holds no state (the execution failed as it started). */
  state?: unknown;
  error: CaughtError;
}

/** The error of an execution that ended without an error of its own: a timeout or an abort. */
export function terminalError(status: FailedStatus, error?: string, cause?: string): CaughtError {
  if (error) return cause === undefined ? { Error: error } : { Error: error, Cause: cause };
  if (status === 'TIMED_OUT') return { Error: 'States.Timeout', Cause: cause ?? 'The execution ran past its TimeoutSeconds' };
  if (status === 'ABORTED') return { Error: 'ExecutionAborted', Cause: cause ?? 'The execution was stopped (StopExecution)' };
  return { Error: 'States.Runtime', Cause: cause ?? 'The execution failed' };
}

const ITERATION_ENDS = new Set(['MapIterationSucceeded', 'MapIterationFailed', 'MapIterationAborted']);

/**
 * Finds where an execution stopped, reading its history newest first and stopping as soon as it knows:
 *
 * 1. The newest event is the execution's end: ExecutionFailed, ExecutionTimedOut or ExecutionAborted, whose details
 *    hold its error and cause (Step Functions API reference, HistoryEvent: executionFailedEventDetails,
 *    executionTimedOutEventDetails, executionAbortedEventDetails).
 * 2. The newest `*StateEntered` event outside a Map iteration is the top-level state it was in; its
 *    stateEnteredEventDetails hold the state's name and input. Events of an iteration lie between its
 *    MapIterationStarted and its MapIterationSucceeded / Failed / Aborted (Step Functions closes every iteration of a
 *    Map that ends), so, newest first, an iteration's end opens it and its start closes it.
 */
export async function failureFromHistory(events: AsyncIterable<HistoryEvent>, status: FailedStatus): Promise<FailurePoint> {
  let error: CaughtError | undefined;
  let openIterations = 0;
  for await (const event of events) {
    const ended = event.executionFailedEventDetails ?? event.executionTimedOutEventDetails ?? event.executionAbortedEventDetails;
    if (error === undefined && ended !== undefined) error = terminalError(status, ended.error, ended.cause);
    if (ITERATION_ENDS.has(event.type)) openIterations += 1;
    else if (event.type === 'MapIterationStarted') openIterations = Math.max(0, openIterations - 1);
    else if (openIterations === 0 && event.type.endsWith('StateEntered') && event.stateEnteredEventDetails?.name) {
      const { name, input } = event.stateEnteredEventDetails;
      return { failedState: name, state: parseInput(input), error: error ?? terminalError(status) };
    }
  }
  return { error: error ?? terminalError(status) };
}

function parseInput(input: string | undefined): unknown {
  if (input === undefined) return undefined;
  try {
    return JSON.parse(input) as unknown;
  } catch {
    return input;
  }
}
