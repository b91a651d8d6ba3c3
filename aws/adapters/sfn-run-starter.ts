import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { RunStarter, StartOutcome } from '../../core/ports/run-starter.js';
import { callAws } from './aws-errors.js';

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
    try {
      const out = await this.sfn.send(
        new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: executionName, input: JSON.stringify(input) }),
      );
      return { started: true, executionArn: out.executionArn ?? executionArn };
    } catch (error) {
      if (typeof error === 'object' && error !== null && 'name' in error && error.name === 'ExecutionAlreadyExists') {
        return { started: false, executionArn };
      }
      return callAws(`StartExecution ${executionName}`, () => Promise.reject(error));
    }
  }
}
