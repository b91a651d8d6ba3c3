'use strict';

/**
 * Many files, one run (docs/operations-coalescing.md): S3 "Object Created" events under incoming/ go from the upload
 * rule to a standard SQS queue, which start-run drains once a minute as its single reader: an EventBridge Scheduler
 * schedule invokes it, its reserved concurrency of 1 keeps a second copy from reading at the same time, and it starts a
 * pipeline's run once its burst has been quiet for 30 s (or waited 5 min) and no run of that pipeline is going.
 *
 * serverless.yml loads it as `resources: - Resources: ${file(deploy/coalescing.js):resources}`.
 *
 * Why a drain rather than Lambda's SQS event source mapping: "When messages are available, Lambda starts processing five
 * batches at a time with five concurrent invocations" (Lambda developer guide, "Configuring scaling behavior for SQS
 * event source mappings"), each poller gathering a batch of its own: one burst could start several runs, and nothing in a
 * batch says whether a run of the pipeline is still going. Why a standard queue: nothing here needs FIFO's order, and
 * the execution name deduplicates.
 */

const { LAKE_BUCKET, allow } = require('./iam.js');
const { stageOf } = require('./stage.js');

/** Logical ids of the resources here, and of the ones they name elsewhere. */
const ids = {
  queue: 'UploadQueue',
  queuePolicy: 'UploadQueuePolicy',
  rule: 'UploadRule',
  schedule: 'StartRunSchedule',
  scheduleRole: 'StartRunScheduleRole',
  asyncConfig: 'StartRunAsyncConfig',
  // serverless.yml: where an upload that cannot start a run ends up, from EventBridge (delivery to the queue failed)
  // and from the queue (start-run failed maxReceiveCount times): one queue to look at, one message shape (the event).
  deadLetterQueue: 'StartRunDeadLetterQueue',
  startRun: 'StartRunLambdaFunction',
};

/**
 * The drain's numbers. The same as core/trigger/coalescing.ts (DRAIN_TICK_SECONDS, RECEIVE_VISIBILITY_SECONDS), which
 * start-run uses; a package test checks they agree, and that MAX_RECEIVE_COUNT fits the quiet period and deferral there.
 * - tickSeconds: `rate(1 minute)`, the schedule.
 * - receiveVisibilitySeconds: what a ReceiveMessage hides a message for; longer than start-run's timeout, so a message a
 *   drain holds is not received by the next one, and one a failed drain held comes back by itself.
 */
const DRAIN = { tickSeconds: 60, receiveVisibilitySeconds: 120 };

/**
 * start-run's timeout in deploy/functions.js: under the one-minute tick, so an invocation has ended when the next comes
 * (a tick that finds it still running is throttled and dropped, see StartRunAsyncConfig).
 */
const START_RUN_TIMEOUT_SECONDS = 50;

/**
 * The queue's own visibility timeout, for a receive that does not set one: the drain's (each ReceiveMessage sets it).
 */
const VISIBILITY_TIMEOUT_SECONDS = DRAIN.receiveVisibilitySeconds;

/**
 * Receives of one message before it moves to the dead-letter queue. Every receive counts, a release too ("a message is
 * received ... the ReceiveCount for a message exceeds the maxReceiveCount": SQS developer guide, "Using dead-letter
 * queues"), so a burst's message is received once a tick while young (at most COALESCING_MAX_WAIT_SECONDS / tickSeconds + 1 = 6 times)
 * and once every DEFER_WHILE_RUNNING_SECONDS (120 s) while its pipeline's run is going: 1,000, SQS's maximum, lets a message wait for runs that
 * last about 33 hours in all (1,000 x 2 min) before it is set aside. A start that keeps failing retries every
 * receiveVisibilitySeconds for as long.
 */
const MAX_RECEIVE_COUNT = 1000;

/**
 * The upload rule's name: `<service>-<stage>-uploads`, as serverless.yml's dead-letter queue policy and this file's
 * queue policy name it in aws:SourceArn.
 * @param {import('./stage.js').Stage} stage
 */
const uploadRuleName = (stage) => `${stage.service}-${stage.stage}-uploads`;

/**
 * The rule's ARN, for the queue policies' aws:SourceArn.
 * @param {import('./stage.js').Stage} stage
 */
const uploadRuleArn = (stage) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/${uploadRuleName(stage)}` });

/**
 * The upload rule, the coalescing queue with its policy and redrive, and the schedule that invokes start-run's drain.
 * @param {import('./stage.js').Stage} stage
 */
function coalescingResources(stage) {
  const queueArn = { 'Fn::GetAtt': [ids.queue, 'Arn'] };
  return {
    [ids.queue]: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: `${stage.service}-${stage.stage}-uploads`,
        VisibilityTimeout: VISIBILITY_TIMEOUT_SECONDS,
        // 4 days: longer than the ~33 hours of receives MAX_RECEIVE_COUNT allows, so a message ends in the dead-letter
        // queue rather than expiring.
        MessageRetentionPeriod: 345_600,
        SqsManagedSseEnabled: true,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [ids.deadLetterQueue, 'Arn'] }, maxReceiveCount: MAX_RECEIVE_COUNT },
      },
    },
    // EventBridge sends to an SQS target as events.amazonaws.com, which the queue's policy must allow; aws:SourceArn
    // limits it to this rule (EventBridge user guide, "Using resource-based policies for Amazon EventBridge", Amazon SQS
    // permissions).
    [ids.queuePolicy]: {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [{ Ref: ids.queue }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'UploadRuleEvents',
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: queueArn,
              Condition: { ArnEquals: { 'aws:SourceArn': uploadRuleArn(stage) } },
            },
          ],
        },
      },
    },
    [ids.rule]: {
      Type: 'AWS::Events::Rule',
      Properties: {
        // A fixed name, so the queue policies can name the rule before it exists.
        Name: uploadRuleName(stage),
        Description: 'S3 Object Created under incoming/ of the lake bucket, to the coalescing queue',
        State: 'ENABLED',
        EventPattern: {
          'source': ['aws.s3'],
          'detail-type': ['Object Created'],
          'detail': {
            bucket: { name: [{ Ref: LAKE_BUCKET }] },
            object: { key: [{ prefix: 'incoming/' }] },
          },
        },
        Targets: [
          {
            Id: 'coalescing-queue',
            Arn: queueArn,
            // EventBridge retries a failed delivery up to these limits, then sends the event to the dead-letter queue
            // instead of dropping it (EventBridge user guide, "Event retry policy and using dead-letter queues"; API
            // DeadLetterConfig, RetryPolicy: 0-185 attempts, 60-86,400 s).
            RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': [ids.deadLetterQueue, 'Arn'] } },
          },
        ],
      },
    },
    // EventBridge Scheduler invokes a Lambda target asynchronously (Lambda developer guide, "Invoke a Lambda function on
    // a schedule"); it needs a role allowing lambda:InvokeFunction on the function. Scheduler rather than a scheduled
    // rule: the EventBridge user guide calls scheduled rules a legacy feature and recommends Scheduler. No retry: a
    // missed tick is made up by the next one (RetryPolicy: 0-185 attempts, 60-86,400 s, EventBridge Scheduler API
    // reference, RetryPolicy).
    [ids.schedule]: {
      Type: 'AWS::Scheduler::Schedule',
      Properties: {
        Name: `${stage.service}-${stage.stage}-start-run`,
        Description: 'Drains the coalescing queue of uploads: start-run starts a run per quiet burst and pipeline',
        ScheduleExpression: `rate(${DRAIN.tickSeconds / 60} minute)`,
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
        Target: {
          Arn: { 'Fn::GetAtt': [ids.startRun, 'Arn'] },
          RoleArn: { 'Fn::GetAtt': [ids.scheduleRole, 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
        },
      },
    },
    [ids.scheduleRole]: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'scheduler.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } }],
        },
        Policies: [{ PolicyName: 'invoke-start-run', PolicyDocument: { Version: '2012-10-17', Statement: [allow(['lambda:InvokeFunction'], [{ 'Fn::GetAtt': [ids.startRun, 'Arn'] }])] } }],
      },
    },
    // With a reserved concurrency of 1, a tick that arrives while the previous drain still runs is throttled, and Lambda
    // keeps retrying a throttled asynchronous event for up to six hours by default (CloudFormation,
    // AWS::Lambda::EventInvokeConfig): ticks would pile up. One minute, no retry: the next tick comes anyway.
    [ids.asyncConfig]: {
      Type: 'AWS::Lambda::EventInvokeConfig',
      Properties: { FunctionName: { Ref: ids.startRun }, Qualifier: '$LATEST', MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 0 },
    },
  };
}

/**
 * What start-run's role needs to drain the queue: receive, delete, and release (ChangeMessageVisibility, which the
 * batch call also needs: "permissions for ChangeMessageVisibilityBatch are the same as for ChangeMessageVisibility",
 * likewise DeleteMessageBatch; SQS API reference), on this queue only; and list the state machine's running executions.
 * @returns {import('./iam.js').Statement[]}
 */
function drainStatements() {
  return [
    allow(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'], [{ 'Fn::GetAtt': [ids.queue, 'Arn'] }]),
    allow(['states:ListExecutions'], [{ Ref: 'SluiceStateMachine' }]),
  ];
}

module.exports = {
  DRAIN,
  MAX_RECEIVE_COUNT,
  START_RUN_TIMEOUT_SECONDS,
  VISIBILITY_TIMEOUT_SECONDS,
  coalescingResources,
  drainStatements,
  ids,
  uploadRuleName,
  /**
   * `resources.Resources` of serverless.yml.
   * @param {import('./stage.js').ResolverContext} context
   */
  resources: async (context) => coalescingResources(await stageOf(context)),
};
