import { DescribeExecutionCommand, ListExecutionsCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { RunStarter, StartOutcome } from '../../core/ports/run-starter.js';
import { callAws, callAwsTolerating, isAwsError } from './aws-errors.js';

/**
 * Starts executions of the Sluice state machine. Step Functions refuses a second execution of the same name with
 * ExecutionAlreadyExists once the first has closed, and answers an identical open request with the same execution:
 * both mean the run exists already. The executions still running are listed page by page (ListExecutions with
 * statusFilter RUNNING, up to 1,000 a page, `nextToken` to the next: Step Functions API reference, ListExecutions).
 */
export class SfnRunStarter implements RunStarter {
  public constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  public async start(executionName: string, input: unknown): Promise<StartOutcome> {
    const executionArn = this.executionArn(executionName);
    const out = await callAwsTolerating(
      `StartExecution ${executionName}`,
      () => this.sfn.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: executionName, input: JSON.stringify(input) })),
      (error) => isAwsError(error, 'ExecutionAlreadyExists'),
    );
    if (!out) return { started: false, executionArn };
    return { started: true, executionArn: out.executionArn ?? executionArn };
  }

  public async runningExecutionNames(): Promise<string[]> {
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page = await callAws('ListExecutions', () =>
        this.sfn.send(new ListExecutionsCommand({ stateMachineArn: this.stateMachineArn, statusFilter: 'RUNNING', maxResults: 1_000, ...(token ? { nextToken: token } : {}) })),
      );
      names.push(...(page.executions ?? []).map((e) => e.name ?? ''));
      nextToken = page.nextToken;
    } while (nextToken);
    return names;
  }

  public async inputOf(executionName: string): Promise<unknown> {
    const out = await callAws('DescribeExecution', () => this.sfn.send(new DescribeExecutionCommand({ executionArn: this.executionArn(executionName) })));
    try {
      return JSON.parse(out.input ?? 'null') as unknown;
    } catch {
      return undefined;
    }
  }

  /** An execution's ARN: the state machine's, `:stateMachine:` turned into `:execution:`, and the name. */
  private executionArn(executionName: string): string {
    return `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
  }
}
