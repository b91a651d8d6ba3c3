import { TerminalStepError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { SpecCatalog } from '../pipelines/spec-catalog.js';
import type { EndpointInvoker, EndpointSpec, ModelHosting } from '../ports/model-hosting.js';
import type { ModelRegistry, ModelVersion } from '../ports/model-registry.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { PipelineSpec } from '../spec/load-spec.js';

/** The endpoint ended Failed (or failed its update); the previous model, if any, keeps serving. */
export class DeploymentFailedError extends TerminalStepError {
  public override readonly name = 'DeploymentFailedError';
}

/** The update was rolled back (an alarm fired): the endpoint serves the previous model again. */
export class DeploymentRolledBackError extends TerminalStepError {
  public override readonly name = 'DeploymentRolledBackError';
}

/** The endpoint did not reach InService in time. */
export class DeploymentTimeoutError extends TerminalStepError {
  public override readonly name = 'DeploymentTimeoutError';
}

/** The deployed endpoint answered the smoke test wrongly or not at all. */
export class SmokeTestFailedError extends TerminalStepError {
  public override readonly name = 'SmokeTestFailedError';
}

/** What the deployment steps (Deploy, GetEndpointState, SmokeTest, PromoteModel) need. */
export interface DeployDeps {
  hosting: ModelHosting;
  invoker: EndpointInvoker;
  registry: ModelRegistry;
  store: ObjectStore;
  specs: SpecCatalog;
  logger: Logger;
  /** Endpoints are `<endpointPrefix><pipeline>`. */
  endpointPrefix: string;
  /** Scratch space for the smoke test's sample. */
  workDir: string;
}

/**
 * What to deploy where: the spec's serving settings, this deployment's names, the model version. Deploy sends the
 * candidate; a failed SmokeTest sends the production model again.
 */
export function endpointSpec(
  settings: NonNullable<PipelineSpec['deployment']>,
  names: { endpointName: string; modelName: string; endpointConfigName: string },
  model: ModelVersion,
): EndpointSpec {
  return {
    ...names,
    image: model.image,
    modelArtifact: model.modelArtifact,
    modelVersion: model.version,
    mode: settings.mode,
    instanceType: settings.instanceType,
    instanceCount: settings.instanceCount,
    serverlessMemoryMb: settings.serverlessMemoryMb,
    serverlessMaxConcurrency: settings.serverlessMaxConcurrency,
    trafficShift: settings.trafficShift,
  };
}
