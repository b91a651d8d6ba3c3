import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CHART_LIBRARY_ASSET } from '../../aws/wiring/run-report.js';
import { rollbackAlarmNames } from '../../aws/wiring/sagemaker.js';
import { VARIANT_NAME } from '../../aws/adapters/sagemaker-endpoints.js';
import { catalogResources } from '../../deploy/catalog.js';
import { METRICS as DASHBOARD_METRICS } from '../../deploy/dashboard.js';
import { METRIC_NAMES } from '../../core/ports/metrics.js';
import { deployedPipelines as stageDeployedPipelines, stageNames } from '../../deploy/stage.js';
import { stateMachineDefinition } from '../../deploy/state-machine.js';
import { pipelineSchedules } from '../../deploy/schedules.js';
import { parseScheduleExpression } from '../../core/schedule/schedule-expression.js';
import { tableName } from '../../core/run/naming.js';
import { COALESCING_MAX_WAIT_SECONDS, DEFER_WHILE_RUNNING_SECONDS, DRAIN_TICK_SECONDS, RECEIVE_VISIBILITY_SECONDS } from '../../core/trigger/coalescing.js';
import type { CfnResource, CfnTemplate, Json, Statement } from './packaged-service.js';
import {
  DEFAULT_BYTES_SCANNED_CUTOFF,
  ROOT,
  actionsOf,
  allPolicyStatements,
  asList,
  deployedPipelines,
  describeRef,
  filesUnder,
  functionFolders,
  functionKey,
  lambdaEnvironment,
  lambdaLogicalId,
  packageService,
  readTemplate,
  referencedIds,
  resource,
  resourcesOfType,
  roleStatements,
  runNode,
} from './packaged-service.js';
import { ZipArchive } from './zip-archive.js';

/** Packaging bundles every function and zips DuckDB's 70 MB library: allow for a slow, busy machine. */
const PACKAGE_TIMEOUT_MS = 420_000;
// A hang guard for starting Node on an unpacked zip: loading a bundle (DuckDB's native binding in one) takes well under a
// second on a quiet machine and several on a shared one; only a hang should fail the test.
const CHILD_NODE_TIMEOUT_MS = 120_000;
// Was 300 KB. Two additions pushed the largest orchestration zips past it, each measured (esbuild --minify, zip -9):
// Powertools Tracer on every function (aws-xray-sdk-core and its CLS helpers, +36 KB each: record-run 272,869 -> 309,010
// bytes), and the run report and notification code in record-run and record-failure (record-failure 380,637 bytes in
// all). 400 KB keeps the guard's purpose: an orchestration bundle that pulls in a whole SDK or DuckDB fails it.
const ORCHESTRATION_ZIP_LIMIT = 400 * 1024;
/**
 * Files shipped beside the bundle and read by path (deploy/functions.js `assets`): Chart.js's UMD bundle, which the run
 * report inlines (aws/wiring/run-report.ts). Data, not code: the 400 KB guard is on the code, the asset is checked
 * apart (80,497 bytes deflated, measured with osls package).
 */
const REPORT_ASSET = CHART_LIBRARY_ASSET;
const REPORT_WRITERS: readonly string[] = ['record-run', 'record-failure'];
/** Chart.js 4's minified UMD bundle is about 210 KB, 80 KB deflated: a guard against shipping the whole package. */
const REPORT_ASSET_LIMIT = 120 * 1024;

/** The function that runs DuckDB; every other function orchestrates and must stay small. */
const DUCKDB_FUNCTION = 'validate-and-partition';
/** Batch scoring's functions that run DuckDB (issue 12, deploy/scoring.js). */
const SCORING_DUCKDB_FUNCTIONS: readonly string[] = ['validate-scoring-file', 'write-predictions'];
/** Champion/challenger's functions that write the transform input on DuckDB (issue 12, deploy/evaluation.js). */
const EVALUATION_DUCKDB_FUNCTIONS: readonly string[] = ['start-evaluation-transform', 'describe-evaluation-transform'];
/** The functions that read pipeline specs from `$LAMBDA_TASK_ROOT/pipelines`. */
const SPEC_READERS = [
  'start-run',
  'normalize-input',
  'validate-and-partition',
  'start-crawler',
  'start-feature-query',
  // A redriven execution re-runs only the polling state, which starts the queries or the job again (issue 10, item 3).
  'get-feature-query-state',
  'start-training',
  'describe-training',
  'start-tuning',
  'describe-tuning',
  'evaluate-model',
  'start-evaluation-transform',
  'describe-evaluation-transform',
  'compute-evaluation-metrics',
  'deploy',
  'promote-model',
];
/** The native binding @duckdb/node-bindings loads on Lambda x86_64 (glibc), and the library it links. */
const DUCKDB_BINDING = 'node_modules/@duckdb/node-bindings-linux-x64/duckdb.node';
const DUCKDB_LIBRARY = 'node_modules/@duckdb/node-bindings-linux-x64/libduckdb.so';

/**
 * Actions that do not support resource-level permissions, so AWS requires `"Resource": "*"`: the CloudWatch Logs
 * log-delivery actions a state machine role needs for `loggingConfig` (Step Functions developer guide, "IAM
 * policies for logging to CloudWatch Logs").
 */
const WILDCARD_RESOURCE_ACTIONS = new Set([
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
  // No resource-level permissions either; the SageMaker execution and model roles scope it with the
  // cloudwatch:namespace key.
  'cloudwatch:PutMetricData',
  // "Except for the ListTags API, resource-level restrictions are not available on List- calls" (SageMaker developer
  // guide, "Amazon SageMaker AI API Permissions: Actions, Permissions, and Resources Reference"): EvaluateModel finds
  // the approved version, PromoteModel the endpoint's old configs and models, by listing.
  'sagemaker:ListModelPackages',
  'sagemaker:ListEndpointConfigs',
  'sagemaker:ListModels',
  // Active tracing: X-Ray's actions take no resource ARN ("Actions, resources, and condition keys for AWS X-Ray",
  // service authorization reference): every function's role and the state machines' generated roles.
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
]);

const objects = (prefix: string): string => `\${LakeBucket.Arn}/${prefix}*`;
const BUCKET = 'LakeBucket.Arn';

/** What `osls package --stage dev` names: the Glue database, and the prefix of crawlers, workgroups and jobs. */
const DATABASE = 'sluice_dev';
const PREFIX = 'sluice-dev-';
/** The pipelines in the deployment, and those with a features section (an Athena workgroup each). */
const PIPELINES = deployedPipelines();
const FEATURED = PIPELINES.filter((p) => p.bytesScannedCutoff !== undefined);
/** An ARN of the stack's account and region, as the template writes it in an Fn::Sub. */
const stackArn = (service: string, name: string): string => `arn:\${AWS::Partition}:${service}:\${AWS::Region}:\${AWS::AccountId}:${name}`;
const GLUE_CATALOG = stackArn('glue', 'catalog');
const glueDatabase = (name: string): string => stackArn('glue', `database/${name}`);
const glueTable = (table: string): string => stackArn('glue', `table/${DATABASE}/${table}`);
const CRAWLERS = PIPELINES.map((p) => stackArn('glue', `crawler/${PREFIX}${p.name}`));
const WORKGROUPS = FEATURED.map((p) => stackArn('athena', `workgroup/${PREFIX}${p.name}`));
const RESULTS = FEATURED.map((p) => objects(`athena/${p.name}/`));
const TRAINING_JOBS = stackArn('sagemaker', `training-job/${PREFIX}*`);
const TUNING_JOBS = stackArn('sagemaker', `hyper-parameter-tuning-job/${PREFIX}*`);
const SAGEMAKER_ROLE = 'SageMakerExecutionRole';
/** The role deployed models run as. */
const MODEL_ROLE = 'SageMakerModelRole';
/** Pipelines whose runs register candidates (a model package group each), and those that deploy (an endpoint each). */
const REGISTERING = PIPELINES.filter((p) => p.registersModels);
const DEPLOYING = PIPELINES.filter((p) => p.deploys);
const MODEL_PACKAGE_GROUPS = REGISTERING.map((p) => stackArn('sagemaker', `model-package-group/${PREFIX}${p.name}`));
/** A versioned model package is `model-package/<group>/<version>`. */
const MODEL_PACKAGES = REGISTERING.map((p) => stackArn('sagemaker', `model-package/${PREFIX}${p.name}/*`));
const ENDPOINTS = DEPLOYING.map((p) => stackArn('sagemaker', `endpoint/${PREFIX}${p.name}`));
/** Models and endpoint configs are named per run after their endpoint, so they start with the stage prefix. */
const ENDPOINT_CONFIGS = stackArn('sagemaker', `endpoint-config/${PREFIX}*`);
const MODELS = stackArn('sagemaker', `model/${PREFIX}*`);

/** What StartFeatureQuery may do: start the queries Athena runs with the caller's permissions. */
const FEATURE_QUERY_PERMISSIONS: Record<string, string[]> = {
  'athena:StartQueryExecution': WORKGROUPS,
  // The default database and the catalog for Athena itself; the stage's database and the featured tables to query.
  'glue:CreateDatabase': [GLUE_CATALOG, glueDatabase('default')],
  'glue:GetDatabase': [GLUE_CATALOG, glueDatabase('default'), GLUE_CATALOG, glueDatabase(DATABASE), ...FEATURED.map((p) => glueTable(p.table))],
  'glue:GetTable': [GLUE_CATALOG, glueDatabase(DATABASE), ...FEATURED.map((p) => glueTable(p.table))],
  'glue:GetPartition': [GLUE_CATALOG, glueDatabase(DATABASE), ...FEATURED.map((p) => glueTable(p.table))],
  'glue:GetPartitions': [GLUE_CATALOG, glueDatabase(DATABASE), ...FEATURED.map((p) => glueTable(p.table))],
  'glue:BatchGetPartition': [GLUE_CATALOG, glueDatabase(DATABASE), ...FEATURED.map((p) => glueTable(p.table))],
  's3:GetBucketLocation': [BUCKET],
  's3:ListBucket': [BUCKET],
  's3:ListBucketMultipartUploads': [BUCKET],
  's3:GetObject': [objects('curated/'), ...RESULTS],
  's3:PutObject': [objects('features/'), ...RESULTS],
  's3:AbortMultipartUpload': [objects('features/'), ...RESULTS],
  's3:ListMultipartUploadParts': [objects('features/'), ...RESULTS],
  's3:DeleteObject': [objects('features/')],
};

/** Batch scoring's catalog grants: the catalog, the stage's database, and one table of each scorable pipeline. */
function scoringTables(kind: 'scoring_input' | 'predictions'): string[] {
  return [GLUE_CATALOG, glueDatabase(DATABASE), ...FEATURED.map((p) => glueTable(`${p.table}_${kind}`))];
}

/** What the scoring query's functions may do: Athena in the workgroups, over the scoring input table, into scoring/. */
const SCORING_QUERY_PERMISSIONS: Record<string, string[]> = {
  'athena:StartQueryExecution': WORKGROUPS,
  'athena:GetQueryExecution': WORKGROUPS,
  'glue:CreateDatabase': [GLUE_CATALOG, glueDatabase('default')],
  'glue:GetDatabase': [GLUE_CATALOG, glueDatabase('default'), ...scoringTables('scoring_input')],
  'glue:GetTable': scoringTables('scoring_input'),
  'glue:GetPartition': scoringTables('scoring_input'),
  'glue:GetPartitions': scoringTables('scoring_input'),
  'glue:BatchGetPartition': scoringTables('scoring_input'),
  's3:GetBucketLocation': [BUCKET],
  's3:ListBucketMultipartUploads': [BUCKET],
  's3:ListBucket': [BUCKET],
  's3:GetObject': [objects('scoring/'), ...RESULTS],
  's3:PutObject': [objects('scoring/'), ...RESULTS],
  's3:AbortMultipartUpload': [objects('scoring/'), ...RESULTS],
  's3:ListMultipartUploadParts': [objects('scoring/'), ...RESULTS],
  's3:DeleteObject': [objects('scoring/')],
};

/** Transform jobs and their models start with the stage prefix, as training jobs do. */
const TRANSFORM_JOBS = stackArn('sagemaker', `transform-job/${PREFIX}*`);
/** What StartBatchTransform and DescribeBatchTransform may do: find the production model, run a transform of it. */
const TRANSFORM_PERMISSIONS: Record<string, string[]> = {
  'sagemaker:DescribeModelPackage': MODEL_PACKAGES,
  'sagemaker:ListModelPackages': ['*'],
  'sagemaker:CreateModel': [MODELS],
  'sagemaker:CreateTransformJob': [TRANSFORM_JOBS],
  'sagemaker:DescribeTransformJob': [TRANSFORM_JOBS],
  'sagemaker:StopTransformJob': [TRANSFORM_JOBS],
  'sagemaker:AddTags': [MODELS, TRANSFORM_JOBS],
  'iam:PassRole': [`${MODEL_ROLE}.Arn`],
};

/** Champion/challenger (issue 12, deploy/evaluation.js): each pipeline's validation sets and evaluation prefix. */
const FEATURE_SETS = PIPELINES.map((p) => objects(`features/${p.name}/`));
const EVALUATIONS = PIPELINES.map((p) => objects(`scoring/${p.name}/evaluations/`));
/** Each pipeline's candidate insights.json, beside its artifact: ComputeEvaluationMetrics writes it, RecordRun reads it (issue 14). */
const INSIGHTS_KEYS = PIPELINES.map((p) => `models/${p.name}/*/output/insights.json`);
/** StartEvaluationTransform and DescribeEvaluationTransform: a transform's permissions, the channel read, the input written. */
const EVALUATION_TRANSFORM_PERMISSIONS: Record<string, string[]> = {
  ...TRANSFORM_PERMISSIONS,
  's3:GetObject': FEATURE_SETS,
  's3:ListBucket': [BUCKET],
  's3:PutObject': EVALUATIONS,
};

/** What each function may do besides writing its own log group, as `action -> resources`. */
const EXPECTED_PERMISSIONS: Record<string, Record<string, string[]>> = {
  // The drain of the coalescing queue: receives, deletes and releases its messages, and starts a pipeline's run only when
  // none is running (deploy/coalescing.js).
  'start-run': {
    'states:StartExecution': ['Ref(SluiceStateMachine)'],
    'states:ListExecutions': ['Ref(SluiceStateMachine)'],
    'states:DescribeExecution': [stackArn('states', 'execution:sluice-dev:*')],
    'sqs:ReceiveMessage': ['UploadQueue.Arn'],
    'sqs:DeleteMessage': ['UploadQueue.Arn'],
    'sqs:ChangeMessageVisibility': ['UploadQueue.Arn'],
  },
  // An upload is read at its event's version id (issue 10, item 8).
  // ingest/_runs/: the run's object list, the IngestFiles Distributed Map's items (issue 10, scale past one machine).
  // runs/ (read) and curated/ (listed): a scheduled run's check for new data since the production model (issue 13).
  'normalize-input': {
    's3:GetObject': [objects('incoming/'), objects('raw/'), objects('runs/')],
    's3:GetObjectVersion': [objects('incoming/')],
    's3:PutObject': [objects('ingest/_runs/')],
    's3:ListBucket': [BUCKET],
  },
  'validate-and-partition': {
    // ingest/: per-content records, staged output and commit records (a source's rows appear all at once).
    // profiles/: the data-quality baseline, the file's profile and violations, its source's profile (issue 15).
    's3:GetObject': [objects('incoming/'), objects('ingest/'), objects('profiles/'), objects('raw/')],
    // The input object is read and archived at the version the run recorded.
    's3:GetObjectVersion': [objects('incoming/'), objects('raw/')],
    's3:PutObject': [objects('curated/'), objects('ingest/'), objects('profiles/'), objects('quarantine/'), objects('raw/')],
    // raw/ and quarantine/: a killed run's archive and the quarantine file a re-run of the same bytes replaces.
    's3:DeleteObject': [objects('curated/'), objects('incoming/'), objects('ingest/'), objects('profiles/'), objects('quarantine/'), objects('raw/')],
    // An upload over 5 GB is archived by a multipart copy, aborted when it fails (issue 10, item 2).
    's3:AbortMultipartUpload': [objects('curated/'), objects('quarantine/'), objects('raw/')],
    's3:ListBucket': [BUCKET],
  },
  // RecordRun and RecordFailure read back each file's curated keys from its listing (issue 10, item 5).
  // ingest/_map-runs/: the IngestFiles map run's results, where its ResultWriter put them.
  // Both publish the run's notification to the stage's topic (issue 13).
  // The run report beside the manifest: quarantine samples, the feature sets' listing and the registry's versions.
  'record-run': {
    's3:PutObject': [objects('runs/')],
    's3:GetObject': [objects('ingest/_map-runs/'), objects('ingest/_runs/'), objects('quarantine/'), ...INSIGHTS_KEYS.map(objects)],
    's3:ListBucket': [BUCKET],
    'sns:Publish': ['Ref(RunNotificationsTopic)'],
    'sagemaker:DescribeModelPackage': MODEL_PACKAGES,
    'sagemaker:ListModelPackages': ['*'],
  },
  // A promoted candidate whose deployment failed is rejected. RecordFailure runs on the failed-execution rule: it reads
  // the execution's history, the manifest (to skip a second delivery) and stops the run's jobs (issue 10, items 3 and 4).
  'record-failure': {
    's3:PutObject': [objects('runs/')],
    's3:GetObject': [objects('ingest/_map-runs/'), objects('ingest/_runs/'), objects('quarantine/'), objects('runs/'), ...INSIGHTS_KEYS.map(objects)],
    's3:ListBucket': [BUCKET],
    'sagemaker:UpdateModelPackage': MODEL_PACKAGES,
    'sagemaker:DescribeModelPackage': MODEL_PACKAGES,
    'sagemaker:ListModelPackages': ['*'],
    'states:GetExecutionHistory': [stackArn('states', 'execution:sluice-dev:*')],
    // A failed IngestFiles map run's children (issue 10): listed by map run, described one by one.
    'states:ListExecutions': [stackArn('states', 'mapRun:sluice-dev/*')],
    'states:DescribeExecution': [stackArn('states', 'execution:sluice-dev:*'), stackArn('states', 'execution:sluice-dev/*')],
    'sagemaker:StopTrainingJob': [TRAINING_JOBS],
    'sagemaker:StopHyperParameterTuningJob': [TUNING_JOBS],
    'sagemaker:StopTransformJob': [TRANSFORM_JOBS],
    'athena:StopQueryExecution': WORKGROUPS,
    'sns:Publish': ['Ref(RunNotificationsTopic)'],
  },
  'start-crawler': { 'glue:StartCrawler': CRAWLERS },
  'get-crawler-state': { 'glue:GetCrawler': CRAWLERS },
  'start-feature-query': FEATURE_QUERY_PERMISSIONS,
  // A redriven execution re-runs only this state, which then starts the queries again (issue 10, item 3).
  // A text pipeline's channel parts are read back and merged into one data.txt (issue 11).
  'get-feature-query-state': {
    ...FEATURE_QUERY_PERMISSIONS,
    'athena:GetQueryExecution': WORKGROUPS,
    's3:GetObject': [...(FEATURE_QUERY_PERMISSIONS['s3:GetObject'] ?? []), objects('features/')],
  },
  'start-training': {
    'sagemaker:CreateTrainingJob': [TRAINING_JOBS],
    'sagemaker:AddTags': [TRAINING_JOBS],
    'iam:PassRole': [`${SAGEMAKER_ROLE}.Arn`],
  },
  // A redriven execution re-runs only DescribeTraining, which then starts a new job (issue 10, item 3).
  'describe-training': {
    'sagemaker:DescribeTrainingJob': [TRAINING_JOBS],
    'sagemaker:CreateTrainingJob': [TRAINING_JOBS],
    'sagemaker:AddTags': [TRAINING_JOBS],
    'iam:PassRole': [`${SAGEMAKER_ROLE}.Arn`],
  },
  'start-tuning': {
    'sagemaker:CreateHyperParameterTuningJob': [TUNING_JOBS],
    'sagemaker:AddTags': [TUNING_JOBS],
    'iam:PassRole': [`${SAGEMAKER_ROLE}.Arn`],
  },
  // A redriven execution re-runs only DescribeTuning, which then starts a new tuning job (issue 10, item 3).
  'describe-tuning': {
    'sagemaker:DescribeHyperParameterTuningJob': [TUNING_JOBS],
    'sagemaker:CreateHyperParameterTuningJob': [TUNING_JOBS],
    'sagemaker:AddTags': [TUNING_JOBS],
    'sagemaker:DescribeTrainingJob': [TRAINING_JOBS],
    'iam:PassRole': [`${SAGEMAKER_ROLE}.Arn`],
  },
  'evaluate-model': {
    'sagemaker:CreateModelPackage': [...MODEL_PACKAGE_GROUPS, ...MODEL_PACKAGES],
    'sagemaker:DescribeModelPackage': MODEL_PACKAGES,
    'sagemaker:UpdateModelPackage': MODEL_PACKAGES,
    'sagemaker:ListModelPackages': ['*'],
    // The training set's profile and bias metrics, recorded with the version (issue 15).
    's3:GetObject': [objects('profiles/')],
    's3:PutObject': [objects('profiles/')],
    's3:ListBucket': [BUCKET],
  },
  'deploy': {
    'sagemaker:CreateModel': [MODELS],
    'sagemaker:CreateEndpointConfig': [ENDPOINT_CONFIGS],
    'sagemaker:CreateEndpoint': [...ENDPOINTS, ENDPOINT_CONFIGS],
    'sagemaker:UpdateEndpoint': [...ENDPOINTS, ENDPOINT_CONFIGS],
    'sagemaker:DescribeEndpoint': ENDPOINTS,
    'sagemaker:AddTags': [MODELS, ENDPOINT_CONFIGS, ...ENDPOINTS],
    'iam:PassRole': [`${MODEL_ROLE}.Arn`],
  },
  'get-endpoint-state': { 'sagemaker:DescribeEndpoint': ENDPOINTS },
  'smoke-test': {
    'sagemaker:InvokeEndpoint': ENDPOINTS,
    's3:GetObject': [objects('features/')],
    's3:ListBucket': [BUCKET],
    'sagemaker:DescribeModelPackage': MODEL_PACKAGES,
    'sagemaker:ListModelPackages': ['*'],
    'sagemaker:CreateModel': [MODELS],
    'sagemaker:CreateEndpointConfig': [ENDPOINT_CONFIGS],
    'sagemaker:CreateEndpoint': [...ENDPOINTS, ENDPOINT_CONFIGS],
    'sagemaker:UpdateEndpoint': [...ENDPOINTS, ENDPOINT_CONFIGS],
    'sagemaker:DescribeEndpoint': ENDPOINTS,
    'sagemaker:AddTags': [MODELS, ENDPOINT_CONFIGS, ...ENDPOINTS],
    'iam:PassRole': [`${MODEL_ROLE}.Arn`],
  },
  // Raw-record inference (issue 12): the stage's endpoints only; the specs and feature SQL ship in its zip.
  'infer': { 'sagemaker:InvokeEndpoint': ENDPOINTS },
  // Batch scoring (issue 12, deploy/scoring.js): the drop zone score/, its working prefix scoring/, predictions/.
  // The scoring rule's target: starts the scoring state machine only.
  'start-scoring-run': { 'states:StartExecution': ['Ref(SluiceScoreStateMachine)'] },
  'normalize-scoring-input': { 's3:GetObject': [objects('score/')], 's3:GetObjectVersion': [objects('score/')], 's3:ListBucket': [BUCKET] },
  'validate-scoring-file': {
    's3:GetObject': [objects('score/')],
    's3:GetObjectVersion': [objects('score/')],
    's3:PutObject': [objects('scoring/')],
    's3:ListBucket': [BUCKET],
    'glue:GetTable': scoringTables('scoring_input'),
    'glue:CreateTable': scoringTables('scoring_input'),
    'glue:UpdateTable': scoringTables('scoring_input'),
  },
  'start-scoring-query': SCORING_QUERY_PERMISSIONS,
  'get-scoring-query-state': SCORING_QUERY_PERMISSIONS,
  'start-batch-transform': TRANSFORM_PERMISSIONS,
  'describe-batch-transform': TRANSFORM_PERMISSIONS,
  'start-evaluation-transform': EVALUATION_TRANSFORM_PERMISSIONS,
  'describe-evaluation-transform': EVALUATION_TRANSFORM_PERMISSIONS,
  'compute-evaluation-metrics': { 's3:GetObject': EVALUATIONS, 's3:ListBucket': [BUCKET], 's3:PutObject': INSIGHTS_KEYS.map(objects) },
  'write-predictions': { 's3:GetObject': [objects('scoring/')], 's3:PutObject': [objects('predictions/')], 's3:ListBucket': [BUCKET] },
  'catalog-predictions': {
    'glue:GetTable': scoringTables('predictions'),
    'glue:CreateTable': scoringTables('predictions'),
    'glue:UpdateTable': scoringTables('predictions'),
    'glue:CreatePartition': scoringTables('predictions'),
  },
  'record-scoring-run': { 's3:PutObject': [objects('scoring/')] },
  'promote-model': {
    'sagemaker:UpdateModelPackage': MODEL_PACKAGES,
    'sagemaker:DescribeEndpoint': ENDPOINTS,
    'sagemaker:ListEndpointConfigs': ['*'],
    'sagemaker:ListModels': ['*'],
    'sagemaker:ListTags': [ENDPOINT_CONFIGS, MODELS],
    'sagemaker:DescribeEndpointConfig': [ENDPOINT_CONFIGS],
    'sagemaker:DeleteEndpointConfig': [ENDPOINT_CONFIGS],
    'sagemaker:DeleteModel': [MODELS],
  },
};

/**
 * The key prefixes each function may list (the `s3:prefix` condition of its s3:ListBucket), which are also the
 * prefixes where a missing key answers 404 rather than 403. Every prefix a function reads is among them.
 */
const EXPECTED_LISTINGS: Record<string, string[]> = {
  'normalize-input': ['curated/', 'incoming/', 'raw/', 'runs/'],
  'validate-and-partition': ['curated/', 'incoming/', 'ingest/', 'profiles/', 'quarantine/', 'raw/'],
  // The committed sources (ingest/<pipeline>/sources/) whose profiles make the training set's (issue 15).
  'evaluate-model': ['ingest/', 'profiles/'],
  'start-feature-query': ['curated/', 'features/', ...FEATURED.map((p) => `athena/${p.name}/`)],
  'get-feature-query-state': ['curated/', 'features/', ...FEATURED.map((p) => `athena/${p.name}/`)],
  'smoke-test': ['features/'],
  // Each file's listing of curated keys (issue 10, item 5).
  // The run report lists the feature sets (core/report/run-view.ts, `featureFiles: 'list'`) and reads quarantine files.
  'record-run': ['features/', 'ingest/_map-runs/', 'ingest/_runs/', 'quarantine/', ...INSIGHTS_KEYS],
  'record-failure': ['features/', 'ingest/_map-runs/', 'ingest/_runs/', 'quarantine/', 'runs/', ...INSIGHTS_KEYS],
  'normalize-scoring-input': ['score/'],
  'validate-scoring-file': ['score/', 'scoring/'],
  'start-scoring-query': ['scoring/', ...FEATURED.map((p) => `athena/${p.name}/`)],
  'get-scoring-query-state': ['scoring/', ...FEATURED.map((p) => `athena/${p.name}/`)],
  'write-predictions': ['predictions/', 'scoring/'],
  'start-evaluation-transform': PIPELINES.map((p) => `features/${p.name}/`),
  'describe-evaluation-transform': PIPELINES.map((p) => `features/${p.name}/`),
  'compute-evaluation-metrics': PIPELINES.map((p) => `scoring/${p.name}/evaluations/`),
};

/** What each function finds in its environment besides LAKE_BUCKET (intrinsics as describeRef prints them). */
const EXPECTED_ENVIRONMENT: Record<string, Record<string, string>> = {
  'start-run': { STATE_MACHINE_ARN: 'Ref(SluiceStateMachine)', UPLOAD_QUEUE_URL: 'Ref(UploadQueue)' },
  'start-crawler': { GLUE_DATABASE: DATABASE, CRAWLER_PREFIX: PREFIX },
  'start-feature-query': { GLUE_DATABASE: DATABASE, ATHENA_WORKGROUP_PREFIX: PREFIX },
  'get-feature-query-state': { GLUE_DATABASE: DATABASE, ATHENA_WORKGROUP_PREFIX: PREFIX },
  'start-training': { SAGEMAKER_ROLE_ARN: `${SAGEMAKER_ROLE}.Arn`, RESOURCE_PREFIX: PREFIX },
  'describe-training': { SAGEMAKER_ROLE_ARN: `${SAGEMAKER_ROLE}.Arn`, RESOURCE_PREFIX: PREFIX },
  'start-tuning': { SAGEMAKER_ROLE_ARN: `${SAGEMAKER_ROLE}.Arn`, RESOURCE_PREFIX: PREFIX },
  'describe-tuning': { SAGEMAKER_ROLE_ARN: `${SAGEMAKER_ROLE}.Arn`, RESOURCE_PREFIX: PREFIX },
  'record-failure': { RESOURCE_PREFIX: PREFIX, NOTIFICATION_TOPIC_ARN: 'Ref(RunNotificationsTopic)' },
  'record-run': { RESOURCE_PREFIX: PREFIX, NOTIFICATION_TOPIC_ARN: 'Ref(RunNotificationsTopic)' },
  'evaluate-model': { RESOURCE_PREFIX: PREFIX },
  'deploy': { SAGEMAKER_MODEL_ROLE_ARN: `${MODEL_ROLE}.Arn`, RESOURCE_PREFIX: PREFIX },
  // GetEndpointState reads the endpoint named in its state; PromoteModel approves and cleans up, and creates no model
  // (issue 10, item 12: every function gets only the environment it reads). SmokeTest may redeploy production.
  'smoke-test': { SAGEMAKER_MODEL_ROLE_ARN: `${MODEL_ROLE}.Arn`, RESOURCE_PREFIX: PREFIX },
  'promote-model': { RESOURCE_PREFIX: PREFIX },
  // Its endpoints are `<prefix><pipeline>`.
  'infer': { RESOURCE_PREFIX: PREFIX },
  'start-scoring-run': { STATE_MACHINE_ARN: 'Ref(SluiceScoreStateMachine)' },
  'validate-scoring-file': { GLUE_DATABASE: DATABASE, ATHENA_WORKGROUP_PREFIX: PREFIX },
  'start-scoring-query': { GLUE_DATABASE: DATABASE, ATHENA_WORKGROUP_PREFIX: PREFIX },
  'get-scoring-query-state': { GLUE_DATABASE: DATABASE, ATHENA_WORKGROUP_PREFIX: PREFIX },
  'start-batch-transform': { SAGEMAKER_MODEL_ROLE_ARN: `${MODEL_ROLE}.Arn`, RESOURCE_PREFIX: PREFIX },
  'describe-batch-transform': { SAGEMAKER_MODEL_ROLE_ARN: `${MODEL_ROLE}.Arn`, RESOURCE_PREFIX: PREFIX },
  'start-evaluation-transform': { SAGEMAKER_MODEL_ROLE_ARN: `${MODEL_ROLE}.Arn`, RESOURCE_PREFIX: PREFIX },
  'describe-evaluation-transform': { SAGEMAKER_MODEL_ROLE_ARN: `${MODEL_ROLE}.Arn`, RESOURCE_PREFIX: PREFIX },
  'catalog-predictions': { GLUE_DATABASE: DATABASE, ATHENA_WORKGROUP_PREFIX: PREFIX },
};

/** The definition serverless.yml deploys: state-machines/sluice.asl.json with its retry policies filled in. */
const ASL = stateMachineDefinition(ROOT) as Json;

/** The logical ids the ASL names in `Fn::GetAtt`: the functions the state machine invokes. */
function aslFunctionIds(): Set<string> {
  // The ASL also names the lake bucket (the ingest map's reader and writer) and the ingest task's resources.
  return new Set([...referencedIds(ASL)].filter((id) => id.endsWith('LambdaFunction')));
}

/** `Retry` of every Task state of a definition, Map bodies included, by state name. */
function retriesByTask(definition: Json): Record<string, Json | undefined> {
  const states = (definition as { States: Record<string, Record<string, Json>> }).States;
  return Object.fromEntries(
    Object.entries(states).flatMap(([name, state]) => {
      const processor = state.ItemProcessor ?? state.Iterator;
      const inner = processor === undefined ? [] : Object.entries(retriesByTask(processor));
      return [...(state.Type === 'Task' ? [[name, state.Retry] as const] : []), ...inner];
    }),
  );
}

function lambdaFunction(template: CfnTemplate, folder: string): CfnResource {
  return resource(template, lambdaLogicalId(folder), 'AWS::Lambda::Function');
}

function roleIdOf(fn: CfnResource): string {
  const role = fn.Properties.Role;
  const getAtt = role !== null && typeof role === 'object' && !Array.isArray(role) ? role['Fn::GetAtt'] : undefined;
  if (!Array.isArray(getAtt) || typeof getAtt[0] !== 'string') throw new Error(`Role is not a GetAtt: ${JSON.stringify(role)}`);
  return getAtt[0];
}

/** `action -> sorted resources` over the statements, for the actions `keep` selects. */
function permissionMap(statements: Statement[], keep: (action: string) => boolean): Record<string, string[]> {
  const map: Record<string, string[]> = {};
  for (const statement of statements.filter((s) => s.Effect === 'Allow')) {
    for (const action of actionsOf(statement).filter(keep)) {
      map[action] = [...(map[action] ?? []), ...asList(statement.Resource).map(describeRef)].sort();
    }
  }
  return map;
}

function envOf(fn: CfnResource): Record<string, Json> {
  const environment = fn.Properties.Environment as { Variables?: Record<string, Json> } | undefined;
  return environment?.Variables ?? {};
}

describe('serverless.yml', () => {
  let outDir: string;
  let template: CfnTemplate;
  let zips: string[];

  beforeAll(async () => {
    outDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-package-'));
    await packageService(outDir);
    template = readTemplate(outDir);
    zips = readdirSync(outDir).filter((file) => file.endsWith('.zip'));
  }, PACKAGE_TIMEOUT_MS);

  afterAll(() => {
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  /** The function's zip unpacked as Lambda would unpack it, once. */
  const unpacked = new Map<string, string>();
  function taskRootOf(folder: string): string {
    let dir = unpacked.get(folder);
    if (!dir) {
      dir = path.join(outDir, 'task-roots', folder);
      new ZipArchive(path.join(outDir, `${functionKey(folder)}.zip`)).extractTo(dir);
      unpacked.set(folder, dir);
    }
    return dir;
  }

  describe('the lake bucket', () => {
    it('blocks every kind of public access when packaged', () => {
      // Prepare
      const bucket = resource(template, 'LakeBucket', 'AWS::S3::Bucket');

      // Act
      const block = bucket.Properties.PublicAccessBlockConfiguration;

      // Assess
      expect(block).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    });

    it('encrypts, versions and sends events to EventBridge when packaged', () => {
      // Prepare
      const bucket = resource(template, 'LakeBucket', 'AWS::S3::Bucket');

      // Act
      const { BucketEncryption, VersioningConfiguration, NotificationConfiguration } = bucket.Properties;

      // Assess
      expect(BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: expect.stringMatching(/^(AES256|aws:kms)$/) } }],
      });
      expect(VersioningConfiguration).toEqual({ Status: 'Enabled' });
      expect(NotificationConfiguration).toEqual({ EventBridgeConfiguration: { EventBridgeEnabled: true } });
    });

    it('keeps the data when the stack is deleted or the bucket replaced', () => {
      // Prepare
      const bucket = resource(template, 'LakeBucket', 'AWS::S3::Bucket');

      // Act
      const policies = { deletion: bucket.DeletionPolicy, replace: bucket.UpdateReplacePolicy };

      // Assess
      expect(policies).toEqual({ deletion: 'Retain', replace: 'Retain' });
    });

    it('denies every request not made over TLS when a client skips HTTPS', () => {
      // Prepare
      const [policy] = resourcesOfType(template, 'AWS::S3::BucketPolicy').filter(([, p]) => describeRef(p.Properties.Bucket ?? null) === 'Ref(LakeBucket)');

      // Act
      const statements = policy ? (asList((policy[1].Properties.PolicyDocument as { Statement?: Json }).Statement) as unknown as Statement[]) : [];
      const tlsGuard = statements.find((s) => JSON.stringify(s.Condition ?? {}).includes('aws:SecureTransport'));

      // Assess
      expect(tlsGuard).toMatchObject({ Effect: 'Deny', Principal: '*', Action: 's3:*' });
      expect(String((tlsGuard?.Condition as { Bool: Record<string, Json> }).Bool['aws:SecureTransport'])).toBe('false');
      expect(asList(tlsGuard?.Resource).map(describeRef).sort()).toEqual(['${LakeBucket.Arn}/*', BUCKET]);
    });
  });

  describe('the scoring trigger', () => {
    it('invokes start-scoring-run, not the state machine, for S3 Object Created events under score/ of the lake bucket when packaged', () => {
      // Prepare
      const startScoringRun = lambdaLogicalId('start-scoring-run');

      // Act
      const rules = resourcesOfType(template, 'AWS::Events::Rule').filter(([, rule]) => JSON.stringify(rule.Properties.EventPattern ?? null).includes('"score/"'));

      // Assess
      expect(rules).toHaveLength(1);
      const [ruleId, rule] = rules[0] as [string, CfnResource];
      expect(rule.Properties.EventPattern).toEqual({
        'source': ['aws.s3'],
        'detail-type': ['Object Created'],
        'detail': { bucket: { name: [{ Ref: 'LakeBucket' }] }, object: { key: [{ prefix: 'score/' }] } },
      });
      // A duplicated event would start the machine twice: the function names the execution after the object version.
      expect(referencedIds(rule.Properties.Targets ?? null).has('SluiceScoreStateMachine')).toBe(false);
      expect(rule.Properties.Targets).toEqual([
        { Id: 'start-scoring-run', Arn: { 'Fn::GetAtt': [startScoringRun, 'Arn'] }, RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 } },
      ]);
      const permissions = resourcesOfType(template, 'AWS::Lambda::Permission').filter(([, p]) => referencedIds(p.Properties.SourceArn ?? null).has(ruleId));
      expect(permissions.map(([, p]) => p.Properties)).toEqual([
        { Action: 'lambda:InvokeFunction', FunctionName: { 'Fn::GetAtt': [startScoringRun, 'Arn'] }, Principal: 'events.amazonaws.com', SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] } },
      ]);
    });
  });

  describe('the upload trigger', () => {
    /** The rules whose target is the coalescing queue. */
    const toUploadQueue = () => resourcesOfType(template, 'AWS::Events::Rule').filter(([, rule]) => referencedIds(rule.Properties.Targets ?? null).has('UploadQueue'));

    it('sends S3 Object Created events under incoming/ of the lake bucket to the coalescing queue when packaged', () => {
      // Act
      const rules = toUploadQueue();

      // Assess
      expect(rules).toHaveLength(1);
      const [, rule] = rules[0] as [string, CfnResource];
      expect(rule.Properties.Name).toBe('sluice-dev-uploads');
      expect(rule.Properties.State).toBe('ENABLED');
      expect(rule.Properties.EventPattern).toEqual({
        'source': ['aws.s3'],
        'detail-type': ['Object Created'],
        'detail': { bucket: { name: [{ Ref: 'LakeBucket' }] }, object: { key: [{ prefix: 'incoming/' }] } },
      });
    });

    it('keeps an upload event that cannot reach the queue in the dead-letter queue, after retrying, when packaged', () => {
      // Act
      const targets = toUploadQueue().flatMap(([, rule]) => asList(rule.Properties.Targets ?? null)) as Record<string, Json>[];

      // Assess
      expect(targets).toHaveLength(1);
      expect(targets[0]?.Arn).toEqual({ 'Fn::GetAtt': ['UploadQueue', 'Arn'] });
      expect(targets[0]?.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': ['StartRunDeadLetterQueue', 'Arn'] } });
      expect(targets[0]?.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 });
    });

    it.each([
      ['UploadQueuePolicy', 'UploadQueue', 'UploadRuleEvents'],
      ['StartRunDeadLetterQueuePolicy', 'StartRunDeadLetterQueue', 'UploadRuleDeadLetters'],
    ])('lets only the upload rule send to the queue when %s is packaged', (policyId, queueId, sid) => {
      // Act
      const policy = resource(template, policyId, 'AWS::SQS::QueuePolicy');

      // Assess
      expect(policy.Properties.Queues).toEqual([{ Ref: queueId }]);
      expect((policy.Properties.PolicyDocument as { Statement: Json[] }).Statement).toEqual([
        {
          Sid: sid,
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
          Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/sluice-dev-uploads' } } },
        },
      ]);
    });

    it('invokes no function from the queue through an event source mapping when packaged', () => {
      // Act
      const mappings = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').filter(([, m]) => referencedIds(m.Properties.EventSourceArn ?? null).has('UploadQueue'));

      // Assess
      expect(mappings).toEqual([]);
    });

    it('invokes start-run once a minute from a schedule with its own role that may only invoke it when packaged', () => {
      // Prepare
      const startRun = lambdaLogicalId('start-run');

      // Act
      const { Properties: p } = resource(template, 'StartRunSchedule', 'AWS::Scheduler::Schedule');
      const role = resource(template, 'StartRunScheduleRole', 'AWS::IAM::Role');

      // Assess
      expect(DRAIN_TICK_SECONDS).toBe(60);
      expect(p.ScheduleExpression).toBe('rate(1 minute)');
      expect(p.State).toBe('ENABLED');
      expect(p.FlexibleTimeWindow).toEqual({ Mode: 'OFF' });
      expect(p.Target).toEqual({
        Arn: { 'Fn::GetAtt': [startRun, 'Arn'] },
        RoleArn: { 'Fn::GetAtt': ['StartRunScheduleRole', 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
      });
      const trust = asList((role.Properties.AssumeRolePolicyDocument as { Statement?: Json }).Statement) as unknown as (Statement & { Principal?: Json })[];
      expect(trust.map((t) => t.Principal)).toEqual([{ Service: 'scheduler.amazonaws.com' }]);
      expect(JSON.stringify(trust[0]?.Condition)).toContain('aws:SourceAccount');
      expect(permissionMap(roleStatements(role), () => true)).toEqual({ 'lambda:InvokeFunction': [`${startRun}.Arn`] });
    });

    it('lets one start-run run at a time and drops a tick that finds it busy when packaged', () => {
      // Act
      const startRun = resource(template, lambdaLogicalId('start-run'), 'AWS::Lambda::Function');
      const configs = resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig').filter(([, c]) => describeRef(c.Properties.FunctionName ?? null) === `Ref(${lambdaLogicalId('start-run')})`);

      // Assess
      expect(startRun.Properties.ReservedConcurrentExecutions).toBe(1);
      expect(Number(startRun.Properties.Timeout)).toBeLessThan(DRAIN_TICK_SECONDS);
      expect(configs.map(([, c]) => c.Properties)).toEqual([{ FunctionName: { Ref: lambdaLogicalId('start-run') }, Qualifier: '$LATEST', MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 0 }]);
      expect(startRun.Properties.Environment).toMatchObject({ Variables: { UPLOAD_QUEUE_URL: { Ref: 'UploadQueue' } } });
    });

    it('hides a received message longer than start-run runs, and lets a deferred message wait out long runs before the dead-letter queue, when packaged', () => {
      // Prepare
      const startRun = resource(template, lambdaLogicalId('start-run'), 'AWS::Lambda::Function');
      const receivesWhileYoung = COALESCING_MAX_WAIT_SECONDS / DRAIN_TICK_SECONDS + 1;

      // Act
      const queue = resource(template, 'UploadQueue', 'AWS::SQS::Queue');

      // Assess
      expect(queue.Properties.QueueName).toBe('sluice-dev-uploads');
      expect(queue.Properties.FifoQueue).toBeUndefined();
      expect(RECEIVE_VISIBILITY_SECONDS).toBeGreaterThan(Number(startRun.Properties.Timeout));
      expect(queue.Properties.VisibilityTimeout).toBe(RECEIVE_VISIBILITY_SECONDS);
      expect(queue.Properties.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': ['StartRunDeadLetterQueue', 'Arn'] }, maxReceiveCount: 1000 });
      // A day-long run of the pipeline, deferred every DEFER_WHILE_RUNNING_SECONDS, after its burst's young receives.
      expect(receivesWhileYoung + (24 * 3600) / DEFER_WHILE_RUNNING_SECONDS).toBeLessThan(1000);
      // The queue keeps a message longer than its receives last.
      expect(Number(queue.Properties.MessageRetentionPeriod)).toBeGreaterThan(1000 * DEFER_WHILE_RUNNING_SECONDS);
    });

    it('lets EventBridge invoke record-failure and start-scoring-run and nothing else when packaged', () => {
      // Prepare
      const permissions = resourcesOfType(template, 'AWS::Lambda::Permission');

      // Act
      const fromEvents = permissions.filter(([, p]) => p.Properties.Principal === 'events.amazonaws.com');

      // Assess
      expect(fromEvents.map(([, p]) => describeRef(p.Properties.FunctionName ?? null)).sort()).toEqual(
        [`${lambdaLogicalId('record-failure')}.Arn`, `${lambdaLogicalId('start-scoring-run')}.Arn`].sort(),
      );
      expect(fromEvents.every(([, p]) => p.Properties.SourceArn !== undefined)).toBe(true);
    });
  });

  describe('the failed-execution trigger', () => {
    it("sends the state machine's failed, timed-out and aborted executions to record-failure when packaged", () => {
      // Prepare
      const rules = resourcesOfType(template, 'AWS::Events::Rule');

      // Act
      const toRecordFailure = rules.filter(([, rule]) => referencedIds(rule.Properties.Targets ?? null).has(lambdaLogicalId('record-failure')));

      // Assess
      expect(toRecordFailure).toHaveLength(1);
      const [, rule] = toRecordFailure[0] as [string, CfnResource];
      expect(rule.Properties.State).toBe('ENABLED');
      expect(rule.Properties.Name).toBe('sluice-dev-failed-executions');
      expect(rule.Properties.EventPattern).toEqual({
        'source': ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        'detail': { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [{ Ref: 'SluiceStateMachine' }] },
      });
      const targets = asList(rule.Properties.Targets ?? null) as Record<string, Json>[];
      expect(targets.map((t) => describeRef(t.Arn ?? null))).toEqual([`${lambdaLogicalId('record-failure')}.Arn`]);
      expect(targets[0]?.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 });
    });

    it('leaves RecordFailure out of the state machine, which catches nothing, when packaged', () => {
      // Prepare
      const ids = aslFunctionIds();

      // Act
      const catches = JSON.stringify(ASL).includes('"Catch"');

      // Assess
      expect(ids.has(lambdaLogicalId('record-failure'))).toBe(false);
      expect(catches).toBe(false);
    });
  });

  describe('the functions', () => {
    it('defines one function per folder of functions/, with its handler, when packaged', () => {
      // Prepare
      const folders = functionFolders();

      // Act
      const handlers = resourcesOfType(template, 'AWS::Lambda::Function').map(([, fn]) => fn.Properties.Handler);

      // Assess
      expect(handlers.sort()).toEqual(folders.map((folder) => `functions/${folder}/handler.handler`).sort());
    });

    it('runs every function on nodejs22.x, x86_64, with LAKE_BUCKET set, when packaged', () => {
      // Prepare
      const functions = functionFolders().map((folder) => lambdaFunction(template, folder));

      // Act
      const settings = functions.map((fn) => ({ runtime: fn.Properties.Runtime, arch: fn.Properties.Architectures, bucket: envOf(fn).LAKE_BUCKET }));

      // Assess
      for (const setting of settings) expect(setting).toEqual({ runtime: 'nodejs22.x', arch: ['x86_64'], bucket: { Ref: 'LakeBucket' } });
    });

    it.each(functionFolders())('gives %s exactly the environment it reads when packaged', (folder) => {
      // Prepare
      const fn = lambdaFunction(template, folder);

      // Act
      // LAKE_BUCKET and POWERTOOLS_SERVICE_NAME come from the provider, for every function (tested above and in issue 14's).
      const { LAKE_BUCKET: _bucket, POWERTOOLS_SERVICE_NAME: _service, ...own } = envOf(fn);

      // Assess
      expect(Object.fromEntries(Object.entries(own).map(([key, value]) => [key, describeRef(value)]))).toEqual(EXPECTED_ENVIRONMENT[folder] ?? {});
    });

    it('sizes validate-and-partition for DuckDB and GetFeatureQueryState for the text channel merge, and keeps the others small when packaged', () => {
      // Prepare
      const folders = functionFolders();

      // Act
      const sizes = Object.fromEntries(
        folders.map((folder) => {
          const p = lambdaFunction(template, folder).Properties;
          return [folder, { memory: p.MemorySize, timeout: p.Timeout, disk: (p.EphemeralStorage as { Size?: number } | undefined)?.Size ?? 512 }];
        }),
      );

      // Assess
      // deploy/lambda-memory.md: the size with the least cost per GB ingested.
      expect(sizes[DUCKDB_FUNCTION]).toEqual({ memory: 1769, timeout: 900, disk: 10240 });
      // It merges a text pipeline's channel parts into one file through /tmp (issue 11, core/features/channel-merge.ts).
      expect(sizes['get-feature-query-state']).toEqual({ memory: 1024, timeout: 900, disk: 10240 });
      // Raw-record inference runs the feature SQL on DuckDB on the latency path: one full vCPU (issue 12, docs/scoring.md).
      expect(sizes['infer']).toEqual({ memory: 1769, timeout: 30, disk: 512 });
      // Batch scoring validates the file and writes the predictions on DuckDB, sized as the ingest (issue 12).
      for (const folder of SCORING_DUCKDB_FUNCTIONS) expect(sizes[folder]).toEqual({ memory: 1769, timeout: 900, disk: 10240 });
      // Champion/challenger writes the transform input from the validation set on DuckDB, sized as WritePredictions.
      for (const folder of EVALUATION_DUCKDB_FUNCTIONS) expect(sizes[folder]).toEqual({ memory: 1769, timeout: 900, disk: 10240 });
      const duckdbSized = [DUCKDB_FUNCTION, 'get-feature-query-state', 'infer', ...SCORING_DUCKDB_FUNCTIONS, ...EVALUATION_DUCKDB_FUNCTIONS];
      for (const folder of folders.filter((f) => !duckdbSized.includes(f))) {
        expect(sizes[folder]).toEqual({ memory: expect.any(Number), timeout: expect.any(Number), disk: 512 });
        expect(sizes[folder]?.memory).toBeLessThanOrEqual(512);
        expect(sizes[folder]?.timeout).toBeLessThanOrEqual(60);
      }
    });
  });

  describe('the catalog', () => {
    const crawlerOf = (pipeline: string): CfnResource => {
      const found = resourcesOfType(template, 'AWS::Glue::Crawler').filter(([, c]) => c.Properties.Name === `${PREFIX}${pipeline}`);
      if (found.length !== 1) throw new Error(`expected one crawler ${PREFIX}${pipeline}, found ${found.length}`);
      return (found[0] as [string, CfnResource])[1];
    };
    const crawlerRoleOf = (pipeline: string): CfnResource => resource(template, roleIdOf(crawlerOf(pipeline)), 'AWS::IAM::Role');
    const tableIdOf = (pipeline: string): string => {
      const found = resourcesOfType(template, 'AWS::Glue::Table').filter(([, t]) => (t.Properties.TableInput as { Name: string }).Name === tableName(pipeline));
      if (found.length !== 1) throw new Error(`expected one table ${tableName(pipeline)}, found ${found.length}`);
      return (found[0] as [string, CfnResource])[0];
    };

    it.each(PIPELINES.map((p) => p.name))('defines the %s table under the name core reads, over its curated prefix, when packaged', (pipeline) => {
      // Prepare
      const table = resource(template, tableIdOf(pipeline), 'AWS::Glue::Table');

      // Act
      const input = table.Properties.TableInput as Record<string, Json>;

      // Assess
      expect(table.Properties.DatabaseName).toEqual({ Ref: 'GlueDatabase' });
      expect(input).toEqual({
        Name: tableName(pipeline),
        Description: expect.any(String),
        TableType: 'EXTERNAL_TABLE',
        Parameters: { classification: 'parquet' },
        PartitionKeys: expect.arrayContaining([{ Name: 'ingest_date', Type: 'string' }]),
        StorageDescriptor: {
          Location: { 'Fn::Sub': `s3://\${LakeBucket}/curated/${pipeline}/` },
          InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
          SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
        },
      });
      expect((input.PartitionKeys as Json[])[0]).toEqual({ Name: 'ingest_date', Type: 'string' });
    });

    it('names the table of a dashed pipeline with underscores, as core reads it, and crawls its dashed folder when generated', () => {
      // Prepare: a project whose one pipeline is churn-v2 (the packaged project has no dashed pipeline)
      const root = mkdtempSync(path.join(os.tmpdir(), 'sluice-dashed-'));
      try {
        const spec = readFileSync(path.join(ROOT, 'pipelines', 'churn', 'pipeline.yml'), 'utf8').replace(/^name: churn$/m, 'name: churn-v2');
        mkdirSync(path.join(root, 'pipelines', 'churn-v2'), { recursive: true });
        writeFileSync(path.join(root, 'pipelines', 'churn-v2', 'pipeline.yml'), spec);

        // Act
        const resources = catalogResources(stageNames('sluice', 'dev'), stageDeployedPipelines(root));

        // Assess
        expect(resources.GlueTableChurnV2?.Properties).toMatchObject({
          TableInput: { Name: 'churn_v2', PartitionKeys: [{ Name: 'ingest_date', Type: 'string' }, { Name: 'contract', Type: 'string' }], StorageDescriptor: { Location: { 'Fn::Sub': 's3://${LakeBucket}/curated/churn-v2/' } } },
        });
        expect(tableName('churn-v2')).toBe('churn_v2');
        expect(resources.GlueCrawlerChurnV2?.Properties).toMatchObject({
          Name: `${PREFIX}churn-v2`,
          Targets: { CatalogTargets: [{ DatabaseName: { Ref: 'GlueDatabase' }, Tables: [{ Ref: 'GlueTableChurnV2' }] }] },
          SchemaChangePolicy: { DeleteBehavior: 'LOG' },
        });
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });

    it('defines one Glue database for the stage, named like core expects, when packaged', () => {
      // Prepare
      const databases = resourcesOfType(template, 'AWS::Glue::Database');

      // Act
      const [, database] = databases[0] as [string, CfnResource];

      // Assess
      expect(databases).toHaveLength(1);
      expect(database.Properties).toEqual({ CatalogId: { Ref: 'AWS::AccountId' }, DatabaseInput: expect.objectContaining({ Name: DATABASE }) });
      expect(DATABASE).toMatch(/^[a-z0-9_]{1,255}$/);
    });

    it('crawls each pipeline of pipelines/*/pipeline.yml, and nothing else, when packaged', () => {
      // Prepare
      const crawlers = resourcesOfType(template, 'AWS::Glue::Crawler');

      // Act
      const names = crawlers.map(([, c]) => c.Properties.Name).sort();

      // Assess
      expect(PIPELINES.length).toBeGreaterThan(0);
      expect(names).toEqual(PIPELINES.map((p) => `${PREFIX}${p.name}`).sort());
    });

    it.each(PIPELINES.map((p) => p.name))('points the %s crawler at its curated prefix in the stage database when packaged', (pipeline) => {
      // Prepare
      const crawler = crawlerOf(pipeline);

      // Act
      const { DatabaseName, Targets, Schedule } = crawler.Properties;

      // Assess
      expect(describeRef(DatabaseName ?? null)).toBe('Ref(GlueDatabase)');
      expect(Targets).toEqual({ CatalogTargets: [{ DatabaseName: { Ref: 'GlueDatabase' }, Tables: [{ Ref: tableIdOf(pipeline) }] }] });
      expect(Schedule).toBeUndefined();
    });

    it.each(PIPELINES.map((p) => p.name))('recrawls everything, updates schemas and never deletes in the %s crawler when packaged', (pipeline) => {
      // Prepare
      const crawler = crawlerOf(pipeline);

      // Act
      const configuration = JSON.parse(String(crawler.Properties.Configuration)) as Record<string, Json>;

      // Assess
      expect(crawler.Properties.RecrawlPolicy).toEqual({ RecrawlBehavior: 'CRAWL_EVERYTHING' });
      expect(crawler.Properties.SchemaChangePolicy).toEqual({ UpdateBehavior: 'UPDATE_IN_DATABASE', DeleteBehavior: 'LOG' });
      expect(configuration).toEqual({
        Version: 1,
        CrawlerOutput: { Partitions: { AddOrUpdateBehavior: 'InheritFromTable' } },
        Grouping: { TableGroupingPolicy: 'CombineCompatibleSchemas' },
        CreatePartitionIndex: false,
      });
    });

    it('gives every crawler a role of its own, assumed by Glue, when packaged', () => {
      // Prepare
      const crawlers = resourcesOfType(template, 'AWS::Glue::Crawler');

      // Act
      const roleIds = crawlers.map(([, c]) => roleIdOf(c));
      const lambdaRoleIds = functionFolders().map((folder) => roleIdOf(lambdaFunction(template, folder)));

      // Assess
      expect(new Set(roleIds).size).toBe(crawlers.length);
      expect(roleIds.filter((id) => lambdaRoleIds.includes(id))).toEqual([]);
      for (const id of roleIds) {
        const role = resource(template, id, 'AWS::IAM::Role');
        expect(role.Properties.AssumeRolePolicyDocument).toEqual({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: ['glue.amazonaws.com'] }, Action: ['sts:AssumeRole'] }],
        });
        expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      }
    });

    it.each(PIPELINES)('lets the $name crawler read its prefix, read the stage catalog and write only its table when packaged', ({ name, table }) => {
      // Prepare
      const statements = roleStatements(crawlerRoleOf(name));
      const catalogRead = [GLUE_CATALOG, glueDatabase(DATABASE), glueTable('*')];
      const catalogWrite = [GLUE_CATALOG, glueDatabase(DATABASE), glueTable(table)];
      const crawlerLogs = '/aws-glue/crawlers';

      // Act
      const granted = permissionMap(statements, () => true);
      const listing = statements.find((s) => actionsOf(s).includes('s3:ListBucket'));

      // Assess
      expect(granted).toEqual(
        Object.fromEntries(
          Object.entries({
            's3:GetObject': [objects(`curated/${name}/`)],
            's3:ListBucket': [BUCKET],
            'glue:GetDatabase': catalogRead,
            'glue:GetTable': catalogRead,
            'glue:GetTables': catalogRead,
            'glue:GetPartition': catalogRead,
            'glue:GetPartitions': catalogRead,
            'glue:BatchGetPartition': catalogRead,
            'glue:UpdateTable': catalogWrite,
            'glue:CreatePartition': catalogWrite,
            'glue:BatchCreatePartition': catalogWrite,
            'glue:UpdatePartition': catalogWrite,
            'glue:BatchUpdatePartition': catalogWrite,
            'logs:CreateLogGroup': [stackArn('logs', `log-group:${crawlerLogs}`), stackArn('logs', `log-group:${crawlerLogs}:*`)],
            'logs:CreateLogStream': [stackArn('logs', `log-group:${crawlerLogs}:log-stream:${PREFIX}${name}*`)],
            'logs:PutLogEvents': [stackArn('logs', `log-group:${crawlerLogs}:log-stream:${PREFIX}${name}*`)],
          }).map(([action, resources]) => [action, [...resources].sort()]),
        ),
      );
      expect(listing?.Condition).toEqual({ StringLike: { 's3:prefix': [`curated/${name}/`, `curated/${name}/*`] } });
    });

    it('names crawlers and the database as start-crawler finds them in its environment when packaged', () => {
      // Prepare
      const env = envOf(lambdaFunction(template, 'start-crawler'));

      // Act
      const derived = PIPELINES.map((p) => `${String(env.CRAWLER_PREFIX)}${p.name}`);

      // Assess
      expect(derived.map((name) => crawlerOf(name.slice(PREFIX.length)).Properties.Name)).toEqual(derived);
      expect(resourcesOfType(template, 'AWS::Glue::Database').map(([, db]) => (db.Properties.DatabaseInput as { Name: string }).Name)).toEqual([env.GLUE_DATABASE]);
    });
  });

  describe('Athena', () => {
    const workgroupOf = (pipeline: string): CfnResource => {
      const found = resourcesOfType(template, 'AWS::Athena::WorkGroup').filter(([, w]) => w.Properties.Name === `${PREFIX}${pipeline}`);
      if (found.length !== 1) throw new Error(`expected one workgroup ${PREFIX}${pipeline}, found ${found.length}`);
      return (found[0] as [string, CfnResource])[1];
    };

    it('defines one workgroup per pipeline with a features section, named from start-feature-query environment, when packaged', () => {
      // Prepare
      const env = envOf(lambdaFunction(template, 'start-feature-query'));

      // Act
      const names = resourcesOfType(template, 'AWS::Athena::WorkGroup').map(([, w]) => w.Properties.Name).sort();

      // Assess
      expect(FEATURED.length).toBeGreaterThan(0);
      expect(names).toEqual(FEATURED.map((p) => `${String(env.ATHENA_WORKGROUP_PREFIX)}${p.name}`).sort());
    });

    it.each(FEATURED)('enforces the $name result location, encryption and the spec cutoff when packaged', ({ name, bytesScannedCutoff }) => {
      // Prepare
      const workgroup = workgroupOf(name);

      // Act
      const configuration = workgroup.Properties.WorkGroupConfiguration as Record<string, Json>;

      // Assess
      expect(workgroup.Properties.State).toBe('ENABLED');
      expect(configuration).toMatchObject({
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: bytesScannedCutoff,
        ResultConfiguration: {
          OutputLocation: { 'Fn::Sub': `s3://\${LakeBucket}/athena/${name}/` },
          EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
          ExpectedBucketOwner: { Ref: 'AWS::AccountId' },
        },
      });
      expect(configuration.BytesScannedCutoffPerQuery).toBeGreaterThanOrEqual(10_000_000);
      expect(configuration.EngineVersion).toEqual({ SelectedEngineVersion: 'Athena engine version 3' });
    });

    it('applies the 10 GB default cutoff to a pipeline whose spec sets none when packaged', () => {
      // Prepare
      const defaults = FEATURED.filter((p) => p.bytesScannedCutoff === DEFAULT_BYTES_SCANNED_CUTOFF);

      // Act
      const cutoffs = defaults.map((p) => (workgroupOf(p.name).Properties.WorkGroupConfiguration as Record<string, Json>).BytesScannedCutoffPerQuery);

      // Assess
      expect(defaults.length).toBeGreaterThan(0);
      for (const cutoff of cutoffs) expect(cutoff).toBe(10_000_000_000);
    });

    it('keeps the result locations under athena/, apart from the drop zone and the other outputs, when packaged', () => {
      // Prepare
      const workgroups = resourcesOfType(template, 'AWS::Athena::WorkGroup');

      // Act
      const locations = workgroups.map(([, w]) => describeRef(((w.Properties.WorkGroupConfiguration as Record<string, Json>).ResultConfiguration as Record<string, Json>).OutputLocation ?? null));

      // Assess
      for (const location of locations) expect(location).toMatch(/^s3:\/\/\$\{LakeBucket\}\/athena\/[a-z][a-z0-9-]*\/$/);
    });
  });

  describe('SageMaker', () => {
    const executionRole = (): CfnResource => resource(template, SAGEMAKER_ROLE, 'AWS::IAM::Role');
    const s3Grants = (): { action: string; resource: string; condition: Json | undefined }[] =>
      roleStatements(executionRole()).flatMap((s) =>
        actionsOf(s)
          .filter((a) => a.startsWith('s3:'))
          .flatMap((action) => asList(s.Resource).map((r) => ({ action, resource: describeRef(r), condition: s.Condition }))),
      );

    it('lets only SageMaker assume the execution role when packaged', () => {
      // Prepare
      const role = executionRole();

      // Act
      const trust = role.Properties.AssumeRolePolicyDocument;

      // Assess
      expect(trust).toEqual({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: ['sagemaker.amazonaws.com'] }, Action: ['sts:AssumeRole'] }],
      });
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    });

    it('lets the execution role read only features/ and write only models/ when packaged', () => {
      // Prepare
      const grants = s3Grants();

      // Act
      const objectReads = grants.filter((g) => g.action === 's3:GetObject').map((g) => g.resource);
      const listings = grants.filter((g) => g.action === 's3:ListBucket');
      const writes = grants.filter((g) => /^s3:(Put|Delete|Abort|Restore|Replicate)/.test(g.action)).map((g) => `${g.action} ${g.resource}`);
      const others = grants.filter((g) => !['s3:GetObject', 's3:ListBucket'].includes(g.action) && !writes.includes(`${g.action} ${g.resource}`));

      // Assess
      expect(objectReads).toEqual([objects('features/')]);
      expect(listings).toEqual([{ action: 's3:ListBucket', resource: BUCKET, condition: { StringLike: { 's3:prefix': ['features/', 'features/*'] } } }]);
      expect(writes.sort()).toEqual([`s3:AbortMultipartUpload ${objects('models/')}`, `s3:PutObject ${objects('models/')}`]);
      expect(others).toEqual([]);
    });

    it('grants the execution role logs and metrics of training jobs only, and no ECR pull, when packaged', () => {
      // Prepare
      const statements = roleStatements(executionRole());
      const group = '/aws/sagemaker/TrainingJobs';

      // Act
      const granted = permissionMap(statements, (a) => !a.startsWith('s3:'));
      const metrics = statements.find((s) => actionsOf(s).includes('cloudwatch:PutMetricData'));
      const streamPrefix = `${String(envOf(lambdaFunction(template, 'start-training')).RESOURCE_PREFIX)}*`;

      // Assess
      expect(granted).toEqual({
        'logs:CreateLogGroup': [stackArn('logs', `log-group:${group}`), stackArn('logs', `log-group:${group}:*`)].sort(),
        'logs:DescribeLogStreams': [stackArn('logs', `log-group:${group}`), stackArn('logs', `log-group:${group}:*`)].sort(),
        'logs:CreateLogStream': [stackArn('logs', `log-group:${group}:log-stream:${streamPrefix}`)],
        'logs:PutLogEvents': [stackArn('logs', `log-group:${group}:log-stream:${streamPrefix}`)],
        'cloudwatch:PutMetricData': ['*'],
      });
      expect(metrics?.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': group } });
    });

    it.each([
      ['start-training', SAGEMAKER_ROLE],
      ['start-tuning', SAGEMAKER_ROLE],
      ['deploy', MODEL_ROLE],
    ])('lets %s pass exactly %s, to SageMaker only, when packaged', (folder, passed) => {
      // Prepare
      const statements = roleStatements(resource(template, roleIdOf(lambdaFunction(template, folder)), 'AWS::IAM::Role'));

      // Act
      const passRole = statements.filter((s) => actionsOf(s).includes('iam:PassRole'));

      // Assess
      expect(passRole).toHaveLength(1);
      expect(actionsOf(passRole[0] as Statement)).toEqual(['iam:PassRole']);
      expect(asList(passRole[0]?.Resource).map(describeRef)).toEqual([`${passed}.Arn`]);
      expect(passRole[0]?.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } });
    });

    it('lets no other role of the template pass a role when packaged', () => {
      // Prepare
      // SmokeTest redeploys the production model when the new one answers wrongly.
      // DescribeTraining and DescribeTuning start a new job in a redriven execution (issue 10, item 3).
      // Batch scoring's transform functions create the transform's model, which runs as the model role (issue 12).
      const starters = ['start-training', 'describe-training', 'start-tuning', 'describe-tuning', 'deploy', 'smoke-test', 'start-batch-transform', 'describe-batch-transform', 'start-evaluation-transform', 'describe-evaluation-transform'].map((folder) =>
        roleIdOf(lambdaFunction(template, folder)),
      );

      // Act
      const passers = allPolicyStatements(template)
        .filter(({ statement }) => statement.Effect === 'Allow' && actionsOf(statement).some((a) => a.startsWith('iam:')))
        .map(({ owner }) => owner);

      // Assess
      // The state machine passes the ingest task's roles to ECS (ecs:runTask), and no other role: deploy/ecs.js denies the
      // rest (the ingest at scale tests).
      expect([...new Set(passers)].sort()).toEqual([...starters, 'SluiceStateMachineRole'].sort());
    });

    it('keeps the job prefix short enough for a 32-character tuning job name when packaged', () => {
      // Prepare
      const prefix = String(envOf(lambdaFunction(template, 'start-tuning')).RESOURCE_PREFIX);

      // Act
      const room = 32 - prefix.length - '-'.length - 12;

      // Assess
      expect(prefix).toBe(PREFIX);
      expect(prefix).toMatch(/^[a-z0-9][a-z0-9-]*-$/);
      expect(room).toBeGreaterThanOrEqual(3);
    });
  });

  describe('the model role', () => {
    const modelRole = (): CfnResource => resource(template, MODEL_ROLE, 'AWS::IAM::Role');
    const endpointLogGroup = (pipeline: string): string => stackArn('logs', `log-group:/aws/sagemaker/Endpoints/${PREFIX}${pipeline}`);

    it('lets only SageMaker assume the model role, a role apart from the training one, when packaged', () => {
      // Prepare
      const role = modelRole();

      // Act
      const trust = role.Properties.AssumeRolePolicyDocument;

      // Assess
      expect(MODEL_ROLE).not.toBe(SAGEMAKER_ROLE);
      expect(trust).toEqual({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: ['sagemaker.amazonaws.com'] }, Action: ['sts:AssumeRole'] }],
      });
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    });

    it('lets deployed models read models/, write their endpoint logs and read their rollback alarms, nothing else, when packaged', () => {
      // Prepare
      const statements = roleStatements(modelRole());
      const groups = DEPLOYING.flatMap((p) => [endpointLogGroup(p.name), `${endpointLogGroup(p.name)}:*`]);
      const streams = DEPLOYING.map((p) => `${endpointLogGroup(p.name)}:log-stream:*`);
      const alarms = DEPLOYING.flatMap((p) => rollbackAlarmNames(`${PREFIX}${p.name}`)).map((name) => stackArn('cloudwatch', `alarm:${name}`));

      // Act
      const granted = permissionMap(statements, () => true);
      const metrics = statements.find((s) => actionsOf(s).includes('cloudwatch:PutMetricData'));

      // Assess
      expect(DEPLOYING.length).toBeGreaterThan(0);
      expect(granted).toEqual({
        // A transform job runs as its model's role: it reads its input and writes its output under scoring/ (issue 12).
        's3:GetObject': [objects('models/'), objects('scoring/')].sort(),
        's3:PutObject': [objects('scoring/')],
        's3:ListBucket': [BUCKET],
        'logs:CreateLogGroup': [...groups].sort(),
        'logs:DescribeLogStreams': [...groups].sort(),
        'logs:CreateLogStream': [...streams].sort(),
        'logs:PutLogEvents': [...streams].sort(),
        'cloudwatch:PutMetricData': ['*'],
        'cloudwatch:DescribeAlarms': [...alarms].sort(),
      });
      expect(metrics?.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': '/aws/sagemaker/Endpoints' } });
      // SageMaker pulls its own serving images with service-owned credentials.
      expect(Object.keys(granted).filter((action) => action.startsWith('ecr:'))).toEqual([]);
    });

    it('is the role deploy hands to SageMaker for its models when packaged', () => {
      // Prepare
      const env = envOf(lambdaFunction(template, 'deploy'));

      // Act
      const passed = describeRef(env.SAGEMAKER_MODEL_ROLE_ARN ?? null);

      // Assess
      expect(passed).toBe(`${MODEL_ROLE}.Arn`);
    });
  });

  describe('the model registry', () => {
    const groups = (): CfnResource[] => resourcesOfType(template, 'AWS::SageMaker::ModelPackageGroup').map(([, g]) => g);

    it('defines one model package group per pipeline that registers models, named as evaluate-model derives it, when packaged', () => {
      // Prepare
      const prefix = String(envOf(lambdaFunction(template, 'evaluate-model')).RESOURCE_PREFIX);

      // Act
      const names = groups().map((g) => g.Properties.ModelPackageGroupName).sort();

      // Assess
      expect(REGISTERING.length).toBeGreaterThan(0);
      expect(names).toEqual(REGISTERING.map((p) => `${prefix}${p.name}`).sort());
      for (const name of names) expect(String(name)).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/);
    });

    it('keeps the groups and their versions when the stack is deleted or a group replaced', () => {
      // Prepare
      const all = groups();

      // Act
      const policies = all.map((g) => ({ deletion: g.DeletionPolicy, replace: g.UpdateReplacePolicy }));

      // Assess
      for (const policy of policies) expect(policy).toEqual({ deletion: 'Retain', replace: 'Retain' });
    });
  });

  describe('the rollback alarms', () => {
    // The failed-executions alarm notifies people (deploy/notifications.js); it rolls nothing back.
    // The endpoints' alarms: the others (deploy/notifications.js, deploy/dashboard.js) watch runs and data, not SageMaker.
    const rollbackAlarms = () => resourcesOfType(template, 'AWS::CloudWatch::Alarm').filter(([id, a]) => id !== 'FailedExecutionsAlarm' && a.Properties.Namespace === 'AWS/SageMaker');
    const alarmsOf = (endpoint: string): CfnResource[] =>
      rollbackAlarms()
        .map(([, a]) => a)
        .filter((a) => JSON.stringify(a.Properties.Dimensions).includes(`"${endpoint}"`));

    it('defines exactly the alarms core rolls an update back on, for every endpoint, when packaged', () => {
      // Prepare
      const prefix = String(envOf(lambdaFunction(template, 'deploy')).RESOURCE_PREFIX);
      const endpoints = DEPLOYING.map((p) => `${prefix}${p.name}`);

      // Act
      const names = rollbackAlarms().map(([, a]) => a.Properties.AlarmName);

      // Assess
      expect(endpoints.length).toBeGreaterThan(0);
      expect([...names].sort()).toEqual(endpoints.flatMap(rollbackAlarmNames).sort());
      for (const endpoint of endpoints) expect(alarmsOf(endpoint).map((a) => a.Properties.AlarmName)).toEqual(rollbackAlarmNames(endpoint));
    });

    it.each(DEPLOYING.map((p) => p.name))('watches the AllTraffic variant of the %s endpoint, idle counting as healthy, when packaged', (pipeline) => {
      // Prepare
      const endpoint = `${PREFIX}${pipeline}`;

      // Act
      const watched = alarmsOf(endpoint).map((a) => ({
        metric: a.Properties.MetricName,
        namespace: a.Properties.Namespace,
        dimensions: a.Properties.Dimensions,
        missing: a.Properties.TreatMissingData,
        operator: a.Properties.ComparisonOperator,
      }));

      // Assess
      const dimensions = [
        { Name: 'EndpointName', Value: endpoint },
        { Name: 'VariantName', Value: VARIANT_NAME },
      ];
      expect(watched).toEqual([
        { metric: 'Invocation5XXErrors', namespace: 'AWS/SageMaker', dimensions, missing: 'notBreaching', operator: 'GreaterThanThreshold' },
        { metric: 'ModelLatency', namespace: 'AWS/SageMaker', dimensions, missing: 'notBreaching', operator: 'GreaterThanThreshold' },
      ]);
    });

    it.each(DEPLOYING.map((p) => p.name))('fires on a failing or slow %s model, not on one bad request, when packaged', (pipeline) => {
      // Prepare
      const [errors, latency] = alarmsOf(`${PREFIX}${pipeline}`).map((a) => a.Properties);

      // Act
      const settings = [errors, latency].map((p) => ({
        statistic: p?.Statistic,
        threshold: p?.Threshold,
        period: p?.Period,
        datapoints: `${String(p?.DatapointsToAlarm)}/${String(p?.EvaluationPeriods)}`,
      }));

      // Assess
      // Invocation5XXErrors is 1 per 5xx and 0 otherwise: its Average is the error rate. ModelLatency is in microseconds.
      expect(settings).toEqual([
        { statistic: 'Average', threshold: 0.05, period: 60, datapoints: '2/3' },
        { statistic: 'Average', threshold: 500_000, period: 60, datapoints: '2/3' },
      ]);
    });
  });

  describe('the schedules', () => {
    it('starts the state machine with a schedule input, on the spec\'s expression, per scheduled pipeline when packaged', () => {
      // Prepare
      const scheduled = pipelineSchedules();
      const names = stageNames('sluice', 'dev');

      // Act
      // StartRunSchedule drains the upload queue (the upload trigger's tests): it starts no run of its own.
      const schedules = resourcesOfType(template, 'AWS::Scheduler::Schedule').filter(([id]) => id !== 'StartRunSchedule');

      // Assess
      expect(scheduled.length).toBeGreaterThan(0);
      expect(schedules.map(([id]) => id).sort()).toEqual(scheduled.map((s) => `${s.id}Schedule`).sort());
      for (const s of scheduled) {
        const { Properties: p } = resource(template, `${s.id}Schedule`, 'AWS::Scheduler::Schedule');
        expect(p.Name).toBe(`${names.resourcePrefix}${s.pipeline}`);
        expect(p.ScheduleExpression).toBe(s.expression);
        expect(() => parseScheduleExpression(s.expression)).not.toThrow();
        expect(p.ScheduleExpressionTimezone).toBe(s.timezone);
        expect(p.State).toBe(s.enabled ? 'ENABLED' : 'DISABLED');
        expect(p.FlexibleTimeWindow).toEqual({ Mode: 'OFF' });
        const target = p.Target as Record<string, Json>;
        expect(target.Arn).toEqual({ Ref: 'SluiceStateMachine' });
        expect(JSON.parse(String(target.Input))).toEqual({ trigger: 'schedule', pipeline: s.pipeline });
        expect(target.RoleArn).toEqual({ 'Fn::GetAtt': [`${s.id}ScheduleRole`, 'Arn'] });
      }
    });

    it('gives each schedule a role of its own, assumed by Scheduler, that may only start this state machine when packaged', () => {
      // Prepare
      const scheduled = pipelineSchedules();

      // Act
      const roles = scheduled.map((s) => resource(template, `${s.id}ScheduleRole`, 'AWS::IAM::Role'));

      // Assess
      expect(new Set(roles).size).toBe(scheduled.length);
      for (const role of roles) {
        const trust = asList((role.Properties.AssumeRolePolicyDocument as { Statement?: Json }).Statement) as unknown as (Statement & { Principal?: Json })[];
        expect(trust.map((t) => t.Principal)).toEqual([{ Service: ['scheduler.amazonaws.com'] }]);
        expect(JSON.stringify(trust[0]?.Condition)).toContain('aws:SourceAccount');
        expect(permissionMap(roleStatements(role), () => true)).toEqual({ 'states:StartExecution': ['Ref(SluiceStateMachine)'] });
      }
    });
  });

  describe('the run notifications', () => {
    it('lets only record-run and record-failure publish, to the stage\'s topic only, which their environment names, when packaged', () => {
      // Prepare
      const publishers = allPolicyStatements(template).filter(({ statement }) => actionsOf(statement).some((a) => a.startsWith('sns:')));

      // Act
      const owners = [...new Set(publishers.map((p) => p.owner))].sort();

      // Assess
      resource(template, 'RunNotificationsTopic', 'AWS::SNS::Topic');
      expect(owners).toEqual([roleIdOf(lambdaFunction(template, 'record-failure')), roleIdOf(lambdaFunction(template, 'record-run'))].sort());
      for (const { statement } of publishers) {
        expect(actionsOf(statement)).toEqual(['sns:Publish']);
        expect(asList(statement.Resource).map(describeRef)).toEqual(['Ref(RunNotificationsTopic)']);
      }
      for (const folder of ['record-run', 'record-failure']) expect(envOf(lambdaFunction(template, folder)).NOTIFICATION_TOPIC_ARN).toEqual({ Ref: 'RunNotificationsTopic' });
    });

    it('alarms to the topic on failed, timed-out and aborted executions of this state machine when packaged', () => {
      // Prepare
      const alarm = resource(template, 'FailedExecutionsAlarm', 'AWS::CloudWatch::Alarm');

      // Act
      const metrics = asList(alarm.Properties.Metrics) as { MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: Json } }; ReturnData: boolean }[];

      // Assess
      expect(metrics.flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric.MetricName] : [])).sort()).toEqual(['ExecutionsAborted', 'ExecutionsFailed', 'ExecutionsTimedOut']);
      for (const m of metrics.filter((x) => x.MetricStat)) {
        expect(m.MetricStat?.Metric.Namespace).toBe('AWS/States');
        expect(m.MetricStat?.Metric.Dimensions).toEqual([{ Name: 'StateMachineArn', Value: { Ref: 'SluiceStateMachine' } }]);
      }
      expect(metrics.filter((m) => m.ReturnData)).toHaveLength(1);
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: 'RunNotificationsTopic' }]);
      expect(alarm.Properties.Threshold).toBe(0);
    });
  });

  describe('metrics and tracing (issue 14)', () => {
    /** The dashboard body as CloudWatch receives it, `${…}` left for Fn::Sub, and the placeholders it uses. */
    function dashboardBody(): { widgets: { properties: { title: string; metrics: Json[][] } }[]; placeholders: string[] } {
      const dashboard = resource(template, 'SluiceDashboard', 'AWS::CloudWatch::Dashboard');
      const body = (dashboard.Properties.DashboardBody as { 'Fn::Sub': string })['Fn::Sub'];
      const placeholders = [...new Set([...body.matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1] ?? ''))].sort();
      return { ...(JSON.parse(body) as { widgets: { properties: { title: string; metrics: Json[][] } }[] }), placeholders };
    }

    it.each(functionFolders())('traces %s actively, may send its segments, and names its stage for Powertools when packaged', (folder) => {
      // Prepare
      const fn = lambdaFunction(template, folder);

      // Act
      const xray = permissionMap(roleStatements(resource(template, roleIdOf(fn), 'AWS::IAM::Role')), (a) => a.startsWith('xray:'));

      // Assess
      expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
      expect(xray).toEqual({ 'xray:PutTelemetryRecords': ['*'], 'xray:PutTraceSegments': ['*'] });
      expect(envOf(fn).POWERTOOLS_SERVICE_NAME).toBe('sluice-dev');
    });

    it('traces both state machines when packaged', () => {
      // Act
      const tracing = ['SluiceStateMachine', 'SluiceScoreStateMachine'].map((id) => resource(template, id, 'AWS::StepFunctions::StateMachine').Properties.TracingConfiguration);

      // Assess
      expect(tracing).toEqual([{ Enabled: true }, { Enabled: true }]);
    });

    it('draws runs, data quality, the gate metric and every endpoint on a dashboard whose body is JSON when packaged', () => {
      // Act
      const { widgets, placeholders } = dashboardBody();
      const series = widgets.flatMap((w) => w.properties.metrics).map((m) => JSON.stringify(m));

      // Assess
      expect(placeholders.filter((p) => !p.startsWith('AWS::')).every((id) => template.Resources[id] !== undefined)).toBe(true);
      expect(placeholders).toEqual(['AWS::Region', 'SluiceScoreStateMachine', 'SluiceStateMachine']);
      for (const name of ['ExecutionsStarted', 'ExecutionsFailed']) {
        expect(series).toContain(JSON.stringify(['AWS/States', name, 'StateMachineArn', '${SluiceStateMachine}']));
      }
      for (const p of PIPELINES) {
        expect(series.some((m) => m.startsWith(JSON.stringify(['Sluice', 'QuarantineRate', 'service', 'sluice-dev', 'pipeline', p.name]).slice(0, -1)))).toBe(true);
      }
      expect(series.some((m) => m.includes('MetricName=\\"ModelMetric\\" service=\\"sluice-dev\\"'))).toBe(true);
      for (const p of DEPLOYING) {
        for (const name of ['Invocations', 'ModelLatency', 'Invocation5XXErrors']) {
          expect(series.some((m) => m.startsWith(JSON.stringify(['AWS/SageMaker', name, 'EndpointName', `${PREFIX}${p.name}`, 'VariantName', VARIANT_NAME]).slice(0, -1)))).toBe(true);
        }
      }
    });

    it('reads only metrics the steps emit when the dashboard names a custom metric', () => {
      // Assess
      expect(Object.values(DASHBOARD_METRICS).filter((name) => !(Object.values(METRIC_NAMES) as string[]).includes(name))).toEqual([]);
    });

    it("alarms to the stage's topic on each pipeline's quarantine rate and on failed scoring executions when packaged", () => {
      // Prepare
      const pipelines = stageDeployedPipelines();
      const ids = [...pipelines.map((p) => `QuarantineRateAlarm${p.id}`), 'FailedScoringExecutionsAlarm'];

      // Act
      const alarms = ids.map((id) => resource(template, id, 'AWS::CloudWatch::Alarm').Properties);

      // Assess
      for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([{ Ref: 'RunNotificationsTopic' }]);
      expect(alarms.slice(0, pipelines.length).map((a) => [a.Namespace, a.MetricName, a.Dimensions])).toEqual(
        pipelines.map((p) => ['Sluice', 'QuarantineRate', [{ Name: 'service', Value: 'sluice-dev' }, { Name: 'pipeline', Value: p.name }]]),
      );
      expect(alarms.at(-1)?.Dimensions).toEqual([{ Name: 'StateMachineArn', Value: { Ref: 'SluiceScoreStateMachine' } }]);
    });
  });

  describe('the state machine', () => {
    it('invokes every function the ASL names when packaged', () => {
      // Prepare
      const [machines, aslIds] = [resourcesOfType(template, 'AWS::StepFunctions::StateMachine'), aslFunctionIds()];

      // Act
      const machine = resource(template, 'SluiceStateMachine', 'AWS::StepFunctions::StateMachine');
      const definition = machine.Properties.DefinitionString;
      const [body, params] = (definition as { 'Fn::Sub': [string, Record<string, Json>] })['Fn::Sub'];

      // Assess
      // The training workflow and batch scoring's (issue 12).
      expect(machines.map(([id]) => id).sort()).toEqual(['SluiceScoreStateMachine', 'SluiceStateMachine']);
      expect(machine.Properties.StateMachineType).toBe('STANDARD');
      expect(aslIds.size).toBeGreaterThan(0);
      expect(referencedIds(params)).toEqual(new Set([...aslIds, 'LakeBucket', 'IngestCluster', 'IngestTaskDefinition', 'IngestTaskSubnets', 'IngestTaskSecurityGroups']));
      for (const key of Object.keys(params)) expect(body).toContain(`\${${key}}`);
      for (const id of aslIds) expect(template.Resources[id]?.Type).toBe('AWS::Lambda::Function');
    });

    it('retries every Task as the generated definition does when packaged', () => {
      // Prepare
      const machine = resource(template, 'SluiceStateMachine', 'AWS::StepFunctions::StateMachine');
      const [body] = (machine.Properties.DefinitionString as { 'Fn::Sub': [string, Record<string, Json>] })['Fn::Sub'];

      // Act
      const deployed = retriesByTask(JSON.parse(body) as Json);

      // Assess
      expect(Object.values(deployed).every((retry) => Array.isArray(retry) && retry.length > 0)).toBe(true);
      expect(deployed).toStrictEqual(retriesByTask(ASL));
      expect(JSON.stringify(deployed.StartTraining)).toContain('ResourceLimitError');
    });

    it('logs errors without execution data to its own log group when packaged', () => {
      // Prepare
      const machine = resource(template, 'SluiceStateMachine', 'AWS::StepFunctions::StateMachine');

      // Act
      const logging = machine.Properties.LoggingConfiguration as { Level: string; IncludeExecutionData: boolean; Destinations: Json[] };
      const groups = [...referencedIds(logging.Destinations)];

      // Assess
      expect(logging.Level).toBe('ERROR');
      expect(logging.IncludeExecutionData).toBe(false);
      expect(groups).toHaveLength(1);
      expect(resource(template, groups[0] as string, 'AWS::Logs::LogGroup').Properties.LogGroupName).toMatch(/^\/aws\/vendedlogs\/states\//);
    });

    it('may invoke exactly the functions of the ASL when its role is generated', () => {
      // Prepare
      const machine = resource(template, 'SluiceStateMachine', 'AWS::StepFunctions::StateMachine');
      const role = resource(template, describeRef(machine.Properties.RoleArn ?? null).replace(/\.Arn$/, ''), 'AWS::IAM::Role');

      // Act
      const statements = roleStatements(role).filter((s) => actionsOf(s).includes('lambda:InvokeFunction'));
      const invoked = referencedIds(statements.flatMap((s) => asList(s.Resource)));
      const otherActions = roleStatements(role).flatMap(actionsOf).filter((a) => a !== 'lambda:InvokeFunction' && !WILDCARD_RESOURCE_ACTIONS.has(a));

      // Assess
      expect(invoked).toEqual(aslFunctionIds());
      // The IngestFiles Distributed Map (child executions, reader, writer) and its Fargate route, as the plugin generates
      // them; deploy/ecs.js narrows them with explicit denies (the ingest map tests below).
      expect([...new Set(otherActions)].sort()).toEqual(
        [
          'ecs:DescribeTasks',
          'ecs:RunTask',
          'ecs:StopTask',
          'ecs:TagResource',
          'events:DescribeRule',
          'events:PutRule',
          'events:PutTargets',
          'iam:PassRole',
          's3:GetObject',
          's3:PutObject',
          'states:DescribeExecution',
          'states:StartExecution',
          'states:StopExecution',
        ].sort(),
      );
    });
  });

  describe('the ingest at scale (issue 10)', () => {
    const ingestFiles = () => (ASL as { States: Record<string, Record<string, Json>> }).States.IngestFiles as Record<string, Json>;
    const processorStates = () => ((ingestFiles().ItemProcessor as Record<string, Json>).States as Record<string, Record<string, Json>>);

    it('maps over the run object list as a Distributed Map of Standard children, failing on any file, with results in the lake when packaged', () => {
      // Prepare
      const machine = resource(template, 'SluiceStateMachine', 'AWS::StepFunctions::StateMachine');
      const [body] = (machine.Properties.DefinitionString as { 'Fn::Sub': [string, Record<string, Json>] })['Fn::Sub'];

      // Act
      const deployed = (JSON.parse(body) as { States: Record<string, Record<string, Json>> }).States.IngestFiles as Record<string, Json>;

      // Assess
      expect(deployed.Type).toBe('Map');
      expect((deployed.ItemProcessor as Record<string, Json>).ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
      expect(deployed.ItemReader).toMatchObject({ Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' }, Parameters: { 'Key.$': '$.run.objectList.key' } });
      expect(deployed.ResultWriter).toMatchObject({ Resource: 'arn:aws:states:::s3:putObject', Parameters: { Prefix: 'ingest/_map-runs' } });
      expect(deployed.ToleratedFailurePercentage).toBe(0);
      expect(deployed.MaxConcurrency).toBe(100);
      expect(deployed.ResultSelector).toEqual({ 'mapRunArn.$': '$.MapRunArn', results: { 'bucket.$': '$.ResultWriterDetails.Bucket', 'key.$': '$.ResultWriterDetails.Key' } });
      expect(deployed.ItemsPath).toBeUndefined();
    });

    it('sends a file above the spec threshold to the Fargate task and the others to the Lambda function when packaged', () => {
      // Act
      const states = processorStates();

      // Assess
      expect(states.ChooseIngestRoute).toMatchObject({
        Type: 'Choice',
        Choices: [{ Variable: '$.object.size', NumericGreaterThanPath: '$.largeFileBytes', Next: 'ValidateAndPartitionOnFargate' }],
        Default: 'ValidateAndPartition',
      });
      expect((ingestFiles().ItemSelector as Record<string, Json>)['largeFileBytes.$']).toBe('$.run.objectList.largeFileBytes');
      expect(states.ValidateAndPartition?.Parameters).toEqual({ 'run.$': '$.run', 'object.$': '$.object' });
      expect(states.ValidateAndPartitionOnFargate).toMatchObject({
        Resource: 'arn:aws:states:::ecs:runTask.waitForTaskToken',
        HeartbeatSeconds: 600,
        Parameters: {
          LaunchType: 'FARGATE',
          Cluster: { 'Fn::GetAtt': ['IngestCluster', 'Arn'] },
          TaskDefinition: { Ref: 'IngestTaskDefinition' },
          Overrides: { ContainerOverrides: [{ Name: 'ingest', 'Command.$': expect.stringContaining('$$.Task.Token') as unknown }] },
        },
      });
    });

    it('sizes the Fargate task by the arithmetic of docs/scaling.md, on the image the deploy names, when packaged', () => {
      // Act
      const definition = resource(template, 'IngestTaskDefinition', 'AWS::ECS::TaskDefinition').Properties;
      const container = asList(definition.ContainerDefinitions ?? null)[0] as Record<string, Json>;

      // Assess
      expect(definition).toMatchObject({ RequiresCompatibilities: ['FARGATE'], NetworkMode: 'awsvpc', Cpu: '4096', Memory: '16384', EphemeralStorage: { SizeInGiB: 200 } });
      expect(container).toMatchObject({ Name: 'ingest', Image: 'sluice-ingest-task:unset', Essential: true });
      expect(container.Environment).toEqual(
        expect.arrayContaining([
          { Name: 'LAKE_BUCKET', Value: { Ref: 'LakeBucket' } },
          { Name: 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', Value: '16384' },
          { Name: 'DUCKDB_THREADS', Value: '4' },
        ]),
      );
      expect(describeRef(definition.TaskRoleArn ?? null)).toBe('IngestTaskRole.Arn');
      expect(describeRef(definition.ExecutionRoleArn ?? null)).toBe('IngestTaskExecutionRole.Arn');
      expect(resource(template, 'IngestCluster', 'AWS::ECS::Cluster').Properties.ClusterName).toBe('sluice-dev-ingest');
    });

    it('gives the task the lake permissions of validate-and-partition and answering the state machine, nothing more, when packaged', () => {
      // Prepare
      const lambdaRole = resource(template, roleIdOf(lambdaFunction(template, DUCKDB_FUNCTION)), 'AWS::IAM::Role');
      const taskRole = resource(template, 'IngestTaskRole', 'AWS::IAM::Role');

      // Act
      const taskPermissions = permissionMap(roleStatements(taskRole), (a) => !a.startsWith('states:'));
      const callbacks = permissionMap(roleStatements(taskRole), (a) => a.startsWith('states:'));

      // Assess
      expect(JSON.stringify(taskRole.Properties.AssumeRolePolicyDocument)).toContain('ecs-tasks.amazonaws.com');
      // The function's X-Ray actions are Lambda's active tracing; the task does not trace.
      expect(taskPermissions).toEqual(permissionMap(roleStatements(lambdaRole), (a) => !a.startsWith('logs:') && !a.startsWith('xray:')));
      const stateMachine = `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:sluice-dev`;
      expect(callbacks).toEqual({ 'states:SendTaskFailure': [stateMachine], 'states:SendTaskHeartbeat': [stateMachine], 'states:SendTaskSuccess': [stateMachine] });
    });

    it('denies the state machine any task definition, role or object but the ingest ones, and lets it finish its result files, when packaged', () => {
      // Act
      const policy = resource(template, 'IngestStateMachinePolicy', 'AWS::IAM::Policy').Properties;
      const statements = (policy.PolicyDocument as { Statement: Record<string, Json>[] }).Statement;

      // Assess
      expect(policy.Roles).toEqual([{ Ref: 'SluiceStateMachineRole' }]);
      expect(template.Resources.SluiceStateMachineRole?.Type).toBe('AWS::IAM::Role');
      expect(statements).toEqual([
        { Effect: 'Allow', Action: ['s3:GetObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'], Resource: [{ 'Fn::Sub': '${LakeBucket.Arn}/ingest/_map-runs/*' }] },
        { Effect: 'Deny', Action: ['s3:GetObject'], NotResource: [{ 'Fn::Sub': '${LakeBucket.Arn}/ingest/*' }] },
        { Effect: 'Deny', Action: ['ecs:RunTask'], NotResource: [{ 'Fn::Sub': 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task-definition/sluice-dev-ingest:*' }] },
        { Effect: 'Deny', Action: ['ecs:StopTask', 'ecs:DescribeTasks', 'ecs:TagResource'], NotResource: [{ 'Fn::Sub': 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task/sluice-dev-ingest/*' }] },
        { Effect: 'Deny', Action: ['iam:PassRole'], NotResource: [{ 'Fn::GetAtt': ['IngestTaskRole', 'Arn'] }, { 'Fn::GetAtt': ['IngestTaskExecutionRole', 'Arn'] }] },
      ]);
    });

    it('lets normalize-input write the object list and record-run read the map results when packaged', () => {
      // Act
      const writes = permissionMap(roleStatements(resource(template, roleIdOf(lambdaFunction(template, 'normalize-input')), 'AWS::IAM::Role')), (a) => a === 's3:PutObject');
      const reads = permissionMap(roleStatements(resource(template, roleIdOf(lambdaFunction(template, 'record-run')), 'AWS::IAM::Role')), (a) => a === 's3:GetObject');

      // Assess
      expect(writes).toEqual({ 's3:PutObject': [objects('ingest/_runs/')] });
      expect(reads['s3:GetObject']).toContain(objects('ingest/_map-runs/'));
    });
  });

  describe('IAM', () => {
    it('gives every function a role of its own, assumed by Lambda, when packaged', () => {
      // Prepare
      const folders = functionFolders();

      // Act
      const roleIds = folders.map((folder) => roleIdOf(lambdaFunction(template, folder)));

      // Assess
      expect(new Set(roleIds).size).toBe(folders.length);
      for (const id of roleIds) {
        const role = resource(template, id, 'AWS::IAM::Role');
        expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument)).toContain('lambda.amazonaws.com');
        expect(asList(role.Properties.ManagedPolicyArns ?? null).filter((arn) => arn !== null)).toEqual([]);
      }
      expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
    });

    it('lets each function write only its own log group when packaged', () => {
      // Prepare
      const folders = functionFolders();

      // Act
      const logs = folders.map((folder) => {
        const fn = lambdaFunction(template, folder);
        const statements = roleStatements(resource(template, roleIdOf(fn), 'AWS::IAM::Role'));
        return { name: fn.Properties.FunctionName, permissions: permissionMap(statements, (a) => a.startsWith('logs:')) };
      });

      // Assess
      for (const { name, permissions } of logs) {
        const group = `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${String(name)}:*`;
        expect(permissions).toEqual({ 'logs:CreateLogStream': [group], 'logs:PutLogEvents': [group] });
      }
    });

    it.each(Object.entries(EXPECTED_PERMISSIONS))('grants %s exactly its lake and workflow permissions when packaged', (folder, expected) => {
      // Prepare
      const role = resource(template, roleIdOf(lambdaFunction(template, folder)), 'AWS::IAM::Role');

      // Act
      const granted = permissionMap(roleStatements(role), (a) => !a.startsWith('logs:') && !a.startsWith('xray:'));

      // Assess
      expect(granted).toEqual(Object.fromEntries(Object.entries(expected).map(([action, resources]) => [action, [...resources].sort()])));
    });

    it.each(functionFolders())('lets %s list only under the prefixes it works in, by an s3:prefix condition, when packaged', (folder) => {
      // Prepare
      const role = resource(template, roleIdOf(lambdaFunction(template, folder)), 'AWS::IAM::Role');

      // Act
      const listings = roleStatements(role).filter((s) => actionsOf(s).includes('s3:ListBucket'));

      // Assess
      const expected = EXPECTED_LISTINGS[folder];
      if (expected === undefined) {
        expect(listings).toEqual([]);
        return;
      }
      const condition = listings[0]?.Condition as { StringLike?: { 's3:prefix'?: string[] } } | undefined;
      expect(listings).toHaveLength(1);
      expect(Object.keys(condition ?? {})).toEqual(['StringLike']);
      expect([...(condition?.StringLike?.['s3:prefix'] ?? [])].sort()).toEqual(expected.flatMap((p) => [p, `${p}*`]).sort());
    });

    it.each(functionFolders())('lets %s find out that a key it reads is missing (404, not 403) when packaged', (folder) => {
      // Prepare
      const role = resource(template, roleIdOf(lambdaFunction(template, folder)), 'AWS::IAM::Role');

      // Act
      const reads = permissionMap(roleStatements(role), (a) => a === 's3:GetObject')['s3:GetObject'] ?? [];
      const listed = (EXPECTED_LISTINGS[folder] ?? []).map(objects);

      // Assess
      expect(reads.filter((read) => !listed.includes(read))).toEqual([]);
    });

    it('keeps every function but RecordRun, RecordFailure and NormalizeInput out of runs/ when packaged', () => {
      // Prepare
      const folders = functionFolders();

      // Act
      const touchingRuns = folders.filter((folder) => {
        const role = resource(template, roleIdOf(lambdaFunction(template, folder)), 'AWS::IAM::Role');
        // runs/ itself, not ingest/_runs/ (the run's object list and key listings).
        return /(?<![\w/])runs\/|\/runs\//.test(JSON.stringify(roleStatements(role)).replaceAll('/_runs/', '/'));
      });

      // Assess
      // NormalizeInput only reads the production model's manifest (its exact permissions above): a scheduled run's
      // check for new data (issue 13).
      expect(touchingRuns).toEqual(['normalize-input', 'record-failure', 'record-run']);
    });

    it('grants glue:CreateDatabase only where Athena requires it, on the catalog and the default database, when packaged', () => {
      // Prepare
      const folders = functionFolders();

      // Act
      const holders = folders.flatMap((folder) => {
        const role = resource(template, roleIdOf(lambdaFunction(template, folder)), 'AWS::IAM::Role');
        const granted = permissionMap(roleStatements(role), (a) => a === 'glue:CreateDatabase')['glue:CreateDatabase'];
        return granted ? [{ folder, granted }] : [];
      });

      // Assess
      // GetFeatureQueryState starts the queries again in a redriven execution (issue 10, item 3).
      // Batch scoring's query functions run Athena queries too (issue 12).
      expect(holders).toEqual(
        ['get-feature-query-state', 'get-scoring-query-state', 'start-feature-query', 'start-scoring-query'].map((folder) => ({ folder, granted: [GLUE_CATALOG, glueDatabase('default')].sort() })),
      );
    });

    it('covers every function with an expected permission set when a function is added', () => {
      // Prepare
      const folders = functionFolders();

      // Act
      const listed = Object.keys(EXPECTED_PERMISSIONS).sort();

      // Assess
      expect(listed).toEqual(folders);
    });

    it('never allows a wildcard action, nor a wildcard resource unless AWS requires one, when packaged', () => {
      // Prepare
      const statements = allPolicyStatements(template);

      // Act
      const allows = statements.filter(({ statement }) => statement.Effect === 'Allow');
      const wildcardActions = allows.filter(({ statement }) => actionsOf(statement).some((a) => a === '*' || a.endsWith(':*')));
      // serverless-step-functions allows the ECS integration's actions on `*`; deploy/ecs.js denies each outside the
      // ingest task's resources (Deny with NotResource), which is the scope.
      const deniedOutside = new Set(statements.filter(({ statement }) => statement.Effect === 'Deny' && 'NotResource' in statement).flatMap(({ statement }) => actionsOf(statement)));
      const wildcardResources = allows.filter(
        ({ statement }) => asList(statement.Resource).includes('*') && actionsOf(statement).some((a) => !WILDCARD_RESOURCE_ACTIONS.has(a) && !deniedOutside.has(a)),
      );

      // Assess
      expect(allows.length).toBeGreaterThan(0);
      expect(wildcardActions).toEqual([]);
      expect(wildcardResources).toEqual([]);
    });

    it('denies only insecure transport, and the state machine what is not the ingest task, when a policy denies', () => {
      // Prepare
      const statements = allPolicyStatements(template);

      // Act
      // The state machine's narrowing denies are pinned statement by statement in the ingest at scale tests.
      const denies = statements.filter(({ statement, owner }) => statement.Effect === 'Deny' && owner !== 'IngestStateMachinePolicy');
      const notTlsGuards = denies.filter(({ statement }) => String((statement.Condition as { Bool?: Record<string, Json> } | undefined)?.Bool?.['aws:SecureTransport']) !== 'false');

      // Assess
      expect(denies.length).toBeGreaterThan(0);
      expect(notTlsGuards).toEqual([]);
    });
  });

  describe('the zips', () => {
    it('makes one zip per function, without esbuild metafiles, when packaged', () => {
      // Prepare
      const expected = functionFolders().map((folder) => `${functionKey(folder)}.zip`);

      // Act
      const metafiles = zips.flatMap((zip) => new ZipArchive(path.join(outDir, zip)).names().filter((n) => n.endsWith('meta.json')));

      // Assess
      expect([...zips].sort()).toEqual(expected.sort());
      expect(metafiles).toEqual([]);
    });

    it.each(functionFolders().filter((f) => f !== DUCKDB_FUNCTION && f !== 'infer' && !SCORING_DUCKDB_FUNCTIONS.includes(f) && !EVALUATION_DUCKDB_FUNCTIONS.includes(f)))('keeps %s under 400 KB with no node_modules when bundled', (folder) => {
      // Prepare
      const zip = path.join(outDir, `${functionKey(folder)}.zip`);

      // Act
      const archive = new ZipArchive(zip);
      const assets = archive.entries.filter((e) => REPORT_WRITERS.includes(folder) && e.name === REPORT_ASSET);
      const size = statSync(zip).size - assets.reduce((sum, e) => sum + e.compressedSize, 0);

      // Assess
      expect(archive.names().filter((n) => n.startsWith('node_modules/') && !assets.some((a) => a.name === n))).toEqual([]);
      expect(size).toBeLessThan(ORCHESTRATION_ZIP_LIMIT);
    });

    it.each(REPORT_WRITERS)('ships Chart.js for the run report in %s, beside a bundle under 400 KB, when packaged', (folder) => {
      // Prepare
      const zip = path.join(outDir, `${functionKey(folder)}.zip`);
      const library = readFileSync(path.join(ROOT, REPORT_ASSET));

      // Act
      const archive = new ZipArchive(zip);
      const asset = archive.entries.find((e) => e.name === REPORT_ASSET);
      const bundle = archive.entries.find((e) => e.name === `functions/${folder}/handler.js`);

      // Assess
      expect(asset).toBeDefined();
      expect(archive.read(REPORT_ASSET).equals(library)).toBe(true);
      expect(asset?.compressedSize).toBeLessThan(REPORT_ASSET_LIMIT);
      expect(bundle?.compressedSize).toBeLessThan(ORCHESTRATION_ZIP_LIMIT);
    });

    it('ships DuckDB with its Linux x64 binding in validate-and-partition and infer only when packaged', () => {
      // Prepare
      const archives = Object.fromEntries(functionFolders().map((f) => [f, new ZipArchive(path.join(outDir, `${functionKey(f)}.zip`))]));

      // Act
      const duckdb = archives[DUCKDB_FUNCTION] as ZipArchive;
      const withDuckdb = Object.entries(archives)
        .filter(([, zip]) => zip.names().some((n) => n.startsWith('node_modules/@duckdb/')))
        .map(([folder]) => folder);
      const bundle = duckdb.read(`functions/${DUCKDB_FUNCTION}/handler.js`).toString('utf8');

      // Assess
      // Raw-record inference runs the pipeline's feature SQL on DuckDB too (issue 12).
      expect([...withDuckdb].sort()).toEqual(['infer', DUCKDB_FUNCTION, ...SCORING_DUCKDB_FUNCTIONS, ...EVALUATION_DUCKDB_FUNCTIONS].sort());
      expect(duckdb.names()).toEqual(
        expect.arrayContaining([
          DUCKDB_BINDING,
          DUCKDB_LIBRARY,
          'node_modules/@duckdb/node-api/package.json',
          'node_modules/@duckdb/node-bindings/duckdb.js',
          'node_modules/detect-libc/package.json',
        ]),
      );
      expect(duckdb.names().filter((n) => /node-bindings-(darwin|win32|linux-arm64)|-musl\//.test(n))).toEqual([]);
      expect(bundle).toMatch(/require\(["']@duckdb\/node-api["']\)/);
    });

    it('gives the raw-record inference function an IAM-authorized function URL, its DuckDB binding and the feature SQL when packaged', () => {
      // Prepare
      const zip = new ZipArchive(path.join(outDir, `${functionKey('infer')}.zip`));

      // Act
      const urls = resourcesOfType(template, 'AWS::Lambda::Url');
      const publicPermissions = resourcesOfType(template, 'AWS::Lambda::Permission').filter(([, p]) => p.Properties.Principal === '*');

      // Assess: SigV4-signed callers with lambda:InvokeFunctionUrl only; nobody else may invoke it.
      expect(urls.map(([, url]) => ({ auth: url.Properties.AuthType, target: describeRef(url.Properties.TargetFunctionArn ?? null) }))).toEqual([
        { auth: 'AWS_IAM', target: `${lambdaLogicalId('infer')}.Arn` },
      ]);
      expect(publicPermissions).toEqual([]);
      expect(zip.names()).toEqual(expect.arrayContaining([DUCKDB_BINDING, DUCKDB_LIBRARY, 'pipelines/churn/pipeline.yml', 'pipelines/churn/features.sql']));
    });

    it.each(functionFolders())('loads the %s handler from its unpacked zip when Lambda starts it', async (folder) => {
      // Prepare
      const taskRoot = taskRootOf(folder);

      // Act
      const printed = await runNode(taskRoot, `process.stdout.write(typeof require('./functions/${folder}/handler.js').handler)`, lambdaEnvironment(taskRoot));

      // Assess
      expect(printed).toBe('function');
    }, CHILD_NODE_TIMEOUT_MS);

    it('runs a DuckDB query from the unpacked validate-and-partition zip when Lambda loads DuckDB', async () => {
      // Prepare
      const taskRoot = taskRootOf(DUCKDB_FUNCTION);
      const script = [
        "const { DuckDBInstance } = require('@duckdb/node-api');",
        "DuckDBInstance.create(':memory:').then((db) => db.connect()).then((c) => c.runAndReadAll('SELECT 6 * 7 AS answer'))",
        '  .then((reader) => process.stdout.write(JSON.stringify(reader.getRows())));',
      ].join('\n');

      // Act
      const printed = await runNode(taskRoot, script, lambdaEnvironment(taskRoot));

      // Assess
      expect(JSON.parse(printed)).toEqual([[42]]);
    }, CHILD_NODE_TIMEOUT_MS);

    it.each(SPEC_READERS)('ships every pipeline spec and its SQL, and no sample data, in %s when packaged', (folder) => {
      // Prepare
      const specs = filesUnder('pipelines').filter((file) => file.endsWith('/pipeline.yml') || file.endsWith('.sql'));

      // Act
      const shipped = new ZipArchive(path.join(outDir, `${functionKey(folder)}.zip`)).names().filter((n) => n.startsWith('pipelines/'));

      // Assess
      expect(specs.length).toBeGreaterThan(0);
      expect(shipped).toEqual(specs);
    });
  });
});

/**
 * Issue 10, item 11: the lake bucket and model package groups are retained with fixed names, so a stack deployed again
 * after `osls remove` must take them back instead of creating them ("already exists"). `--param="retained=adopt"`.
 */
describe('serverless.yml deployed again after osls remove', () => {
  /** The retained bucket's fixed name, as serverless.yml gives it (an Fn::Sub of the account and Region). */
  const LAKE_NAME = 'sluice-dev-lake-${AWS::AccountId}-${AWS::Region}';
  const LAKE_ARN = `arn:\${AWS::Partition}:s3:::${LAKE_NAME}`;
  let outDir: string;
  let adopted: CfnTemplate;

  beforeAll(async () => {
    outDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-package-adopt-'));
    await packageService(outDir, ['--param=retained=adopt']);
    adopted = readTemplate(outDir);
  }, PACKAGE_TIMEOUT_MS);

  afterAll(() => {
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  describe('retained=adopt', () => {
    it('declares neither the lake bucket nor a model package group, so nothing fails as already existing, when packaged', () => {
      // Prepare: the framework's own deployment bucket has a generated name and is no concern here
      const buckets = resourcesOfType(adopted, 'AWS::S3::Bucket').filter(([id]) => id !== 'ServerlessDeploymentBucket');

      // Act
      const declared = [...buckets, ...resourcesOfType(adopted, 'AWS::SageMaker::ModelPackageGroup')].map(([id]) => id);

      // Assess
      expect(declared).toEqual([]);
      expect(REGISTERING.length).toBeGreaterThan(0);
    });

    it('refers to the retained bucket by its name and ARN only, nowhere by logical id, when packaged', () => {
      // Prepare
      const everything = { Resources: adopted.Resources, Outputs: adopted.Outputs ?? {} } as unknown as Json;

      // Act
      const text = JSON.stringify(everything);

      // Assess
      expect([...referencedIds(everything)].filter((id) => id === 'LakeBucket' || id.startsWith('ModelPackageGroup'))).toEqual([]);
      expect(text).not.toMatch(/\$\{LakeBucket(\.[A-Za-z]+)?\}/);
      expect(JSON.stringify(adopted.Resources)).not.toMatch(/"DependsOn":(\[[^\]]*)?"LakeBucket"/);
      expect(adopted.Outputs?.LakeBucketName).toMatchObject({ Value: { 'Fn::Sub': LAKE_NAME } });
    });

    it('gives every function the retained bucket name in LAKE_BUCKET when packaged', () => {
      // Prepare
      const functions = resourcesOfType(adopted, 'AWS::Lambda::Function');

      // Act
      const lakes = functions.map(([, fn]) => envOf(fn).LAKE_BUCKET);

      // Assess
      expect(functions.length).toBeGreaterThan(0);
      for (const lake of lakes) expect(lake).toEqual({ 'Fn::Sub': LAKE_NAME });
    });

    it('puts the TLS-only bucket policy back on the retained bucket and scopes the roles to its ARN when packaged', () => {
      // Prepare
      const [policy] = resourcesOfType(adopted, 'AWS::S3::BucketPolicy').filter(([id]) => id === 'LakeBucketPolicy');
      const role = resource(adopted, roleIdOf(lambdaFunction(adopted, 'validate-and-partition')), 'AWS::IAM::Role');

      // Act
      const statements = policy ? (asList((policy[1].Properties.PolicyDocument as { Statement?: Json }).Statement) as unknown as Statement[]) : [];
      const tlsGuard = statements.find((s) => JSON.stringify(s.Condition ?? {}).includes('aws:SecureTransport'));
      const reads = permissionMap(roleStatements(role), (a) => a === 's3:GetObject')['s3:GetObject'] ?? [];

      // Assess
      expect(policy?.[1].Properties.Bucket).toEqual({ 'Fn::Sub': LAKE_NAME });
      expect(asList(tlsGuard?.Resource).map(describeRef).sort()).toEqual([LAKE_ARN, `${LAKE_ARN}/*`]);
      expect(reads).toContain(`${LAKE_ARN}/ingest/*`);
      expect(reads.filter((r) => !r.startsWith(`${LAKE_ARN}/`))).toEqual([]);
    });
  });
});
