'use strict';

/**
 * The model registry and the hosting side of a stage, generated from the pipelines in the deployment (deploy/stage.js):
 *
 * - one SageMaker model package group per pipeline that registers models (`<prefix><pipeline>`, aws/wiring/sagemaker.ts
 *   `groupPrefix`): EvaluateModel registers every candidate there, whether a gate lets it through or not;
 * - two CloudWatch alarms per pipeline that deploys, on its endpoint's AllTraffic variant, named as aws/wiring/sagemaker.ts
 *   `rollbackAlarmNames` names them: a blue/green endpoint update rolls back when either fires;
 * - the role deployed models run as (CreateModel ExecutionRoleArn), apart from the role training jobs run as.
 *
 * Endpoints, models and endpoint configs themselves are made at run time by the deploy function, not by the stack.
 * serverless.yml loads this file as `resources: - Resources: ${file(deploy/hosting.js):resources}`.
 */

const { allow, allowOn, cloudwatch, lake, logs, sagemaker } = require('./iam.js');
const { stageOf } = require('./stage.js');

/** @typedef {import('./iam.js').GeneratedResource} GeneratedResource */
/** @typedef {import('./stage.js').DeployedPipeline} DeployedPipeline */
/** @typedef {import('./stage.js').Stage} Stage */
/** @typedef {import('./stage.js').StageNames} StageNames */

/**
 * One kind of rollback alarm: the metric it watches and how its name and logical id end.
 * @typedef {object} AlarmKind
 * @property {string} suffix
 * @property {string} id
 * @property {string} description
 * @property {{ MetricName: string, Statistic: string, Threshold: number }} metric
 */

/** The role deployed models run as; the deploy function may pass it, to SageMaker only. */
const MODEL_ROLE = 'SageMakerModelRole';

/**
 * The one production variant of every endpoint config Sluice creates (aws/adapters/sagemaker-endpoints.ts VARIANT_NAME):
 * the alarms watch it.
 */
const VARIANT_NAME = 'AllTraffic';

/**
 * A hosted model's container output goes to the log group `/aws/sagemaker/Endpoints/[EndpointName]`, one stream per
 * `[production-variant-name]/[instance-id]` (SageMaker developer guide, "CloudWatch Logs for Amazon SageMaker AI").
 */
const ENDPOINT_LOG_GROUP_PREFIX = '/aws/sagemaker/Endpoints/';
/** The namespace of endpoint instance metrics (CPUUtilization, MemoryUtilization, DiskUtilization). */
const ENDPOINT_METRICS_NAMESPACE = '/aws/sagemaker/Endpoints';

/**
 * What the rollback alarms watch: the endpoint's invocation metrics in AWS/SageMaker, dimensions EndpointName and
 * VariantName (SageMaker developer guide, "Amazon SageMaker AI metrics in Amazon CloudWatch", and the alarm examples
 * of "Auto-Rollback Configuration and Monitoring").
 *
 * - Invocation5XXErrors: "for each 5xx response, 1 is sent; otherwise, 0 is sent", so its Average over a minute is
 *   the share of requests the model failed. More than 5 % in 2 of 3 minutes rolls back: one failed request on an
 *   idle endpoint (100 % of one) does not, a steady failure does within the canary's first baking period.
 * - ModelLatency is in microseconds. The XGBoost container scores a CSV batch in milliseconds on CPU; an average above
 *   half a second in 2 of 3 minutes is a model or an instance that does not fit, not noise.
 *
 * Missing data is not breaching: the alarms exist before the endpoint does, and an endpoint without traffic is
 * healthy. The dimensions take in the old and the new fleet alike, so a production fleet already failing stops the
 * update too ("Monitor invocation errors on both old and new fleets" in the same guide), which is what we want: no
 * deployment on top of an incident.
 */
/** @type {Readonly<{ invocation5xx: AlarmKind, modelLatency: AlarmKind }>} */
const ALARMS = Object.freeze({
  invocation5xx: Object.freeze({
    suffix: '-invocation-5xx',
    id: 'Invocation5xx',
    description: 'share of requests its model answered with a 5xx',
    metric: { MetricName: 'Invocation5XXErrors', Statistic: 'Average', Threshold: 0.05 },
  }),
  modelLatency: Object.freeze({
    suffix: '-model-latency',
    id: 'ModelLatency',
    description: 'average model latency (microseconds)',
    metric: { MetricName: 'ModelLatency', Statistic: 'Average', Threshold: 500_000 },
  }),
});
const ALARM_EVALUATION = Object.freeze({
  Period: 60,
  EvaluationPeriods: 3,
  DatapointsToAlarm: 2,
  ComparisonOperator: 'GreaterThanThreshold',
  TreatMissingData: 'notBreaching',
});

/**
 * The pipelines whose runs register candidates: each has a model package group.
 * @param {readonly DeployedPipeline[]} pipelines
 */
const registering = (pipelines) => pipelines.filter((p) => p.registersModels);
/**
 * The pipelines whose runs may deploy: each has an endpoint (made at run time) and its rollback alarms.
 * @param {readonly DeployedPipeline[]} pipelines
 */
const deploying = (pipelines) => pipelines.filter((p) => p.deploys);

/**
 * A pipeline's model package group: `<prefix><pipeline>`, as core's SageMakerRegistry derives it.
 * @param {StageNames} names
 * @param {DeployedPipeline} pipeline
 * @returns {string}
 */
const modelPackageGroupName = (names, pipeline) => `${names.resourcePrefix}${pipeline.name}`;
/**
 * A pipeline's endpoint: `<prefix><pipeline>`, as core/steps/deploy.ts derives it.
 * @param {StageNames} names
 * @param {DeployedPipeline} pipeline
 * @returns {string}
 */
const endpointName = (names, pipeline) => `${names.resourcePrefix}${pipeline.name}`;
/**
 * The alarms whose firing rolls an update of `endpoint` back, in aws/wiring/sagemaker.ts `rollbackAlarmNames` order.
 * @param {string} endpoint
 * @returns {string[]}
 */
const rollbackAlarmNames = (endpoint) => [ALARMS.invocation5xx, ALARMS.modelLatency].map((alarm) => `${endpoint}${alarm.suffix}`);

/**
 * ARNs of the stage's model package groups, their versions, its endpoints and their rollback alarms.
 * @type {Record<'modelPackageGroups' | 'modelPackages' | 'endpoints' | 'endpointConfigs' | 'models' | 'rollbackAlarms', (stage: Stage) => { 'Fn::Sub': string }[]>}
 */
const arns = {
  modelPackageGroups: ({ names, pipelines }) => registering(pipelines).map((p) => sagemaker.modelPackageGroup(modelPackageGroupName(names, p))),
  modelPackages: ({ names, pipelines }) => registering(pipelines).map((p) => sagemaker.modelPackages(modelPackageGroupName(names, p))),
  endpoints: ({ names, pipelines }) => deploying(pipelines).map((p) => sagemaker.endpoint(endpointName(names, p))),
  /** Every model and endpoint config of the stage: their names start with their endpoint's, and so with the prefix. */
  endpointConfigs: ({ names }) => [sagemaker.endpointConfigs(names.resourcePrefix)],
  models: ({ names }) => [sagemaker.models(names.resourcePrefix)],
  rollbackAlarms: ({ names, pipelines }) => deploying(pipelines).flatMap((p) => rollbackAlarmNames(endpointName(names, p))).map(cloudwatch.alarm),
};

/** Logical ids of the generated resources. */
const ids = {
  modelRole: MODEL_ROLE,
  /** @param {DeployedPipeline} pipeline */
  modelPackageGroup: (pipeline) => `ModelPackageGroup${pipeline.id}`,
  /**
   * @param {DeployedPipeline} pipeline
   * @param {AlarmKind} alarm
   */
  alarm: (pipeline, alarm) => `Endpoint${pipeline.id}${alarm.id}Alarm`,
};

/**
 * The registry keeps every version and its approval history, and which version is approved is what production
 * means: like the lake, the group outlives the stack.
 * @param {StageNames} names
 * @param {DeployedPipeline} pipeline
 * @returns {GeneratedResource}
 */
function modelPackageGroup(names, pipeline) {
  return {
    Type: 'AWS::SageMaker::ModelPackageGroup',
    DeletionPolicy: 'Retain',
    UpdateReplacePolicy: 'Retain',
    Properties: {
      ModelPackageGroupName: modelPackageGroupName(names, pipeline),
      ModelPackageGroupDescription: `Candidates of pipeline ${pipeline.name}: registered by EvaluateModel, approved by PromoteModel`,
    },
  };
}

/**
 * One rollback alarm of a pipeline's endpoint.
 * @param {StageNames} names
 * @param {DeployedPipeline} pipeline
 * @param {AlarmKind} kind
 * @returns {GeneratedResource}
 */
function alarm(names, pipeline, kind) {
  const endpoint = endpointName(names, pipeline);
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: `${endpoint}${kind.suffix}`,
      AlarmDescription: `Rolls a blue/green update of endpoint ${endpoint} back: ${kind.description} above ${kind.metric.Threshold}`,
      Namespace: 'AWS/SageMaker',
      MetricName: kind.metric.MetricName,
      Dimensions: [
        { Name: 'EndpointName', Value: endpoint },
        { Name: 'VariantName', Value: VARIANT_NAME },
      ],
      Statistic: kind.metric.Statistic,
      Threshold: kind.metric.Threshold,
      ...ALARM_EVALUATION,
    },
  };
}

/**
 * The role deployed models run as: SageMaker assumes it; it reads model artifacts under models/ and nothing else of the
 * lake, writes its endpoint's log streams and instance metrics, and reads the rollback alarms.
 *
 * - S3 and logs are those the SageMaker developer guide lists for a CreateModel execution role ("CreateModel API:
 *   Execution Role Permissions"), scoped to ModelDataUrl's prefix and to the stage's endpoint log groups. An endpoint
 *   reads one object, model.tar.gz: no s3:ListBucket.
 * - No ECR statement: the XGBoost serving image is SageMaker's own, and "real-time inference use[s] service-owned
 *   credentials to pull and run images" (https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-algo-docker-registry-paths.html).
 * - cloudwatch:DescribeAlarms on the rollback alarms: "Ensure that your IAM execution role has permission to perform
 *   the cloudwatch:DescribeAlarms action on the auto-rollback alarms you specify" (SageMaker developer guide,
 *   "Auto-Rollback Configuration and Monitoring"). DescribeAlarms takes alarm ARNs; only composite alarms need `*`.
 * - PutMetricData has no resource-level permissions: the namespace condition is the only scope there is.
 * @param {Stage} stage
 * @returns {GeneratedResource}
 */
function modelRole(stage) {
  const { service, stage: stageName } = stage;
  const groups = deploying(stage.pipelines).map((p) => `${ENDPOINT_LOG_GROUP_PREFIX}${endpointName(stage.names, p)}`);
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: `Models deployed by ${service}-${stageName} (read models/, write their endpoint logs)`,
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: ['sagemaker.amazonaws.com'] }, Action: ['sts:AssumeRole'] }],
      },
      Policies: [
        {
          PolicyName: 'hosted-models',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              lake.read('models/'),
              // Batch scoring (deploy/scoring.js): a transform job runs as its model's role, reading the scoring query's
              // output and writing its own under scoring/<pipeline>/runs/<id>/ (core/run/lake-layout.ts).
              lake.read('scoring/'),
              lake.write('scoring/'),
              lake.listUnder('scoring/'),
              ...allowOn(['logs:CreateLogGroup', 'logs:DescribeLogStreams'], groups.flatMap((g) => [logs.group(g), logs.groupStar(g)])),
              ...allowOn(['logs:CreateLogStream', 'logs:PutLogEvents'], groups.map((g) => logs.streams(g))),
              allow(['cloudwatch:PutMetricData'], '*', { StringEquals: { 'cloudwatch:namespace': ENDPOINT_METRICS_NAMESPACE } }),
              ...allowOn(['cloudwatch:DescribeAlarms'], arns.rollbackAlarms(stage)),
            ],
          },
        },
      ],
    },
  };
}

/**
 * The model role, one model package group per registering pipeline, two rollback alarms per deploying pipeline.
 * @param {Stage} stage
 * @returns {Record<string, GeneratedResource>}
 */
function hostingResources(stage) {
  /** @type {Record<string, GeneratedResource>} */
  const resources = { [ids.modelRole]: modelRole(stage) };
  for (const pipeline of registering(stage.pipelines)) resources[ids.modelPackageGroup(pipeline)] = modelPackageGroup(stage.names, pipeline);
  for (const pipeline of deploying(stage.pipelines)) {
    for (const kind of [ALARMS.invocation5xx, ALARMS.modelLatency]) resources[ids.alarm(pipeline, kind)] = alarm(stage.names, pipeline, kind);
  }
  return resources;
}

module.exports = {
  MODEL_ROLE,
  VARIANT_NAME,
  arns,
  ids,
  endpointName,
  modelPackageGroupName,
  rollbackAlarmNames,
  hostingResources,
  /**
   * `resources.Resources` of serverless.yml.
   * @param {import('./stage.js').ResolverContext} context
   */
  resources: async (context) => hostingResources(await stageOf(context)),
};
