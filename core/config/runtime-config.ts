import path from 'node:path';
import * as z from 'zod';
import { ConfigurationError } from '../errors.js';

const environmentSchema = z.object({
  LAKE_BUCKET: z.string().min(3, 'LAKE_BUCKET must name the lake bucket'),
  PIPELINES_DIR: z.string().optional(),
  STATE_MACHINE_ARN: z.string().startsWith('arn:').optional(),
  UPLOAD_QUEUE_URL: z.string().url().optional(),
  WORK_DIR: z.string().default('/tmp/sluice'),
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: z.coerce.number().int().positive().optional(),
  LAMBDA_TASK_ROOT: z.string().optional(),
  DUCKDB_THREADS: z.coerce.number().int().min(1).max(64).optional(),
  GLUE_DATABASE: z.string().regex(/^[a-z0-9_]{1,255}$/, 'GLUE_DATABASE must be a lowercase Glue database name').default('sluice'),
  CRAWLER_PREFIX: z.string().default('sluice-'),
  ATHENA_WORKGROUP_PREFIX: z.string().default('sluice-'),
  SAGEMAKER_ROLE_ARN: z.string().startsWith('arn:').optional(),
  SAGEMAKER_MODEL_ROLE_ARN: z.string().startsWith('arn:').optional(),
  AWS_REGION: z.string().default('us-east-1'),
  RESOURCE_PREFIX: z.string().regex(/^[a-z0-9-]{1,30}$/, 'RESOURCE_PREFIX must be lowercase letters, digits and dashes').optional(),
  NOTIFICATION_TOPIC_ARN: z.string().startsWith('arn:').optional(),
});

/** Configuration of a Lambda function, read once from the environment. */
export interface RuntimeConfig {
  readonly lakeBucket: string;
  readonly pipelinesDir: string;
  /** Where the function's zip is unpacked (`LAMBDA_TASK_ROOT`): files shipped by package patterns are read from it. */
  readonly taskRoot: string;
  readonly stateMachineArn: string | undefined;
  /** The coalescing queue of upload events start-run drains (deploy/coalescing.js). */
  readonly uploadQueueUrl: string | undefined;
  readonly workDir: string;
  readonly duckdb: { readonly threads: number; readonly memoryLimit: string };
  readonly names: { readonly database: string; readonly crawlerPrefix: string; readonly workgroupPrefix: string };
  /** The role SageMaker training and tuning jobs run as (reads features/, writes models/). */
  readonly sagemakerRoleArn: string | undefined;
  /** The role deployed models run as (reads models/). */
  readonly sagemakerModelRoleArn: string | undefined;
  readonly region: string;
  /** Prefix of the stage's jobs, endpoints, model package groups and alarms: `sluice-<stage>-`. */
  readonly resourcePrefix: string | undefined;
  /** The stage's SNS topic for run notifications (RecordRun, RecordFailure); absent: none is published. */
  readonly notificationTopicArn: string | undefined;
}

/**
 * Reads and validates a Lambda function's environment once; this module is the only place that reads `process.env`
 * (here, and in {@link loadLocalSettings} for the local runtime). Fails fast, naming every missing or malformed
 * variable. DuckDB gets 60% of the function's memory: the rest is Node's and the SDK's.
 */
export function loadRuntimeConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigurationError(`Invalid function configuration: ${problems}`);
  }
  const e = parsed.data;
  const memoryMb = e.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? 2048;
  // Lambda gives one vCPU per 1,769 MB of memory.
  const threads = e.DUCKDB_THREADS ?? Math.max(1, Math.min(6, Math.round(memoryMb / 1769)));
  return Object.freeze({
    lakeBucket: e.LAKE_BUCKET,
    pipelinesDir: e.PIPELINES_DIR ?? path.join(e.LAMBDA_TASK_ROOT ?? process.cwd(), 'pipelines'),
    taskRoot: e.LAMBDA_TASK_ROOT ?? process.cwd(),
    stateMachineArn: e.STATE_MACHINE_ARN,
    uploadQueueUrl: e.UPLOAD_QUEUE_URL,
    workDir: e.WORK_DIR,
    duckdb: Object.freeze({ threads, memoryLimit: `${Math.floor(memoryMb * 0.6)}MB` }),
    names: Object.freeze({ database: e.GLUE_DATABASE, crawlerPrefix: e.CRAWLER_PREFIX, workgroupPrefix: e.ATHENA_WORKGROUP_PREFIX }),
    sagemakerRoleArn: e.SAGEMAKER_ROLE_ARN,
    sagemakerModelRoleArn: e.SAGEMAKER_MODEL_ROLE_ARN,
    region: e.AWS_REGION,
    resourcePrefix: e.RESOURCE_PREFIX,
    notificationTopicArn: e.NOTIFICATION_TOPIC_ARN,
  });
}

const localEnvironmentSchema = z.object({
  // A blank value counts as unset: `XGBOOST_LIBRARY= sluice run ...` must not point at a file named ''.
  XGBOOST_LIBRARY: z
    .string()
    .optional()
    .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim())),
});

/** Settings of the local runtime (the sluice command, the local trainer, tests and benchmarks), read from the environment. */
export interface LocalSettings {
  /** `XGBOOST_LIBRARY`: an explicit path to `libxgboost.so`; the usual install locations are searched when undefined. */
  readonly xgboostLibrary: string | undefined;
}

/**
 * Reads the local runtime's settings from the environment; with {@link loadRuntimeConfig}, the only reader of
 * `process.env`. Entry points read them and pass the values down.
 * @example
 * const { xgboostLibrary } = loadLocalSettings();
 * trainXgboost(request, { libraryPath: xgboostLibrary });
 */
export function loadLocalSettings(env: NodeJS.ProcessEnv = process.env): LocalSettings {
  const parsed = localEnvironmentSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigurationError(`Invalid local configuration: ${problems}`);
  }
  return Object.freeze({ xgboostLibrary: parsed.data.XGBOOST_LIBRARY });
}
