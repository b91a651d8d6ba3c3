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
}

/** The history port: Step Functions' GetExecutionHistory in AWS (the local runtime reads its engine's event log). */
export interface ExecutionHistory {
  /** The execution's events, newest first, page after page until the caller stops reading. */
  newestFirst(executionArn: string): AsyncIterable<HistoryEvent>;
}
