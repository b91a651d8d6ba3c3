/** Outcome of asking the workflow engine to start a run. */
export interface StartOutcome {
  /** False when an execution with that name already exists: a duplicated event, which starts nothing new. */
  started: boolean;
  executionArn: string;
}

/** Starts workflow executions (Step Functions `StartExecution` in AWS; the local runner locally). */
export interface RunStarter {
  start(executionName: string, input: unknown): Promise<StartOutcome>;
  /** The names of the executions of the workflow still running: how start-run keeps one run per pipeline at a time. */
  runningExecutionNames(): Promise<string[]>;
  /** The input an execution was started with (parsed JSON), or undefined when it is not JSON. */
  inputOf(executionName: string): Promise<unknown>;
}
