/** How a model is served. */
export interface EndpointSpec {
  /** The endpoint's stable name (`sluice-<stage>-<pipeline>` in AWS). */
  endpointName: string;
  /** Names of this deployment's model and endpoint config: unique per run (≤ 63 characters). */
  modelName: string;
  endpointConfigName: string;
  image: string;
  modelArtifact: string;
  /** The registry version being deployed. */
  modelVersion: number;
  mode: 'realtime' | 'serverless';
  instanceType: string;
  instanceCount: number;
  serverlessMemoryMb: number;
  serverlessMaxConcurrency: number;
  trafficShift: 'all-at-once' | 'canary' | 'linear';
}

/** Where an endpoint stands. */
export interface EndpointStatus {
  state: 'Creating' | 'Updating' | 'SystemUpdating' | 'RollingBack' | 'InService' | 'Failed' | 'Deleting' | 'OutOfService' | 'UpdateRollbackFailed';
  failureReason?: string;
  /** The endpoint config now serving: after a rollback it is the previous one. */
  endpointConfigName?: string;
  /** How to reach it: the endpoint name in AWS, a URL locally. */
  address: string;
}

/** Deploying a model to an endpoint and watching the endpoint: the Deploy and GetEndpointState side of hosting. */
export interface EndpointDeployment {
  /** Creates the endpoint for the first model, or updates it (blue/green) for a later one. */
  deploy(spec: EndpointSpec): Promise<{ operation: 'create' | 'update' }>;
  /** Where the endpoint stands, or undefined when it does not exist. */
  status(endpointName: string): Promise<EndpointStatus | undefined>;
}

/** Removing what earlier deployments of an endpoint left behind: PromoteModel's side of hosting. */
export interface EndpointCleanup {
  /** Deletes models and endpoint configs of this endpoint beyond the `keep` newest, never the one serving. */
  cleanup(endpointName: string, keep: number): Promise<{ deleted: string[] }>;
}

/**
 * The hosting port: SageMaker endpoints in AWS, the local HTTP endpoint locally. Its two sides are separate ports so
 * each AWS adapter does one job; the steps take both as one dependency.
 */
export type ModelHosting = EndpointDeployment & EndpointCleanup;

/** Sends requests to a served model (the SageMaker runtime in AWS, HTTP locally). */
export interface EndpointInvoker {
  invoke(address: string, request: { contentType: string; accept: string; body: string }): Promise<{ contentType: string; body: string }>;
}
