'use strict';

/**
 * Run notifications (issue 13): the stage's SNS topic, which RecordRun and RecordFailure publish every finished run to
 * (core/notify/run-notification.ts, aws/adapters/sns-notifier.ts), and an alarm on the state machine's failed,
 * timed-out and aborted executions whose action publishes to the same topic: it fires even when RecordFailure itself
 * cannot run. serverless.yml loads this file as `resources: - Resources: ${file(deploy/notifications.js):resources}`;
 * deploy/functions.js gives the two publishing functions the topic's ARN and `sns:Publish` on it only.
 *
 * - `AWS::SNS::Topic` `TopicName`; `Ref` returns the topic ARN (CloudFormation template reference, AWS::SNS::Topic).
 *   People subscribe to it themselves (email, chat webhook): subscriptions are not the stack's to own.
 * - The alarm watches `ExecutionsFailed`, `ExecutionsTimedOut` and `ExecutionsAborted` in `AWS/States`, dimension
 *   `StateMachineArn` (CloudWatch user guide, Step Functions metrics; Step Functions developer guide, "Execution
 *   metrics"), summed per 5 minutes by metric math (`AWS::CloudWatch::Alarm` `Metrics`: one entry with
 *   `ReturnData: true`, the expression), so one alarm covers the three ways an execution ends badly. No data (no
 *   execution ended) is not a breach.
 */

const { allow } = require('./iam.js');
const { stageOf } = require('./stage.js');

/** @typedef {import('./iam.js').GeneratedResource} GeneratedResource */
/** @typedef {import('./iam.js').Statement} Statement */
/** @typedef {import('./stage.js').ResolverContext} ResolverContext */

/** The topic's logical id. */
const TOPIC = 'RunNotificationsTopic';
/** The state machine's logical id in serverless.yml. */
const STATE_MACHINE = 'SluiceStateMachine';
/** The alarm's period (s): executions are minutes to days long; five minutes is soon enough to know. */
const PERIOD_SECONDS = 300;

/** The metrics the alarm sums, with their metric-math ids. */
const FAILURE_METRICS = [
  ['failed', 'ExecutionsFailed'],
  ['timedout', 'ExecutionsTimedOut'],
  ['aborted', 'ExecutionsAborted'],
];

/**
 * The topic and the failed-executions alarm.
 * @param {ResolverContext} context
 * @returns {Promise<Record<string, GeneratedResource>>}
 */
async function resources(context) {
  const { service, stage } = await stageOf(context);
  const base = `${service}-${stage}`;
  return {
    [TOPIC]: {
      Type: 'AWS::SNS::Topic',
      Properties: { TopicName: `${base}-runs`, DisplayName: `Sluice ${stage} runs` },
    },
    FailedExecutionsAlarm: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${base}-failed-executions`,
        AlarmDescription: `A ${base} execution failed, timed out or was aborted: see its run manifest under runs/ and redrive it from the failed state (docs/operations.md)`,
        Metrics: [
          ...FAILURE_METRICS.map(([id, metricName]) => ({
            Id: id,
            ReturnData: false,
            MetricStat: {
              Metric: { Namespace: 'AWS/States', MetricName: metricName, Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: STATE_MACHINE } }] },
              Period: PERIOD_SECONDS,
              Stat: 'Sum',
            },
          })),
          { Id: 'ended_badly', Label: 'failed + timed out + aborted executions', ReturnData: true, Expression: FAILURE_METRICS.map(([id]) => `FILL(${id}, 0)`).join(' + ') },
        ],
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: TOPIC }],
      },
    },
  };
}

/**
 * The environment of a function that publishes run notifications.
 * @returns {{ NOTIFICATION_TOPIC_ARN: { Ref: string } }}
 */
function publisherEnvironment() {
  return { NOTIFICATION_TOPIC_ARN: { Ref: TOPIC } };
}

/**
 * The statement of a function that publishes run notifications: Publish on the stage's topic only.
 * @returns {Statement}
 */
function publishStatement() {
  return allow(['sns:Publish'], [{ Ref: TOPIC }]);
}

module.exports = { TOPIC, publishStatement, publisherEnvironment, resources };
