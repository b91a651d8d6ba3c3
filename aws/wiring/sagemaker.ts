import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { RuntimeConfig } from '../../core/config/runtime-config.js';
import { ConfigurationError } from '../../core/errors.js';
import type { DeployDeps } from '../../core/deployment/deployment.js';
import type { EvaluationTransformDeps } from '../../core/evaluation/evaluation-jobs.js';
import type { ComputeEvaluationMetricsDeps } from '../../core/steps/compute-evaluation-metrics.js';
import type { EvaluateModelDeps } from '../../core/steps/evaluate-model.js';
import type { TrainingDeps } from '../../core/training/training-job.js';
import type { EndpointCleanup, EndpointDeployment, EndpointInvoker, ModelHosting } from '../../core/ports/model-hosting.js';
import type { ModelRegistry } from '../../core/ports/model-registry.js';
import type { ObjectStore } from '../../core/ports/object-store.js';
import { SageMakerEndpointCleanup } from '../adapters/sagemaker-endpoint-cleanup.js';
import { SageMakerEndpointDeployer } from '../adapters/sagemaker-endpoint-deployer.js';
import { SageMakerInvoker } from '../adapters/sagemaker-invoker.js';
import { SageMakerRegistry } from '../adapters/sagemaker-registry.js';
import { SageMakerTrainer } from '../adapters/sagemaker-trainer.js';
import { SageMakerTransform } from '../adapters/sagemaker-transform.js';
import { blazingTextImageUri } from '../adapters/blazingtext-images.js';
import { xgboostImageUri } from '../adapters/xgboost-images.js';
import { s3Store } from './s3.js';
import { notWired, once, requirePrefix, sharedDeps } from './shared.js';

/** The SageMaker client, made once. */
export const sagemakerClient = once(() => new SageMakerClient({}));

/** The CloudWatch alarms (defined in serverless.yml) whose firing rolls back an endpoint update. */
export function rollbackAlarmNames(endpointName: string): string[] {
  return [`${endpointName}-invocation-5xx`, `${endpointName}-model-latency`];
}

function registry(config: RuntimeConfig): SageMakerRegistry {
  return new SageMakerRegistry(sagemakerClient(), { groupPrefix: requirePrefix(config) });
}

/** Dependencies of the training and tuning states. */
export function trainingDeps(config: RuntimeConfig): TrainingDeps {
  if (!config.sagemakerRoleArn) throw new ConfigurationError('SAGEMAKER_ROLE_ARN must be set for the training functions');
  return {
    ...sharedDeps(config),
    trainer: new SageMakerTrainer(sagemakerClient(), { roleArn: config.sagemakerRoleArn, region: config.region }),
    jobPrefix: requirePrefix(config),
  };
}

/** Dependencies of EvaluateModel: the model registry and the serving image of the region. */
export function evaluateModelDeps(config: RuntimeConfig): EvaluateModelDeps {
  return {
    ...sharedDeps(config),
    registry: registry(config),
    // The lake: the training set's profile and bias metrics are recorded with the version (core/quality/training-quality.ts).
    store: s3Store(),
    modelImage: xgboostImageUri(config.region),
    // The same image trains and serves; BlazingText's is looked up only for a text pipeline (fewer regions have one).
    modelImageFor: servingImageFor(config),
  };
}

/** The serving image of each algorithm in the region: BlazingText's is looked up only for a text pipeline. */
function servingImageFor(config: RuntimeConfig): (algorithm: 'xgboost' | 'blazingtext') => string {
  return (algorithm) => (algorithm === 'blazingtext' ? blazingTextImageUri(config.region) : xgboostImageUri(config.region));
}

/**
 * Dependencies of StartEvaluationTransform and DescribeEvaluationTransform: the registry (the production version),
 * Batch Transform with the stage's model role (the jobs' models read models/ and write under scoring/), S3 and DuckDB
 * to write the transform input from the validation channel, and the candidate's serving image.
 */
export function evaluationTransformDeps(config: RuntimeConfig): EvaluationTransformDeps {
  if (!config.sagemakerModelRoleArn) throw new ConfigurationError('SAGEMAKER_MODEL_ROLE_ARN must be set for the evaluation transform functions');
  return {
    ...sharedDeps(config),
    registry: registry(config),
    batchScorer: new SageMakerTransform(sagemakerClient(), config.sagemakerModelRoleArn),
    store: s3Store(),
    jobPrefix: requirePrefix(config),
    modelImage: xgboostImageUri(config.region),
    modelImageFor: servingImageFor(config),
    workDir: config.workDir,
    duckdb: config.duckdb,
  };
}

/** Dependencies of ComputeEvaluationMetrics: S3 (the transforms' outputs) only; it calls no SageMaker API. */
export function evaluationMetricsDeps(config: RuntimeConfig): ComputeEvaluationMetricsDeps {
  return { ...sharedDeps(config), store: s3Store(), workDir: config.workDir };
}

/**
 * The hosting port from its two adapters: the deployer (Deploy, GetEndpointState, and SmokeTest's redeploy of the
 * production model) and the cleanup (PromoteModel).
 */
export function modelHosting(deployment: EndpointDeployment, cleanup: EndpointCleanup): ModelHosting {
  return {
    deploy: (spec) => deployment.deploy(spec),
    status: (endpointName) => deployment.status(endpointName),
    cleanup: (endpointName, keep) => cleanup.cleanup(endpointName, keep),
  };
}

function modelRole(config: RuntimeConfig): string {
  if (!config.sagemakerModelRoleArn) throw new ConfigurationError('SAGEMAKER_MODEL_ROLE_ARN must be set for the deployment functions');
  return config.sagemakerModelRoleArn;
}

function endpointDeployer(config: RuntimeConfig): SageMakerEndpointDeployer {
  return new SageMakerEndpointDeployer(sagemakerClient(), { roleArn: modelRole(config), rollbackAlarmNames });
}

/**
 * Dependencies of Deploy: the registry and the endpoint deployer, on the one SageMaker client. It reads no object and
 * invokes no endpoint, so it builds neither an S3 nor a SageMaker runtime client (issue 10, item 12).
 */
export function deployDeps(config: RuntimeConfig): DeployDeps {
  return {
    ...sharedDeps(config),
    store: notWired<ObjectStore>('the object store', 'aws/wiring/sagemaker.ts'),
    registry: registry(config),
    hosting: modelHosting(endpointDeployer(config), new SageMakerEndpointCleanup(sagemakerClient())),
    invoker: notWired<EndpointInvoker>('the endpoint invoker', 'aws/wiring/sagemaker.ts'),
    endpointPrefix: requirePrefix(config),
    workDir: config.workDir,
  };
}

/**
 * Dependencies of SmokeTest: S3 for the sample rows, the SageMaker runtime to invoke the endpoint, and the deployer to
 * restore the production model when the candidate fails.
 */
export function smokeTestDeps(config: RuntimeConfig): DeployDeps {
  return {
    ...sharedDeps(config),
    store: s3Store(),
    registry: registry(config),
    hosting: modelHosting(endpointDeployer(config), new SageMakerEndpointCleanup(sagemakerClient())),
    invoker: new SageMakerInvoker(new SageMakerRuntimeClient({})),
    endpointPrefix: requirePrefix(config),
    workDir: config.workDir,
  };
}

/**
 * A deployer for DescribeEndpoint only: `status` sends no role, so the functions that only read an endpoint or clean
 * up after it get no SAGEMAKER_MODEL_ROLE_ARN (issue 10, item 12). CreateModel, the one call that passes the role, is
 * never made through it.
 */
function endpointReader(): SageMakerEndpointDeployer {
  return new SageMakerEndpointDeployer(sagemakerClient(), { roleArn: '', rollbackAlarmNames });
}

/** Dependencies of GetEndpointState: DescribeEndpoint of the endpoint named in the state, nothing else. */
export function endpointStateDeps(config: RuntimeConfig): DeployDeps {
  const reader = endpointReader();
  const unwired = notWired<ModelHosting>('endpoint deployment and cleanup', 'aws/wiring/sagemaker.ts');
  return {
    ...sharedDeps(config),
    store: notWired<ObjectStore>('the object store', 'aws/wiring/sagemaker.ts'),
    registry: notWired<ModelRegistry>('the model registry', 'aws/wiring/sagemaker.ts'),
    hosting: { deploy: (spec) => unwired.deploy(spec), status: (endpointName) => reader.status(endpointName), cleanup: (endpointName, keep) => unwired.cleanup(endpointName, keep) },
    invoker: notWired<EndpointInvoker>('the endpoint invoker', 'aws/wiring/sagemaker.ts'),
    endpointPrefix: '',
    workDir: config.workDir,
  };
}

/** Dependencies of PromoteModel: the registry to approve the candidate and the cleanup; no model role, no runtime client. */
export function promoteDeps(config: RuntimeConfig): DeployDeps {
  return {
    ...sharedDeps(config),
    store: notWired<ObjectStore>('the object store', 'aws/wiring/sagemaker.ts'),
    registry: registry(config),
    // Deploying passes the model role, which this function does not hold: only the status and the cleanup are wired.
    hosting: modelHosting(notWired<EndpointDeployment>('endpoint deployment', 'aws/wiring/sagemaker.ts'), new SageMakerEndpointCleanup(sagemakerClient())),
    invoker: notWired<EndpointInvoker>('the endpoint invoker', 'aws/wiring/sagemaker.ts'),
    endpointPrefix: requirePrefix(config),
    workDir: config.workDir,
  };
}
