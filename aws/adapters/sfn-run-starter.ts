import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { RunStarter, StartOutcome } from '../../core/ports/run-starter.js';
import { callAwsTolerating, isAwsError } from './aws-errors.js';

/**
 * Starts executions of the Sluice state machine. Step Functions refuses a second execution of the same name with
 * ExecutionAlreadyExists once the first has closed, and answers an identical open request with the same execution:
 * both mean the run exists already.
 */
export class SfnRunStarter implements RunStarter {
  public constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  public async start(executionName: string, input: unknown): Promise<StartOutcome> {
    const executionArn = `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
    const out = await callAwsTolerating(
      `StartExecution ${executionName}`,
      () => this.sfn.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: executionName, input: JSON.stringify(input) })),
      (error) => isAwsError(error, 'ExecutionAlreadyExists'),
    );
    if (!out) return { started: false, executionArn };
    return { started: true, executionArn: out.executionArn ?? executionArn };
  }
}
