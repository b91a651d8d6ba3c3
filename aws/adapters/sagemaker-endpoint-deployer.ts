import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, UpdateEndpointCommand } from '@aws-sdk/client-sagemaker';
import type {
  DeploymentConfig,
  ProductionVariant,
  ProductionVariantInstanceType,
  SageMakerClient,
  Tag,
  TrafficRoutingConfig,
} from '@aws-sdk/client-sagemaker';
import { TransientServiceError } from '../../core/errors.js';
import type { EndpointDeployment, EndpointSpec, EndpointStatus } from '../../core/ports/model-hosting.js';
import { RESOURCE_NAME_MAX, isSageMakerName } from '../../core/run/job-names.js';
import { callAws, callAwsTolerating, isAwsError, isSageMakerAlreadyExisting } from './aws-errors.js';
import { ENDPOINT_TAG, InvalidHostingRequestError, MODEL_VERSION_TAG, VARIANT_NAME, describeEndpoint } from './sagemaker-endpoints.js';

/** How blue/green updates of real-time endpoints shift traffic; every field has a default. */
export interface TrafficShiftingSettings {
  /** Canary size, in percent of the new fleet (CapacitySize CAPACITY_PERCENT): at most 50. */
  canaryPercent: number;
  /** Linear step size, in percent of the new fleet: 10 to 50. */
  linearStepPercent: number;
  /** Baking period after each traffic step (TrafficRoutingConfig.WaitIntervalInSeconds): 0 to 3600. */
  waitIntervalSeconds: number;
  /** Baking period once all traffic is on the new fleet, before the old one is terminated: 0 to 3600. */
  terminationWaitSeconds: number;
  /** Deployment timeout, 600 to 28800; computed from the waits when left out (see {@link maximumExecutionSeconds}). */
  maximumExecutionTimeoutSeconds?: number;
}

/** Options of {@link SageMakerEndpointDeployer}. */
export interface SageMakerEndpointDeployerOptions {
  /** The role the endpoint's model runs as (CreateModel ExecutionRoleArn). */
  roleArn: string;
  /** The CloudWatch alarms that roll a blue/green update back, per endpoint: at most 10 (AutoRollbackConfig.Alarms). */
  rollbackAlarmNames: (endpointName: string) => string[];
  /** Overrides of {@link DEFAULT_TRAFFIC_SHIFTING}. */
  trafficShifting?: Partial<TrafficShiftingSettings>;
}

/** Defaults of {@link TrafficShiftingSettings}: a 10 % canary or 20 % linear steps, five-minute baking periods. */
export const DEFAULT_TRAFFIC_SHIFTING: Readonly<TrafficShiftingSettings> = Object.freeze({
  canaryPercent: 10,
  linearStepPercent: 20,
  waitIntervalSeconds: 300,
  terminationWaitSeconds: 300,
});

/** AutoRollbackConfig.Alarms takes 1 to 10 alarms (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_AutoRollbackConfig.html). */
export const MAX_ROLLBACK_ALARMS = 10;

/**
 * Serverless memory sizes: "1024 MB, 2048 MB, 3072 MB, 4096 MB, 5120 MB, or 6144 MB"; MaxConcurrency 1 to 200
 * (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariantServerlessConfig.html).
 */
const SERVERLESS_MEMORY_MB: readonly number[] = [1024, 2048, 3072, 4096, 5120, 6144];
const SERVERLESS_MAX_CONCURRENCY = 200;

/**
 * Ranges of BlueGreenUpdatePolicy and TrafficRoutingConfig
 * (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_BlueGreenUpdatePolicy.html,
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TrafficRoutingConfig.html): waits 0 to 3600 s,
 * MaximumExecutionTimeoutInSeconds 600 to 28800 s; a canary at most 50 % and a linear step 10 to 50 % of the fleet.
 */
const WAIT_MAX_SECONDS = 3600;
const EXECUTION_TIMEOUT_MIN_SECONDS = 600;
const EXECUTION_TIMEOUT_MAX_SECONDS = 28_800;
/**
 * Time allowed, on top of the baking periods, for SageMaker to provision the new fleet (8 to 15 minutes measured for
 * endpoint creation) before a deployment times out.
 */
const PROVISIONING_ALLOWANCE_SECONDS = 1800;

const BUSY_STATES: ReadonlySet<string> = new Set(['Creating', 'Updating', 'SystemUpdating', 'RollingBack', 'Deleting']);

/**
 * Deploys models to SageMaker endpoints, real-time or serverless, and reports where an endpoint stands.
 *
 * - deploy creates the model and the endpoint config (both named per run, so a retried state finds them and counts
 *   them as created), then creates the endpoint, or updates it blue/green with the spec's traffic shift and the
 *   endpoint's rollback alarms. A retry that finds the endpoint already on (or moving to) the spec's config sends
 *   nothing more; an endpoint busy with another change (seen by DescribeEndpoint, or refused by UpdateEndpoint as
 *   "in-progress" when another execution's update started in between) is a TransientServiceError, retried by the
 *   state machine until that change ends: one writer at a time per endpoint.
 * - status reports the endpoint's state and the config it serves: after an automatic rollback that is the previous
 *   config, which is how the caller tells a rolled-back update from a successful one.
 *
 * Everything it creates carries {@link ENDPOINT_TAG}, which is what lets the endpoint cleanup
 * (sagemaker-endpoint-cleanup.ts) delete it later.
 */
export class SageMakerEndpointDeployer implements EndpointDeployment {
  private readonly roleArn: string;
  private readonly rollbackAlarmNames: (endpointName: string) => string[];
  private readonly shifting: TrafficShiftingSettings;

  public constructor(
    private readonly sagemaker: SageMakerClient,
    options: SageMakerEndpointDeployerOptions,
  ) {
    this.roleArn = options.roleArn;
    this.rollbackAlarmNames = options.rollbackAlarmNames;
    this.shifting = { ...DEFAULT_TRAFFIC_SHIFTING, ...options.trafficShifting };
    // Fails fast, when the adapter is built, on settings SageMaker would refuse at the first update.
    const problems = shiftingProblems(this.shifting);
    if (problems.length > 0) throw new InvalidHostingRequestError(`Traffic shifting settings are invalid: ${problems.join('; ')}`);
  }

  public async deploy(spec: EndpointSpec): Promise<{ operation: 'create' | 'update' }> {
    const alarms = this.rollbackAlarmNames(spec.endpointName);
    const problems = [...specProblems(spec), ...alarmProblems(alarms)];
    if (problems.length > 0) throw new InvalidHostingRequestError(`Endpoint ${spec.endpointName} cannot be deployed: ${problems.join('; ')}`);
    const tags: Tag[] = [
      { Key: ENDPOINT_TAG, Value: spec.endpointName },
      { Key: MODEL_VERSION_TAG, Value: String(spec.modelVersion) },
    ];

    await this.create(`CreateModel ${spec.modelName}`, () =>
      this.sagemaker.send(
        new CreateModelCommand({
          ModelName: spec.modelName,
          ExecutionRoleArn: this.roleArn,
          PrimaryContainer: { Image: spec.image, ModelDataUrl: spec.modelArtifact },
          Tags: tags,
        }),
      ),
    );
    await this.create(`CreateEndpointConfig ${spec.endpointConfigName}`, () =>
      this.sagemaker.send(
        new CreateEndpointConfigCommand({
          EndpointConfigName: spec.endpointConfigName,
          ProductionVariants: [productionVariant(spec)],
          Tags: tags,
        }),
      ),
    );

    const endpoint = await describeEndpoint(this.sagemaker, spec.endpointName);
    if (!endpoint) {
      await this.create(`CreateEndpoint ${spec.endpointName}`, () =>
        this.sagemaker.send(
          new CreateEndpointCommand({
            EndpointName: spec.endpointName,
            EndpointConfigName: spec.endpointConfigName,
            Tags: [{ Key: ENDPOINT_TAG, Value: spec.endpointName }],
          }),
        ),
      );
      return { operation: 'create' };
    }
    const state = endpoint.EndpointStatus ?? 'Creating';
    if (endpoint.EndpointConfigName === spec.endpointConfigName || endpoint.PendingDeploymentSummary?.EndpointConfigName === spec.endpointConfigName) {
      // An earlier attempt of this state already sent the create or the update.
      return { operation: state === 'Creating' ? 'create' : 'update' };
    }
    if (BUSY_STATES.has(state)) {
      throw new TransientServiceError(`Endpoint ${spec.endpointName} is ${state}; it cannot take config ${spec.endpointConfigName} until that ends`);
    }
    try {
      await callAws(`UpdateEndpoint ${spec.endpointName}`, () =>
        this.sagemaker.send(
          new UpdateEndpointCommand({
            EndpointName: spec.endpointName,
            EndpointConfigName: spec.endpointConfigName,
            ...this.deploymentConfig(spec, alarms),
          }),
        ),
      );
    } catch (error) {
      // Another execution's update started between our DescribeEndpoint and this call: wait it out, as for Updating.
      if (isEndpointInProgress(error)) {
        throw new TransientServiceError(`Endpoint ${spec.endpointName} is being updated by another deployment; it cannot take config ${spec.endpointConfigName} until that ends`, {
          cause: error,
        });
      }
      throw error;
    }
    return { operation: 'update' };
  }

  public async status(endpointName: string): Promise<EndpointStatus | undefined> {
    const endpoint = await describeEndpoint(this.sagemaker, endpointName);
    if (!endpoint) return undefined;
    const failureReason = endpoint.FailureReason?.trim();
    return {
      // An endpoint SageMaker has accepted but not yet described is being created: the wait loop polls again.
      state: endpoint.EndpointStatus ?? 'Creating',
      ...(failureReason ? { failureReason } : {}),
      ...(endpoint.EndpointConfigName ? { endpointConfigName: endpoint.EndpointConfigName } : {}),
      address: endpointName,
    };
  }

  /**
   * The DeploymentConfig of an update, left out for serverless endpoints: "Deployment guardrails only apply to
   * Asynchronous inference and Real-time inference endpoint types"
   * (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails.html), and canary and linear sizes are shares
   * of "the variant's total instance count", which a serverless variant does not have. Without a policy SageMaker
   * still updates blue/green, "with all at once traffic shifting by default"
   * (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_BlueGreenUpdatePolicy.html), so serverless updates
   * shift all at once, with no rollback alarms.
   */
  private deploymentConfig(spec: EndpointSpec, alarms: string[]): { DeploymentConfig?: DeploymentConfig } {
    if (spec.mode === 'serverless') return {};
    const routing = trafficRouting(spec, this.shifting);
    return {
      DeploymentConfig: {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: routing,
          TerminationWaitInSeconds: this.shifting.terminationWaitSeconds,
          MaximumExecutionTimeoutInSeconds: this.shifting.maximumExecutionTimeoutSeconds ?? maximumExecutionSeconds(routing, this.shifting),
        },
        // Alarms are watched in every baking period, all-at-once included (its one baking period is TerminationWait).
        ...(alarms.length > 0 ? { AutoRollbackConfiguration: { Alarms: alarms.map((AlarmName) => ({ AlarmName })) } } : {}),
      },
    };
  }

  /** Sends a create call; "already existing" for our own per-run name means an earlier attempt already sent it. */
  private async create(action: string, send: () => Promise<unknown>): Promise<void> {
    await callAwsTolerating(action, send, isSageMakerAlreadyExisting);
  }
}

/**
 * SageMaker refuses a change to an endpoint that is Creating or Updating with `ValidationException: Cannot update
 * in-progress endpoint "arn:…"`: two executions of one pipeline deploying at once. It is not the request's fault,
 * and the same request succeeds once the other change ends.
 */
export function isEndpointInProgress(error: unknown): boolean {
  return isAwsError(error, 'ValidationException', /cannot update in-progress endpoint/i);
}

function productionVariant(spec: EndpointSpec): ProductionVariant {
  if (spec.mode === 'serverless') {
    return {
      VariantName: VARIANT_NAME,
      ModelName: spec.modelName,
      ServerlessConfig: { MemorySizeInMB: spec.serverlessMemoryMb, MaxConcurrency: spec.serverlessMaxConcurrency },
    };
  }
  return {
    VariantName: VARIANT_NAME,
    ModelName: spec.modelName,
    // The SDK's enum lags new instance types; SageMaker validates the value itself.
    InstanceType: spec.instanceType as ProductionVariantInstanceType,
    InitialInstanceCount: spec.instanceCount,
    InitialVariantWeight: 1,
  };
}

/**
 * The traffic routing of a real-time update. A single instance runs all at once: a canary must be "less than or equal
 * to 50% of the variant's total instance count" and a linear step "10-50%" of it
 * (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TrafficRoutingConfig.html), and the smallest share of
 * one instance is the whole of it. WaitIntervalInSeconds is required by the API even for ALL_AT_ONCE, where it has no
 * step to wait between: it is 0 there.
 */
function trafficRouting(spec: EndpointSpec, shifting: TrafficShiftingSettings): TrafficRoutingConfig {
  const shift = spec.instanceCount < 2 ? 'all-at-once' : spec.trafficShift;
  switch (shift) {
    case 'canary':
      return {
        Type: 'CANARY',
        CanarySize: { Type: 'CAPACITY_PERCENT', Value: shifting.canaryPercent },
        WaitIntervalInSeconds: shifting.waitIntervalSeconds,
      };
    case 'linear':
      return {
        Type: 'LINEAR',
        LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: shifting.linearStepPercent },
        WaitIntervalInSeconds: shifting.waitIntervalSeconds,
      };
    case 'all-at-once':
      return { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 0 };
  }
}

/**
 * MaximumExecutionTimeoutInSeconds "should be larger than the total waiting time specified in TerminationWaitInSeconds
 * and WaitIntervalInSeconds" (BlueGreenUpdatePolicy): every baking period (one for a canary, one per linear step), the
 * termination wait and {@link PROVISIONING_ALLOWANCE_SECONDS} for the new fleet, kept within 600 to 28800 seconds.
 */
export function maximumExecutionSeconds(routing: TrafficRoutingConfig, shifting: TrafficShiftingSettings): number {
  const bakes = routing.Type === 'CANARY' ? 1 : routing.Type === 'LINEAR' ? Math.ceil(100 / shifting.linearStepPercent) : 0;
  const total = bakes * (routing.WaitIntervalInSeconds ?? 0) + shifting.terminationWaitSeconds + PROVISIONING_ALLOWANCE_SECONDS;
  return Math.min(EXECUTION_TIMEOUT_MAX_SECONDS, Math.max(EXECUTION_TIMEOUT_MIN_SECONDS, total));
}

function specProblems(spec: EndpointSpec): string[] {
  const problems: string[] = [];
  for (const [what, name] of [['endpoint', spec.endpointName], ['model', spec.modelName], ['endpoint config', spec.endpointConfigName]] as const) {
    if (!isSageMakerName(name, RESOURCE_NAME_MAX)) {
      problems.push(`the ${what} name "${name}" must be 1 to ${RESOURCE_NAME_MAX} letters, digits and hyphens, starting and ending with a letter or digit`);
    }
  }
  // ModelDataUrl: ^(https|s3)://([^/]+)/?(.*)$
  if (!/^(https|s3):\/\/[^/]+/.test(spec.modelArtifact)) problems.push(`the model artifact "${spec.modelArtifact}" is not an s3:// or https:// URL`);
  if (spec.image.trim() === '') problems.push('the image is empty');
  if (spec.mode === 'serverless') {
    if (!SERVERLESS_MEMORY_MB.includes(spec.serverlessMemoryMb)) {
      problems.push(`serverless memory must be one of ${SERVERLESS_MEMORY_MB.join(', ')} MB (got ${spec.serverlessMemoryMb})`);
    }
    if (!Number.isInteger(spec.serverlessMaxConcurrency) || spec.serverlessMaxConcurrency < 1 || spec.serverlessMaxConcurrency > SERVERLESS_MAX_CONCURRENCY) {
      problems.push(`serverless max concurrency must be a whole number from 1 to ${SERVERLESS_MAX_CONCURRENCY} (got ${spec.serverlessMaxConcurrency})`);
    }
  } else {
    if (spec.instanceType.trim() === '') problems.push('the instance type is empty');
    if (!Number.isInteger(spec.instanceCount) || spec.instanceCount < 1) problems.push(`the instance count must be a whole number of at least 1 (got ${spec.instanceCount})`);
  }
  return problems;
}

function alarmProblems(alarms: string[]): string[] {
  const problems: string[] = [];
  if (alarms.length > MAX_ROLLBACK_ALARMS) problems.push(`at most ${MAX_ROLLBACK_ALARMS} rollback alarms are allowed (got ${alarms.length})`);
  if (alarms.some((alarm) => alarm.trim() === '')) problems.push('a rollback alarm name is empty');
  return problems;
}

function shiftingProblems(shifting: TrafficShiftingSettings): string[] {
  const problems: string[] = [];
  const whole = (value: number, min: number, max: number): boolean => Number.isInteger(value) && value >= min && value <= max;
  if (!whole(shifting.canaryPercent, 1, 50)) problems.push(`canaryPercent must be a whole number from 1 to 50 (got ${shifting.canaryPercent})`);
  if (!whole(shifting.linearStepPercent, 10, 50)) problems.push(`linearStepPercent must be a whole number from 10 to 50 (got ${shifting.linearStepPercent})`);
  if (!whole(shifting.waitIntervalSeconds, 0, WAIT_MAX_SECONDS)) problems.push(`waitIntervalSeconds must be a whole number from 0 to ${WAIT_MAX_SECONDS}`);
  if (!whole(shifting.terminationWaitSeconds, 0, WAIT_MAX_SECONDS)) problems.push(`terminationWaitSeconds must be a whole number from 0 to ${WAIT_MAX_SECONDS}`);
  const timeout = shifting.maximumExecutionTimeoutSeconds;
  if (timeout !== undefined && !whole(timeout, EXECUTION_TIMEOUT_MIN_SECONDS, EXECUTION_TIMEOUT_MAX_SECONDS)) {
    problems.push(`maximumExecutionTimeoutSeconds must be a whole number from ${EXECUTION_TIMEOUT_MIN_SECONDS} to ${EXECUTION_TIMEOUT_MAX_SECONDS}`);
  }
  return problems;
}
