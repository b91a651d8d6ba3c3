'use strict';

/**
 * The Lambda functions of Sluice and each one's own IAM role, generated from one table.
 *
 * serverless.yml loads this file twice:
 *   functions: ${file(deploy/functions.js):functions}
 *   resources: - Resources: ${file(deploy/functions.js):roles}
 *
 * Adding a function is a folder `functions/<name>/handler.ts` plus one entry in FUNCTIONS below: its size, whether
 * it reads the pipeline specs, the native packages it carries, its environment and the statements its role grants.
 * Every function gets the provider environment (LAKE_BUCKET) and a role that may only write its own log group.
 * `environment` and `statements` may be functions of the stage (deploy/stage.js: its names and pipelines), for what
 * depends on the stage or on the pipelines in the deployment.
 */

const fs = require('node:fs');
const path = require('node:path');
const { resultsPrefix } = require('./catalog.js');
const coalescing = require('./coalescing.js');
const hosting = require('./hosting.js');
const { SCORING_FUNCTIONS } = require('./scoring.js');
const { EVALUATION_FUNCTIONS, insightsPrefixes } = require('./evaluation.js');
const notifications = require('./notifications.js');
const { allow, allowOn, arn, glue, lake } = require('./iam.js');
const { nativePackagePatterns } = require('./native-packages.js');
const { stageOf } = require('./stage.js');

/** @typedef {import('./iam.js').CfnValue} CfnValue */
/** @typedef {import('./iam.js').GeneratedResource} GeneratedResource */
/** @typedef {import('./iam.js').Statement} Statement */
/** @typedef {import('./stage.js').DeployedPipeline} DeployedPipeline */
/** @typedef {import('./stage.js').ResolverContext} ResolverContext */
/** @typedef {import('./stage.js').Stage} Stage */

/**
 * Environment variables of a function, on top of the provider's.
 * @typedef {Record<string, CfnValue>} Environment
 */

/**
 * A value of the table that may depend on the stage (its names and pipelines).
 * @template T
 * @typedef {T | ((stage: Stage) => T)} OfStage
 */

/**
 * One entry of the table: a folder of functions/.
 * @typedef {object} FunctionEntry
 * @property {string} description
 * @property {number} memorySize MB
 * @property {number} timeout seconds
 * @property {number} [ephemeralStorageSize] MB of /tmp, when the default 512 is not enough
 * @property {boolean} [specs] ships pipelines/ in the zip
 * @property {string[]} [nativePackages] node_modules kept out of the bundle and shipped for the Lambda platform
 * @property {string[]} [assets] files shipped as they are beside the bundle, read by path at run time
 * @property {OfStage<Environment>} [environment]
 * @property {OfStage<Statement[]>} statements the function's own permissions; its log group comes on top
 * @property {OfStage<object[]>} [events] serverless `events`
 * @property {{ authorizer: 'aws_iam' }} [url] a Lambda function URL (serverless `url`), IAM-authorized
 * @property {number} [reservedConcurrency] serverless `reservedConcurrency`: the function's ReservedConcurrentExecutions
 */

/** The state machine's logical id (serverless-step-functions `id`). */
const STATE_MACHINE = 'SluiceStateMachine';
/** The role SageMaker training and tuning jobs run as (serverless.yml). */
const SAGEMAKER_ROLE = 'SageMakerExecutionRole';

/** Pipeline specs are read at run time from `$LAMBDA_TASK_ROOT/pipelines`: ship them in the zip. */
const SPEC_PATTERNS = ['pipelines/**/pipeline.yml', 'pipelines/**/*.sql'];

/**
 * What the run report inlines (aws/wiring/run-report.ts CHART_LIBRARY_ASSET): Chart.js's one-file UMD bundle, read by
 * RecordRun and RecordFailure from the zip, so the report draws its charts with no network.
 */
const REPORT_ASSETS = ['node_modules/chart.js/dist/chart.umd.min.js'];

/**
 * What the run report reads beyond the manifest (core/report/run-view.ts), for RecordRun and RecordFailure: the
 * quarantine files' first rows (read, and listed so a missing one is a 404) and the feature sets' listing (files and
 * bytes; the files themselves are not read). Added to each function's own read and list statements.
 */
const REPORT_READS = ['quarantine/'];
/** See {@link REPORT_READS}. */
const REPORT_LISTINGS = ['features/', 'quarantine/'];

/**
 * The run report's versions over time, from the registry: ListModelPackages takes `*` (see listWithoutResourceScope),
 * DescribeModelPackage the stage's packages only.
 * @param {Stage} stage
 * @returns {Statement[]}
 */
const reportRegistryStatements = (stage) => [
  ...allowOn(['sagemaker:DescribeModelPackage'], hosting.arns.modelPackages(stage)),
  listWithoutResourceScope(['sagemaker:ListModelPackages']),
];

/**
 * The pipelines that run a feature query (a features section), and so have an Athena workgroup.
 * @param {readonly DeployedPipeline[]} pipelines
 */
const withFeatures = (pipelines) => pipelines.filter((p) => p.features);

/**
 * ARNs of the stage's crawlers, Athena workgroups and SageMaker jobs.
 * @param {Stage} stage
 */
const crawlers = ({ names, pipelines }) => pipelines.map((p) => glue.crawler(`${names.crawlerPrefix}${p.name}`));
/** @param {Stage} stage */
const workgroups = ({ names, pipelines }) => withFeatures(pipelines).map((p) => arn('athena', `workgroup/${names.workgroupPrefix}${p.name}`));
/** @param {Stage} stage */
const trainingJobs = ({ names }) => [arn('sagemaker', `training-job/${names.resourcePrefix}*`)];
/**
 * The executions of this stage's state machine (serverless.yml names it `<service>-<stage>`).
 * @param {Stage} stage
 */
const executionsOf = ({ service, stage }) => arn('states', `execution:${service}-${stage}:*`);
/**
 * The Distributed Map runs of this stage's state machine, and their child executions: Step Functions names them after
 * the state machine and the map's label (`mapRun:<state machine>/<label>:<id>`, `execution:<state machine>/<label>:<id>`;
 * developer guide, "ResultWriter (Map)", whose example MapRunArn is `mapRun:csvProcess/Map:<id>`). IngestFiles has no
 * `Label`, so the label part is matched by `*`, still under this state machine's name only.
 * @param {Stage} stage
 */
const mapRunsOf = ({ service, stage }) => arn('states', `mapRun:${service}-${stage}/*`);
/** @param {Stage} stage */
const mapRunChildrenOf = ({ service, stage }) => arn('states', `execution:${service}-${stage}/*`);
/** @param {Stage} stage */
const tuningJobs = ({ names }) => [arn('sagemaker', `hyper-parameter-tuning-job/${names.resourcePrefix}*`)];

/**
 * Passing the SageMaker execution role, to SageMaker only: CreateTrainingJob and CreateHyperParameterTuningJob need
 * iam:PassRole on the role in the request (SageMaker developer guide, "Passing Roles").
 */
const passSageMakerRole = () =>
  allow(['iam:PassRole'], [{ 'Fn::GetAtt': [SAGEMAKER_ROLE, 'Arn'] }], { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } });

/** Passing the role deployed models run as, to SageMaker only: CreateModel needs iam:PassRole on ExecutionRoleArn. */
const passModelRole = () =>
  allow(['iam:PassRole'], [{ 'Fn::GetAtt': [hosting.MODEL_ROLE, 'Arn'] }], { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } });

/**
 * "Except for the ListTags API, resource-level restrictions are not available on List- calls" (SageMaker developer
 * guide, "Amazon SageMaker AI API Permissions: Actions, Permissions, and Resources Reference"): these take `*`. They
 * return names and ARNs only; everything the caller then reads or changes is scoped to the stage.
 * @param {string[]} actions
 */
const listWithoutResourceScope = (actions) => allow(actions, '*');

/**
 * Approving or rejecting a registered version (UpdateModelPackage), on the versions of the stage's groups: EvaluateModel
 * rejects, PromoteModel approves, RecordFailure rejects a candidate whose deployment failed.
 * @param {Stage} stage
 */
const decideModelVersions = (stage) => allowOn(['sagemaker:UpdateModelPackage'], hosting.arns.modelPackages(stage));

/**
 * What the SageMaker registry adapter calls to register and gate a candidate (aws/adapters/sagemaker-registry.ts):
 * CreateModelPackage in the pipeline's group (authorized on the group it names and the version it makes), then
 * DescribeModelPackage of the new version and of the approved one, and ListModelPackages to find the approved one.
 * No sagemaker:AddTags: the adapter sends no Tags.
 * @param {Stage} stage
 * @returns {Statement[]}
 */
function registryStatements(stage) {
  const packages = hosting.arns.modelPackages(stage);
  return [
    ...allowOn(['sagemaker:CreateModelPackage'], [...hosting.arns.modelPackageGroups(stage), ...packages]),
    ...allowOn(['sagemaker:DescribeModelPackage'], packages),
    ...decideModelVersions(stage),
    listWithoutResourceScope(['sagemaker:ListModelPackages']),
  ];
}

/**
 * What the SageMaker endpoint deployer calls (aws/adapters/sagemaker-endpoint-deployer.ts): CreateModel and
 * CreateEndpointConfig named per run after the endpoint, then DescribeEndpoint and CreateEndpoint or UpdateEndpoint.
 * CreateEndpoint is authorized on the endpoint and the config it names (SageMaker developer guide, API permissions
 * reference), and so is UpdateEndpoint: SageMaker checks the new config too (aws/aws-cdk#11594). The adapter tags all
 * three on create, which needs sagemaker:AddTags.
 * @param {Stage} stage
 * @returns {Statement[]}
 */
function deployStatements(stage) {
  const [endpoints, configs, models] = [hosting.arns.endpoints(stage), hosting.arns.endpointConfigs(stage), hosting.arns.models(stage)];
  return [
    allow(['sagemaker:CreateModel'], models),
    allow(['sagemaker:CreateEndpointConfig'], configs),
    ...allowOn(['sagemaker:CreateEndpoint', 'sagemaker:UpdateEndpoint'], endpoints.length > 0 ? [...endpoints, ...configs] : []),
    ...allowOn(['sagemaker:DescribeEndpoint'], endpoints),
    allow(['sagemaker:AddTags'], [...models, ...configs, ...endpoints]),
    passModelRole(),
  ];
}

/**
 * What PromoteModel calls: UpdateModelPackage to approve the candidate, then the SageMaker endpoint cleanup
 * (aws/adapters/sagemaker-endpoint-cleanup.ts: DescribeEndpoint, ListEndpointConfigs and ListModels by name, ListTags
 * to keep only what Sluice tagged for the endpoint, DescribeEndpointConfig of the configs it keeps,
 * DeleteEndpointConfig and DeleteModel of the others).
 * @param {Stage} stage
 * @returns {Statement[]}
 */
function promoteStatements(stage) {
  const [configs, models] = [hosting.arns.endpointConfigs(stage), hosting.arns.models(stage)];
  return [
    ...decideModelVersions(stage),
    ...allowOn(['sagemaker:DescribeEndpoint'], hosting.arns.endpoints(stage)),
    listWithoutResourceScope(['sagemaker:ListEndpointConfigs', 'sagemaker:ListModels']),
    allow(['sagemaker:ListTags'], [...configs, ...models]),
    allow(['sagemaker:DescribeEndpointConfig', 'sagemaker:DeleteEndpointConfig'], configs),
    allow(['sagemaker:DeleteModel'], models),
  ];
}

/**
 * The deployment functions' wiring (aws/wiring/sagemaker.ts) builds the SageMaker endpoint deployer, which takes the
 * model role's ARN, whatever the function uses.
 */
const modelRoleEnvironment = () => ({ SAGEMAKER_MODEL_ROLE_ARN: { 'Fn::GetAtt': [hosting.MODEL_ROLE, 'Arn'] } });

/**
 * What Athena needs from the caller of a feature query: Athena reads the catalog and S3 with the caller's
 * permissions. Catalog reads name the table and its ancestors (database, catalog); the default database and the
 * catalog must also allow GetDatabase and CreateDatabase (Athena user guide, "Configure access to databases and
 * tables in the AWS Glue Data Catalog"). S3 actions are those the Athena user guide lists for query data and result
 * locations ("Access to Amazon S3"): the bucket's location and multipart uploads, the source objects, and the objects
 * UNLOAD and the result location receive (multipart uploads included).
 * @param {Stage} stage
 * @returns {Statement[]}
 */
function featureQueryStatements(stage) {
  const { names, pipelines } = stage;
  const featured = withFeatures(pipelines);
  const results = featured.map(resultsPrefix);
  return [
    allow(['athena:StartQueryExecution'], workgroups(stage)),
    // Kept although nothing in Sluice creates a database: "For Athena to work with the AWS Glue Data Catalog, the
    // following access policy to the default database and to the AWS Glue Data Catalog per AWS Region for GetDatabase
    // and CreateDatabase must be present" (Athena user guide, fine-grained-access-to-glue-resources, "Mandatory:
    // Access Policy to the Default Database and Catalog per AWS Region"). No other role holds it.
    allow(['glue:GetDatabase', 'glue:CreateDatabase'], [glue.catalog(), glue.database('default')]),
    allow(
      ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartition', 'glue:GetPartitions', 'glue:BatchGetPartition'],
      [glue.catalog(), glue.database(names.glueDatabase), ...featured.map((p) => glue.table(names.glueDatabase, p.table))],
    ),
    allow(['s3:GetBucketLocation', 's3:ListBucketMultipartUploads'], [lake.bucket()]),
    // Athena lists the table's data (curated/) and the result location; the step lists the UNLOAD target to empty it.
    lake.listUnder('curated/', 'features/', ...results),
    lake.read('curated/', ...results),
    // The step empties features/<pipeline>/<runId>/<split>/ first (UNLOAD refuses a non-empty target); UNLOAD writes
    // the data files there, and its metadata and manifest to the workgroup's result location under athena/.
    allow(['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'], ['features/', ...results].map(lake.objects)),
    lake.delete('features/'),
  ];
}

/**
 * One entry per folder of functions/. `statements` are the function's own permissions (its log group comes on
 * top); `environment` is added to the provider's; `specs` ships pipelines/ in its zip; `nativePackages` ships those
 * node_modules (kept out of the bundle) for the Lambda platform. Memory and timeouts are small: every function but
 * validate-and-partition makes a few API calls and returns.
 */
/** @type {Record<string, FunctionEntry>} */
const FUNCTIONS = {
  'start-run': {
    description: 'Drains the coalescing queue of uploads under incoming/ each minute: one run per quiet burst and pipeline',
    memorySize: 256,
    timeout: coalescing.START_RUN_TIMEOUT_SECONDS,
    // The queue's single reader: two drains at once could each start a run for half a burst (deploy/coalescing.js).
    reservedConcurrency: 1,
    specs: true,
    // Ref of an AWS::SQS::Queue is its URL (CloudFormation, AWS::SQS::Queue return values).
    environment: { STATE_MACHINE_ARN: { Ref: STATE_MACHINE }, UPLOAD_QUEUE_URL: { Ref: coalescing.ids.queue } },
    // The upload rule, the queue and the schedule that invokes this function are in deploy/coalescing.js.
    // DescribeExecution: the input of a running execution whose name does not say its pipeline (a scheduled run).
    statements: (stage) => [allow(['states:StartExecution'], [{ Ref: STATE_MACHINE }]), ...coalescing.drainStatements(), allow(['states:DescribeExecution'], [executionsOf(stage)])],
  },
  'normalize-input': {
    description: 'NormalizeInput: upload, schedule or manual input to one run context',
    memorySize: 256,
    timeout: 30,
    specs: true,
    // HeadObject of the upload (incoming/) or of an archive re-run (raw/): listing those prefixes is what makes S3
    // answer a missing key with 404 rather than 403 (see lake.listUnder).
    // An upload is looked up at its event's version id (uploads land under incoming/).
    // ingest/_runs/: the run's object list, which the IngestFiles Distributed Map reads its items from
    // (core/manifest/object-list.ts); a folder input is listed under the drop zone (incoming/).
    // runs/ and curated/: a scheduled run reads the production model's manifest and lists the curated table to tell
    // whether there is new data to train on (core/trigger/new-data.ts, issue 13).
    statements: [
      lake.read('incoming/', 'raw/', 'runs/'),
      lake.readVersions('incoming/'),
      lake.listUnder('incoming/', 'raw/', 'runs/', 'curated/'),
      lake.write('ingest/_runs/'),
    ],
  },
  'validate-and-partition': {
    description: 'ValidateAndPartition: contract checks on DuckDB, curated Parquet partitions, quarantine',
    // One vCPU's worth: Lambda sells CPU in proportion to memory, and one DuckDB thread spends the least CPU per GB
    // ingested, so this is the cheapest size per GB that fits DuckDB and the largest Lambda file in 15 minutes
    // (measured: deploy/lambda-memory.md). DuckDB gets 1 thread and 1,061 MB (core/config/runtime-config.ts).
    memorySize: 1769,
    timeout: 900,
    ephemeralStorageSize: 10240,
    specs: true,
    nativePackages: ['@duckdb/node-api'],
    statements: [
      // ingest/: staging, commit records and source records (core/ingest/source-commit.ts); raw/ and quarantine/
      // deletes roll back a killed run's archive and replace a re-run's quarantine.
      // profiles/: the data-quality baseline read, the file's profile and violations written (docs/data-quality.md).
      lake.read('incoming/', 'raw/', 'ingest/', 'profiles/'),
      // The run's input object carries its version id (NormalizeInput): read and archived at that version.
      lake.readVersions('incoming/', 'raw/'),
      lake.write('raw/', 'curated/', 'quarantine/', 'ingest/', 'profiles/'),
      lake.delete('incoming/', 'raw/', 'curated/', 'quarantine/', 'ingest/', 'profiles/'),
      // An upload over 5 GB is archived (and a staged file moved) by a multipart copy, which is aborted when it fails
      // (aws/adapters/s3-object-store.ts): s3:AbortMultipartUpload on the copy destinations.
      lake.abortUploads('raw/', 'curated/', 'quarantine/'),
      // Lists staging, curated and quarantine folders; heads and reads keys that may be missing in all five (a missing
      // key must come back 404, not 403). Nothing under runs/: per-content records live under ingest/.
      lake.listUnder('incoming/', 'raw/', 'ingest/', 'curated/', 'quarantine/', 'profiles/'),
    ],
  },
  'record-run': {
    description: 'RecordRun: writes the run manifest and its HTML report',
    memorySize: 256,
    timeout: 30,
    assets: REPORT_ASSETS,
    // Reads back each file's curated keys, kept out of the state (core/manifest/ingest-listing.ts, issue 10 item 5);
    // listing the prefix makes a missing listing a 404 (see lake.listUnder).
    // ingest/_map-runs/: the IngestFiles map run's results (core/manifest/ingest-results.ts).
    // The stage's topic: every finished run's notification (deploy/notifications.js, issue 13).
    // RESOURCE_PREFIX: the registry's group prefix, for the report's versions over time.
    environment: ({ names }) => ({ RESOURCE_PREFIX: names.resourcePrefix, ...notifications.publisherEnvironment() }),
    statements: (stage) => [
      // The run report beside the manifest (runs/<pipeline>/<runId>.html, under runs/) reads REPORT_READS too.
      lake.write('runs/'),
      lake.read('ingest/_runs/', 'ingest/_map-runs/', ...REPORT_READS),
      // The candidate's insights.json that ComputeEvaluationMetrics wrote (deploy/evaluation.js, issue 14): the
      // report's ROC, precision-recall and residual plots; listed so that a model without one answers 404.
      lake.read(...insightsPrefixes(stage)),
      lake.listUnder('ingest/_runs/', 'ingest/_map-runs/', ...REPORT_LISTINGS, ...insightsPrefixes(stage)),
      notifications.publishStatement(),
      ...reportRegistryStatements(stage),
    ],
  },
  'record-failure': {
    description: 'RecordFailure: on a failed, timed-out or aborted execution, stops its jobs and writes the failed run manifest',
    memorySize: 256,
    // Up to 25 history pages, up to 101 failed map children described, two stops, the listings and the manifest:
    // seconds, with room for the SDK's own retries.
    timeout: 60,
    assets: REPORT_ASSETS,
    // The registry adapter is built with the group prefix; rejecting a version needs only its ARN (from the state).
    environment: ({ names }) => ({ RESOURCE_PREFIX: names.resourcePrefix, ...notifications.publisherEnvironment() }),
    statements: (stage) => [
      // The stage's topic: the failure's notification (deploy/notifications.js, issue 13).
      notifications.publishStatement(),
      // runs/: the manifest, read first to skip an event delivered twice (listing makes a missing one a 404).
      // The failed run's report beside it reads REPORT_READS too.
      // A run that failed after ComputeEvaluationMetrics (a failed deployment, say) has the candidate's insights.json.
      lake.write('runs/'),
      lake.read('runs/', 'ingest/_runs/', 'ingest/_map-runs/', ...REPORT_READS, ...insightsPrefixes(stage)),
      lake.listUnder('runs/', 'ingest/_runs/', 'ingest/_map-runs/', ...REPORT_LISTINGS, ...insightsPrefixes(stage)),
      ...decideModelVersions(stage),
      // The failed execution's history: GetExecutionHistory is authorized on the execution ARN
      // (`arn:…:states:<region>:<account>:execution:<state machine name>:<execution name>`), this state machine's only.
      allow(['states:GetExecutionHistory'], [executionsOf(stage)]),
      // A failed IngestFiles map run's children, to record each failed file's error (issue 10): ListExecutions by
      // mapRunArn is authorized on the map run, DescribeExecution on the child execution.
      allow(['states:ListExecutions'], [mapRunsOf(stage)]),
      // The policy example of "IAM policies for using Distributed Map states" grants DescribeExecution on
      // `execution:<state machine>:*`; the children's ARNs the ResultWriter examples show are `<state machine>/<label>:`.
      allow(['states:DescribeExecution'], [executionsOf(stage), mapRunChildrenOf(stage)]),
      // The run's jobs and query still running when it failed (issue 10, item 4).
      allow(['sagemaker:StopTrainingJob'], trainingJobs(stage)),
      allow(['sagemaker:StopHyperParameterTuningJob'], tuningJobs(stage)),
      // The evaluation transforms still running (core/evaluation/evaluation-jobs.ts names them with the stage's prefix).
      allow(['sagemaker:StopTransformJob'], [arn('sagemaker', `transform-job/${stage.names.resourcePrefix}*`)]),
      ...allowOn(['athena:StopQueryExecution'], workgroups(stage)),
      // The failed run's report: the registry's versions.
      ...reportRegistryStatements(stage),
    ],
    events: (stage) => [
      {
        eventBridge: {
          name: `${stage.service}-${stage.stage}-failed-executions`,
          description: 'Executions of the state machine that failed, timed out or were aborted',
          // Step Functions sends "Step Functions Execution Status Change" to the default bus, `detail` as DescribeExecution
          // returns it (EventBridge user guide, "Step Functions events"; Step Functions developer guide, "EventBridge
          // for Step Functions execution status changes"). Delivery is at least once: RecordFailure skips a failure the
          // manifest already records. A redriven execution that fails again sends a new event and is recorded again.
          pattern: {
            'source': ['aws.states'],
            'detail-type': ['Step Functions Execution Status Change'],
            'detail': {
              status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
              stateMachineArn: [{ Ref: STATE_MACHINE }],
            },
          },
          retryPolicy: { maximumEventAge: 86_400, maximumRetryAttempts: 185 },
        },
      },
    ],
  },
  'start-crawler': {
    description: 'StartCrawler: starts the pipeline crawler over curated/<pipeline>/',
    memorySize: 256,
    timeout: 30,
    specs: true,
    environment: ({ names }) => ({ GLUE_DATABASE: names.glueDatabase, CRAWLER_PREFIX: names.crawlerPrefix }),
    statements: (stage) => [allow(['glue:StartCrawler'], crawlers(stage))],
  },
  'get-crawler-state': {
    description: 'GetCrawlerState: one poll of the pipeline crawler',
    memorySize: 256,
    timeout: 30,
    // The crawler's name comes from the state ($.crawl), not from the environment.
    statements: (stage) => [allow(['glue:GetCrawler'], crawlers(stage))],
  },
  'start-feature-query': {
    description: 'StartFeatureQuery: features.sql wrapped in UNLOAD to features/<pipeline>/<runId>/, one query per split',
    memorySize: 256,
    // Empties two prefixes, then starts two queries: seconds, with room for the SDK's own retries.
    timeout: 60,
    specs: true,
    environment: ({ names }) => ({ GLUE_DATABASE: names.glueDatabase, ATHENA_WORKGROUP_PREFIX: names.workgroupPrefix }),
    statements: featureQueryStatements,
  },
  'get-feature-query-state': {
    description: 'GetFeatureQueryState: one poll of both feature queries; starts them again in a redriven execution',
    // A text pipeline's channels are merged here once the query succeeds (core/features/channel-merge.ts): each split's
    // gzip parts are read, gunzipped through /tmp and written back as one data.txt (BlazingText reads one file per
    // channel). Room for that: Lambda's 15-minute ceiling, up to 10,240 MB of /tmp ("Lambda quotas").
    memorySize: 1024,
    // A redriven execution re-runs only this state, which then empties two prefixes and starts two queries as
    // StartFeatureQuery does (issue 10, item 3): the same spec, environment and statements.
    timeout: 900,
    ephemeralStorageSize: 10240,
    specs: true,
    environment: ({ names }) => ({ GLUE_DATABASE: names.glueDatabase, ATHENA_WORKGROUP_PREFIX: names.workgroupPrefix }),
    statements: (stage) => [allow(['athena:GetQueryExecution'], workgroups(stage)), ...featureQueryStatements(stage), lake.read('features/')],
  },
  'start-training': {
    description: 'StartTraining: one SageMaker XGBoost training job on the run feature sets',
    memorySize: 256,
    timeout: 30,
    specs: true,
    environment: ({ names }) => ({ SAGEMAKER_ROLE_ARN: { 'Fn::GetAtt': [SAGEMAKER_ROLE, 'Arn'] }, RESOURCE_PREFIX: names.resourcePrefix }),
    // The trainer tags every job it creates (pipeline, run): tagging on create needs sagemaker:AddTags.
    statements: (stage) => [allow(['sagemaker:CreateTrainingJob', 'sagemaker:AddTags'], trainingJobs(stage)), passSageMakerRole()],
  },
  'describe-training': {
    description: 'DescribeTraining: one poll of the training job; starts a new one in a redriven execution',
    memorySize: 256,
    timeout: 30,
    // A redriven execution re-runs only this state, which then starts a new job as StartTraining does (issue 10,
    // item 3): the spec, the role to pass, the job prefix and StartTraining's statements.
    specs: true,
    environment: ({ names }) => ({ SAGEMAKER_ROLE_ARN: { 'Fn::GetAtt': [SAGEMAKER_ROLE, 'Arn'] }, RESOURCE_PREFIX: names.resourcePrefix }),
    statements: (stage) => [
      allow(['sagemaker:DescribeTrainingJob', 'sagemaker:CreateTrainingJob', 'sagemaker:AddTags'], trainingJobs(stage)),
      passSageMakerRole(),
    ],
  },
  'start-tuning': {
    description: 'StartTuning: one SageMaker hyperparameter tuning job over the XGBoost training definition',
    memorySize: 256,
    timeout: 30,
    specs: true,
    environment: ({ names }) => ({ SAGEMAKER_ROLE_ARN: { 'Fn::GetAtt': [SAGEMAKER_ROLE, 'Arn'] }, RESOURCE_PREFIX: names.resourcePrefix }),
    // SageMaker launches the training jobs itself: the caller needs no sagemaker:CreateTrainingJob.
    statements: (stage) => [allow(['sagemaker:CreateHyperParameterTuningJob', 'sagemaker:AddTags'], tuningJobs(stage)), passSageMakerRole()],
  },
  'describe-tuning': {
    description: 'DescribeTuning: one poll of the tuning job; the best training job once it completes; a new tuning job in a redriven execution',
    memorySize: 256,
    timeout: 30,
    // A redriven execution re-runs only this state, which then starts a new tuning job as StartTuning does (issue 10,
    // item 3): the spec, the role to pass, the job prefix and StartTuning's statements.
    specs: true,
    environment: ({ names }) => ({ SAGEMAKER_ROLE_ARN: { 'Fn::GetAtt': [SAGEMAKER_ROLE, 'Arn'] }, RESOURCE_PREFIX: names.resourcePrefix }),
    // The best training job is named after the tuning job, so it carries the stage's prefix too.
    statements: (stage) => [
      allow(['sagemaker:DescribeHyperParameterTuningJob', 'sagemaker:CreateHyperParameterTuningJob', 'sagemaker:AddTags'], tuningJobs(stage)),
      allow(['sagemaker:DescribeTrainingJob'], trainingJobs(stage)),
      passSageMakerRole(),
    ],
  },
  'evaluate-model': {
    description: 'EvaluateModel: registers the candidate in the pipeline model package group, gates it against production',
    memorySize: 256,
    timeout: 30,
    specs: true,
    environment: ({ names }) => ({ RESOURCE_PREFIX: names.resourcePrefix }),
    // profiles/: the training set's profile and bias metrics recorded with the version, merged from the committed
    // sources' profiles (listed with the source records under ingest/), and the drift baseline (docs/data-quality.md).
    statements: (stage) => [...registryStatements(stage), lake.read('profiles/'), lake.write('profiles/'), lake.listUnder('profiles/', 'ingest/')],
  },
  'deploy': {
    description: 'Deploy: creates the pipeline endpoint, or updates it blue/green with rollback on its alarms',
    memorySize: 256,
    // Two creates, a describe and a create or an update, each with the SDK's own retries.
    timeout: 60,
    specs: true,
    environment: ({ names }) => ({ ...modelRoleEnvironment(), RESOURCE_PREFIX: names.resourcePrefix }),
    statements: deployStatements,
  },
  'get-endpoint-state': {
    description: 'GetEndpointState: one poll of the pipeline endpoint',
    memorySize: 256,
    timeout: 30,
    // The endpoint's name comes from the state ($.deployment): no environment of its own (aws/wiring/sagemaker.ts
    // endpointStateDeps builds a describe-only deployer, issue 10 item 12).
    statements: (stage) => allowOn(['sagemaker:DescribeEndpoint'], hosting.arns.endpoints(stage)),
  },
  'smoke-test': {
    description: 'SmokeTest: sends rows of the validation set to the endpoint, expects one score per row',
    memorySize: 256,
    timeout: 60,
    specs: true,
    environment: ({ names }) => ({ ...modelRoleEnvironment(), RESOURCE_PREFIX: names.resourcePrefix }),
    // The sample is the first file of features/<pipeline>/<runId>/validation/, listed then read. When the endpoint
    // answers wrongly, the production model (found in the registry) is deployed again: the deploy permissions.
    statements: (stage) => [
      ...allowOn(['sagemaker:InvokeEndpoint'], hosting.arns.endpoints(stage)),
      lake.read('features/'),
      lake.listUnder('features/'),
      ...allowOn(['sagemaker:DescribeModelPackage'], hosting.arns.modelPackages(stage)),
      listWithoutResourceScope(['sagemaker:ListModelPackages']),
      ...deployStatements(stage),
    ],
  },
  'promote-model': {
    description: 'PromoteModel: approves the deployed candidate, deletes models and endpoint configs beyond keepVersions',
    memorySize: 256,
    timeout: 30,
    specs: true,
    // The registry's group prefix; no model role: PromoteModel creates no model (aws/wiring/sagemaker.ts promoteDeps).
    environment: ({ names }) => ({ RESOURCE_PREFIX: names.resourcePrefix }),
    statements: promoteStatements,
  },
  'infer': {
    description: 'Infer: raw records checked against the contract, featurized by the pipeline SQL on DuckDB, scored by its endpoint',
    // One full vCPU (Lambda gives one per 1,769 MB): the featurizing query and the SDK call are CPU-bound on the latency
    // path (docs/scoring.md, latency budget); DuckDB holds a request's rows only, in memory.
    memorySize: 1769,
    timeout: 30,
    // The specs and their features.sql ship in the zip: no S3 read on the request path, no s3:GetObject in the role.
    specs: true,
    nativePackages: ['@duckdb/node-api'],
    environment: ({ names }) => ({ RESOURCE_PREFIX: names.resourcePrefix }),
    // The stage's endpoints only (core/serving/infer-raw-records.ts invokes `<prefix><pipeline>`).
    statements: (stage) => allowOn(['sagemaker:InvokeEndpoint'], hosting.arns.endpoints(stage)),
    // A function URL that only SigV4-signed callers allowed lambda:InvokeFunctionUrl may call (Lambda developer guide,
    // "Invoking Lambda function URLs": AuthType AWS_IAM; osls compiles `authorizer: aws_iam` to AWS::Lambda::Url
    // AuthType AWS_IAM and adds no public permission, lib/plugins/aws/package/compile/functions.js compileFunctionUrl).
    url: { authorizer: 'aws_iam' },
  },
  // Batch scoring's functions (issue 12): their rows and roles are in deploy/scoring.js.
  ...SCORING_FUNCTIONS,
  // Champion/challenger's evaluation transforms (issue 12): their rows and roles are in deploy/evaluation.js.
  ...EVALUATION_FUNCTIONS,
};

/**
 * `start-run` -> `startRun`: serverless names the function resource `StartRunLambdaFunction`, as the ASL expects.
 * @param {string} folder
 * @returns {string}
 */
function functionKey(folder) {
  return folder.replace(/-([a-z0-9])/g, (_, /** @type {string} */ c) => c.toUpperCase());
}

/**
 * `start-run` -> `StartRunRole`.
 * @param {string} folder
 * @returns {string}
 */
function roleLogicalId(folder) {
  const key = functionKey(folder);
  return `${key.charAt(0).toUpperCase()}${key.slice(1)}Role`;
}

/**
 * The function's own role: assumed by Lambda, writes its log group, and the statements of its entry.
 * @param {string} functionName
 * @param {Statement[]} statements
 * @returns {GeneratedResource}
 */
function role(functionName, statements) {
  const logGroup = `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${functionName}`;
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com'] }, Action: ['sts:AssumeRole'] }],
      },
      Policies: [
        {
          PolicyName: functionName,
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              // The log group itself is made by the stack: the function only adds streams and events to it.
              allow(['logs:CreateLogStream', 'logs:PutLogEvents'], [{ 'Fn::Sub': `${logGroup}:*` }]),
              // Active tracing (serverless.yml provider.tracing.lambda): osls adds these two actions to its default
              // role only (osls lib/plugins/aws/package/compile/functions.js, "if default policy is used"), not to ours.
              // X-Ray's segment APIs take no resource ARN, hence '*'.
              allow(['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], ['*']),
              ...statements,
            ],
          },
        },
      ],
    },
  };
}

/** Fails packaging when a folder of functions/ has no entry in FUNCTIONS, or an entry has no folder. */
function checkTable() {
  const folders = fs
    .readdirSync(path.join(__dirname, '..', 'functions'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
  const missing = folders.filter((folder) => !(folder in FUNCTIONS));
  const stale = Object.keys(FUNCTIONS).filter((folder) => !folders.includes(folder));
  if (missing.length > 0 || stale.length > 0) {
    throw new Error(
      [
        missing.length > 0 ? `functions/ without an entry in deploy/functions.js: ${missing.join(', ')}` : '',
        stale.length > 0 ? `entries in deploy/functions.js without a folder in functions/: ${stale.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; '),
    );
  }
}

/**
 * A table value that may depend on the stage.
 * @template T
 * @param {OfStage<T>} value
 * @param {Stage} stage
 * @returns {T}
 */
function ofStage(value, stage) {
  return typeof value === 'function' ? /** @type {(stage: Stage) => T} */ (value)(stage) : value;
}

/**
 * The deployed name of a function: `<service>-<stage>-<folder>`.
 * @param {Stage} stage
 * @param {string} folder
 * @returns {string}
 */
function functionName(stage, folder) {
  return `${stage.service}-${stage.stage}-${folder}`;
}

module.exports = {
  /**
   * The `functions:` block of serverless.yml.
   * @param {ResolverContext} context
   */
  functions: async (context) => {
    checkTable();
    const stage = await stageOf(context);
    return Object.fromEntries(
      Object.entries(FUNCTIONS).map(([folder, fn]) => {
        const patterns = [...(fn.specs ? SPEC_PATTERNS : []), ...nativePackagePatterns(fn.nativePackages ?? []), ...(fn.assets ?? [])];
        const environment = ofStage(fn.environment, stage);
        return [
          functionKey(folder),
          {
            name: functionName(stage, folder),
            handler: `functions/${folder}/handler.handler`,
            description: fn.description,
            memorySize: fn.memorySize,
            timeout: fn.timeout,
            ...(fn.ephemeralStorageSize ? { ephemeralStorageSize: fn.ephemeralStorageSize } : {}),
            ...(environment ? { environment } : {}),
            ...(fn.events ? { events: ofStage(fn.events, stage) } : {}),
            ...(fn.url ? { url: fn.url } : {}),
            ...(fn.reservedConcurrency !== undefined ? { reservedConcurrency: fn.reservedConcurrency } : {}),
            role: roleLogicalId(folder),
            ...(patterns.length > 0 ? { package: { patterns } } : {}),
          },
        ];
      }),
    );
  },
  /**
   * The statements of one function's role, without its log group: deploy/ecs.js gives the ingest task the
   * ValidateAndPartition function's, so both routes of a file may do the same.
   * @param {string} folder
   * @param {Stage} stage
   * @returns {Statement[]}
   */
  statementsOf: (folder, stage) => {
    const entry = FUNCTIONS[folder];
    if (!entry) throw new Error(`deploy/functions.js: no function ${folder}`);
    return ofStage(entry.statements, stage);
  },
  /**
   * One AWS::IAM::Role per function, for `resources.Resources`.
   * @param {ResolverContext} context
   * @returns {Promise<Record<string, GeneratedResource>>}
   */
  roles: async (context) => {
    const stage = await stageOf(context);
    return Object.fromEntries(
      Object.entries(FUNCTIONS).map(([folder, fn]) => [roleLogicalId(folder), role(functionName(stage, folder), ofStage(fn.statements, stage))]),
    );
  },
};
