/** What the endpoint deployer and cleanup tests share: one endpoint of the dev stage and SageMaker's answers about it. */
import { SageMakerServiceException } from '@aws-sdk/client-sagemaker';
import type { DescribeEndpointCommandOutput } from '@aws-sdk/client-sagemaker';

/** The account and region part of every SageMaker ARN in these tests. */
export const ACCOUNT_ARN = 'arn:aws:sagemaker:eu-west-1:123456789012';
/** The endpoint deployed and cleaned up. */
export const ENDPOINT = 'sluice-dev-churn';
/** The config the endpoint serves before the deployment under test. */
export const PREVIOUS_CONFIG = 'sluice-dev-churn-config-fedcba9876543210';

/** A SageMaker service error as the SDK throws it. */
export function serviceError(name: string, message: string, httpStatusCode = 400): SageMakerServiceException {
  return new SageMakerServiceException({ name, $fault: 'client', $metadata: { httpStatusCode }, message });
}

/** What DescribeEndpoint answers for an endpoint that does not exist. */
export const endpointNotFound = (): SageMakerServiceException =>
  serviceError('ValidationException', `Could not find endpoint "${ACCOUNT_ARN}:endpoint/${ENDPOINT}".`);

/** What DescribeEndpoint answers for the endpoint, in service on {@link PREVIOUS_CONFIG} unless overridden. */
export function endpoint(overrides: Partial<DescribeEndpointCommandOutput> = {}): Partial<DescribeEndpointCommandOutput> {
  return {
    EndpointName: ENDPOINT,
    EndpointArn: `${ACCOUNT_ARN}:endpoint/${ENDPOINT}`,
    EndpointConfigName: PREVIOUS_CONFIG,
    EndpointStatus: 'InService',
    CreationTime: new Date('2026-11-01T00:00:00Z'),
    LastModifiedTime: new Date('2026-11-19T00:00:00Z'),
    ...overrides,
  };
}
