import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeEndpointCommand,
  SageMakerClient,
  UpdateEndpointCommand,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { SageMakerEndpointDeployer } from '../../../aws/adapters/sagemaker-endpoint-deployer.js';
import { InvalidHostingRequestError } from '../../../aws/adapters/sagemaker-endpoints.js';
import { TransientServiceError } from '../../../core/errors.js';
import type { EndpointSpec } from '../../../core/ports/model-hosting.js';
import { ACCOUNT_ARN, ENDPOINT, PREVIOUS_CONFIG, endpoint, endpointNotFound, serviceError } from './sagemaker-endpoint-fixtures.js';

const sagemaker = mockClient(SageMakerClient);

const ROLE = 'arn:aws:iam::123456789012:role/sluice-dev-sagemaker';
const IMAGE = '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1';
const ARTIFACT = 's3://sluice-dev-lake/models/churn/churn-train-0123456789abcdef/output/model.tar.gz';
const MODEL = 'sluice-dev-churn-model-0123456789abcdef';
const CONFIG = 'sluice-dev-churn-config-0123456789abcdef';
const ALARMS = [`${ENDPOINT}-invocation-5xx`, `${ENDPOINT}-model-latency`];
const TAGS = [
  { Key: 'sluice:endpoint', Value: ENDPOINT },
  { Key: 'sluice:model-version', Value: '4' },
];

const realtime: EndpointSpec = {
  endpointName: ENDPOINT,
  modelName: MODEL,
  endpointConfigName: CONFIG,
  image: IMAGE,
  modelArtifact: ARTIFACT,
  modelVersion: 4,
  mode: 'realtime',
  instanceType: 'ml.m5.large',
  instanceCount: 2,
  serverlessMemoryMb: 2048,
  serverlessMaxConcurrency: 5,
  trafficShift: 'canary',
};
const serverless: EndpointSpec = { ...realtime, mode: 'serverless' };

describe('SageMakerEndpointDeployer', () => {
  const client = new SageMakerClient({ region: 'eu-west-1' });
  const deployer = new SageMakerEndpointDeployer(client, { roleArn: ROLE, rollbackAlarmNames: () => ALARMS });

  beforeEach(() => {
    sagemaker.reset();
    sagemaker.on(CreateModelCommand).resolves({ ModelArn: `${ACCOUNT_ARN}:model/${MODEL}` });
    sagemaker.on(CreateEndpointConfigCommand).resolves({ EndpointConfigArn: `${ACCOUNT_ARN}:endpoint-config/${CONFIG}` });
    sagemaker.on(CreateEndpointCommand).resolves({ EndpointArn: `${ACCOUNT_ARN}:endpoint/${ENDPOINT}` });
    sagemaker.on(UpdateEndpointCommand).resolves({ EndpointArn: `${ACCOUNT_ARN}:endpoint/${ENDPOINT}` });
  });

  describe('deploy to a new endpoint', () => {
    beforeEach(() => {
      sagemaker.on(DescribeEndpointCommand).rejects(endpointNotFound());
    });

    it('creates the model, a real-time endpoint config and the endpoint when the endpoint does not exist', async () => {
      // Act
      const result = await deployer.deploy(realtime);

      // Assess
      expect(result).toEqual({ operation: 'create' });
      expect(sagemaker.commandCalls(CreateModelCommand)[0]?.args[0].input).toEqual({
        ModelName: MODEL,
        ExecutionRoleArn: ROLE,
        PrimaryContainer: { Image: IMAGE, ModelDataUrl: ARTIFACT },
        Tags: TAGS,
      });
      expect(sagemaker.commandCalls(CreateEndpointConfigCommand)[0]?.args[0].input).toEqual({
        EndpointConfigName: CONFIG,
        ProductionVariants: [
          { VariantName: 'AllTraffic', ModelName: MODEL, InstanceType: 'ml.m5.large', InitialInstanceCount: 2, InitialVariantWeight: 1 },
        ],
        Tags: TAGS,
      });
      expect(sagemaker.commandCalls(DescribeEndpointCommand)[0]?.args[0].input).toEqual({ EndpointName: ENDPOINT });
      expect(sagemaker.commandCalls(CreateEndpointCommand)[0]?.args[0].input).toEqual({
        EndpointName: ENDPOINT,
        EndpointConfigName: CONFIG,
        Tags: [{ Key: 'sluice:endpoint', Value: ENDPOINT }],
      });
      expect(sagemaker.commandCalls(UpdateEndpointCommand)).toHaveLength(0);
    });

    it('creates a serverless endpoint config when the spec is serverless', async () => {
      // Act
      await deployer.deploy(serverless);

      // Assess
      expect(sagemaker.commandCalls(CreateEndpointConfigCommand)[0]?.args[0].input).toEqual({
        EndpointConfigName: CONFIG,
        ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: MODEL, ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 } }],
        Tags: TAGS,
      });
    });

    it('counts the model, config and endpoint as created when an earlier attempt already created them', async () => {
      // Prepare
      sagemaker.on(CreateModelCommand).rejects(serviceError('ValidationException', `Cannot create already existing model "${ACCOUNT_ARN}:model/${MODEL}".`));
      sagemaker
        .on(CreateEndpointConfigCommand)
        .rejects(serviceError('ValidationException', `Cannot create already existing endpoint configuration "${ACCOUNT_ARN}:endpoint-config/${CONFIG}".`));
      sagemaker.on(CreateEndpointCommand).rejects(serviceError('ValidationException', `Cannot create already existing endpoint "${ACCOUNT_ARN}:endpoint/${ENDPOINT}".`));

      // Act / Assess
      await expect(deployer.deploy(realtime)).resolves.toEqual({ operation: 'create' });
      expect(sagemaker.commandCalls(CreateEndpointCommand)).toHaveLength(1);
    });

    it('rethrows the SDK error unchanged when CreateModel is refused for another reason', async () => {
      // Prepare
      const refused = serviceError('ValidationException', 'Could not access model data at s3://sluice-dev-lake/models/churn/model.tar.gz.');
      sagemaker.on(CreateModelCommand).rejects(refused);

      // Act / Assess
      await expect(deployer.deploy(realtime)).rejects.toBe(refused);
      expect(sagemaker.commandCalls(CreateEndpointConfigCommand)).toHaveLength(0);
    });
  });

  describe('deploy to an existing endpoint', () => {
    beforeEach(() => {
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint());
    });

    it('updates the endpoint with a 10 % canary and the rollback alarms when the spec asks for a canary', async () => {
      // Act
      const result = await deployer.deploy(realtime);

      // Assess
      expect(result).toEqual({ operation: 'update' });
      expect(sagemaker.commandCalls(UpdateEndpointCommand)[0]?.args[0].input).toEqual({
        EndpointName: ENDPOINT,
        EndpointConfigName: CONFIG,
        DeploymentConfig: {
          BlueGreenUpdatePolicy: {
            TrafficRoutingConfiguration: { Type: 'CANARY', CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 }, WaitIntervalInSeconds: 300 },
            TerminationWaitInSeconds: 300,
            MaximumExecutionTimeoutInSeconds: 2400,
          },
          AutoRollbackConfiguration: { Alarms: [{ AlarmName: ALARMS[0] }, { AlarmName: ALARMS[1] }] },
        },
      });
      expect(sagemaker.commandCalls(CreateEndpointCommand)).toHaveLength(0);
    });

    it('updates the endpoint in 20 % linear steps with the rollback alarms when the spec asks for linear', async () => {
      // Act
      await deployer.deploy({ ...realtime, trafficShift: 'linear', instanceCount: 5 });

      // Assess
      expect(sagemaker.commandCalls(UpdateEndpointCommand)[0]?.args[0].input).toEqual({
        EndpointName: ENDPOINT,
        EndpointConfigName: CONFIG,
        DeploymentConfig: {
          BlueGreenUpdatePolicy: {
            TrafficRoutingConfiguration: { Type: 'LINEAR', LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 20 }, WaitIntervalInSeconds: 300 },
            TerminationWaitInSeconds: 300,
            MaximumExecutionTimeoutInSeconds: 3600,
          },
          AutoRollbackConfiguration: { Alarms: [{ AlarmName: ALARMS[0] }, { AlarmName: ALARMS[1] }] },
        },
      });
    });

    it('updates the endpoint all at once, still with the rollback alarms, when the spec asks for all at once', async () => {
      // Act
      await deployer.deploy({ ...realtime, trafficShift: 'all-at-once' });

      // Assess
      expect(sagemaker.commandCalls(UpdateEndpointCommand)[0]?.args[0].input).toEqual({
        EndpointName: ENDPOINT,
        EndpointConfigName: CONFIG,
        DeploymentConfig: {
          BlueGreenUpdatePolicy: {
            TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 0 },
            TerminationWaitInSeconds: 300,
            MaximumExecutionTimeoutInSeconds: 2100,
          },
          AutoRollbackConfiguration: { Alarms: [{ AlarmName: ALARMS[0] }, { AlarmName: ALARMS[1] }] },
        },
      });
    });

    it('updates all at once when the spec asks for a canary on a single instance', async () => {
      // Act
      await deployer.deploy({ ...realtime, instanceCount: 1 });

      // Assess
      const policy = sagemaker.commandCalls(UpdateEndpointCommand)[0]?.args[0].input.DeploymentConfig?.BlueGreenUpdatePolicy;
      expect(policy?.TrafficRoutingConfiguration).toEqual({ Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 0 });
    });

    it('sends no deployment config when the endpoint is serverless', async () => {
      // Act
      await deployer.deploy({ ...serverless, trafficShift: 'canary' });

      // Assess
      expect(sagemaker.commandCalls(UpdateEndpointCommand)[0]?.args[0].input).toEqual({ EndpointName: ENDPOINT, EndpointConfigName: CONFIG });
    });

    it('sends no rollback configuration when the endpoint has no alarms', async () => {
      // Prepare
      const noAlarms = new SageMakerEndpointDeployer(client, { roleArn: ROLE, rollbackAlarmNames: () => [] });

      // Act
      await noAlarms.deploy(realtime);

      // Assess
      const config = sagemaker.commandCalls(UpdateEndpointCommand)[0]?.args[0].input.DeploymentConfig;
      expect(config).toBeDefined();
      expect(config).not.toHaveProperty('AutoRollbackConfiguration');
    });

    it('uses the configured baking periods and timeout when traffic shifting settings are given', async () => {
      // Prepare
      const tuned = new SageMakerEndpointDeployer(client, {
        roleArn: ROLE,
        rollbackAlarmNames: (name) => [`${name}-errors`],
        trafficShifting: { canaryPercent: 25, waitIntervalSeconds: 600, terminationWaitSeconds: 900, maximumExecutionTimeoutSeconds: 7200 },
      });

      // Act
      await tuned.deploy(realtime);

      // Assess
      expect(sagemaker.commandCalls(UpdateEndpointCommand)[0]?.args[0].input.DeploymentConfig).toEqual({
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: { Type: 'CANARY', CanarySize: { Type: 'CAPACITY_PERCENT', Value: 25 }, WaitIntervalInSeconds: 600 },
          TerminationWaitInSeconds: 900,
          MaximumExecutionTimeoutInSeconds: 7200,
        },
        AutoRollbackConfiguration: { Alarms: [{ AlarmName: `${ENDPOINT}-errors` }] },
      });
    });

    it('sends no update when an earlier attempt already started moving the endpoint to the spec config', async () => {
      // Prepare
      sagemaker.on(DescribeEndpointCommand).resolves(
        endpoint({ EndpointStatus: 'Updating', PendingDeploymentSummary: { EndpointConfigName: CONFIG } }),
      );

      // Act
      const result = await deployer.deploy(realtime);

      // Assess
      expect(result).toEqual({ operation: 'update' });
      expect(sagemaker.commandCalls(UpdateEndpointCommand)).toHaveLength(0);
    });

    it('reports a create and sends nothing more when an earlier attempt already created the endpoint with the spec config', async () => {
      // Prepare
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint({ EndpointStatus: 'Creating', EndpointConfigName: CONFIG }));

      // Act / Assess
      await expect(deployer.deploy(realtime)).resolves.toEqual({ operation: 'create' });
      expect(sagemaker.commandCalls(CreateEndpointCommand)).toHaveLength(0);
      expect(sagemaker.commandCalls(UpdateEndpointCommand)).toHaveLength(0);
    });

    it('throws TransientServiceError without updating when the endpoint is busy with another config', async () => {
      // Prepare
      sagemaker.on(DescribeEndpointCommand).resolves(
        endpoint({ EndpointStatus: 'Updating', PendingDeploymentSummary: { EndpointConfigName: 'sluice-dev-churn-config-other' } }),
      );

      // Act
      const error: unknown = await deployer.deploy(realtime).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(TransientServiceError);
      expect((error as Error).message).toBe(`Endpoint ${ENDPOINT} is Updating; it cannot take config ${CONFIG} until that ends`);
      expect(sagemaker.commandCalls(UpdateEndpointCommand)).toHaveLength(0);
    });
  });

  describe('deploy while another execution updates the endpoint', () => {
    beforeEach(() => {
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint());
    });

    it('throws TransientServiceError when UpdateEndpoint answers that the endpoint is in progress', async () => {
      // Prepare
      const inProgress = serviceError('ValidationException', `Cannot update in-progress endpoint "${ACCOUNT_ARN}:endpoint/${ENDPOINT}".`);
      sagemaker.on(UpdateEndpointCommand).rejects(inProgress);

      // Act
      const error: unknown = await deployer.deploy(realtime).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(TransientServiceError);
      expect((error as Error).message).toBe(`Endpoint ${ENDPOINT} is being updated by another deployment; it cannot take config ${CONFIG} until that ends`);
      expect((error as Error).cause).toBe(inProgress);
      expect(sagemaker.commandCalls(UpdateEndpointCommand)[0]?.args[0].input).toMatchObject({ EndpointName: ENDPOINT, EndpointConfigName: CONFIG });
    });

    it('rethrows any other ValidationException of UpdateEndpoint unchanged', async () => {
      // Prepare
      const invalid = serviceError('ValidationException', 'Could not find endpoint configuration "x".');
      sagemaker.on(UpdateEndpointCommand).rejects(invalid);

      // Act
      const error: unknown = await deployer.deploy(realtime).catch((e: unknown) => e);

      // Assess
      expect(error).toBe(invalid);
    });
  });

  describe('deploy with an invalid spec', () => {
    it.each([
      ['serverless memory is not a whole GB from 1 to 6 GB', { ...serverless, serverlessMemoryMb: 1500 }, 'serverless memory must be one of'],
      ['serverless concurrency is above 200', { ...serverless, serverlessMaxConcurrency: 201 }, 'serverless max concurrency'],
      ['the instance count is 0', { ...realtime, instanceCount: 0 }, 'the instance count'],
      ['the config name is too long', { ...realtime, endpointConfigName: 'c'.repeat(64) }, 'the endpoint config name'],
      ['the artifact is not a URL', { ...realtime, modelArtifact: '/tmp/model.tar.gz' }, 'is not an s3:// or https:// URL'],
    ])('throws InvalidHostingRequestError and sends nothing when %s', async (_case, spec, fragment) => {
      // Act
      const error: unknown = await deployer.deploy(spec).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(InvalidHostingRequestError);
      expect((error as Error).message).toContain(fragment);
      expect(sagemaker.calls()).toHaveLength(0);
    });

    it('throws InvalidHostingRequestError and sends nothing when the endpoint has more than 10 rollback alarms', async () => {
      // Prepare
      const noisy = new SageMakerEndpointDeployer(client, { roleArn: ROLE, rollbackAlarmNames: () => Array.from({ length: 11 }, (_, i) => `alarm-${i}`) });

      // Act / Assess
      await expect(noisy.deploy(realtime)).rejects.toThrow('at most 10 rollback alarms are allowed (got 11)');
      expect(sagemaker.calls()).toHaveLength(0);
    });

    it('throws InvalidHostingRequestError when the adapter is built with a canary above 50 %', () => {
      // Act / Assess
      expect(() => new SageMakerEndpointDeployer(client, { roleArn: ROLE, rollbackAlarmNames: () => [], trafficShifting: { canaryPercent: 60 } })).toThrow(
        InvalidHostingRequestError,
      );
    });
  });

  describe('status', () => {
    it('reports the state, the serving config and the address when the endpoint is in service', async () => {
      // Prepare
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint({ EndpointConfigName: CONFIG }));

      // Act
      const status = await deployer.status(ENDPOINT);

      // Assess
      expect(status).toEqual({ state: 'InService', endpointConfigName: CONFIG, address: ENDPOINT });
      expect(sagemaker.commandCalls(DescribeEndpointCommand)[0]?.args[0].input).toEqual({ EndpointName: ENDPOINT });
    });

    it('reports the previous config when an update was rolled back', async () => {
      // Prepare
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint({ EndpointStatus: 'InService', EndpointConfigName: PREVIOUS_CONFIG }));

      // Act
      const status = await deployer.status(ENDPOINT);

      // Assess
      expect(status?.state).toBe('InService');
      expect(status?.endpointConfigName).toBe(PREVIOUS_CONFIG);
    });

    it('reports the failure reason when the endpoint failed', async () => {
      // Prepare
      sagemaker.on(DescribeEndpointCommand).resolves(
        endpoint({ EndpointStatus: 'Failed', FailureReason: ' The primary container for production variant AllTraffic did not pass the ping health check. ' }),
      );

      // Act / Assess
      await expect(deployer.status(ENDPOINT)).resolves.toEqual({
        state: 'Failed',
        failureReason: 'The primary container for production variant AllTraffic did not pass the ping health check.',
        endpointConfigName: PREVIOUS_CONFIG,
        address: ENDPOINT,
      });
    });

    it('returns undefined when the endpoint does not exist', async () => {
      // Prepare
      sagemaker.on(DescribeEndpointCommand).rejects(endpointNotFound());

      // Act / Assess
      await expect(deployer.status(ENDPOINT)).resolves.toBeUndefined();
    });

    it('throws TransientServiceError when DescribeEndpoint is throttled', async () => {
      // Prepare
      sagemaker.on(DescribeEndpointCommand).rejects(serviceError('ThrottlingException', 'Rate exceeded'));

      // Act / Assess
      await expect(deployer.status(ENDPOINT)).rejects.toBeInstanceOf(TransientServiceError);
    });
  });
});
