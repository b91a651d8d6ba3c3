'use strict';

/**
 * Scheduled retraining (issue 13): one EventBridge Scheduler schedule per pipeline whose spec has a `schedule:`
 * section, each with its own execution role. serverless.yml loads this file as
 * `resources: - Resources: ${file(deploy/schedules.js):resources}`.
 *
 * - `AWS::Scheduler::Schedule` (CloudFormation template reference): `ScheduleExpression` (`rate(value unit)` or
 *   `cron(minutes hours day_of_month month day_of_week year)`), `ScheduleExpressionTimezone`, `State` ENABLED |
 *   DISABLED, `FlexibleTimeWindow` (required; `Mode` "OFF" | "FLEXIBLE": OFF, a retraining starts at its time), and
 *   `Target` with `Arn`, `RoleArn`, `Input`, `RetryPolicy`.
 * - The target is Step Functions' templated target: "When you specify the ARN for a templated target resource,
 *   EventBridge Scheduler automatically assumes that you want to call the supported API operation", StartExecution for
 *   a state machine, with the schedule's `Input` as the execution input (EventBridge Scheduler user guide, "Using
 *   templated targets"). The input is NormalizeInput's schedule input, `{"trigger":"schedule","pipeline":NAME}`
 *   (core/steps/normalize-input.ts). Scheduler gives the execution no name: Step Functions makes a unique one.
 * - The execution role is assumed by `scheduler.amazonaws.com`, only for this account's schedules (`aws:SourceAccount`;
 *   EventBridge Scheduler user guide, "Set up the execution role"), and may only `states:StartExecution` on this
 *   stage's state machine.
 * - `RetryPolicy`: `MaximumRetryAttempts` 0-185, `MaximumEventAgeInSeconds` 60-86400 (Scheduler API reference,
 *   RetryPolicy). A retraining that could not start within an hour is dropped: the next firing comes anyway.
 *
 * The spec loader (core/spec/schema.ts, core/schedule/schedule-expression.ts) checks the expression with the same
 * rules at run time; this file refuses, at package time, a section that is not even shaped like one.
 */

const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');
const { allow } = require('./iam.js');
const { deployedPipelines, stageOf } = require('./stage.js');

/** @typedef {import('./iam.js').GeneratedResource} GeneratedResource */
/** @typedef {import('./stage.js').ResolverContext} ResolverContext */

/** The state machine's logical id in serverless.yml (`stepFunctions.stateMachines.sluice.id`). */
const STATE_MACHINE = 'SluiceStateMachine';

/** A retraining that could not start within this many seconds is dropped (60-86400). */
const MAX_EVENT_AGE_SECONDS = 3600;
/** Retries of a StartExecution that failed (0-185): throttling or a brief outage. */
const MAX_RETRY_ATTEMPTS = 10;

/**
 * A pipeline's schedule, as its spec declares it, defaults applied as core/spec/schema.ts applies them.
 * @typedef {object} PipelineSchedule
 * @property {string} pipeline
 * @property {string} id logical-id part: `churn-v2` -> `ChurnV2`
 * @property {string} expression
 * @property {string} timezone
 * @property {boolean} enabled
 */

/**
 * The schedules of the pipelines in the deployment.
 * @param {string} [root]
 * @returns {PipelineSchedule[]}
 */
function pipelineSchedules(root = path.resolve(__dirname, '..')) {
  return deployedPipelines(root).flatMap((pipeline) => {
    const file = path.join(root, 'pipelines', pipeline.name, 'pipeline.yml');
    const schedule = (YAML.parse(fs.readFileSync(file, 'utf8')) ?? {}).schedule;
    if (schedule === undefined || schedule === null) return [];
    const expression = schedule.expression;
    if (typeof expression !== 'string' || !/^(rate|cron)\(.+\)$/.test(expression)) {
      throw new Error(`pipelines/${pipeline.name}/pipeline.yml: schedule.expression must be rate(...) or cron(...)`);
    }
    return [{ pipeline: pipeline.name, id: pipeline.id, expression, timezone: schedule.timezone ?? 'UTC', enabled: schedule.enabled ?? true }];
  });
}

/**
 * The schedule and its execution role, per scheduled pipeline.
 * @param {ResolverContext} context
 * @returns {Promise<Record<string, GeneratedResource>>}
 */
async function resources(context) {
  const { service, stage } = await stageOf(context);
  /** @type {Record<string, GeneratedResource>} */
  const out = {};
  for (const s of pipelineSchedules()) {
    const name = `${service}-${stage}-${s.pipeline}`;
    const roleId = `${s.id}ScheduleRole`;
    out[roleId] = {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: ['scheduler.amazonaws.com'] },
              Action: ['sts:AssumeRole'],
              Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
            },
          ],
        },
        Policies: [{ PolicyName: `${name}-schedule`, PolicyDocument: { Version: '2012-10-17', Statement: [allow(['states:StartExecution'], [{ Ref: STATE_MACHINE }])] } }],
      },
    };
    out[`${s.id}Schedule`] = {
      Type: 'AWS::Scheduler::Schedule',
      Properties: {
        Name: name,
        Description: `Sluice: scheduled retraining of ${s.pipeline} on its curated data`,
        ScheduleExpression: s.expression,
        ScheduleExpressionTimezone: s.timezone,
        State: s.enabled ? 'ENABLED' : 'DISABLED',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          Arn: { Ref: STATE_MACHINE },
          RoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] },
          Input: JSON.stringify({ trigger: 'schedule', pipeline: s.pipeline }),
          RetryPolicy: { MaximumEventAgeInSeconds: MAX_EVENT_AGE_SECONDS, MaximumRetryAttempts: MAX_RETRY_ATTEMPTS },
        },
      },
    };
  }
  return out;
}

module.exports = { pipelineSchedules, resources };
