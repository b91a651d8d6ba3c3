'use strict';

/**
 * Champion/challenger in the cloud (issue 12): the functions of the evaluation transform states between training and
 * EvaluateModel (StartEvaluationTransform, DescribeEvaluationTransform, ComputeEvaluationMetrics;
 * core/evaluation/evaluation-jobs.ts), rows spread into deploy/functions.js's table, each with its least-privilege
 * role. The transform jobs themselves run as the stage's model role (deploy/hosting.js), which already reads models/
 * and reads and writes scoring/, where the evaluation input and outputs live (`scoring/<pipeline>/evaluations/<runId>/`,
 * core/run/lake-layout.ts).
 */

const hosting = require('./hosting.js');
const { lake } = require('./iam.js');
const { transformStatements: scoringTransformStatements } = require('./scoring.js');

/** @typedef {import('./stage.js').Stage} Stage */
/** @typedef {import('./iam.js').Statement} Statement */

/**
 * The evaluation prefixes of the stage's pipelines.
 * @param {Stage} stage
 */
const evaluationPrefixes = ({ pipelines }) => pipelines.map((p) => `scoring/${p.name}/evaluations/`);

/**
 * The candidate's insights.json of the stage's pipelines, beside its artifact: SageMaker writes the artifact at
 * `<S3OutputPath>/<training job>/output/model.tar.gz` (OutputDataConfig, `models/<pipeline>/`: "Amazon SageMaker
 * creates subfolders for model artifacts", SageMaker API reference, TrainingJob OutputDataConfig), so the job folder is
 * a wildcard: "The asterisk (*) character can expand to replace everything within a segment, including characters
 * like a forward slash (/)" (IAM user guide, "IAM JSON policy elements: Resource", wildcards). Exactly that key, as a
 * prefix (core/report/model-insights.ts `insightsKeyOf`): ComputeEvaluationMetrics writes it, RecordRun reads it
 * (deploy/functions.js), and neither touches model.tar.gz.
 * @param {Stage} stage
 */
const insightsPrefixes = ({ pipelines }) => pipelines.map((p) => `models/${p.name}/*/output/insights.json`);

/**
 * The feature sets of the stage's pipelines (the validation channel the transform input is written from).
 * @param {Stage} stage
 */
const featurePrefixes = ({ pipelines }) => pipelines.map((p) => `features/${p.name}/`);

/**
 * Starting and polling the jobs: the scoring workflow's transform statements (deploy/scoring.js: the registry's
 * production version, CreateModel and the transform job on the stage's names, AddTags, iam:PassRole of the model role
 * to SageMaker only); S3: read and list the validation channel, write the transform input.
 * @param {Stage} stage
 * @returns {Statement[]}
 */
function transformStatements(stage) {
  return [
    ...scoringTransformStatements(stage),
    lake.read(...featurePrefixes(stage)),
    lake.listUnder(...featurePrefixes(stage)),
    lake.write(...evaluationPrefixes(stage)),
  ];
}

/**
 * The environment of the functions that start jobs: the model role the jobs' models run as, the stage's prefix.
 * @param {Stage} stage
 */
const transformEnvironment = ({ names }) => ({ SAGEMAKER_MODEL_ROLE_ARN: { 'Fn::GetAtt': [hosting.MODEL_ROLE, 'Arn'] }, RESOURCE_PREFIX: names.resourcePrefix });

/**
 * What StartEvaluationTransform and DescribeEvaluationTransform share: Start writes the transform input with DuckDB (as
 * WritePredictions reads with it), so DuckDB's native package and WritePredictions' size; Describe may start the jobs
 * again after a redrive, so it carries the same.
 */
const TRANSFORM_FUNCTION = {
  memorySize: 1769,
  timeout: 900,
  ephemeralStorageSize: 10240,
  specs: true,
  nativePackages: ['@duckdb/node-api'],
  environment: transformEnvironment,
  statements: transformStatements,
};

/**
 * The evaluation functions: rows of deploy/functions.js's table (folder → entry).
 * @type {Record<string, import('./functions.js').FunctionEntry>}
 */
const EVALUATION_FUNCTIONS = {
  'start-evaluation-transform': {
    description: "StartEvaluationTransform: Batch Transform of the candidate's validation set with the production model and the candidate",
    ...TRANSFORM_FUNCTION,
  },
  'describe-evaluation-transform': {
    description: 'DescribeEvaluationTransform: one poll of the evaluation transforms; starts them again in a redriven execution',
    ...TRANSFORM_FUNCTION,
  },
  'compute-evaluation-metrics': {
    description: "ComputeEvaluationMetrics: each model's full evaluation on the candidate's set from the transforms' outputs",
    // Reads label and answer lines only (no DuckDB): an orchestration function's size.
    memorySize: 512,
    timeout: 60,
    specs: true,
    // The candidate's plot data for the run report (issue 14): written beside its artifact, nothing else under models/.
    statements: (stage) => [lake.read(...evaluationPrefixes(stage)), lake.listUnder(...evaluationPrefixes(stage)), lake.write(...insightsPrefixes(stage))],
  },
};

module.exports = { EVALUATION_FUNCTIONS, insightsPrefixes };
