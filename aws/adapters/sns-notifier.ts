import { PublishCommand } from '@aws-sdk/client-sns';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { Notifier, RunNotification } from '../../core/ports/notifier.js';

/**
 * The stage's SNS topic as the notifier: one Publish per finished run, the subject a person scans in an email client
 * (core/notify/run-notification.ts keeps it ASCII and under SNS's 100 characters), the summary as the message, and
 * the pipeline and outcome as message attributes, so a subscription's filter policy can pick one pipeline or only
 * failures (SNS API reference, Publish: `MessageAttributes`, DataType `String`).
 */
export class SnsNotifier implements Notifier {
  public constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  /** Publishes the notification to the topic. */
  public async notify(notification: RunNotification): Promise<void> {
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: notification.subject,
        Message: notification.body,
        MessageAttributes: {
          pipeline: { DataType: 'String', StringValue: notification.pipeline },
          outcome: { DataType: 'String', StringValue: notification.outcome },
          runId: { DataType: 'String', StringValue: notification.runId },
        },
      }),
    );
  }
}
