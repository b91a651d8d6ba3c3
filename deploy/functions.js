'use strict';

/**
 * The Lambda functions of Sluice and each one's own IAM role, generated from one table.
 *
 * serverless.yml loads this file twice:
 *   functions: ${file(deploy/functions.js):functions}
 *   resources: - Resources: ${file(deploy/functions.js):roles}
 *
 * Adding a function is a folder `functions/<name>/handler.ts` plus one entry in FUNCTIONS below: its size, whether
 * it reads the pipeline specs, the native packages it carries, and the statements its role grants. Every function
 * gets the provider environment (LAKE_BUCKET) and a role that may only write its own log group.
 */

const fs = require('node:fs');
const path = require('node:path');
const { nativePackagePatterns } = require('./native-packages.js');

/** The lake bucket's logical id in serverless.yml. */
const LAKE_BUCKET = 'LakeBucket';
/** The state machine's logical id (serverless-step-functions `id`). */
const STATE_MACHINE = 'SluiceStateMachine';

/** Pipeline specs are read at run time from `$LAMBDA_TASK_ROOT/pipelines`: ship them in the zip. */
const SPEC_PATTERNS = ['pipelines/**/pipeline.yml', 'pipelines/**/*.sql'];

/** IAM statements over the lake bucket, scoped to key prefixes. */
const lake = {
  /** The objects under each prefix, as an ARN. */
  objects: (prefix) => ({ 'Fn::Sub': `\${${LAKE_BUCKET}.Arn}/${prefix}*` }),
  /** s3:GetObject (also what HeadObject and a CopyObject source need). */
  read: (...prefixes) => allow(['s3:GetObject'], prefixes.map(lake.objects)),
  /** s3:PutObject (also what a CopyObject destination needs). */
  write: (...prefixes) => allow(['s3:PutObject'], prefixes.map(lake.objects)),
  /** s3:DeleteObject (what DeleteObjects checks, key by key). */
  delete: (...prefixes) => allow(['s3:DeleteObject'], prefixes.map(lake.objects)),
  /** s3:ListBucket on the bucket: ListObjectsV2, and a 404 rather than a 403 from HeadObject on a missing key. */
  list: () => allow(['s3:ListBucket'], [{ 'Fn::GetAtt': [LAKE_BUCKET, 'Arn'] }]),
};

/**
 * One entry per folder of functions/. `statements` are the function's own permissions (its log group comes on
 * top); `specs` ships pipelines/ in its zip; `nativePackages` ships those node_modules (kept out of the bundle)
 * for the Lambda platform.
 */
const FUNCTIONS = {
  'start-run': {
    description: 'EventBridge target for uploads under incoming/: starts one run per object version',
    memorySize: 256,
    timeout: 30,
    specs: true,
    environment: { STATE_MACHINE_ARN: { Ref: STATE_MACHINE } },
    statements: [allow(['states:StartExecution'], [{ Ref: STATE_MACHINE }])],
    events: [
      {
        eventBridge: {
          description: 'S3 Object Created under incoming/ of the lake bucket',
          pattern: {
            'source': ['aws.s3'],
            'detail-type': ['Object Created'],
            'detail': {
              bucket: { name: [{ Ref: LAKE_BUCKET }] },
              object: { key: [{ prefix: 'incoming/' }] },
            },
          },
        },
      },
    ],
  },
  'normalize-input': {
    description: 'NormalizeInput: upload, schedule or manual input to one run context',
    memorySize: 256,
    timeout: 30,
    specs: true,
    statements: [lake.read('incoming/', 'raw/'), lake.list()],
  },
  'validate-and-partition': {
    description: 'ValidateAndPartition: contract checks on DuckDB, curated Parquet partitions, quarantine',
    memorySize: 3008,
    timeout: 900,
    ephemeralStorageSize: 10240,
    specs: true,
    nativePackages: ['@duckdb/node-api'],
    statements: [
      lake.read('incoming/', 'raw/'),
      lake.write('raw/', 'curated/', 'quarantine/'),
      lake.delete('incoming/', 'curated/'),
      lake.list(),
    ],
  },
  'record-run': {
    description: 'RecordRun: writes the run manifest',
    memorySize: 256,
    timeout: 30,
    statements: [lake.write('runs/')],
  },
  'record-failure': {
    description: 'RecordFailure: writes the failed run manifest',
    memorySize: 256,
    timeout: 30,
    statements: [lake.write('runs/')],
  },
};

function allow(actions, resources) {
  return { Effect: 'Allow', Action: actions, Resource: resources };
}

/** `start-run` -> `startRun`: serverless names the function resource `StartRunLambdaFunction`, as the ASL expects. */
function functionKey(folder) {
  return folder.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
}

/** `start-run` -> `StartRunRole`. */
function roleLogicalId(folder) {
  const key = functionKey(folder);
  return `${key.charAt(0).toUpperCase()}${key.slice(1)}Role`;
}

/** The function's own role: assumed by Lambda, writes its log group, and the statements of its entry. */
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

/** The deployed name of a function: `<service>-<stage>-<folder>`. */
async function namer({ resolveVariable }) {
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  return (folder) => `${service}-${stage}-${folder}`;
}

module.exports = {
  /** The `functions:` block of serverless.yml. */
  functions: async (context) => {
    checkTable();
    const name = await namer(context);
    return Object.fromEntries(
      Object.entries(FUNCTIONS).map(([folder, fn]) => {
        const patterns = [...(fn.specs ? SPEC_PATTERNS : []), ...nativePackagePatterns(fn.nativePackages ?? [])];
        return [
          functionKey(folder),
          {
            name: name(folder),
            handler: `functions/${folder}/handler.handler`,
            description: fn.description,
            memorySize: fn.memorySize,
            timeout: fn.timeout,
            ...(fn.ephemeralStorageSize ? { ephemeralStorageSize: fn.ephemeralStorageSize } : {}),
            ...(fn.environment ? { environment: fn.environment } : {}),
            ...(fn.events ? { events: fn.events } : {}),
            role: roleLogicalId(folder),
            ...(patterns.length > 0 ? { package: { patterns } } : {}),
          },
        ];
      }),
    );
  },
  /** One AWS::IAM::Role per function, for `resources.Resources`. */
  roles: async (context) => {
    const name = await namer(context);
    return Object.fromEntries(Object.entries(FUNCTIONS).map(([folder, fn]) => [roleLogicalId(folder), role(name(folder), fn.statements)]));
  },
};
