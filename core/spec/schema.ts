import * as z from 'zod';
import { DEFAULT_QUALITY, qualitySchema } from '../quality/quality-spec.js';
import { isKnownTimezone, parseScheduleExpression } from '../schedule/schedule-expression.js';

/**
 * The pipeline spec: one YAML file per pipeline (`pipelines/<name>/pipeline.yml`). This module holds only the
 * schema; `load-spec.ts` reads, validates and freezes it. The format is documented in `docs/pipeline-spec.md`.
 */

/** Prefixes the workflow writes to. A drop prefix may not overlap any of them, or a run could trigger itself. */
export const OUTPUT_PREFIXES = ['raw/', 'curated/', 'quarantine/', 'ingest/', 'features/', 'models/', 'runs/', 'registry/', 'athena/', 'notifications/', 'scoring/', 'predictions/', 'profiles/'] as const;

/** The only prefix whose uploads start runs. */
export const DROP_ZONE_PREFIX = 'incoming/';

/** The scoring drop zone: a file under `score/<pipeline>/` starts the scoring workflow (state-machines/sluice-score.asl.json). */
export const SCORING_DROP_ZONE_PREFIX = 'score/';

/** A column or table name: lowercase snake case, as Glue and Athena store them, so nothing is silently renamed. */
export const IDENTIFIER_PATTERN = /^[a-z_][a-z0-9_]{0,127}$/;

const identifier = z
  .string()
  .regex(IDENTIFIER_PATTERN, 'must be lowercase letters, digits and underscores, starting with a letter or underscore');

/** Column types a contract can declare, with the SQL type each is stored as. */
export const COLUMN_TYPES = {
  string: 'VARCHAR',
  integer: 'BIGINT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
} as const;

/** One of the column types a contract can declare. */
export type ColumnType = keyof typeof COLUMN_TYPES;

const columnTypeNames = Object.keys(COLUMN_TYPES) as [ColumnType, ...ColumnType[]];

const scalar = z.union([z.string(), z.number(), z.boolean()]);

const columnSchema = z
  .object({
    name: identifier,
    sourceName: z.string().min(1).max(1024).optional().describe('the name in the file (CSV header or JSON key) when it differs from name'),
    type: z.enum(columnTypeNames),
    required: z.boolean().default(true).describe('the header must contain the column'),
    nullable: z.boolean().default(true).describe('an empty value (or one of nullValues) is accepted'),
    allowed: z.array(scalar).min(1).optional(),
    min: z.union([z.number(), z.string()]).optional(),
    max: z.union([z.number(), z.string()]).optional(),
    pattern: z
      .string()
      .refine((p) => isValidRegex(p), 'must be a valid regular expression')
      .optional()
      .describe('the whole value must match'),
    maxLength: z.number().int().positive().optional(),
    description: z.string().optional(),
  })
  .strict()
  .superRefine((column, ctx) => {
    const textOnly = column.type !== 'string';
    if (textOnly && column.pattern !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['pattern'], message: `pattern applies to string columns, not ${column.type}` });
    }
    if (textOnly && column.maxLength !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['maxLength'], message: `maxLength applies to string columns, not ${column.type}` });
    }
    const ordered = column.type === 'integer' || column.type === 'double' || column.type === 'date' || column.type === 'timestamp';
    for (const bound of ['min', 'max'] as const) {
      if (column[bound] !== undefined && !ordered) {
        ctx.addIssue({ code: 'custom', path: [bound], message: `${bound} applies to numeric, date and timestamp columns, not ${column.type}` });
      }
    }
  });

function isValidRegex(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

const csvOptionsSchema = z
  .object({
    delimiter: z.string().min(1).max(4).default(','),
    quote: z.string().length(1).default('"'),
    escape: z.string().length(1).default('"'),
    nullValues: z.array(z.string()).default(['']),
    header: z.boolean().default(true).describe('false: the file has no header; its fields are the contract columns, in order'),
  })
  .strict();

/**
 * The object size above which a file is ingested on Fargate rather than in Lambda: 2 GiB. Lambda gives one invocation
 * 15 minutes and at most 10,240 MB of /tmp (Lambda developer guide, "Lambda quotas"); the issue's measured Lambda rate
 * is about 5 GiB of CSV, or 2 GB of gzip CSV, in those 15 minutes, and the threshold is on the stored size, so 2 GiB
 * keeps a gzip file (about 5 GiB once read) inside the budget and leaves plain CSV 2.5 times its measured room. The
 * arithmetic is in docs/scaling.md.
 */
export const DEFAULT_LARGE_FILE_BYTES = 2 * 1024 ** 3;

const sourceSchema = z
  .object({
    format: z.enum(['csv', 'jsonl']),
    prefix: z
      .string()
      .refine((p) => !p.split('/').includes('..'), 'may not contain a ".." segment')
      .refine((p) => !p.startsWith('/'), 'may not be absolute (start with "/")')
      .refine((p) => !p.includes('\\'), 'may not contain a backslash')
      .optional()
      .describe('drop prefix; defaults to incoming/<name>/'),
    suffixes: z.array(z.string().min(1)).optional().describe('object key endings the pipeline takes; defaults by format'),
    matchNames: z.enum(['exact', 'case-insensitive']).default('exact').describe('how header names (or JSON keys) are matched to columns'),
    csv: csvOptionsSchema.default({ delimiter: ',', quote: '"', escape: '"', nullValues: [''], header: true }),
    largeFileBytes: z
      .number()
      .int()
      .min(1)
      .default(DEFAULT_LARGE_FILE_BYTES)
      .describe('an input object larger than this (bytes, as stored: gzip counts compressed) is ingested by a Fargate task, not a Lambda function (docs/scaling.md)'),
  })
  .strict();

const partitioningSchema = z
  .object({
    columns: z.array(identifier).max(3).default([]),
  })
  .strict();

const catalogSchema = z
  .object({
    pollSeconds: z.number().int().min(1).max(300).default(30),
    timeoutSeconds: z.number().int().min(60).max(86_400).default(1800),
  })
  .strict();

const featuresSchema = z
  .object({
    query: z.string().default('features.sql').describe('file beside pipeline.yml holding one SELECT, label first'),
    splitKey: z
      .array(identifier)
      .min(1)
      .optional()
      .describe('columns whose hash keeps rows of one entity on one side of the split; absent: a row-based split'),
    validationRatio: z.number().gt(0).lt(1).default(0.2),
    stratify: z.boolean().default(false).describe("row-based split only: the validation share is taken within each of the label's values"),
    pollSeconds: z.number().int().min(1).max(300).default(5),
    timeoutSeconds: z.number().int().min(60).max(86_400).default(1800),
    bytesScannedCutoff: z.number().int().min(10_000_000).default(10_000_000_000),
  })
  .strict();

const hyperparameterValue = z.union([z.string(), z.number(), z.boolean()]);

const trainingSchema = z
  .object({
    algorithm: z.enum(['xgboost', 'blazingtext']).default('xgboost'),
    hyperparameters: z.record(z.string(), hyperparameterValue).default({}),
    instanceType: z.string().optional().describe('default: ml.m5.xlarge for xgboost, ml.c5.xlarge for blazingtext'),
    instanceCount: z.number().int().min(1).max(20).default(1),
    volumeSizeGb: z.number().int().min(1).max(512).default(10),
    maxRuntimeSeconds: z.number().int().min(60).max(432_000).default(3600),
    useSpot: z.boolean().default(false),
    maxWaitSeconds: z.number().int().min(60).optional(),
    pollSeconds: z.number().int().min(5).max(600).default(30),
  })
  .strict()
  // BlazingText supervised mode does not train on M5: "a C5 instance is recommended if the training dataset is less
  // than 2 GB" (SageMaker developer guide, BlazingText algorithm, EC2 Instance Recommendation).
  .transform((training) => ({ ...training, instanceType: training.instanceType ?? (training.algorithm === 'blazingtext' ? 'ml.c5.xlarge' : 'ml.m5.xlarge') }));

const rangeSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('continuous'), min: z.number(), max: z.number(), scaling: z.enum(['Auto', 'Linear', 'Logarithmic', 'ReverseLogarithmic']).default('Auto') }).strict(),
  z.object({ type: z.literal('integer'), min: z.number().int(), max: z.number().int(), scaling: z.enum(['Auto', 'Linear', 'Logarithmic', 'ReverseLogarithmic']).default('Auto') }).strict(),
  z.object({ type: z.literal('categorical'), values: z.array(z.string()).min(1) }).strict(),
]);

const tuningSchema = z
  .object({
    enabled: z.boolean().default(false),
    strategy: z.enum(['Bayesian', 'Random', 'Hyperband', 'Grid']).default('Bayesian'),
    objective: z.object({ metric: z.string(), direction: z.enum(['Maximize', 'Minimize']) }).strict(),
    ranges: z.record(z.string(), rangeSchema),
    maxJobs: z.number().int().min(1).max(500).default(10),
    maxParallelJobs: z.number().int().min(1).max(100).default(2),
    earlyStopping: z.boolean().default(true),
  })
  .strict();

const gateSchema = z
  .object({
    metric: z.string(),
    direction: z.enum(['Maximize', 'Minimize']),
    minimum: z.number().optional().describe('absolute bar (a maximum for Minimize metrics)'),
    minImprovement: z.number().min(0).default(0),
  })
  .strict();

const deploymentSchema = z
  .object({
    mode: z.enum(['realtime', 'serverless']).default('serverless'),
    instanceType: z.string().default('ml.m5.large'),
    instanceCount: z.number().int().min(1).default(1),
    serverlessMemoryMb: z.number().int().min(1024).max(6144).multipleOf(1024, 'must be 1024, 2048, 3072, 4096, 5120 or 6144').default(2048),
    serverlessMaxConcurrency: z.number().int().min(1).max(200).default(5),
    trafficShift: z.enum(['all-at-once', 'canary', 'linear']).default('canary'),
    keepVersions: z.number().int().min(1).max(20).default(3),
  })
  .strict();

/**
 * `schedule:` a scheduled retraining on the curated data already in the lake: one EventBridge Scheduler schedule in
 * the cloud (deploy/schedules.js), `sluice schedule` locally; the expression is Scheduler's (core/schedule/).
 */
const scheduleSchema = z
  .object({
    expression: z.string().superRefine((expression, ctx) => {
      try {
        parseScheduleExpression(expression);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
      }
    }),
    timezone: z
      .string()
      .default('UTC')
      .refine((tz) => isKnownTimezone(tz), 'must be an IANA time zone such as UTC or Europe/Paris')
      .describe('the zone Scheduler evaluates a cron expression in (ScheduleExpressionTimezone)'),
    enabled: z.boolean().default(true),
    whenNoNewData: z
      .enum(['skip', 'retrain'])
      .default('skip')
      .describe('a scheduled run with no curated data newer than the production model: skip it, or retrain anyway'),
  })
  .strict();

/** `notifications:` where a finished run is announced besides the stage's SNS topic. */
const notificationsSchema = z
  .object({
    webhookUrl: z
      .string()
      .url()
      .refine((u) => /^https?:\/\//.test(u), 'must be an http or https URL')
      .optional()
      .describe('locally, every run notification is POSTed here as JSON (a failure is logged, never fails the run)'),
  })
  .strict();

/** `scoring:` how batch scoring labels its predictions (docs/pipeline-spec.md, "scoring"). */
const scoringSchema = z
  .object({
    idColumns: z
      .array(identifier)
      .max(16)
      .default([])
      .describe('contract columns carried through to the predictions (besides source_row, the row number in the scoring file)'),
  })
  .strict();

/** The schema of `pipeline.yml`. */
export const pipelineSpecSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be 1-32 lowercase letters, digits and dashes, starting with a letter'),
    description: z.string().optional(),
    source: sourceSchema,
    contract: z
      .object({
        unknownColumns: z.enum(['reject', 'drop']).default('reject'),
        columns: z.array(columnSchema).min(1),
      })
      .strict(),
    partitioning: partitioningSchema.default({ columns: [] }),
    catalog: catalogSchema.default({ pollSeconds: 30, timeoutSeconds: 1800 }),
    features: featuresSchema.optional(),
    training: trainingSchema.optional(),
    tuning: tuningSchema.optional(),
    gate: gateSchema.optional(),
    deployment: deploymentSchema.optional(),
    schedule: scheduleSchema.optional(),
    notifications: notificationsSchema.optional(),
    scoring: scoringSchema.optional(),
    quality: qualitySchema.default(DEFAULT_QUALITY).describe('data profiles, constraints, drift and bias (docs/data-quality.md)'),
  })
  .strict();

/** A pipeline spec as written in YAML, before defaults. */
export type PipelineSpecInput = z.input<typeof pipelineSpecSchema>;
/** A column of the data contract, defaults applied. */
export type ContractColumn = z.output<typeof columnSchema>;
/** CSV reading options, defaults applied. */
export type CsvOptions = z.output<typeof csvOptionsSchema>;
