import type { RuntimeConfig } from '../config/runtime-config.js';
import { ConfigurationError } from '../errors.js';
import { powertoolsLogger } from '../log/powertools-logger.js';
import { folderSpecCatalog } from '../pipelines/spec-catalog.js';
import type { CrawlDeps } from '../steps/crawl.js';
import type { FeatureQueryDeps } from '../steps/feature-query.js';
import type { TrainingDeps } from '../steps/training.js';
import type { DeployDeps } from '../steps/deploy.js';
import type { EvaluateModelDeps } from '../steps/evaluate-model.js';
import type { NormalizeInputDeps } from '../steps/normalize-input.js';
import type { RecordRunDeps } from '../steps/record-run.js';
import type { StartRunDeps } from '../steps/start-run.js';
import type { ValidateAndPartitionDeps } from '../steps/validate-and-partition.js';
import type { AwsClients } from './clients.js';
import { AthenaQueryEngine } from './athena-query-engine.js';
import { awsClients } from './clients.js';
import { GlueCatalog } from './glue-catalog.js';
import { SageMakerHosting } from './sagemaker-hosting.js';
import { SageMakerInvoker } from './sagemaker-invoker.js';
import { SageMakerRegistry } from './sagemaker-registry.js';
import { SageMakerTrainer } from './sagemaker-trainer.js';
import { xgboostImageUri } from './xgboost-images.js';
import { S3ObjectStore } from './s3-object-store.js';
import { SfnRunStarter } from './sfn-run-starter.js';

/** Everything the steps need in Lambda: AWS adapters over one set of clients. */
export type AwsStepDeps = NormalizeInputDeps &
  ValidateAndPartitionDeps &
  RecordRunDeps &
  CrawlDeps &
  FeatureQueryDeps &
  TrainingDeps &
  EvaluateModelDeps &
  DeployDeps;

/** The CloudWatch alarms (defined in serverless.yml) whose firing rolls back an endpoint update. */
export function rollbackAlarmNames(endpointName: string): string[] {
  return [`${endpointName}-invocation-5xx`, `${endpointName}-model-latency`];
}

/** Builds the AWS adapters once per execution environment. */
export function awsStepDeps(config: RuntimeConfig, clients: AwsClients = awsClients()): AwsStepDeps {
  return {
    store: new S3ObjectStore(clients.s3),
    specs: folderSpecCatalog(config.pipelinesDir),
    lakeBucket: config.lakeBucket,
    logger: powertoolsLogger,
    workDir: config.workDir,
    duckdb: config.duckdb,
    clock: () => new Date(),
    names: config.names,
    // Clients are made on first use: a function that never crawls never builds a Glue client.
    get catalog() {
      return new GlueCatalog(clients.glue);
    },
    get queryEngine() {
      return new AthenaQueryEngine(clients.athena);
    },
    get trainer() {
      return new SageMakerTrainer(clients.sagemaker, { roleArn: requireRole(config), region: config.region });
    },
    get registry() {
      return new SageMakerRegistry(clients.sagemaker, { groupPrefix: requirePrefix(config) });
    },
    get hosting() {
      return new SageMakerHosting(clients.sagemaker, { roleArn: requireModelRole(config), rollbackAlarmNames });
    },
    get invoker() {
      return new SageMakerInvoker(clients.sagemakerRuntime);
    },
    get modelImage() {
      return xgboostImageUri(config.region);
    },
    get endpointPrefix() {
      return requirePrefix(config);
    },
    get jobPrefix() {
      return requirePrefix(config);
    },
  };
}

/** The start-run function's dependencies; it alone needs the state machine's ARN. */
export function awsStartRunDeps(config: RuntimeConfig, clients: AwsClients = awsClients()): StartRunDeps {
  if (!config.stateMachineArn) throw new ConfigurationError('STATE_MACHINE_ARN must be set for start-run');
  return {
    starter: new SfnRunStarter(clients.sfn, config.stateMachineArn),
    specs: folderSpecCatalog(config.pipelinesDir),
    lakeBucket: config.lakeBucket,
    logger: powertoolsLogger,
  };
}

function requireRole(config: RuntimeConfig): string {
  if (!config.sagemakerRoleArn) throw new ConfigurationError('SAGEMAKER_ROLE_ARN must be set for the training and deployment functions');
  return config.sagemakerRoleArn;
}

function requireModelRole(config: RuntimeConfig): string {
  if (!config.sagemakerModelRoleArn) throw new ConfigurationError('SAGEMAKER_MODEL_ROLE_ARN must be set for the deployment functions');
  return config.sagemakerModelRoleArn;
}

function requirePrefix(config: RuntimeConfig): string {
  // No default: a function falling back to some prefix would name another stage's jobs, groups and endpoints.
  if (!config.resourcePrefix) throw new ConfigurationError('RESOURCE_PREFIX must be set for the training, registry and deployment functions');
  return config.resourcePrefix;
}
