'use strict';

/**
 * The catalog and the query engine of a stage, generated from the pipelines in the deployment (deploy/stage.js):
 *
 * - one Glue database per stage (`sluice_<stage>`);
 * - one Glue table per pipeline, named as core/run/naming.ts `tableName` names it, over `curated/<pipeline>/`, and one
 *   crawler per pipeline that keeps that table up to date, with a role of its own that may read that prefix only;
 * - one Athena workgroup per pipeline with a features section, with its result location, encryption and the spec's
 *   bytes-scanned cutoff enforced.
 *
 * serverless.yml loads it as `resources: - Resources: ${file(deploy/catalog.js):resources}`.
 */

const { LAKE_BUCKET, allow, glue, lake, logs } = require('./iam.js');
const { stageOf } = require('./stage.js');

/** @typedef {import('./iam.js').GeneratedResource} GeneratedResource */
/** @typedef {import('./stage.js').DeployedPipeline} DeployedPipeline */
/** @typedef {import('./stage.js').StageNames} StageNames */

/** Crawlers write to this log group, one stream per crawler (the managed AWSGlueServiceRole grants `/aws-glue/*`). */
const CRAWLER_LOG_GROUP = '/aws-glue/crawlers';

/**
 * Crawler configuration (a JSON string in CloudFormation):
 * - Partitions inherit the table's schema, so a partition written before a column was added is still read with the
 *   table's columns, and every partition keeps the table's Parquet SerDe.
 * - Compatible schemas combine into one table per include path: curated/<pipeline>/ is one table whatever partition
 *   folders it holds, never `contract_month_to_month`-style tables per folder.
 * - No partition index: crawler tables do not enable `partition_filtering.enabled`, so Athena would not use one, and
 *   creating it would need glue:CreatePartitionIndex on top (the default is true).
 * Sources: https://docs.aws.amazon.com/glue/latest/dg/crawler-configuration.html,
 * https://docs.aws.amazon.com/glue/latest/dg/crawler-configure-partition-indexes.html
 */
const CRAWLER_CONFIGURATION = [
  // Written out rather than JSON.stringify'd, which would print the documented `"Version": 1.0` as 1.
  '{"Version":1.0,',
  '"CrawlerOutput":{"Partitions":{"AddOrUpdateBehavior":"InheritFromTable"}},',
  '"Grouping":{"TableGroupingPolicy":"CombineCompatibleSchemas"},',
  '"CreatePartitionIndex":false}',
].join('');

/**
 * Recrawl everything on every run. ValidateAndPartition rewrites partitions in place (deterministic file names: a
 * re-run replaces files, it never adds folders), so CRAWL_NEW_FOLDERS_ONLY would not see a new column in an existing
 * partition and forces both schema-change behaviours to LOG; CRAWL_EVENT_MODE needs an SQS queue of S3 events. A
 * crawl of one pipeline's prefix is small, and a crawl bills at least 10 minutes either way.
 * https://docs.aws.amazon.com/glue/latest/dg/incremental-crawls.html
 */
const RECRAWL_POLICY = { RecrawlBehavior: 'CRAWL_EVERYTHING' };

/**
 * - UPDATE_IN_DATABASE: a column added to the spec's contract lands in the table on the next crawl (with LOG it would
 *   only be logged, and Athena would never see it).
 * - LOG on deletes: the data contract, not the crawler, decides what a table is. A partition folder or a column that
 *   disappears from S3 (an emptied partition, a retention job) leaves the catalog as it is: Athena lists S3 at query
 *   time, so a stale partition reads as no rows; DEPRECATE_IN_DATABASE or DELETE_FROM_DATABASE would let a crawl over a
 *   half-written prefix mark or drop the table the feature query reads. It also keeps the crawler's role free of any
 *   delete action.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-glue-crawler-schemachangepolicy.html
 */
const SCHEMA_CHANGE_POLICY = { UpdateBehavior: 'UPDATE_IN_DATABASE', DeleteBehavior: 'LOG' };

/**
 * Why the table is defined here and the crawler is given it (a catalog target) rather than an S3 path:
 *
 * A crawler over an S3 path names the table after the folder ("The name of the table is based on the Amazon S3 prefix
 * or folder name", https://docs.aws.amazon.com/glue/latest/dg/crawler-s3-folder-table-partition.html): for a pipeline
 * `churn-v2` that is `churn-v2`, while Athena supports no special character but `_` in table names
 * (https://docs.aws.amazon.com/athena/latest/ug/tables-databases-columns-names.html) and the code reads `churn_v2`.
 * The documentation says nothing of a crawler rewriting `-`, and its only naming option, TablePrefix, only prepends.
 * Refusing `-` in pipeline names would break every spec that uses one today (core/spec/schema.ts allows it, and
 * SageMaker resource names allow `-` but not `_`). So the table is named by us: an AWS::Glue::Table named
 * `tableName(pipeline)` over `curated/<pipeline>/`, and a crawler whose target is that table. "A common reason to
 * specify a catalog table as the source is when you create the table manually … and you want a crawler to keep the
 * table updated, including adding new partitions"
 * (https://docs.aws.amazon.com/glue/latest/dg/define-crawler-choose-data-sources.html); such a crawler must have
 * `DeleteBehavior: LOG`, which SCHEMA_CHANGE_POLICY already holds. The crawler still adds the columns it finds
 * (UPDATE_IN_DATABASE), so the template lists none: it gives the name, the location, the Parquet formats and the Hive
 * partition keys (typed string, as a crawler types them, and as the local catalog does). CloudFormation rewrites the
 * table only when this definition changes (a new partition column), and the next crawl adds the columns back.
 * The local catalog (local/adapters/local-catalog.ts) writes its record under the same `tableName`.
 */

/** What a crawler reads in the catalog: the database and its tables (it matches what it finds against them). */
const CRAWLER_CATALOG_READ = ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartition', 'glue:GetPartitions', 'glue:BatchGetPartition'];
/**
 * What a crawler writes: its own table (which it updates, never creates: the template does) and that table's
 * partitions; nothing is ever deleted (DeleteBehavior LOG).
 */
const CRAWLER_CATALOG_WRITE = [
  'glue:UpdateTable',
  'glue:CreatePartition',
  'glue:BatchCreatePartition',
  'glue:UpdatePartition',
  'glue:BatchUpdatePartition',
];

/** Logical ids of the generated resources, shared with deploy/functions.js. */
const ids = {
  database: 'GlueDatabase',
  /** @param {DeployedPipeline} pipeline */
  table: (pipeline) => `GlueTable${pipeline.id}`,
  /** @param {DeployedPipeline} pipeline */
  crawler: (pipeline) => `GlueCrawler${pipeline.id}`,
  /** @param {DeployedPipeline} pipeline */
  crawlerRole: (pipeline) => `GlueCrawler${pipeline.id}Role`,
  /** @param {DeployedPipeline} pipeline */
  workgroup: (pipeline) => `AthenaWorkGroup${pipeline.id}`,
};

/**
 * Where a pipeline's Athena query results (and UNLOAD's metadata and manifest files) go.
 * @param {DeployedPipeline} pipeline
 * @returns {string}
 */
function resultsPrefix(pipeline) {
  return `athena/${pipeline.name}/`;
}

/**
 * The stage's Glue database.
 * @param {StageNames} names
 * @returns {GeneratedResource}
 */
function database(names) {
  return {
    Type: 'AWS::Glue::Database',
    Properties: {
      CatalogId: { Ref: 'AWS::AccountId' },
      DatabaseInput: {
        Name: names.glueDatabase,
        Description: 'Sluice: one table per pipeline, crawled from curated/<pipeline>/',
      },
    },
  };
}

/**
 * The crawler's own role: Glue assumes it; it reads curated/<pipeline>/ and nothing else of the lake, reads the
 * stage's database and tables, writes its own table and partitions, and writes its crawler's log stream.
 * @param {StageNames} names
 * @param {DeployedPipeline} pipeline
 * @returns {GeneratedResource}
 */
function crawlerRole(names, pipeline) {
  const crawlerName = `${names.crawlerPrefix}${pipeline.name}`;
  const prefix = `curated/${pipeline.name}/`;
  const catalog = glue.catalog();
  const db = glue.database(names.glueDatabase);
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: `Glue crawler ${crawlerName}: reads ${prefix}, updates table ${names.glueDatabase}.${pipeline.table}`,
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: ['glue.amazonaws.com'] }, Action: ['sts:AssumeRole'] }],
      },
      Policies: [
        {
          PolicyName: crawlerName,
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              lake.read(prefix),
              lake.listUnder(prefix),
              // A table's actions also need its ancestors, the database and the catalog (Athena user guide,
              // "Configure access to databases and tables in the AWS Glue Data Catalog").
              allow(CRAWLER_CATALOG_READ, [catalog, db, glue.table(names.glueDatabase, '*')]),
              allow(CRAWLER_CATALOG_WRITE, [catalog, db, glue.table(names.glueDatabase, pipeline.table)]),
              // The log group is shared by every crawler of the account, so the crawler may create it; it writes only
              // streams named after itself.
              allow(['logs:CreateLogGroup'], [logs.group(CRAWLER_LOG_GROUP), logs.groupStar(CRAWLER_LOG_GROUP)]),
              allow(['logs:CreateLogStream', 'logs:PutLogEvents'], [logs.streams(CRAWLER_LOG_GROUP, crawlerName)]),
            ],
          },
        },
      ],
    },
  };
}

/**
 * The pipeline's table over curated/<pipeline>/, named as the code reads it (see the note above CRAWLER_CATALOG_READ).
 * @param {DeployedPipeline} pipeline
 * @returns {GeneratedResource}
 */
function table(pipeline) {
  return {
    Type: 'AWS::Glue::Table',
    Properties: {
      CatalogId: { Ref: 'AWS::AccountId' },
      DatabaseName: { Ref: ids.database },
      TableInput: {
        Name: pipeline.table,
        Description: `Pipeline ${pipeline.name}: curated Parquet, columns added by its crawler`,
        TableType: 'EXTERNAL_TABLE',
        Parameters: { classification: 'parquet' },
        PartitionKeys: pipeline.partitionKeys.map((Name) => ({ Name, Type: 'string' })),
        StorageDescriptor: {
          Location: { 'Fn::Sub': `s3://\${${LAKE_BUCKET}}/curated/${pipeline.name}/` },
          InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
          SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
        },
      },
    },
  };
}

/**
 * The pipeline's crawler over its table (so over curated/<pipeline>/), started by the workflow.
 * @param {StageNames} names
 * @param {DeployedPipeline} pipeline
 * @returns {GeneratedResource}
 */
function crawler(names, pipeline) {
  return {
    Type: 'AWS::Glue::Crawler',
    Properties: {
      Name: `${names.crawlerPrefix}${pipeline.name}`,
      Description: `Crawls curated/${pipeline.name}/ (Parquet, Hive partitions) into ${names.glueDatabase}.${pipeline.table}; started by the workflow, never on a schedule`,
      Role: { 'Fn::GetAtt': [ids.crawlerRole(pipeline), 'Arn'] },
      DatabaseName: { Ref: ids.database },
      // The table's Ref is its name: the crawler is created after it, and crawls its location.
      Targets: { CatalogTargets: [{ DatabaseName: { Ref: ids.database }, Tables: [{ Ref: ids.table(pipeline) }] }] },
      RecrawlPolicy: RECRAWL_POLICY,
      SchemaChangePolicy: SCHEMA_CHANGE_POLICY,
      Configuration: CRAWLER_CONFIGURATION,
    },
  };
}

/**
 * One workgroup per pipeline, so each query runs under its own spec's cutoff (a stage-wide workgroup could only
 * enforce the largest). EnforceWorkGroupConfiguration makes the result location and encryption hold whatever a
 * client asks; UNLOAD writes its data files where the statement says, and its metadata and manifest to the result
 * location, encrypted as the workgroup says.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-athena-workgroup-workgroupconfiguration.html
 */
/**
 * @param {StageNames} names
 * @param {DeployedPipeline} pipeline a pipeline with a features section
 * @returns {GeneratedResource}
 */
function workgroup(names, pipeline) {
  const { features } = pipeline;
  if (!features) throw new Error(`pipeline ${pipeline.name} has no features section, so no Athena workgroup`);
  return {
    Type: 'AWS::Athena::WorkGroup',
    Properties: {
      Name: `${names.workgroupPrefix}${pipeline.name}`,
      Description: `Feature queries of pipeline ${pipeline.name}`,
      State: 'ENABLED',
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: features.bytesScannedCutoff,
        PublishCloudWatchMetricsEnabled: true,
        // The local runner's Trino-compatibility layer targets engine version 3; AUTO could move queries under it.
        EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
        ResultConfiguration: {
          OutputLocation: { 'Fn::Sub': `s3://\${${LAKE_BUCKET}}/${resultsPrefix(pipeline)}` },
          EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
          // Results are never written to a bucket of another account, even if the lake bucket's name were taken over.
          ExpectedBucketOwner: { Ref: 'AWS::AccountId' },
        },
      },
    },
  };
}

/** The Glue database, one table, crawler and crawler role per pipeline, one workgroup per pipeline with features. */
/**
 * @param {StageNames} names
 * @param {readonly DeployedPipeline[]} pipelines
 * @returns {Record<string, GeneratedResource>}
 */
function catalogResources(names, pipelines) {
  /** @type {Record<string, GeneratedResource>} */
  const resources = { [ids.database]: database(names) };
  for (const pipeline of pipelines) {
    resources[ids.table(pipeline)] = table(pipeline);
    resources[ids.crawlerRole(pipeline)] = crawlerRole(names, pipeline);
    resources[ids.crawler(pipeline)] = crawler(names, pipeline);
    if (pipeline.features) resources[ids.workgroup(pipeline)] = workgroup(names, pipeline);
  }
  return resources;
}

module.exports = {
  CRAWLER_CONFIGURATION,
  ids,
  resultsPrefix,
  catalogResources,
  /**
   * `resources.Resources` of serverless.yml.
   * @param {import('./stage.js').ResolverContext} context
   */
  resources: async (context) => {
    const { names, pipelines } = await stageOf(context);
    return catalogResources(names, pipelines);
  },
};
