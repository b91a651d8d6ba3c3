'use strict';

/**
 * What a stage deploys, read at package time: the names of its AWS-side resources and the pipelines it carries.
 *
 * The functions get the same names through their environment (GLUE_DATABASE, CRAWLER_PREFIX,
 * ATHENA_WORKGROUP_PREFIX, RESOURCE_PREFIX), so the resources made here and the names core/run/naming.ts derives
 * at run time come from one place.
 */

const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');

const ROOT = path.resolve(__dirname, '..');

/**
 * The names of a stage's AWS-side resources.
 * @typedef {object} StageNames
 * @property {string} glueDatabase
 * @property {string} crawlerPrefix
 * @property {string} workgroupPrefix
 * @property {string} resourcePrefix
 */

/**
 * A pipeline in the deployment.
 * @typedef {object} DeployedPipeline
 * @property {string} name
 * @property {string} id For logical ids: `churn-v2` -> `ChurnV2`.
 * @property {string} table Its catalog table: the name with dashes as underscores.
 * @property {readonly string[]} partitionKeys The table's Hive partition keys, in folder order: `ingest_date`, then
 *   the spec's partitioning columns (deploy/catalog.js defines the table with them).
 * @property {{ readonly bytesScannedCutoff: number } | undefined} features Present when the spec has a features section.
 * @property {boolean} registersModels Its runs train (features and training sections) and register each candidate in
 *   its model package group.
 * @property {boolean} deploys Its runs may deploy a promoted candidate to its endpoint (it registers models and has a
 *   deployment section).
 */

/**
 * What a stage deploys: its service and stage names, the names of its resources, its pipelines.
 * @typedef {object} Stage
 * @property {string} service
 * @property {string} stage
 * @property {Readonly<StageNames>} names
 * @property {readonly Readonly<DeployedPipeline>[]} pipelines
 */

/**
 * What serverless passes to a `${file(...)}` function: its variable resolver (osls, "Variables: Exporting a function").
 * @typedef {object} ResolverContext
 * @property {(variable: string) => Promise<string>} resolveVariable `self:service` and `sls:stage` resolve to strings
 */

/**
 * Athena's floor for BytesScannedCutoffPerQuery: "Valid Range: Minimum value of 10000000" (Athena API reference,
 * WorkGroupConfiguration). The spec schema (core/spec/schema.ts) enforces the same floor and the same default.
 */
const MIN_BYTES_SCANNED_CUTOFF = 10_000_000;
/** `features.bytesScannedCutoff` when a spec leaves it out: 10 GB, as in core/spec/schema.ts. */
const DEFAULT_BYTES_SCANNED_CUTOFF = 10_000_000_000;

/**
 * SageMaker caps a tuning job name at 32 characters and core/run/job-names.ts ends it with `-` and 12 hex
 * characters: a longer prefix would leave no room for the readable part (pipeline and step).
 */
const MAX_RESOURCE_PREFIX = 16;

/** A pipeline name as the spec schema takes it: 1-32 lowercase letters, digits and dashes, starting with a letter. */
const PIPELINE_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * The names of a stage's resources. Everything is lowercase: Glue stores database names in lowercase, and SageMaker
 * job names (and so their ARNs) are lowercase in core/run/job-names.ts. Throws on names AWS would refuse or a job
 * prefix too long.
 * @param {string} service
 * @param {string} stage
 * @returns {Readonly<StageNames>}
 */
function stageNames(service, stage) {
  const base = `${service}-${stage}`;
  if (!/^[a-z][a-z0-9-]*$/.test(base)) {
    throw new Error(`service and stage must be lowercase letters, digits and dashes ("${base}"): they name Glue, Athena and SageMaker resources`);
  }
  const prefix = `${base}-`;
  if (prefix.length > MAX_RESOURCE_PREFIX) {
    throw new Error(`"${prefix}" is longer than ${MAX_RESOURCE_PREFIX} characters: SageMaker tuning job names (32 at most) start with it`);
  }
  return Object.freeze({
    /** The stage's Glue database: `sluice_dev` (Glue and Athena take no dashes in database names). */
    glueDatabase: base.replaceAll('-', '_'),
    /** Crawlers are `<prefix><pipeline>`: `sluice-dev-churn`. */
    crawlerPrefix: prefix,
    /** Athena workgroups are `<prefix><pipeline>`: `sluice-dev-churn`. */
    workgroupPrefix: prefix,
    /**
     * core's RESOURCE_PREFIX: SageMaker training and tuning jobs (and endpoints, model package groups) of this stage
     * start with it, so IAM can tell them from other stages'.
     */
    resourcePrefix: prefix,
  });
}

/**
 * `churn-v2` -> `ChurnV2`, for logical ids.
 * @param {string} name
 * @returns {string}
 */
function pascal(name) {
  return name
    .split('-')
    .map((part) => `${part.charAt(0).toUpperCase()}${part.slice(1)}`)
    .join('');
}

/**
 * The pipelines in the deployment: every folder of pipelines/ with a pipeline.yml. Each gives its name, its catalog
 * table (the name with dashes as underscores, as core/run/naming.ts `tableName`), when it has a features section the
 * Athena bytes-scanned cutoff, and whether its runs register model candidates and deploy them. Fails packaging on a
 * spec whose name does not match its folder, or whose cutoff Athena would refuse.
 *
 * `registersModels` and `deploys` follow the run plan of core/steps/normalize-input.ts: a run trains only with both a
 * features and a training section, and EvaluateModel then registers every candidate, gate or no gate (a candidate the
 * gate rejects, or that has no gate to pass, is still recorded as Rejected); only a run that trained can reach Deploy,
 * and only with a deployment section.
 * @param {string} [root] the project, whose pipelines/ is read
 * @returns {Readonly<DeployedPipeline>[]}
 */
function deployedPipelines(root = ROOT) {
  const dir = path.join(root, 'pipelines');
  const folders = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(dir, entry.name, 'pipeline.yml')))
    .map((entry) => entry.name)
    .sort();
  const pipelines = folders.map((folder) => {
    const file = path.join(dir, folder, 'pipeline.yml');
    const spec = YAML.parse(fs.readFileSync(file, 'utf8')) ?? {};
    if (spec.name !== folder) throw new Error(`${path.relative(root, file)}: name "${spec.name}" must be the folder name "${folder}"`);
    if (!PIPELINE_NAME.test(folder)) throw new Error(`${path.relative(root, file)}: "${folder}" is not a pipeline name (1-32 lowercase letters, digits and dashes)`);
    const registersModels = Boolean(spec.features && spec.training);
    return Object.freeze({
      name: folder,
      id: pascal(folder),
      table: folder.replaceAll('-', '_'),
      partitionKeys: Object.freeze(['ingest_date', ...(spec.partitioning?.columns ?? [])]),
      features: spec.features ? Object.freeze({ bytesScannedCutoff: cutoffOf(spec.features, file, root) }) : undefined,
      registersModels,
      deploys: registersModels && Boolean(spec.deployment),
    });
  });
  const ids = new Set(pipelines.map((p) => p.id));
  if (ids.size !== pipelines.length) throw new Error(`pipeline names collide as logical ids: ${folders.join(', ')}`);
  return pipelines;
}

/**
 * The spec's cutoff, or the default; YAML may hold anything there, so it is checked here, not assumed.
 * @param {{ bytesScannedCutoff?: unknown }} features the spec's features section
 * @param {string} file
 * @param {string} root
 * @returns {number}
 */
function cutoffOf(features, file, root) {
  const cutoff = features.bytesScannedCutoff ?? DEFAULT_BYTES_SCANNED_CUTOFF;
  if (typeof cutoff !== 'number' || !Number.isSafeInteger(cutoff) || cutoff < MIN_BYTES_SCANNED_CUTOFF) {
    throw new Error(`${path.relative(root, file)}: features.bytesScannedCutoff must be a whole number of bytes, at least ${MIN_BYTES_SCANNED_CUTOFF} (Athena's minimum)`);
  }
  return cutoff;
}

/**
 * The stage's names and pipelines, from the serverless variable resolver.
 * @param {ResolverContext} context
 * @returns {Promise<Stage>}
 */
async function stageOf({ resolveVariable }) {
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  return { service, stage, names: stageNames(service, stage), pipelines: deployedPipelines() };
}

module.exports = {
  DEFAULT_BYTES_SCANNED_CUTOFF,
  MIN_BYTES_SCANNED_CUTOFF,
  deployedPipelines,
  pascal,
  stageNames,
  stageOf,
};
