import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { RuntimeConfig } from '../../core/config/runtime-config.js';
import { ConfigurationError } from '../../core/errors.js';
import type { DeployDeps } from '../../core/deployment/deployment.js';
import type { EvaluateModelDeps } from '../../core/steps/evaluate-model.js';
import type { TrainingDeps } from '../../core/training/training-job.js';
import type { EndpointCleanup, EndpointDeployment, ModelHosting } from '../../core/ports/model-hosting.js';
import { SageMakerEndpointCleanup } from '../adapters/sagemaker-endpoint-cleanup.js';
import { SageMakerEndpointDeployer } from '../adapters/sagemaker-endpoint-deployer.js';
import { SageMakerInvoker } from '../adapters/sagemaker-invoker.js';
import { SageMakerRegistry } from '../adapters/sagemaker-registry.js';
import { SageMakerTrainer } from '../adapters/sagemaker-trainer.js';
import { xgboostImageUri } from '../adapters/xgboost-images.js';
import { once, requirePrefix, sharedDeps } from './shared.js';

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
  return { ...sharedDeps(config), registry: registry(config), modelImage: xgboostImageUri(config.region) };
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

/** Dependencies of Deploy, GetEndpointState, SmokeTest and PromoteModel. */
export function deployDeps(config: RuntimeConfig): DeployDeps {
  if (!config.sagemakerModelRoleArn) throw new ConfigurationError('SAGEMAKER_MODEL_ROLE_ARN must be set for the deployment functions');
  return {
    ...sharedDeps(config),
    registry: registry(config),
    hosting: modelHosting(
      new SageMakerEndpointDeployer(sagemakerClient(), { roleArn: config.sagemakerModelRoleArn, rollbackAlarmNames }),
      new SageMakerEndpointCleanup(sagemakerClient()),
    ),
    invoker: new SageMakerInvoker(new SageMakerRuntimeClient({})),
    endpointPrefix: requirePrefix(config),
    workDir: config.workDir,
  };
}

/** A dependency a function's step never calls: refuses loudly if it ever does, instead of wiring a client for it. */
function notWired(what: string): () => never {
  return () => {
    throw new ConfigurationError(`${what} is not wired for this function: its step does not use it (aws/wiring/sagemaker.ts)`);
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
  return {
    ...sharedDeps(config),
    registry: { register: notWired('the model registry'), production: notWired('the model registry'), decide: notWired('the model registry') },
    hosting: { deploy: notWired('endpoint deployment'), status: (endpointName) => reader.status(endpointName), cleanup: notWired('endpoint cleanup') },
    invoker: { invoke: notWired('the endpoint invoker') },
    endpointPrefix: '',
    workDir: config.workDir,
  };
}

/** Dependencies of PromoteModel: the registry to approve the candidate and the cleanup; no model role, no runtime client. */
export function promoteDeps(config: RuntimeConfig): DeployDeps {
  return {
    ...sharedDeps(config),
    registry: registry(config),
    hosting: { deploy: notWired('endpoint deployment'), status: (endpointName) => endpointReader().status(endpointName), cleanup: (endpointName, keep) => new SageMakerEndpointCleanup(sagemakerClient()).cleanup(endpointName, keep) },
    invoker: { invoke: notWired('the endpoint invoker') },
    endpointPrefix: requirePrefix(config),
    workDir: config.workDir,
  };
}
