'use strict';

/**
 * The stack's retained resources, and how a stack deployed again after `osls remove` takes them back.
 *
 * The lake bucket and the model package groups have `DeletionPolicy: Retain` (the data and the registry outlive the
 * stack: "you can retain ... an Amazon S3 bucket ... so that you can continue to use or modify those resources after
 * you delete their stacks", CloudFormation template reference, "DeletionPolicy attribute"). They also have fixed
 * names, so a new stack that declares them again fails to create them ("... already exists"): S3 bucket names are
 * unique, and so is a model package group's name in an account and Region.
 *
 * `--param="retained=adopt"` packages the stack without them: this plugin removes the retained bucket and groups from
 * the compiled template and rewrites every reference to the bucket into its name and ARN, which are fixed
 * (`arn:${AWS::Partition}:s3:::<name>`: "an Amazon S3 ARN excludes the AWS Region and namespace", S3 developer guide,
 * "Amazon S3 resources" ARN format; the Service Authorization Reference's `bucket` resource type); the groups
 * are referenced by name everywhere already (deploy/hosting.js). The functions, roles and bucket policy then point at
 * the retained resources as they did before. `retained=create` (the default) declares them, for a first deployment.
 *
 * An adopted bucket keeps the settings it had (versioning, encryption, EventBridge notifications, lifecycle rules), but
 * the stack no longer manages them; CloudFormation's resource import ("Import AWS resources into a CloudFormation
 * stack", user guide) can put them back under a stack's management, with the template of `retained=create`.
 */

/** The lake bucket's logical id in serverless.yml. */
const LAKE_BUCKET = 'LakeBucket';
/** The resource types that are retained with fixed names and so adopted, not created, by `retained=adopt`. */
const RETAINED_TYPES = Object.freeze(['AWS::S3::Bucket', 'AWS::SageMaker::ModelPackageGroup']);
/** The values `--param="retained=…"` takes. */
const MODES = Object.freeze(['create', 'adopt']);

/**
 * @typedef {{ [key: string]: unknown }} JsonObject
 * @typedef {{ Type: string, DeletionPolicy?: string, DependsOn?: string | string[], Properties?: JsonObject }} CfnResource
 * @typedef {{ Resources: Record<string, CfnResource>, Outputs?: Record<string, unknown> }} CfnTemplate
 */

/** A reference the rewrite cannot turn into a name, or a mode it does not know: fails the packaging. */
class RetainedResourceError extends Error {
  /** @override */
  name = 'RetainedResourceError';
}

/**
 * @param {unknown} value
 * @returns {value is JsonObject}
 */
const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The retained resources of a template: retained resources of the types above.
 * @param {CfnTemplate} template
 * @returns {string[]}
 */
function retainedIds(template) {
  return Object.entries(template.Resources)
    .filter(([, r]) => RETAINED_TYPES.includes(r.Type) && r.DeletionPolicy === 'Retain')
    .map(([id]) => id)
    .sort();
}

/**
 * Rewrites `${LakeBucket}` and `${LakeBucket.Arn}` in an Fn::Sub string.
 * @param {string} text
 * @param {{ name: string, arn: string }} bucket
 */
const subBucket = (text, bucket) => text.replaceAll(`\${${LAKE_BUCKET}.Arn}`, bucket.arn).replaceAll(`\${${LAKE_BUCKET}}`, bucket.name);

/**
 * A template value with every reference to the lake bucket turned into its name or ARN.
 * @param {unknown} value
 * @param {{ name: string, arn: string }} bucket
 * @returns {unknown}
 */
function rewrite(value, bucket) {
  if (Array.isArray(value)) return value.map((v) => rewrite(v, bucket));
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && value.Ref === LAKE_BUCKET) return { 'Fn::Sub': bucket.name };
  const getAtt = value['Fn::GetAtt'];
  if (keys.length === 1 && (getAtt === `${LAKE_BUCKET}.Arn` || (Array.isArray(getAtt) && getAtt[0] === LAKE_BUCKET && getAtt[1] === 'Arn'))) {
    return { 'Fn::Sub': bucket.arn };
  }
  const sub = value['Fn::Sub'];
  if (keys.length === 1 && typeof sub === 'string') return { 'Fn::Sub': subBucket(sub, bucket) };
  if (keys.length === 1 && Array.isArray(sub) && typeof sub[0] === 'string') return { 'Fn::Sub': [subBucket(sub[0], bucket), rewrite(sub[1], bucket)] };
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v, bucket)]));
}

/**
 * The logical ids among `ids` that `value` still refers to (Ref, Fn::GetAtt, `${Id}` or `${Id.Attr}` in Fn::Sub).
 * @param {unknown} value
 * @param {readonly string[]} ids
 * @returns {Set<string>}
 */
function referencesTo(value, ids) {
  const text = JSON.stringify(value);
  return new Set(
    ids.filter((id) => text.includes(`{"Ref":"${id}"}`) || text.includes(`"Fn::GetAtt":["${id}"`) || text.includes(`"Fn::GetAtt":"${id}.`) || new RegExp(`\\$\\{${id}(\\.[A-Za-z]+)?\\}`).test(text)),
  );
}

/**
 * The template of `retained=adopt`: without the retained resources, every reference to the lake bucket by its name or
 * ARN, no DependsOn on what is gone. Throws when a reference to a removed resource is left that it cannot rewrite.
 * @param {CfnTemplate} template
 * @returns {CfnTemplate}
 */
function adoptRetained(template) {
  const removed = retainedIds(template);
  const lake = template.Resources[LAKE_BUCKET];
  const bucketName = lake?.Properties?.BucketName;
  const subName = isObject(bucketName) ? bucketName['Fn::Sub'] : bucketName;
  if (!lake || !removed.includes(LAKE_BUCKET) || typeof subName !== 'string') {
    throw new RetainedResourceError(`retained=adopt: the template has no retained ${LAKE_BUCKET} with a fixed BucketName to adopt`);
  }
  const bucket = { name: subName, arn: `arn:\${AWS::Partition}:s3:::${subName}` };
  /** @type {Record<string, CfnResource>} */
  const resources = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (removed.includes(id)) continue;
    const next = /** @type {CfnResource} */ (rewrite(resource, bucket));
    if (next.DependsOn !== undefined) {
      const dependsOn = (Array.isArray(next.DependsOn) ? next.DependsOn : [next.DependsOn]).filter((d) => !removed.includes(d));
      if (dependsOn.length > 0) next.DependsOn = dependsOn;
      else delete next.DependsOn;
    }
    resources[id] = next;
  }
  const adopted = /** @type {CfnTemplate} */ ({ ...template, Resources: resources, ...(template.Outputs ? { Outputs: rewrite(template.Outputs, bucket) } : {}) });
  const left = referencesTo({ Resources: adopted.Resources, Outputs: adopted.Outputs ?? {} }, removed);
  if (left.size > 0) throw new RetainedResourceError(`retained=adopt: the template still refers to ${[...left].join(', ')}, which it no longer declares`);
  return adopted;
}

/**
 * The mode a packaging asked for: `create` unless `--param="retained=adopt"`.
 * @param {unknown} value
 * @returns {'create' | 'adopt'}
 */
function retainedMode(value) {
  const mode = value === undefined || value === null || value === '' ? 'create' : value;
  if (mode === 'create' || mode === 'adopt') return mode;
  throw new RetainedResourceError(`--param="retained=${String(mode)}": expected one of ${MODES.join(', ')}`);
}

/**
 * The serverless plugin: in `adopt` mode, rewrites the compiled template once it is whole (serverless.yml's own
 * `resources` are merged in during aws:package:finalize) and before it is saved, so `osls package` and `osls deploy`
 * both produce it.
 */
class RetainedResourcesPlugin {
  /**
   * @param {{ service: { custom?: JsonObject, provider: { compiledCloudFormationTemplate: CfnTemplate } } }} serverless
   */
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = {
      'before:aws:package:finalize:saveServiceState': () => {
        const mode = retainedMode(serverless.service.custom?.retained);
        if (mode === 'adopt') serverless.service.provider.compiledCloudFormationTemplate = adoptRetained(serverless.service.provider.compiledCloudFormationTemplate);
      },
    };
  }
}

module.exports = RetainedResourcesPlugin;
module.exports.adoptRetained = adoptRetained;
module.exports.retainedMode = retainedMode;
module.exports.RetainedResourceError = RetainedResourceError;
