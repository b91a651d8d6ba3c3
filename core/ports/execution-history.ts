/**
 * One event of a Step Functions execution's history, as GetExecutionHistory returns it (Step Functions API reference,
 * HistoryEvent): the fields RecordFailure reads, named as the API names them, so the AWS adapter passes the SDK's
 * events through unchanged.
 */
export interface HistoryEvent {
  id: number;
  /** `TaskStateEntered`, `MapIterationStarted`, `ExecutionFailed`, ... (HistoryEventType). */
  type: string;
  /** On every `*StateEntered` event: the state's name and its input (a JSON string). */
  stateEnteredEventDetails?: { name?: string | undefined; input?: string | undefined } | undefined;
  executionFailedEventDetails?: { error?: string | undefined; cause?: string | undefined } | undefined;
  executionTimedOutEventDetails?: { error?: string | undefined; cause?: string | undefined } | undefined;
  executionAbortedEventDetails?: { error?: string | undefined; cause?: string | undefined } | undefined;
  /** On `MapRunStarted`: the Distributed Map's map run (HistoryEvent: mapRunStartedEventDetails). */
  mapRunStartedEventDetails?: { mapRunArn?: string | undefined } | undefined;
}

/** A child execution of a map run that did not succeed: its input (the item, as JSON) and its error and cause. */
export interface FailedChildExecution {
  status: string;
  input?: string | undefined;
  error?: string | undefined;
  cause?: string | undefined;
}

/**
 * The failed children of a Distributed Map's map run: ListExecutions by `mapRunArn` and DescribeExecution in AWS; the
 * local runtime hands its emulated map run's failed children to RecordFailure directly.
 */
export interface MapRunChildren {
  /** The children that failed or timed out, at most `limit` of them. */
  failedChildren(mapRunArn: string, limit: number): Promise<FailedChildExecution[]>;
}

/** The history port: Step Functions' GetExecutionHistory in AWS (the local runtime reads its engine's event log). */
export interface ExecutionHistory {
  /** The execution's events, newest first, page after page until the caller stops reading. */
  newestFirst(executionArn: string): AsyncIterable<HistoryEvent>;
}
