import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { RuntimeConfig } from '../../core/config/runtime-config.js';
import { ConfigurationError } from '../../core/errors.js';
import type { DeployDeps } from '../../core/deployment/deployment.js';
import type { EvaluateModelDeps } from '../../core/steps/evaluate-model.js';
import type { RecordRunDeps } from '../../core/manifest/run-manifest.js';
import type { TrainingDeps } from '../../core/training/training-job.js';
import type { EndpointCleanup, EndpointDeployment, ModelHosting } from '../../core/ports/model-hosting.js';
import { SageMakerEndpointCleanup } from '../adapters/sagemaker-endpoint-cleanup.js';
import { SageMakerEndpointDeployer } from '../adapters/sagemaker-endpoint-deployer.js';
import { SageMakerInvoker } from '../adapters/sagemaker-invoker.js';
import { SageMakerRegistry } from '../adapters/sagemaker-registry.js';
import { SageMakerTrainer } from '../adapters/sagemaker-trainer.js';
import { xgboostImageUri } from '../adapters/xgboost-images.js';
import { once, requirePrefix, sharedDeps } from './shared.js';

const sagemakerClient = once(() => new SageMakerClient({}));

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

/** Dependencies of RecordFailure: S3, and the registry to reject a candidate that never reached production. */
export function recordFailureDeps(config: RuntimeConfig): RecordRunDeps {
  return { ...sharedDeps(config), registry: registry(config) };
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
