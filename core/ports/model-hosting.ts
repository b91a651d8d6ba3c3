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

/** The hosting port: SageMaker endpoints in AWS, the local HTTP endpoint locally. */
export interface ModelHosting {
  /** Creates the endpoint for the first model, or updates it (blue/green) for a later one. */
  deploy(spec: EndpointSpec): Promise<{ operation: 'create' | 'update' }>;
  status(endpointName: string): Promise<EndpointStatus | undefined>;
  /** Deletes models and endpoint configs of this endpoint beyond the `keep` newest, never the one serving. */
  cleanup(endpointName: string, keep: number): Promise<{ deleted: string[] }>;
}

/** Sends requests to a served model (the SageMaker runtime in AWS, HTTP locally). */
export interface EndpointInvoker {
  invoke(address: string, request: { contentType: string; accept: string; body: string }): Promise<{ contentType: string; body: string }>;
}
