import { SNSClient } from '@aws-sdk/client-sns';
import type { RuntimeConfig } from '../../core/config/runtime-config.js';
import type { Notifier } from '../../core/ports/notifier.js';
import { SnsNotifier } from '../adapters/sns-notifier.js';

/**
 * The run notifier of RecordRun and RecordFailure: the stage's topic (NOTIFICATION_TOPIC_ARN, deploy/notifications.js),
 * or none when the function has no topic configured. Its own module, so only those two functions' bundles hold an SNS
 * client.
 */
export function snsNotifier(config: RuntimeConfig): { notifier?: Notifier } {
  return config.notificationTopicArn === undefined ? {} : { notifier: new SnsNotifier(new SNSClient({}), config.notificationTopicArn) };
}
