import { SFNClient } from '@aws-sdk/client-sfn';
import type { RuntimeConfig } from '../../core/config/runtime-config.js';
import { ConfigurationError } from '../../core/errors.js';
import type { StartScoringRunDeps } from '../../core/steps/start-scoring-run.js';
import { SfnRunStarter } from '../adapters/sfn-run-starter.js';
import { powertoolsLogger } from '../log/powertools-logger.js';

/**
 * Dependencies of start-scoring-run: a starter of the scoring state machine, whose ARN deploy/scoring.js sets as this
 * function's STATE_MACHINE_ARN (the variable names the machine the function starts). No spec and no S3 client: the
 * function only names and starts the execution.
 */
export function startScoringRunDeps(config: RuntimeConfig): StartScoringRunDeps {
  if (!config.stateMachineArn) throw new ConfigurationError('STATE_MACHINE_ARN (the scoring state machine) must be set for start-scoring-run');
  return { starter: new SfnRunStarter(new SFNClient({}), config.stateMachineArn), logger: powertoolsLogger };
}
