import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';

/** The project root: where serverless.yml is. */
export const ROOT = path.resolve(__dirname, '..', '..');

/** A JSON value, as the CloudFormation template holds them. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A resource of the template. */
export interface CfnResource {
  Type: string;
  Properties: Record<string, Json>;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

/** The packaged CloudFormation template (the parts the tests read). */
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, Json>;
}

/** An IAM policy statement. */
export interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource?: Json;
  Principal?: Json;
  Condition?: Json;
}

const run = promisify(execFile);

/**
 * Runs `osls package --stage dev` into `outDir` the way CI or a laptop without an AWS account would: every AWS_*
 * variable removed, no config or credentials file, no instance metadata. Fails with osls's own output.
 */
export async function packageService(outDir: string, extraArgs: readonly string[] = []): Promise<void> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('AWS_')) env[key] = value;
  Object.assign(env, {
    AWS_CONFIG_FILE: path.join(outDir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(outDir, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  // The bundler leaves a work folder per function in the temporary directory: give it one of ours, removed after.
  const workDir = await mkdtemp(path.join(tmpdir(), 'sluice-package-work-'));
  env.TMPDIR = workDir;
  const osls = require.resolve('osls/bin/serverless.js', { paths: [ROOT] });
  try {
    await run(process.execPath, [osls, 'package', '--stage', 'dev', '--package', outDir, ...extraArgs], { cwd: ROOT, env, maxBuffer: 32 * 1024 * 1024 });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`osls package failed:\n${stdout}\n${stderr}`, { cause: error });
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Lambda's view of an unpacked zip: the task root, the variables the functions read, nothing from this project. */
export function lambdaEnvironment(taskRoot: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NODE_NO_WARNINGS: '1',
    LAMBDA_TASK_ROOT: taskRoot,
    AWS_REGION: 'us-east-1',
    LAKE_BUCKET: 'sluice-dev-lake-123456789012-us-east-1',
    STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:sluice-dev',
    GLUE_DATABASE: 'sluice_dev',
    CRAWLER_PREFIX: 'sluice-dev-',
    ATHENA_WORKGROUP_PREFIX: 'sluice-dev-',
    SAGEMAKER_ROLE_ARN: 'arn:aws:iam::123456789012:role/sluice-dev-SageMakerExecutionRole',
    SAGEMAKER_MODEL_ROLE_ARN: 'arn:aws:iam::123456789012:role/sluice-dev-SageMakerModelRole',
    RESOURCE_PREFIX: 'sluice-dev-',
    UPLOAD_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/sluice-dev-uploads',
  };
}

/** Runs a script with `node -e` in `cwd` and returns what it printed. */
export async function runNode(cwd: string, script: string, env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await run(process.execPath, ['-e', script], { cwd, env, maxBuffer: 8 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const { stderr = '' } = error as { stderr?: string };
    throw new Error(`node -e failed in ${cwd}:\n${stderr.slice(-4000)}`, { cause: error });
  }
}

/** The template `osls package` writes for a stack update. */
export function readTemplate(outDir: string): CfnTemplate {
  return JSON.parse(readFileSync(path.join(outDir, 'cloudformation-template-update-stack.json'), 'utf8')) as CfnTemplate;
}

/** Folders of functions/: one Lambda function each. */
export function functionFolders(): string[] {
  return readdirSync(path.join(ROOT, 'functions'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/** A pipeline of the deployment as the tests expect it, read from its spec independently of deploy/. */
export interface DeployedPipeline {
  name: string;
  /** Its catalog table: the name with dashes as underscores. */
  table: string;
  /** `features.bytesScannedCutoff`, or the default; undefined without a features section. */
  bytesScannedCutoff: number | undefined;
  /** Its runs train (features and training sections), so EvaluateModel registers each candidate in its group. */
  registersModels: boolean;
  /** It trains and has a deployment section, so a promoted candidate goes to its endpoint. */
  deploys: boolean;
}

/** Athena's default per-query cutoff when a spec gives none: 10 GB (core/spec/schema.ts). */
export const DEFAULT_BYTES_SCANNED_CUTOFF = 10_000_000_000;

/** The folders of pipelines/ that hold a pipeline.yml, with what their spec says about the catalog and Athena. */
export function deployedPipelines(): DeployedPipeline[] {
  return readdirSync(path.join(ROOT, 'pipelines'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(ROOT, 'pipelines', entry.name, 'pipeline.yml')))
    .map((entry) => {
      const spec = parseYaml(readFileSync(path.join(ROOT, 'pipelines', entry.name, 'pipeline.yml'), 'utf8')) as {
        name: string;
        features?: { bytesScannedCutoff?: number };
        training?: object;
        deployment?: object;
      };
      // The run plan of core/steps/normalize-input.ts: training needs features; a deployment needs training.
      const registersModels = spec.features !== undefined && spec.training !== undefined;
      return {
        name: spec.name,
        table: spec.name.replaceAll('-', '_'),
        bytesScannedCutoff: spec.features ? (spec.features.bytesScannedCutoff ?? DEFAULT_BYTES_SCANNED_CUTOFF) : undefined,
        registersModels,
        deploys: registersModels && spec.deployment !== undefined,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** `validate-and-partition` -> `validateAndPartition`: the function's key in serverless.yml and its zip's name. */
export function functionKey(folder: string): string {
  return folder.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** `validate-and-partition` -> `ValidateAndPartitionLambdaFunction`, the logical id the ASL refers to. */
export function lambdaLogicalId(folder: string): string {
  const key = functionKey(folder);
  return `${key.charAt(0).toUpperCase()}${key.slice(1)}LambdaFunction`;
}

/** Files under `dir` (relative to the project root, with `/`), recursively. */
export function filesUnder(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}

/** The resources of one type, by logical id. */
export function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

/** The one resource `id`, failing clearly when it is missing or of another type. */
export function resource(template: CfnTemplate, id: string, type: string): CfnResource {
  const found = template.Resources[id];
  if (!found) throw new Error(`the template has no resource ${id}`);
  if (found.Type !== type) throw new Error(`${id} is a ${found.Type}, not a ${type}`);
  return found;
}

/** A value as a list: IAM allows one string or a list of them for Action and Resource. */
export function asList(value: Json | undefined): Json[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** The actions of a statement, as a list. */
export function actionsOf(statement: Statement): string[] {
  return typeof statement.Action === 'string' ? [statement.Action] : statement.Action;
}

/**
 * A resource reference in one readable string: `"*"`, `LakeBucket.Arn` for a GetAtt, `Ref(X)`, the template of an
 * Fn::Sub (`${LakeBucket.Arn}/raw/*`), or the JSON of anything else.
 */
export function describeRef(value: Json): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return getAtt.join('.');
    const ref = value.Ref;
    if (typeof ref === 'string') return `Ref(${ref})`;
    const sub = value['Fn::Sub'];
    if (typeof sub === 'string') return sub;
    if (Array.isArray(sub) && typeof sub[0] === 'string') return sub[0];
  }
  return JSON.stringify(value);
}

/** Every logical id that `value` points to through Ref or Fn::GetAtt, at any depth. */
export function referencedIds(value: Json): Set<string> {
  const ids = new Set<string>();
  const visit = (v: Json): void => {
    if (Array.isArray(v)) {
      v.forEach(visit);
    } else if (v !== null && typeof v === 'object') {
      const getAtt = v['Fn::GetAtt'];
      if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') ids.add(getAtt[0]);
      if (typeof v.Ref === 'string') ids.add(v.Ref);
      Object.values(v).forEach(visit);
    }
  };
  visit(value);
  return ids;
}

/** The inline policy statements of an AWS::IAM::Role. */
export function roleStatements(role: CfnResource): Statement[] {
  const policies = asList(role.Properties.Policies);
  return policies.flatMap((policy) => {
    const document = (policy as { PolicyDocument?: { Statement?: Json } }).PolicyDocument;
    return asList(document?.Statement) as unknown as Statement[];
  });
}

/** Every permission statement of the template: role inline policies, IAM policies and bucket policies. */
export function allPolicyStatements(template: CfnTemplate): { owner: string; statement: Statement }[] {
  const found: { owner: string; statement: Statement }[] = [];
  for (const [id, res] of Object.entries(template.Resources)) {
    if (res.Type === 'AWS::IAM::Role') {
      for (const statement of roleStatements(res)) found.push({ owner: id, statement });
    } else if (['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::S3::BucketPolicy'].includes(res.Type)) {
      const document = res.Properties.PolicyDocument as { Statement?: Json } | undefined;
      for (const statement of asList(document?.Statement) as unknown as Statement[]) found.push({ owner: id, statement });
    }
  }
  return found;
}
