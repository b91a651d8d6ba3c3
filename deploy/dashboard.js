'use strict';

/**
 * The stage's CloudWatch dashboard and the alarms on Sluice's custom metrics (issue 14). serverless.yml loads this file
 * as `resources: - Resources: ${file(deploy/dashboard.js):resources}`.
 *
 * - `AWS::CloudWatch::Dashboard` `DashboardBody` is a JSON string (CloudWatch API reference, "Dashboard Body Structure
 *   and Syntax"): a `widgets` array of `metric` widgets, each `properties.metrics` an array of
 *   `[Namespace, MetricName, DimensionName, DimensionValue, ..., { options }]` or `[{ expression, label, id }]`. It goes
 *   through `Fn::Sub` for the region and the state machines' ARNs (`Ref` of `AWS::StepFunctions::StateMachine`).
 * - Runs and failures: `ExecutionsStarted`, `ExecutionsSucceeded`, `ExecutionsFailed`, `ExecutionsTimedOut`,
 *   `ExecutionsAborted` in `AWS/States`, dimension `StateMachineArn` (CloudWatch user guide, Step Functions metrics),
 *   as deploy/notifications.js's alarm reads them.
 * - The custom metrics (namespace `Sluice`, aws/adapters/powertools-metrics.ts; names core/ports/metrics.ts): each EMF
 *   line's dimension set is the step's dimensions plus Powertools' `service` default dimension, which serverless.yml sets
 *   to `<service>-<stage>`. The model metric's `metric` dimension is the pipeline's gate metric: a `SEARCH` expression
 *   (CloudWatch user guide, "Using search expressions in graphs") finds every one without this file reading the gates.
 * - Endpoints: `Invocations`, `ModelLatency` (microseconds), `Invocation4XXErrors`, `Invocation5XXErrors` in
 *   `AWS/SageMaker`, dimensions `EndpointName` and `VariantName`, as deploy/hosting.js's rollback alarms read them,
 *   for the endpoint of every pipeline that deploys (deploy/hosting.js `endpointName`).
 * - Alarms: the quarantine rate of each pipeline's files, and the scoring state machine's failed executions (the
 *   training one's alarm is deploy/notifications.js's); both publish to the run notifications topic.
 */

const hosting = require('./hosting.js');
const { TOPIC } = require('./notifications.js');
const { SCORING_STATE_MACHINE } = require('./scoring.js');
const { stageOf } = require('./stage.js');

/** @typedef {import('./iam.js').GeneratedResource} GeneratedResource */
/** @typedef {import('./stage.js').ResolverContext} ResolverContext */

/** The namespace of the custom metrics (aws/adapters/powertools-metrics.ts `METRICS_NAMESPACE`). */
const NAMESPACE = 'Sluice';
/** The custom metrics the dashboard and alarms read, by the names core/ports/metrics.ts gives them. */
const METRICS = {
  rowsIn: 'RowsIn',
  rowsValid: 'RowsValid',
  rowsQuarantined: 'RowsQuarantined',
  quarantineRate: 'QuarantineRate',
  modelMetric: 'ModelMetric',
  promoted: 'ModelPromoted',
  rejected: 'ModelRejected',
  failures: 'RunFailures',
  runDuration: 'RunDuration',
};
/** The training state machine's logical id in serverless.yml. */
const STATE_MACHINE = 'SluiceStateMachine';
/** The dashboard's logical id. */
const DASHBOARD = 'SluiceDashboard';
/** A pipeline's quarantine-rate alarm fires above this share of a file's rows (%): most of a file broke the contract. */
const QUARANTINE_RATE_THRESHOLD = 50;
/** Graphs' period (s): runs are minutes to hours apart; an hour keeps the model and data graphs readable. */
const PERIOD_SECONDS = 3600;

const EXECUTION_METRICS = ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'];
/** @type {[string, string][]} */
const ENDPOINT_METRICS = [
  ['Invocations', 'Sum'],
  ['Invocation4XXErrors', 'Sum'],
  ['Invocation5XXErrors', 'Sum'],
  ['ModelLatency', 'Average'],
];

/**
 * One metric widget, 12 units wide (the grid is 24).
 * @param {number} index its place: two a row
 * @param {string} title
 * @param {unknown[][]} metrics
 * @param {Record<string, unknown>} [extra]
 * @returns {Record<string, unknown>}
 */
function widget(index, title, metrics, extra = {}) {
  return {
    type: 'metric',
    x: (index % 2) * 12,
    y: Math.floor(index / 2) * 6,
    width: 12,
    height: 6,
    properties: { title, metrics, region: '${AWS::Region}', view: 'timeSeries', period: PERIOD_SECONDS, stat: 'Sum', ...extra },
  };
}

/**
 * The dashboard body's widgets for the stage.
 * @param {import('./stage.js').Stage} stage
 * @returns {Record<string, unknown>[]}
 */
function widgets(stage) {
  const service = `${stage.service}-${stage.stage}`;
  /** @param {string} logicalId */
  const executions = (logicalId) => EXECUTION_METRICS.map((name) => ['AWS/States', name, 'StateMachineArn', `\${${logicalId}}`]);
  /** @param {string} metric @param {string} stat */
  const perPipeline = (metric, stat) => stage.pipelines.map((p) => [NAMESPACE, metric, 'service', service, 'pipeline', p.name, { stat, label: p.name }]);
  const endpoints = stage.pipelines
    .filter((p) => p.deploys)
    .flatMap((p) => ENDPOINT_METRICS.map(([name, stat]) => ['AWS/SageMaker', name, 'EndpointName', hosting.endpointName(stage.names, p), 'VariantName', hosting.VARIANT_NAME, { stat, label: `${p.name} ${name}` }]));
  /** @type {[string, unknown[][], Record<string, unknown>?][]} */
  const list = [
    ['Training runs', executions(STATE_MACHINE)],
    ['Scoring runs', executions(SCORING_STATE_MACHINE)],
    ['Rows in, valid, quarantined', [...perPipeline(METRICS.rowsIn, 'Sum'), ...perPipeline(METRICS.rowsValid, 'Sum'), ...perPipeline(METRICS.rowsQuarantined, 'Sum')]],
    ['Quarantine rate (%)', perPipeline(METRICS.quarantineRate, 'Maximum'), { stat: 'Maximum', yAxis: { left: { min: 0, max: 100 } } }],
    [
      'Gate metric: candidate and production',
      [[{ id: 'model', label: '', expression: `SEARCH('{${NAMESPACE},service,pipeline,metric,model} MetricName="${METRICS.modelMetric}" service="${service}"', 'Average', ${PERIOD_SECONDS})` }]],
      { stat: 'Average' },
    ],
    ['Promoted and rejected candidates', [...perPipeline(METRICS.promoted, 'Sum'), ...perPipeline(METRICS.rejected, 'Sum')]],
    [
      'Failures by state',
      [[{ id: 'failures', label: '', expression: `SEARCH('{${NAMESPACE},service,pipeline,state} MetricName="${METRICS.failures}" service="${service}"', 'Sum', ${PERIOD_SECONDS})` }]],
    ],
    [
      'Run duration (s)',
      [[{ id: 'duration', label: '', expression: `SEARCH('{${NAMESPACE},service,pipeline,status} MetricName="${METRICS.runDuration}" service="${service}"', 'Maximum', ${PERIOD_SECONDS})` }]],
      { stat: 'Maximum' },
    ],
  ];
  if (endpoints.length > 0) list.push(['Endpoints: invocations, errors, latency (µs)', endpoints, { period: 300 }]);
  return list.map(([title, metrics, extra], index) => widget(index, title, metrics, extra));
}

/**
 * The dashboard and its alarms.
 * @param {ResolverContext} context
 * @returns {Promise<Record<string, GeneratedResource>>}
 */
async function resources(context) {
  const stage = await stageOf(context);
  const base = `${stage.service}-${stage.stage}`;
  /** @type {Record<string, GeneratedResource>} */
  const out = {
    [DASHBOARD]: {
      Type: 'AWS::CloudWatch::Dashboard',
      Properties: { DashboardName: base, DashboardBody: { 'Fn::Sub': JSON.stringify({ widgets: widgets(stage) }) } },
    },
    FailedScoringExecutionsAlarm: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${base}-failed-scoring-executions`,
        AlarmDescription: `A ${base} scoring execution failed, timed out or was aborted (docs/operations.md)`,
        Namespace: 'AWS/States',
        MetricName: 'ExecutionsFailed',
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: SCORING_STATE_MACHINE } }],
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: TOPIC }],
      },
    },
  };
  for (const p of stage.pipelines) {
    out[`QuarantineRateAlarm${p.id}`] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${base}-${p.name}-quarantine-rate`,
        AlarmDescription: `More than ${QUARANTINE_RATE_THRESHOLD} % of a ${p.name} file's rows went to quarantine/: see the file's quarantine parquet and the run report`,
        Namespace: NAMESPACE,
        MetricName: METRICS.quarantineRate,
        Dimensions: [
          { Name: 'service', Value: base },
          { Name: 'pipeline', Value: p.name },
        ],
        Statistic: 'Maximum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: QUARANTINE_RATE_THRESHOLD,
        ComparisonOperator: 'GreaterThanThreshold',
        // No file ingested is no data, not a breach.
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: TOPIC }],
      },
    };
  }
  return out;
}

module.exports = { DASHBOARD, METRICS, NAMESPACE, resources };
