import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { SnsNotifier } from '../../../aws/adapters/sns-notifier.js';

const sns = mockClient(SNSClient);
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:sluice-dev-runs';

describe('SnsNotifier', () => {
  beforeEach(() => sns.reset());

  describe('a finished run', () => {
    it('publishes the subject, the body and the pipeline and outcome attributes to the topic when notified', async () => {
      // Prepare
      sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
      const notifier = new SnsNotifier(new SNSClient({ region: 'us-east-1' }), TOPIC);

      // Act
      await notifier.notify({ pipeline: 'churn', runId: 'r-1', outcome: 'failed', subject: 'Sluice churn: FAILED in DescribeTraining: E', body: 'Pipeline: churn\n', manifest: 's3://lake/runs/churn/r-1.json' });

      // Assess
      expect(sns.commandCalls(PublishCommand).map((c) => c.args[0].input)).toEqual([
        {
          TopicArn: TOPIC,
          Subject: 'Sluice churn: FAILED in DescribeTraining: E',
          Message: 'Pipeline: churn\n',
          MessageAttributes: {
            pipeline: { DataType: 'String', StringValue: 'churn' },
            outcome: { DataType: 'String', StringValue: 'failed' },
            runId: { DataType: 'String', StringValue: 'r-1' },
          },
        },
      ]);
    });

    it('throws the SDK error when the topic refuses the message', async () => {
      // Prepare
      sns.on(PublishCommand).rejects(Object.assign(new Error('Topic does not exist'), { name: 'NotFoundException' }));
      const notifier = new SnsNotifier(new SNSClient({ region: 'us-east-1' }), TOPIC);

      // Act
      const sending = notifier.notify({ pipeline: 'churn', runId: 'r-1', outcome: 'succeeded', subject: 's', body: 'b', manifest: 'm' });

      // Assess
      await expect(sending).rejects.toMatchObject({ name: 'NotFoundException' });
    });
  });
});
