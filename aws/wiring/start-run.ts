import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { RuntimeConfig } from '../../core/config/runtime-config.js';
import { ConfigurationError } from '../../core/errors.js';
import type { StartRunDeps } from '../../core/steps/start-run.js';
import { SfnRunStarter } from '../adapters/sfn-run-starter.js';
import { SqsUploadQueue } from '../adapters/sqs-upload-queue.js';
import { sharedDeps } from './shared.js';

/**
 * Dependencies of start-run but its time budget, which the handler adds per invocation: it alone needs the state
 * machine's ARN and the coalescing queue.
 */
export function startRunDeps(config: RuntimeConfig): Omit<StartRunDeps, 'remainingMs'> {
  if (!config.stateMachineArn) throw new ConfigurationError('STATE_MACHINE_ARN must be set for start-run');
  if (!config.uploadQueueUrl) throw new ConfigurationError('UPLOAD_QUEUE_URL must be set for start-run');
  const { specs, lakeBucket, logger } = sharedDeps(config);
  return {
    starter: new SfnRunStarter(new SFNClient({}), config.stateMachineArn),
    queue: new SqsUploadQueue(new SQSClient({}), config.uploadQueueUrl),
    specs,
    lakeBucket,
    logger,
    now: () => Date.now(),
  };
}
