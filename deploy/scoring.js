'use strict';

/**
 * Batch scoring in the cloud (issue 12): the scoring state machine's functions (rows spread into deploy/functions.js's
 * table, each with its least-privilege role), and the EventBridge rule that invokes start-scoring-run for every object
 * created under `score/` of the lake bucket, which starts the scoring state machine under a name derived from the
 * object version (a duplicated event starts nothing new).
 *
 * serverless.yml loads `resources: - Resources: ${file(deploy/scoring.js):resources}` and the state machine
 * `sluiceScore` with `${file(deploy/scoring-state-machine.js):definition}`.
 */

const hosting = require('./hosting.js');
const { resultsPrefix } = require('./catalog.js');
const { LAKE_BUCKET, allow, allowOn, arn, glue, lake } = require('./iam.js');
const { stageOf } = require('./stage.js');

/** @typedef {import('./stage.js').Stage} Stage */
/** @typedef {import('./iam.js').Statement} Statement */

/** The scoring state machine's logical id (serverless-step-functions `id`). */
const SCORING_STATE_MACHINE = 'SluiceScoreStateMachine';

/** Logical ids of this file's resources. */
const ids = { rule: 'ScoringUploadRule', rulePermission: 'ScoringUploadRulePermission' };

/** The logical id serverless gives the start-scoring-run function (`<FunctionKey>LambdaFunction`, deploy/functions.js). */
const START_SCORING_RUN_FUNCTION = 'StartScoringRunLambdaFunction';

/** The scoring drop zone, the scoring working prefix and the predictions prefix (core/run/lake-layout.ts). */
const PREFIX = { drop: 'score/', work: 'scoring/', predictions: 'predictions/' };

/**
 * The pipelines that can score: a feature query and a training section.
 * @param {Stage} stage
 */
const scorable = ({ pipelines }) => pipelines.filter((p) => p.features);

/**
 * Glue resources a scoring function reads or defines: the catalog, the stage's database, and per pipeline its
 * `<table>_scoring_input` and `<table>_predictions` tables (core/scoring/scoring-tables.ts).
 * @param {Stage} stage
 * @param {('scoring_input' | 'predictions')[]} kinds
 */
function scoringTables(stage, kinds) {
  const database = stage.names.glueDatabase;
  return [glue.catalog(), glue.database(database), ...scorable(stage).flatMap((p) => kinds.map((kind) => glue.table(database, `${p.table}_${kind}`)))];
}

/**
 * The scoring query's permissions: Athena in the pipelines' workgroups, the scoring input table, the run's valid rows,
 * and the UNLOAD target (transform-input/ under scoring/), emptied first.
 * @param {Stage} stage
 * @returns {Statement[]}
 */
function scoringQueryStatements(stage) {
  const results = scorable(stage).map(resultsPrefix);
  const workgroups = scorable(stage).map((p) => arn('athena', `workgroup/${stage.names.workgroupPrefix}${p.name}`));
  return [
    allow(['athena:StartQueryExecution', 'athena:GetQueryExecution'], workgroups),
    // Athena's mandatory access to the default database (see featureQueryStatements in deploy/functions.js).
    allow(['glue:GetDatabase', 'glue:CreateDatabase'], [glue.catalog(), glue.database('default')]),
    allow(['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartition', 'glue:GetPartitions', 'glue:BatchGetPartition'], scoringTables(stage, ['scoring_input'])),
    allow(['s3:GetBucketLocation', 's3:ListBucketMultipartUploads'], [lake.bucket()]),
    lake.listUnder(PREFIX.work, ...results),
    lake.read(PREFIX.work, ...results),
    allow(['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'], [PREFIX.work, ...results].map(lake.objects)),
    lake.delete(PREFIX.work),
  ];
}

/**
 * StartBatchTransform and DescribeBatchTransform: the registry's production version, the job's model and the job
 * itself (named with the stage's resource prefix), passing the model role to SageMaker only.
 * @param {Stage} stage
 * @returns {Statement[]}
 */
function transformStatements(stage) {
  const prefix = stage.names.resourcePrefix;
  const jobs = [arn('sagemaker', `transform-job/${prefix}*`)];
  const models = [arn('sagemaker', `model/${prefix}*`)];
  return [
    ...allowOn(['sagemaker:DescribeModelPackage'], hosting.arns.modelPackages(stage)),
    // ListModelPackages takes no resource scope (the registry adapter filters by group).
    allow(['sagemaker:ListModelPackages'], '*'),
    allow(['sagemaker:CreateModel'], models),
    allow(['sagemaker:CreateTransformJob', 'sagemaker:DescribeTransformJob', 'sagemaker:StopTransformJob'], jobs),
    allow(['sagemaker:AddTags'], [...models, ...jobs]),
    allow(['iam:PassRole'], [{ 'Fn::GetAtt': [hosting.MODEL_ROLE, 'Arn'] }], { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } }),
  ];
}

const glueEnvironment = (/** @type {Stage} */ { names }) => ({ GLUE_DATABASE: names.glueDatabase, ATHENA_WORKGROUP_PREFIX: names.workgroupPrefix });

/**
 * The scoring functions: rows of deploy/functions.js's table (folder → entry).
 * @type {Record<string, import('./functions.js').FunctionEntry>}
 */
const SCORING_FUNCTIONS = {
  'start-scoring-run': {
    description: 'The scoring rule target: starts the scoring state machine, named after the object version (duplicates start nothing)',
    memorySize: 256,
    timeout: 30,
    // This function's STATE_MACHINE_ARN is the machine it starts: the scoring one (aws/wiring/start-scoring-run.ts).
    environment: { STATE_MACHINE_ARN: { Ref: SCORING_STATE_MACHINE } },
    statements: [allow(['states:StartExecution'], [{ Ref: SCORING_STATE_MACHINE }])],
  },
  'normalize-scoring-input': {
    description: 'NormalizeScoringInput: a file dropped in score/<pipeline>/ (or a manual input) to one scoring context',
    memorySize: 256,
    timeout: 30,
    specs: true,
    // HeadObject of the scoring file at its event's version; listing score/ makes a missing key a 404, not a 403.
    statements: [lake.read(PREFIX.drop), lake.readVersions(PREFIX.drop), lake.listUnder(PREFIX.drop)],
  },
  'validate-scoring-file': {
    description: 'ValidateScoringFile: the contract on DuckDB (label optional), quarantine, valid rows into <pipeline>_scoring_input',
    // As validate-and-partition (deploy/lambda-memory.md): one DuckDB thread, the largest file in 15 minutes.
    memorySize: 1769,
    timeout: 900,
    ephemeralStorageSize: 10240,
    specs: true,
    nativePackages: ['@duckdb/node-api'],
    environment: glueEnvironment,
    statements: (stage) => [
      lake.read(PREFIX.drop),
      lake.readVersions(PREFIX.drop),
      lake.write(PREFIX.work),
      lake.listUnder(PREFIX.drop, PREFIX.work),
      allow(['glue:GetTable', 'glue:CreateTable', 'glue:UpdateTable'], scoringTables(stage, ['scoring_input'])),
    ],
  },
  'start-scoring-query': {
    description: 'StartScoringQuery: features.sql in scoring mode, UNLOADed to the transform input',
    memorySize: 256,
    timeout: 60,
    specs: true,
    environment: glueEnvironment,
    statements: scoringQueryStatements,
  },
  'get-scoring-query-state': {
    description: 'GetScoringQueryState: one poll of the scoring query; starts it again in a redriven execution',
    memorySize: 256,
    timeout: 60,
    specs: true,
    environment: glueEnvironment,
    statements: scoringQueryStatements,
  },
  'start-batch-transform': {
    description: 'StartBatchTransform: a SageMaker Batch Transform of the production model over the transform input',
    memorySize: 256,
    timeout: 60,
    specs: true,
    environment: ({ names }) => ({ SAGEMAKER_MODEL_ROLE_ARN: { 'Fn::GetAtt': [hosting.MODEL_ROLE, 'Arn'] }, RESOURCE_PREFIX: names.resourcePrefix }),
    statements: transformStatements,
  },
  'describe-batch-transform': {
    description: 'DescribeBatchTransform: one poll of the transform job; starts a new one in a redriven execution',
    memorySize: 256,
    timeout: 60,
    specs: true,
    environment: ({ names }) => ({ SAGEMAKER_MODEL_ROLE_ARN: { 'Fn::GetAtt': [hosting.MODEL_ROLE, 'Arn'] }, RESOURCE_PREFIX: names.resourcePrefix }),
    statements: transformStatements,
  },
  'write-predictions': {
    description: 'WritePredictions: the transform output joined to the ids on source_row, as Parquet under predictions/',
    memorySize: 1769,
    timeout: 900,
    ephemeralStorageSize: 10240,
    specs: true,
    nativePackages: ['@duckdb/node-api'],
    statements: [lake.read(PREFIX.work), lake.listUnder(PREFIX.work, PREFIX.predictions), lake.write(PREFIX.predictions)],
  },
  'catalog-predictions': {
    description: 'CatalogPredictions: <pipeline>_predictions beside the curated table, the run score_date partition',
    memorySize: 256,
    timeout: 30,
    specs: true,
    environment: glueEnvironment,
    statements: (stage) => [
      allow(['glue:GetTable', 'glue:CreateTable', 'glue:UpdateTable', 'glue:CreatePartition'], scoringTables(stage, ['predictions'])),
    ],
  },
  'record-scoring-run': {
    description: 'RecordScoringRun: writes the scoring manifest (rows in, valid, quarantined and scored reconcile)',
    memorySize: 256,
    timeout: 30,
    statements: [lake.write(PREFIX.work)],
  },
};

/**
 * The rule that invokes start-scoring-run for each object created under `score/` (the upload rule of
 * deploy/coalescing.js, without the coalescing: one file is one scoring run), and the permission that lets this rule
 * invoke it. EventBridge delivers at least once and a Step Functions target cannot name the execution, so the rule no
 * longer targets the state machine: the function names the execution from the event (core/steps/start-scoring-run.ts).
 * A Lambda target takes a resource-based policy and no RoleArn (EventBridge user guide, "Using resource-based policies
 * for Amazon EventBridge", AWS Lambda permissions: principal events.amazonaws.com, source ARN the rule's).
 * @param {Stage} stage
 */
function scoringResources(stage) {
  return {
    [ids.rulePermission]: {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [START_SCORING_RUN_FUNCTION, 'Arn'] },
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [ids.rule, 'Arn'] },
      },
    },
    [ids.rule]: {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: `${stage.service}-${stage.stage}-scoring-uploads`,
        Description: 'S3 Object Created under score/ of the lake bucket, to start-scoring-run',
        State: 'ENABLED',
        EventPattern: {
          'source': ['aws.s3'],
          'detail-type': ['Object Created'],
          'detail': { bucket: { name: [{ Ref: LAKE_BUCKET }] }, object: { key: [{ prefix: PREFIX.drop }] } },
        },
        Targets: [
          {
            Id: 'start-scoring-run',
            Arn: { 'Fn::GetAtt': [START_SCORING_RUN_FUNCTION, 'Arn'] },
            RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
          },
        ],
      },
    },
  };
}

module.exports = {
  transformStatements,
  SCORING_STATE_MACHINE,
  START_SCORING_RUN_FUNCTION,
  SCORING_FUNCTIONS,
  ids,
  scoringResources,
  /** `resources.Resources` of serverless.yml. */
  resources: async (/** @type {import('./stage.js').ResolverContext} */ context) => scoringResources(await stageOf(context)),
};
