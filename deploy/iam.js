'use strict';

/**
 * Small builders for the IAM statements of deploy/functions.js and deploy/catalog.js: one `Allow` statement shape,
 * ARNs of this account and region, and the lake bucket scoped to key prefixes.
 */

/** The lake bucket's logical id in serverless.yml. */
const LAKE_BUCKET = 'LakeBucket';

/**
 * A value CloudFormation resolves at deploy time: a reference, an attribute of a resource, or a string with `${}`
 * substitutions; or a plain string.
 * @typedef {string | { Ref: string } | { 'Fn::GetAtt': string[] } | { 'Fn::Sub': string }} CfnValue
 */

/**
 * A resource of the generated template, as deploy/ writes it into `resources.Resources` of serverless.yml.
 * @typedef {object} GeneratedResource
 * @property {string} Type
 * @property {Record<string, unknown>} Properties
 * @property {string} [DeletionPolicy]
 * @property {string} [UpdateReplacePolicy]
 */

/**
 * An IAM policy condition: operator -> condition key -> value(s).
 * @typedef {Record<string, Record<string, string | string[]>>} Condition
 */

/**
 * An `Allow` statement of an IAM policy.
 * @typedef {object} Statement
 * @property {'Allow'} Effect
 * @property {string[]} Action
 * @property {CfnValue[] | '*'} Resource `*` only for actions without resource-level permissions
 * @property {Condition} [Condition]
 */

/**
 * An `Allow` statement; `condition` is added only when given.
 * @param {string[]} actions
 * @param {CfnValue[] | '*'} resources
 * @param {Condition} [condition]
 * @returns {Statement}
 */
function allow(actions, resources, condition) {
  return { Effect: 'Allow', Action: actions, Resource: resources, ...(condition ? { Condition: condition } : {}) };
}

/**
 * The `Allow` statement as a list of one, or an empty list when there is no resource to grant it on (IAM refuses a
 * statement with an empty Resource): for resources that exist only for some pipelines, such as endpoints.
 * @param {string[]} actions
 * @param {CfnValue[]} resources
 * @param {Condition} [condition]
 * @returns {Statement[]}
 */
function allowOn(actions, resources, condition) {
  return resources.length > 0 ? [allow(actions, resources, condition)] : [];
}

/**
 * `arn:<partition>:<service>:<region>:<account>:<resource>` of this stack's account and region, from CloudFormation
 * pseudo parameters (nothing is resolved at package time, so packaging needs no AWS credentials).
 * @param {string} service
 * @param {string} resource
 * @returns {{ 'Fn::Sub': string }}
 */
function arn(service, resource) {
  return { 'Fn::Sub': `arn:\${AWS::Partition}:${service}:\${AWS::Region}:\${AWS::AccountId}:${resource}` };
}

/** A CloudWatch Logs log group and its streams, as IAM names them (log-group ARN with and without the trailing `:*`). */
const logs = {
  /** @param {string} name */
  group: (name) => arn('logs', `log-group:${name}`),
  /** @param {string} name */
  groupStar: (name) => arn('logs', `log-group:${name}:*`),
  /**
   * @param {string} name
   * @param {string} [streamPrefix]
   */
  streams: (name, streamPrefix = '') => arn('logs', `log-group:${name}:log-stream:${streamPrefix}*`),
};

/** IAM statements over the lake bucket, scoped to key prefixes. */
const lake = {
  /**
   * The bucket itself, for bucket-level actions.
   * @returns {{ 'Fn::GetAtt': string[] }}
   */
  bucket: () => ({ 'Fn::GetAtt': [LAKE_BUCKET, 'Arn'] }),
  /**
   * The objects under a prefix, as an ARN.
   * @param {string} prefix
   * @returns {{ 'Fn::Sub': string }}
   */
  objects: (prefix) => ({ 'Fn::Sub': `\${${LAKE_BUCKET}.Arn}/${prefix}*` }),
  /**
   * s3:GetObject (also what HeadObject and a CopyObject source need).
   * @param {...string} prefixes
   */
  read: (...prefixes) => allow(['s3:GetObject'], prefixes.map(lake.objects)),
  /**
   * s3:GetObjectVersion: HeadObject, GetObject and a copy source that name a version id ("If you include a versionId
   * in your request header, you must have the s3:GetObjectVersion permission ... The s3:GetObject permission is not
   * required in this scenario", S3 API reference, GetObject, versionId).
   * @param {...string} prefixes
   */
  readVersions: (...prefixes) => allow(['s3:GetObjectVersion'], prefixes.map(lake.objects)),
  /**
   * s3:PutObject (also what a CopyObject destination needs).
   * @param {...string} prefixes
   */
  write: (...prefixes) => allow(['s3:PutObject'], prefixes.map(lake.objects)),
  /**
   * s3:DeleteObject (what DeleteObjects checks, key by key).
   * @param {...string} prefixes
   */
  delete: (...prefixes) => allow(['s3:DeleteObject'], prefixes.map(lake.objects)),
  /**
   * s3:AbortMultipartUpload: ending a multipart upload (or copy) that failed, so its parts stop being billed.
   * @param {...string} prefixes
   */
  abortUploads: (...prefixes) => allow(['s3:AbortMultipartUpload'], prefixes.map(lake.objects)),
  /**
   * s3:ListBucket on the bucket, for listings under these prefixes only (the `s3:prefix` condition key). It is also
   * what makes HeadObject and GetObject answer a missing key with 404 rather than 403 ("If you have the s3:ListBucket
   * permission on the bucket, Amazon S3 returns an HTTP status code 404 Not Found error", S3 API reference,
   * HeadObject, Permissions). For that check S3 evaluates `s3:prefix` as the requested key (the behaviour Ceph RGW
   * copied from AWS, ceph/ceph#68577), so `<prefix>*` keeps the 404 for keys under the prefix.
   * @param {...string} prefixes
   */
  listUnder: (...prefixes) => allow(['s3:ListBucket'], [lake.bucket()], { StringLike: { 's3:prefix': prefixes.flatMap((p) => [p, `${p}*`]) } }),
};

/** Glue Data Catalog ARNs: the account's catalog, a database, tables of a database. */
const glue = {
  catalog: () => arn('glue', 'catalog'),
  /** @param {string} name */
  database: (name) => arn('glue', `database/${name}`),
  /**
   * @param {string} database
   * @param {string} table a table name, or `*`
   */
  table: (database, table) => arn('glue', `table/${database}/${table}`),
  /** @param {string} name */
  crawler: (name) => arn('glue', `crawler/${name}`),
};

/**
 * SageMaker ARNs (Service Authorization Reference, "Resource types defined by Amazon SageMaker"). A versioned model
 * package is `model-package/<group>/<version>`, the form SageMaker names in its AccessDenied messages for
 * DescribeModelPackage. Names are lowercase here (deploy/stage.js), as SageMaker writes them in ARNs.
 */
const sagemaker = {
  /** @param {string} name */
  modelPackageGroup: (name) => arn('sagemaker', `model-package-group/${name}`),
  /**
   * Every version of one group.
   * @param {string} group
   */
  modelPackages: (group) => arn('sagemaker', `model-package/${group}/*`),
  /** @param {string} name */
  endpoint: (name) => arn('sagemaker', `endpoint/${name}`),
  /**
   * Endpoint configs and models are named per run after their endpoint (core/run/job-names.ts `resourceName`).
   * @param {string} prefix
   */
  endpointConfigs: (prefix) => arn('sagemaker', `endpoint-config/${prefix}*`),
  /** @param {string} prefix */
  models: (prefix) => arn('sagemaker', `model/${prefix}*`),
};

/** A CloudWatch alarm: `arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>` (a colon, not a slash). */
const cloudwatch = {
  /** @param {string} name */
  alarm: (name) => arn('cloudwatch', `alarm:${name}`),
};

module.exports = { LAKE_BUCKET, allow, allowOn, arn, cloudwatch, glue, lake, logs, sagemaker };
