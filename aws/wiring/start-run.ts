import { SFNClient } from '@aws-sdk/client-sfn';
import type { RuntimeConfig } from '../../core/config/runtime-config.js';
import { ConfigurationError } from '../../core/errors.js';
import type { StartRunDeps } from '../../core/steps/start-run.js';
import { SfnRunStarter } from '../adapters/sfn-run-starter.js';
import { sharedDeps } from './shared.js';

/** Dependencies of start-run; it alone needs the state machine's ARN. */
export function startRunDeps(config: RuntimeConfig): StartRunDeps {
  if (!config.stateMachineArn) throw new ConfigurationError('STATE_MACHINE_ARN must be set for start-run');
  const { specs, lakeBucket, logger } = sharedDeps(config);
  return { starter: new SfnRunStarter(new SFNClient({}), config.stateMachineArn), specs, lakeBucket, logger };
}
