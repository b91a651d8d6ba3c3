/**
 * What the SageMaker endpoint deployer and the endpoint cleanup share: the names and tags Sluice gives an endpoint's
 * resources, the error of a request SageMaker would refuse, and reading an endpoint.
 */
import { DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import type { DescribeEndpointOutput, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { TerminalStepError } from '../../core/errors.js';
import { callAwsTolerating, isSageMakerNotFound } from './aws-errors.js';

/** An endpoint spec or a cleanup request SageMaker would refuse; the message says what to fix. */
export class InvalidHostingRequestError extends TerminalStepError {
  public override readonly name = 'InvalidHostingRequestError';
}

/**
 * The one production variant of every endpoint config. Blue/green needs it stable: "your new endpoint configuration must
 * have the same variant name as the old endpoint configuration"
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-exclusions.html).
 */
export const VARIANT_NAME = 'AllTraffic';

/**
 * Tag key naming, on every model, endpoint config and endpoint Sluice creates, the endpoint it belongs to: the cleanup
 * deletes only what carries it.
 */
export const ENDPOINT_TAG = 'sluice:endpoint';
/** Tag key holding the registry version a model and its endpoint config serve. */
export const MODEL_VERSION_TAG = 'sluice:model-version';

/** The endpoint as SageMaker describes it, or undefined when there is none (before the first deployment). */
export async function describeEndpoint(sagemaker: SageMakerClient, endpointName: string): Promise<DescribeEndpointOutput | undefined> {
  return callAwsTolerating(
    `DescribeEndpoint ${endpointName}`,
    () => sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName })),
    isSageMakerNotFound,
  );
}
